"""What each proxy receives from istiod, with and without a Sidecar: counts, and an *estimate* of size.

Istio introduced the ``Sidecar`` resource so that a proxy stops receiving configuration for
every service in the mesh. This module counts, from a workload's :class:`~sidecar_lab.core.resolver.Scope`,
what istiod would send its Envoy, and estimates what that costs.

What is counted (exact, from the manifests)
-------------------------------------------

* **clusters** (CDS): one ``outbound|P||host`` per port of every visible service; one
  ``inbound|P||`` per ingress port of the workload (the Sidecar's ``ingress``, else the ports of
  the Services selecting it); and the fixed ones every sidecar has, :data:`FIXED_CLUSTERS`
  (``BlackHoleCluster``, ``InboundPassthroughCluster``, ``PassthroughCluster``, ``agent``,
  ``prometheus_stats``, ``sds-grpc``, ``xds-grpc``). DestinationRule subsets (one more cluster
  per subset and port) are not modelled.
* **listeners** (LDS): the outbound listeners :func:`sidecar_lab.core.traffic.listeners_for` builds
  (``0.0.0.0_P`` per HTTP port, ``VIP_P`` per TCP/TLS/sniffed port of a service with a VIP, one
  per endpoint address of a headless service, ...) plus :data:`FIXED_LISTENERS`
  (``virtualOutbound``, ``virtualInbound``, and the bootstrap's ``0.0.0.0_15090`` Prometheus and
  ``0.0.0.0_15021`` health listeners). Inbound ports are filter chains of ``virtualInbound``,
  not listeners of their own.
* **routes** (RDS): one route table per outbound listener that inspects HTTP: table ``P`` for
  ``0.0.0.0_P`` (and user-defined egress ports), table ``host:P`` for a sniffed port bound to a
  VIP. **virtual hosts**: one per HTTP service on that table, plus the catch-all
  (``allow_any``/``block_all``) in each ``P`` table. Virtual hosts a VirtualService adds for
  names that are not services are not modelled.
* **endpoints** (EDS): for every outbound cluster, the Pods the Kubernetes Service selects (a
  controller with no Pod in the manifests counts as one); at least 1 when none is known
  (assumption ``endpoints-assumed``). Headless services and ServiceEntries with
  ``resolution: NONE`` use ``ORIGINAL_DST`` clusters (no endpoints); other ServiceEntries and
  ExternalName Services count 1.

Gateways see every service (Sidecars do not apply to them); their listeners come from
``Gateway`` resources, which the lab does not read, so only the fixed listeners are counted.

The estimate (a linear model — estimates, not measurements)
-----------------------------------------------------------

``memory_mb = BASE_MEMORY_MB + Σ count × MEMORY_KB[item] / 1000`` and
``xds_bytes = Σ count × XDS_BYTES[item]``, with:

=============  ==============  ===========
item           memory (KB)     xDS (bytes)
=============  ==============  ===========
(base)         25 MB           —
cluster        150             1,400
listener       60              2,500
route table    30              200
virtual host   20              500
endpoint       4               150
=============  ==============  ===========

Where the memory constants come from:

* **base 25 MB**: an idle Envoy with Istio's bootstrap (the usual 20–40 MB of an ``istio-proxy``
  container with no configuration) — an assumption, not a published figure.
* **cluster 150 KB** (it carries the cluster's stats, TLS context and load balancer) is fitted
  to istio/istio#11254: a proxy holding **1,077 clusters** in a 400-service mesh used **about
  200 MB** (it was an egress gateway: a few listeners, no routes; 2 endpoints per cluster
  assumed). The model gives 25 + 1,077 × 0.150 + 4 × 0.060 + 2,154 × 0.004 ≈ **195 MB**.
* The other per-item costs are priors (an order of magnitude below a cluster, as Envoy's
  listeners, route entries and hosts are far smaller objects), checked against Istio's
  Performance and Scalability page (1.1 to 1.22): "in a large namespace with namespace
  isolation enabled, the proxy consumes approximately **50 MB**" in its load-test mesh of 1,000
  services and 2,000 sidecars. The synthetic mesh of that shape (10 namespaces of 100 services,
  2 pods each, namespace Sidecars ``./*`` + ``istio-system/*``) gives a proxy 132 clusters,
  10 listeners, 4 route tables, 126 virtual hosts and 244 endpoints: **≈ 49 MB**.

The xDS byte costs are orders of magnitude of the protobuf size of typical Istio objects (the
JSON that ``istioctl proxy-config ... -o json`` prints is 2–4 times larger); they are not
fitted to any published figure. Memory also grows with traffic (about 40–50 MB per 1,000
requests per second, per Istio's performance page), which this model leaves out.

>>> xds, mb = estimate(clusters=1077, listeners=4, routes=0, virtual_hosts=0, endpoints=2154)
>>> round(mb)
195
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..core.errors import UsageError
from ..core.model import Mesh, Sidecar, Workload
from ..core.resolver import RegistryService, Scope, Simulator, selector_matches

__all__ = [
    "ProxyConfig", "Comparison", "proxy_config", "proxy_configs", "compare", "mesh_totals", "push_fanout",
    "estimate", "scaling_series", "push_fanout_counts", "with_sidecar", "proxy_workloads", "service_host",
    "FIXED_CLUSTERS", "FIXED_LISTENERS", "BASE_MEMORY_MB", "MEMORY_KB", "XDS_BYTES", "ASSUMPTIONS",
    "CALIBRATION", "ITEMS", "SCALE_MODES", "comparison_text", "totals_text", "ESTIMATE_NOTE",
]

#: Clusters every sidecar has whatever it sees (``istioctl proxy-config cluster``).
FIXED_CLUSTERS = ("BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster", "agent",
                  "prometheus_stats", "sds-grpc", "xds-grpc")
#: Listeners every sidecar has: the two iptables targets and the bootstrap's static listeners.
FIXED_LISTENERS = ("virtualOutbound", "virtualInbound", "0.0.0.0_15090", "0.0.0.0_15021")

ITEMS = ("clusters", "listeners", "routes", "virtual_hosts", "endpoints")
#: Envoy memory of an idle proxy with Istio's bootstrap (assumption), in MB.
BASE_MEMORY_MB = 25.0
#: Memory per item, in KB (1 MB = 1,000 KB here). See the module docstring for the fit.
MEMORY_KB: Mapping[str, float] = {"clusters": 150.0, "listeners": 60.0, "routes": 30.0,
                                  "virtual_hosts": 20.0, "endpoints": 4.0}
#: Serialized xDS size per item, in bytes (order of magnitude, not fitted).
XDS_BYTES: Mapping[str, int] = {"clusters": 1400, "listeners": 2500, "routes": 200,
                                "virtual_hosts": 500, "endpoints": 150}

#: The published figures the memory model is checked against, with the counts assumed for each.
CALIBRATION = (
    {"name": "istio/istio#11254", "published_mb": 200.0,
     "counts": {"clusters": 1077, "listeners": 4, "routes": 0, "virtual_hosts": 0, "endpoints": 2154},
     "source": "istio/istio#11254: a proxy with 1,077 clusters in a 400-service mesh used about 200 MB "
               "(an egress gateway: few listeners, no routes; 2 endpoints per cluster assumed)"},
    {"name": "Istio performance docs: large namespace", "published_mb": 50.0,
     "counts": {"clusters": 132, "listeners": 10, "routes": 4, "virtual_hosts": 126, "endpoints": 244},
     "source": "istio.io Performance and Scalability (1.1-1.22): about 50 MB for a proxy in a large "
               "namespace with namespace isolation; counts of a namespace-scoped proxy in the synthetic "
               "mesh of 10 namespaces x 100 services, 2 pods each (1,000 services, 2,000 sidecars)"},
    {"name": "empty proxy", "published_mb": None,
     "counts": {"clusters": len(FIXED_CLUSTERS), "listeners": len(FIXED_LISTENERS), "routes": 0,
                "virtual_hosts": 0, "endpoints": 0},
     "source": "assumption: an idle istio-proxy with Istio's bootstrap uses 20-40 MB"},
)

#: Text of every assumption a :class:`ProxyConfig` can name in ``assumptions``.
ASSUMPTIONS: Mapping[str, str] = {
    "estimate": "xDS bytes and memory are estimates from a linear model (per-item costs fitted to "
                "istio/istio#11254 and Istio's performance docs), not measurements",
    "subsets-not-modelled": "DestinationRule subsets are not modelled: each subset adds a cluster per port",
    "endpoints-assumed": "some visible Service has no Pod in the manifests: counted as 1 endpoint per port",
    "controller-one-pod": "a Deployment/StatefulSet/... without Pods in the manifests counts as one pod",
    "gateway-listeners": "a gateway's listeners come from Gateway resources, which are not read: only the "
                         "fixed listeners are counted",
    "traffic-not-modelled": "memory that grows with traffic (about 40-50 MB per 1,000 requests per second) "
                            "is not included",
    "no-proxy": "this workload has no proxy: it receives no configuration",
}


def estimate(*, clusters: int, listeners: int, routes: int, virtual_hosts: int, endpoints: int) -> tuple[int, float]:
    """``(xds_bytes, memory_mb)`` of a proxy holding these counts (see the module docstring)."""
    counts = {"clusters": clusters, "listeners": listeners, "routes": routes, "virtual_hosts": virtual_hosts,
              "endpoints": endpoints}
    xds = sum(counts[k] * XDS_BYTES[k] for k in ITEMS)
    memory = BASE_MEMORY_MB + sum(counts[k] * MEMORY_KB[k] for k in ITEMS) / 1000.0
    return int(xds), round(memory, 3)


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """What one proxy receives: exact counts from the manifests, and the estimated size."""

    workload: str  # NS/NAME
    proxy: str  # sidecar | gateway | none
    scope: str  # workload | namespace | root | default | gateway | none | custom
    sidecar: str | None  # NS/NAME of the governing Sidecar
    visible_services: int
    clusters: int
    listeners: int
    routes: int
    virtual_hosts: int
    endpoints: int
    xds_bytes: int
    memory_mb: float
    outbound_clusters: int = 0
    inbound_clusters: int = 0
    fixed_clusters: int = 0
    outbound_listeners: int = 0
    #: Keys of :data:`ASSUMPTIONS` that this estimate rests on.
    assumptions: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ITEMS}

    def assumption_texts(self) -> list[str]:
        return [ASSUMPTIONS[k] for k in self.assumptions]

    def to_json(self) -> dict:
        return {
            "workload": self.workload, "proxy": self.proxy, "scope": self.scope, "sidecar": self.sidecar,
            "visible_services": self.visible_services,
            "clusters": self.clusters, "outbound_clusters": self.outbound_clusters,
            "inbound_clusters": self.inbound_clusters, "fixed_clusters": self.fixed_clusters,
            "listeners": self.listeners, "outbound_listeners": self.outbound_listeners,
            "routes": self.routes, "virtual_hosts": self.virtual_hosts, "endpoints": self.endpoints,
            "xds_bytes": self.xds_bytes, "memory_mb": self.memory_mb,
            "estimated": ["xds_bytes", "memory_mb"],
            "assumptions": list(self.assumptions),
        }


def _saving(before: ProxyConfig, after: ProxyConfig) -> dict:
    out: dict[str, Any] = {}
    for key in ("visible_services",) + ITEMS + ("xds_bytes", "memory_mb"):
        b, a = getattr(before, key), getattr(after, key)
        delta = b - a
        out[key] = round(delta, 3) if isinstance(delta, float) else delta
    out["memory_percent"] = round(100.0 * (before.memory_mb - after.memory_mb) / before.memory_mb, 1) \
        if before.memory_mb else 0.0
    out["xds_percent"] = round(100.0 * (before.xds_bytes - after.xds_bytes) / before.xds_bytes, 1) \
        if before.xds_bytes else 0.0
    return out


@dataclass(frozen=True)
class Comparison:
    """One workload's proxy configuration without and with a Sidecar."""

    workload: str
    #: NS/NAME of the Sidecar compared, or None when the workload has none.
    sidecar: str | None
    without: ProxyConfig
    with_sidecar: ProxyConfig
    sim_without: Simulator | None = field(default=None, compare=False, repr=False)
    sim_with: Simulator | None = field(default=None, compare=False, repr=False)

    @property
    def saving(self) -> dict:
        """``without - with`` for every count and estimate, plus percentages."""
        return _saving(self.without, self.with_sidecar)

    def to_json(self) -> dict:
        return {"workload": self.workload, "sidecar": self.sidecar, "without_sidecar": self.without.to_json(),
                "with_sidecar": self.with_sidecar.to_json(), "saving": self.saving}


# -- per-simulator caches --------------------------------------------------------------

class _Cache:
    __slots__ = ("outbound", "endpoints", "pods_by_ns", "controllers_by_ns", "uniform", "sees")

    def __init__(self) -> None:
        self.outbound: dict[int, tuple[Scope, dict]] = {}
        self.endpoints: dict[tuple, tuple[int, bool]] = {}
        self.pods_by_ns: dict[str, list[Workload]] | None = None
        self.controllers_by_ns: dict[str, list[Workload]] | None = None
        self.uniform: bool | None = None
        self.sees: dict[tuple[int, str], bool] = {}


def _cache(sim: Simulator) -> _Cache:
    cache = sim.__dict__.get("_sizing_cache")
    if cache is None:
        cache = sim.__dict__["_sizing_cache"] = _Cache()
    return cache


def _index_workloads(sim: Simulator, cache: _Cache) -> None:
    if cache.pods_by_ns is not None:
        return
    pods: dict[str, list[Workload]] = {}
    controllers: dict[str, list[Workload]] = {}
    for w in sim.mesh.workloads:
        (pods if w.kind == "Pod" else controllers).setdefault(w.namespace, []).append(w)
    cache.pods_by_ns, cache.controllers_by_ns = pods, controllers


def _service_endpoints(sim: Simulator, svc: RegistryService) -> tuple[int, bool]:
    """EDS endpoints per port of ``svc``, and whether the count was assumed."""
    if svc.kind != "Service":
        return (0, False) if svc.resolution == "NONE" else (1, False)
    if svc.resolution == "Passthrough":
        return 0, False
    if svc.obj.type == "ExternalName":  # type: ignore[union-attr]
        return 1, False
    cache = _cache(sim)
    key = (svc.namespace, svc.name)
    hit = cache.endpoints.get(key)
    if hit is not None:
        return hit
    selector = svc.obj.selector  # type: ignore[union-attr]
    count = 0
    if selector:
        _index_workloads(sim, cache)
        count = sum(1 for w in cache.pods_by_ns.get(svc.namespace, ())  # type: ignore[union-attr]
                    if selector_matches(selector, w.labels))
        if not count:
            count = sum(1 for w in cache.controllers_by_ns.get(svc.namespace, ())  # type: ignore[union-attr]
                        if selector_matches(selector, w.labels))
    result = (count, False) if count else (1, True)
    cache.endpoints[key] = result
    return result


def _outbound(sim: Simulator, scope: Scope, gateway: bool) -> dict:
    """The outbound part of a proxy's configuration: the same for every proxy using ``scope``."""
    from ..core.traffic import listeners_for

    cache = _cache(sim)
    key = id(scope)
    hit = cache.outbound.get(key)
    if hit is not None and hit[0] is scope and hit[1]["gateway"] == gateway:
        return hit[1]
    clusters = endpoints = 0
    assumed = False
    for svc in scope.services:
        per_port, guessed = _service_endpoints(sim, svc)
        clusters += len(svc.ports)
        endpoints += per_port * len(svc.ports)
        assumed = assumed or guessed
    listeners = routes = vhosts = 0
    if not gateway:
        built = listeners_for(sim, scope)
        listeners = len(built)
        tables: dict[str, tuple[set, int]] = {}
        for listener in built.values():
            if not listener.inspects_http:
                continue
            if listener.user_defined or listener.name.startswith("0.0.0.0_"):
                name, catch_all = str(listener.port), 1
            else:
                first = listener.http[0][0].hostname if listener.http else listener.name
                name, catch_all = f"{first}:{listener.port}", 0
            hosts, _ = tables.setdefault(name, (set(), catch_all))
            hosts.update(s.hostname for s, _ in listener.http)
        routes = len(tables)
        vhosts = sum(len(hosts) + catch_all for hosts, catch_all in tables.values())
    out = {"gateway": gateway, "services": len(scope.services), "clusters": clusters, "endpoints": endpoints,
           "listeners": listeners, "routes": routes, "virtual_hosts": vhosts, "assumed": assumed}
    cache.outbound[key] = (scope, out)
    return out


def _governing(sim: Simulator, w: Workload) -> tuple[str, str, Sidecar | None]:
    """``(proxy, scope level, chosen Sidecar)`` without building a whole Resolution."""
    proxy, _ = sim.proxy_kind(w)
    if proxy == "none":
        return proxy, "none", None
    chosen, level, _ = sim.select(w, proxy)
    if proxy == "gateway":
        return proxy, "gateway", None
    return proxy, level, chosen


def _inbound_ports(sim: Simulator, w: Workload, chosen: Sidecar | None) -> int:
    return len(sim.ingress(w, chosen))


def _make(w: Workload, proxy: str, level: str, sidecar: Sidecar | None, out: dict, inbound: int,
          controller: bool) -> ProxyConfig:
    ref = f"{w.namespace}/{w.name}"
    if proxy == "none":
        return ProxyConfig(ref, "none", "none", None, 0, 0, 0, 0, 0, 0, 0, 0.0, assumptions=("no-proxy",))
    clusters = out["clusters"] + inbound + len(FIXED_CLUSTERS)
    listeners = out["listeners"] + len(FIXED_LISTENERS)
    xds, memory = estimate(clusters=clusters, listeners=listeners, routes=out["routes"],
                           virtual_hosts=out["virtual_hosts"], endpoints=out["endpoints"])
    assumptions = ["estimate", "subsets-not-modelled", "traffic-not-modelled"]
    if out["assumed"]:
        assumptions.append("endpoints-assumed")
    if controller:
        assumptions.append("controller-one-pod")
    if proxy == "gateway":
        assumptions.append("gateway-listeners")
    return ProxyConfig(ref, proxy, level, str(sidecar.ref) if sidecar is not None else None, out["services"],
                       clusters, listeners, out["routes"], out["virtual_hosts"], out["endpoints"], xds, memory,
                       outbound_clusters=out["clusters"], inbound_clusters=inbound,
                       fixed_clusters=len(FIXED_CLUSTERS), outbound_listeners=out["listeners"],
                       assumptions=tuple(assumptions))


def proxy_config(sim: Simulator, workload: str | Workload, *, scope: Scope | None = None) -> ProxyConfig:
    """What ``workload``'s proxy receives with the manifests as they are (or with ``scope``)."""
    w = sim.workload(workload)
    proxy, level, chosen = _governing(sim, w)
    if proxy == "none":
        return _make(w, proxy, level, None, {}, 0, False)
    gateway = proxy == "gateway"
    if scope is None:
        scope = sim.scope_for(chosen, w.namespace, gateway)
    else:
        level, chosen = "custom", scope.sidecar
    out = _outbound(sim, scope, gateway)
    inbound = 0 if gateway else _inbound_ports(sim, w, chosen)
    return _make(w, proxy, level, chosen, out, inbound, w.kind != "Pod")


# -- the whole mesh ----------------------------------------------------------------------

def proxy_workloads(sim: Simulator) -> list[Workload]:
    """Every workload that stands for running pods: the Pods, and each controller none of whose
    Pods are in the manifests (it then counts as one pod)."""
    cache = _cache(sim)
    _index_workloads(sim, cache)
    out = []
    for w in sim.workloads():
        if w.kind != "Pod":
            pods = cache.pods_by_ns.get(w.namespace, ())  # type: ignore[union-attr]
            if w.labels and any(selector_matches(w.labels, p.labels) for p in pods):
                continue
        out.append(w)
    return out


def _namespace_uniform(sim: Simulator) -> bool:
    """True when a scope importing ``*/*`` is the same in every namespace: everything is exported
    everywhere and no hostname is defined in two namespaces."""
    cache = _cache(sim)
    if cache.uniform is None:
        cache.uniform = (all("*" in s.export_to for s in sim.registry)
                         and all(len(by_ns) == 1 for by_ns in sim.by_hostname.values())
                         and all("*" in vs.export_to for vs in sim.mesh_virtual_services))
    return cache.uniform


def _scopes(sim: Simulator, workloads: Iterable[Workload]) -> Iterable[tuple[Workload, str, str, Sidecar | None,
                                                                              Scope | None]]:
    """Each workload with its proxy kind, scope level, Sidecar and Scope, computing each distinct
    scope once (an implicit ``*/*`` scope once for the whole mesh when it is namespace-uniform)."""
    uniform = _namespace_uniform(sim)
    seen: dict[tuple, Scope] = {}
    for w in workloads:
        proxy, level, chosen = _governing(sim, w)
        if proxy == "none":
            yield w, proxy, level, None, None
            continue
        gateway = proxy == "gateway"
        implicit = gateway or chosen is None or not chosen.spec.egress
        key = (chosen.ref if chosen is not None else None, "*" if (uniform and implicit) else w.namespace, gateway)
        scope = seen.get(key)
        if scope is None:
            scope = seen[key] = sim.scope_for(chosen, w.namespace, gateway)
        yield w, proxy, level, chosen, scope


def _proxy_configs(sim: Simulator, workloads: Iterable[Workload] | None) -> tuple[list[ProxyConfig], int]:
    out = []
    scopes = set()
    for w, proxy, level, chosen, scope in _scopes(sim, workloads if workloads is not None else proxy_workloads(sim)):
        if scope is None:
            out.append(_make(w, proxy, level, None, {}, 0, False))
            continue
        gateway = proxy == "gateway"
        scopes.add((id(scope), gateway))
        inbound = 0 if gateway else _inbound_ports(sim, w, chosen)
        out.append(_make(w, proxy, level, chosen, _outbound(sim, scope, gateway), inbound, w.kind != "Pod"))
    return out, len(scopes)


def proxy_configs(sim: Simulator, workloads: Iterable[Workload] | None = None) -> list[ProxyConfig]:
    """:func:`proxy_config` for every proxy of the mesh (or ``workloads``), fast: per distinct scope."""
    return _proxy_configs(sim, workloads)[0]


def mesh_totals(sim: Simulator, configs: Sequence[ProxyConfig] | None = None) -> dict:
    """The sum over every proxy of the mesh: counts, estimated xDS bytes and memory."""
    distinct = None
    if configs is None:
        configs, distinct = _proxy_configs(sim, None)
    proxies = [c for c in configs if c.proxy != "none"]
    totals: dict[str, Any] = {"proxies": len(proxies), "workloads_without_proxy": len(configs) - len(proxies)}
    if distinct is not None:
        totals["distinct_scopes"] = distinct
    for key in ("visible_services",) + ITEMS + ("xds_bytes",):
        totals[key] = sum(getattr(c, key) for c in proxies)
    totals["memory_mb"] = round(sum(c.memory_mb for c in proxies), 1)
    totals["mean_memory_mb"] = round(totals["memory_mb"] / len(proxies), 2) if proxies else 0.0
    totals["max_memory_mb"] = max((c.memory_mb for c in proxies), default=0.0)
    by_scope: dict[str, int] = {}
    for c in proxies:
        by_scope[c.scope] = by_scope.get(c.scope, 0) + 1
    totals["proxies_by_scope"] = dict(sorted(by_scope.items()))
    totals["estimated"] = ["xds_bytes", "memory_mb", "mean_memory_mb", "max_memory_mb"]
    return totals


def service_host(sim: Simulator, service: str) -> str:
    """The registry hostname for ``service``: an FQDN or ServiceEntry host, ``name.namespace``, or
    ``namespace/name``; a UsageError when the mesh has no such service."""
    text = service.strip().lower().rstrip(".")
    candidates = [text]
    if "/" in text:
        ns, name = text.split("/", 1)
        candidates = [f"{name}.{ns}.svc.{sim.domain}"]
    elif text.count(".") == 1:
        candidates.append(f"{text}.svc.{sim.domain}")
    for name in candidates:
        if name in sim.by_hostname:
            return name
    raise UsageError(f"unknown service {service!r}: give its hostname (name.namespace.svc.{sim.domain}, "
                     "name.namespace, namespace/name, or a ServiceEntry host)")


def push_fanout(sim: Simulator, service: str) -> list[str]:
    """The proxies (``NS/NAME``, sorted) whose scope includes ``service``: istiod must push them
    when it changes. Without Sidecars that is every proxy of the mesh."""
    host = service_host(sim, service)
    cache = _cache(sim)
    out = []
    for w, proxy, _level, _chosen, scope in _scopes(sim, proxy_workloads(sim)):
        if scope is None:
            continue
        key = (id(scope), host)
        sees = cache.sees.get(key)
        if sees is None:
            sees = cache.sees[key] = any(s.hostname == host for s in scope.services)
        if sees:
            out.append(f"{w.namespace}/{w.name}")
    return sorted(out)


def push_fanout_counts(sim: Simulator) -> dict[str, int]:
    """For every service hostname, how many proxies must be pushed when it changes (one pass over
    the distinct scopes; :func:`push_fanout` lists them for one service)."""
    users: dict[int, tuple[Scope, int]] = {}
    for _w, _proxy, _level, _chosen, scope in _scopes(sim, proxy_workloads(sim)):
        if scope is not None:
            seen = users.get(id(scope))
            users[id(scope)] = (scope, (seen[1] if seen else 0) + 1)
    counts = {host: 0 for host in sim.by_hostname}
    for scope, n in users.values():
        for svc in scope.services:
            counts[svc.hostname] = counts.get(svc.hostname, 0) + n
    return counts


# -- with and without a Sidecar -----------------------------------------------------------

def _as_sidecar(spec: Any, namespace: str, existing: Mapping) -> Sidecar:
    from ..core.loader import load_objects

    if isinstance(spec, Sidecar):
        sidecar = spec
    else:
        if not isinstance(spec, Mapping):
            raise UsageError(f"a Sidecar must be a manifest or a spec mapping, not {type(spec).__name__}")
        if spec.get("kind") == "Sidecar":
            manifest = dict(spec)
        else:
            manifest = {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                        "metadata": {"name": "suggested", "namespace": namespace}, "spec": dict(spec)}
        mesh = load_objects([manifest], origin="<sidecar>")
        if not mesh.sidecars:
            raise UsageError("the manifest given holds no Sidecar")
        sidecar = mesh.sidecars[0]
        if not (manifest.get("metadata") or {}).get("creationTimestamp"):
            # kubectl apply keeps the creation time of an object it replaces; a new one is the newest.
            old = existing.get(sidecar.ref)
            if old is not None:
                created = old.created
            else:
                created = max((s.created for s in existing.values()), default=0.0) + 1.0
            sidecar = dataclasses.replace(sidecar, created=created)
    return sidecar


def with_sidecar(mesh: Mesh, sidecar: Sidecar) -> Mesh:
    """``mesh`` with ``sidecar`` added, replacing a Sidecar of the same namespace and name."""
    return dataclasses.replace(mesh, sidecars=tuple(s for s in mesh.sidecars if s.ref != sidecar.ref) + (sidecar,))


def compare(sim: Simulator, workload: str | Workload, sidecar: Any = None) -> Comparison:
    """``workload``'s configuration without and with a Sidecar.

    With ``sidecar=None``: with the Sidecar that governs it now, against no Sidecar at all (the
    default scope, ``*/*``). With a Sidecar (a model object, a manifest, or a bare spec mapping,
    then named ``suggested`` in the workload's namespace): the mesh with it added (replacing one
    of the same name) against the mesh without it.
    """
    w = sim.workload(workload)
    ref = f"{w.namespace}/{w.name}"
    if sidecar is None:
        current = proxy_config(sim, w)
        proxy, _, chosen = _governing(sim, w)
        if proxy != "sidecar" or chosen is None:
            return Comparison(ref, None, current, current, sim, sim)
        without = proxy_config(sim, w, scope=sim.scope_for(None, w.namespace))
        without = dataclasses.replace(without, scope="default", sidecar=None)
        return Comparison(ref, str(chosen.ref), without, current, sim, sim)
    existing = {s.ref: s for s in sim.mesh.sidecars}
    new = _as_sidecar(sidecar, w.namespace, existing)
    if new.ref in existing:
        sim_without = Simulator(dataclasses.replace(
            sim.mesh, sidecars=tuple(s for s in sim.mesh.sidecars if s.ref != new.ref)), sim.rules)
    else:
        sim_without = sim
    sim_with = Simulator(with_sidecar(sim.mesh, new), sim.rules)
    return Comparison(ref, str(new.ref), proxy_config(sim_without, ref), proxy_config(sim_with, ref),
                      sim_without, sim_with)


# -- scaling ------------------------------------------------------------------------------

SCALE_MODES = ("none", "namespace", "dependency")


def _dependency_sidecars(spec: Any, domain: str = "cluster.local") -> list[dict]:
    """One workload Sidecar per synthetic service: its declared calls plus ``istio-system/*``."""
    from .synthetic import call_graph

    out = []
    for key, callees in call_graph(spec).items():
        ns, svc = key.split("/")
        hosts = [f"{c.split('/')[0]}/{c.split('/')[1]}.{c.split('/')[0]}.svc.{domain}" for c in callees]
        out.append({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                    "metadata": {"name": svc, "namespace": ns, "creationTimestamp": "2025-06-01T00:00:00Z"},
                    "spec": {"workloadSelector": {"labels": {"app": svc}},
                             "egress": [{"hosts": hosts + ["istio-system/*"]}]}})
    return out


def scaling_series(namespaces_list: Sequence[int] = (10, 50, 100, 200), *, services_per_namespace: int = 10,
                   pods_per_service: int = 2, fan_out: int = 3, seed: int = 1) -> list[dict]:
    """Per-proxy and mesh-wide configuration of synthetic meshes of growing size, in three setups:

    * ``none``: no Sidecar (every proxy sees every service);
    * ``namespace``: the generator's namespace Sidecars (``./*`` + ``istio-system/*``);
    * ``dependency``: those plus, for every service, a workload Sidecar importing exactly its
      declared calls (:func:`sidecar_lab.scale.synthetic.call_graph`) and ``istio-system/*``.

    Each point: ``namespaces``, ``services``, ``pods``, ``proxy`` (the proxy measured, the first pod
    of the first service), ``service`` (that first service), and keyed by setup: ``per_proxy``
    (:meth:`ProxyConfig.to_json`), ``totals`` (:func:`mesh_totals`), ``push_fanout`` (proxies pushed
    when ``service`` changes) and ``push_fanout_mean`` (the same, averaged over the application
    services: istio-system's are left out).
    """
    from ..core.loader import load_objects
    from .synthetic import SyntheticMeshSpec, counts, generate_documents

    points = []
    for n in namespaces_list:
        spec = SyntheticMeshSpec(namespaces=n, services_per_namespace=services_per_namespace,
                                 pods_per_service=max(pods_per_service, 1), sidecars="namespace",
                                 fan_out=min(fan_out, n * services_per_namespace - 1), seed=seed)
        docs = list(generate_documents(spec))
        mesh = load_objects(docs, origin=f"<synthetic {n} namespaces>")
        sims = {"none": Simulator(dataclasses.replace(mesh, sidecars=())),
                "namespace": Simulator(mesh),
                "dependency": Simulator(load_objects(docs + _dependency_sidecars(spec),
                                                     origin=f"<synthetic {n} namespaces + dependency Sidecars>"))}
        first = next(d for d in docs if d["kind"] == "Pod")
        proxy = f"{first['metadata']['namespace']}/{first['metadata']['name']}"
        service = f"{first['metadata']['namespace']}/{first['metadata']['labels']['app']}"
        c = counts(spec)
        point: dict[str, Any] = {"namespaces": n, "services": c["services"], "pods": c["pods"],
                                 "proxy": proxy, "service": service,
                                 "per_proxy": {}, "totals": {}, "push_fanout": {}, "push_fanout_mean": {}}
        for mode, sim in sims.items():
            point["per_proxy"][mode] = proxy_config(sim, proxy).to_json()
            point["totals"][mode] = mesh_totals(sim)
            point["push_fanout"][mode] = len(push_fanout(sim, service))
            fanout = push_fanout_counts(sim)
            hosts = [h for h in fanout if not h.endswith(f".istio-system.svc.{sim.domain}")]
            point["push_fanout_mean"][mode] = round(sum(fanout[h] for h in hosts) / len(hosts), 2) if hosts else 0.0
        points.append(point)
    return points


# -- text -------------------------------------------------------------------------------

_ROWS = (("visible services", "visible_services"), ("clusters", "clusters"), ("listeners", "listeners"),
         ("routes (tables)", "routes"), ("virtual hosts", "virtual_hosts"), ("endpoints", "endpoints"),
         ("xDS bytes (estimate)", "xds_bytes"), ("memory MB (estimate)", "memory_mb"))
ESTIMATE_NOTE = ("estimates, not measurements: a linear model fitted to istio/istio#11254 (1,077 clusters, "
                 "about 200 MB) and Istio's performance docs (about 50 MB namespace-scoped); "
                 "see sidecar_lab.scale.sizing")


def _num(value: Any) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _percent(before: Any, after: Any) -> str:
    delta = before - after
    text = _num(round(delta, 1) if isinstance(delta, float) else delta)
    return f"{text} ({100.0 * delta / before:.0f}%)" if before else text


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Rows of text: the first ``left`` columns aligned left, the numbers right; indented by two."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    out = []
    for r in [headers, *rows]:
        cells = [f"{c:<{w}}" if i < left else f"{c:>{w}}" for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def comparison_text(c: Comparison) -> str:
    """``sidecar-lab size --workload``: the proxy's configuration without and with its Sidecar."""
    after = c.with_sidecar
    if after.proxy == "none":
        return f"{c.workload}: no proxy — it receives no configuration from istiod"
    head = f"{c.workload} ({after.proxy}; scope {after.scope}"
    head += f"; Sidecar {c.sidecar})" if c.sidecar else "; no Sidecar applies)"
    if c.sidecar is None:
        rows = [(label, _num(getattr(after, key))) for label, key in _ROWS]
        lines = [head] + _table(("", "as it is"), rows)
    else:
        rows = [(label, _num(getattr(c.without, key)), _num(getattr(after, key)),
                 _percent(getattr(c.without, key), getattr(after, key))) for label, key in _ROWS]
        lines = [head] + _table(("", "no Sidecar", f"with {c.sidecar}", "saving"), rows)
    lines.append(f"  clusters: {after.outbound_clusters} outbound + {after.inbound_clusters} inbound + "
                 f"{after.fixed_clusters} fixed ({', '.join(FIXED_CLUSTERS)})")
    lines.append(f"  {ESTIMATE_NOTE}")
    for key in after.assumptions:
        if key != "estimate":
            lines.append(f"  assumption: {ASSUMPTIONS[key]}")
    return "\n".join(lines)


def totals_text(configs: Sequence[ProxyConfig], with_totals: Mapping, without_totals: Mapping) -> str:
    """``sidecar-lab size --all``: one row per workload, then the mesh totals with and without Sidecars."""
    rows = [(c.workload, c.proxy, c.scope, c.sidecar or "-", _num(c.visible_services), _num(c.clusters),
             _num(c.listeners), _num(c.routes), _num(c.virtual_hosts), _num(c.endpoints), _num(c.memory_mb))
            for c in configs]
    lines = _table(("WORKLOAD", "PROXY", "SCOPE", "SIDECAR", "SERVICES", "CLUSTERS", "LISTENERS", "ROUTES",
                    "VHOSTS", "ENDPOINTS", "MB (est.)"), rows, left=4)
    lines = [line[2:] for line in lines]
    lines.append("")
    lines.append(f"mesh totals over {with_totals['proxies']:,} proxies:")
    total_rows = [(label, _num(with_totals[key]), _num(without_totals[key]),
                   _percent(without_totals[key], with_totals[key])) for label, key in _ROWS]
    lines += _table(("", "with the Sidecars", "without any Sidecar", "saving"), total_rows)
    lines.append(f"  {ESTIMATE_NOTE}")
    return "\n".join(lines)
