"""Client setup: one connection to an API server, every request bounded, every failure one clean line.

:func:`connect` reads a kubeconfig (or the pod's service account) through the official
``kubernetes`` client, imported here only inside functions. :class:`Connection` is what every
other part of ``sidecar_lab.live`` talks through:

* :meth:`Connection.json` sends one request with a timeout (``timeout`` to connect, ``read_timeout``
  to answer, both following ``--request-timeout``) and returns the server's JSON as plain dicts,
  read by this module itself: a body cut off mid-answer, or an HTML page where JSON was expected
  (a proxy's login page), is a :class:`ApiError` naming the server, never a crash;
* every failure becomes an :class:`ApiError` (a :class:`~sidecar_lab.core.errors.ClusterError`)
  with one line: what was asked, of which server, what it said, and the ``kubectl`` line that
  checks it (``kubectl auth can-i ...`` is always a command kubectl accepts);
* secrets never leave it: tokens, passwords, the userinfo of a server URL
  (``https://user:pw@host`` is shown as ``https://***@host``) and the output of a failing exec
  credential plugin pass through :func:`redact`; the plugin's failure is folded into the one
  error line instead of being logged by the client library;
* :attr:`Connection.commands` collects the equivalent ``kubectl``/``istioctl`` commands of what
  was done, so a learner can repeat it by hand.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..core.errors import ClusterError

__all__ = ["Connection", "connect", "ApiError", "WriteRefused", "redact", "redact_url", "kube", "rbac_hint",
           "DEFAULT_TIMEOUT", "DEFAULT_READ_TIMEOUT"]

#: Seconds to wait for the API server to accept a connection, and to answer one request.
DEFAULT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
#: Resources without a namespace (``kubectl auth can-i`` must not be given ``--all-namespaces`` for them).
_CLUSTER_SCOPED = frozenset({"namespaces", "customresourcedefinitions", "nodes", "persistentvolumes",
                             "clusterroles", "clusterrolebindings", "storageclasses"})


class WriteRefused(ClusterError):
    """A write outside the allow-listed namespaces (no request was sent)."""


class ApiError(ClusterError):
    """The API server answered with an error; ``status`` is its HTTP code (None: no answer).

    ``reason`` and ``details`` are the server's ``Status`` fields when it sent one (``details.name``
    says which object a 404 is about: without it, the whole resource type is missing);
    ``server_message`` is its whole message (redacted), where the error line keeps the first line.
    """

    def __init__(self, message: str, status: int | None = None, *, reason: str | None = None,
                 details: dict | None = None, server_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.details = details or {}
        self.server_message = server_message


def kube() -> tuple[Any, Any]:
    """``(kubernetes.client, kubernetes.config)``, or a ClusterError saying how to install them."""
    try:
        from kubernetes import client, config
    except ImportError as exc:
        raise ClusterError(f"the kubernetes client cannot be imported ({exc}): pip install 'sidecar-lab[live]'") \
            from None
    return client, config


# -- redaction ----------------------------------------------------------------------------------

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")


def redact_url(url: str) -> str:
    """A URL without its userinfo: ``https://user:pw@host:6443`` → ``https://***@host:6443``."""
    return _USERINFO.sub(r"\1***@", str(url))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secrets, bearer tokens, JWTs or the userinfo of any URL in it."""
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _USERINFO.sub(r"\1***@", text)
    text = _BEARER.sub(r"\1***", text)
    return _JWT.sub("***", text)


def _secrets_of(configuration: Any) -> list[str]:
    found = []
    for value in (getattr(configuration, "api_key", None) or {}).values():
        if isinstance(value, str):
            found.append(value)
            if value.lower().startswith("bearer "):
                found.append(value[7:].strip())
    password = getattr(configuration, "password", None)
    if isinstance(password, str):
        found.append(password)
    m = re.match(r"(?i)[a-z][a-z0-9+.-]*://([^/\s@?#]+)@", str(getattr(configuration, "host", "") or ""))
    if m:  # the userinfo of the server URL, and its password alone
        found += [m.group(1), m.group(1).partition(":")[2]]
    return [s for s in found if s]


# -- errors ------------------------------------------------------------------------------------------


def status_of(exc: Any) -> tuple[int | None, str, str | None, dict]:
    """HTTP status, the server's message, reason and details of an ApiException (or a failed exec handshake)."""
    status = getattr(exc, "status", None) or None
    message, reason, details = None, None, {}
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body if isinstance(body, str) else body.decode("utf-8", "replace"))
            if isinstance(data, dict):
                message = data.get("message")
                reason = data.get("reason")
                details = data.get("details") if isinstance(data.get("details"), dict) else {}
        except ValueError:
            message = None
    text = str(getattr(exc, "reason", "") or "")
    if status is None:  # the websocket handshake of exec: "Handshake status 403 Forbidden -+-+- {...} -+-+- ..."
        m = re.search(r"Handshake status (\d+)", text)
        if m:
            status = int(m.group(1))
        m = re.search(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
        if m:
            message = m.group(1).replace('\\\\"', '"').replace('\\"', '"')
        elif status is not None:
            message = text.split("-+-+-")[0].strip()
        m = re.search(r'"reason"\s*:\s*"([A-Za-z]+)"', text)
        if m and status is not None:
            reason = m.group(1)
    return status, (message or text or type(exc).__name__).strip(), reason, details


def _is_html(exc: Any) -> bool:
    headers = getattr(exc, "headers", None) or {}
    try:
        ctype = headers.get("Content-Type") or headers.get("content-type") or ""
    except AttributeError:  # pragma: no cover - headers of another shape
        ctype = ""
    body = getattr(exc, "body", None) or b""
    head = (body if isinstance(body, str) else body.decode("utf-8", "replace"))[:200].lstrip().lower()
    return "html" in ctype.lower() or head.startswith(("<!doctype html", "<html"))


def rbac_hint(kubectl: str, verb: str, resource: str, namespace: str | None) -> str:
    """The ``kubectl auth can-i`` line that checks a permission (always a command kubectl accepts).

    >>> rbac_hint("kubectl", "get", "/apis", None)
    'kubectl auth can-i get /apis'
    >>> rbac_hint("kubectl", "create", "pods/exec", "lab")
    'kubectl auth can-i create pods --subresource=exec -n lab'
    >>> rbac_hint("kubectl", "list", "pods", None)
    'kubectl auth can-i list pods --all-namespaces'
    """
    if resource.startswith("/"):  # a non-resource URL: /version, /apis, /api/v1
        return f"{kubectl} auth can-i get {resource}"
    base, _, sub = resource.partition("/")
    words = [verb, base] + ([f"--subresource={sub}"] if sub else [])
    if namespace:
        words += ["-n", shlex.quote(namespace)]
    elif base not in _CLUSTER_SCOPED:
        words.append("--all-namespaces")
    return f"{kubectl} auth can-i " + " ".join(words)


# -- the exec credential plugin's failure, folded into one error -------------------------------------


class _KubeconfigErrors(logging.Filter):
    """Keeps (and silences) what the kubernetes client's kubeconfig loader logs as errors.

    It logs an exec credential plugin's failure with ``logging.error`` and carries on without
    credentials; sidecar-lab turns that into its one ``error:`` line instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        path = (record.pathname or "").replace("\\", "/")
        if record.levelno >= logging.ERROR and "/kubernetes/config/" in path:
            self.messages.append(record.getMessage())
            return False
        return True


@contextmanager
def _kubeconfig_errors() -> Iterator[list[str]]:
    root = logging.getLogger()
    caught = _KubeconfigErrors()
    quiet = logging.NullHandler()  # logging.error() would otherwise install a stderr handler for good
    root.addFilter(caught)
    root.addHandler(quiet)
    try:
        yield caught.messages
    finally:
        root.removeFilter(caught)
        root.removeHandler(quiet)


def _plugin_failure(context: str, messages: Sequence[str], secrets: Sequence[str]) -> ClusterError:
    first = " ".join(str(messages[0]).split())
    return ClusterError(f"cannot get credentials for context {context!r}: its exec credential plugin failed "
                        f"({redact(first, secrets)[:300]}) — run the plugin's login command, or check "
                        "users[].user.exec in the kubeconfig")


# -- the connection ----------------------------------------------------------------------------------


class Connection:
    """One authenticated connection to an API server: bounded requests, JSON answers, one-line errors."""

    def __init__(self, api_client: Any, *, context: str, server: str, timeout: float = DEFAULT_TIMEOUT,
                 read_timeout: float = DEFAULT_READ_TIMEOUT, secrets: Sequence[str] = (),
                 context_flag: bool = False) -> None:
        self.api_client = api_client
        self.context = context
        #: The server's URL, its userinfo redacted.
        self.server = redact_url(server)
        self.timeout = float(timeout)
        self.read_timeout = float(read_timeout)
        self.server_version: str | None = None
        #: Equivalent kubectl / istioctl commands of everything done so far, in order.
        self.commands: list[str] = []
        self._secrets = tuple(secrets)
        self._apis: dict[str, Any] = {}
        self.kubectl = f"kubectl --context {shlex.quote(context)}" if context_flag else "kubectl"
        self.istioctl = f"istioctl --context {shlex.quote(context)}" if context_flag else "istioctl"

    def __repr__(self) -> str:
        return f"Connection(context={self.context!r}, server={self.server!r})"

    @property
    def target(self) -> str:
        return f"the Kubernetes API server at {self.server} (context {self.context})"

    def api(self, name: str) -> Any:
        """A generated API class of the client (``CoreV1Api``, ``CustomObjectsApi``, ...) on this connection."""
        if name not in self._apis:
            client, _ = kube()
            self._apis[name] = getattr(client, name)(self.api_client)
        return self._apis[name]

    @property
    def core(self) -> Any:
        return self.api("CoreV1Api")

    @property
    def apps(self) -> Any:
        return self.api("AppsV1Api")

    @property
    def custom(self) -> Any:
        return self.api("CustomObjectsApi")

    def record(self, command: str) -> str:
        self.commands.append(command)
        return command

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def close(self) -> None:
        try:
            self.api_client.close()
        except Exception:  # noqa: BLE001 - closing never fails a run  # pragma: no cover
            pass

    # -- requests --------------------------------------------------------------------------
    def call(self, verb: str, resource: str, namespace: str | None, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call the API with a timeout; every failure becomes a one-line ClusterError (ApiError)."""
        kwargs.setdefault("_request_timeout", (self.timeout, self.read_timeout))
        limit = kwargs["_request_timeout"]
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - translated, never shown raw (it could carry headers)
            raise self.error(exc, verb, resource, namespace,
                             limit[1] if isinstance(limit, tuple) else limit) from None

    def json(self, verb: str, resource: str, namespace: str | None, fn: Callable, *args: Any,
             **kwargs: Any) -> dict:
        """The server's JSON answer as plain dicts, read here (not by the client's model classes)."""
        response = self.call(verb, resource, namespace, fn, *args, _preload_content=False, **kwargs)
        where = f" in namespace {namespace}" if namespace else ""
        what = f"{verb} {resource}{where}"
        try:
            raw = response.data  # reads the whole body: a connection cut mid-answer fails here
        except Exception as exc:  # noqa: BLE001
            raise self.error(exc, verb, resource, namespace) from None
        headers = getattr(response, "headers", None) or {}
        ctype = str(headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json" and not ctype.endswith("+json"):
            if "html" in ctype:
                raise ApiError(f"{self.target} answered {what} with an HTML page ({ctype}), not the Kubernetes "
                               "API: a proxy's login or error page? Check the server URL and the credentials of "
                               f"this context ({self.kubectl} get --raw /version)", None)
            raise ApiError(f"{self.target} answered {what} with {ctype}, not JSON: is this a Kubernetes API server? "
                           f"({self.kubectl} get --raw /version)", None)
        try:
            data = json.loads(raw)
        except (ValueError, TypeError):
            raise ApiError(f"the answer of {self.target} to {what} is not complete JSON ({len(raw or b'')} bytes): "
                           "the connection broke mid-answer, or something between here and the server cut it "
                           "— retry", None) from None
        if not isinstance(data, dict):
            raise ApiError(f"the answer of {self.target} to {what} is not a JSON object", None)
        return data

    def error(self, exc: Exception, verb: str, resource: str, namespace: str | None,
              read_timeout: float | None = None) -> ClusterError:
        """One clean line for any failure of a request: the server's own words, never a traceback."""
        if isinstance(exc, ClusterError):
            return exc
        where = f" in namespace {namespace}" if namespace else ""
        target = self.target
        try:
            from kubernetes.client.exceptions import ApiException
        except ImportError:  # pragma: no cover
            ApiException = ()  # type: ignore[assignment]
        if isinstance(exc, ApiException):
            status, message, reason, details = status_of(exc)
            message = self.redact(message)
            first = message.splitlines()[0] if message else ""
            if status is None and ("Connection refused" in message or "Errno 111" in message):
                return ApiError(f"cannot reach {target}: connection refused — is the cluster running?", None)
            if status == 401:
                return ApiError(f"{target} rejected the credentials (401 Unauthorized): they expired or are "
                                "wrong — get new ones (for kind: kind export kubeconfig; for a cloud cluster: "
                                "its get-credentials command)", 401, reason=reason)
            if status == 403:
                return ApiError(f"forbidden by RBAC: cannot {verb} {resource}{where}: {first} "
                                f"(check: {rbac_hint(self.kubectl, verb, resource, namespace)})", 403,
                                reason=reason, details=details)
            if status is not None and _is_html(exc):
                return ApiError(f"cannot {verb} {resource}{where}: {target} answered {status} with an HTML page, "
                                "not the Kubernetes API (a proxy in between?)", status)
            if status is None:
                return ApiError(f"cannot {verb} {resource}{where}: {first}", None)
            return ApiError(f"cannot {verb} {resource}{where}: {first} ({status})", status, reason=reason,
                            details=details, server_message=message)
        try:
            import urllib3.exceptions as u
        except ImportError:  # pragma: no cover
            return ClusterError(self.redact(f"cannot {verb} {resource}{where}: {type(exc).__name__}"))
        cause = exc.reason if isinstance(exc, u.MaxRetryError) and exc.reason is not None else exc
        text = self.redact(str(cause))
        if isinstance(cause, (u.NewConnectionError, ConnectionRefusedError)):
            if "refused" in text.lower():
                why = "connection refused — is the cluster running? (kind get clusters; minikube status)"
            elif "resolve" in text.lower() or "name or service" in text.lower() or "nodename" in text.lower():
                why = "the server's host name does not resolve — is the kubeconfig for this network?"
            else:
                why = text.split(":")[-1].strip() or "the connection failed"
            return ApiError(f"cannot reach {target}: {why}", None)
        if isinstance(cause, u.ConnectTimeoutError):
            return ApiError(f"cannot reach {target}: no answer within {self.timeout:g} s (timed out) — "
                            "is the cluster running and reachable from here (VPN, firewall)?", None)
        if isinstance(cause, (u.ReadTimeoutError, TimeoutError)):
            return ApiError(f"timed out: {target} did not answer {verb} {resource}{where} within "
                            f"{read_timeout or self.read_timeout:g} s (--request-timeout sets the limit)", None)
        if isinstance(cause, u.SSLError):
            return ApiError(f"cannot reach {target}: TLS failed ({text.splitlines()[0] if text else 'SSL error'})",
                            None)
        if isinstance(cause, u.ProtocolError) and "IncompleteRead" in repr(cause):
            return ApiError(f"the answer of {target} to {verb} {resource}{where} was cut off mid-body: the "
                            "connection broke, or something between here and the server cut it — retry", None)
        if isinstance(cause, (u.ProtocolError, u.HTTPError, OSError)):
            return ApiError(f"cannot {verb} {resource}{where}: the connection to {target} broke "
                            f"({type(cause).__name__})", None)
        if type(exc).__module__.startswith("websocket"):
            return ApiError(f"cannot {verb} {resource}{where}: the stream from {target} broke "
                            f"({type(exc).__name__})", None)
        first = text.splitlines()[0] if text else ""
        return ClusterError(f"cannot {verb} {resource}{where}: {type(exc).__name__}{': ' + first if first else ''}")


def connect(kubeconfig: str | os.PathLike | None = None, context: str | None = None, in_cluster: bool = False, *,
            timeout: float = DEFAULT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT) -> Connection:
    """Connect through a kubeconfig (``KUBECONFIG`` or ``~/.kube/config`` by default) or the pod's
    service account, and check that the API server answers (within ``timeout`` seconds)."""
    client, config = kube()
    configuration = client.Configuration()
    if in_cluster:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except Exception:  # noqa: BLE001
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
        except Exception as exc:  # noqa: BLE001
            raise ClusterError(f"cannot read the kubeconfig {', '.join(files)}: "
                               f"{redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}") from None
        names = [c.get("name") for c in contexts or [] if isinstance(c, dict)]
        if context is not None and context not in names:
            raise ClusterError(f"no context {context!r} in the kubeconfig (contexts: {', '.join(names) or 'none'}; "
                               "kubectl config get-contexts lists them)")
        if context is None and not active:
            raise ClusterError("the kubeconfig has no current context: pass --context NAME "
                               "(kubectl config get-contexts lists them)")
        name = context or active["name"]
        with _kubeconfig_errors() as logged:
            try:
                config.load_kube_config(config_file=path, context=name, client_configuration=configuration,
                                        persist_config=False)
            except Exception as exc:  # noqa: BLE001
                text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ClusterError(f"cannot use context {name!r} of the kubeconfig: "
                                   f"{redact(text, _secrets_of(configuration))}") from None
        if logged:
            raise _plugin_failure(name, logged, _secrets_of(configuration))
        hook = getattr(configuration, "refresh_api_key_hook", None)
        if callable(hook):  # a token that expires is fetched again later: fold that failure in too
            def refresh(cfg: Any, _hook: Callable = hook, _name: str = name) -> None:
                with _kubeconfig_errors() as again:
                    _hook(cfg)
                if again:
                    raise _plugin_failure(_name, again, _secrets_of(cfg))
            configuration.refresh_api_key_hook = refresh
    try:  # fail fast: no retry when nothing listens or nothing answers (every wait stays bounded)
        from urllib3.util.retry import Retry

        configuration.retries = Retry(total=1, connect=0, read=0, status=0, redirect=0)
    except ImportError:  # pragma: no cover - urllib3 comes with kubernetes
        configuration.retries = 1
    conn = Connection(client.ApiClient(configuration), context=name, server=str(configuration.host),
                      timeout=timeout, read_timeout=read_timeout, secrets=_secrets_of(configuration),
                      context_flag=context is not None)
    try:
        info = conn.json("get", "/version", None, conn.api("VersionApi").get_code,
                         _request_timeout=(conn.timeout, conn.timeout))
    except BaseException:
        conn.close()
        raise
    conn.server_version = info.get("gitVersion") or f"{info.get('major')}.{info.get('minor')}"
    return conn
