"""A proxy's configuration as ``istioctl proxy-config`` shows it, from the simulator's own model.

Nothing here decides what a proxy gets. The outbound part is :func:`sidecar_lab.scale.sizing.outbound`,
which takes everything from :mod:`sidecar_lab.core.envoy` — the listeners and their filter chains
(:func:`~sidecar_lab.core.envoy.proxy_listeners`), the route tables with their virtual hosts and routes
(:func:`~sidecar_lab.core.envoy.proxy_route_tables`), the clusters with DestinationRule subsets
(:func:`~sidecar_lab.core.envoy.outbound_clusters`) and their endpoints
(:func:`~sidecar_lab.core.envoy.cluster_endpoints`): the configuration ``check`` walks and ``size``
counts. The inbound ports come from :meth:`~sidecar_lab.core.resolver.Simulator.ingress`. This module
lays them out in istioctl's tables (``istioctl/pkg/writer/envoy/configdump``: the columns, the sort
order, Go's ``tabwriter`` spacing) and as JSON shaped like the matching sections of Envoy's config dump.

What it adds, only for display: the fixed items every proxy has (the bootstrap's ``agent``,
``prometheus_stats``, ``sds-grpc``, ``xds-grpc`` clusters and their endpoints, the
``15021``/``15090`` listeners and their static routes, the ``virtualOutbound``/``virtualInbound``
filter chains, the inbound routes), and placeholders where the manifests lack a value (a pod
without ``status.podIP``, a Service whose pods are not given).

>>> from sidecar_lab.core.loader import load_text
>>> from sidecar_lab.core.resolver import Simulator
>>> sim = Simulator(load_text('''
... apiVersion: v1
... kind: Pod
... metadata: {name: sleep, namespace: default, labels: {app: sleep}}
... '''))
>>> print(clusters_table(proxy_view(sim, "default/sleep")).splitlines()[0])
SERVICE FQDN                  PORT     SUBSET     DIRECTION     TYPE             DESTINATION RULE
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..core import envoy
from ..core.errors import UsageError
from ..core.model import HTTPMatchRequest, Workload
from ..core.protocol import AUTO, is_http
from ..core.resolver import Simulator
from .sizing import ASSUMED_ENDPOINT, Cluster, Outbound, _governing, _inbound_clusters, fixed_clusters, outbound

__all__ = ["ProxyView", "Chain", "Listener", "VirtualHost", "Route", "RouteConfig", "Endpoint", "proxy_view",
           "SECTIONS", "clusters_table", "listeners_table", "routes_table", "endpoints_table", "section_table",
           "section_json", "istioctl_command", "dump"]

SECTIONS = ("clusters", "listeners", "routes", "endpoints")

_HCM = "envoy.filters.network.http_connection_manager"
_HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_TCP = "envoy.filters.network.tcp_proxy"
_TCP_TYPE = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
_NO_FILTER = "Non-HTTP/Non-TCP"
#: The application protocols istiod writes for plaintext HTTP (``plaintextHTTPALPNs`` without
#: ``PILOT_HTTP10``): the core also matches HTTP/1.0 (:data:`sidecar_lab.core.envoy.HTTP_ALPNS`).
_SHOWN_ALPNS = {envoy.HTTP_ALPNS: ("http/1.1", "h2c")}
#: istioctl's names for some lists of application protocols (``protDescrs``).
_ALPN_NAMES = {("http/1.0", "http/1.1", "h2c"): "HTTP", ("istio-peer-exchange", "istio"): "TCP TLS",
               ("istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"): "Istio HTTP Plain",
               ("http/1.0", "http/1.1", "h2c", "istio-http/1.0", "istio-http/1.1", "istio-h2"): "HTTP TLS"}
#: The bootstrap's static clusters and where their one endpoint is (Istio's bootstrap template).
_STATIC_ENDPOINTS = {"agent": ("127.0.0.1", 15020), "prometheus_stats": ("127.0.0.1", 15000),
                     "sds-grpc": ("unix://./var/run/secrets/workload-spiffe-uds/socket", None),
                     "xds-grpc": ("unix://./etc/istio/proxy/XDS", None)}


# -- the view -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chain:
    """One filter chain: istioctl's MATCH and DESTINATION columns, and its config-dump JSON."""

    match: str
    destination: str
    json: dict = field(default_factory=dict, compare=False, repr=False)
    #: What it ends in: ``http`` (a connection manager), ``tcp`` (a TCP proxy), ``blackhole`` (a TCP
    #: proxy to BlackHoleCluster), ``none``.
    filter: str = "tcp"


@dataclass(frozen=True)
class Listener:
    name: str
    address: str
    port: int
    #: The filter chains with a match, or the listener's one chain (Envoy's ``filter_chains``).
    chains: tuple[Chain, ...]
    #: OUTBOUND, INBOUND, or "" for the bootstrap's static listeners.
    direction: str = "OUTBOUND"
    #: The chain taken when none matches (Envoy's ``default_filter_chain``).
    default: Chain | None = None
    bind_to_port: bool = False

    @property
    def all_chains(self) -> tuple[Chain, ...]:
        """``getFilterChains``: the chains, then the default one."""
        return self.chains + ((self.default,) if self.default is not None else ())

    @property
    def kind(self) -> str:
        """istioctl's listener type (``retrieveListenerType``): HTTP, TCP, HTTP+TCP or UNKNOWN."""
        http = any(c.filter == "http" for c in self.all_chains)
        tcp = any(c.filter == "tcp" for c in self.all_chains)
        return "HTTP+TCP" if http and tcp else "HTTP" if http else "TCP" if tcp else "UNKNOWN"

    def to_json(self) -> dict:
        if self.address.startswith("/") or self.address.startswith("./"):
            address: dict = {"pipe": {"path": self.address}}
        else:
            address = {"socketAddress": {"address": self.address, "portValue": self.port}}
        out: dict[str, Any] = {"name": self.name, "address": address, "filterChains": [c.json for c in self.chains]}
        if self.default is not None:
            out["defaultFilterChain"] = self.default.json
        if self.direction:
            out["trafficDirection"] = self.direction
        if self.direction == "OUTBOUND" and self.name != "virtualOutbound" and not self.bind_to_port:
            out["bindToPort"] = False
        return out


@dataclass(frozen=True)
class Route:
    """One route of a virtual host: istioctl's MATCH, what it does, and the VirtualService behind it."""

    name: str
    match: str
    #: ``{"route": {"cluster": ...}}``, ``{"route": {"weightedClusters": ...}}``, ``{"redirect": ...}``
    #: or ``{"directResponse": ...}``, as Envoy's Route holds it.
    action: dict
    virtual_service: str = ""
    match_json: dict = field(default_factory=lambda: {"prefix": "/"}, compare=False, repr=False)

    @property
    def cluster(self) -> str | None:
        return self.action.get("route", {}).get("cluster")

    @property
    def passthrough(self) -> bool:
        """``isPassthrough``: a route to PassthroughCluster (istioctl does not list it)."""
        return self.cluster == "PassthroughCluster"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "match": self.match_json, **self.action}
        if self.virtual_service:
            name, _, namespace = self.virtual_service.partition(".")
            out["metadata"] = {"filterMetadata": {"istio": {
                "config": f"/apis/networking.istio.io/v1/namespaces/{namespace}/virtual-service/{name}"}}}
        return out


@dataclass(frozen=True)
class VirtualHost:
    name: str
    domains: tuple[str, ...]
    routes: tuple[Route, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "domains": list(self.domains), "routes": [r.to_json() for r in self.routes],
                "includeRequestAttemptCount": True}


@dataclass(frozen=True)
class RouteConfig:
    name: str
    virtual_hosts: tuple[VirtualHost, ...]
    #: True for the tables ``size`` counts: the outbound RDS tables.
    outbound: bool = False

    def to_json(self) -> dict:
        out: dict[str, Any] = {"virtualHosts": [v.to_json() for v in self.virtual_hosts]}
        if self.name:
            out = {"name": self.name, **out, "validateClusters": False}
        return out


@dataclass(frozen=True)
class Endpoint:
    address: str
    port: int | None
    cluster: str
    #: True when the manifests do not say it exists (a Service whose pods are not given).
    assumed: bool = False

    @property
    def text(self) -> str:
        return f"{self.address}:{self.port}" if self.port else self.address


@dataclass(frozen=True)
class ProxyView:
    """Everything ``proxy-config`` prints for one proxy."""

    workload: Workload
    proxy: str  # sidecar | gateway
    scope: str
    sidecar: str | None
    mode: str
    without_sidecar: bool
    clusters: tuple[Cluster, ...]
    listeners: tuple[Listener, ...]
    routes: tuple[RouteConfig, ...]
    endpoints: tuple[Endpoint, ...]
    notes: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.workload.namespace}/{self.workload.name}"


# -- listeners ------------------------------------------------------------------------------------

def _tcp_filter(clusters: Sequence[tuple[str, int]]) -> dict:
    if len(clusters) == 1 and not clusters[0][1]:
        config = {"@type": _TCP_TYPE, "statPrefix": clusters[0][0], "cluster": clusters[0][0]}
    else:
        config = {"@type": _TCP_TYPE, "statPrefix": "outbound",
                  "weightedClusters": {"clusters": [{"name": c, "weight": w} for c, w in clusters]}}
    return {"name": _TCP, "typedConfig": config}


def _tcp_destination(clusters: Sequence[tuple[str, int]]) -> tuple[str, str]:
    """``getFilterType`` of a TCP proxy: the cluster (bare when its name holds "Cluster"), nothing to
    say of one to BlackHoleCluster, and an empty cluster for a weighted split."""
    cluster = clusters[0][0] if len(clusters) == 1 and not clusters[0][1] else ""
    if any(c == "BlackHoleCluster" for c, _ in clusters):
        return _NO_FILTER, "blackhole"
    return (cluster if "Cluster" in cluster else f"Cluster: {cluster}"), "tcp"


def _tcp_chain(match: str, cluster: str, filter_match: dict | None, name: str = "") -> Chain:
    destination, kind = _tcp_destination([(cluster, 0)])
    out: dict[str, Any] = {}
    if filter_match is not None:
        out["filterChainMatch"] = filter_match
    out["filters"] = [_tcp_filter([(cluster, 0)])]
    if name:
        out["name"] = name
    return Chain(match, destination, out, kind)


def _prefix(cidr: str) -> tuple[str, int] | None:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    if str(net.network_address) in ("0.0.0.0", "::"):
        return None
    return str(net.network_address), net.prefixlen


def _chain_match(chain: envoy.FilterChain) -> tuple[str, dict]:
    """``toFilterChainMatch`` and istioctl's ``getMatches``: server names (sorted; none with ``*``),
    transport, application protocols, destination prefixes (sorted)."""
    descr: list[str] = []
    match: dict[str, Any] = {}
    if chain.sni and "*" not in chain.sni:
        match["serverNames"] = sorted(chain.sni)
        descr.append("SNI: " + ",".join(match["serverNames"]))
    if chain.transport:
        match["transportProtocol"] = chain.transport
        descr.append(f"Trans: {chain.transport}")
    if chain.alpn:
        alpn = _SHOWN_ALPNS.get(tuple(chain.alpn), tuple(chain.alpn))
        match["applicationProtocols"] = list(alpn)
        descr.append("App: " + _ALPN_NAMES.get(alpn, ",".join(alpn)))
    prefixes = [p for p in (_prefix(c) for c in sorted(chain.cidrs)) if p is not None]
    if prefixes:
        match["prefixRanges"] = [{"addressPrefix": a, "prefixLen": n} for a, n in prefixes]
        descr.append("Addr: " + ",".join(f"{a}/{n}" for a, n in prefixes))
    return "; ".join(descr) or "ALL", match


def _chain(chain: envoy.FilterChain, listener: envoy.EnvoyListener, policy: Any, matched: bool) -> Chain:
    """One of the listener's filter chains as Envoy holds it (``buildListenerFromEntry``): a matched
    one with its ``filterChainMatch``; the match-all one, or the PassthroughFilterChain, without."""
    text, match = _chain_match(chain) if matched else ("ALL", {})
    out: dict[str, Any] = {"filterChainMatch": match} if matched else {}
    if chain.kind == "http":
        route = chain.rds or str(listener.port)
        out["filters"] = [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": f"outbound_{listener.name}",
                                                          "rds": {"routeConfigName": route}}}]
        return Chain(text, f"Route: {route}", out, "http")
    clusters = chain.clusters if chain.kind == "tcp" else ((envoy.passthrough_cluster(policy), 0),)
    if chain.kind == "passthrough":
        out["name"] = "PassthroughFilterChain"
    out["filters"] = [_tcp_filter(clusters)]
    destination, kind = _tcp_destination(clusters)
    return Chain(text, destination, out, kind)


def _listener(built: envoy.EnvoyListener, policy: Any) -> Listener:
    matched = built.matched_chains()
    chains = tuple(_chain(c, built, policy, True) for c in matched)
    default = _chain(built.default_chain(), built, policy, False)
    if not chains:
        chains, default = (default,), None
    address = built.bind[len(envoy.UNIX_PREFIX):] if built.bind.startswith(envoy.UNIX_PREFIX) else built.bind
    return Listener(built.name, address, built.port, chains, "OUTBOUND", default, built.bind_to_port)


def _inbound_ports(sim: Simulator, w: Workload, chosen: Any) -> list[tuple[int, str]]:
    out = []
    for ing in sim.ingress(w, chosen):
        port = ing.port or {}
        if port.get("number") is not None:
            out.append((int(port["number"]), (port.get("protocol") or AUTO).upper()))
    return out


def _fixed_listeners(policy: Any, inbound: Sequence[tuple[int, str]], gateway: bool) -> list[Listener]:
    static = [Listener("0.0.0.0_15021", "0.0.0.0", 15021, (Chain("ALL", "Inline Route: /healthz/ready*", {
        "filters": [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": "agent"}}]}, "http"),), ""),
              Listener("0.0.0.0_15090", "0.0.0.0", 15090, (Chain("ALL", "Inline Route: /stats/prometheus*", {
                  "filters": [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": "stats"}}]}, "http"),),
                       "")]
    if gateway:
        return static
    outbound_listener = Listener("virtualOutbound", "0.0.0.0", 15001, (
        _tcp_chain("ALL", envoy.passthrough_cluster(policy), None, "virtualOutbound-catchall-tcp"),
        Chain("Addr: *:15001", _NO_FILTER, {"filterChainMatch": {"destinationPort": 15001}, "filters": [],
                                             "name": "virtualOutbound-blackhole"}, "none")), bind_to_port=True)
    chains = [Chain("Addr: *:15006", _NO_FILTER, {"filterChainMatch": {"destinationPort": 15006}, "filters": []},
                    "none")]
    any_address = {"prefixRanges": [{"addressPrefix": "0.0.0.0", "prefixLen": 0}]}
    for transport, alpn, text in (
            ("tls", ["istio-http/1.0", "istio-http/1.1", "istio-h2"],
             "Trans: tls; App: istio-http/1.0,istio-http/1.1,istio-h2; Addr: 0.0.0.0/0"),
            ("raw_buffer", ["http/1.1", "h2c"], "Trans: raw_buffer; App: http/1.1,h2c; Addr: 0.0.0.0/0"),
            ("tls", ["istio-peer-exchange", "istio"], "Trans: tls; App: TCP TLS; Addr: 0.0.0.0/0"),
            ("raw_buffer", None, "Trans: raw_buffer; Addr: 0.0.0.0/0"),
            ("tls", None, "Trans: tls; Addr: 0.0.0.0/0")):
        match = {**any_address, "transportProtocol": transport}
        if alpn:
            match["applicationProtocols"] = alpn
        chains.append(_tcp_chain(text, "InboundPassthroughCluster", match))
    for number, _protocol in inbound:
        cluster = f"inbound|{number}||"
        chains.append(_tcp_chain(
            f"Trans: tls; App: istio,istio-peer-exchange,istio-http/1.0,istio-http/1.1,istio-h2; Addr: *:{number}",
            cluster, {"destinationPort": number, "transportProtocol": "tls",
                      "applicationProtocols": ["istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1",
                                               "istio-h2"]}))
        chains.append(_tcp_chain(f"Trans: raw_buffer; Addr: *:{number}", cluster,
                                 {"destinationPort": number, "transportProtocol": "raw_buffer"}))
    inbound_listener = Listener("virtualInbound", "0.0.0.0", 15006, tuple(chains), "INBOUND", bind_to_port=True)
    return [outbound_listener, inbound_listener] + static


# -- routes ---------------------------------------------------------------------------------------

def _matcher(name: str, m: Any, **extra: Any) -> dict:
    """A header or query parameter matcher: a string match, or a presence match when ``m`` is None."""
    if m is None:
        return {"name": name, **extra, "presentMatch": True}
    key = {"exact": "exact", "prefix": "prefix", "regex": "safeRegex"}.get(m.kind, "exact")
    return {"name": name, **extra, "stringMatch": {key: {"regex": m.value} if key == "safeRegex" else m.value}}


def _route_match(route: envoy.Route) -> tuple[str, dict]:
    """``TranslateRouteMatch`` and istioctl's ``describeMatch``: the path specifier (``prefix`` ``/``
    when none; ``pathSeparatedPrefix`` for a Gateway API prefix), headers and query parameters."""
    m: HTTPMatchRequest | None = route.match
    out: dict[str, Any] = {"prefix": "/"}
    text = "/*"
    if m is None:
        return text, out
    uri = m.uri
    if uri is not None and uri.kind == "exact":
        out, text = {"path": uri.value}, uri.value
    elif uri is not None and uri.kind == "regex":
        out, text = {"safeRegex": {"regex": uri.value}}, f"regex {uri.value}"
    elif uri is not None and uri.kind == "prefix" and route.path_separated and uri.value != "/":
        path = uri.value.rstrip("/") if uri.value.endswith("/") else uri.value
        out, text = {"pathSeparatedPrefix": path}, f"PathPrefix:{path}"
    elif uri is not None and uri.kind == "prefix":
        out, text = {"prefix": uri.value}, f"{uri.value}*"
    out["caseSensitive"] = not m.ignore_uri_case
    headers = [_matcher(name, sm) for name, sm in m.headers]
    headers += [_matcher(name, sm, invertMatch=True) for name, sm in m.without_headers]
    headers.sort(key=lambda h: h["name"])
    headers += [_matcher(pseudo, sm) for pseudo, sm in ((":method", m.method), (":authority", m.authority),
                                                        (":scheme", m.scheme)) if sm is not None]
    if headers:
        out["headers"] = headers
    if m.query_params:
        out["queryParameters"] = [_matcher(name, sm) for name, sm in m.query_params]
    return text, out


def _route_action(route: envoy.Route) -> dict:
    if route.action == "redirect":
        red: Any = route.redirect
        redirect: dict[str, Any] = {"responseCode": {301: "MOVED_PERMANENTLY", 302: "FOUND", 303: "SEE_OTHER",
                                                     307: "TEMPORARY_REDIRECT", 308: "PERMANENT_REDIRECT"}.get(
            red.code or 301, str(red.code))}
        for key, value in (("pathRedirect", red.uri), ("hostRedirect", red.authority), ("schemeRedirect", red.scheme),
                           ("portRedirect", red.port)):
            if value:
                redirect[key] = value
        return {"redirect": redirect}
    if route.action == "direct_response":
        dr: Any = route.direct_response
        out: dict[str, Any] = {"status": dr.status}
        if dr.body:
            out["body"] = {"inlineString": dr.body}
        return {"directResponse": out}
    if route.action == "weighted":
        action: dict[str, Any] = {"weightedClusters": {
            "clusters": [{"name": c, "weight": w} for c, w in route.clusters]}}
    else:
        action = {"cluster": route.clusters[0][0] if route.clusters else ""}
    if route.mirrors:
        action["requestMirrorPolicies"] = [{"cluster": c} for c in route.mirrors]
    return {"route": action}


def _route(route: envoy.Route) -> Route:
    text, match = _route_match(route)
    vs = route.virtual_service
    return Route(route.name, text, _route_action(route), f"{vs.name}.{vs.namespace}" if vs is not None else "", match)


def _virtual_host(v: envoy.VirtualHost) -> VirtualHost:
    return VirtualHost(v.name, tuple(v.domains), tuple(_route(r) for r in v.routes))


def _inbound_routes(cluster: str, vhost: str) -> RouteConfig:
    """``buildSidecarInboundHTTPRouteConfig``: one virtual host, every request to the inbound cluster."""
    return RouteConfig(cluster, (VirtualHost(vhost, ("*",), (Route("default", "/*", {"route": {"cluster": cluster}}),)),))


def _route_configs(out_cfg: Outbound, inbound: Sequence[tuple[int, str]], gateway: bool) -> list[RouteConfig]:
    out: list[RouteConfig] = []
    if not gateway:
        tables = sorted(out_cfg.route_tables, key=lambda t: (not t.name.isdigit(),
                                                              int(t.name) if t.name.isdigit() else 0, t.name))
        catch_all = _virtual_host(envoy.catch_all_virtual_host(out_cfg.proxy.scope.policy))
        for table in tables:
            vhosts = tuple(_virtual_host(v) for v in table.virtual_hosts)
            if table.catch_all is not None:
                vhosts += (catch_all,)
            out.append(RouteConfig(table.name, vhosts, outbound=True))
        for number, protocol in inbound:
            if is_http(protocol) or protocol == AUTO:
                out.append(_inbound_routes(f"inbound|{number}||", f"inbound|http|{number}"))
        out.append(_inbound_routes("InboundPassthroughCluster", "inbound|http|0"))
    for path in ("/healthz/ready", "/stats/prometheus"):
        cluster = "agent" if path.startswith("/healthz") else "prometheus_stats"
        out.append(RouteConfig("", (VirtualHost("backend", ("*",), (
            Route("", f"{path}*", {"route": {"cluster": cluster}}, match_json={"prefix": path}),)),)))
    return out


# -- endpoints ------------------------------------------------------------------------------------

def _endpoints(out_cfg: Outbound, clusters: Sequence[Cluster], inbound_defaults: dict) -> tuple[list[Endpoint], list]:
    out: list[Endpoint] = []
    notes: list[str] = []
    for c, group in zip(out_cfg.clusters, out_cfg.endpoints):
        for e in group:
            out.append(Endpoint(e.address, e.port, c.name, assumed=e.address.startswith(ASSUMED_ENDPOINT)))
    for c in clusters:
        if c.direction == "inbound" and c.type == "STATIC" and c.port in inbound_defaults:
            host, _, port = inbound_defaults[c.port].rpartition(":")
            out.append(Endpoint(host or inbound_defaults[c.port], int(port) if port.isdigit() else None, c.name))
        elif c.name in _STATIC_ENDPOINTS:
            address, port_number = _STATIC_ENDPOINTS[c.name]
            out.append(Endpoint(address, port_number, c.name))
    if any(e.assumed for e in out):
        notes.append("some Service selects no Pod in the manifests: one endpoint is assumed for it "
                     f"({ASSUMED_ENDPOINT}NS/NAME>)")
    if any(e.address.startswith("<pod IP of ") for e in out):
        notes.append("some Pods have no status.podIP in the manifests: their endpoints show <pod IP of NS/NAME>")
    out.sort(key=lambda e: (e.address, e.port or 0, e.cluster))
    return out, notes


# -- the view -------------------------------------------------------------------------------------

def proxy_view(sim: Simulator, workload: str | Workload, *, without_sidecar: bool = False) -> ProxyView:
    """What ``workload``'s proxy holds, with the Sidecar that governs it (or, ``without_sidecar``, with
    none: the default scope, ``*/*`` and the mesh's outbound policy). A UsageError without a proxy."""
    w = sim.workload(workload)
    proxy, level, chosen = _governing(sim, w)
    if proxy == "none":
        raise UsageError(f"workload {w.namespace}/{w.name} has no proxy: it receives no configuration from istiod")
    gateway = proxy == "gateway"
    notes: list[str] = []
    if without_sidecar and not gateway:
        chosen, level = None, "default"
    elif without_sidecar:
        notes.append("a gateway ignores Sidecar resources: --without-sidecar changes nothing")
    scope = sim.scope_for(chosen, w.namespace, gateway)
    out_cfg = outbound(sim, scope, w, gateway, exact=True)
    clusters = list(out_cfg.clusters) + ([] if gateway else _inbound_clusters(sim, w, chosen)) + fixed_clusters(gateway)
    inbound = [] if gateway else _inbound_ports(sim, w, chosen)
    listeners = [_listener(built, scope.policy) for built in out_cfg.listeners]
    listeners += _fixed_listeners(scope.policy, inbound, gateway)
    listeners.sort(key=lambda lst: (lst.port, lst.address, lst.kind))
    routes = _route_configs(out_cfg, inbound, gateway)
    defaults = {} if gateway else {int(i.port["number"]): i.default_endpoint
                                   for i in sim.ingress(w, chosen) if i.port and i.default_endpoint}
    endpoints, endpoint_notes = _endpoints(out_cfg, clusters, defaults)
    if gateway:
        notes.append("a gateway's own listeners and routes come from Gateway resources, which are not read: "
                     "only the bootstrap's are shown")
    return ProxyView(w, proxy, level, str(chosen.ref) if chosen is not None and not gateway else None,
                     scope.policy.mode, without_sidecar, tuple(sorted(clusters, key=_cluster_sort_key)),
                     tuple(listeners), tuple(routes), tuple(endpoints), tuple(notes + endpoint_notes))


def _cluster_sort_key(c: Cluster) -> tuple:
    """istioctl's order (``retrieveSortedClusterSlice``): hostname, subset, port, direction."""
    if c.direction:
        return (c.host, c.subset, c.port or 0, c.direction)
    return (c.name, "", 0, "")


# -- istioctl's tables ------------------------------------------------------------------------------

def _tabwrite(rows: Sequence[Sequence[str]], padding: int) -> str:
    """Go's ``text/tabwriter`` with minwidth 0, padding ``padding``, padchar ' ', no flags, every cell
    of a row but the last ended by a tab: each such column as wide as its widest cell plus the padding."""
    if not rows:
        return ""
    columns = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) + padding for i in range(columns)]
    return "\n".join("".join(r[i].ljust(widths[i]) for i in range(columns)) + r[-1] for r in rows)


def clusters_table(view: ProxyView, *, fqdn: str = "", port: int = 0, direction: str = "", subset: str = "") -> str:
    """``istioctl proxy-config clusters`` (``PrintClusterSummary``), with its filters."""
    rows = [("SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE")]
    for c in _filter_clusters(view, fqdn, port, direction, subset):
        if c.direction:
            rows.append((c.host, str(c.port or 0), c.subset or "-", c.direction, c.type, c.destination_rule))
        else:
            rows.append((c.name, "-", "-", "-", c.type, c.destination_rule))
    return _tabwrite(rows, 5)


def _filter_clusters(view: ProxyView, fqdn: str = "", port: int = 0, direction: str = "",
                     subset: str = "") -> list[Cluster]:
    out = []
    for c in view.clusters:  # ClusterFilter.Verify: substrings of the cluster's name
        if fqdn and fqdn not in c.name or direction and direction not in c.name or subset and subset not in c.name:
            continue
        if port and f"|{port}|" not in c.name:
            continue
        out.append(c)
    return out


def listeners_table(view: ProxyView, *, address: str = "", port: int = 0, verbose: bool = True) -> str:
    """``istioctl proxy-config listeners`` (``PrintListenerSummary``; ``--verbose`` is its default)."""
    rows = [("ADDRESSES", "PORT", "MATCH", "DESTINATION") if verbose else ("ADDRESSES", "PORT", "TYPE")]
    for lst in _filter_listeners(view, address, port):
        if verbose:
            for chain in sorted(lst.all_chains, key=lambda c: c.destination, reverse=True):
                rows.append((lst.address, str(lst.port), chain.match, chain.destination))
        else:
            rows.append((lst.address, str(lst.port), lst.kind))
    return _tabwrite(rows, 1)


def _filter_listeners(view: ProxyView, address: str, port: int) -> list[Listener]:
    return [lst for lst in view.listeners
            if (not address or lst.address.lower() == address.lower()) and (not port or lst.port == port)]


def routes_table(view: ProxyView, *, name: str = "", verbose: bool = True) -> str:
    """``istioctl proxy-config routes`` (``PrintRouteSummary``; ``--verbose`` is its default). As
    istioctl does, routes to PassthroughCluster (the ``allow_any`` virtual host) are not listed."""
    rows = [("NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE") if verbose else ("NAME", "VIRTUAL HOSTS")]
    for table in view.routes:
        if name and table.name != name:
            continue
        if not verbose:
            rows.append((table.name, str(len(table.virtual_hosts))))
            continue
        for vh in table.virtual_hosts:
            for r in vh.routes:
                if not r.passthrough:
                    rows.append((table.name, vh.name, _describe_domains(vh.domains), r.match, r.virtual_service))
            if not vh.routes:
                rows.append((table.name, vh.name, _describe_domains(vh.domains), "/*", "404"))
    return _tabwrite(rows, 5)


def _describe_domains(domains: Sequence[str]) -> str:
    """istioctl's ``describeRouteDomains``: the domains without a port, the long forms of names whose
    short form is there dropped, the first two and how many more."""
    if not domains:
        return ""
    if len(domains) == 1:
        return domains[0]
    without_port = [d for d in domains if ":" not in d or (d.count(":") > 2 and d.endswith("]"))]
    unique = set(without_port)
    drop = set()
    for d in without_port:
        for suffix in (".svc.cluster.local", ".svc"):
            if d.endswith(suffix) and d[: -len(suffix)] in unique:
                drop.add(d)
    kept = [d for d in without_port if d not in drop]
    if len(kept) > 2:
        return f"{', '.join(kept[:2])} + {len(kept) - 2} more..."
    return ", ".join(kept)


def endpoints_table(view: ProxyView, *, cluster: str = "", address: str = "", port: int = 0) -> str:
    """``istioctl proxy-config endpoints`` (``clusters.PrintEndpointsSummary``): every endpoint HEALTHY,
    no outlier detection failed — what a fresh proxy shows."""
    rows = [("ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER")]
    for e in _filter_endpoints(view, cluster, address, port):
        rows.append((e.text, "HEALTHY", "OK", e.cluster))
    return _tabwrite(rows, 5)


def _filter_endpoints(view: ProxyView, cluster: str, address: str, port: int) -> list[Endpoint]:
    return [e for e in view.endpoints if (not cluster or e.cluster.lower() == cluster.lower())
            and (not address or e.text.lower() == address.lower() or e.address.lower() == address.lower())
            and (not port or e.port == port)]


def section_table(view: ProxyView, section: str, **filters: Any) -> str:
    return {"clusters": clusters_table, "listeners": listeners_table, "routes": routes_table,
            "endpoints": endpoints_table}[section](view, **filters)


# -- JSON shaped like Envoy's config dump -----------------------------------------------------------

def _cluster_json(c: Cluster) -> dict:
    out: dict[str, Any] = {"name": c.name, "type": c.type, "connectTimeout": "10s"}
    if c.type == "EDS":
        out["edsClusterConfig"] = {"edsConfig": {"ads": {}, "initialFetchTimeout": "0s", "resourceApiVersion": "V3"},
                                   "serviceName": c.name}
    if c.mtls:
        out["transportSocketMatches"] = [
            {"name": "tlsMode-istio", "match": {"tlsMode": "istio"},
             "transportSocket": {"name": "envoy.transport_sockets.tls"}},
            {"name": "tlsMode-disabled", "match": {}, "transportSocket": {"name": "envoy.transport_sockets.raw_buffer"}}]
    if c.direction and c.service is not None:
        svc = c.service
        istio: dict[str, Any] = {"services": [{"host": svc.hostname, "name": svc.name, "namespace": svc.namespace}],
                                 "default_original_port": c.port}
        if c.destination_rule:
            name, _, namespace = c.destination_rule.partition(".")
            istio["config"] = f"/apis/networking.istio.io/v1/namespaces/{namespace}/destination-rule/{name}"
        if c.subset:
            istio["subset"] = c.subset
        out["metadata"] = {"filterMetadata": {"istio": istio}}
    return out


def _endpoint_json(endpoints: Sequence[Endpoint]) -> list[dict]:
    by_cluster: dict[str, list[Endpoint]] = {}
    for e in endpoints:
        by_cluster.setdefault(e.cluster, []).append(e)
    out = []
    for name in sorted(by_cluster):
        lb = []
        for e in by_cluster[name]:
            if e.address.startswith("unix://"):
                address = {"pipe": {"path": e.address[len("unix://"):]}}
            else:
                address = {"socketAddress": {"address": e.address, "portValue": e.port or 0}}
            lb.append({"endpoint": {"address": address}, "healthStatus": "HEALTHY"})
        out.append({"clusterName": name, "endpoints": [{"lbEndpoints": lb}]})
    return out


def section_json(view: ProxyView, section: str, **filters: Any) -> list[dict]:
    """The section as Envoy's config dump holds it (``istioctl proxy-config ... -o json``): Cluster,
    Listener and RouteConfiguration objects, and ClusterLoadAssignments for the endpoints."""
    if section == "clusters":
        keep = {"fqdn", "port", "direction", "subset"}
        return [_cluster_json(c) for c in _filter_clusters(view, **{k: v for k, v in filters.items() if k in keep})]
    if section == "listeners":
        return [lst.to_json() for lst in _filter_listeners(view, filters.get("address", ""), filters.get("port", 0))]
    if section == "routes":
        name = filters.get("name", "")
        return [t.to_json() for t in view.routes if not name or t.name == name]
    if section == "endpoints":
        return _endpoint_json(_filter_endpoints(view, filters.get("cluster", ""), filters.get("address", ""),
                                                filters.get("port", 0)))
    raise UsageError(f"unknown section {section!r}: one of {', '.join(SECTIONS)}")


def istioctl_command(view: ProxyView, section: str, *, output: str = "short", context: str | None = None) -> str:
    """The ``istioctl proxy-config`` command that shows the real proxy's ``section``."""
    w = view.workload
    target = f"{w.name}.{w.namespace}" if w.kind == "Pod" else f"{w.kind.lower()}/{w.name}.{w.namespace}"
    parts = ["istioctl"]
    if context:
        parts += ["--context", context]
    parts += ["proxy-config", section, target]
    if output != "short":
        parts += ["-o", output]
    return " ".join(parts)


def dump(value: Any, output: str) -> str:
    """``value`` as istioctl prints ``-o json`` (four-space indent) or ``-o yaml``."""
    if output == "yaml":
        import yaml

        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip()
    return json.dumps(value, indent=4, ensure_ascii=False)
