"""What happens to one request from a workload: DNS, Envoy's listener, route and cluster, and curl.

The model of Envoy follows istiod's listener building for sidecars with iptables
capture (``pilot/pkg/networking/core``):

* a visible service port that is explicitly HTTP (``http``, ``http2``, ``grpc``, ...)
  opens the shared listener ``0.0.0.0_P`` whose route table ``P`` has one virtual
  host per service plus a catch-all: ``allow_any`` (PassthroughCluster) under
  ALLOW_ANY, ``block_all`` (a 502 with an empty body) under REGISTRY_ONLY;
* TCP, TLS and sniffed ports of a service with a VIP bind ``VIP_P``;
* a service without a VIP (ServiceEntry without addresses, ExternalName) binds
  ``0.0.0.0_P`` and, for TCP, captures that whole port whatever the destination;
* anything no listener takes reaches ``virtualOutbound``: PassthroughCluster under
  ALLOW_ANY (or the egress proxy), BlackHoleCluster under REGISTRY_ONLY.

>>> parse_target("http://httpbin.istioinaction:8000/ip")
('http', 'httpbin.istioinaction', 8000, '/ip')
"""

from __future__ import annotations

import ipaddress
import re
import weakref
from dataclasses import dataclass, field
from functools import cached_property

from .errors import UsageError
from .hosts import subset_of
from .model import ALLOW_ANY_DYNAMIC_DNS, REGISTRY_ONLY, Workload
from .protocol import AUTO, is_http, is_tcp, is_tls
from .resolver import RegistryPort, RegistryService, Scope, Simulator, selector_matches
from .results import EnvoyPath, RequestResult, Resolution, Step, Target, Verdict
from .versions import Rules

__all__ = ["parse_target", "is_absolute", "check", "matrix_targets", "matrix_cells", "source_key",
           "EnvoyListener", "listeners_for"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TARGET = re.compile(r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)"
                     r"(?::(?P<port>[0-9]+))?(?P<path>[/?#]\S*)?$")
BLOCK_ALL = Step("curl.block-all", {})
BLOCK_ALL_TEXT = BLOCK_ALL.text()  # "HTTP 502 with an empty body from Envoy; curl prints nothing and exits 0"
#: Istio 1.31's cluster for unknown HTTP under ALLOW_ANY_DYNAMIC_DNS (Envoy's dynamic forward proxy).
DYNAMIC_DNS_CLUSTER = "AllowAnyDynamicDNSCluster"


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


@dataclass(slots=True)
class EnvoyListener:
    """An outbound listener of one proxy, as istiod would build it."""

    name: str
    port: int
    #: Virtual hosts of route table ``port``: (service, port) pairs with HTTP or sniffed protocols.
    http: list = field(default_factory=list)
    #: Services that take the connection whatever it carries (VIP listeners; VIP-less TCP ports).
    tcp: list = field(default_factory=list)
    #: VIP-less TLS services matched by SNI.
    sni: list = field(default_factory=list)
    user_defined: bool = False
    #: True when plaintext HTTP is inspected (an HTTP or sniffed port).
    inspects_http: bool = False


def _vip_listener_address(svc: RegistryService) -> list[str]:
    if svc.kind == "Service":
        ip = svc.obj.cluster_ip  # type: ignore[union-attr]
        return [ip if ip and ip != "None" else f"<ClusterIP of {svc.namespace}/{svc.name}>"]
    return list(svc.addresses)


def listeners_for(sim: Simulator, scope: Scope) -> dict[str, EnvoyListener]:
    """Every outbound listener of a proxy using ``scope`` (cached on the simulator)."""
    cache = sim.listener_cache
    key = id(scope)
    if key in cache:
        return cache[key][1]
    out: dict[str, EnvoyListener] = {}

    def get(name: str, port: int, user: bool = False) -> EnvoyListener:
        listener = out.get(name)
        if listener is None:
            listener = out[name] = EnvoyListener(name, port, user_defined=user)
        return listener

    for sl in scope.listeners:
        spec = sl.listener
        if spec.port is not None and spec.port.number:
            # A user-defined egress port: one listener on bind (or 0.0.0.0) with that port's protocol.
            from .protocol import parse as parse_protocol

            name = f"{spec.bind or '0.0.0.0'}_{spec.port.number}"
            if name in out:
                continue
            listener = get(name, spec.port.number, user=True)
            protocol = parse_protocol(spec.port.protocol)
            for svc in sl.services:
                p = svc.port(spec.port.number) or RegistryPort(spec.port.number, protocol)
                if is_http(protocol) or protocol == AUTO:
                    listener.http.append((svc, p))
                    listener.inspects_http = True
                if not is_http(protocol):
                    listener.tcp.append((svc, p))
            if is_http(protocol):
                listener.inspects_http = True
            continue
        for svc in sl.services:
            for p in svc.ports:
                if is_http(p.protocol):
                    listener = get(f"0.0.0.0_{p.port}", p.port)
                    if listener.user_defined:
                        continue
                    listener.http.append((svc, p))
                    listener.inspects_http = True
                elif svc.has_vip and svc.resolution != "Passthrough":
                    for address in _vip_listener_address(svc):
                        listener = get(f"{address}_{p.port}", p.port)
                        listener.tcp.append((svc, p))
                        if p.protocol == AUTO:
                            listener.http.append((svc, p))
                            listener.inspects_http = True
                elif svc.resolution == "Passthrough":
                    # Headless: one listener per endpoint address.
                    for ip in _endpoint_ips(sim, svc):
                        listener = get(f"{ip}_{p.port}", p.port)
                        listener.tcp.append((svc, p))
                        if p.protocol == AUTO:
                            listener.http.append((svc, p))
                            listener.inspects_http = True
                else:
                    listener = get(f"0.0.0.0_{p.port}", p.port)
                    if listener.user_defined:
                        continue
                    if is_tls(p.protocol):
                        listener.sni.append((svc, p))
                    else:
                        listener.tcp.append((svc, p))
                        if p.protocol == AUTO:
                            listener.http.append((svc, p))
                            listener.inspects_http = True
    cache[key] = (scope, out)
    return out


def _endpoint_ips(sim: Simulator, svc: RegistryService) -> list[str]:
    pods = _selected_workloads(sim, svc)
    ips = [w.pod_ip for w in pods if w.pod_ip]
    return ips or [f"<pod IP of {svc.namespace}/{svc.name}>"]


class _Index:
    """Look-ups that ``check`` makes for every request, each built once per simulator when first
    needed (a request used to scan every workload and Service, which made a matrix grow with their
    square, while one ``check`` needs only a few of them)."""

    def __init__(self, sim: Simulator) -> None:
        # Not the simulator itself: it keys the weak dictionary that holds this index.
        self.mesh, self.declared_namespaces = sim.mesh, sim.namespaces
        self.selected: dict[int, tuple[RegistryService, list[Workload]]] = {}

    @cached_property
    def workloads_by_namespace(self) -> dict[str, list[Workload]]:
        out: dict[str, list[Workload]] = {}
        for w in self.mesh.workloads:  # in the mesh's order, as the scans were
            out.setdefault(w.namespace, []).append(w)
        return out

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
        for group in (mesh.workloads, mesh.services, mesh.sidecars, mesh.service_entries):
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
        hit = index.selected[id(svc)] = (svc, [w for w in index.workloads_by_namespace.get(svc.namespace, ())
                                               if selector_matches(selector, w.labels)])
    return hit[1]


# -- DNS ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Resolved:
    name: str | None  # the name that answered, None for a DNS failure
    service: RegistryService | None
    address: str  # vip | pod | external | none
    ip: str | None = None
    tried: tuple[str, ...] = ()


def _known_namespaces(sim: Simulator) -> set[str]:
    return _index(sim).namespaces


def is_absolute(target: str) -> bool:
    """Does the target's host end with a dot (an absolute DNS name, ``svc.ns.svc.cluster.local.``)?

    >>> is_absolute("http://httpbin.default.svc.cluster.local.:8000/ip"), is_absolute("google.com")
    (True, False)
    """
    match = _TARGET.match(target.strip()) if target else None
    return match is not None and match.group("host").endswith(".")


def _resolve_name(sim: Simulator, source_ns: str, host: str, absolute: bool = False) -> _Resolved:
    domain = sim.domain
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        text = str(ip)
        for svc in sim.registry:
            if svc.kind == "Service" and svc.obj.cluster_ip == text:  # type: ignore[union-attr]
                return _Resolved(text, svc, "vip", text)
            if svc.kind == "ServiceEntry" and text in svc.addresses:
                return _Resolved(text, svc, "vip", text)
        if _index(sim).workloads_by_ip.get(text):
            return _Resolved(text, None, "pod", text)
        return _Resolved(text, None, "external", text)
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
                if found.type == "ExternalName":
                    return _Resolved(name, reg, "external", found.external_name, tuple(names))
                return _Resolved(name, reg, "pod" if found.headless else "vip", found.cluster_ip, tuple(names))
            continue
        if name == domain or name.endswith("." + domain):
            continue
        if name is host:
            labels = host.split(".")
            if len(labels) == 1 or labels[-1] in _known_namespaces(sim):
                return _Resolved(None, None, "none", None, tuple(names))
            se = _service_entry_for(sim, source_ns, host)
            return _Resolved(host, se, "vip" if se is not None and se.addresses else "external",
                             se.addresses[0] if se is not None and se.addresses else None, tuple(names))
    return _Resolved(None, None, "none", None, tuple(names))


def _service_entry_for(sim: Simulator, source_ns: str, host: str) -> RegistryService | None:
    best = None
    for svc in sim.registry:
        if svc.kind != "ServiceEntry" or not subset_of(host, svc.hostname):
            continue
        if sim.exported(svc, source_ns) and (best is None or not sim.exported(best, source_ns)):
            best = svc
        elif best is None:
            best = svc
    return best


# -- the request -------------------------------------------------------------------

def _cluster(port: int, host: str, subset: str = "") -> str:
    return f"outbound|{port}|{subset}|{host}"


def _passthrough(res: Resolution, port: int) -> tuple[str, Step]:
    proxy = res.policy.egress_proxy if res.policy else None
    if proxy:
        cluster = _cluster(proxy.get("port") or port, proxy["host"], proxy.get("subset") or "")
        return cluster, Step("traffic.egress-proxy", {"cluster": cluster})
    return "PassthroughCluster", Step("traffic.passthrough", {})


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


def check(sim: Simulator, source: str | Workload, target: str) -> RequestResult:
    """Simulate ``kubectl exec SOURCE -- curl TARGET``."""
    w = sim.workload(source)
    scheme, host, port, path = parse_target(target)
    absolute = is_absolute(target)
    res = sim.resolve(w)
    steps: list[Step] = []
    resolved = _resolve_name(sim, w.namespace, host, absolute)
    svc = resolved.service
    tgt = Target(target, scheme, host, port, path, resolved.name, svc.ref if svc else None,
                 svc.hostname if svc else None, resolved.address)

    def done(verdict: Verdict, envoy: EnvoyPath, sees: Step, exit_code: int | None, status: int | None,
             dest: str | None = None) -> RequestResult:
        return RequestResult(w, tgt, res, verdict, envoy, sees.text(), exit_code, status, dest, tuple(steps), sees)

    if absolute:
        steps.append(Step("traffic.dns-absolute", {"host": host + "."}))
    if resolved.name is None:
        steps.append(Step("traffic.dns-failure", {"host": host, "tried": ", ".join(resolved.tried)}))
        return done(Verdict.DNS_FAILURE, EnvoyPath(None, None, None),
                    Step("curl.dns-failure", {"host": host}), 6, None)
    if svc is not None and svc.kind == "Service":
        steps.append(Step("traffic.dns-service", {"host": host, "fqdn": resolved.name}))
    elif svc is not None:
        steps.append(Step("traffic.dns-service-entry", {"host": host, "entry": str(svc.ref)}))
    else:
        steps.append(Step("traffic.dns-external", {"host": host}))
    port_missing = svc is not None and svc.kind == "Service" and svc.port(port) is None and resolved.address == "vip"
    if res.proxy != "sidecar":
        steps.append(Step("traffic.no-proxy" if res.proxy == "none" else "traffic.gateway-source", {}))
        dest, why = _destination_sees(sim, w, svc, resolved)
        if why:
            steps.append(why)
        if port_missing:
            steps.append(Step("traffic.port-missing", {"service": svc.hostname, "port": port}))
            return done(Verdict.DIRECT, EnvoyPath(None, None, None),
                        Step("curl.port-missing", {"port": port}), 7, None)
        return done(Verdict.DIRECT, EnvoyPath(None, None, None), _app_response(svc, host, scheme), 0, None, dest)

    scope = sim.scope_for(sim.sidecar(res.sidecar), w.namespace)
    mode = res.policy.mode
    steps.append(Step("traffic.mode", {"mode": mode, "source": res.policy.source, "detail": res.policy.detail}))
    listeners = listeners_for(sim, scope)
    visible = scope.service(svc.hostname) if svc is not None else None
    if visible is not None and visible.namespace != svc.namespace:
        visible = None
    if svc is not None and (visible is None or visible.port(port) is None):
        steps.append(_why_invisible(sim, res, scope, svc, port))

    def routed(target_svc: RegistryService, p: int, listener: str, route: str | None) -> RequestResult:
        cluster = _cluster(p, target_svc.hostname)
        steps.append(Step("traffic.routed", {"cluster": cluster}))
        dest, why = _destination_sees(sim, w, target_svc, resolved)
        if why:
            steps.append(why)
        if svc is not None and target_svc.hostname != svc.hostname:
            steps.append(Step("traffic.captured-by-other", {"meant": svc.hostname, "got": target_svc.hostname}))
        elif svc is None and target_svc.kind == "ServiceEntry" and not subset_of(host, target_svc.hostname):
            steps.append(Step("traffic.captured-by-other", {"meant": host, "got": target_svc.hostname}))
        return done(Verdict.ROUTED, EnvoyPath(listener, route, cluster), _app_response(target_svc, host, scheme),
                    0, None, dest)

    def unmatched(listener: str | None, http_catch_all: bool) -> RequestResult:
        known_in_mesh = svc is not None and svc.kind == "Service"
        if http_catch_all:
            if mode == REGISTRY_ONLY:
                steps.append(Step("traffic.block-all", {"listener": listener, "port": port}))
                return done(Verdict.BLOCKED, EnvoyPath(listener, "block_all", None), BLOCK_ALL, 0, 502)
            if mode == ALLOW_ANY_DYNAMIC_DNS:  # a mesh mode from 1.31 (the Simulator refuses it before)
                steps.append(Step("traffic.allow-any-dynamic-dns", {"listener": listener, "port": port}))
                cluster, route = DYNAMIC_DNS_CLUSTER, "allow_any_dynamic_dns"
            else:
                cluster, why = _passthrough(res, port)
                steps.append(Step("traffic.allow-any", {"listener": listener, "port": port}))
                steps.append(why)
                route = "allow_any"
        else:
            if listener is None:
                steps.append(Step("traffic.no-listener", {"port": port}))
                listener = "virtualOutbound"
                http_chain = mode == ALLOW_ANY_DYNAMIC_DNS and scheme == "http"
            else:
                steps.append(Step("traffic.passthrough-chain", {"listener": listener}))
                http_chain = False
            if mode == REGISTRY_ONLY:
                steps.append(Step("traffic.blackhole", {}))
                sees, code = _blackhole_symptom(scheme)
                return done(Verdict.BLOCKED, EnvoyPath(listener, None, "BlackHoleCluster"), sees, code, None)
            if http_chain:
                steps.append(Step("traffic.dynamic-dns-chain", {}))
                cluster, route = DYNAMIC_DNS_CLUSTER, "allow_any_dynamic_dns"
            else:
                cluster, why = _passthrough(res, port)
                steps.append(why)
                route = None
        if known_in_mesh:
            steps.append(Step("traffic.not-a-firewall", {"service": svc.hostname}))
        dest, why_dest = _destination_sees(sim, w, svc, resolved) if svc is not None else (None, None)
        if why_dest:
            steps.append(why_dest)
        if port_missing:
            steps.append(Step("traffic.port-missing", {"service": svc.hostname, "port": port}))
            return done(Verdict.PASSTHROUGH, EnvoyPath(listener, route, cluster),
                        Step("curl.port-missing", {"port": port}), 7, None)
        return done(Verdict.PASSTHROUGH, EnvoyPath(listener, route, cluster), _app_response(svc, host, scheme),
                    0, None, dest)

    # 1. A listener bound to the destination address itself (VIP_P, or a headless endpoint).
    dest_ips: list[str] = []
    if visible is not None and resolved.address in ("vip", "pod"):
        if visible.resolution == "Passthrough":
            dest_ips = _endpoint_ips(sim, visible)
        else:
            dest_ips = _vip_listener_address(visible)
    for ip in dest_ips:
        listener = listeners.get(f"{ip}_{port}")
        if listener is None:
            continue
        owner = next((pair for pair in listener.tcp if pair[0].hostname == visible.hostname), listener.tcp[0])
        steps.append(Step("traffic.listener-vip", {"listener": listener.name, "service": owner[0].hostname}))
        route = f"{owner[0].hostname}:{port}" if (scheme == "http" and listener.inspects_http) else None
        return routed(owner[0], port, listener.name, route)

    # 2. The port's shared listener 0.0.0.0_P.
    shared = listeners.get(f"0.0.0.0_{port}")
    if shared is not None:
        if scheme == "http" and shared.inspects_http:
            steps.append(Step("traffic.listener-http", {"listener": shared.name, "port": port}))
            hit = _virtual_host(sim, scope, shared, svc, host, port)
            if hit is not None and absolute:
                hit = _absolute_host(sim.rules, hit, host, port, steps)
            if hit is not None:
                target_svc, vhost, via = hit
                steps.append(Step("traffic.virtual-host", {"vhost": vhost}))
                if via:
                    steps.append(Step("traffic.via-virtual-service", {"vs": via, "host": target_svc.hostname}))
                return routed(target_svc, _route_port(target_svc, port), shared.name, vhost)
            # A listener that inspects HTTP sends unmatched plaintext HTTP to the catch-all route.
            return unmatched(shared.name, http_catch_all=True)
        if scheme == "https":
            for target_svc, p in shared.sni:
                if subset_of(host, target_svc.hostname):
                    steps.append(Step("traffic.listener-sni", {"listener": shared.name, "sni": host,
                                                               "service": target_svc.hostname}))
                    return routed(target_svc, port, shared.name, None)
        if shared.tcp:  # a VIP-less TCP (or sniffed, non-HTTP) service takes the whole port
            target_svc = shared.tcp[0][0]
            steps.append(Step("traffic.listener-whole-port", {"listener": shared.name, "service": target_svc.hostname}))
            return routed(target_svc, port, shared.name, None)
        return unmatched(shared.name, http_catch_all=False)

    # 3. Nothing takes it: virtualOutbound.
    return unmatched(None, http_catch_all=False)


def _absolute_host(rules: Rules, hit: tuple, host: str, port: int, steps: list[Step]) -> tuple | None:
    """A Host header with a trailing dot: the same virtual host from 1.27 (``Rules.absolute_fqdn_vhost``), none before."""
    params = {"host": host + ".", "port": port, "version": str(rules.version),
              "since": str(Rules.absolute_fqdn_vhost.since)}
    if rules.absolute_fqdn_vhost:
        steps.append(Step("traffic.absolute-fqdn-vhost", params))
        return hit
    steps.append(Step("traffic.absolute-fqdn-no-vhost", params))
    return None


def _route_port(svc: RegistryService, port: int) -> int:
    return port if svc.port(port) is not None else (svc.ports[0].port if svc.ports else port)


def _virtual_host(sim: Simulator, scope: Scope, listener: EnvoyListener, svc: RegistryService | None,
                  host: str, port: int) -> tuple[RegistryService, str, str | None] | None:
    """The virtual host of route table ``port`` that takes ``Host: host``, if any."""
    candidates = [s for s, _ in listener.http]
    # VirtualServices imported by the scope route their hosts first.
    for sl in scope.listeners:
        for vs in sl.virtual_services:
            names = [svc.hostname] if svc is not None else []
            names.append(host)
            if not any(subset_of(n, h) or n == h for n in names for h in vs.hosts):
                continue
            for d in vs.destinations:
                dest = scope.service(d.host)
                if dest is not None:
                    vhost = f"{(svc.hostname if svc is not None else host)}:{port}"
                    return dest, vhost, f"{vs.namespace}/{vs.name}"
    for s in candidates:
        if svc is not None and s.hostname == svc.hostname and s.namespace == svc.namespace:
            return s, f"{s.hostname}:{port}", None
        if svc is None and subset_of(host, s.hostname):
            return s, f"{s.hostname}:{port}", None
    return None


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
    scope and outbound policy. Two workloads with the same key get the same ``verdict``,
    ``envoy`` listener, route and cluster for every target, so :func:`matrix_cells` checks each
    (key, target) pair once. What else ``check`` says of a source (its name, the address the
    destination sees) is not part of a matrix cell.

    A rule that makes the outcome depend on more of the source, such as a route matching the
    source's labels (``sourceLabels``), must add what it reads here, or the matrix would share
    cells that differ; ``tests/test_matrix.py`` compares every cell with its own ``check``.
    """
    w = sim.workload(source)
    res = sim.resolve(w)
    return (w.namespace, res.proxy, res.sidecar)


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
