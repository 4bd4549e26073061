"""Write the minimal Sidecar for a workload from the calls it makes, and prove it breaks none of them.

A call is a curl-like target (``http://api.web:8080/v1``, ``tcp://db.default:5432``), a target
without a scheme (``db.default:5432``: the scheme then follows the service port's protocol, as
:func:`sidecar_lab.core.traffic.matrix_targets` writes it), a plain host (``api.web``: every port of
that service), or a line of Envoy's access log.

Access-log lines
----------------

Istio's default text format (``meshConfig.accessLogFile``, ``accessLogEncoding: TEXT``) is::

    [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
    %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
    "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
    %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
    "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER%
    %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
    %REQUESTED_SERVER_NAME% %ROUTE_NAME%

:func:`parse_access_log_line` splits a line into fields (``[...]``, ``"..."`` or a word) and reads:

1. ``UPSTREAM_CLUSTER`` (field 17): ``outbound|P|subset|host`` gives the destination host and
   port; ``inbound|...`` and ``InboundPassthroughCluster`` are requests *to* the workload (ignored).
2. Otherwise (``PassthroughCluster``, ``BlackHoleCluster``, or ``-`` for a ``block_all`` 502) the
   destination is ``:AUTHORITY`` (field 15), else the TLS SNI (field 21), else the original
   destination ``DOWNSTREAM_LOCAL_ADDRESS`` (field 19); the port comes from the authority, else
   from that address.
3. The request line (field 2) gives the scheme: ``"GET /path HTTP/1.1"`` is HTTP (the path is
   kept), ``"- - -"`` is a TCP connection: ``https`` when an SNI was seen, else ``tcp``.

Lines in another format are still read when some field is an ``outbound|P||host`` cluster.

Istio's JSON format (``accessLogEncoding: JSON``, the keys of ``EnvoyJSONLogFormatIstio`` in
``pilot/pkg/model/telemetry_logging.go``) is read by :func:`parse_access_log_json`, with the same
rules on its keys: ``upstream_cluster``; else ``authority``, ``requested_server_name``,
``downstream_local_address``; ``protocol`` (or ``method``) for the scheme, ``path`` for the path. Any
JSON object carrying ``upstream_cluster``, ``authority`` or ``upstream_host`` is read the same way
(``upstream_host``, the address Envoy connected to, is the last resort). A log may mix text and
JSON lines; a line that is neither is reported with its line number.

>>> parse_access_log_line('[2025-01-01T10:00:00.000Z] "GET /ip HTTP/1.1" 200 - via_upstream - "-" 0 '
...     '33 4 3 "-" "curl/8.5.0" "8e1c7b1e" "httpbin.default:8000" "10.244.0.7:8080" '
...     'outbound|8000||httpbin.default.svc.cluster.local 10.244.0.5:50542 10.96.0.20:8000 '
...     '10.244.0.5:43210 - default').target
'http://httpbin.default.svc.cluster.local:8000/ip'
>>> parse_access_log_json({"protocol": "HTTP/1.1", "method": "GET", "path": "/ip",
...     "authority": "httpbin.default:8000", "upstream_cluster": "PassthroughCluster"}).target
'http://httpbin.default:8000/ip'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import yaml

from ..core.errors import UsageError
from ..core.messages import label
from ..core.model import ALLOW_ANY, REGISTRY_ONLY, Workload
from ..core.resolver import RegistryService, Simulator, selector_matches
from ..core.results import RequestResult, Verdict
from .sizing import Comparison, ProxyConfig, compare

__all__ = ["Call", "CallProof", "LogLine", "Suggestion", "suggest_sidecar", "parse_access_log_line",
           "parse_access_log_json", "read_access_log", "suggestion_text", "Ignored",
           "parse_access_log", "parse_call", "selector_for", "ROOT_NAMESPACE_HOST", "JSON_LOG_KEYS"]

#: Imported as a whole when anything in it is called.
ROOT_NAMESPACE_HOST = "istio-system/*"
#: Labels that change with every rollout or are set by Istio itself: never used to select a workload.
_VOLATILE_LABELS = ("pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
                    "pod-template-generation", "security.istio.io/tlsMode", "service.istio.io/canonical-name",
                    "service.istio.io/canonical-revision", "sidecar.istio.io/inject")
_PREFERRED_LABELS = ("app", "app.kubernetes.io/name")
_REACHABLE = (Verdict.ROUTED, Verdict.PASSTHROUGH, Verdict.DIRECT)

_FIELD = re.compile(r'\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+')
_CLUSTER = re.compile(r"^(?P<direction>outbound|inbound)\|(?P<port>\d*)\|(?P<subset>[^|]*)\|(?P<host>.*)$")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(?P<port>\d+))?$")
_TARGET = re.compile(r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)"
                     r"(?::(?P<port>[0-9]+))?(?P<path>[/?#]\S*)?$")
_INBOUND_CLUSTERS = ("InboundPassthroughCluster", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6")
#: The keys of Istio's JSON access log (``EnvoyJSONLogFormatIstio``) that name a call's destination.
JSON_LOG_KEYS = ("upstream_cluster", "authority", "upstream_host", "requested_server_name",
                 "downstream_local_address", "protocol", "method", "path", "route_name")
_JSON_DESTINATION_KEYS = ("upstream_cluster", "authority", "upstream_host")
_DNS1123 = re.compile(r"[^a-z0-9-]+")


# -- access logs ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LogLine:
    """What one access-log line says about a request."""

    line: str
    #: ``outbound`` (a call this workload made), ``inbound`` (a request to it) or ``unknown``.
    direction: str
    cluster: str | None
    scheme: str | None
    host: str | None
    port: int | None
    path: str = "/"
    authority: str | None = None
    route: str | None = None

    @property
    def target(self) -> str | None:
        """The call as a curl-like target, or None when the line names no destination."""
        if self.direction != "outbound" or not self.host or not self.port:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        path = self.path if self.scheme == "http" else ""
        return f"{self.scheme or 'http'}://{host}:{self.port}{path}"


def _unquote(text: str) -> str | None:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return None if text in ("-", "") else text


def _split_host_port(text: str | None) -> tuple[str | None, int | None]:
    if not text:
        return None, None
    match = _HOST_PORT.match(text.strip())
    if match is None:
        return None, None
    host = match.group("host").strip("[]").lower().rstrip(".")
    return host, int(match.group("port")) if match.group("port") else None


def parse_access_log_line(line: str) -> LogLine | None:
    """Read one line of Envoy's access log (see the module docstring); None when it is not one."""
    text = line.strip()
    if not text:
        return None
    fields = _FIELD.findall(text)
    cluster_at = next((i for i, f in enumerate(fields) if _CLUSTER.match(f)), None)
    default_format = fields[0].startswith("[") and len(fields) >= 19
    if default_format and cluster_at is None:
        cluster_at = 16
    if cluster_at is None:
        return None
    cluster = fields[cluster_at] if fields[cluster_at] != "-" else None
    request = _unquote(fields[1]) if len(fields) > 1 and fields[1].startswith('"') else None
    method, path, protocol = (request.split(" ") + [None, None, None])[:3] if request else (None, None, None)
    authority = _unquote(fields[cluster_at - 2]) if cluster_at >= 2 and fields[cluster_at - 2].startswith('"') else None
    local = fields[cluster_at + 2] if len(fields) > cluster_at + 2 else None
    sni = _unquote(fields[cluster_at + 4]) if len(fields) > cluster_at + 4 else None
    route = _unquote(fields[cluster_at + 5]) if len(fields) > cluster_at + 5 else None
    return _log_line(text, cluster, path, protocol, authority, None if local in (None, "-") else local, sni, route,
                     request_known=default_format or bool(request))


def _log_line(text: str, cluster: str | None, path: str | None, protocol: str | None, authority: str | None,
              local: str | None, sni: str | None, route: str | None, *, request_known: bool,
              upstream_host: str | None = None) -> LogLine:
    """The destination of one access-log record, from the fields text and JSON records share."""
    http = bool(protocol and protocol.upper().startswith("HTTP"))
    scheme = "http" if http else ("https" if sni else "tcp")
    if not http and not request_known and cluster:
        scheme = "http" if authority else ("https" if sni else "tcp")
    path = path if (http and path and path.startswith("/")) else "/"
    match = _CLUSTER.match(cluster or "")
    if match is not None:
        if match.group("direction") == "inbound":
            return LogLine(text, "inbound", cluster, scheme, None, None, path, authority, route)
        port = int(match.group("port")) if match.group("port") else None
        host = match.group("host").lower()
        return LogLine(text, "outbound", cluster, scheme, host, port, path, authority, route)
    if cluster in _INBOUND_CLUSTERS or (route or "").startswith("inbound|"):
        return LogLine(text, "inbound", cluster, scheme, None, None, path, authority, route)
    local_host, local_port = _split_host_port(local)
    host, port = _split_host_port(authority) if (http or not request_known) else (None, None)
    if host is None and sni:
        host = sni.lower()
    if host is None:
        host, port = local_host, port or local_port
    if host is None and upstream_host:
        host, port = _split_host_port(upstream_host)
    if port is None:
        port = local_port or ({"http": 80, "https": 443}.get(scheme))
    if host is None:
        return LogLine(text, "unknown", cluster, scheme, None, None, path, authority, route)
    return LogLine(text, "outbound", cluster, scheme, host, port, path, authority, route)


def _json_text(value: Any) -> str | None:
    """A JSON log value as text: None for null, ``-`` or empty (how Envoy writes a value it lacks)."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def parse_access_log_json(record: Mapping[str, Any], line: str | None = None) -> LogLine | None:
    """Read one record of Istio's JSON access log (``EnvoyJSONLogFormatIstio``), or any JSON object with
    ``upstream_cluster``, ``authority`` or ``upstream_host``; None when it has none of them."""
    if not isinstance(record, Mapping) or not any(_json_text(record.get(k)) for k in _JSON_DESTINATION_KEYS):
        return None
    get = {k: _json_text(record.get(k)) for k in JSON_LOG_KEYS}
    protocol = get["protocol"] or ("HTTP/1.1" if get["method"] else None)
    text = line if line is not None else json.dumps(dict(record), sort_keys=True)
    return _log_line(text, get["upstream_cluster"], get["path"], protocol, get["authority"],
                     get["downstream_local_address"], get["requested_server_name"], get["route_name"],
                     request_known=bool(get["protocol"] or get["method"]), upstream_host=get["upstream_host"])


@dataclass(frozen=True, slots=True)
class Ignored:
    """A line of an access log that gives no call, and why."""

    number: int
    line: str
    reason: str

    def to_json(self) -> dict:
        return {"number": self.number, "line": self.line, "reason": self.reason}


def _parse_record(line: str) -> tuple[LogLine | None, str | None]:
    """One non-empty line: the record it holds, or None and why not."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError as exc:
            return None, f"not valid JSON ({exc.args[0] if exc.args else exc})"
        if not isinstance(record, dict):
            return None, "a JSON value that is not an object"
        parsed = parse_access_log_json(record, line)
        if parsed is None:
            return None, "a JSON object without upstream_cluster, authority or upstream_host"
        return parsed, None
    parsed = parse_access_log_line(line)
    if parsed is None:
        return None, "not an Envoy access-log line (no upstream cluster field, not a JSON object)"
    return parsed, None


def parse_access_log(text: str) -> tuple[list[LogLine], list[Ignored]]:
    """Every line of an access log, text and JSON mixed: the outbound calls, and each other line
    (:class:`Ignored`, with its line number) with the reason it gives no call."""
    calls: list[LogLine] = []
    ignored: list[Ignored] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parsed, why = _parse_record(line)
        if parsed is None:
            ignored.append(Ignored(number, line, why or "unreadable"))
        elif parsed.direction == "inbound":
            ignored.append(Ignored(number, line, "a request to this workload (inbound), not a call it makes"))
        elif parsed.target is None:
            ignored.append(Ignored(number, line, "the line names no destination"))
        else:
            calls.append(parsed)
    return calls, ignored


# -- calls ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Call:
    """One declared or observed call, as checked."""

    text: str  # as given
    target: str  # the curl-like target checked
    origin: str  # target | access-log
    #: The registry service it reaches (hostname and namespace), when it is one.
    service_host: str | None = None
    service_namespace: str | None = None
    service_kind: str | None = None
    port: int | None = None

    def to_json(self) -> dict:
        return {"call": self.text, "target": self.target, "origin": self.origin,
                "service": None if self.service_host is None else {
                    "host": self.service_host, "namespace": self.service_namespace, "kind": self.service_kind},
                "port": self.port}


def _scheme_for(svc: RegistryService | None, port: int) -> str:
    from ..core.protocol import is_tcp, is_tls

    p = svc.port(port) if svc is not None else None
    if p is None:
        return "http"
    return "https" if is_tls(p.protocol) else "tcp" if is_tcp(p.protocol) else "http"


def _service_of(sim: Simulator, w: Workload, host: str) -> RegistryService | None:
    """The registry service DNS sends ``host`` to from ``w`` (as :func:`sidecar_lab.core.traffic.check` sees it)."""
    from ..core.traffic import check

    probe = check(sim, w, f"http://{host if ':' not in host else '[' + host + ']'}:80")
    ref = probe.target.service
    if ref is None or probe.target.service_host is None:
        return None
    return sim.by_hostname.get(probe.target.service_host, {}).get(ref.namespace)


def parse_call(sim: Simulator, workload: str | Workload, text: str) -> list[Call]:
    """The call(s) ``text`` stands for: a target, a plain host (every port of its service), or an
    access-log line. A UsageError when it is none of these."""
    from ..core.traffic import parse_target

    w = sim.workload(workload)
    raw = text.strip()
    if raw.startswith("{"):
        parsed, why = _parse_record(raw)
        if parsed is None or parsed.target is None:
            reason = why or ("it is an inbound request" if parsed is not None and parsed.direction == "inbound"
                             else "no destination found in it")
            raise UsageError(f"call {text[:80]!r}: a JSON access-log record, but {reason}")
        target = parsed.target
        scheme, host, port, path = parse_target(target)
        return [_call(text, target, "access-log", _service_of(sim, w, host), port)]
    if raw.startswith("[") and ("outbound|" in raw or '"' in raw) or "outbound|" in raw or "inbound|" in raw:
        parsed = parse_access_log_line(raw)
        if parsed is None or parsed.target is None:
            reason = "it is an inbound request" if parsed is not None and parsed.direction == "inbound" else \
                "no destination found in it"
            raise UsageError(f"call {text!r}: an access-log line, but {reason}")
        target = parsed.target
        scheme, host, port, path = parse_target(target)
        svc = _service_of(sim, w, host)
        return [_call(text, target, "access-log", svc, port)]
    match = _TARGET.match(raw) if raw else None
    if match is None:
        raise UsageError(f"malformed call {text!r}: write a target like http://api.web:8080/v1, "
                         "tcp://db.default:5432, db.default:5432 or api.web, or an Envoy access-log line")
    scheme = match.group("scheme")
    host = match.group("host").strip("[]").lower().rstrip(".")
    port_text, path = match.group("port"), match.group("path") or ""
    if scheme is not None:
        parse_target(raw)  # validates the scheme, the port and the host with the usual messages
    elif port_text is not None:
        parse_target(f"http://{raw}")
    svc = _service_of(sim, w, host)
    if port_text is not None:
        ports = [int(port_text)]
    elif svc is not None and svc.ports and scheme is None:
        ports = [p.port for p in svc.ports]
    else:
        ports = [{"https": 443}.get((scheme or "http").lower(), 80)]
    out = []
    shown = f"[{host}]" if ":" in host else host
    for port in ports:
        chosen = scheme.lower() if scheme else _scheme_for(svc, port)
        target = f"{chosen}://{shown}:{port}{path if chosen == 'http' else ''}"
        parse_target(target)
        out.append(_call(text, target, "target", svc, port))
    return out


def _call(text: str, target: str, origin: str, svc: RegistryService | None, port: int) -> Call:
    if svc is None:
        return Call(text, target, origin, port=port)
    return Call(text, target, origin, svc.hostname, svc.namespace, svc.kind, port)


# -- the suggestion ---------------------------------------------------------------------------

def selector_for(w: Workload) -> dict[str, str]:
    """The labels a Sidecar selects ``w`` by: ``app`` or ``app.kubernetes.io/name`` when present,
    else every label except those that change per rollout or are set by Istio."""
    for key in _PREFERRED_LABELS:
        if w.labels.get(key):
            return {key: w.labels[key]}
    return {k: v for k, v in sorted(w.labels.items()) if k not in _VOLATILE_LABELS}


def _name_for(w: Workload, selector: Mapping[str, str]) -> str:
    base = next((selector[k] for k in _PREFERRED_LABELS if k in selector), w.name)
    name = _DNS1123.sub("-", base.lower()).strip("-")[:63].strip("-")
    return name or "suggested"


@dataclass(frozen=True, slots=True)
class CallProof:
    """One call checked against the mesh as it is and with the suggested Sidecar."""

    call: Call
    before: RequestResult
    after: RequestResult

    @property
    def ok(self) -> bool:
        return self.after.verdict == Verdict.ROUTED

    def to_json(self) -> dict:
        return {**self.call.to_json(), "before": self.before.verdict.value, "after": self.after.verdict.value,
                "ok": self.ok, "envoy": self.after.envoy.to_json(), "client_sees": self.after.client_sees,
                "explanation": [] if self.ok else self.after.explanation()}


@dataclass(frozen=True)
class Suggestion:
    """The minimal Sidecar for a workload's calls, what it saves, and the proof it breaks none."""

    workload: str
    mode: str
    name: str
    namespace: str
    selector: Mapping[str, str]
    hosts: tuple[str, ...]
    manifest: Mapping[str, Any]
    yaml: str
    calls: tuple[Call, ...]
    #: Lines of the access log that gave no call (:class:`Ignored`).
    ignored: tuple[Ignored, ...]
    comparison: Comparison
    proof: tuple[CallProof, ...]
    #: Every other Service port reachable before and BLOCKED after (REGISTRY_ONLY).
    newly_blocked: tuple[dict, ...]
    #: Service ports ROUTED before that only pass through after (ALLOW_ANY: no mTLS, no routing rules).
    newly_passthrough: tuple[dict, ...] = ()
    #: Other workloads the selector also picks (they get this Sidecar too).
    also_selects: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def before(self) -> ProxyConfig:
        return self.comparison.without

    @property
    def after(self) -> ProxyConfig:
        return self.comparison.with_sidecar

    @property
    def saving(self) -> dict:
        return self.comparison.saving

    @property
    def proved(self) -> bool:
        return all(p.ok for p in self.proof)

    @property
    def not_routed(self) -> tuple[CallProof, ...]:
        return tuple(p for p in self.proof if not p.ok)

    def to_json(self) -> dict:
        return {
            "workload": self.workload, "mode": self.mode,
            "sidecar": {"namespace": self.namespace, "name": self.name},
            "selector": dict(self.selector), "hosts": list(self.hosts),
            "manifest": self.manifest, "yaml": self.yaml,
            "calls": [c.to_json() for c in self.calls],
            "ignored": [i.to_json() for i in self.ignored],
            "before": self.before.to_json(), "after": self.after.to_json(), "saving": self.saving,
            "proved": self.proved, "proof": [p.to_json() for p in self.proof],
            "not_routed": [p.call.target for p in self.not_routed],
            "newly_blocked": list(self.newly_blocked), "newly_passthrough": list(self.newly_passthrough),
            "also_selects": list(self.also_selects), "validation": list(self.validation),
            "notes": list(self.notes),
        }


def _validate(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        from ..core.validation import validate_sidecar
    except ImportError:  # pragma: no cover - the module is optional
        return ()
    messages = validate_sidecar(manifest["spec"], manifest["metadata"]["namespace"])
    return tuple(f"{m.level}: {m.field}: {m.message}" for m in messages)


def suggest_sidecar(sim: Simulator, workload: str | Workload, calls: Sequence[str] | Iterable[str], *,
                    mode: str = REGISTRY_ONLY, name: str | None = None,
                    ignored: Sequence[Ignored | tuple] = (), istio_system: bool = True) -> Suggestion:
    """The minimal Sidecar that keeps every call in ``calls`` ROUTED for ``workload``.

    Egress hosts: ``<namespace>/<hostname>`` of each called service, and ``istio-system/*`` — kept
    by default, as Istio's own Sidecar examples keep it (istiod, the gateways and the telemetry
    add-ons live there); ``istio_system=False`` leaves it out (a called service in istio-system is
    then imported by its own name). ``outboundTrafficPolicy.mode`` is ``mode``; the selector comes
    from :func:`selector_for`. Every call is then checked against the mesh with the Sidecar
    applied, and every other Service port is checked before and after.
    """
    from ..core.traffic import check, matrix_targets

    if mode not in (REGISTRY_ONLY, ALLOW_ANY):
        raise UsageError(f"unknown mode {mode!r}: REGISTRY_ONLY or ALLOW_ANY")
    w = sim.workload(workload)
    ref = f"{w.namespace}/{w.name}"
    proxy, _ = sim.proxy_kind(w)
    if proxy != "sidecar":
        what = "is a gateway: Sidecar resources do not apply to gateways" if proxy == "gateway" else \
            "has no sidecar proxy: a Sidecar resource would change nothing"
        raise UsageError(f"workload {ref} {what}")
    parsed: list[Call] = []
    for text in calls:
        parsed.extend(parse_call(sim, w, text))
    if not parsed:
        raise UsageError(f"no calls given for {ref}: pass targets or access-log lines")
    selector = selector_for(w)
    if not selector:
        raise UsageError(f"workload {ref} has no labels: a Sidecar can select it only by labels "
                         "(a namespace-wide Sidecar would apply to every workload of the namespace)")
    current = sim.resolve(w)
    if name is None:
        if current.scope == "workload" and current.sidecar is not None and current.sidecar.namespace == w.namespace:
            name = current.sidecar.name  # replace the workload Sidecar that governs it now
        else:
            name = _name_for(w, selector)

    hosts: list[str] = [ROOT_NAMESPACE_HOST] if istio_system else []
    for call in parsed:
        if call.service_host is None:
            continue
        if call.service_namespace == "istio-system" and istio_system:
            entry = ROOT_NAMESPACE_HOST
        else:
            entry = f"{call.service_namespace}/{call.service_host}"
        if entry not in hosts:
            hosts.append(entry)
    hosts.sort(key=lambda h: (h == ROOT_NAMESPACE_HOST, h))
    notes: list[str] = []
    if not hosts:
        hosts = ["~/*"]
        notes.append("no call reaches a service of the registry: the egress imports nothing (~/*)")
    manifest = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": {"name": name, "namespace": w.namespace},
        "spec": {
            "workloadSelector": {"labels": dict(selector)},
            "egress": [{"hosts": list(hosts)}],
            "outboundTrafficPolicy": {"mode": mode},
        },
    }
    text = yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)
    comparison = compare(sim, w, manifest)
    after_sim = comparison.sim_with
    assert after_sim is not None
    after_res = after_sim.resolve(w)
    suggested_ref = f"{w.namespace}/{name}"
    if after_res.sidecar is None or str(after_res.sidecar) != suggested_ref:
        notes.append(f"the suggested Sidecar would not govern {ref}: {after_res.sidecar} wins "
                     "(an older Sidecar in the namespace also selects it); remove or edit that one")
    proof = tuple(CallProof(c, check(sim, w, c.target), check(after_sim, w, c.target)) for c in parsed)
    for p in proof:
        if not p.ok and p.call.service_host is None:
            notes.append(f"{p.call.target} is not a service of the registry: to keep it reachable under "
                         "REGISTRY_ONLY, add a ServiceEntry for it")
    called = {(c.service_namespace, c.service_host, c.port) for c in parsed if c.service_host}
    newly_blocked, newly_passthrough = [], []
    for target in matrix_targets(sim):
        before = check(sim, w, target)
        t = before.target
        key = (t.service.namespace if t.service else None, t.service_host, t.port)
        if key in called:
            continue
        after = check(after_sim, w, target)
        entry = {"target": target, "service": str(t.service) if t.service else None, "port": t.port,
                 "before": before.verdict.value, "after": after.verdict.value,
                 "client_sees": after.client_sees}
        if before.verdict in _REACHABLE and after.verdict == Verdict.BLOCKED:
            newly_blocked.append(entry)
        elif before.verdict == Verdict.ROUTED and after.verdict == Verdict.PASSTHROUGH:
            newly_passthrough.append(entry)
    also = tuple(sorted(f"{o.namespace}/{o.name}" for o in sim.workloads()
                        if o.namespace == w.namespace and o.name != w.name and selector_matches(selector, o.labels)))
    validation = _validate(manifest)
    if any(m.startswith("Error") for m in validation):
        notes.append("the suggested Sidecar fails admission validation (see validation): edit it before applying")
    kept = tuple(i if isinstance(i, Ignored) else Ignored(i[2] if len(i) > 2 else 0, i[0], i[1]) for i in ignored)
    return Suggestion(ref, mode, name, w.namespace, dict(selector), tuple(hosts), manifest, text, tuple(parsed),
                      kept, comparison, proof, tuple(newly_blocked), tuple(newly_passthrough), also,
                      validation, tuple(notes))


def read_access_log(path: str, stdin: Any = None) -> str:
    """The text of an access-log file (``-``: standard input); a UsageError when it cannot be read."""
    import sys

    if path == "-":
        return (stdin or sys.stdin).read()
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read the access log {path!r}: {exc.strerror or exc}") from None


def suggestion_text(s: Suggestion) -> str:
    """``sidecar-lab suggest``: the Sidecar, the saving, the proof, and what it now blocks (in the language in
    force; verdicts, Envoy's names and the YAML stay as they are)."""
    from .sizing import _num, _percent, _rows, _table

    lines = [label("suggest.head", workload=s.workload, mode=s.mode, count=len(s.calls)), "---",
             s.yaml.rstrip(), "---", "", label("suggest.config")]
    lines += _table(("", label("suggest.col.now"), label("suggest.col.with"), label("size.col.saving")),
                    [(name, _num(getattr(s.before, key)), _num(getattr(s.after, key)),
                      _percent(getattr(s.before, key), getattr(s.after, key))) for name, key in _rows()])
    lines.append("  " + label("size.estimate-note"))
    lines.append("")
    verdict = label("suggest.proved") if s.proved else label("suggest.not-proved", count=len(s.not_routed))
    lines.append(label("suggest.proof", verdict=verdict))
    for p in s.proof:
        lines.append(f"  {p.after.verdict.value:<11} {p.call.target}  "
                     + label("suggest.proof-row", before=p.before.verdict.value, cluster=p.after.envoy.cluster or "-"))
        if not p.ok:
            for step in p.after.explanation():
                lines.append(f"      - {step}")
    if s.mode == REGISTRY_ONLY:
        lines.append("")
        lines.append(label("suggest.newly-blocked", count=len(s.newly_blocked)))
        for entry in s.newly_blocked:
            lines.append(f"  {entry['target']}  {entry['before']} -> {entry['after']}")
    elif s.newly_passthrough:
        lines.append("")
        lines.append(label("suggest.newly-passthrough", count=len(s.newly_passthrough)))
        for entry in s.newly_passthrough:
            lines.append(f"  {entry['target']}  {entry['before']} -> {entry['after']}")
    if s.also_selects:
        lines.append("")
        lines.append(label("suggest.also-selects", workloads=", ".join(s.also_selects)))
    for i in s.ignored:
        where = label("suggest.ignored-line", number=i.number) if i.number else ""
        lines.append(label("suggest.ignored", where=where, reason=i.reason, line=i.line[:120]))
    for message in s.validation:
        lines.append(label("suggest.validation", message=message))
    for note in s.notes:
        lines.append(f"{label('text.note')} {note}")
    return "\n".join(lines)
