"""The Envoy configuration istiod builds for one sidecar, and how Envoy picks from it.

Listeners (LDS), route tables (RDS) and clusters (CDS), from a :class:`~sidecar_lab.core.resolver.Scope`:

* listeners follow ``pilot/pkg/networking/core/listener.go`` (``buildSidecarOutboundListeners``,
  ``buildSidecarOutboundListener``, ``mergeTCPFilterChains``, ``buildListenerFromEntry``) and
  ``tls.go`` (TCP and TLS filter chains): keys ``bind:port``, locked ports of port-specific egress
  listeners, protocol conflicts, VIP binds, CIDR and SNI filter-chain matches, ``captureMode: NONE``;
* route tables follow ``httproute.go`` (``BuildSidecarOutboundVirtualHosts``,
  ``generateVirtualHostDomains``, ``dedupeDomains``) and ``route/route.go``
  (``BuildSidecarVirtualHostWrapper``, ``BuildHTTPRoutesForVirtualService``, ``TranslateRoute``,
  ``GetDestinationCluster``);
* route tables of HTTP_PROXY ports and unix sockets merge every port's virtual hosts
  (``mergeAllVirtualHosts``); the catch-all virtual host is ``buildCatchAllVirtualHost``'s;
* clusters follow ``cluster.go`` (``buildOutboundClusters``): one per port of every visible
  service but aliases, plus one per DestinationRule subset; their endpoints follow
  ``endpoint_builder.go`` (``BuildClusterLoadAssignment``, a subset's endpoints by
  ``getSubSetLabels``);
* what one proxy gets: :func:`proxy_listeners` (no listener for a headless service's endpoint that
  is the proxy itself), :func:`proxy_route_tables` (the tables its listeners name);
* Envoy's own choices: original-destination listener lookup, filter-chain matching (most
  specific destination prefix, then SNI, transport and application protocol, no backtracking),
  virtual host by domain, routes in order.

>>> sorted(ENVOY_STATIC_CLUSTERS)[:2]
['BlackHoleCluster', 'InboundPassthroughCluster']
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

from .destinationrules import most_specific_host_match
from .hosts import matches as host_matches
from .model import (
    EMPTY, Destination, HTTPDirectResponse, HTTPMatchRequest, HTTPRoute, L4Route, StringMatch, VirtualService,
    Workload,
)
from .protocol import AUTO, HTTP_FAMILY, is_tls
from .protocol import parse as parse_protocol
from .resolver import RegistryService, Scope, ScopeListener, Simulator, selector_matches

__all__ = [
    "FilterChain", "EnvoyListener", "Route", "VirtualHost", "RouteTable", "Proxy", "Endpoint",
    "build_listeners", "proxy_listeners", "proxy_key", "proxy_of_key", "route_table", "proxy_route_tables",
    "outbound_clusters",
    "cluster_name", "destination_cluster", "cluster_endpoints", "service_workloads", "subset_labels",
    "catch_all_virtual_host", "passthrough_cluster", "extract_listener_port", "egress_listener_for_rds",
    "select_listener", "select_filter_chain", "is_ip", "source_dependence", "select_virtual_host", "select_route",
    "route_matches", "ENVOY_STATIC_CLUSTERS", "WILDCARD", "LOCALHOST", "RESERVED_PORTS", "HTTP_ALPNS", "UNIX_PREFIX",
    "ALLOW_ANY_VHOST", "BLOCK_ALL_VHOST", "DYNAMIC_DNS_CLUSTER",
]

WILDCARD = "0.0.0.0"
LOCALHOST = "127.0.0.1"
#: Ports of Envoy's own listeners a sidecar port may not take on 0.0.0.0 (``conflictWithReservedListener``).
RESERVED_PORTS = frozenset({15001, 15006, 15021, 15090})
#: The application protocols of plaintext HTTP as the HTTP inspector reports them (``plaintextHTTPALPNs``).
HTTP_ALPNS = ("http/1.0", "http/1.1", "h2c")
#: Clusters every sidecar has besides the outbound ones.
ENVOY_STATIC_CLUSTERS = frozenset({"BlackHoleCluster", "PassthroughCluster", "InboundPassthroughCluster"})

_TCP_FAMILY = frozenset({"TCP", "HTTPS", "TLS", "Mongo", "Redis", "MySQL"})
#: The catch-all virtual hosts' names (``util.Passthrough``, ``util.BlackHole``) and the cluster of
#: Istio 1.31's ALLOW_ANY_DYNAMIC_DNS (Envoy's dynamic forward proxy).
ALLOW_ANY_VHOST, BLOCK_ALL_VHOST, DYNAMIC_DNS_CLUSTER = "allow_any", "block_all", "AllowAnyDynamicDNSCluster"
_BLOCK_ALL_RESPONSE = HTTPDirectResponse(502)
#: ``model.UnixAddressPrefix``: a Sidecar egress ``bind`` (or an endpoint) on a unix domain socket.
UNIX_PREFIX = "unix://"


def cluster_name(port: int, host: str, subset: str = "") -> str:
    """``model.BuildSubsetKey``: ``outbound|P|subset|host``."""
    return f"outbound|{port}|{subset}|{host}"


def _listener_protocol(protocol: str) -> str:
    """``ModelProtocolToListenerProtocol``: HTTP, TCP, AUTO (sniffed) or UDP."""
    if protocol in HTTP_FAMILY:
        return "HTTP"
    if protocol in _TCP_FAMILY:
        return "TCP"
    if protocol == "UDP":
        return "UDP"
    return AUTO


# -- the proxy ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Proxy:
    """What istiod knows of the proxy it builds for: its scope, labels, namespace and address."""

    scope: Scope
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    namespace: str = ""
    ip: str | None = None

    @classmethod
    def of(cls, scope: Scope, w: Workload) -> "Proxy":
        return cls(scope, w.labels, w.namespace, w.pod_ip)

    @property
    def domain_suffix(self) -> str:
        return self.scope.config_namespace


# -- clusters ----------------------------------------------------------------------------------

def destination_cluster(dest: Destination, service: RegistryService | None, listener_port: int) -> str:
    """``route.GetDestinationCluster``: the destination's port, else the service's only port, else the
    listener's port; an alias points at its concrete service; no host is ``UnknownService``."""
    if not dest.host:
        return "UnknownService"
    host = dest.host
    if service is not None and service.alias_for:
        host = service.alias_for
    port = listener_port
    if dest.port:
        port = dest.port
    elif service is not None and len(service.ports) == 1:
        port = service.ports[0].port
    return cluster_name(port, host, dest.subset or "")


def _cluster_built(svc: RegistryService) -> bool:
    """A ServiceEntry with ``resolution: STATIC`` and no endpoints gets no cluster (``buildCluster``)."""
    if svc.kind == "ServiceEntry" and svc.resolution == "STATIC":
        obj = svc.obj
        return bool(obj.endpoint_addresses) or obj.workload_selector is not None  # type: ignore[union-attr]
    return True


def outbound_clusters(sim: Simulator, scope: Scope, labels: Mapping[str, str] = EMPTY) -> tuple[str, ...]:
    """``buildOutboundClusters``: every outbound cluster of a proxy, named as Envoy names them —
    ``outbound|P||host`` per port of every visible service (aliases have none), and
    ``outbound|P|subset|host`` per subset of the DestinationRule this proxy uses for it."""
    key = _labels_key(scope, labels)
    cache = sim.__dict__.setdefault("_cluster_cache", {})
    hit = cache.get(key)
    if hit is not None and hit[0] is scope:
        return hit[1]
    out: list[str] = []
    for svc in scope.services:
        if svc.is_alias or not _cluster_built(svc):
            continue
        rule = scope.destination_rule(svc.hostname, labels) if scope.destination_rules else None
        subsets = rule.subset_names() if rule is not None else ()
        for p in svc.ports:
            if p.protocol == "UDP":
                continue
            out.append(cluster_name(p.port, svc.hostname))
            out.extend(cluster_name(p.port, svc.hostname, s) for s in subsets)
    result = tuple(out)
    cache[key] = (scope, result)
    return result


def _labels_key(scope: Scope, labels: Mapping[str, str]) -> object:
    """Clusters differ between proxies of one scope only through DestinationRule workloadSelectors."""
    chosen = []
    for hostname, rules in scope.destination_rules.items():
        for rule in rules:
            if rule.workload_selector is not None and rule.namespace == scope.config_namespace \
                    and selector_matches(rule.workload_selector, labels):
                chosen.append((hostname, id(rule)))
    return (id(scope), tuple(chosen))


# -- endpoints ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Endpoint:
    """One endpoint of an outbound cluster (Envoy's ``LbEndpoint``): where it is, and what stands behind it."""

    #: An IP; ``<pod IP of NS/NAME>`` for a Pod without ``status.podIP`` (or a controller standing for
    #: one pod); a DNS name for a DNS cluster; ``unix://...`` for a socket.
    address: str
    port: int | None
    workload: Workload | None = None


def service_workloads(sim: Simulator, svc: RegistryService) -> tuple[Workload, ...]:
    """The workloads behind a Kubernetes Service's endpoints: the Pods its selector selects, else the
    controllers whose pod template it selects (each standing for one pod). Cached per simulator."""
    if svc.kind != "Service":
        return ()
    cache = sim.__dict__.setdefault("_service_workloads", {})
    key = (svc.namespace, svc.name)
    hit = cache.get(key)
    if hit is not None:
        return hit
    selector = svc.obj.selector  # type: ignore[union-attr]
    found: tuple[Workload, ...] = ()
    if selector:
        pods, controllers = _pods_and_controllers(sim, svc.namespace)
        found = tuple(w for w in pods if selector_matches(selector, w.labels)) or \
            tuple(w for w in controllers if selector_matches(selector, w.labels))
    cache[key] = found
    return found


def _pods_and_controllers(sim: Simulator, namespace: str) -> tuple[list[Workload], list[Workload]]:
    """The Pods and the controllers of ``namespace``, each in the mesh's order (cached per simulator)."""
    index = sim.__dict__.setdefault("_pods_and_controllers", {})
    hit = index.get(namespace)
    if hit is None:
        hit = index[namespace] = ([], [])
        for w in sim.workloads_in(namespace):
            hit[0 if w.kind == "Pod" else 1].append(w)
    return hit


def subset_labels(rule: object, subset: str) -> Mapping[str, str]:
    """``getSubSetLabels``: the labels of the named subset of the DestinationRule a proxy uses for the
    host; empty (every endpoint) without a subset, a rule, or labels."""
    if not subset or rule is None:
        return EMPTY
    for s in getattr(rule, "subsets", ()):
        if s.name == subset:
            return s.labels or EMPTY
    return EMPTY


def _target_port(svc: RegistryService, port: int, w: Workload) -> int:
    """The port a Kubernetes endpoint listens on: the Service port's ``targetPort`` (a name is looked
    up among the pod's container ports), else the port itself."""
    for sp in getattr(svc.obj, "ports", ()):
        if sp.port != port:
            continue
        target = sp.target_port
        if target is None:
            return port
        if isinstance(target, int) or str(target).isdigit():
            return int(target)
        for cp in w.ports:
            if cp.name == target:
                return cp.container_port
        return port
    return port


def cluster_endpoints(sim: Simulator, svc: RegistryService, port: int,
                      labels: Mapping[str, str] = EMPTY) -> tuple[Endpoint, ...]:
    """``EndpointBuilder.BuildClusterLoadAssignment``: the endpoints of ``svc``'s cluster on ``port``,
    only those whose labels hold ``labels`` (a subset's, :func:`subset_labels`). A Kubernetes
    Service's are its workloads (:func:`service_workloads`) on the target port; a ServiceEntry's are
    its endpoint addresses (IPs and sockets; for DNS resolution names too, else the host itself) and
    the Pods its ``workloadSelector`` selects. Whether a proxy uses them (not for an ORIGINAL_DST
    cluster) is the caller's to say. Cached per simulator."""
    cache = sim.__dict__.setdefault("_endpoint_cache", {})
    key = (svc.kind, svc.namespace, svc.name, svc.hostname, port, tuple(sorted(labels.items())) if labels else ())
    hit = cache.get(key)
    if hit is not None:
        return hit
    out: list[Endpoint] = []
    if svc.kind == "Service":
        for w in service_workloads(sim, svc):
            if selector_matches(labels, w.labels):
                out.append(Endpoint(w.pod_ip or f"<pod IP of {w.namespace}/{w.name}>", _target_port(svc, port, w), w))
    else:
        entry = svc.obj
        ports = entry.ports  # type: ignore[union-attr]
        target = next((p.target_port or p.number for p in ports if p.number == port), port)
        dns = svc.resolution in ("DNS", "DNS_ROUND_ROBIN")
        for address in entry.endpoint_addresses:  # type: ignore[union-attr]
            if address.startswith(UNIX_PREFIX):
                out.append(Endpoint(address, None))
            elif dns or is_ip(address):
                out.append(Endpoint(address, target))
        if entry.workload_selector is not None:  # type: ignore[union-attr]
            pods, _ = _pods_and_controllers(sim, svc.namespace)
            out += [Endpoint(w.pod_ip or f"<pod IP of {w.namespace}/{w.name}>", target, w) for w in pods
                    if selector_matches(entry.workload_selector, w.labels)  # type: ignore[union-attr]
                    and selector_matches(labels, w.labels)]
        if dns and not out:
            out.append(Endpoint(svc.hostname, target))
    found = tuple(out)
    cache[key] = found
    return found


# -- listeners ---------------------------------------------------------------------------------

@dataclass(slots=True)
class FilterChain:
    """One filter chain of an outbound listener (``filterChainOpts``)."""

    #: ``http`` (an HTTP connection manager on route table ``rds``), ``tcp`` (a TCP proxy to
    #: ``clusters``), or ``passthrough`` (the listener's default PassthroughCluster/BlackHoleCluster).
    kind: str
    cidrs: tuple[str, ...] = ()
    sni: tuple[str, ...] = ()
    transport: str = ""
    alpn: tuple[str, ...] = ()
    rds: str | None = None
    #: (cluster, weight) of a TCP proxy; one entry with weight 0 when not weighted.
    clusters: tuple[tuple[str, int], ...] = ()
    service: RegistryService | None = None
    #: The VirtualService whose tcp/tls route built this chain, if any.
    virtual_service: VirtualService | None = None

    def is_match_all(self) -> bool:
        return (not self.sni or "*" in self.sni) and not self.alpn and not self.transport and not self.cidrs

    def conflicts_with(self, other: "FilterChain") -> bool:
        """``filterChainOpts.conflictsWith``: the same match conditions."""
        if self.transport != other.transport or self.alpn != other.alpn:
            return False
        if {s for s in self.sni if s != "*"} != {s for s in other.sni if s != "*"}:
            return False
        return _cidr_set(self.cidrs) == _cidr_set(other.cidrs)


def _cidr_set(cidrs: Iterable[str]) -> set[str]:
    out = set()
    for c in cidrs:
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            continue
        if str(net.network_address) in ("0.0.0.0", "::"):
            continue
        out.add(str(net))
    return out


@dataclass(slots=True)
class EnvoyListener:
    """An outbound listener of one proxy, as istiod would build it."""

    name: str
    port: int
    bind: str = WILDCARD
    #: True for a real socket (``captureMode: NONE``): iptables-redirected traffic never reaches it.
    bind_to_port: bool = False
    #: The entry's protocol (``outboundListenerEntry.protocol``): HTTP, TCP, AUTO, ...
    protocol: str = AUTO
    chains: list = field(default_factory=list)
    locked: bool = False
    #: Built from a port-specific egress listener of the Sidecar.
    user_defined: bool = False
    #: For a headless service's per-endpoint listener: that endpoint's address.
    endpoint_ip: str | None = None
    @property
    def route_names(self) -> tuple[str, ...]:
        """The route tables (RDS) its HTTP filter chains name, in order."""
        return tuple(dict.fromkeys(c.rds for c in self.chains if c.kind == "http" and c.rds))

    def default_chain(self) -> FilterChain:
        """``buildListenerFromEntry``: a match-all chain becomes the default when others exist;
        without one, the default is the passthrough chain."""
        match_all = [c for c in self.chains if c.is_match_all()]
        if match_all:
            return match_all[-1]
        return FilterChain("passthrough")

    def matched_chains(self) -> list[FilterChain]:
        if len(self.chains) == 1 and self.chains[0].is_match_all():
            return []
        return [c for c in self.chains if not c.is_match_all()]


def _service_address(svc: RegistryService) -> list[str]:
    """``GetAddressForProxy`` (and a ServiceEntry's other addresses: istiod makes one service per address)."""
    if svc.kind == "Service":
        ip = svc.obj.cluster_ip  # type: ignore[union-attr]
        if svc.resolution == "Passthrough" or svc.is_alias:
            return [WILDCARD]
        return [ip if ip and ip != "None" else f"<ClusterIP of {svc.namespace}/{svc.name}>"]
    return list(svc.addresses) or [WILDCARD]


def _istio_resolution(svc: RegistryService) -> str:
    if svc.kind == "ServiceEntry":
        return {"NONE": "Passthrough", "DNS": "DNSLB", "DNS_ROUND_ROBIN": "DNSRoundRobinLB",
                "STATIC": "ClientSideLB"}.get(svc.resolution, svc.resolution)
    return svc.resolution


class _Builder:
    """``buildSidecarOutboundListeners`` for one proxy."""

    def __init__(self, sim: Simulator, proxy: Proxy) -> None:
        self.sim, self.proxy = sim, proxy
        self.listeners: dict[tuple[str, int], EnvoyListener] = {}

    def build(self) -> dict[str, EnvoyListener]:
        for sl in self.proxy.scope.listeners:
            spec = sl.listener
            bind_to_port = spec.capture_mode == "NONE" or bool(spec.bind and spec.bind.startswith(UNIX_PREFIX))
            bind = spec.bind or (LOCALHOST if bind_to_port else "")
            if spec.port is not None:  # a port-specific listener (number 0: a unix socket's, named by its bind)
                protocol = parse_protocol(spec.port.protocol)
                if not self._can_bind(bind, spec.port.number, protocol):
                    continue
                for svc in sl.services:
                    self.add(sl, svc, spec.port.number, protocol, bind, bind_to_port, user=True)
                continue
            for entry in self.listeners.values():
                entry.locked = True
            for svc in sl.services:
                for p in svc.ports:
                    if not self._can_bind(bind, p.port, p.protocol):
                        continue
                    if (not bind and _istio_resolution(svc) == "Passthrough" and _service_address(svc) == [WILDCARD]
                            and (p.protocol in _TCP_FAMILY or p.protocol == AUTO)):
                        ips = self._endpoint_ips(svc)
                        if ips is None:
                            self.add(sl, svc, p.port, p.protocol, bind, bind_to_port)
                        for ip in ips or ():
                            self.add(sl, svc, p.port, p.protocol, ip, bind_to_port, endpoint=True)
                        continue
                    self.add(sl, svc, p.port, p.protocol, bind, bind_to_port)
        return {entry.name: entry for entry in self.listeners.values()}

    @staticmethod
    def _can_bind(bind: str, port: int, protocol: str) -> bool:
        """``CanBindToPort``: no port of Envoy's own listeners on the wildcard address."""
        if bind and bind != WILDCARD:
            return True
        if not bind and protocol not in HTTP_FAMILY:
            return True
        return port not in RESERVED_PORTS

    def _endpoint_ips(self, svc: RegistryService) -> list[str] | None:
        """Endpoint addresses of a service without a VIP; None means "build the wildcard listener"
        (a ServiceEntry with no endpoints and no workloadSelector)."""
        if svc.kind == "ServiceEntry":
            obj = svc.obj
            listed = [a for a in obj.endpoint_addresses if is_ip(a)]  # type: ignore[union-attr]
            pods = _selected_ips(self.sim, obj.workload_selector, svc.namespace) if obj.workload_selector else []  # type: ignore[union-attr]
            if not obj.endpoint_addresses and not pods and obj.workload_selector is None:  # type: ignore[union-attr]
                return None
            return listed + pods
        selector = svc.obj.selector  # type: ignore[union-attr]
        if not selector:
            return []
        out = []
        for w in self.sim.workloads_in(svc.namespace):
            if w.kind == "Pod" and selector_matches(selector, w.labels):
                out.append(w.pod_ip or f"<pod IP of {w.namespace}/{w.name}>")
        return out

    def add(self, sl: ScopeListener, svc: RegistryService, port: int, protocol: str, bind: str,
            bind_to_port: bool, user: bool = False, endpoint: bool = False) -> None:
        """``buildSidecarOutboundListener``."""
        if svc.is_alias:
            return
        kind = _listener_protocol(protocol)
        cidrs: tuple[str, ...] = ()
        if kind in ("TCP", AUTO):
            if not bind:
                for address in _service_address(svc):
                    self._add_one(sl, svc, port, protocol, kind, *_bind_for(address), bind_to_port, user)
                return
        elif kind == "HTTP":
            bind = bind or WILDCARD
        else:
            return
        self._add_one(sl, svc, port, protocol, kind, bind, cidrs, bind_to_port, user, endpoint)

    def _add_one(self, sl: ScopeListener, svc: RegistryService, port: int, protocol: str, kind: str, bind: str,
                 cidrs: tuple[str, ...], bind_to_port: bool, user: bool, endpoint: bool = False) -> None:
        key = (bind, port)
        current = self.listeners.get(key)
        if current is not None and current.locked:
            return
        entry_protocol = protocol
        conflict = "none"
        if protocol == "HTTP_PROXY":
            chains = [self._http_chain(svc, port, kind, bind)]
        elif kind == "HTTP":
            if current is not None:
                if current.protocol in _TCP_FAMILY:
                    conflict = "HTTPOverTCP"
                else:
                    return
            chains = [self._http_chain(svc, port, kind, bind)]
            if bind == WILDCARD:
                entry_protocol = AUTO
        elif kind == "TCP":
            chains = self._tcp_chains(sl, svc, port, protocol, bind, cidrs)
            if current is not None:
                conflict = ("TCPOverHTTP" if current.protocol in HTTP_FAMILY else
                            "TCPOverTCP" if current.protocol in _TCP_FAMILY else "TCPOverAuto")
        else:  # sniffed
            if current is not None:
                if current.protocol in HTTP_FAMILY:
                    conflict = "AutoOverHTTP"
                elif current.protocol in _TCP_FAMILY:
                    conflict = "AutoOverTCP"
                else:
                    return
            chains = self._tcp_chains(sl, svc, port, protocol, bind, cidrs) + [self._http_chain(svc, port, kind, bind)]
        if current is not None and conflict != "none" and _well_known_conflict(protocol, current.protocol):
            return
        if conflict in ("none", "AutoOverHTTP"):
            self.listeners[key] = EnvoyListener(f"{bind}_{port}", port, bind, bind_to_port, entry_protocol, chains,
                                                user_defined=user, endpoint_ip=bind if endpoint else None)
            return
        assert current is not None
        _merge_chains(current, chains)
        if conflict in ("HTTPOverTCP", "TCPOverHTTP", "AutoOverTCP"):
            current.protocol = AUTO

    def _http_chain(self, svc: RegistryService, port: int, kind: str, bind: str) -> FilterChain:
        """``buildSidecarOutboundHTTPListenerOpts``: route table ``P``, or ``host:P`` for a sniffed
        service bound to its own address; a sniffed chain, or one on 0.0.0.0, matches plaintext HTTP only."""
        if port == 0:
            rds = bind  # a unix socket's listener: its route table is named by the socket
        else:
            rds = f"{svc.hostname}:{port}" if kind == AUTO and bind != WILDCARD else str(port)
        if bind == WILDCARD or kind == AUTO:
            return FilterChain("http", transport="raw_buffer", alpn=HTTP_ALPNS, rds=rds, service=svc)
        return FilterChain("http", rds=rds, service=svc)

    def _tcp_chains(self, sl: ScopeListener, svc: RegistryService, port: int, protocol: str, bind: str,
                    cidrs: tuple[str, ...]) -> list[FilterChain]:
        """``buildSidecarOutboundTCPListenerOpts``: the TLS or TCP chains of the VirtualServices for
        this host, else one chain to the service's own cluster."""
        configs = [vs for vs in sl.virtual_services if any(host_matches(h, svc.hostname) for h in vs.hosts)]
        if is_tls(protocol):
            return self._tls_chains(configs, svc, port, bind, cidrs)
        out: list[FilterChain] = []
        default_added = False
        for vs in configs:
            for tcp in vs.tcp:
                if not tcp.match:
                    out.append(FilterChain("tcp", cidrs=cidrs, clusters=self._l4_clusters(tcp, port),
                                           service=svc, virtual_service=vs))
                    return out
                subnets: list[str] = []
                for m in tcp.match:
                    if self._l4_match(m, port):
                        if not m.destination_subnets:
                            out.append(FilterChain("tcp", cidrs=cidrs, clusters=self._l4_clusters(tcp, port),
                                                   service=svc, virtual_service=vs))
                            return out
                        subnets.extend(m.destination_subnets)
                if subnets:
                    out.append(FilterChain("tcp", cidrs=tuple(subnets), clusters=self._l4_clusters(tcp, port),
                                           service=svc, virtual_service=vs))
                    if sorted(subnets) == sorted(cidrs):
                        default_added = True
        if not default_added:
            out.append(FilterChain("tcp", cidrs=cidrs, clusters=((self._own_cluster(svc, port), 0),), service=svc))
        return out

    def _tls_chains(self, configs: list[VirtualService], svc: RegistryService, port: int, bind: str,
                    cidrs: tuple[str, ...]) -> list[FilterChain]:
        """``buildSidecarOutboundTLSFilterChainOpts``."""
        out: list[FilterChain] = []
        handled: set[str] = set()
        for vs in configs:
            for tls in vs.tls:
                for m in tls.match:
                    if not self._l4_match(m, port):
                        continue
                    chain_cidrs = tuple(m.destination_subnets) if m.destination_subnets else cidrs
                    key = ",".join(m.sni_hosts) + "|" + ",".join(m.destination_subnets)
                    if key not in handled:
                        out.append(FilterChain("tcp", cidrs=chain_cidrs, sni=tuple(m.sni_hosts),
                                               clusters=self._l4_clusters(tls, port), service=svc, virtual_service=vs))
                    handled.add(key)
        if out:
            return out
        sni: tuple[str, ...] = ()
        address = _service_address(svc)[0]
        if "/" in address:
            address = ""
        if cidrs or not address or (address == WILDCARD and bind == WILDCARD):
            names = [svc.hostname]
            for alias, _ in svc.aliases:
                names.append(alias)
                names.extend(alt_virtual_hosts(alias, self.proxy.namespace, self.sim.domain,
                                               self.sim.rules.absolute_fqdn_vhost))
            sni = tuple(names)
        return [FilterChain("tcp", cidrs=cidrs, sni=sni, clusters=((self._own_cluster(svc, port), 0),), service=svc)]

    @staticmethod
    def _own_cluster(svc: RegistryService, port: int) -> str:
        """A port-specific egress listener on another port routes to the service's only port, if it
        has one, else to the listener's port."""
        if len(svc.ports) == 1:
            port = svc.ports[0].port
        return cluster_name(port, svc.hostname)

    def _l4_match(self, m, port: int) -> bool:
        """``matchTCP`` / ``matchTLS``: gateways, sourceLabels, port and sourceNamespace."""
        if m.gateways and "mesh" not in m.gateways:
            return False
        if not selector_matches(m.source_labels, self.proxy.labels):
            return False
        if m.port and m.port != port:
            return False
        return not m.source_namespace or m.source_namespace == self.proxy.namespace

    def _l4_clusters(self, route: L4Route, port: int) -> tuple[tuple[str, int], ...]:
        """``buildOutboundNetworkFilters``: one cluster, or weighted clusters."""
        scope = self.proxy.scope
        if len(route.route) == 1:
            d = route.route[0].destination
            return ((destination_cluster(d, scope.service(d.host), port), 0),)
        return tuple((destination_cluster(r.destination, scope.service(r.destination.host), port), r.weight)
                     for r in route.route)


def _bind_for(address: str) -> tuple[str, tuple[str, ...]]:
    """A service address as a listener bind: a CIDR binds 0.0.0.0 with a prefix match instead."""
    if "/" in address:
        return WILDCARD, (address,)
    return address, ()


def _well_known_conflict(incoming: str, existing: str) -> bool:
    """``isConflictWithWellKnownPort``: Mongo and MySQL share a port with nothing else."""
    return (incoming in ("Mongo", "MySQL") or existing in ("Mongo", "MySQL")) and incoming != existing


def _merge_chains(entry: EnvoyListener, incoming: list[FilterChain]) -> None:
    """``mergeTCPFilterChains``: add the chains whose match conditions are new."""
    for chain in incoming:
        if not any(existing.conflicts_with(chain) for existing in entry.chains):
            entry.chains.append(chain)


def is_ip(text: str) -> bool:
    """Is ``text`` an IP address (not a name, not a CIDR)?"""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _selected_ips(sim: Simulator, selector: Mapping[str, str], namespace: str) -> list[str]:
    return [w.pod_ip or f"<pod IP of {w.namespace}/{w.name}>" for w in sim.workloads_in(namespace)
            if w.kind == "Pod" and selector_matches(selector, w.labels)]


def _routes_need_labels(scope: Scope) -> bool:
    """Do this scope's route tables depend on the proxy's labels (http matches with sourceLabels)?"""
    for sl in scope.listeners:
        for vs in sl.virtual_services:
            for r in vs.http:
                if any(m.source_labels for m in r.match):
                    return True
    return False


def _needs_labels(scope: Scope) -> bool:
    """Do listeners depend on the proxy's labels or namespace (tcp/tls matches with source conditions)?"""
    for sl in scope.listeners:
        for vs in sl.virtual_services:
            for group in (vs.tcp, vs.tls):
                for r in group:
                    if any(m.source_labels or m.source_namespace for m in r.match):
                        return True
    return False


def _reads_source_namespace(scope: Scope) -> bool:
    """Do this scope's routes depend on the proxy's namespace (matches with ``sourceNamespace``)?"""
    for sl in scope.listeners:
        for vs in sl.virtual_services:
            for group in (vs.http, vs.tcp, vs.tls):
                for r in group:
                    if any(m.source_namespace for m in r.match):
                        return True
    return False


@dataclass(frozen=True, slots=True)
class _Dependence:
    labels: bool
    namespace: bool
    endpoint_ips: frozenset


def _dependence(sim: Simulator, scope: Scope) -> _Dependence:
    """What beyond its scope a proxy's configuration reads, worked out once per scope."""
    cache = sim.__dict__.setdefault("_dependence_cache", {})
    hit = cache.get(id(scope))
    if hit is not None and hit[0] is scope:
        return hit[1]
    labels = _routes_need_labels(scope) or _needs_labels(scope) or any(
        r.workload_selector is not None and r.namespace == scope.config_namespace
        for rules in scope.destination_rules.values() for r in rules)
    listeners = build_listeners(sim, Proxy(scope, EMPTY, scope.config_namespace)).values()
    ips = frozenset(listener.endpoint_ip for listener in listeners if listener.endpoint_ip)
    found = _Dependence(labels, _reads_source_namespace(scope), ips)
    cache[id(scope)] = (scope, found)
    return found


def source_dependence(sim: Simulator, scope: Scope, w: Workload) -> tuple[bool, bool]:
    """Does what this scope's proxies get depend on a pod's (labels, own address), beyond its scope?

    Labels matter when a VirtualService route of the scope matches ``sourceLabels`` (http, tcp or
    tls) or a DestinationRule of the scope's namespace has a ``workloadSelector``; the address
    matters when the pod is an endpoint of a headless service its proxy sees (istiod builds no
    listener for the proxy's own address). Worked out once per scope.
    """
    found = _dependence(sim, scope)
    return found.labels, bool(w.pod_ip) and w.pod_ip in found.endpoint_ips


def build_listeners(sim: Simulator, proxy: Proxy) -> dict[str, EnvoyListener]:
    """Every outbound listener of ``proxy`` (cached per scope, and per labels when they matter)."""
    scope = proxy.scope
    key: object = id(scope)
    if _needs_labels(scope):
        key = (id(scope), tuple(sorted(proxy.labels.items())), proxy.namespace)
    cache = sim.listener_cache
    hit = cache.get(key)
    if hit is not None and hit[0] is scope:
        return hit[1]
    built = _Builder(sim, proxy).build()
    cache[key] = (scope, built)
    return built


def proxy_key(sim: Simulator, scope: Scope, w: Workload) -> tuple:
    """What beyond its scope the outbound configuration of ``w``'s proxy reads — its labels, its
    namespace, its own address, each None where the scope does not read it — worked out once per scope.
    Pods of one scope with equal keys get the same listeners, route tables and clusters."""
    found = _dependence(sim, scope)
    return (tuple(sorted(w.labels.items())) if found.labels else None,
            w.namespace if found.namespace else None,
            w.pod_ip if w.pod_ip and w.pod_ip in found.endpoint_ips else None)


def proxy_of_key(scope: Scope, key: tuple) -> Proxy:
    """A :class:`Proxy` that stands for every pod of ``scope`` with this :func:`proxy_key`."""
    labels, namespace, ip = key
    return Proxy(scope, dict(labels) if labels is not None else EMPTY, namespace or scope.config_namespace, ip)


def proxy_listeners(sim: Simulator, proxy: Proxy) -> dict[str, EnvoyListener]:
    """Every outbound listener istiod sends ``proxy``: :func:`build_listeners` without the headless
    services' listener for the proxy's own address (``buildSidecarOutboundListeners`` skips the
    endpoint whose address is the node's first IP: the pod reaching itself never uses it)."""
    listeners = build_listeners(sim, proxy)
    own = proxy.ip
    if not own or not any(listener.endpoint_ip == own for listener in listeners.values()):
        return listeners
    return {name: listener for name, listener in listeners.items() if listener.endpoint_ip != own}


def proxy_route_tables(sim: Simulator, proxy: Proxy, listeners: Mapping[str, EnvoyListener] | None = None
                       ) -> tuple[RouteTable, ...]:
    """Every outbound route table (RDS) ``proxy`` asks for: one per name its listeners' HTTP filter
    chains give (:attr:`EnvoyListener.route_names`), in the order the listeners first name them."""
    if listeners is None:
        listeners = proxy_listeners(sim, proxy)
    names: dict[str, None] = {}
    for listener in listeners.values():
        for name in listener.route_names:
            names.setdefault(name)
    return tuple(route_table(sim, proxy, name) for name in names)


# -- choosing a listener and a filter chain -------------------------------------------------------

def select_listener(listeners: Mapping[str, EnvoyListener], ip: str | None, port: int,
                    captured: bool = True, own_ip: str | None = None) -> EnvoyListener | None:
    """Which listener takes a connection to ``ip:port``.

    Captured traffic reaches ``virtualOutbound``, which hands it to the listener bound to the
    original destination (``ip_port``), else to ``0.0.0.0_port``; listeners that bind a real
    socket (``captureMode: NONE``) are reached only by connecting to their own address. A headless
    service's listener for the proxy's own address is never built (``buildSidecarOutboundListeners``).
    """
    if not captured:
        hit = listeners.get(f"{ip}_{port}")
        return hit if hit is not None and hit.bind_to_port else None
    if ip is not None:
        hit = listeners.get(f"{ip}_{port}")
        if hit is not None and not hit.bind_to_port and not (own_ip and hit.endpoint_ip == own_ip):
            return hit
    hit = listeners.get(f"{WILDCARD}_{port}")
    if hit is not None and not hit.bind_to_port:
        return hit
    return None


def _prefix_len(cidr: str, ip: str | None) -> int:
    """The length of ``cidr`` when it holds ``ip``, else -1 (a plain IP is a /32)."""
    if ip is None:
        return -1
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return -1
    return net.prefixlen if addr in net else -1


def _sni_rank(names: Sequence[str], sni: str | None) -> int:
    """Envoy's server-name match: exact (longest), then the longest ``*.`` suffix; -1 when none."""
    if sni is None:
        return -1
    best = -1
    for n in names:
        if n == sni:
            best = max(best, 10_000 + len(n))
        elif n.startswith("*.") and sni.endswith(n[1:]):
            best = max(best, len(n))
    return best


def select_filter_chain(listener: EnvoyListener, ip: str | None, sni: str | None, tls: bool,
                        http: bool) -> FilterChain:
    """Envoy's filter-chain match, criterion by criterion, most specific first, without backtracking:
    destination prefix, server name, transport protocol, application protocol; no match is the
    default chain."""
    chains = listener.matched_chains()
    if not chains:
        return listener.default_chain()
    # 1. destination IP: the longest prefix that holds it, else the chains without a prefix.
    best = max((max((_prefix_len(c, ip) for c in chain.cidrs), default=-1) for chain in chains), default=-1)
    if best >= 0:
        chains = [c for c in chains if max((_prefix_len(x, ip) for x in c.cidrs), default=-1) == best]
    else:
        chains = [c for c in chains if not c.cidrs]
    # 2. server name.
    ranked = [(max(_sni_rank(c.sni, sni), -1), c) for c in chains if c.sni and "*" not in c.sni]
    top = max((r for r, _ in ranked), default=-1)
    if top >= 0:
        chains = [c for r, c in ranked if r == top]
    else:
        chains = [c for c in chains if not c.sni or "*" in c.sni]
    # 3. transport protocol, 4. application protocol.
    transport = "tls" if tls else "raw_buffer"
    exact = [c for c in chains if c.transport == transport]
    chains = exact or [c for c in chains if not c.transport]
    alpn = "http/1.1" if (http and not tls) else None
    exact = [c for c in chains if alpn is not None and alpn in c.alpn]
    chains = exact or [c for c in chains if not c.alpn]
    if chains:
        return chains[0]
    return listener.default_chain()


# -- route tables ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Route:
    """One route of a virtual host (Envoy's ``Route``), already filtered for the proxy."""

    name: str
    match: HTTPMatchRequest | None
    #: ``cluster``, ``weighted``, ``redirect`` or ``direct_response``.
    action: str
    clusters: tuple[tuple[str, int], ...] = ()
    mirrors: tuple[str, ...] = ()
    redirect: object = None
    direct_response: object = None
    #: Envoy's answer when the cluster is missing: 503, or 500 for a Gateway API route.
    cluster_not_found_status: int = 503
    #: Gateway API routes match a prefix only at ``/`` boundaries (``path_separated_prefix``).
    path_separated: bool = False
    virtual_service: VirtualService | None = None
    #: The HTTPRoute match and route positions (http[i].match[j]) this came from, for explanations.
    origin: str = ""

    def is_catch_all(self) -> bool:
        """``IsCatchAllRoute``: prefix ``/`` (or regex ``.*``) and no header or query match."""
        m = self.match
        if m is None:
            return True
        if m.headers or m.query_params or m.without_headers or m.method or m.authority or m.scheme:
            return False
        if m.uri is None:
            return True
        return (m.uri.kind == "prefix" and m.uri.value == "/") or (m.uri.kind == "regex" and m.uri.value == ".*")


@dataclass(frozen=True, slots=True)
class VirtualHost:
    name: str
    domains: tuple[str, ...]
    routes: tuple[Route, ...]
    #: The registry services it was built for (empty for VirtualService hosts outside the registry).
    services: tuple[RegistryService, ...] = ()
    virtual_service: VirtualService | None = None


@dataclass(frozen=True, slots=True)
class RouteTable:
    name: str
    virtual_hosts: tuple[VirtualHost, ...]
    #: The catch-all virtual host's name (``allow_any``, ``block_all``, ``allow_any_dynamic_dns``:
    #: :func:`catch_all_virtual_host`) for every table but a sniffed ``host:P`` one (None).
    catch_all: str | None = None


def extract_listener_port(name: str) -> tuple[int, bool] | None:
    """``extractListenerPort``: a route table's listener port and whether it is a sniffed service's own
    table (``host:P``); port 0 for a unix socket's table (named by the socket); None for a name istiod
    builds no table for."""
    if name.startswith(UNIX_PREFIX):
        return 0, False
    text = name[name.find(":") + 1:]
    if not text.isdigit():
        return None
    return int(text), ":" in name


def egress_listener_for_rds(scope: Scope, port: int, bind: str = "") -> ScopeListener | None:
    """``GetEgressListenerForRDS``: the egress listener of that port (for a unix socket's table, port
    0, the one bound to that socket), else the port-less one."""
    for sl in scope.listeners:
        spec = sl.listener
        if spec.port is None:
            return sl
        if spec.port.number == port:
            if port == 0 and (spec.bind or "") != bind:
                continue
            return sl
    return None


def _with_port(domain: str, port: int | None) -> list[str]:
    """``appendDomainPort``: the domain, and ``domain:port`` when a port is given."""
    return [domain] if port is None else [domain, f"{domain}:{port}"]


def alt_virtual_hosts(hostname: str, proxy_namespace: str, domain: str, absolute_fqdn: bool = False,
                      port: int | None = None) -> list[str]:
    """``GenerateAltVirtualHosts`` for a proxy in a Kubernetes namespace: the short names of a
    Kubernetes hostname (``name``, ``name.ns``, ``name.ns.svc`` in the same namespace; ``name.ns``,
    ``name.ns.svc`` from another); nothing for other names. With ``absolute_fqdn`` (from 1.27,
    ``Rules.absolute_fqdn_vhost``) the name with a trailing dot comes first, for every name but an IP.
    With a ``port`` (an HTTP_PROXY or unix socket table, whose hosts keep their port) each short name
    is followed by its ``name:port`` form."""
    out = [hostname + "."] if absolute_fqdn and not is_ip(hostname) else []
    if absolute_fqdn and port is not None:
        out.append(f"{hostname}.:{port}")
    suffix = f".svc.{domain}"
    if not hostname.endswith(suffix):
        return out
    ih = hostname.find(".svc.")
    first = hostname.find(".")
    if first + 1 >= len(hostname) or first + 1 > ih:
        return out
    if hostname[first + 1:ih] == proxy_namespace:
        names = [hostname[:first], hostname[:ih] + ".svc", hostname[:ih]]
    else:
        names = [hostname[:ih], hostname[:ih] + ".svc"]
    if port is None:
        return out + names
    for name in names:
        out += (name, f"{name}:{port}")
    return out


def _vhost_domains(svc: RegistryService, proxy: Proxy, domain: str, absolute_fqdn: bool = False,
                   port: int | None = None) -> tuple[list[str], list[str]]:
    """``generateVirtualHostDomains``: no port suffixes (sidecars ignore the port in Host) but in the
    tables of HTTP_PROXY and unix socket listeners (``port``)."""
    domains: list[str] = []
    alts: list[str] = []
    for name in (svc.hostname, *(a for a, _ in svc.aliases)):
        alt = alt_virtual_hosts(name, proxy.namespace, domain, absolute_fqdn, port)
        domains += _with_port(name, port)
        domains += alt
        alts += alt
    if _istio_resolution(svc) == "Passthrough" and svc.kind == "Service":
        domains.extend(["*." + d for d in list(domains)])
    for address in _service_address(svc):
        if address and address != WILDCARD and not address.startswith("<"):
            domains.extend(_with_port(address, port))
    return domains, alts


def _source_match(m: HTTPMatchRequest | None, proxy: Proxy) -> bool:
    """``sourceMatchHTTP``: a match for the mesh gateway, else sourceLabels and sourceNamespace."""
    if m is None:
        return True
    if m.gateways:
        return "mesh" in m.gateways
    if selector_matches(m.source_labels, proxy.labels):
        return not m.source_namespace or m.source_namespace == proxy.namespace
    return False


def _translate_route(http: HTTPRoute, m: HTTPMatchRequest | None, port: int, vs: VirtualService,
                     proxy: Proxy, services: Mapping[str, RegistryService], pos: str) -> Route | None:
    """``TranslateRoute``: None when the match's port or source excludes this proxy."""
    if m is not None and m.port and m.port != port:
        return None
    if not _source_match(m, proxy):
        return None
    name = http.name
    if m is not None and m.name:
        name = f"{name}.{m.name}"
    gateway = vs.gateway_semantics
    common = dict(name=name, match=m, cluster_not_found_status=500 if gateway else 503, path_separated=gateway,
                  virtual_service=vs, origin=pos)
    if http.redirect is not None:
        return Route(action="redirect", redirect=http.redirect, **common)
    if http.direct_response is not None:
        return Route(action="direct_response", direct_response=http.direct_response, **common)
    mirrors = []
    for mirror in ([http.mirror] if http.mirror else []) + list(http.mirrors):
        if mirror.percent is None or mirror.percent > 0:
            mirrors.append(destination_cluster(mirror.destination, services.get(mirror.destination.host), port))
    if len(http.route) == 1:
        d = http.route[0].destination
        return Route(action="cluster", clusters=((destination_cluster(d, services.get(d.host), port), 0),),
                     mirrors=tuple(mirrors), **common)
    weighted = tuple((destination_cluster(r.destination, services.get(r.destination.host), port), r.weight)
                     for r in http.route if r.weight != 0)
    return Route(action="weighted", clusters=weighted, mirrors=tuple(mirrors), **common)


def http_routes_for(vs: VirtualService, port: int, proxy: Proxy, services: Mapping[str, RegistryService]
                    ) -> list[Route]:
    """``BuildHTTPRoutesForVirtualService``: the routes for this proxy, stopping after a catch-all."""
    out: list[Route] = []
    for i, http in enumerate(vs.http):
        catch_all = False
        if not http.match:
            r = _translate_route(http, None, port, vs, proxy, services, f"http[{i}]")
            if r is not None:
                out.append(r)
            catch_all = True
        else:
            for j, m in enumerate(http.match):
                r = _translate_route(http, m, port, vs, proxy, services, f"http[{i}].match[{j}]")
                if r is not None:
                    out.append(r)
                    if r.is_catch_all():
                        catch_all = True
                        break
        if catch_all:
            break
    return out


def _is_http_or_sniffed(protocol: str) -> bool:
    return protocol in HTTP_FAMILY or protocol == AUTO


def most_specific_vs_index(vses: Sequence[VirtualService], services: Iterable[RegistryService]) -> dict[str, int]:
    """``computeWildcardHostVirtualServiceIndex``: hostname -> the VirtualService (by id) whose host
    matches it most specifically (an exact host first); the first VirtualService wins a tie."""
    exact: dict[str, VirtualService] = {}
    wild: dict[str, VirtualService] = {}
    for vs in vses:
        for h in vs.hosts:
            (wild if h.startswith("*") else exact).setdefault(h, vs)
    out: dict[str, int] = {}
    if not exact and not wild:
        return out
    for svc in services:
        hit = most_specific_host_match(svc.hostname, exact, wild)
        if hit is not None:
            out[svc.hostname] = id((wild if hit.startswith("*") else exact)[hit])
    return out


def _separate_hosts(vs: VirtualService, by_name: Mapping[str, RegistryService], index: Mapping[str, int]
                    ) -> tuple[list[str], list[RegistryService]]:
    """``separateVSHostsAndServices``: hosts outside the registry, and registry services."""
    others: list[str] = []
    found: list[RegistryService] = []
    for h in vs.hosts:
        if h.startswith("*"):
            continue
        svc = by_name.get(h)
        if svc is not None:
            found.append(svc)
        else:
            others.append(h)
    for h in vs.hosts:
        if not h.startswith("*"):
            continue
        if vs.gateway_semantics:
            others.append(h)
            continue
        any_match = False
        for name, svc in by_name.items():
            if not host_matches(name, h):
                continue
            any_match = True
            if index.get(name) == id(vs):
                found.append(svc)
        if not any_match:
            others.append(h)
    return others, found


def catch_all_virtual_host(policy: object) -> VirtualHost:
    """``buildCatchAllVirtualHost``: ``block_all`` (502) under REGISTRY_ONLY, ``allow_any_dynamic_dns``
    under ALLOW_ANY_DYNAMIC_DNS (1.31), else ``allow_any`` to :func:`passthrough_cluster`."""
    mode = getattr(policy, "mode", "")
    if mode == "REGISTRY_ONLY":
        return VirtualHost(BLOCK_ALL_VHOST, ("*",), (Route(BLOCK_ALL_VHOST, None, "direct_response",
                                                      direct_response=_BLOCK_ALL_RESPONSE),))
    if mode == "ALLOW_ANY_DYNAMIC_DNS":
        name = "allow_any_dynamic_dns"
        return VirtualHost(name, ("*",), (Route(name, None, "cluster", ((DYNAMIC_DNS_CLUSTER, 0),)),))
    return VirtualHost(ALLOW_ANY_VHOST, ("*",), (Route(ALLOW_ANY_VHOST, None, "cluster",
                                                      ((passthrough_cluster(policy), 0),)),))


def passthrough_cluster(policy: object) -> str:
    """Where traffic no service takes goes (``buildOutboundCatchAllNetworkFiltersOnly``):
    BlackHoleCluster under REGISTRY_ONLY, else PassthroughCluster, or the cluster of the Sidecar's
    ``egressProxy`` (``GetDestinationCluster(egressProxy, nil, 0)``)."""
    if getattr(policy, "mode", "") == "REGISTRY_ONLY":
        return "BlackHoleCluster"
    proxy = getattr(policy, "egress_proxy", None)
    if proxy:
        return cluster_name(proxy.get("port") or 0, proxy["host"], proxy.get("subset") or "")
    return "PassthroughCluster"


def route_table(sim: Simulator, proxy: Proxy, name: str) -> RouteTable:
    """``buildSidecarOutboundHTTPRouteConfig``: route table ``P`` (every virtual host of the port and
    the catch-all), ``host:P`` (a sniffed service's own virtual host, domains ``*``), or the table of
    an HTTP_PROXY port or a unix socket (every port's virtual hosts merged, ``mergeAllVirtualHosts``)."""
    cache = sim.__dict__.setdefault("_route_cache", {})
    key: tuple = (id(proxy.scope), name, proxy.namespace)
    if _routes_need_labels(proxy.scope):
        key += tuple(sorted(proxy.labels.items()))
    hit = cache.get(key)
    if hit is not None and hit[0] is proxy.scope:
        return hit[1]
    parsed = extract_listener_port(name)
    port, sniffed = parsed if parsed is not None else (-1, False)
    egress = egress_listener_for_rds(proxy.scope, port, name) if parsed is not None else None
    if egress is not None and egress.listener.port is not None and \
            parse_protocol(egress.listener.port.protocol) == "HTTP_PROXY":
        port = 0  # the ports of an HTTP_PROXY listener are those of the services (BuildSidecarOutboundVirtualHosts)
    vhosts = _virtual_hosts(sim, proxy, port, egress) if egress is not None else []
    if sniffed:
        host = name.rsplit(":", 1)[0]
        chosen = [v for v in vhosts if host in v.domains or name in v.domains]
        if len(chosen) == 1:
            chosen = [replace(chosen[0], domains=("*",))]
        table = RouteTable(name, tuple(chosen), None)
    else:
        table = RouteTable(name, tuple(sorted(vhosts, key=lambda v: v.name)),
                           catch_all_virtual_host(proxy.scope.policy).name)
    cache[key] = (proxy.scope, table)
    return table


def _virtual_hosts(sim: Simulator, proxy: Proxy, port: int, egress: ScopeListener) -> list[VirtualHost]:
    """``BuildSidecarOutboundVirtualHosts`` for one listener port, or for port 0 (an HTTP_PROXY or unix
    socket listener) every port of every service, domains with their ports, merged
    (``mergeAllVirtualHosts``: port 80's virtual hosts whole, the others with their ``host:port`` domains)."""
    every_port = port == 0
    # The services of the port (istiod copies each with that one port; its other ports are skipped below).
    by_name: dict[str, RegistryService] = {}
    for svc in egress.services:
        if every_port or svc.port(port) is not None:
            by_name[svc.hostname] = svc

    def http_ports(svc: RegistryService) -> list[int]:
        return [p.port for p in svc.ports if (every_port or p.port == port) and _is_http_or_sniffed(p.protocol)]
    vses = list(egress.virtual_services)
    if port != 80:
        vses = [vs for vs in vses if _vs_matches_a_service(vs, by_name)]
    index = most_specific_vs_index(egress.virtual_services, egress.services)
    wrappers: list[tuple[int, list[RegistryService], list[str], list[Route], VirtualService | None]] = []
    for vs in vses:
        routes = http_routes_for(vs, port, proxy, by_name)
        if not routes:
            continue
        hosts, found = _separate_hosts(vs, by_name, index)
        if vs.gateway_semantics and not any(s.namespace == vs.namespace or proxy.namespace == vs.namespace
                                            for s in found):
            continue
        by_port: dict[int, list[RegistryService]] = {}
        for svc in found:
            for p in http_ports(svc):
                by_port.setdefault(p, []).append(svc)
        if not by_port and port == 80:
            by_port[80] = []
        for p, svcs in by_port.items():
            wrappers.append((p, svcs, hosts, routes, vs))
    for _, svcs, _, _, _ in wrappers:
        for svc in svcs:
            by_name.pop(svc.hostname, None)
    for svc in by_name.values():
        if svc.is_alias:
            continue
        for p in http_ports(svc):
            route = Route("default", None, "cluster", ((cluster_name(p, svc.hostname), 0),))
            wrappers.append((p, [svc], [], [route], None))
    known = set()
    for p, svcs, _, _, _ in wrappers:
        for svc in svcs:
            known.add(f"{svc.hostname}:{p}")
            known.add(svc.hostname)
    names: set[str] = set()
    used: set[str] = set()
    out: list[VirtualHost] = []
    domain = sim.domain
    absolute = sim.rules.absolute_fqdn_vhost
    for p, svcs, hosts, routes, vs in wrappers:
        if (p != port and not every_port) or not routes:
            continue
        suffix = p if every_port else None
        built = [_build_vhost(h, p, None, names, used, known, proxy, domain, routes, vs, absolute)
                 for h in hosts]
        built += [_build_vhost(svc.hostname, p, svc, names, used, known, proxy, domain, routes, vs, absolute, suffix)
                  for svc in svcs]
        for v in built:
            if v is None:
                continue
            if every_port and p != 80:
                kept = tuple(d for d in v.domains if ":" in d)
                if not kept:
                    continue
                v = replace(v, domains=kept)
            out.append(v)
    return out


def _vs_matches_a_service(vs: VirtualService, by_name: Mapping[str, RegistryService]) -> bool:
    """``selectVirtualServices`` (httproute.go): a host that is a service on this port, or a wildcard
    matching one either way."""
    for h in vs.hosts:
        if h in by_name:
            return True
        for name in by_name:
            if (h.startswith("*") or name.startswith("*")) and host_matches(h, name):
                return True
    return False


def _build_vhost(hostname: str, port: int, svc: RegistryService | None, names: set, used: set, known: set,
                 proxy: Proxy, domain: str, routes: list[Route], vs: VirtualService | None,
                 absolute_fqdn: bool = False, suffix: int | None = None) -> VirtualHost | None:
    name = f"{hostname}:{port}"
    if name in names:
        return None
    names.add(name)
    if svc is None:
        domains, alts = [hostname], []
    else:
        domains, alts = _vhost_domains(svc, proxy, domain, absolute_fqdn, suffix)
    kept = []
    for d in domains:
        low = d.lower()
        if low in used or (d in alts and d in known):
            continue
        kept.append(d)
        used.add(low)
    if not kept:
        return None
    return VirtualHost(name, tuple(kept), tuple(routes), (svc,) if svc is not None else (), vs)


# -- Envoy's choices within a route table -------------------------------------------------------

def select_virtual_host(table: RouteTable, host: str) -> VirtualHost | None:
    """Envoy's virtual host match on the Host header (port ignored): an exact domain, then the
    longest ``*.suffix``, then the longest ``prefix*``, then ``*``."""
    host = host.lower()
    if host.startswith("[") and "]" in host:
        host = host[1:host.index("]")]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    best: tuple[int, int] | None = None
    chosen = None
    for v in table.virtual_hosts:
        for d in v.domains:
            d = d.lower()
            if d == host:
                rank = (4, len(d))
            elif d == "*":
                rank = (1, 0)
            elif d.startswith("*") and host.endswith(d[1:]) and len(host) > len(d) - 1:
                rank = (3, len(d))
            elif d.endswith("*") and host.startswith(d[:-1]) and len(host) > len(d) - 1:
                rank = (2, len(d))
            else:
                continue
            if best is None or rank > best:
                best, chosen = rank, v
    return chosen


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as Envoy sees it."""

    method: str = "GET"
    path: str = "/"
    #: Header names lower-case, including ``:authority`` and ``:scheme``.
    headers: Mapping[str, str] = field(default_factory=lambda: EMPTY)


def _string_matches(m: StringMatch | None, value: str | None, ignore_case: bool = False) -> bool:
    """Envoy's ``StringMatcher``: exact, prefix, or a regex that must match the whole value."""
    if m is None:
        return value is not None
    if value is None:
        return False
    a, b = (m.value.lower(), value.lower()) if ignore_case else (m.value, value)
    if m.kind == "exact":
        return a == b
    if m.kind == "prefix":
        return b.startswith(a)
    if m.kind == "regex":
        try:
            return re.fullmatch(m.value, value) is not None
        except re.error:
            return False
    return True


def _path_matches(m: StringMatch, path: str, ignore_case: bool, separated: bool) -> bool:
    """The route's path specifier: ``prefix`` on the whole path (query included), ``path`` (exact)
    and ``safe_regex`` on the path without its query, ``path_separated_prefix`` at ``/`` boundaries."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    if m.kind == "prefix" and separated and m.value != "/":
        prefix = m.value.rstrip("/") if m.value.endswith("/") else m.value
        a, b = (prefix.lower(), bare.lower()) if ignore_case else (prefix, bare)
        return b == a or b.startswith(a + "/")
    if m.kind == "prefix":
        a, b = (m.value.lower(), path.lower()) if ignore_case else (m.value, path)
        return b.startswith(a)
    if m.kind == "exact":
        a, b = (m.value.lower(), bare.lower()) if ignore_case else (m.value, bare)
        return a == b
    if m.kind == "regex":
        try:
            return re.fullmatch(m.value, bare) is not None
        except re.error:
            return False
    return True


def _query(path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if "?" not in path:
        return out
    for part in path.split("?", 1)[1].split("#", 1)[0].split("&"):
        if part:
            key, _, value = part.partition("=")
            out.setdefault(key, value)
    return out


def route_matches(route: Route, request: Request) -> bool:
    """Envoy's ``RouteMatch`` for the match istiod translated (``TranslateRouteMatch``)."""
    m = route.match
    if m is None:
        return True
    if m.uri is not None and not _path_matches(m.uri, request.path, m.ignore_uri_case, route.path_separated):
        return False
    headers = request.headers
    for name, sm in m.headers:
        if not _string_matches(sm, headers.get(name.lower())):
            return False
    for name, sm in m.without_headers:
        value = headers.get(name.lower())
        if sm is not None and value is None:
            value = ""  # treat_missing_header_as_empty
        if _string_matches(sm, value):
            return False
    for pseudo, sm in ((":method", m.method), (":authority", m.authority), (":scheme", m.scheme)):
        if sm is not None and not _string_matches(sm, headers.get(pseudo) if pseudo != ":method" else request.method):
            return False
    query = _query(request.path)
    for name, sm in m.query_params:
        if not _string_matches(sm, query.get(name)):
            return False
    return True


def select_route(vhost: VirtualHost, request: Request) -> Route | None:
    """The first route of the virtual host whose match holds; None is Envoy's 404 (NR)."""
    for r in vhost.routes:
        if route_matches(r, request):
            return r
    return None
