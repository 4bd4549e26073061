"""A real cluster with Istio: preflight, snapshot, the seed lab, curl from a pod, prediction beside reality.

This is a *face*: it talks to the Kubernetes API with the official ``kubernetes``
client (the ``live`` extra), imported only inside functions, so ``import
sidecar_lab.live.cluster`` works without it. Everything it reads goes through the same
loader as files (:func:`sidecar_lab.core.loader.load_objects`), so ``resolve``,
``check``, ``matrix`` and the notebooks' widgets run unchanged on a live cluster::

    from sidecar_lab.live.cluster import LiveCluster

    with LiveCluster.connect(context="kind-istio") as live:   # cleans up on exit and on error
        print(live.preflight().text())
        live.deploy_seed_lab()
        live.apply_sidecar(open("data/seed/steps/02-root-registry-only/sidecars.yaml").read())
        mesh = live.snapshot()                                # a Mesh, as from files
        print(live.exec_curl("istioinaction", "sleep", "http://google.com").stdout)

Safety
------
* Read-only unless an action is asked for (``apply_*``, ``patch_sidecar``,
  ``delete_sidecar``, ``deploy_seed_lab``, ``exec_curl``, ``cleanup*``).
* Writes only in the allow-listed namespaces (``istioinaction``, ``default`` and
  ``istio-system`` unless ``allowed_namespaces=`` says otherwise); anything else is
  refused (:class:`WriteRefused`) before any request is sent.
* Every object it creates carries ``app.kubernetes.io/managed-by: sidecar-lab``;
  :meth:`LiveCluster.cleanup` deletes exactly what this session created and
  :meth:`LiveCluster.cleanup_labelled` whatever carries the label.
* Tokens, passwords and kubeconfig contents are never printed: error messages
  are built from the server's ``Status`` message and pass through a redactor.
* Every request has a timeout (5 s to connect, 30 s to read by default); every
  failure is a :class:`~sidecar_lab.core.errors.ClusterError` with a one-line message.

Every action appends the equivalent ``kubectl`` / ``istioctl`` command to
:attr:`LiveCluster.commands` and returns it, so a learner can repeat it by hand.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .compare import Comparison, Observation, WalkRequest, WalkStep, blog_agrees, compare, walkthrough_steps
from ..core.errors import ClusterError, ManifestError, UsageError

__all__ = [
    "LiveCluster", "Preflight", "PreflightItem", "ApplyResult", "DeleteResult", "ExecResult", "WaitResult",
    "ProxyMark", "CleanupResult", "DeployResult", "StepReport", "WalkRow", "WriteRefused", "ApiError",
    "MANAGED_BY", "MANAGER", "DEFAULT_ALLOWED_NAMESPACES", "snapshot_yaml",
]

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "sidecar-lab"
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"
DEFAULT_ALLOWED_NAMESPACES = ("istioinaction", "default", "istio-system")
ISTIO_GROUP = "networking.istio.io"
ISTIO_VERSIONS = ("v1", "v1beta1", "v1alpha3")
#: The Istio kinds the simulator reads (and ``apply`` may write), by plural.
ISTIO_KINDS = {"Sidecar": "sidecars", "ServiceEntry": "serviceentries", "VirtualService": "virtualservices"}
INSTALL_ISTIO = "istioctl install --set profile=default -y"
LAB_INJECTED_NAMESPACE = "istioinaction"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SEED_LAB_FILES = ("namespaces.yaml", "httpbin-istioinaction.yaml", "httpbin-default.yaml", "sleep.yaml")
_HTTPBIN_URL = "https://raw.githubusercontent.com/istio/istio/release-1.26/samples/httpbin/httpbin.yaml"

#: ``progress(message, elapsed_seconds)``: how long-running actions report what they wait for.
Progress = Callable[[str, float], None]


class WriteRefused(ClusterError):
    """A write outside the allow-listed namespaces (no request was sent)."""


class ApiError(ClusterError):
    """The API server answered with an error; ``status`` is its HTTP code (None: no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreflightItem:
    name: str
    ok: bool
    detail: str
    #: One line that fixes what is missing (None when nothing is).
    fix: str | None = None
    #: False for what only the seed lab needs (a cluster can be snapshotted without it).
    required: bool = True

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Preflight:
    context: str
    server: str
    items: tuple[PreflightItem, ...]
    commands: tuple[str, ...] = ()
    istio_version: str | None = None

    @property
    def ok(self) -> bool:
        """Every required item is fine."""
        return all(i.ok for i in self.items if i.required)

    def item(self, name: str) -> PreflightItem:
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)

    def to_json(self) -> dict:
        return {"context": self.context, "server": self.server, "ok": self.ok, "istio_version": self.istio_version,
                "items": [i.to_json() for i in self.items], "commands": list(self.commands)}

    def text(self) -> str:
        lines = [f"cluster {self.context} at {self.server}"]
        width = max((len(i.name) for i in self.items), default=0)
        for i in self.items:
            mark = "ok  " if i.ok else ("FAIL" if i.required else "warn")
            lines.append(f"  {mark} {i.name:<{width}}  {i.detail}")
            if not i.ok and i.fix:
                lines.append(f"       {'':<{width}}  fix: {i.fix}")
        lines.append("ready" if self.ok else "not ready: run the fix lines above")
        return "\n".join(lines)


@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    kind: str
    namespace: str
    name: str
    #: created | configured | unchanged | denied (and "... (server dry run)" for dry runs)
    action: str
    #: What the API server or its admission webhook said when it refused the object.
    messages: tuple[str, ...] = ()
    #: What sidecar-lab's own admission validation predicts (Errors only).
    predicted_messages: tuple[str, ...] = ()
    generation: int | None = None
    dry_run: bool = False
    command: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def text(self) -> str:
        kind = f"{self.kind.lower()}.{ISTIO_GROUP}" if self.kind in ISTIO_KINDS else self.kind.lower()
        if self.ok:
            return f"{kind}/{self.name} {self.action} (namespace {self.namespace})"
        lines = [f"{kind}/{self.name} denied (namespace {self.namespace}):"]
        lines += [f"  {m}" for m in self.messages]
        if self.predicted_messages:
            lines.append("  sidecar-lab's own validation predicted:")
            lines += [f"    {m}" for m in self.predicted_messages]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DeleteResult:
    ok: bool
    kind: str
    namespace: str
    name: str
    action: str  # deleted | absent
    command: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def text(self) -> str:
        what = f"{self.kind.lower()}.{ISTIO_GROUP}" if self.kind in ISTIO_KINDS else self.kind.lower()
        return f"{what}/{self.name} {'deleted' if self.action == 'deleted' else 'was not there'} " \
               f"(namespace {self.namespace})"


@dataclass(frozen=True)
class ExecResult(Observation):
    """curl's output and exit code from ``kubectl exec`` (an :class:`~sidecar_lab.live.compare.Observation`)."""

    namespace: str = ""
    pod: str = ""
    container: str = ""
    command: str = ""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ProxyMark:
    """Envoy's xDS update counters of one proxy at one moment (see :meth:`LiveCluster.proxy_mark`)."""

    pod: str
    counters: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counters.values())


@dataclass(frozen=True)
class WaitResult:
    ok: bool
    elapsed: float
    #: What was seen, in order (``the API server has ...``, ``istiod reports ...``, ...).
    stages: tuple[str, ...] = ()
    #: What could not be known, and why.
    notes: tuple[str, ...] = ()
    #: True when the proxy was seen accepting new configuration; None when that was not checked.
    proxy_updated: bool | None = None
    message: str = ""
    commands: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"{'ready' if self.ok else 'not ready'} after {self.elapsed:.1f} s" +
                 (f": {self.message}" if self.message else "")]
        lines += [f"  - {s}" for s in self.stages]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class CleanupResult:
    deleted: tuple[str, ...] = ()
    #: Objects this session changed but did not create: left in place.
    kept: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        lines = [f"deleted {d}" for d in self.deleted] or ["nothing to delete"]
        lines += [f"left in place (changed, not created, by sidecar-lab): {k}" for k in self.kept]
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)


@dataclass(frozen=True)
class DeployResult:
    created: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"created {c}" for c in self.created]
        lines += [f"changed {c}" for c in self.changed]
        lines += [f"already there {c}" for c in self.existing]
        return "\n".join(lines)


@dataclass(frozen=True)
class WalkRow:
    """One request of a walkthrough step: the prediction, what really happened, and the post's observation."""

    request: WalkRequest
    predicted: Any  # RequestResult
    observed: ExecResult
    comparison: Comparison
    #: Does reality agree with what the blog post showed (None: the post showed nothing)?
    blog_agrees: bool | None = None

    def to_json(self) -> dict:
        return {"id": self.request.id, "from": self.request.source, "to": self.request.target,
                "command": self.observed.command, "blog": self.request.blog, "blog_agrees": self.blog_agrees,
                "stdout": self.observed.stdout, "stderr": self.observed.stderr,
                **self.comparison.to_json()}


@dataclass(frozen=True)
class StepReport:
    step: WalkStep
    applied: tuple[ApplyResult, ...]
    deleted: tuple[DeleteResult, ...]
    wait: WaitResult | None
    rows: tuple[WalkRow, ...]
    #: ``kubectl get sidecar -A`` listings of the post, beside the cluster's Sidecars.
    listings: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def match(self) -> bool:
        return all(r.comparison.match for r in self.rows) and all(a.ok for a in self.applied) \
            and all(l["match"] for l in self.listings)

    def to_json(self) -> dict:
        return {"step": self.step.name, "title": self.step.title, "match": self.match,
                "applied": [a.to_json() for a in self.applied],
                "deleted": [{"kind": d.kind, "namespace": d.namespace, "name": d.name, "action": d.action}
                            for d in self.deleted],
                "wait": dataclasses.asdict(self.wait) if self.wait else None,
                "requests": [r.to_json() for r in self.rows], "listings": list(self.listings),
                "notes": list(self.notes)}

    def text(self) -> str:
        lines = [f"step {self.step.name}: {self.step.title}"]
        lines += [f"  {d.text()}" for d in self.deleted]
        lines += ["  " + a.text().replace("\n", "\n  ") for a in self.applied]
        if self.wait is not None:
            lines.append("  wait: " + self.wait.text().replace("\n", "\n  "))
        for row in self.rows:
            lines.append(f"  {row.request.source} -> {row.request.target}")
            lines.append(f"    $ {row.observed.command}")
            lines.append("  " + row.comparison.text().replace("\n", "\n  "))
            if row.blog_agrees is not None:
                lines.append(f"    the blog post showed {_vocab_text(row.request.blog)}: "
                             f"{'agrees' if row.blog_agrees else 'DIFFERS'}")
        for listing in self.listings:
            lines.append(f"  kubectl get sidecar -A: {', '.join(listing['observed']) or 'none'} "
                         f"({'MATCH' if listing['match'] else 'MISMATCH'}; the post listed "
                         f"{', '.join(listing['blog']) or 'none'})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _vocab_text(observed: Mapping) -> str:
    prints = observed.get("prints")
    if prints == "origin":
        return f"origin {observed.get('origin')}"
    return str(prints)


@dataclass(frozen=True)
class _Ref:
    kind: str
    namespace: str  # "" for namespaces
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


# -- the kubernetes client, lazily ----------------------------------------------------------


def _kube():
    try:
        from kubernetes import client, config
    except ImportError as exc:
        raise ClusterError(f"the kubernetes client cannot be imported ({exc}): pip install 'sidecar-lab[live]'") \
            from None
    return client, config


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")


def _redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    return _JWT.sub("***", text)


def _secrets_of(configuration: Any) -> list[str]:
    found = []
    for value in (getattr(configuration, "api_key", None) or {}).values():
        if isinstance(value, str):
            found.append(value)
            if value.lower().startswith("bearer "):
                found.append(value[7:].strip())
    for attr in ("password", "refresh_api_key_hook"):
        value = getattr(configuration, attr, None)
        if isinstance(value, str):
            found.append(value)
    return [s for s in found if s]


def _status_of(exc: Any) -> tuple[int | None, str]:
    """HTTP status and the server's message of an ApiException (or a failed exec handshake)."""
    status = getattr(exc, "status", None) or None
    message = None
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body if isinstance(body, str) else body.decode("utf-8", "replace"))
            if isinstance(data, dict):
                message = data.get("message")
        except ValueError:
            message = None
    reason = str(getattr(exc, "reason", "") or "")
    if status is None:  # the websocket handshake of exec: "Handshake status 403 Forbidden -+-+- ..."
        m = re.search(r"Handshake status (\d+)", reason)
        if m:
            status = int(m.group(1))
        m = re.search(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"', reason)
        if m:
            message = m.group(1).replace('\\\\"', '"').replace('\\"', '"')
        elif status is not None:
            message = reason.split("-+-+-")[0].strip()
    return status, (message or reason or type(exc).__name__).strip()


# -- the cluster ------------------------------------------------------------------------------


class LiveCluster:
    """One connection to a cluster, with what this session created (for cleanup) and the commands it ran."""

    def __init__(self, api_client: Any, *, context: str, server: str,
                 allowed_namespaces: Sequence[str] = DEFAULT_ALLOWED_NAMESPACES, timeout: float = 5.0,
                 read_timeout: float = 30.0, istio_namespace: str = "istio-system", cleanup_on_exit: bool = True,
                 secrets: Sequence[str] = (), context_flag: bool = False) -> None:
        self.api_client = api_client
        self.context = context
        self.server = server
        self.allowed_namespaces = tuple(allowed_namespaces)
        self.timeout = float(timeout)
        self.read_timeout = float(read_timeout)
        self.istio_namespace = istio_namespace
        self.cleanup_on_exit = cleanup_on_exit
        #: Equivalent kubectl / istioctl commands of everything done so far, in order.
        self.commands: list[str] = []
        #: Objects this session created, in creation order (what :meth:`cleanup` deletes).
        self.created: list[_Ref] = []
        #: Objects this session changed but did not create (left in place by cleanup).
        self.modified: list[_Ref] = []
        self.server_version: str | None = None
        self.last_snapshot: list[dict] = []
        self._secrets = tuple(secrets)
        self._istio: dict[str, list[str]] | None = None
        self._apis: dict[str, Any] = {}
        self._kubectl = f"kubectl --context {shlex.quote(context)}" if context_flag else "kubectl"
        self._istioctl = f"istioctl --context {shlex.quote(context)}" if context_flag else "istioctl"

    def __repr__(self) -> str:
        return f"LiveCluster(context={self.context!r}, server={self.server!r}, created={len(self.created)})"

    # -- connecting ----------------------------------------------------------
    @classmethod
    def connect(cls, kubeconfig: str | os.PathLike | None = None, context: str | None = None,
                in_cluster: bool = False, *, allowed_namespaces: Sequence[str] = DEFAULT_ALLOWED_NAMESPACES,
                timeout: float = 5.0, read_timeout: float = 30.0, istio_namespace: str = "istio-system",
                cleanup_on_exit: bool = True) -> "LiveCluster":
        """Connect through a kubeconfig (``KUBECONFIG`` or ``~/.kube/config`` by default) or the pod's
        service account, and check that the API server answers (within ``timeout`` seconds)."""
        client, config = _kube()
        configuration = client.Configuration()
        if in_cluster:
            try:
                config.load_incluster_config(client_configuration=configuration)
            except Exception:
                raise ClusterError("no in-cluster configuration: this is not a pod with a service account "
                                   "(KUBERNETES_SERVICE_HOST is not set or the token is missing); use a "
                                   "kubeconfig instead") from None
            name = "in-cluster"
        else:
            path = os.fspath(kubeconfig) if kubeconfig is not None else None
            files = [path] if path else [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p] \
                or ["~/.kube/config"]
            if not any(os.path.isfile(os.path.expanduser(f)) for f in files):
                raise ClusterError(f"no kubeconfig: {', '.join(files)} does not exist — create a cluster "
                                   "(kind create cluster, minikube start) or pass --kubeconfig FILE")
            try:
                contexts, active = config.list_kube_config_contexts(config_file=path)
            except Exception as exc:
                raise ClusterError(f"cannot read the kubeconfig {', '.join(files)}: "
                                   f"{_redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}") \
                    from None
            names = [c.get("name") for c in contexts or [] if isinstance(c, dict)]
            if context is not None and context not in names:
                raise ClusterError(f"no context {context!r} in the kubeconfig (contexts: {', '.join(names) or 'none'}; "
                                   "kubectl config get-contexts lists them)")
            if context is None and not active:
                raise ClusterError("the kubeconfig has no current context: pass --context NAME "
                                   "(kubectl config get-contexts lists them)")
            name = context or active["name"]
            try:
                config.load_kube_config(config_file=path, context=name, client_configuration=configuration,
                                        persist_config=False)
            except Exception as exc:
                text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ClusterError(f"cannot use context {name!r} of the kubeconfig: {_redact(text)}") from None
        try:  # fail fast: no retry when nothing listens or nothing answers (every wait stays bounded)
            from urllib3.util.retry import Retry

            configuration.retries = Retry(total=1, connect=0, read=0, status=0, redirect=0)
        except ImportError:  # pragma: no cover - urllib3 comes with kubernetes
            configuration.retries = 1
        live = cls(client.ApiClient(configuration), context=name, server=str(configuration.host),
                   allowed_namespaces=allowed_namespaces, timeout=timeout, read_timeout=read_timeout,
                   istio_namespace=istio_namespace, cleanup_on_exit=cleanup_on_exit,
                   secrets=_secrets_of(configuration), context_flag=context is not None)
        try:
            info = live._call("get", "the server version (/version)", None, live._api("VersionApi").get_code,
                              _request_timeout=(live.timeout, live.timeout))
        except BaseException:
            live.close()
            raise
        live.server_version = getattr(info, "git_version", None) or f"{info.major}.{info.minor}"
        return live

    def close(self) -> None:
        try:
            self.api_client.close()
        except Exception:  # pragma: no cover
            pass

    def __enter__(self) -> "LiveCluster":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.cleanup_on_exit or exc_type is not None:
                try:
                    self.cleanup()
                except ClusterError:
                    if exc_type is None:
                        raise
        finally:
            self.close()

    # -- plumbing --------------------------------------------------------------
    def _api(self, name: str) -> Any:
        if name not in self._apis:
            client, _ = _kube()
            self._apis[name] = getattr(client, name)(self.api_client)
        return self._apis[name]

    @property
    def core(self) -> Any:
        return self._api("CoreV1Api")

    @property
    def apps(self) -> Any:
        return self._api("AppsV1Api")

    @property
    def custom(self) -> Any:
        return self._api("CustomObjectsApi")

    def _redact(self, text: str) -> str:
        return _redact(text, self._secrets)

    def _record(self, command: str) -> str:
        self.commands.append(command)
        return command

    def _call(self, verb: str, resource: str, namespace: str | None, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call the API with a timeout; every failure becomes a one-line ClusterError (ApiError)."""
        kwargs.setdefault("_request_timeout", (self.timeout, self.read_timeout))
        limit = kwargs["_request_timeout"]
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - translated, never shown raw (it could carry headers)
            raise self._error(exc, verb, resource, namespace,
                              limit[1] if isinstance(limit, tuple) else limit) from None

    def _error(self, exc: Exception, verb: str, resource: str, namespace: str | None,
               read_timeout: float | None = None) -> ClusterError:
        where = f" in namespace {namespace}" if namespace else ""
        target = f"the Kubernetes API server at {self.server} (context {self.context})"
        try:
            from kubernetes.client.exceptions import ApiException
        except ImportError:  # pragma: no cover
            ApiException = ()  # type: ignore[assignment]
        if isinstance(exc, ApiException):
            status, message = _status_of(exc)
            message = self._redact(message)
            if status is None and ("Connection refused" in message or "Errno 111" in message):
                return ApiError(f"cannot reach {target}: connection refused — is the cluster running?", None)
            if status == 401:
                return ApiError(f"{target} rejected the credentials (401 Unauthorized): they expired or are "
                                "wrong — get new ones (for kind: kind export kubeconfig; for a cloud cluster: "
                                "its get-credentials command)", 401)
            if status == 403:
                ns_flag = f" -n {namespace}" if namespace else ""
                plain = resource.split(" ")[0]
                return ApiError(f"forbidden by RBAC: cannot {verb} {resource}{where}: {message} "
                                f"(check: kubectl auth can-i {verb} {plain}{ns_flag})", 403)
            istio = next((k for k, p in ISTIO_KINDS.items() if resource.startswith(p)), None)
            if status == 404 and istio and "could not find the requested resource" in message:
                return ApiError(f"the {istio} CRD ({ISTIO_KINDS[istio]}.{ISTIO_GROUP}) is not installed: "
                                f"install Istio first ({INSTALL_ISTIO})", 404)
            if status is None:
                return ApiError(f"cannot {verb} {resource}{where}: {message.splitlines()[0] if message else ''}",
                                None)
            return ApiError(f"cannot {verb} {resource}{where}: {message.splitlines()[0]} ({status})", status)
        try:
            import urllib3.exceptions as u
        except ImportError:  # pragma: no cover
            return ClusterError(self._redact(f"cannot {verb} {resource}{where}: {type(exc).__name__}"))
        reason = exc.reason if isinstance(exc, u.MaxRetryError) and exc.reason is not None else exc
        text = self._redact(str(reason))
        if isinstance(reason, u.NewConnectionError) or isinstance(reason, ConnectionRefusedError):
            if "refused" in text.lower():
                why = "connection refused — is the cluster running? (kind get clusters; minikube status)"
            elif "resolve" in text.lower() or "name or service" in text.lower() or "nodename" in text.lower():
                why = "the server's host name does not resolve — is the kubeconfig for this network?"
            else:
                why = text.split(":")[-1].strip() or "the connection failed"
            return ApiError(f"cannot reach {target}: {why}", None)
        if isinstance(reason, u.ConnectTimeoutError):
            return ApiError(f"cannot reach {target}: no answer within {self.timeout:g} s (timed out) — "
                            "is the cluster running and reachable from here (VPN, firewall)?", None)
        if isinstance(reason, (u.ReadTimeoutError, TimeoutError)):
            return ApiError(f"timed out: {target} did not answer {verb} {resource}{where} within "
                            f"{read_timeout or self.read_timeout:g} s", None)
        if isinstance(reason, (u.SSLError,)):
            return ApiError(f"cannot reach {target}: TLS failed ({text.splitlines()[0] if text else 'SSL error'})",
                            None)
        if isinstance(reason, (u.ProtocolError, u.HTTPError, OSError)):
            return ApiError(f"cannot reach {target}: the connection broke ({type(reason).__name__})", None)
        first = text.splitlines()[0] if text else ""
        return ClusterError(f"cannot {verb} {resource}{where}: {type(exc).__name__}{': ' + first if first else ''}")

    def _raw(self, verb: str, resource: str, namespace: str | None, fn: Callable, *args: Any, **kwargs: Any) -> dict:
        """The JSON of a response, without the client's model classes (faster, and exactly what the server said)."""
        response = self._call(verb, resource, namespace, fn, *args, _preload_content=False, **kwargs)
        try:
            return json.loads(response.data)
        except (ValueError, AttributeError) as exc:
            raise ClusterError(f"cannot {verb} {resource}: the server's answer is not JSON ({type(exc).__name__})") \
                from None

    def _check_allowed(self, kind: str, namespace: str, name: str) -> None:
        if namespace not in self.allowed_namespaces:
            raise WriteRefused(f"refusing to write {kind} {namespace}/{name}: namespace {namespace!r} is not in "
                               f"the allow-list ({', '.join(self.allowed_namespaces)}); pass "
                               "allowed_namespaces=... (--allow-namespace NS) to widen it")

    # -- Istio discovery ---------------------------------------------------------
    def istio_served(self, refresh: bool = False) -> dict[str, list[str]]:
        """``{plural: [served versions, preferred first]}`` of the networking.istio.io kinds the server knows."""
        if self._istio is not None and not refresh:
            return self._istio
        groups = self._call("get", "API discovery (/apis)", None, self._api("ApisApi").get_api_versions)
        versions: list[str] = []
        for group in getattr(groups, "groups", None) or []:
            if group.name == ISTIO_GROUP:
                versions = [v.version for v in group.versions or []]
        order = [v for v in ISTIO_VERSIONS if v in versions] + [v for v in versions if v not in ISTIO_VERSIONS]
        served: dict[str, list[str]] = {}
        for version in order:
            found = self._call("get", f"API discovery ({ISTIO_GROUP}/{version})", None,
                               self.custom.get_api_resources, ISTIO_GROUP, version)
            for resource in getattr(found, "resources", None) or []:
                if "/" not in resource.name:
                    served.setdefault(resource.name, []).append(version)
        self._istio = served
        return served

    def _istio_version_for(self, kind: str, wanted: str | None = None) -> str:
        plural = ISTIO_KINDS[kind]
        versions = self.istio_served().get(plural) or self.istio_served(refresh=True).get(plural)
        if not versions:
            raise ApiError(f"the {kind} CRD ({plural}.{ISTIO_GROUP}) is not installed: install Istio first "
                           f"({INSTALL_ISTIO})", 404)
        return wanted if wanted in versions else versions[0]

    def _get_istio(self, kind: str, namespace: str, name: str) -> dict | None:
        version = self._istio_version_for(kind)
        try:
            return self._call("get", ISTIO_KINDS[kind], namespace, self.custom.get_namespaced_custom_object,
                              ISTIO_GROUP, version, namespace, ISTIO_KINDS[kind], name)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    # -- preflight ---------------------------------------------------------------
    def preflight(self) -> Preflight:
        """What is there and what is missing, each missing piece with a line that fixes it."""
        k, ictl = self._kubectl, self._istioctl
        commands = [f"{k} version", f"{k} get crd sidecars.{ISTIO_GROUP}",
                    f"{k} get deployment -n {self.istio_namespace} -l app=istiod", f"{ictl} version",
                    f"{k} get configmap istio -n {self.istio_namespace} -o jsonpath='{{.data.mesh}}'",
                    f"{k} get namespace -L istio-injection -L istio.io/rev",
                    f"{k} get pod -n {LAB_INJECTED_NAMESPACE} sleep -o jsonpath='{{.spec.containers[*].name}}'"]
        for c in commands:
            self._record(c)
        items = [PreflightItem("Kubernetes API", True, f"{self.server_version} at {self.server}")]

        def forbidden(name: str, exc: ApiError, required: bool = True) -> PreflightItem:
            return PreflightItem(name, False, str(exc), "ask for read access (kubectl auth can-i --list)", required)

        # CRDs
        try:
            served = self.istio_served(refresh=True)
            sidecar = served.get("sidecars")
            items.append(PreflightItem(
                "Sidecar CRD", bool(sidecar),
                f"sidecars.{ISTIO_GROUP} served as {', '.join(sidecar)}" if sidecar
                else f"sidecars.{ISTIO_GROUP} is not installed", None if sidecar else INSTALL_ISTIO))
            missing = [f"{p}.{ISTIO_GROUP}" for p in ("serviceentries", "virtualservices") if p not in served]
            items.append(PreflightItem("other Istio CRDs", not missing,
                                       f"missing: {', '.join(missing)}" if missing
                                       else "serviceentries and virtualservices are served",
                                       INSTALL_ISTIO if missing else None))
        except ApiError as exc:
            items.append(forbidden("Sidecar CRD", exc))
        # istiod and Istio's version
        version = None
        try:
            deployments = self._raw("list", "deployments", self.istio_namespace,
                                    self.apps.list_namespaced_deployment, self.istio_namespace,
                                    label_selector="app=istiod").get("items") or []
            if deployments:
                d = deployments[0]
                version = _istio_version_of(d)
                status = d.get("status") or {}
                ready = status.get("readyReplicas") or 0
                want = (d.get("spec") or {}).get("replicas", 1)
                where = f"deployment {self.istio_namespace}/{d['metadata']['name']}"
                if "replicas" in status or "observedGeneration" in status:  # the controller reported
                    items.append(PreflightItem("istiod", ready > 0, f"{where}, {ready}/{want} ready",
                                               None if ready else f"{self._kubectl} rollout status -n "
                                               f"{self.istio_namespace} deployment/{d['metadata']['name']}"))
                else:
                    items.append(PreflightItem("istiod", True, f"{where} (readiness not reported yet)"))
            else:
                items.append(PreflightItem("istiod", False, f"no istiod deployment in {self.istio_namespace} "
                                           "(label app=istiod)", INSTALL_ISTIO))
            items.append(PreflightItem("Istio version", version is not None,
                                       version or "unknown (no istiod, or its image has no version tag)",
                                       None if version else f"{ictl} version"))
        except ApiError as exc:
            if exc.status != 403:
                raise
            items.append(forbidden("istiod", exc))
        # mesh config
        try:
            cm = self._mesh_configmap()
            if cm is None:
                items.append(PreflightItem("mesh config", False, f"no ConfigMap istio in {self.istio_namespace}: "
                                           "istiod runs on its defaults (outbound ALLOW_ANY)", INSTALL_ISTIO))
            else:
                items.append(PreflightItem("mesh config", True, _mesh_summary(cm)))
        except ApiError as exc:
            if exc.status != 403:
                raise
            items.append(forbidden("mesh config", exc, required=False))
        # injection
        try:
            namespaces = self._raw("list", "namespaces", None, self.core.list_namespace).get("items") or []
            injected = []
            for ns in namespaces:
                labels = (ns.get("metadata") or {}).get("labels") or {}
                if labels.get("istio-injection") == "enabled":
                    injected.append(f"{ns['metadata']['name']} (istio-injection=enabled)")
                elif labels.get("istio.io/rev") and labels.get("istio-injection") != "disabled":
                    injected.append(f"{ns['metadata']['name']} (istio.io/rev={labels['istio.io/rev']})")
            items.append(PreflightItem("injection", bool(injected),
                                       "injected namespaces: " + (", ".join(injected) if injected else "none"),
                                       None if injected else
                                       f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled",
                                       required=False))
            names = {(ns.get("metadata") or {}).get("name"): ns for ns in namespaces}
            lab_ns = names.get(LAB_INJECTED_NAMESPACE)
            if lab_ns is None:
                items.append(PreflightItem("lab namespace", False, f"namespace {LAB_INJECTED_NAMESPACE} does not exist",
                                           "sidecar-lab live deploy", required=False))
            else:
                labelled = ((lab_ns.get("metadata") or {}).get("labels") or {}).get("istio-injection") == "enabled"
                items.append(PreflightItem(
                    "lab namespace", labelled,
                    f"{LAB_INJECTED_NAMESPACE} {'is' if labelled else 'is not'} labelled istio-injection=enabled",
                    None if labelled else f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled",
                    required=False))
                items.append(self._sleep_item())
        except ApiError as exc:
            if exc.status != 403:
                raise
            items.append(forbidden("injection", exc, required=False))
        return Preflight(self.context, self.server, tuple(items), tuple(commands), version)

    def _sleep_item(self) -> PreflightItem:
        try:
            pod = self._raw("get", "pods", LAB_INJECTED_NAMESPACE, self.core.read_namespaced_pod, "sleep",
                            LAB_INJECTED_NAMESPACE)
        except ApiError as exc:
            if exc.status == 404:
                return PreflightItem("sleep pod", False, f"no pod {LAB_INJECTED_NAMESPACE}/sleep",
                                     "sidecar-lab live deploy", required=False)
            raise
        containers = _container_names(pod)
        phase = (pod.get("status") or {}).get("phase", "Unknown")
        if "istio-proxy" not in containers:
            return PreflightItem("sleep pod", False, f"{LAB_INJECTED_NAMESPACE}/sleep ({phase}) has no istio-proxy "
                                 "container: it was created before the namespace was labelled",
                                 f"{self._kubectl} delete pod -n {LAB_INJECTED_NAMESPACE} sleep && "
                                 "sidecar-lab live deploy", required=False)
        return PreflightItem("sleep pod", phase == "Running",
                             f"{LAB_INJECTED_NAMESPACE}/sleep is {phase}, containers {', '.join(containers)}",
                             None if phase == "Running" else
                             f"{self._kubectl} describe pod -n {LAB_INJECTED_NAMESPACE} sleep", required=False)

    def _mesh_configmap(self) -> dict | None:
        """The ConfigMap istiod reads its mesh config from (``istio``, or a revision's ``istio-REV``)."""
        ns = self.istio_namespace
        try:
            return self._raw("get", "configmaps", ns, self.core.read_namespaced_config_map, "istio", ns)
        except ApiError as exc:
            if exc.status != 404:
                raise
        try:
            listed = self._raw("list", "configmaps", ns, self.core.list_namespaced_config_map, ns,
                               label_selector="istio.io/rev")
        except ApiError as exc:
            if exc.status == 404:  # the namespace itself is missing
                return None
            raise
        for cm in listed.get("items") or []:
            if cm["metadata"]["name"].startswith("istio-") and "mesh" in (cm.get("data") or {}):
                return cm
        return None

    # -- snapshot ------------------------------------------------------------------
    def snapshot_objects(self) -> tuple[list[dict], list[str]]:
        """The objects the simulator reads, pruned to the fields it uses, and notes on what is missing."""
        objects: list[dict] = []
        notes: list[str] = []
        k = self._kubectl
        self._record(f"{k} get namespaces,pods,services,deployments,statefulsets,daemonsets -A -o yaml")
        self._record(f"{k} get sidecars.{ISTIO_GROUP},serviceentries.{ISTIO_GROUP},virtualservices.{ISTIO_GROUP} "
                     "-A -o yaml")
        self._record(f"{k} get configmap istio -n {self.istio_namespace} -o yaml")

        def listed(resource: str, fn: Callable, kind: str, api_version: str, optional: bool = False) -> None:
            try:
                data = self._raw("list", resource, None, fn)
            except ApiError as exc:
                if optional and exc.status in (403, 404):
                    notes.append(f"{resource} not read ({exc}); the snapshot has none")
                    return
                raise
            for item in data.get("items") or []:
                item = dict(item, apiVersion=api_version, kind=kind)
                objects.append(_prune(item))

        core, apps = self.core, self.apps
        listed("namespaces", core.list_namespace, "Namespace", "v1")
        listed("pods", core.list_pod_for_all_namespaces, "Pod", "v1")
        listed("services", core.list_service_for_all_namespaces, "Service", "v1")
        listed("deployments", apps.list_deployment_for_all_namespaces, "Deployment", "apps/v1", optional=True)
        listed("statefulsets", apps.list_stateful_set_for_all_namespaces, "StatefulSet", "apps/v1", optional=True)
        listed("daemonsets", apps.list_daemon_set_for_all_namespaces, "DaemonSet", "apps/v1", optional=True)
        cm = None
        try:
            cm = self._mesh_configmap()
            if cm is None:
                notes.append(f"no mesh config ConfigMap in {self.istio_namespace}: the mesh defaults are assumed "
                             "(outbound ALLOW_ANY)")
        except ApiError as exc:
            if exc.status != 403:
                raise
            notes.append(f"the mesh config was not read ({exc}); the mesh defaults are assumed")
        if cm is not None:
            cm = _prune(dict(cm, apiVersion="v1", kind="ConfigMap"))
            if cm["metadata"]["name"] != "istio":
                notes.append(f"mesh config read from ConfigMap {self.istio_namespace}/{cm['metadata']['name']}")
                cm["metadata"]["name"] = "istio"
            objects.append(cm)
        served = self.istio_served(refresh=True)
        for kind, plural in ISTIO_KINDS.items():
            versions = served.get(plural)
            if not versions:
                notes.append(f"the {kind} CRD ({plural}.{ISTIO_GROUP}) is not installed: no {kind}s read")
                continue
            try:
                data = self._call("list", plural, None, self.custom.list_cluster_custom_object, ISTIO_GROUP,
                                  versions[0], plural)
            except ApiError as exc:
                if exc.status == 404:
                    notes.append(f"the {kind} CRD ({plural}.{ISTIO_GROUP}) is not installed: no {kind}s read")
                    continue
                raise
            for item in data.get("items") or []:
                item = dict(item)
                item.setdefault("apiVersion", f"{ISTIO_GROUP}/{versions[0]}")
                item.setdefault("kind", kind)
                objects.append(_prune(item))
        objects = _without_controllers_of_listed_pods(objects, notes)
        self.last_snapshot = objects
        return objects, notes

    def snapshot(self) -> Any:
        """A :class:`~sidecar_lab.core.model.Mesh` of the cluster, as :func:`sidecar_lab.load` makes from files."""
        objects, notes = self.snapshot_objects()
        return mesh_from_objects(objects, f"cluster {self.context}", notes)

    def snapshot_yaml(self) -> str:
        """The last snapshot (or a new one) as YAML manifests that ``sidecar-lab resolve/check/matrix`` load."""
        objects = self.last_snapshot or self.snapshot_objects()[0]
        return snapshot_yaml(objects, self.context, self.server)

    # -- writing Istio objects ------------------------------------------------------
    def apply(self, source: Any, *, dry_run_first: bool = True, dry_run_only: bool = False) -> list[ApplyResult]:
        """Apply every Istio networking object (Sidecar, ServiceEntry, VirtualService) of a dict, a list,
        YAML text or a file path; each is checked against the allow-list before any request."""
        objects, origin = _objects_from(source)
        for obj in objects:  # refuse before writing anything
            kind, ns, name = _identity(obj)
            if kind not in ISTIO_KINDS:
                raise UsageError(f"live apply writes Istio networking objects ({', '.join(ISTIO_KINDS)}); "
                                 f"{kind} {ns}/{name} is not one (use kubectl apply for it)")
            self._check_allowed(kind, ns, name)
        results = [self._apply_one(obj, origin, dry_run_first, dry_run_only, record=origin is None) for obj in objects]
        if origin:  # one file, one kubectl command (as a learner would type it)
            command = f"{self._kubectl} apply -f {shlex.quote(origin)}"
            if dry_run_first or dry_run_only:
                self._record(command.replace(" apply ", " apply --dry-run=server ", 1))
            if not dry_run_only:
                self._record(command)
        return results

    def apply_sidecar(self, obj_or_yaml: Any, *, dry_run_first: bool = True,
                      dry_run_only: bool = False) -> ApplyResult:
        """Create or replace one Sidecar: a server-side dry run first, then the real write.

        An admission denial is not an exception: ``ApplyResult(ok=False, messages=[webhook text])``.
        """
        objects, origin = _objects_from(obj_or_yaml)
        if len(objects) != 1 or objects[0].get("kind") != "Sidecar":
            kinds = ", ".join(str(o.get("kind")) for o in objects) or "nothing"
            raise UsageError(f"apply_sidecar takes exactly one Sidecar, got {kinds} (use apply() for several)")
        kind, ns, name = _identity(objects[0])
        self._check_allowed(kind, ns, name)
        return self._apply_one(objects[0], origin, dry_run_first, dry_run_only)

    def _apply_one(self, obj: dict, origin: str | None, dry_run_first: bool, dry_run_only: bool,
                   record: bool = True) -> ApplyResult:
        kind, ns, name = _identity(obj)
        remember = self._record if record else (lambda command: command)
        self._check_allowed(kind, ns, name)
        plural = ISTIO_KINDS[kind]
        wanted = str(obj.get("apiVersion", "")).rpartition("/")[2] or None
        version = self._istio_version_for(kind, wanted)
        body = _write_body(obj)
        body["apiVersion"] = f"{ISTIO_GROUP}/{version}"
        body["metadata"]["namespace"] = ns
        predicted: tuple[str, ...] = ()
        if kind == "Sidecar":
            from ..core.validation import validate_sidecar

            predicted = tuple(m.message for m in validate_sidecar(body.get("spec") or {}, ns) if m.level == "Error")
        if origin:
            command = f"{self._kubectl} apply -f {shlex.quote(origin)}"
        else:
            command = f"{self._kubectl} apply -f - <<'EOF'\n{_yaml_dump(body).rstrip()}\nEOF"
        existing = self._get_istio(kind, ns, name)
        c = self.custom
        if existing is None:
            body["metadata"].setdefault("labels", {})[MANAGED_BY] = MANAGER

            def write(dry: bool) -> Any:
                return c.create_namespaced_custom_object(ISTIO_GROUP, version, ns, plural, body,
                                                         **({"dry_run": "All"} if dry else {}))
            action, verb = "created", "create"
        else:
            labels = dict((existing.get("metadata") or {}).get("labels") or {})
            labels.update(body["metadata"].get("labels") or {})
            body["metadata"]["labels"] = labels
            annotations = dict((existing.get("metadata") or {}).get("annotations") or {})
            annotations.update(body["metadata"].get("annotations") or {})
            annotations.pop(_LAST_APPLIED, None)
            if annotations:
                body["metadata"]["annotations"] = annotations
            if existing.get("spec") == body.get("spec") and \
                    ((existing.get("metadata") or {}).get("labels") or {}) == labels:
                generation = (existing.get("metadata") or {}).get("generation")
                return ApplyResult(True, kind, ns, name, "unchanged", (), predicted, generation, dry_run_only,
                                   remember(command))
            body["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion")

            def write(dry: bool) -> Any:
                return c.replace_namespaced_custom_object(ISTIO_GROUP, version, ns, plural, name, body,
                                                          **({"dry_run": "All"} if dry else {}))
            action, verb = "configured", "update"
        if dry_run_first or dry_run_only:
            remember(command.replace(" apply ", " apply --dry-run=server ", 1))
            denied = self._write(verb, plural, ns, lambda: write(True))
            if isinstance(denied, tuple):
                return ApplyResult(False, kind, ns, name, "denied", denied, predicted, None, True, command)
            if dry_run_only:
                return ApplyResult(True, kind, ns, name, f"{action} (server dry run)", (), predicted,
                                   (denied.get("metadata") or {}).get("generation"), True, command)
        result = self._write(verb, plural, ns, lambda: write(False))
        remember(command)
        if isinstance(result, tuple):
            return ApplyResult(False, kind, ns, name, "denied", result, predicted, None, False, command)
        ref = _Ref(kind, ns, name)
        if existing is None:
            self.created.append(ref)
        elif MANAGED_BY not in ((existing.get("metadata") or {}).get("labels") or {}) and ref not in self.modified \
                and ref not in self.created:
            self.modified.append(ref)
        return ApplyResult(True, kind, ns, name, action, (), predicted,
                           (result.get("metadata") or {}).get("generation"), False, command)

    def _write(self, verb: str, plural: str, namespace: str, fn: Callable[[], Any]) -> Any:
        """The server's answer, or a tuple of messages when it refused the object (400/422: admission, schema)."""
        from kubernetes.client.exceptions import ApiException

        try:
            return fn()
        except ApiException as exc:
            status, message = _status_of(exc)
            if status in (400, 422):
                return tuple(_denial_messages(self._redact(message)))
            raise self._error(exc, verb, plural, namespace) from None
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, verb, plural, namespace) from None

    def patch_sidecar(self, namespace: str, name: str, patch: Mapping, *, dry_run_first: bool = True) -> ApplyResult:
        """A JSON merge patch of one Sidecar (``{"spec": {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}}``)."""
        self._check_allowed("Sidecar", namespace, name)
        version = self._istio_version_for("Sidecar")
        command = self._record(f"{self._kubectl} patch sidecar -n {namespace} {name} --type merge -p "
                               f"{shlex.quote(json.dumps(patch, separators=(',', ':')))}")
        c = self.custom

        def write(dry: bool) -> Any:
            return c.patch_namespaced_custom_object(ISTIO_GROUP, version, namespace, "sidecars", name, dict(patch),
                                                    _content_type="application/merge-patch+json",
                                                    **({"dry_run": "All"} if dry else {}))
        if dry_run_first:
            denied = self._write("patch", "sidecars", namespace, lambda: write(True))
            if isinstance(denied, tuple):
                return ApplyResult(False, "Sidecar", namespace, name, "denied", denied, (), None, True, command)
        result = self._write("patch", "sidecars", namespace, lambda: write(False))
        if isinstance(result, tuple):
            return ApplyResult(False, "Sidecar", namespace, name, "denied", result, (), None, False, command)
        ref = _Ref("Sidecar", namespace, name)
        if ref not in self.created and ref not in self.modified and \
                MANAGED_BY not in ((result.get("metadata") or {}).get("labels") or {}):
            self.modified.append(ref)
        return ApplyResult(True, "Sidecar", namespace, name, "patched", (), (),
                           (result.get("metadata") or {}).get("generation"), False, command)

    def delete_sidecar(self, namespace: str, name: str) -> DeleteResult:
        return self.delete_istio("Sidecar", namespace, name)

    def delete_istio(self, kind: str, namespace: str, name: str) -> DeleteResult:
        """Delete one Sidecar (ServiceEntry, VirtualService); a missing one is ``action="absent"``."""
        if kind not in ISTIO_KINDS:
            raise UsageError(f"delete_istio deletes {', '.join(ISTIO_KINDS)}, not {kind}")
        self._check_allowed(kind, namespace, name)
        version = self._istio_version_for(kind)
        command = self._record(f"{self._kubectl} delete {kind.lower()} -n {namespace} {name}")
        ref = _Ref(kind, namespace, name)
        try:
            self._call("delete", ISTIO_KINDS[kind], namespace, self.custom.delete_namespaced_custom_object,
                       ISTIO_GROUP, version, namespace, ISTIO_KINDS[kind], name)
            action = "deleted"
        except ApiError as exc:
            if exc.status != 404:
                raise
            action = "absent"
        if ref in self.created:
            self.created.remove(ref)
        return DeleteResult(True, kind, namespace, name, action, command)

    def managed_istio_objects(self, kind: str = "Sidecar") -> list[tuple[str, str]]:
        """``(namespace, name)`` of the objects of ``kind`` labelled managed-by sidecar-lab in allowed namespaces."""
        plural = ISTIO_KINDS[kind]
        versions = self.istio_served().get(plural)
        if not versions:
            return []
        out = []
        for ns in self.allowed_namespaces:
            data = self._call("list", plural, ns, self.custom.list_namespaced_custom_object, ISTIO_GROUP,
                              versions[0], ns, plural, label_selector=MANAGED_SELECTOR)
            out += [(ns, item["metadata"]["name"]) for item in data.get("items") or []]
        return out

    # -- the seed lab ----------------------------------------------------------------
    def deploy_seed_lab(self, *, dry_run_first: bool = True) -> DeployResult:
        """Create the seed's lab: namespace istioinaction (injected), httpbin in istioinaction and default,
        the sleep pod. Never Istio itself (``istio-system`` is left alone)."""
        from ..core.resources import data_dir
        from ..core.yamlio import read_documents

        base = data_dir() / "seed" / "cluster"
        objects = []
        for filename in _SEED_LAB_FILES:
            path = base / filename
            objects += [d.data for d in read_documents(path.read_text(encoding="utf-8"), str(path))
                        if isinstance(d.data, dict)]
        objects = [o for o in objects if not (o.get("kind") == "Namespace" and
                                              (o.get("metadata") or {}).get("name") == self.istio_namespace)]
        for obj in objects:  # refuse before writing anything
            kind, ns, name = _identity(obj)
            self._check_allowed(kind, name if kind == "Namespace" else ns, name)
        k = self._kubectl
        commands = [self._record(f"{k} create namespace {LAB_INJECTED_NAMESPACE}"),
                    self._record(f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled --overwrite"),
                    self._record(f"{k} apply -n {LAB_INJECTED_NAMESPACE} -f {_HTTPBIN_URL}"),
                    self._record(f"{k} apply -n default -f {_HTTPBIN_URL}"),
                    self._record(f"{k} run -n {LAB_INJECTED_NAMESPACE} sleep --image=nginx:alpine -- sleep 1d")]
        created, existing, changed = [], [], []
        for obj in objects:
            kind, ns, name = _identity(obj)
            if kind == "Namespace":
                outcome = self._ensure_namespace(obj, dry_run_first)
            else:
                outcome = self._create_core(kind, ns, obj, dry_run_first)
            label = f"{kind} {name}" if kind == "Namespace" else f"{kind} {ns}/{name}"
            {"created": created, "existing": existing, "changed": changed}[outcome].append(label)
        return DeployResult(tuple(created), tuple(existing), tuple(changed), tuple(commands))

    def _ensure_namespace(self, obj: dict, dry_run_first: bool) -> str:
        name = obj["metadata"]["name"]
        labels = dict((obj.get("metadata") or {}).get("labels") or {})
        try:
            current = self._raw("get", "namespaces", None, self.core.read_namespace, name)
        except ApiError as exc:
            if exc.status != 404:
                raise
            body = {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": name, "labels": {**labels, MANAGED_BY: MANAGER}}}
            if dry_run_first:
                self._call("create", "namespaces", None, self.core.create_namespace, body, dry_run="All")
            self._call("create", "namespaces", None, self.core.create_namespace, body)
            self.created.append(_Ref("Namespace", "", name))
            return "created"
        have = (current.get("metadata") or {}).get("labels") or {}
        missing = {k: v for k, v in labels.items() if have.get(k) != v}
        if not missing:
            return "existing"
        self._call("patch", "namespaces", None, self.core.patch_namespace, name, {"metadata": {"labels": missing}},
                   _content_type="application/merge-patch+json")
        ref = _Ref("Namespace", "", name)
        if ref not in self.modified:
            self.modified.append(ref)
        return "changed"

    def _core_api(self, kind: str) -> tuple[str, Callable, Callable, Callable]:
        """(plural, create, delete, list) of a namespaced built-in kind the lab uses."""
        core, apps = self.core, self.apps
        table = {
            "ServiceAccount": ("serviceaccounts", core.create_namespaced_service_account,
                               core.delete_namespaced_service_account, core.list_namespaced_service_account),
            "Service": ("services", core.create_namespaced_service, core.delete_namespaced_service,
                        core.list_namespaced_service),
            "Pod": ("pods", core.create_namespaced_pod, core.delete_namespaced_pod, core.list_namespaced_pod),
            "Deployment": ("deployments", apps.create_namespaced_deployment, apps.delete_namespaced_deployment,
                           apps.list_namespaced_deployment),
        }
        if kind not in table:
            raise UsageError(f"sidecar-lab does not create {kind} objects")
        return table[kind]

    def _create_core(self, kind: str, namespace: str, obj: dict, dry_run_first: bool) -> str:
        plural, create, _, _ = self._core_api(kind)
        body = _write_body(obj)
        body["metadata"]["namespace"] = namespace
        body["metadata"].setdefault("labels", {})[MANAGED_BY] = MANAGER
        if kind == "Service":  # the seed's made-up cluster IPs may be outside this cluster's range
            (body.get("spec") or {}).pop("clusterIP", None)
            (body.get("spec") or {}).pop("clusterIPs", None)
        try:
            if dry_run_first:
                self._call("create", plural, namespace, create, namespace, body, dry_run="All")
            self._call("create", plural, namespace, create, namespace, body)
        except ApiError as exc:
            if exc.status == 409:
                return "existing"
            raise
        self.created.append(_Ref(kind, namespace, body["metadata"]["name"]))
        return "created"

    def wait_for_lab(self, *, timeout: float = 180.0, poll: float = 2.0, progress: Progress | None = None) -> WaitResult:
        """Wait (bounded) until the sleep pod and an httpbin pod in each namespace are Running and ready."""
        start = time.monotonic()
        cmd = self._record(f"{self._kubectl} wait --for=condition=Ready pod -n {LAB_INJECTED_NAMESPACE} "
                           f"--all --timeout={int(timeout)}s")
        wanted = [(LAB_INJECTED_NAMESPACE, "run=sleep"), (LAB_INJECTED_NAMESPACE, "app=httpbin"),
                  ("default", "app=httpbin")]
        while True:
            missing = []
            for ns, selector in wanted:
                pods = self._raw("list", "pods", ns, self.core.list_namespaced_pod, ns,
                                 label_selector=selector).get("items") or []
                if not any(_pod_ready(p) for p in pods):
                    missing.append(f"{ns} {selector}")
            elapsed = time.monotonic() - start
            if not missing:
                return WaitResult(True, elapsed, ("the lab's pods are Running and ready",), (), None, "", (cmd,))
            if elapsed >= timeout:
                return WaitResult(False, elapsed, (), (), None,
                                  f"timed out after {timeout:g} s: not ready: {', '.join(missing)} "
                                  f"(kubectl get pods -n {LAB_INJECTED_NAMESPACE}; kubectl describe pod ...)", (cmd,))
            if progress:
                progress(f"waiting for pods: {', '.join(missing)}", elapsed)
            time.sleep(min(poll, max(0.0, timeout - elapsed)))

    # -- exec -----------------------------------------------------------------------------
    def _pod(self, namespace: str, pod: str) -> dict:
        try:
            return self._raw("get", "pods", namespace, self.core.read_namespaced_pod, pod, namespace)
        except ApiError as exc:
            if exc.status == 404:
                raise ApiError(f"no pod {namespace}/{pod} (kubectl get pods -n {namespace})", 404) from None
            raise

    def exec_command(self, namespace: str, pod: str, command: Sequence[str], *, container: str | None = None,
                     timeout: float = 15.0, pod_object: dict | None = None) -> ExecResult:
        """Run a command in a pod over the client's WebSocket stream; stdout, stderr and the exit code."""
        from kubernetes.stream import stream

        obj = pod_object if pod_object is not None else self._pod(namespace, pod)
        names = _container_names(obj)
        if container is None:
            container = _default_container(obj)
        elif container not in names + _container_names(obj, init=True):
            raise UsageError(f"pod {namespace}/{pod} has no container {container!r} (containers: {', '.join(names)})")
        shown = f"{self._kubectl} exec -n {namespace} {pod} -c {container} -- {shlex.join(command)}"
        self._record(shown)
        import websocket

        previous = websocket.getdefaulttimeout()
        websocket.setdefaulttimeout(max(self.timeout, 1.0))  # bounds the handshake and each read
        try:
            resp = self._call("create", "pods/exec", namespace, stream, self.core.connect_get_namespaced_pod_exec,
                              pod, namespace, command=list(command), container=container, stderr=True, stdin=False,
                              stdout=True, tty=False, _preload_content=False, _request_timeout=None)
        finally:
            websocket.setdefaulttimeout(previous)
        try:
            resp.run_forever(timeout=timeout)
            timed_out = resp.is_open()
            stdout = resp.read_stdout(timeout=0) or ""
            stderr = resp.read_stderr(timeout=0) or ""
            code = None
            if not timed_out:
                try:
                    code = resp.returncode
                except Exception:  # noqa: BLE001 - an old protocol sends no status on success
                    code = 0 if not stderr else None
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "create", "pods/exec", namespace) from None
        finally:
            try:
                resp.close()
            except Exception:  # noqa: BLE001
                pass
        return ExecResult(stdout, stderr, code, timed_out, "istio-proxy" in _container_names(obj, init=True),
                          namespace, pod, container, shown)

    def exec_curl(self, namespace: str, pod: str, url: str, container: str | None = None,
                  args: Sequence[str] = ("-s",), timeout: float = 15.0) -> ExecResult:
        """``kubectl exec -n NS POD -c CONTAINER -- curl ARGS URL``: what curl printed and its exit code."""
        return self.exec_command(namespace, pod, ["curl", *args, url], container=container, timeout=timeout)

    # -- waiting for the proxy ---------------------------------------------------------------
    def proxy_mark(self, pod: str) -> ProxyMark | None:
        """Envoy's xDS update counters of ``NS/POD`` now (through ``pilot-agent request GET stats``), or None
        when they cannot be read (no istio-proxy container, no pilot-agent, exec forbidden)."""
        namespace, name = _split_ref(pod)
        try:
            obj = self._pod(namespace, name)
            if "istio-proxy" not in _container_names(obj, init=True):
                return None
            result = self.exec_command(namespace, name, ["pilot-agent", "request", "GET", "stats?filter=update_success"],
                                       container="istio-proxy", timeout=10, pod_object=obj)
        except ClusterError:
            return None
        if result.exit_code != 0:
            return None
        counters = {}
        for line in result.stdout.splitlines():
            m = re.match(r"^(\S*update_success):\s*(\d+)\s*$", line.strip())
            if m:
                counters[m.group(1)] = int(m.group(2))
        return ProxyMark(pod, counters) if counters else None

    def wait_for_config(self, changes: Iterable[Any] = (), *, pod: str | None = None, since: ProxyMark | None = None,
                        timeout: float = 30.0, settle: float = 2.0, poll: float = 0.5,
                        progress: Progress | None = None) -> WaitResult:
        """Wait, bounded by ``timeout`` seconds, until the changes have most likely reached the proxies.

        What it checks, in order:

        1. the API server shows each applied object at the generation the write returned (and each
           deleted object gone);
        2. when istiod writes status (``status.observedGeneration``, only with ``PILOT_ENABLE_STATUS``),
           that istiod has seen that generation;
        3. with ``pod`` and a :meth:`proxy_mark` taken *before* the change (``since``), that the pod's
           Envoy has accepted new xDS updates since (its ``update_success`` counters grew);
        4. then ``settle`` more seconds, for istiod's debounce (100 ms to 10 s) and Envoy's drain.

        What it cannot know without ``istioctl proxy-status``: that the update the proxy accepted is the
        one carrying this change (a push for another reason also counts), nor, without step 3, that a
        push reached the proxy at all; hence the settle time.
        """
        start = time.monotonic()
        deadline = start + timeout
        stages: list[str] = []
        notes: list[str] = []
        commands = [self._record(f"{self._istioctl} proxy-status")]

        def report(message: str) -> None:
            if progress:
                progress(message, time.monotonic() - start)

        def result(ok: bool, message: str = "", proxy: bool | None = None) -> WaitResult:
            return WaitResult(ok, time.monotonic() - start, tuple(stages), tuple(notes), proxy, message,
                              tuple(commands))

        pending = [_change(c) for c in changes]
        pending = [c for c in pending if c is not None]
        seen: dict[tuple, dict] = {}
        if pending:
            for kind, ns, name, _, _ in pending:
                commands.append(self._record(f"{self._kubectl} get {kind.lower()} -n {ns} {name} "
                                             "-o jsonpath='{.metadata.generation}'"))
        while pending:
            still = []
            for change in pending:
                kind, ns, name, generation, deleted = change
                obj = self._get_istio(kind, ns, name)
                if deleted:
                    done = obj is None
                else:
                    have = (obj or {}).get("metadata", {}).get("generation")
                    done = obj is not None and (generation is None or (have or 0) >= generation)
                if done:
                    if obj is not None:
                        seen[(kind, ns, name)] = obj
                else:
                    still.append(change)
            pending = still
            if not pending:
                break
            if time.monotonic() >= deadline:
                refs = ", ".join(f"{k} {n}/{m}" for k, n, m, _, _ in pending)
                return result(False, f"timed out after {timeout:g} s waiting for the API server to show {refs}")
            report("waiting for the API server to show " + ", ".join(f"{n}/{m}" for _, n, m, _, _ in pending))
            time.sleep(poll)
        if seen:
            stages.append("the API server has " + ", ".join(
                f"{k} {n}/{m} (generation {o.get('metadata', {}).get('generation')})" for (k, n, m), o in seen.items()))
        with_status = {key: obj for key, obj in seen.items() if _observed_generation(obj) is not None}
        if seen and not with_status:
            notes.append("istiod writes no status on these objects (status.observedGeneration is absent: it does "
                         "only with PILOT_ENABLE_STATUS=true), so the API cannot tell whether istiod processed them")
        while with_status:
            behind = {key: obj for key, obj in with_status.items()
                      if (_observed_generation(obj) or 0) < (obj.get("metadata", {}).get("generation") or 0)}
            if not behind:
                stages.append("istiod reports it has processed " + ", ".join(f"{n}/{m}" for _, n, m in with_status))
                break
            if time.monotonic() >= deadline:
                return result(False, f"timed out after {timeout:g} s waiting for istiod to process "
                              + ", ".join(f"{n}/{m}" for _, n, m in behind))
            report("waiting for istiod to process " + ", ".join(f"{n}/{m}" for _, n, m in behind))
            time.sleep(poll)
            with_status = {key: (self._get_istio(key[0], key[1], key[2]) or obj) for key, obj in with_status.items()}
        proxy_updated = None
        if pod is not None and since is not None:
            ns, name = _split_ref(pod)
            commands.append(self._record(f"{self._kubectl} exec -n {ns} {name} -c istio-proxy -- pilot-agent request "
                                         "GET 'stats?filter=update_success'"))
            proxy_updated = False
            while True:
                now = self.proxy_mark(pod)
                if now is None:
                    notes.append(f"the xDS counters of {pod} could not be read; the settle time stands in for them")
                    proxy_updated = None
                    break
                if now.total > since.total:
                    stages.append(f"the proxy of {pod} accepted {now.total - since.total} new xDS update(s)")
                    proxy_updated = True
                    break
                if time.monotonic() >= deadline:
                    notes.append(f"the proxy of {pod} accepted no new configuration within {timeout:g} s: the "
                                 "change may not concern it, or the push is late (istioctl proxy-status)")
                    break
                report(f"waiting for the proxy of {pod} to accept the new configuration")
                time.sleep(poll)
        elif pod is not None:
            notes.append(f"no proxy_mark() of {pod} was taken before the change, so its xDS counters were not compared")
        remaining = min(settle, max(0.0, deadline - time.monotonic()))
        end = time.monotonic() + remaining
        while time.monotonic() < end:
            report(f"letting the configuration settle ({settle:g} s)")
            time.sleep(min(0.25, max(0.0, end - time.monotonic())))
        if settle:
            stages.append(f"waited {remaining:.1f} s more for istiod's debounce and the push")
        return result(True, "", proxy_updated)

    # -- cleanup ---------------------------------------------------------------------------
    def _delete_ref(self, ref: _Ref) -> bool:
        """Delete one object; False when it was already gone."""
        try:
            if ref.kind in ISTIO_KINDS:
                version = self._istio_version_for(ref.kind)
                self._call("delete", ISTIO_KINDS[ref.kind], ref.namespace, self.custom.delete_namespaced_custom_object,
                           ISTIO_GROUP, version, ref.namespace, ISTIO_KINDS[ref.kind], ref.name)
            elif ref.kind == "Namespace":
                self._call("delete", "namespaces", None, self.core.delete_namespace, ref.name)
            else:
                plural, _, delete, _ = self._core_api(ref.kind)
                self._call("delete", plural, ref.namespace, delete, ref.name, ref.namespace)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _delete_command(self, ref: _Ref) -> str:
        if ref.kind == "Namespace":
            return f"{self._kubectl} delete namespace {ref.name}"
        return f"{self._kubectl} delete {ref.kind.lower()} -n {ref.namespace} {ref.name}"

    def cleanup(self) -> CleanupResult:
        """Delete everything this session created, newest first (namespaces last); errors are collected."""
        deleted, errors, commands = [], [], []
        for ref in sorted(reversed(self.created), key=lambda r: r.kind == "Namespace"):
            commands.append(self._record(self._delete_command(ref)))
            try:
                if self._delete_ref(ref):
                    deleted.append(str(ref))
            except ClusterError as exc:
                errors.append(f"{ref}: {exc}")
                if getattr(exc, "status", 0) is None:  # the cluster is gone: do not try every object
                    break
        self.created = []
        kept = tuple(str(r) for r in self.modified)
        return CleanupResult(tuple(deleted), kept, tuple(errors), tuple(commands))

    def cleanup_labelled(self) -> CleanupResult:
        """Delete every object labelled ``app.kubernetes.io/managed-by=sidecar-lab`` in the allowed namespaces
        (and those namespaces themselves when sidecar-lab created them)."""
        deleted, errors, commands = [], [], []
        served = self.istio_served(refresh=True)
        istio = [(kind, plural) for kind, plural in ISTIO_KINDS.items() if plural in served]
        kinds = ",".join([f"{p}.{ISTIO_GROUP}" for _, p in istio] + ["deployments", "services", "serviceaccounts",
                                                                       "pods"])
        for ns in self.allowed_namespaces:
            commands.append(self._record(f"{self._kubectl} delete {kinds} -n {ns} -l {MANAGED_SELECTOR}"))
            refs: list[_Ref] = []
            try:
                for kind, plural in istio:
                    data = self._call("list", plural, ns, self.custom.list_namespaced_custom_object, ISTIO_GROUP,
                                      served[plural][0], ns, plural, label_selector=MANAGED_SELECTOR)
                    refs += [_Ref(kind, ns, i["metadata"]["name"]) for i in data.get("items") or []]
                for kind in ("Deployment", "Service", "ServiceAccount", "Pod"):
                    plural, _, _, lister = self._core_api(kind)
                    data = self._raw("list", plural, ns, lister, ns, label_selector=MANAGED_SELECTOR)
                    refs += [_Ref(kind, ns, i["metadata"]["name"]) for i in data.get("items") or []]
            except ApiError as exc:
                if exc.status == 404:  # the namespace does not exist
                    continue
                errors.append(f"namespace {ns}: {exc}")
                continue
            for ref in refs:
                try:
                    if self._delete_ref(ref):
                        deleted.append(str(ref))
                except ClusterError as exc:
                    errors.append(f"{ref}: {exc}")
        commands.append(self._record(f"{self._kubectl} delete namespace -l {MANAGED_SELECTOR}"))
        data = self._raw("list", "namespaces", None, self.core.list_namespace, label_selector=MANAGED_SELECTOR)
        for item in data.get("items") or []:
            name = item["metadata"]["name"]
            if name not in self.allowed_namespaces:
                continue  # never outside the allow-list, whatever its labels say
            try:
                if self._delete_ref(_Ref("Namespace", "", name)):
                    deleted.append(f"Namespace {name}")
            except ClusterError as exc:
                errors.append(f"Namespace {name}: {exc}")
        self.created = [r for r in self.created if str(r) not in deleted]
        return CleanupResult(tuple(deleted), (), tuple(errors), tuple(commands))

    # -- predict vs observe ------------------------------------------------------------------
    def check(self, source: str, target: str, *, args: Sequence[str] = ("-s",), container: str | None = None,
              timeout: float = 15.0, mesh: Any = None) -> tuple[Any, ExecResult, Comparison]:
        """Predict ``source`` → ``target`` on a snapshot, run the real curl, and compare.

        ``source`` is ``NS/NAME`` of a pod, or of a controller (one of its pods runs curl)."""
        from ..core.resolver import Simulator
        from ..core.traffic import check as predict_check, parse_target

        parse_target(target)
        sim = Simulator(mesh if mesh is not None else self.snapshot())
        predicted = predict_check(sim, source, target)
        w = predicted.source
        pod = w.name
        if w.kind != "Pod":
            pods = [p for p in sim.mesh.workloads if p.kind == "Pod" and p.namespace == w.namespace
                    and w.labels and all(p.labels.get(k) == v for k, v in w.labels.items())]
            if not pods:
                raise UsageError(f"{w.kind} {w.namespace}/{w.name} has no pod to run curl in")
            pod = sorted(pods, key=lambda p: p.name)[0].name
        observed = self.exec_curl(w.namespace, pod, target, container=container, args=args, timeout=timeout)
        self._record(f"{self._istioctl} proxy-config listener {pod}.{w.namespace} --port "
                     f"{predicted.target.port}")
        return predicted, observed, compare(predicted, observed)

    def walk(self, steps: Sequence[str] | None = None, *, timeout: float = 30.0, settle: float = 2.0,
             exec_timeout: float = 15.0, progress: Progress | None = None) -> Iterator[StepReport]:
        """Run the seed walkthrough step by step (the lab must be deployed): apply the step's Sidecars,
        delete the lab's Sidecars the step no longer has, wait, run each curl of the post, compare."""
        from ..core.resolver import Simulator
        from ..core.traffic import check as predict_check

        for step in walkthrough_steps(steps):
            notes: list[str] = []
            source = step.requests[0].source if step.requests else f"{LAB_INJECTED_NAMESPACE}/sleep"
            mark = self.proxy_mark(source)
            wanted = set(step.sidecar_refs())
            deleted = tuple(self.delete_sidecar(ns, name) for ns, name in self.managed_istio_objects("Sidecar")
                            if (ns, name) not in wanted)
            applied = tuple(self.apply(Path(step.directory) / "sidecars.yaml")) if step.sidecars else ()
            changes = [a for a in applied if a.ok and a.action != "unchanged"] + \
                [d for d in deleted if d.action == "deleted"]
            wait = self.wait_for_config(changes, pod=source, since=mark, timeout=timeout, settle=settle,
                                        progress=progress) if changes else None
            mesh = self.snapshot()
            sim = Simulator(mesh)
            rows = []
            for request in step.requests:
                predicted = predict_check(sim, request.source, request.target)
                observed = self.exec_curl(request.namespace, request.pod, request.target, container=request.container,
                                          args=request.curl_args, timeout=exec_timeout)
                comparison = compare(predicted, observed)
                rows.append(WalkRow(request, predicted, observed, comparison, blog_agrees(observed, request.blog)))
            listings = []
            for listing in step.listings:
                blog = list((listing.get("observed") or {}).get("sidecars") or [])
                cluster = sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars)
                listings.append({"id": listing.get("id"), "blog": blog, "observed": cluster,
                                 "match": sorted(blog) == cluster})
            others = sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars if (s.namespace, s.name) not in wanted)
            if others:
                notes.append(f"Sidecars not part of this step are in the cluster and in the prediction: "
                             f"{', '.join(others)}")
            yield StepReport(step, applied, deleted, wait, tuple(rows), tuple(listings), tuple(notes))

    def run_walkthrough(self, steps: Sequence[str] | None = None, **kwargs: Any) -> list[StepReport]:
        return list(self.walk(steps, **kwargs))


# -- helpers ----------------------------------------------------------------------------------


def _split_ref(ref: str) -> tuple[str, str]:
    if "/" not in ref:
        raise UsageError(f"{ref!r} must be written NAMESPACE/NAME")
    ns, name = ref.split("/", 1)
    return ns, name


def _identity(obj: Mapping) -> tuple[str, str, str]:
    kind = str(obj.get("kind") or "")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not kind or not name:
        raise UsageError(f"an object needs kind and metadata.name (got kind {kind or '-'}, name {name or '-'})")
    ns = "" if kind == "Namespace" else (meta.get("namespace") or "default")
    return kind, ns, str(name)


def _objects_from(source: Any) -> tuple[list[dict], str | None]:
    """Objects (and the file they came from) of a dict, a list of dicts, YAML text or a path."""
    from ..core.yamlio import read_documents, read_path_text

    if isinstance(source, Mapping):
        return [copy.deepcopy(dict(source))], None
    if isinstance(source, (list, tuple)):
        out: list[dict] = []
        for item in source:
            out += _objects_from(item)[0]
        return out, None
    origin = None
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and source.endswith((".yaml", ".yml", ".json"))):
        origin = os.fspath(source)
        text = read_path_text(origin)
    elif isinstance(source, str):
        text = source
    else:
        raise UsageError(f"cannot apply a {type(source).__name__}: give a dict, YAML text or a file path")
    objects = []
    for doc in read_documents(text, origin or "<input>"):
        data = doc.data
        if not isinstance(data, dict):
            raise ManifestError("a manifest must be a mapping", file=doc.file, line=doc.line)
        if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
            objects += [i for i in data["items"] if isinstance(i, dict)]
        else:
            objects.append(data)
    return objects, origin


_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                  "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences")


def _write_body(obj: Mapping) -> dict:
    body = copy.deepcopy(dict(obj))
    body.pop("status", None)
    meta = body.setdefault("metadata", {})
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(_LAST_APPLIED, None)
        if not annotations:
            meta.pop("annotations")
    return body


def _denial_messages(message: str) -> list[str]:
    """One line per error of an admission denial (Istio's webhook joins several with go-multierror)."""
    m = re.match(r"(.*?configuration is invalid: )\s*\d+ errors occurred:\s*(.*)", message, re.S)
    if m:
        prefix = m.group(1)
        items = [line.strip()[1:].strip() for line in m.group(2).splitlines() if line.strip().startswith("*")]
        if items:
            return [prefix + item for item in items]
    return [" ".join(message.split())]


def _container_names(pod: Mapping, init: bool = False) -> list[str]:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or [] if isinstance(c, dict)]
    if init:
        names += [c.get("name") for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    return [n for n in names if n]


def _default_container(pod: Mapping) -> str:
    """The container ``kubectl exec`` picks: the default-container annotation, else the first app container."""
    names = _container_names(pod)
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if annotated in names:
        return annotated
    for name in names:
        if name != "istio-proxy":
            return name
    if names:
        return names[0]
    raise UsageError(f"pod {(pod.get('metadata') or {}).get('name')} has no containers")


def _pod_ready(pod: Mapping) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return False
    statuses = status.get("containerStatuses") or []
    return all(s.get("ready") for s in statuses) if statuses else True


def _observed_generation(obj: Mapping) -> int | None:
    value = (obj.get("status") or {}).get("observedGeneration")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _change(c: Any) -> tuple | None:
    """(kind, namespace, name, generation, deleted) of an ApplyResult, a DeleteResult or such a tuple."""
    if isinstance(c, ApplyResult):
        return (c.kind, c.namespace, c.name, c.generation, False) if c.ok and not c.dry_run else None
    if isinstance(c, DeleteResult):
        return (c.kind, c.namespace, c.name, None, True)
    if isinstance(c, tuple) and len(c) == 5:
        return c
    raise UsageError(f"wait_for_config takes ApplyResults and DeleteResults, not {type(c).__name__}")


def _istio_version_of(deployment: Mapping) -> str | None:
    """Istio's version from istiod's labels or its image tag (``docker.io/istio/pilot:1.26.0``)."""
    meta = deployment.get("metadata") or {}
    labels = meta.get("labels") or {}
    for key in ("operator.istio.io/version", "app.kubernetes.io/version", "helm.sh/chart"):
        value = labels.get(key)
        if value:
            m = re.search(r"(\d+\.\d+(?:\.\d+)?(?:-[A-Za-z0-9.]+)?)", value)
            if m:
                return m.group(1)
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    for c in containers:
        image = c.get("image") or ""
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        m = re.match(r"(\d+\.\d+(?:\.\d+)?)", tag)
        if m:
            return m.group(1)
    rev = labels.get("istio.io/rev")
    if rev and rev != "default":
        return f"revision {rev}"
    return None


def _mesh_summary(cm: Mapping) -> str:
    import yaml

    name = f"{(cm.get('metadata') or {}).get('namespace')}/{(cm.get('metadata') or {}).get('name')}"
    text = (cm.get("data") or {}).get("mesh") or ""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return f"ConfigMap {name}: data.mesh is not valid YAML"
    if not isinstance(data, dict):
        data = {}
    otp = data.get("outboundTrafficPolicy")
    if otp is None:
        mode = "ALLOW_ANY (not set: the default)"
    else:
        mode = (otp or {}).get("mode") or "REGISTRY_ONLY (outboundTrafficPolicy: {})"
    root = data.get("rootNamespace") or "istio-system"
    return f"ConfigMap {name}: outbound {mode}, root namespace {root}"


def _without_controllers_of_listed_pods(objects: list[dict], notes: list[str]) -> list[dict]:
    """Drop a controller whose pods are listed: the pods are the proxies, the controller would count them twice."""
    pods: dict[str, list[Mapping]] = {}
    for o in objects:
        if o.get("kind") == "Pod":
            pods.setdefault(o["metadata"].get("namespace", "default"), []).append(
                (o.get("metadata") or {}).get("labels") or {})
    kept, dropped = [], 0
    for o in objects:
        if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            template = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            ns = o["metadata"].get("namespace", "default")
            if template and any(all(labels.get(k) == v for k, v in template.items()) for labels in pods.get(ns, ())):
                dropped += 1
                continue
        kept.append(o)
    if dropped:
        notes.append(f"{dropped} controller(s) left out: their pods are listed and stand for them")
    return kept


def _prune_meta(meta: Mapping) -> dict:
    out = {k: copy.deepcopy(meta[k]) for k in ("name", "namespace", "labels", "annotations", "uid",
                                                "creationTimestamp", "generation") if meta.get(k) is not None}
    annotations = out.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(_LAST_APPLIED, None)
        if not annotations:
            out.pop("annotations")
    return out


def _prune_pod_spec(spec: Mapping) -> dict:
    def containers(items: Any, with_ports: bool) -> list:
        out = []
        for c in items or []:
            if not isinstance(c, dict):
                continue
            kept = {k: c[k] for k in ("name", "image") if k in c}
            if with_ports and c.get("ports"):
                kept["ports"] = [{k: p[k] for k in ("name", "containerPort", "protocol") if k in p}
                                 for p in c["ports"] if isinstance(p, dict)]
            out.append(kept)
        return out

    out: dict[str, Any] = {"containers": containers(spec.get("containers"), True)}
    if spec.get("initContainers"):
        out["initContainers"] = containers(spec.get("initContainers"), False)
    if spec.get("hostNetwork"):
        out["hostNetwork"] = True
    return out


def _prune(obj: Mapping) -> dict:
    """Only what the simulator reads: no managedFields, no env values, no last-applied annotation."""
    kind = obj.get("kind")
    out: dict[str, Any] = {"apiVersion": obj.get("apiVersion"), "kind": kind,
                           "metadata": _prune_meta(obj.get("metadata") or {})}
    spec = obj.get("spec") or {}
    if kind == "Pod":
        out["spec"] = _prune_pod_spec(spec)
        status = obj.get("status") or {}
        kept = {k: status[k] for k in ("phase", "podIP", "podIPs") if k in status}
        if kept:
            out["status"] = kept
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        template = spec.get("template") or {}
        tmeta = template.get("metadata") or {}
        out["spec"] = {"template": {"metadata": {k: tmeta[k] for k in ("labels", "annotations") if tmeta.get(k)},
                                    "spec": _prune_pod_spec(template.get("spec") or {})}}
        if spec.get("selector"):
            out["spec"]["selector"] = spec["selector"]
    elif kind == "ConfigMap":
        out["data"] = {"mesh": (obj.get("data") or {}).get("mesh", "")}
    elif kind == "Namespace":
        pass
    else:
        if "spec" in obj:
            out["spec"] = copy.deepcopy(obj["spec"])
    return out


def mesh_from_objects(objects: list[dict], origin: str, notes: Sequence[str] = ()) -> Any:
    """A Mesh from live objects; an object the loader rejects is left out with a note, not a crash."""
    from ..core.loader import load_objects

    extra = list(notes)
    try:
        mesh = load_objects(objects, origin=origin)
    except ManifestError:
        good = []
        for obj in objects:
            try:
                load_objects([obj], origin=origin)
                good.append(obj)
            except ManifestError as exc:
                meta = obj.get("metadata") or {}
                extra.append(f"{obj.get('kind')} {meta.get('namespace', '')}/{meta.get('name')} left out: "
                             f"{exc.message}")
        mesh = load_objects(good, origin=origin)
    if extra:
        mesh = dataclasses.replace(mesh, notes=tuple(mesh.notes) + tuple(extra))
    return mesh


def _yaml_dump(obj: Any) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def snapshot_yaml(objects: Sequence[Mapping], context: str, server: str) -> str:
    """Objects as multi-document YAML with a header saying where and when they were read."""
    import yaml

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    header = (f"# A snapshot of cluster {context} ({server}) taken by sidecar-lab at {stamp}.\n"
              "# Only the fields the simulator reads are kept (no env, no managedFields).\n"
              "# Load it like any manifests: sidecar-lab resolve THIS_FILE --all\n")
    body = yaml.safe_dump_all([dict(o) for o in objects], sort_keys=False, default_flow_style=False,
                              allow_unicode=True)
    return header + body
