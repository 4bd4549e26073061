"""A proxy's configuration as ``istioctl proxy-config`` shows it, from the simulator's own model.

Nothing here decides what a proxy gets: the scope comes from
:meth:`sidecar_lab.core.resolver.Simulator.scope_for`, the outbound listeners and their route tables
from :func:`sidecar_lab.core.traffic.listeners_for` (the same ones ``check`` walks), the clusters
from :func:`sidecar_lab.scale.sizing.proxy_clusters` (the same ones ``size`` counts), the inbound
ports from :meth:`~sidecar_lab.core.resolver.Simulator.ingress`. This module lays them out in
istioctl's tables (``istioctl/pkg/writer/envoy/configdump``: the columns, the sort order, Go's
``tabwriter`` spacing) and as JSON shaped like the matching sections of Envoy's config dump.

What it adds to the model, and only for display: the fixed items every proxy has (the bootstrap's
``agent``, ``prometheus_stats``, ``sds-grpc``, ``xds-grpc`` clusters and their endpoints, the
``15021``/``15090`` listeners and their static routes, the ``virtualOutbound``/``virtualInbound``
filter chains), the virtual host domains istiod writes (``generateVirtualHostDomains``), and
placeholders where the manifests lack a value (a pod without ``status.podIP``).

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

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..core.errors import UsageError
from ..core.model import ALLOW_ANY, Workload
from ..core.protocol import AUTO, is_http
from ..core.resolver import RegistryService, Scope, Simulator
from .sizing import Cluster, RouteTable, _governing, proxy_clusters, route_tables, service_pods

__all__ = ["ProxyView", "Chain", "Listener", "VirtualHost", "Route", "Endpoint", "proxy_view", "SECTIONS",
           "clusters_table", "listeners_table", "routes_table", "endpoints_table", "section_table",
           "section_json", "istioctl_command", "virtual_host_domains"]

SECTIONS = ("clusters", "listeners", "routes", "endpoints")

_HCM = "envoy.filters.network.http_connection_manager"
_HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_TCP = "envoy.filters.network.tcp_proxy"
_TCP_TYPE = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
_HTTP_MATCH = "Trans: raw_buffer; App: http/1.1,h2c"
_NO_FILTER = "Non-HTTP/Non-TCP"
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


@dataclass(frozen=True)
class Listener:
    name: str
    address: str
    port: int
    chains: tuple[Chain, ...]
    #: OUTBOUND, INBOUND, or "" for the bootstrap's static listeners.
    direction: str = "OUTBOUND"

    @property
    def kind(self) -> str:
        """istioctl's listener type: HTTP, TCP, HTTP+TCP or UNKNOWN."""
        http = any(c.destination.startswith(("Route:", "Inline Route:")) for c in self.chains)
        tcp = any(c.destination.startswith("Cluster:") or c.destination.endswith("Cluster") for c in self.chains)
        return "HTTP+TCP" if http and tcp else "HTTP" if http else "TCP" if tcp else "UNKNOWN"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"name": self.name,
                               "address": {"socketAddress": {"address": self.address, "portValue": self.port}},
                               "filterChains": [c.json for c in self.chains]}
        if self.direction:
            out["trafficDirection"] = self.direction
        if self.direction == "OUTBOUND" and self.name != "virtualOutbound":
            out["bindToPort"] = False
        return out


@dataclass(frozen=True)
class Route:
    """One route of a virtual host: istioctl's MATCH, where it goes, and the VirtualService behind it."""

    name: str
    match: str
    #: ``{"cluster": ...}`` or ``{"directResponse": {"status": 502}}``.
    action: dict
    virtual_service: str = ""

    @property
    def passthrough(self) -> bool:
        return self.action.get("cluster") == "PassthroughCluster"

    def to_json(self) -> dict:
        prefix = self.match[:-1] if self.match.endswith("*") else self.match
        out: dict[str, Any] = {"name": self.name, "match": {"prefix": prefix}}
        if "cluster" in self.action:
            out["route"] = {"cluster": self.action["cluster"]}
        else:
            out.update(self.action)
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


# -- building it ----------------------------------------------------------------------------------

def virtual_host_domains(svc: RegistryService, proxy_namespace: str, domain: str = "cluster.local") -> list[str]:
    """The domains istiod gives a service's virtual host on a sidecar (``generateVirtualHostDomains``,
    ports ignored in host matching as for every sidecar): the hostname, its short forms as the
    proxy's DNS search path resolves them, ``*.``-forms for a headless Service, and the VIPs."""
    host = svc.hostname
    domains = [host]
    suffix = f".svc.{domain}"
    if svc.kind == "Service" and host.endswith(suffix):
        name, _, namespace = host[: -len(suffix)].partition(".")
        if namespace == proxy_namespace:
            domains += [name, f"{name}.{namespace}.svc", f"{name}.{namespace}"]
        else:
            domains += [f"{name}.{namespace}", f"{name}.{namespace}.svc"]
        if svc.resolution == "Passthrough":
            domains += ["*." + d for d in list(domains)]
    for address in svc.addresses:
        if address and address != "0.0.0.0":
            domains.append(address)
    return domains


def _tcp_chain(match: str, cluster: str, filter_match: dict) -> Chain:
    destination = cluster if cluster.endswith("Cluster") else f"Cluster: {cluster}"
    if cluster == "BlackHoleCluster":
        destination = _NO_FILTER  # istioctl does not describe a tcp_proxy to BlackHoleCluster
    return Chain(match, destination, {"filterChainMatch": filter_match, "filters": [
        {"name": _TCP, "typedConfig": {"@type": _TCP_TYPE, "statPrefix": cluster, "cluster": cluster}}]})


def _http_chain(route: str) -> Chain:
    return Chain(_HTTP_MATCH, f"Route: {route}", {
        "filterChainMatch": {"transportProtocol": "raw_buffer", "applicationProtocols": ["http/1.1", "h2c"]},
        "filters": [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": "outbound_0.0.0.0_" + route,
                                                   "rds": {"routeConfigName": route}}}]})


def _catch_all(mode: str) -> str:
    return "PassthroughCluster" if mode == ALLOW_ANY else "BlackHoleCluster"


def _outbound_listeners(sim: Simulator, scope: Scope) -> list[Listener]:
    from ..core.traffic import listeners_for

    mode = scope.policy.mode
    out = []
    for built in listeners_for(sim, scope).values():
        address, _, _port = built.name.rpartition("_")
        shared = built.user_defined or built.name.startswith("0.0.0.0_")
        chains = []
        if built.inspects_http:
            first = built.http[0][0].hostname if built.http else built.name
            chains.append(_http_chain(str(built.port) if shared else f"{first}:{built.port}"))
        for svc, p in built.sni:
            chains.append(_tcp_chain(f"SNI: {svc.hostname}", f"outbound|{built.port}||{svc.hostname}",
                                     {"serverNames": [svc.hostname]}))
        if built.tcp:
            svc = built.tcp[0][0]
            chains.append(_tcp_chain("ALL", f"outbound|{built.port}||{svc.hostname}", {}))
        elif shared:
            chains.append(_tcp_chain("ALL", _catch_all(mode), {}))
        out.append(Listener(built.name, address, built.port, tuple(chains)))
    return out


def _inbound_ports(sim: Simulator, w: Workload, chosen: Any) -> list[tuple[int, str]]:
    out = []
    for ing in sim.ingress(w, chosen):
        port = ing.port or {}
        if port.get("number") is not None:
            out.append((int(port["number"]), (port.get("protocol") or AUTO).upper()))
    return out


def _fixed_listeners(mode: str, inbound: Sequence[tuple[int, str]], gateway: bool) -> list[Listener]:
    static = [Listener("0.0.0.0_15021", "0.0.0.0", 15021, (Chain("ALL", "Inline Route: /healthz/ready*", {
        "filters": [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": "agent"}}]}),), ""),
              Listener("0.0.0.0_15090", "0.0.0.0", 15090, (Chain("ALL", "Inline Route: /stats/prometheus*", {
                  "filters": [{"name": _HCM, "typedConfig": {"@type": _HCM_TYPE, "statPrefix": "stats"}}]}),), "")]
    if gateway:
        return static
    outbound = Listener("virtualOutbound", "0.0.0.0", 15001, (
        _tcp_chain("ALL", _catch_all(mode), {}),
        Chain("Addr: *:15001", _NO_FILTER, {"filterChainMatch": {"destinationPort": 15001}, "filters": []})))
    chains = [Chain("Addr: *:15006", _NO_FILTER, {"filterChainMatch": {"destinationPort": 15006}, "filters": []})]
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
    inbound_listener = Listener("virtualInbound", "0.0.0.0", 15006, tuple(chains), "INBOUND")
    return [outbound, inbound_listener] + static


def _virtual_service_for(scope: Scope, hostname: str) -> Any:
    from ..core.hosts import subset_of

    for sl in scope.listeners:
        for vs in sl.virtual_services:
            if any(hostname == h or subset_of(hostname, h) for h in vs.hosts):
                return vs
    return None


def _route_configs(sim: Simulator, scope: Scope, w: Workload, inbound: Sequence[tuple[int, str]],
                   gateway: bool) -> list[RouteConfig]:
    from ..core.traffic import listeners_for

    out: list[RouteConfig] = []
    if not gateway:
        tables: list[RouteTable] = list(route_tables(listeners_for(sim, scope)).values())
        tables.sort(key=lambda t: (not t.name.isdigit(), int(t.name) if t.name.isdigit() else 0))
        for table in tables:
            vhosts = []
            for svc, p in table.services:
                vs = _virtual_service_for(scope, svc.hostname)
                target, port, vs_name = svc, table.port, ""
                if vs is not None:
                    vs_name = f"{vs.name}.{vs.namespace}"
                    dest = next((d for d in vs.destinations if scope.service(d.host) is not None), None)
                    if dest is not None:
                        target = scope.service(dest.host)
                        port = dest.port or (table.port if target.port(table.port) else
                                             (target.ports[0].port if target.ports else table.port))
                cluster = f"outbound|{port}||{target.hostname}"
                vhosts.append(VirtualHost(f"{svc.hostname}:{table.port}",
                                          tuple(virtual_host_domains(svc, w.namespace, sim.domain)),
                                          (Route("default", "/*", {"cluster": cluster}, vs_name),)))
            if table.catch_all:
                if scope.policy.mode == ALLOW_ANY:
                    vhosts.append(VirtualHost("allow_any", ("*",),
                                              (Route("allow_any", "/*", {"cluster": "PassthroughCluster"}),)))
                else:
                    vhosts.append(VirtualHost("block_all", ("*",),
                                              (Route("block_all", "/*", {"directResponse": {"status": 502}}),)))
            out.append(RouteConfig(table.name, tuple(vhosts), outbound=True))
        for number, protocol in inbound:
            if is_http(protocol) or protocol == AUTO:
                out.append(RouteConfig(f"inbound|{number}||", (VirtualHost(
                    f"inbound|http|{number}", ("*",), (Route("default", "/*", {"cluster": f"inbound|{number}||"}),)),)))
        out.append(RouteConfig("InboundPassthroughCluster", (VirtualHost(
            "inbound|http|0", ("*",), (Route("default", "/*", {"cluster": "InboundPassthroughCluster"}),)),)))
    for path in ("/healthz/ready*", "/stats/prometheus*"):
        cluster = "agent" if path.startswith("/healthz") else "prometheus_stats"
        out.append(RouteConfig("", (VirtualHost("backend", ("*",), (Route("", path, {"cluster": cluster}),)),)))
    return out


def _target_port(svc: RegistryService, port: int, pod: Workload) -> int:
    for sp in getattr(svc.obj, "ports", ()):
        if sp.port != port:
            continue
        target = sp.target_port
        if target is None:
            return port
        if isinstance(target, int) or str(target).isdigit():
            return int(target)
        for cp in pod.ports:
            if cp.name == target:
                return cp.container_port
        return port
    return port


def _endpoints(sim: Simulator, clusters: Sequence[Cluster], inbound_defaults: dict) -> tuple[list[Endpoint], list]:
    out: list[Endpoint] = []
    notes: list[str] = []
    for c in clusters:
        svc = c.service
        if c.direction == "outbound" and svc is not None and c.type != "ORIGINAL_DST":
            if svc.kind == "Service" and svc.obj.type == "ExternalName":  # type: ignore[union-attr]
                out.append(Endpoint(svc.obj.external_name or svc.hostname, c.port, c.name))  # type: ignore[union-attr]
                continue
            if svc.kind != "Service":
                if c.type in ("STRICT_DNS", "LOGICAL_DNS"):
                    out.append(Endpoint(svc.hostname, c.port, c.name))
                else:
                    out.append(Endpoint(f"<endpoint of ServiceEntry {svc.namespace}/{svc.name}>", c.port, c.name))
                continue
            pods = service_pods(sim, svc)
            if not pods:
                out.append(Endpoint(f"<IP of a pod of {svc.namespace}/{svc.name}>", c.port, c.name, assumed=True))
                continue
            for pod in pods:
                address = pod.pod_ip or f"<IP of {pod.namespace}/{pod.name}>"
                out.append(Endpoint(address, _target_port(svc, c.port or 0, pod), c.name))
        elif c.direction == "inbound" and c.type == "STATIC" and c.port in inbound_defaults:
            host, _, port = inbound_defaults[c.port].rpartition(":")
            out.append(Endpoint(host or inbound_defaults[c.port], int(port) if port.isdigit() else None, c.name))
        elif c.name in _STATIC_ENDPOINTS:
            address, port = _STATIC_ENDPOINTS[c.name]
            out.append(Endpoint(address, port, c.name))
    if any(e.assumed for e in out):
        notes.append("some Service selects no Pod in the manifests: one endpoint is assumed for it "
                     "(<IP of a pod of NS/NAME>)")
    if any(e.address.startswith("<IP of ") and not e.assumed for e in out):
        notes.append("some Pods have no status.podIP in the manifests: their endpoints show <IP of NS/NAME>")
    out.sort(key=lambda e: (e.address, e.port or 0, e.cluster))
    return out, notes


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
    clusters = proxy_clusters(sim, w, scope=scope)
    inbound = [] if gateway else _inbound_ports(sim, w, chosen)
    listeners = ([] if gateway else _outbound_listeners(sim, scope)) + _fixed_listeners(scope.policy.mode, inbound,
                                                                                         gateway)
    listeners.sort(key=lambda lst: (lst.port, lst.address, lst.kind))
    routes = _route_configs(sim, scope, w, inbound, gateway)
    defaults = {} if gateway else {int(i.port["number"]): i.default_endpoint
                                   for i in sim.ingress(w, chosen) if i.port and i.default_endpoint}
    endpoints, endpoint_notes = _endpoints(sim, clusters, defaults)
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
            for chain in sorted(lst.chains, key=lambda c: c.destination, reverse=True):
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
        out["metadata"] = {"filterMetadata": {"istio": {
            "services": [{"host": svc.hostname, "name": svc.name, "namespace": svc.namespace}],
            "default_original_port": c.port}}}
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
