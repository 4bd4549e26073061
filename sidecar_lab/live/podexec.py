"""Exec: run a command (curl) in a pod over the API server's WebSocket stream, and say what happened.

What happened is only what was seen. :func:`exec_command` returns curl's output and its exit code
when the stream delivered an exit status; when it did not (the stream broke, the API server sent a
failure instead of an exit code, the command could not be started), the
:class:`ExecResult` carries the reason in ``error`` and no exit code: it is an observation that did
not happen, never "exit 0". An exec the API server refuses outright (RBAC, no such pod or
container) is a :class:`~sidecar_lab.core.errors.ClusterError`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from dataclasses import dataclass
from typing import Mapping, Sequence

from .client import ApiError, Connection
from .compare import WRITE_OUT, Observation, split_write_out
from ..core.errors import ClusterError, UsageError

__all__ = ["ExecResult", "ProxyMark", "exec_command", "exec_curl", "curl_command", "proxy_mark", "exit_status",
           "read_pod", "container_names", "default_container", "pod_ready", "split_ref"]

#: The exec stream's error channel (Kubernetes' remotecommand protocol).
_ERROR_CHANNEL = 3
_STATUS_PROTOCOLS = ("v4.channel.k8s.io", "v5.channel.k8s.io")
#: A shell's "command not executable" and "command not found": the command never ran.
_NOT_RUN = {126: "the command is not executable", 127: "the command was not found (is it in the image?)"}


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
    """Envoy's xDS update counters of one proxy at one moment (see :func:`proxy_mark`)."""

    pod: str
    counters: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counters.values())


def split_ref(ref: str) -> tuple[str, str]:
    if "/" not in ref:
        raise UsageError(f"{ref!r} must be written NAMESPACE/NAME")
    ns, name = ref.split("/", 1)
    return ns, name


def container_names(pod: Mapping, init: bool = False) -> list[str]:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or [] if isinstance(c, dict)]
    if init:
        names += [c.get("name") for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    return [n for n in names if n]


def default_container(pod: Mapping) -> str:
    """The container ``kubectl exec`` picks: the default-container annotation, else the first app container."""
    names = container_names(pod)
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if annotated in names:
        return annotated
    for name in names:
        if name != "istio-proxy":
            return name
    if names:
        return names[0]
    raise UsageError(f"pod {(pod.get('metadata') or {}).get('name')} has no containers")


def pod_ready(pod: Mapping) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return False
    statuses = status.get("containerStatuses") or []
    return all(s.get("ready") for s in statuses) if statuses else True


def read_pod(conn: Connection, namespace: str, pod: str) -> dict:
    try:
        return conn.json("get", "pods", namespace, conn.core.read_namespaced_pod, pod, namespace)
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(f"no pod {namespace}/{pod} ({conn.kubectl} get pods -n {namespace})", 404) from None
        raise


def exit_status(text: str, protocol: str | None) -> tuple[int | None, str | None]:
    """The command's exit code from the stream's error channel, or why it is not known.

    >>> exit_status('{"metadata":{},"status":"Success"}', "v4.channel.k8s.io")
    (0, None)
    >>> exit_status('', "v5.channel.k8s.io")[1]
    'the exec stream ended without an exit status (the connection to the API server broke?)'
    """
    text = (text or "").strip()
    if protocol in _STATUS_PROTOCOLS:
        if not text:
            return None, "the exec stream ended without an exit status (the connection to the API server broke?)"
        try:
            status = json.loads(text)
        except ValueError:
            return None, f"the exec stream's status is not a Status object: {text[:200]}"
        if not isinstance(status, dict):
            return None, f"the exec stream's status is not a Status object: {text[:200]}"
        if status.get("status") == "Success":
            return 0, None
        if status.get("reason") == "NonZeroExitCode":
            for cause in (status.get("details") or {}).get("causes") or []:
                if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
                    try:
                        return int(cause.get("message")), None
                    except (TypeError, ValueError):
                        break
        message = " ".join(str(status.get("message") or status.get("reason") or "unknown failure").split())
        return None, f"the API server reported a failure instead of an exit code: {message[:300]}"
    # channel.k8s.io (protocols 1-3): nothing on success, an error text otherwise
    if not text:
        return 0, None
    m = re.search(r"non-zero exit code.*exit code (\d+)", text)
    if m:
        return int(m.group(1)), None
    return None, f"the API server reported a failure instead of an exit code: {' '.join(text.split())[:300]}"


def exec_command(conn: Connection, namespace: str, pod: str, command: Sequence[str], *,
                 container: str | None = None, timeout: float = 15.0, pod_object: dict | None = None) -> ExecResult:
    """Run a command in a pod over the client's WebSocket stream; stdout, stderr and the exit code seen."""
    from kubernetes.stream import stream

    obj = pod_object if pod_object is not None else read_pod(conn, namespace, pod)
    names = container_names(obj)
    if container is None:
        container = default_container(obj)
    elif container not in names + container_names(obj, init=True):
        raise UsageError(f"pod {namespace}/{pod} has no container {container!r} (containers: {', '.join(names)})")
    shown = conn.record(f"{conn.kubectl} exec -n {namespace} {pod} -c {container} -- {shlex.join(command)}")
    has_proxy = "istio-proxy" in container_names(obj, init=True)

    def result(stdout: str = "", stderr: str = "", code: int | None = None, timed_out: bool = False,
               error: str | None = None) -> ExecResult:
        return ExecResult(stdout, stderr, code, timed_out, has_proxy, error, namespace=namespace, pod=pod,
                          container=container, command=shown)

    import websocket

    previous = websocket.getdefaulttimeout()
    websocket.setdefaulttimeout(max(conn.timeout, 1.0))  # bounds the handshake and each read
    try:
        resp = conn.call("create", "pods/exec", namespace, stream, conn.core.connect_get_namespaced_pod_exec,
                         pod, namespace, command=list(command), container=container, stderr=True, stdin=False,
                         stdout=True, tty=False, _preload_content=False, _request_timeout=None)
    finally:
        websocket.setdefaulttimeout(previous)
    try:
        resp.run_forever(timeout=timeout)
        timed_out = resp.is_open()
        stdout = resp.read_stdout(timeout=0) or ""
        stderr = resp.read_stderr(timeout=0) or ""
        status = "" if timed_out else (resp.read_channel(_ERROR_CHANNEL, timeout=0) or "")
        protocol = getattr(resp, "subprotocol", None)
    except Exception as exc:  # noqa: BLE001 - the stream broke: nothing was seen to the end
        reason = conn.error(exc, "create", "pods/exec", namespace)
        return result(error=f"the exec stream broke before the command's exit status arrived ({reason})")
    finally:
        try:
            resp.close()
        except Exception:  # noqa: BLE001
            pass
    if timed_out:
        return result(stdout, stderr, None, True)
    if isinstance(status, bytes):
        status = status.decode("utf-8", "replace")
    code, why = exit_status(status, protocol)
    if why is not None:
        return result(stdout, stderr, None, False, why)
    return result(stdout, stderr, code)


def curl_command(url: str, args: Sequence[str] = ("-s",)) -> list[str]:
    """``curl ARGS URL``, with :data:`~sidecar_lab.live.compare.WRITE_OUT` before the URL so that the HTTP
    status is seen, unless ``args`` have a ``--write-out`` of their own (curl keeps only the last one).

    >>> curl_command("http://a/")[:3], curl_command("http://a/", ["-w", "%{http_code}"])
    (['curl', '-s', '-w'], ['curl', '-w', '%{http_code}', 'http://a/'])
    """
    own = any(a == "--write-out" or a.startswith("--write-out=") or (a.startswith("-w") and not a.startswith("--"))
              for a in args)
    return ["curl", *args, url] if own else ["curl", *args, "-w", WRITE_OUT, url]


def exec_curl(conn: Connection, namespace: str, pod: str, url: str, container: str | None = None,
              args: Sequence[str] = ("-s",), timeout: float = 15.0) -> ExecResult:
    """``kubectl exec -n NS POD -c CONTAINER -- curl ARGS -w ... URL``: what curl printed, the HTTP status and
    the redirect it reported (:func:`curl_command`; its write-out line is taken off ``stdout``), and its exit code.

    Exit 126 or 127 comes from the container's runtime, not from curl (curl is missing or cannot be
    run): that is an observation that did not happen.
    """
    observed = exec_command(conn, namespace, pod, curl_command(url, args), container=container, timeout=timeout)
    if observed.error is None and observed.exit_code in _NOT_RUN:
        why = (f"curl did not run in {namespace}/{pod} container {observed.container}: exit {observed.exit_code}, "
               f"{_NOT_RUN[observed.exit_code]}")
        stderr = " ".join(observed.stderr.split())[:200]
        return dataclasses.replace(observed, exit_code=None, error=why + (f" ({stderr})" if stderr else ""))
    stdout, status, redirect = split_write_out(observed.stdout)
    if status is None:
        return observed
    return dataclasses.replace(observed, stdout=stdout, http_status=status, redirect_url=redirect)


def proxy_mark(conn: Connection, pod: str) -> ProxyMark | None:
    """Envoy's xDS update counters of ``NS/POD`` now (through ``pilot-agent request GET stats``), or None
    when they cannot be read (no istio-proxy container, no pilot-agent, exec forbidden or failed)."""
    namespace, name = split_ref(pod)
    try:
        obj = read_pod(conn, namespace, name)
        if "istio-proxy" not in container_names(obj, init=True):
            return None
        result = exec_command(conn, namespace, name, ["pilot-agent", "request", "GET", "stats?filter=update_success"],
                              container="istio-proxy", timeout=10, pod_object=obj)
    except ClusterError:
        return None
    if result.error is not None or result.exit_code != 0:
        return None
    counters = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^(\S*update_success):\s*(\d+)\s*$", line.strip())
        if m:
            counters[m.group(1)] = int(m.group(2))
    return ProxyMark(pod, counters) if counters else None
