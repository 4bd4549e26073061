"""What happens to one request from a workload: DNS, Envoy's listener, filter chain, route and
cluster, and what curl prints.

The configuration is the one :mod:`sidecar_lab.core.envoy` builds as istiod does for a sidecar
with iptables capture; this module walks a request through it as Envoy would:

* DNS as the pod resolves the name (an ExternalName Service is a CNAME to its target);
* the listener of the original destination ``IP_port``, else ``0.0.0.0_port``, else
  ``virtualOutbound`` (traffic to 127.0.0.1 is not captured: only a ``captureMode: NONE``
  listener bound there takes it);
* the filter chain (destination prefix, SNI, plaintext HTTP or not), else the listener's
  passthrough chain: PassthroughCluster (or the egress proxy) under ALLOW_ANY, BlackHoleCluster
  under REGISTRY_ONLY;
* for HTTP, the route table, the virtual host of the Host header, the first route whose match
  holds (none: Envoy's 404), and its action: a cluster or a weighted split, a redirect, a direct
  response; the catch-all virtual host ``allow_any`` or ``block_all`` (a 502 with an empty body);
* a cluster the proxy does not have: 503 (500 for a Gateway API route), or a closed connection.

>>> parse_target("http://httpbin.istioinaction:8000/ip")
('http', 'httpbin.istioinaction', 8000, '/ip')
"""

from __future__ import annotations

import ipaddress
import re
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Mapping

from .envoy import (
    DYNAMIC_DNS_CLUSTER, EnvoyListener, FilterChain, Proxy, Request, build_listeners, is_ip, outbound_clusters,
    passthrough_cluster, route_table,
    source_dependence,
    select_filter_chain, select_listener, select_route, select_virtual_host,
)
from .errors import UsageError
from .hosts import subset_of
from .model import ALLOW_ANY_DYNAMIC_DNS, EMPTY, REGISTRY_ONLY, Workload
from .protocol import is_tcp, is_tls
from .resolver import RegistryService, Scope, Simulator, selector_matches
from .results import EnvoyPath, RequestResult, Resolution, Step, Target, Verdict
from .versions import Rules

__all__ = ["parse_target", "parse_headers", "is_absolute", "check", "matrix_targets", "matrix_cells", "source_key",
           "EnvoyListener", "listeners_for"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TARGET = re.compile(r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)"
                     r"(?::(?P<port>[0-9]+))?(?P<path>[/?#]\S*)?$")
BLOCK_ALL = Step("curl.block-all", {})
BLOCK_ALL_TEXT = BLOCK_ALL.text()  # "HTTP 502 with an empty body from Envoy; curl prints nothing and exits 0"


def parse_target(text: str) -> tuple[str, str, int, str]:
    """``scheme, host, port, path`` of a curl-like target; a UsageError when malformed."""
    match = _TARGET.match(text.strip()) if text else None
    if match is None:
        raise UsageError(f"malformed target {text!r}: write it like a curl argument, e.g. "
                         "http://httpbin.istioinaction:8000/ip, https://google.com, tcp://db.default:5432")
    scheme = (match.group("scheme") or "http").lower()
    if scheme not in ("http", "https", "tcp"):
        raise UsageError(f"malformed target {text!r}: scheme {scheme!r} is not http, https or tcp")
    host = match.group("host").strip("[]").lower().rstrip(".")
    port_text = match.group("port")
    if port_text is None:
        if scheme == "tcp":
            raise UsageError(f"malformed target {text!r}: a tcp:// target needs a port")
        port = _DEFAULT_PORTS[scheme]
    else:
        port = int(port_text)
        if not 1 <= port <= 65535:
            raise UsageError(f"malformed target {text!r}: port {port} is not in 1..65535")
    if not host or host.startswith("-"):
        raise UsageError(f"malformed target {text!r}: no host")
    return scheme, host, port, match.group("path") or "/"


def listeners_for(sim: Simulator, scope: Scope) -> dict[str, EnvoyListener]:
    """Every outbound listener of a proxy using ``scope`` (its labels aside; cached on the simulator)."""
    return build_listeners(sim, Proxy(scope, EMPTY, scope.config_namespace))


class _Index:
    """Look-ups that ``check`` makes for every request, each built once per simulator when first
    needed (a request used to scan every workload and Service, which made a matrix grow with their
    square, while one ``check`` needs only a few of them)."""

    def __init__(self, sim: Simulator) -> None:
        # Not the simulator itself: it keys the weak dictionary that holds this index.
        self.mesh, self.declared_namespaces, self.sim = sim.mesh, sim.namespaces, weakref.ref(sim)
        self.selected: dict[int, tuple[RegistryService, list[Workload]]] = {}

    @cached_property
    def workloads_by_ip(self) -> dict[str, list[Workload]]:
        out: dict[str, list[Workload]] = {}
        for w in self.mesh.workloads:
            if w.pod_ip:
                out.setdefault(w.pod_ip, []).append(w)
        return out

    @cached_property
    def services(self) -> dict[tuple[str, str], object]:
        out: dict[tuple[str, str], object] = {}
        for svc in self.mesh.services:
            out.setdefault((svc.namespace, svc.name), svc)
        return out

    @cached_property
    def namespaces(self) -> set[str]:
        mesh = self.mesh
        names = set(self.declared_namespaces)
        names.update(self.sim().workload_namespaces())  # asked while its simulator answers: it is alive
        for group in (mesh.services, mesh.sidecars, mesh.service_entries):
            names.update(o.namespace for o in group)
        return names


_INDEXES: "weakref.WeakKeyDictionary[Simulator, _Index]" = weakref.WeakKeyDictionary()


def _index(sim: Simulator) -> _Index:
    index = _INDEXES.get(sim)
    if index is None:
        index = _INDEXES[sim] = _Index(sim)
    return index


def _selected_workloads(sim: Simulator, svc: RegistryService) -> list[Workload]:
    if svc.kind != "Service":
        return []
    selector = svc.obj.selector  # type: ignore[union-attr]
    if not selector:
        return []
    index = _index(sim)
    hit = index.selected.get(id(svc))
    if hit is None or hit[0] is not svc:
        hit = index.selected[id(svc)] = (svc, [w for w in sim.workloads_in(svc.namespace)
                                               if selector_matches(selector, w.labels)])
    return hit[1]


# -- DNS ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Resolved:
    name: str | None  # the name that answered, None for a DNS failure
    service: RegistryService | None
    address: str  # vip | pod | range | external | none
    ip: str | None = None
    tried: tuple[str, ...] = ()
    #: For an ExternalName Service: the name its CNAME points to.
    cname: str | None = None


def _known_namespaces(sim: Simulator) -> set[str]:
    return _index(sim).namespaces


def _resolve_ip(sim: Simulator, text: str) -> _Resolved:
    """An IP target: a Service's ClusterIP, a ServiceEntry address (a CIDR by its longest prefix), a pod."""
    for svc in sim.registry:
        if svc.kind == "Service" and svc.obj.cluster_ip == text:  # type: ignore[union-attr]
            return _Resolved(text, svc, "vip", text)
        if svc.kind == "ServiceEntry" and text in svc.addresses:
            return _Resolved(text, svc, "vip", text)
    if _index(sim).workloads_by_ip.get(text):
        return _Resolved(text, None, "pod", text)
    best: tuple[int, RegistryService] | None = None
    addr = ipaddress.ip_address(text)
    for svc in sim.registry:
        for a in svc.addresses if svc.kind == "ServiceEntry" else ():
            if "/" not in a:
                continue
            try:
                net = ipaddress.ip_network(a, strict=False)
            except ValueError:
                continue
            if addr in net and (best is None or net.prefixlen > best[0]):
                best = (net.prefixlen, svc)
    if best is not None:
        return _Resolved(text, best[1], "range", text)
    return _Resolved(text, None, "external", text)


def _service_ip(sim: Simulator, svc: RegistryService, found) -> tuple[str, str | None]:
    """What kube-dns answers for a Service: its ClusterIP, or a pod's IP for a headless one."""
    if found.headless:
        pods = _selected_workloads(sim, svc)
        if not pods:
            return "none", None
        w = pods[0]
        return "pod", w.pod_ip or f"<pod IP of {w.namespace}/{w.name}>"
    return "vip", found.cluster_ip or f"<ClusterIP of {found.namespace}/{found.name}>"


def is_absolute(target: str) -> bool:
    """Does the target's host end with a dot (an absolute DNS name, ``svc.ns.svc.cluster.local.``)?

    >>> is_absolute("http://httpbin.default.svc.cluster.local.:8000/ip"), is_absolute("google.com")
    (True, False)
    """
    match = _TARGET.match(target.strip()) if target else None
    return match is not None and match.group("host").endswith(".")


def _resolve_name(sim: Simulator, source_ns: str, host: str, depth: int = 0, absolute: bool = False) -> _Resolved:
    domain = sim.domain
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return _resolve_ip(sim, str(ip))
    # resolv.conf in a pod: search <ns>.svc.<domain> svc.<domain> <domain>, ndots:5.
    search = [f"{host}.{source_ns}.svc.{domain}", f"{host}.svc.{domain}", f"{host}.{domain}"]
    if absolute:  # a trailing dot: the name as written, never the search list
        names = [host]
    else:
        names = search + [host] if host.count(".") < 5 else [host] + search
    for name in names:
        parts = name.split(".")
        suffix = f".svc.{domain}"
        if name.endswith(suffix) and len(parts) == 4 + domain.count("."):
            svc_name, ns = parts[0], parts[1]
            found = _index(sim).services.get((ns, svc_name))
            if found is not None:
                reg = sim.by_hostname.get(name, {}).get(ns)
                if found.type == "ExternalName" and not found.headless:
                    target = (found.external_name or "").lower().rstrip(".")
                    if not target or depth > 8:
                        return _Resolved(None, reg, "none", None, tuple(names))
                    hop = _resolve_name(sim, source_ns, target, depth + 1, absolute=True) if target.count(".") else \
                        _Resolved(None, None, "none", None)
                    if hop.name is None:
                        return _Resolved(None, reg, "none", None, tuple(names), target)
                    return _Resolved(name, reg, hop.address, hop.ip, tuple(names), target)
                address, ip_text = _service_ip(sim, reg, found) if reg is not None else ("vip", found.cluster_ip)
                if address == "none":
                    return _Resolved(None, reg, "none", None, tuple(names))
                return _Resolved(name, reg, address, ip_text, tuple(names))
            continue
        if name == domain or name.endswith("." + domain):
            continue
        if name is host or name == host:
            labels = host.split(".")
            if len(labels) == 1 or labels[-1] in _known_namespaces(sim):
                return _Resolved(None, None, "none", None, tuple(names))
            se = _service_entry_for(sim, source_ns, host)
            address = next((a for a in se.addresses if "/" not in a), None) if se is not None else None
            return _Resolved(host, se, "vip" if address else "external", address, tuple(names))
    return _Resolved(None, None, "none", None, tuple(names))


def _service_entry_for(sim: Simulator, source_ns: str, host: str) -> RegistryService | None:
    best = None
    for svc in sim.service_entries:
        if not subset_of(host, svc.hostname):
            continue
        if sim.exported(svc, source_ns) and (best is None or not sim.exported(best, source_ns)):
            best = svc
        elif best is None:
            best = svc
    return best


# -- the request -------------------------------------------------------------------

def _passthrough(res: Resolution) -> tuple[str, Step]:
    """``buildOutboundCatchAllNetworkFiltersOnly`` / ``buildCatchAllVirtualHost`` under ALLOW_ANY:
    PassthroughCluster, or the egress proxy's cluster (``GetDestinationCluster(egressProxy, nil, 0)``)."""
    cluster = passthrough_cluster(res.policy)
    if cluster != "PassthroughCluster":
        return cluster, Step("traffic.egress-proxy", {"cluster": cluster})
    return cluster, Step("traffic.passthrough", {})


def _why_invisible(sim: Simulator, res: Resolution, scope: Scope, svc: RegistryService, port: int) -> Step:
    ns = res.workload.namespace
    if not sim.exported(svc, ns):
        return Step("traffic.not-exported", {"service": svc.hostname, "namespace": ns,
                                             "export_to": ",".join(svc.export_to)})
    visible = scope.service(svc.hostname)
    if visible is not None and visible.namespace != svc.namespace:
        return Step("traffic.other-namespace-won", {"service": svc.hostname, "winner": visible.namespace})
    if visible is not None and visible.port(port) is None:
        return Step("traffic.port-not-imported", {"service": svc.hostname, "port": port})
    hosts = ", ".join(h for e in res.egress for h in e.hosts)
    return Step("traffic.not-imported", {"service": svc.hostname, "svc_namespace": svc.namespace, "hosts": hosts})


def _destination_sees(sim: Simulator, source: Workload, svc: RegistryService | None,
                      resolved: _Resolved) -> tuple[str | None, Step | None]:
    pods: list[Workload] = []
    if svc is not None:
        pods = _selected_workloads(sim, svc)
    elif resolved.address == "pod" and resolved.ip:
        pods = list(_index(sim).workloads_by_ip.get(resolved.ip, ()))
    if not pods:
        return None, None
    with_proxy = [w for w in pods if sim.proxy_kind(w)[0] == "sidecar"]
    if with_proxy:
        return "127.0.0.6", Step("traffic.dest-sidecar", {"workload": f"{with_proxy[0].namespace}/{with_proxy[0].name}"})
    ip = source.pod_ip or "source-pod-ip"
    return ip, Step("traffic.dest-no-sidecar", {"workload": f"{pods[0].namespace}/{pods[0].name}", "ip": ip})


def parse_headers(headers: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """curl's ``-H 'Name: value'`` lines (or a mapping) as lower-case names; a UsageError when malformed.

    >>> parse_headers(["x-user: a", "Host: web.app"])
    {'x-user': 'a', 'host': 'web.app'}
    """
    out: dict[str, str] = {}
    if not headers:
        return out
    items = headers.items() if isinstance(headers, Mapping) else None
    if items is None:
        pairs = []
        for line in headers:  # type: ignore[union-attr]
            name, sep, value = str(line).partition(":")
            if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
                raise UsageError(f"malformed header {line!r}: write it as curl's -H, e.g. 'x-user: a'")
            pairs.append((name, value))
        items = pairs
    for name, value in items:
        out[str(name).strip().lower()] = str(value).strip()
    return out


class _Request:
    """One request on its way through the sidecar: the facts, the steps, and how it ends."""

    def __init__(self, sim: Simulator, w: Workload, target: str, headers: Mapping[str, str], method: str) -> None:
        self.sim, self.w = sim, w
        self.scheme, self.host, self.port, self.path = parse_target(target)
        self.headers = dict(headers)
        self.method = method.upper()
        self.res = sim.resolve(w)
        self.steps: list[Step] = []
        self.absolute = is_absolute(target)
        self.resolved = _resolve_name(sim, w.namespace, self.host, absolute=self.absolute)
        self.svc = self.resolved.service
        #: The service the connection is really for: the concrete one behind an alias.
        self.dest = self._concrete(self.svc)
        self.tgt = Target(target, self.scheme, self.host, self.port, self.path, self.resolved.name,
                          self.svc.ref if self.svc else None, self.svc.hostname if self.svc else None,
                          self.resolved.address, dict(self.headers), self.method)
        self.mirrors: tuple[str, ...] = ()
        self.weighted: tuple = ()
        self.route_config: str | None = None
        self.route_entry: str | None = None
        self.port_missing = False
        self.scope: Scope = None  # type: ignore[assignment]
        self.proxy: Proxy = None  # type: ignore[assignment]

    def _concrete(self, svc: RegistryService | None) -> RegistryService | None:
        if svc is not None and svc.is_alias and svc.alias_for:
            by_ns = self.sim.by_hostname.get(svc.alias_for)
            if by_ns:
                return by_ns.get(svc.namespace) or next(iter(by_ns.values()))
            return None
        return svc

    @property
    def host_header(self) -> str:
        """The Host header curl sends: the host as written (an absolute name keeps its dot), with the port
        unless it is the scheme's default; ``-H 'Host: ...'`` replaces it."""
        host = self.host + "." if self.absolute else self.host
        return self.headers.get("host") or (host if self.port == _DEFAULT_PORTS.get(self.scheme)
                                             else f"{host}:{self.port}")

    def done(self, verdict: Verdict, envoy: EnvoyPath, sees: Step, exit_code: int | None, status: int | None,
             dest: str | None = None) -> RequestResult:
        return RequestResult(self.w, self.tgt, self.res, verdict, envoy, sees.text(), exit_code, status, dest,
                             tuple(self.steps), sees)

    def envoy(self, listener: str | None, route: str | None, cluster: str | None) -> EnvoyPath:
        return EnvoyPath(listener, route, cluster, self.route_config, self.route_entry, self.weighted, self.mirrors)


def check(sim: Simulator, source: str | Workload, target: str, *, headers: Iterable[str] | Mapping[str, str] | None = None,
          method: str = "GET") -> RequestResult:
    """Simulate ``kubectl exec SOURCE -- curl [-X METHOD] [-H 'Name: value' ...] TARGET``."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z-]*", method or ""):
        raise UsageError(f"malformed method {method!r}: a word such as GET or POST, as curl's -X")
    r = _Request(sim, sim.workload(source), target, parse_headers(headers), method)
    steps, resolved, svc = r.steps, r.resolved, r.svc
    if r.absolute:
        steps.append(Step("traffic.dns-absolute", {"host": r.host + "."}))
    if resolved.name is None:
        steps.append(Step("traffic.dns-failure", {"host": r.host, "tried": ", ".join(resolved.tried)}))
        return r.done(Verdict.DNS_FAILURE, EnvoyPath(None, None, None), Step("curl.dns-failure", {"host": r.host}), 6, None)
    if svc is not None and resolved.address == "vip" and resolved.name == r.host and is_ip(r.host):
        steps.append(Step("traffic.ip-of-service", {"ip": r.host, "service": svc.hostname}))
    elif svc is not None and svc.kind == "Service":
        steps.append(Step("traffic.dns-service", {"host": r.host, "fqdn": resolved.name}))
        if svc.is_alias:
            steps.append(Step("traffic.alias", {"alias": svc.hostname, "target": resolved.cname or svc.alias_for}))
    elif svc is not None and resolved.address == "range":
        steps.append(Step("traffic.ip-in-range", {"ip": r.host, "entry": str(svc.ref), "host": svc.hostname}))
    elif svc is not None:
        steps.append(Step("traffic.dns-service-entry", {"host": r.host, "entry": str(svc.ref)}))
    else:
        steps.append(Step("traffic.dns-external", {"host": r.host}))
    dest = r.dest
    r.port_missing = (dest is not None and dest.kind == "Service" and dest.port(r.port) is None
                      and resolved.address == "vip")
    if r.res.proxy != "sidecar":
        return _direct(r)
    scope = sim.scope_for(sim.sidecar(r.res.sidecar), r.w.namespace)
    r.scope = scope
    r.proxy = Proxy.of(scope, r.w)
    steps.append(Step("traffic.mode", {"mode": r.res.policy.mode, "source": r.res.policy.source,
                                       "detail": r.res.policy.detail}))
    if dest is not None and resolved.address != "range":
        visible = scope.service(dest.hostname)
        if visible is None or visible.namespace != dest.namespace or visible.port(r.port) is None:
            steps.append(_why_invisible(sim, r.res, scope, dest, r.port))
    listeners = build_listeners(sim, r.proxy)
    ip = resolved.ip
    captured = not (ip is not None and _is_loopback(ip))
    listener = select_listener(listeners, ip, r.port, captured, r.w.pod_ip)
    if listener is None:
        if not captured:
            steps.append(Step("traffic.loopback", {"ip": ip, "port": r.port}))
            return r.done(Verdict.DIRECT, EnvoyPath(None, None, None), Step("curl.loopback", {"port": r.port}), 7, None)
        bound = [x for x in listeners.values() if x.bind_to_port and x.port == r.port]
        if bound:
            steps.append(Step("traffic.capture-none-not-reached", {"listener": bound[0].name}))
        return _unmatched(r, None, http_catch_all=False)
    if listener.bind_to_port:
        steps.append(Step("traffic.listener-bound", {"listener": listener.name}))
    sni = r.host if r.scheme == "https" and not is_ip(r.host) else None  # curl sends no SNI for an IP
    chain = select_filter_chain(listener, ip, sni, r.scheme == "https", r.scheme == "http")
    if chain.kind == "passthrough":
        return _unmatched(r, listener.name, http_catch_all=False)
    if chain.kind == "tcp":
        return _tcp(r, listener, chain)
    if r.scheme != "http":
        steps.append(Step("traffic.not-http", {"listener": listener.name}))
        sees, code = _blackhole_symptom(r.scheme)
        return r.done(Verdict.BLOCKED, r.envoy(listener.name, None, None), sees, code, None)
    return _http(r, listener, chain)


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _direct(r: _Request) -> RequestResult:
    """The source has no proxy: the connection leaves the pod as it is."""
    r.steps.append(Step("traffic.no-proxy" if r.res.proxy == "none" else "traffic.gateway-source", {}))
    dest_ip, why = _destination_sees(r.sim, r.w, r.dest, r.resolved)
    if why:
        r.steps.append(why)
    if r.port_missing:
        r.steps.append(Step("traffic.port-missing", {"service": r.dest.hostname, "port": r.port}))  # type: ignore[union-attr]
        return r.done(Verdict.DIRECT, EnvoyPath(None, None, None), Step("curl.port-missing", {"port": r.port}), 7, None)
    return r.done(Verdict.DIRECT, EnvoyPath(None, None, None), _app_response(r.dest, r.host, r.scheme), 0, None, dest_ip)


def _unmatched(r: _Request, listener: str | None, http_catch_all: bool) -> RequestResult:
    """No service takes the request: the catch-all route, or the passthrough chain of the listener
    (or of virtualOutbound)."""
    steps, mode = r.steps, r.res.policy.mode
    svc = r.dest
    known_in_mesh = svc is not None and svc.kind == "Service"
    port = r.port
    if http_catch_all:
        if mode == REGISTRY_ONLY:
            steps.append(Step("traffic.block-all", {"listener": listener, "port": r.route_config or port}))
            r.route_entry = "block_all"
            return r.done(Verdict.BLOCKED, r.envoy(listener, "block_all", None), BLOCK_ALL, 0, 502)
        if mode == ALLOW_ANY_DYNAMIC_DNS:  # a mesh mode from 1.31 (the Simulator refuses it before)
            steps.append(Step("traffic.allow-any-dynamic-dns", {"listener": listener, "port": r.route_config or port}))
            cluster, route = DYNAMIC_DNS_CLUSTER, "allow_any_dynamic_dns"
        else:
            cluster, why = _passthrough(r.res)
            steps.append(Step("traffic.allow-any", {"listener": listener, "port": r.route_config or port}))
            steps.append(why)
            route = "allow_any"
        r.route_entry = route
    else:
        http_chain = False
        if listener is None:
            steps.append(Step("traffic.no-listener", {"port": port}))
            listener = "virtualOutbound"
            http_chain = mode == ALLOW_ANY_DYNAMIC_DNS and r.scheme == "http"
        else:
            steps.append(Step("traffic.passthrough-chain", {"listener": listener}))
        if mode == REGISTRY_ONLY:
            steps.append(Step("traffic.blackhole", {}))
            sees, code = _blackhole_symptom(r.scheme)
            return r.done(Verdict.BLOCKED, r.envoy(listener, None, "BlackHoleCluster"), sees, code, None)
        if http_chain:
            steps.append(Step("traffic.dynamic-dns-chain", {}))
            cluster, route = DYNAMIC_DNS_CLUSTER, "allow_any_dynamic_dns"
        else:
            cluster, why = _passthrough(r.res)
            steps.append(why)
            route = None
    if cluster not in ("PassthroughCluster", DYNAMIC_DNS_CLUSTER) and cluster not in _clusters(r):
        steps.append(Step("traffic.cluster-not-found", {"cluster": cluster}))
        return _cluster_not_found(r, listener, route, cluster, 503)
    if known_in_mesh:
        steps.append(Step("traffic.not-a-firewall", {"service": svc.hostname}))  # type: ignore[union-attr]
    dest_ip, why_dest = _destination_sees(r.sim, r.w, svc, r.resolved) if svc is not None else (None, None)
    if why_dest:
        steps.append(why_dest)
    if r.port_missing:
        steps.append(Step("traffic.port-missing", {"service": svc.hostname, "port": port}))  # type: ignore[union-attr]
        return r.done(Verdict.PASSTHROUGH, r.envoy(listener, route, cluster), Step("curl.port-missing", {"port": port}),
                      7, None)
    return r.done(Verdict.PASSTHROUGH, r.envoy(listener, route, cluster), _app_response(svc, r.host, r.scheme), 0,
                  None, dest_ip)


def _clusters(r: _Request) -> tuple[str, ...]:
    return outbound_clusters(r.sim, r.scope, r.w.labels)


def _cluster_not_found(r: _Request, listener: str | None, route: str | None, cluster: str,
                       status: int) -> RequestResult:
    """A route or TCP proxy names a cluster this proxy does not have: an HTTP route answers 503 (500
    for a Gateway API route) with an empty body; a TCP proxy closes the connection."""
    if route is not None or (r.scheme == "http" and r.route_config is not None):
        return r.done(Verdict.CLUSTER_NOT_FOUND, r.envoy(listener, route, cluster),
                      Step("curl.cluster-not-found", {"status": status}), 0, status)
    sees, code = _blackhole_symptom(r.scheme)
    return r.done(Verdict.CLUSTER_NOT_FOUND, r.envoy(listener, route, cluster), sees, code, None)


def _service_of_cluster(r: _Request, cluster: str) -> RegistryService | None:
    host = cluster.split("|", 3)[-1]
    return r.scope.service(host)


def _reached(r: _Request, listener: str, route: str | None, clusters: tuple[tuple[str, int], ...],
             status_if_missing: int, routed_by: object = None) -> RequestResult:
    """The request goes to a cluster (or a weighted split): ROUTED when it exists."""
    steps = r.steps
    if len(clusters) > 1 or (clusters and clusters[0][1]):
        known = _clusters(r)
        r.weighted = tuple((c, w, c in known) for c, w in clusters)
        steps.append(Step("traffic.weighted", {"split": ", ".join(f"{c} {w}%" if c in known else f"{c} {w}% (missing)"
                                                                      for c, w in clusters)}))
        cluster = max(clusters, key=lambda cw: cw[1])[0] if clusters else None
    else:
        cluster = clusters[0][0] if clusters else None
    if cluster is None or cluster not in _clusters(r):
        name = cluster or "(none)"
        steps.append(Step("traffic.cluster-not-found", {"cluster": name}))
        _explain_missing_cluster(r, name)
        return _cluster_not_found(r, listener, route, name, status_if_missing)
    subset = cluster.split("|")[2]
    target = _service_of_cluster(r, cluster)
    if target is not None:  # istiod may have taken this host from another namespace on another push
        steps.extend(n for n in r.scope.notes if n.params.get("host") == target.hostname)
    if subset:
        steps.append(Step("traffic.subset", {"subset": subset, "cluster": cluster}))
    steps.append(Step("traffic.routed", {"cluster": cluster}))
    if r.mirrors:
        steps.append(Step("traffic.mirror", {"clusters": ", ".join(r.mirrors)}))
    dest_ip, why = _destination_sees(r.sim, r.w, target, r.resolved) if target is not None else (None, None)
    if why:
        steps.append(why)
    meant = r.dest.hostname if r.dest is not None else r.host
    if routed_by is None and target is not None and target.hostname != meant and (
            r.dest is not None or target.kind != "ServiceEntry" or not subset_of(r.host, target.hostname)):
        steps.append(Step("traffic.captured-by-other", {"meant": meant, "got": target.hostname}))
    return r.done(Verdict.ROUTED, r.envoy(listener, route, cluster), _app_response(target, r.host, r.scheme), 0,
                  None, dest_ip)


def _explain_missing_cluster(r: _Request, cluster: str) -> None:
    """Why a cluster the route names was never built."""
    parts = cluster.split("|")
    if len(parts) != 4:
        return
    _, port, subset, host = parts
    svc = r.scope.service(host)
    if svc is None:
        r.steps.append(Step("traffic.cluster-host-not-visible", {"host": host}))
    elif subset:
        rule = r.scope.destination_rule(host, r.w.labels)
        r.steps.append(Step("traffic.subset-not-defined", {"subset": subset, "host": host,
                                                           "rule": str(rule.ref) if rule else "-"}))
    elif svc.port(int(port)) is None:
        r.steps.append(Step("traffic.cluster-port-missing", {"host": host, "port": port}))


def _tcp(r: _Request, listener: EnvoyListener, chain: FilterChain) -> RequestResult:
    """A TCP (or TLS) filter chain: the TCP proxy's cluster."""
    owner = chain.service
    if chain.sni and "*" not in chain.sni and r.scheme == "https":
        r.steps.append(Step("traffic.listener-sni", {"listener": listener.name, "sni": r.host,
                                                     "service": owner.hostname if owner else "-"}))
    elif chain.cidrs and listener.bind == "0.0.0.0":
        r.steps.append(Step("traffic.listener-cidr", {"listener": listener.name, "cidr": ", ".join(chain.cidrs),
                                                      "service": owner.hostname if owner else "-"}))
    elif listener.bind == "0.0.0.0" and not listener.bind_to_port:
        r.steps.append(Step("traffic.listener-whole-port", {"listener": listener.name,
                                                            "service": owner.hostname if owner else "-"}))
    else:
        r.steps.append(Step("traffic.listener-vip", {"listener": listener.name,
                                                     "service": owner.hostname if owner else "-"}))
    if chain.virtual_service is not None:
        vs = chain.virtual_service
        r.steps.append(Step("traffic.l4-route", {"vs": f"{vs.namespace}/{vs.name}"}))
    return _reached(r, listener.name, None, chain.clusters, 503, chain.virtual_service)


def _http(r: _Request, listener: EnvoyListener, chain: FilterChain) -> RequestResult:
    """An HTTP connection manager: route table, virtual host, route, and its action."""
    steps = r.steps
    rds = chain.rds or str(r.port)
    r.route_config = rds
    if ":" in rds:
        steps.append(Step("traffic.listener-vip", {"listener": listener.name,
                                                   "service": chain.service.hostname if chain.service else "-"}))
        steps.append(Step("traffic.route-table", {"route": rds}))
    else:
        steps.append(Step("traffic.listener-http", {"listener": listener.name, "port": rds}))
    table = route_table(r.sim, r.proxy, rds)
    vhost = select_virtual_host(table, r.host_header)
    if r.absolute and ":" not in rds:
        params = {"host": r.host + ".", "port": r.port, "version": str(r.sim.rules.version),
                  "since": str(Rules.absolute_fqdn_vhost.since)}
        steps.append(Step("traffic.absolute-fqdn-vhost" if vhost is not None and r.sim.rules.absolute_fqdn_vhost
                          else "traffic.absolute-fqdn-no-vhost", params))
    if vhost is None:
        if table.catch_all is not None:
            return _unmatched(r, listener.name, http_catch_all=True)
        steps.append(Step("traffic.no-virtual-host", {"route": rds, "host": r.host_header}))
        return _no_route(r, listener.name, None)
    steps.append(Step("traffic.virtual-host", {"vhost": vhost.name}))
    request = Request(r.method, r.path, {**r.headers, ":authority": r.host_header, ":scheme": r.scheme})
    route = select_route(vhost, request)
    if route is None:
        steps.append(Step("traffic.no-route", {"vhost": vhost.name}))
        return _no_route(r, listener.name, vhost.name)
    r.route_entry = route.name
    if route.virtual_service is not None:
        vs = route.virtual_service
        kind = "HTTPRoute" if vs.gateway_semantics else "VirtualService"
        name = ", ".join(str(o) for o in vs.origin) if vs.gateway_semantics else f"{vs.namespace}/{vs.name}"
        steps.append(Step("traffic.route-matched", {"route": route.name or "(unnamed)", "kind": kind, "vs": name,
                                                    "where": route.origin}))
    r.mirrors = route.mirrors
    if route.action == "redirect":
        return _redirect(r, listener.name, vhost.name, route)
    if route.action == "direct_response":
        dr = route.direct_response
        steps.append(Step("traffic.direct-response", {"status": dr.status}))  # type: ignore[union-attr]
        body = dr.body or ""  # type: ignore[union-attr]
        return r.done(Verdict.DIRECT_RESPONSE, r.envoy(listener.name, vhost.name, None),
                      Step("curl.direct-response", {"status": dr.status, "body": body}), 0, dr.status)  # type: ignore[union-attr]
    return _reached(r, listener.name, vhost.name, route.clusters, route.cluster_not_found_status,
                    route.virtual_service)


def _no_route(r: _Request, listener: str, vhost: str | None) -> RequestResult:
    return r.done(Verdict.NO_ROUTE, r.envoy(listener, vhost, None), Step("curl.no-route", {}), 0, 404)


def _redirect(r: _Request, listener: str, vhost: str, route) -> RequestResult:
    """``ApplyRedirect``: Envoy answers the redirect itself (301 unless ``redirectCode``)."""
    red = route.redirect
    code = red.code or 301
    scheme = red.scheme or r.scheme
    port = None
    if red.port is not None:
        port = red.port
    elif red.derive_port == "FROM_REQUEST_PORT":
        port = r.port
    if (port == 80 and scheme == "http") or (port == 443 and scheme == "https"):
        port = None
    if red.authority:
        host = red.authority
    else:  # Envoy's processRequestHost: drop the request's port when a port is set or the scheme's default changes
        host = r.host_header
        name, sep, request_port = host.rpartition(":")
        if sep and request_port.isdigit() and (port is not None or (scheme != r.scheme and (
                (scheme == "https" and request_port == "80") or (scheme == "http" and request_port == "443")))):
            host = name
    if port is not None:
        host = f"{host}:{port}"
    path = red.uri or r.path
    if red.uri.startswith("%PREFIX()%") and route.match is not None and route.match.uri is not None:
        prefix = route.match.uri.value
        path = red.uri[len("%PREFIX()%"):] + r.path[len(prefix):]
    location = f"{scheme}://{host}{path}"
    r.steps.append(Step("traffic.redirect", {"code": code, "location": location}))
    return r.done(Verdict.REDIRECT, r.envoy(listener, vhost, None),
                  Step("curl.redirect", {"code": code, "location": location}), 0, code)


def _app_response(svc: RegistryService | None, host: str, scheme: str) -> Step:
    if svc is not None and svc.kind == "Service":
        return Step("curl.app-response", {"host": svc.hostname})
    return Step("curl.external-response", {"host": host})


def _blackhole_symptom(scheme: str) -> tuple[Step, int | None]:
    if scheme == "https":
        return Step("curl.blackhole-https", {}), 35
    if scheme == "http":
        return Step("curl.blackhole-http", {}), 52
    return Step("curl.blackhole-tcp", {}), None


def matrix_targets(sim: Simulator) -> list[str]:
    """One target per Service port: ``http://``, ``https://`` or ``tcp://name.namespace:port``."""
    out = []
    for svc in sorted(sim.mesh.services, key=lambda s: (s.namespace, s.name)):
        for p in svc.ports:
            from .protocol import service_port_protocol

            protocol = service_port_protocol(name=p.name, app_protocol=p.app_protocol, protocol=p.protocol)
            if protocol == "UDP":
                continue
            scheme = "https" if is_tls(protocol) else "tcp" if is_tcp(protocol) else "http"
            out.append(f"{scheme}://{svc.name}.{svc.namespace}:{p.port}")
    return out


# -- many requests at once -----------------------------------------------------------

def source_key(sim: Simulator, source: str | Workload) -> tuple:
    """What of a source the verdict and Envoy path of its requests depend on, besides the target.

    The namespace (the pod's DNS search list, ``exportTo``), whether it has a proxy and which
    (sidecar, gateway, none), and the chosen Sidecar, which with the namespace is the proxy's
    scope and outbound policy; and, only where the scope makes them matter
    (:func:`sidecar_lab.core.envoy.source_dependence`), the pod's labels (a route's
    ``sourceLabels``, a DestinationRule's ``workloadSelector``) and its own address (a headless
    service's listener for it is never built). Two workloads with the same key get the same
    ``verdict``, ``envoy`` listener, route and cluster for every target, so :func:`matrix_cells`
    checks each (key, target) pair once. What else ``check`` says of a source (its name, the
    address the destination sees) is not part of a matrix cell.
    """
    w = sim.workload(source)
    res = sim.resolve(w)
    key: tuple = (w.namespace, res.proxy, res.sidecar)
    if res.proxy == "sidecar":
        scope = sim.scope_for(sim.sidecar(res.sidecar), w.namespace)
        labels, own_ip = source_dependence(sim, scope, w)
        if labels:
            key += (tuple(sorted(w.labels.items())),)
        if own_ip:
            key += (w.pod_ip,)
    return key


def matrix_cells(sim: Simulator, sources: list[Workload], targets: list[str]) -> tuple[list[list[dict]], list[tuple]]:
    """Every source against every target, as the matrix's cells, and each source's :func:`source_key`.

    A cell is ``{"verdict", "cluster", "route", "listener"}``. Sources that share a key share
    their row (the same list object): each (key, target) pair is checked once, so the cost grows
    with the distinct scopes times the targets, not with every workload.
    """
    rows: dict[tuple, list[dict]] = {}
    out: list[list[dict]] = []
    keys: list[tuple] = []
    for w in sources:
        key = source_key(sim, w)
        row = rows.get(key)
        if row is None:
            row = rows[key] = []
            for t in targets:
                r = check(sim, w, t)
                row.append({"verdict": r.verdict.value, "cluster": r.envoy.cluster, "route": r.envoy.route,
                            "listener": r.envoy.listener})
        out.append(row)
        keys.append(key)
    return out, keys
