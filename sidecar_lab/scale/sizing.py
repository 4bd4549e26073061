"""What each proxy receives from istiod, with and without a Sidecar: counts, and an *estimate* of size.

Istio introduced the ``Sidecar`` resource so that a proxy stops receiving configuration for
every service in the mesh. This module counts, from a workload's :class:`~sidecar_lab.core.resolver.Scope`,
what istiod would send its Envoy, and estimates what that costs in MiB. The counts are exact
(from the manifests); the memory is a linear model calibrated to published measurements:
``docs/sizing.md`` has the table (source, setup, published, estimate, ratio) and the fit, and
:mod:`sidecar_lab.scale.calibration` rebuilds every published point as a synthetic mesh.

What is counted (exact, from the manifests)
-------------------------------------------

* **clusters** (CDS), listed by :func:`proxy_clusters`: one ``outbound|P||host`` per port of
  every visible service (istiod's ``buildOutboundClusters``: multi-port services give one cluster
  per port, UDP ports none, ExternalName aliases none), and one ``outbound|P|subset|host`` per
  DestinationRule subset and port (the core lists them: :func:`sidecar_lab.core.envoy.outbound_clusters`);
  one ``inbound|P||`` per ingress port of a sidecar (the Sidecar's
  ``ingress``, else the ports of the Services selecting it); and the fixed ones:
  :data:`FIXED_CLUSTERS` for a sidecar (``BlackHoleCluster``, ``InboundPassthroughCluster``,
  ``PassthroughCluster`` and the bootstrap's ``agent``, ``prometheus_stats``, ``sds-grpc``,
  ``xds-grpc``), :data:`GATEWAY_FIXED_CLUSTERS` for a gateway (no passthrough clusters: it has no
  original-destination listeners). **mTLS clusters** are the outbound clusters istiod gives an
  auto-mTLS transport socket (every service but a ``MESH_EXTERNAL`` ServiceEntry,
  ``cluster_tls.go`` ``buildAutoMtlsSettings``).
* **listeners** (LDS): the outbound listeners :func:`sidecar_lab.core.traffic.listeners_for` builds
  (``0.0.0.0_P`` per HTTP port, ``VIP_P`` per TCP/TLS/sniffed port of a service with a VIP, one
  per endpoint address of a headless service, ...) plus :data:`FIXED_LISTENERS` (``virtualOutbound``,
  ``virtualInbound``, and the bootstrap's ``0.0.0.0_15090`` Prometheus and ``0.0.0.0_15021``
  health listeners). Inbound ports are filter chains of ``virtualInbound``, not listeners.
* **routes** (RDS): one route table per outbound listener that inspects HTTP: table ``P`` for
  ``0.0.0.0_P`` (and user-defined egress ports), table ``host:P`` for a sniffed port bound to a
  VIP. **virtual hosts**: one per HTTP service on that table, plus the catch-all
  (``allow_any``/``block_all``) in each ``P`` table.
* **endpoints** (EDS): for every outbound cluster, the Pods the Kubernetes Service selects (a
  controller with no Pod in the manifests counts as one); at least 1 when none is known
  (assumption ``endpoints-assumed``). Headless services and ServiceEntries with
  ``resolution: NONE`` use ``ORIGINAL_DST`` clusters (no endpoints); other ServiceEntries count 1.

Gateways see every service (Sidecars do not apply to them); their listeners come from
``Gateway`` resources, which the lab does not read, so only the bootstrap's two are counted.

The estimate (a linear model — estimates, not measurements)
-----------------------------------------------------------

``memory_mib = BASE_MEMORY_MIB + Σ count × MEMORY_KIB[item] / 1024`` and
``xds_bytes = Σ count × XDS_BYTES[item]``. The terms, and where each coefficient comes from
(``docs/sizing.md`` gives the derivation and the fit):

================  ==========  ======================================================================
term              KiB         from
================  ==========  ======================================================================
base (MiB)        57.0        fitted: the rest of the istio-proxy container (Envoy, bootstrap, pilot-agent)
cluster           72          envoyproxy/envoy#4196: one static cluster, most of it its 72 stats
mTLS cluster      +90         fitted: the auto-mTLS transport socket (a TLS context per cluster)
listener          18          envoyproxy/envoy#4196: one TCP listener
route table       40          envoyproxy/envoy#4196: an HTTP listener (63 kB) less a TCP one, less a vhost
virtual host      5           prior: a few domains and one route with retry policy and metadata
endpoint          3           prior: an Envoy host with Istio's endpoint metadata
================  ==========  ======================================================================

Memory also grows with traffic (connections, buffers, TLS sessions), which this model leaves out.
The xDS byte costs are orders of magnitude of the protobuf size of typical Istio objects; they
are not fitted to any published figure.

>>> xds, mib = estimate(clusters=100, mtls_clusters=93, listeners=10, routes=3, virtual_hosts=60, endpoints=200)
>>> round(mib, 1)
73.4
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..core.errors import UsageError
from ..core.messages import label
from ..core.model import Mesh, Sidecar, Workload
from ..core.resolver import RegistryService, Scope, Simulator, selector_matches

__all__ = [
    "ProxyConfig", "Comparison", "Cluster", "proxy_config", "proxy_configs", "compare", "mesh_totals", "push_fanout",
    "estimate", "scaling_series", "push_fanout_counts", "with_sidecar", "proxy_workloads", "service_host",
    "proxy_clusters", "outbound_clusters", "cluster_counts", "parse_cluster_name", "mib_to_mb", "RouteTable",
    "route_tables", "service_pods",
    "FIXED_CLUSTERS", "GATEWAY_FIXED_CLUSTERS", "FIXED_LISTENERS", "GATEWAY_FIXED_LISTENERS", "BASE_MEMORY_MIB",
    "MEMORY_KIB", "XDS_BYTES", "ASSUMPTIONS", "ITEMS", "COST_ITEMS", "SCALE_MODES", "comparison_text",
    "totals_text", "mesh_totals_text", "ESTIMATE_NOTE", "MIB", "MB",
]

#: Clusters every sidecar has whatever it sees (``istioctl proxy-config cluster``): the catch-all
#: clusters istiod adds (``buildClusters``) and the bootstrap's static ones.
FIXED_CLUSTERS = ("BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster", "agent",
                  "prometheus_stats", "sds-grpc", "xds-grpc")
#: Clusters every gateway has: gateways get no passthrough clusters (``buildClusters``, default case).
GATEWAY_FIXED_CLUSTERS = ("BlackHoleCluster", "agent", "prometheus_stats", "sds-grpc", "xds-grpc")
#: Listeners every sidecar has: the two iptables targets and the bootstrap's static listeners.
FIXED_LISTENERS = ("virtualOutbound", "virtualInbound", "0.0.0.0_15090", "0.0.0.0_15021")
#: Listeners every gateway has before any Gateway resource: the bootstrap's static ones.
GATEWAY_FIXED_LISTENERS = ("0.0.0.0_15090", "0.0.0.0_15021")

#: The counted items, as ``istioctl proxy-config`` lists them.
ITEMS = ("clusters", "listeners", "routes", "virtual_hosts", "endpoints")
#: Every item the memory model prices: the counted ones and the mTLS clusters among the clusters.
COST_ITEMS = ITEMS + ("mtls_clusters",)
#: Bytes in a MiB, and in an MB (the unit of the ``memory_mb`` JSON fields kept for old scripts).
MIB, MB = 1024 * 1024, 1000 * 1000
#: The idle istio-proxy container, in MiB (fitted; see ``docs/sizing.md``).
BASE_MEMORY_MIB = 57.0
#: Memory per item, in KiB (see the module docstring and ``docs/sizing.md``).
MEMORY_KIB: Mapping[str, float] = {"clusters": 72.0, "mtls_clusters": 90.0, "listeners": 18.0, "routes": 40.0,
                                   "virtual_hosts": 5.0, "endpoints": 3.0}
#: Serialized xDS size per item, in bytes (order of magnitude, not fitted).
XDS_BYTES: Mapping[str, int] = {"clusters": 1400, "mtls_clusters": 600, "listeners": 2500, "routes": 200,
                                "virtual_hosts": 500, "endpoints": 150}

#: Text of every assumption a :class:`ProxyConfig` can name in ``assumptions``.
ASSUMPTIONS: Mapping[str, str] = {  # in English; every language's sentence is LABELS' size.assumption.KEY
    key: label(f"size.assumption.{key}", "en")
    for key in ("estimate", "endpoints-assumed", "controller-one-pod", "gateway-listeners", "traffic-not-modelled",
                "no-proxy")
}


def estimate(*, clusters: int, listeners: int, routes: int, virtual_hosts: int, endpoints: int,
             mtls_clusters: int = 0) -> tuple[int, float]:
    """``(xds_bytes, memory_mib)`` of a proxy holding these counts (see the module docstring).

    ``mtls_clusters`` is how many of the ``clusters`` carry Istio's auto-mTLS transport socket.
    """
    if not 0 <= mtls_clusters <= clusters:
        raise ValueError(f"mtls_clusters ({mtls_clusters}) must be between 0 and clusters ({clusters})")
    counts = {"clusters": clusters, "listeners": listeners, "routes": routes, "virtual_hosts": virtual_hosts,
              "endpoints": endpoints, "mtls_clusters": mtls_clusters}
    xds = sum(counts[k] * XDS_BYTES[k] for k in COST_ITEMS)
    memory = BASE_MEMORY_MIB + sum(counts[k] * MEMORY_KIB[k] for k in COST_ITEMS) / 1024.0
    return int(xds), round(memory, 3)


def mib_to_mb(mib: float) -> float:
    """The same amount in MB (10^6 bytes), for the ``memory_mb`` fields kept for old scripts."""
    return round(mib * MIB / MB, 3)


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
    #: The estimated memory of the istio-proxy container, in MiB.
    memory_mib: float
    outbound_clusters: int = 0
    inbound_clusters: int = 0
    fixed_clusters: int = 0
    outbound_listeners: int = 0
    #: Outbound clusters with Istio's auto-mTLS transport socket.
    mtls_clusters: int = 0
    #: Outbound clusters of DestinationRule subsets (``outbound|P|subset|host``).
    subset_clusters: int = 0
    #: Keys of :data:`ASSUMPTIONS` that this estimate rests on.
    assumptions: tuple[str, ...] = ()

    @property
    def memory_mb(self) -> float:
        """The same estimate in MB (10^6 bytes): the unit of the JSON field kept for old scripts."""
        return mib_to_mb(self.memory_mib)

    def counts(self) -> dict[str, int]:
        """Every item the memory model prices (the arguments of :func:`estimate`)."""
        return {k: getattr(self, k) for k in COST_ITEMS}

    def assumption_texts(self) -> list[str]:
        """What this estimate assumes, in the language in force."""
        return [label(f"size.assumption.{k}") for k in self.assumptions]

    def to_json(self) -> dict:
        return {
            "workload": self.workload, "proxy": self.proxy, "scope": self.scope, "sidecar": self.sidecar,
            "visible_services": self.visible_services,
            "clusters": self.clusters, "outbound_clusters": self.outbound_clusters,
            "inbound_clusters": self.inbound_clusters, "fixed_clusters": self.fixed_clusters,
            "mtls_clusters": self.mtls_clusters, "subset_clusters": self.subset_clusters,
            "listeners": self.listeners, "outbound_listeners": self.outbound_listeners,
            "routes": self.routes, "virtual_hosts": self.virtual_hosts, "endpoints": self.endpoints,
            "xds_bytes": self.xds_bytes, "memory_mib": self.memory_mib, "memory_mb": self.memory_mb,
            "estimated": ["xds_bytes", "memory_mib", "memory_mb"],
            "assumptions": list(self.assumptions),
        }


def _saving(before: ProxyConfig, after: ProxyConfig) -> dict:
    out: dict[str, Any] = {}
    for key in ("visible_services",) + COST_ITEMS + ("xds_bytes", "memory_mib", "memory_mb"):
        b, a = getattr(before, key), getattr(after, key)
        delta = b - a
        out[key] = round(delta, 3) if isinstance(delta, float) else delta
    out["memory_percent"] = round(100.0 * (before.memory_mib - after.memory_mib) / before.memory_mib, 1) \
        if before.memory_mib else 0.0
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
    __slots__ = ("outbound", "clusters", "endpoints", "pods_by_ns", "controllers_by_ns", "uniform", "sees")

    def __init__(self) -> None:
        self.outbound: dict[tuple[int, bool], tuple[Scope, dict]] = {}
        self.clusters: dict[tuple[int, bool], tuple[Scope, tuple]] = {}
        self.endpoints: dict[tuple, tuple[Workload, ...]] = {}
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


def service_pods(sim: Simulator, svc: RegistryService) -> tuple[Workload, ...]:
    """The workloads behind a Kubernetes Service's endpoints: the Pods it selects, else the controllers
    whose pod template it selects (each standing for one pod); empty for anything else."""
    if svc.kind != "Service":
        return ()
    cache = _cache(sim)
    key = (svc.namespace, svc.name)
    hit = cache.endpoints.get(key)
    if hit is not None:
        return hit
    selector = svc.obj.selector  # type: ignore[union-attr]
    found: tuple[Workload, ...] = ()
    if selector:
        _index_workloads(sim, cache)
        found = tuple(w for w in cache.pods_by_ns.get(svc.namespace, ())  # type: ignore[union-attr]
                      if selector_matches(selector, w.labels))
        if not found:
            found = tuple(w for w in cache.controllers_by_ns.get(svc.namespace, ())  # type: ignore[union-attr]
                          if selector_matches(selector, w.labels))
    cache.endpoints[key] = found
    return found


def _service_endpoints(sim: Simulator, svc: RegistryService) -> tuple[int, bool]:
    """EDS endpoints per port of ``svc``, and whether the count was assumed."""
    if svc.kind != "Service":
        return (0, False) if svc.resolution == "NONE" else (1, False)
    if svc.resolution == "Passthrough":
        return 0, False
    if svc.obj.type == "ExternalName":  # type: ignore[union-attr]
        return 1, False
    pods = service_pods(sim, svc)
    return (len(pods), False) if pods else (1, True)


# -- clusters ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cluster:
    """One Envoy cluster of a proxy, with what ``istioctl proxy-config cluster`` shows of it."""

    name: str
    #: ``outbound``, ``inbound``, or ``""`` for the fixed clusters (catch-all and bootstrap).
    direction: str
    port: int | None = None
    subset: str = ""
    #: The service hostname for outbound clusters; the cluster's name for the fixed ones.
    host: str = ""
    #: Envoy's discovery type: EDS, STATIC, ORIGINAL_DST, STRICT_DNS or LOGICAL_DNS.
    type: str = "EDS"
    #: True when istiod gives it the auto-mTLS transport socket (``buildAutoMtlsSettings``).
    mtls: bool = False
    #: The DestinationRule applied, as istioctl shows it (``NAME.NAMESPACE``), or "".
    destination_rule: str = ""
    service: RegistryService | None = field(default=None, compare=False, repr=False)


_CLUSTER_NAME = re.compile(r"^(?P<direction>outbound|inbound)\|(?P<port>\d*)\|(?P<subset>[^|]*)\|(?P<host>.*)$")
#: Discovery types of the fixed clusters (``cluster_builder.go`` and Istio's bootstrap).
_FIXED_TYPES = {"BlackHoleCluster": "STATIC", "InboundPassthroughCluster": "ORIGINAL_DST",
                "PassthroughCluster": "ORIGINAL_DST", "agent": "STATIC", "prometheus_stats": "STATIC",
                "sds-grpc": "STATIC", "xds-grpc": "STATIC"}


def parse_cluster_name(name: str) -> tuple[str, int | None, str, str] | None:
    """``(direction, port, subset, host)`` of an ``outbound|P|subset|host`` or ``inbound|P||`` name
    (Istio's ``model.ParseSubsetKey``); None for any other name.

    >>> parse_cluster_name("outbound|9080|v2|reviews.default.svc.cluster.local")
    ('outbound', 9080, 'v2', 'reviews.default.svc.cluster.local')
    """
    match = _CLUSTER_NAME.match(name)
    if match is None:
        return None
    port = int(match.group("port")) if match.group("port") else None
    return match.group("direction"), port, match.group("subset"), match.group("host")


def _cluster_type(svc: RegistryService, gateway: bool) -> str:
    """istiod's ``convertResolution``: gateways cannot use ORIGINAL_DST and fall back to EDS."""
    resolution = svc.resolution
    if resolution in ("Passthrough", "NONE"):
        return "EDS" if gateway else "ORIGINAL_DST"
    if resolution == "DNS":
        return "STRICT_DNS"
    if resolution == "DNS_ROUND_ROBIN":
        return "LOGICAL_DNS"
    return "EDS"


def _mesh_external(svc: RegistryService) -> bool:
    return svc.kind == "ServiceEntry" and getattr(svc.obj, "location", "") == "MESH_EXTERNAL"


def _outbound_cluster(name: str, by_host: Mapping[str, RegistryService], gateway: bool) -> Cluster:
    parsed = parse_cluster_name(name)
    if parsed is None or parsed[0] != "outbound":
        raise ValueError(f"not an outbound cluster name: {name!r}")
    _, port, subset, host = parsed
    svc = by_host.get(host)
    if svc is None:
        return Cluster(name, "outbound", port, subset, host)
    return Cluster(name, "outbound", port, subset, host, _cluster_type(svc, gateway), not _mesh_external(svc),
                   service=svc)


def outbound_clusters(sim: Simulator, scope: Scope, gateway: bool = False) -> tuple[Cluster, ...]:
    """The outbound clusters of a proxy using ``scope``, in istiod's order (``buildOutboundClusters``):
    one ``outbound|P||host`` per port of every service the scope imports (UDP ports are not in the
    registry; ExternalName aliases get none). Cached per scope.

    This is the one place that lists them: when the core lists DestinationRule subset clusters
    (``outbound|P|subset|host``), the list below comes from it, and everything else — the counts,
    the endpoints, ``proxy-config clusters`` — follows.
    """
    cache = _cache(sim)
    key = (id(scope), gateway)
    hit = cache.clusters.get(key)
    if hit is not None and hit[0] is scope:
        return hit[1]
    from ..core.envoy import outbound_clusters as envoy_outbound_clusters

    names = envoy_outbound_clusters(sim, scope)  # subsets included, aliases excluded
    by_host = {svc.hostname: svc for svc in scope.services}
    out = tuple(_outbound_cluster(name, by_host, gateway) for name in names)
    cache.clusters[key] = (scope, out)
    return out


def cluster_counts(clusters: Iterable[Cluster | str]) -> dict[str, int]:
    """How many clusters of each kind a proxy's list holds: ``clusters`` (all), ``outbound_clusters``,
    ``subset_clusters`` (outbound ones of a DestinationRule subset), ``inbound_clusters``,
    ``fixed_clusters`` and ``mtls_clusters``. Names (``outbound|P|subset|host``) are read as istioctl
    reads them; only :class:`Cluster` objects can say whether they carry mTLS.

    >>> cluster_counts(["outbound|9080||reviews.default.svc.cluster.local",
    ...                 "outbound|9080|v1|reviews.default.svc.cluster.local", "inbound|9080||", "xds-grpc"])
    {'clusters': 4, 'outbound_clusters': 2, 'subset_clusters': 1, 'inbound_clusters': 1, 'fixed_clusters': 1, 'mtls_clusters': 0}
    """
    out = {"clusters": 0, "outbound_clusters": 0, "subset_clusters": 0, "inbound_clusters": 0,
           "fixed_clusters": 0, "mtls_clusters": 0}
    for c in clusters:
        if isinstance(c, Cluster):
            direction, subset, mtls = c.direction, c.subset, c.mtls
        else:
            parsed = parse_cluster_name(c)
            direction, subset, mtls = (parsed[0], parsed[2], False) if parsed else ("", "", False)
        out["clusters"] += 1
        if direction == "outbound":
            out["outbound_clusters"] += 1
            out["subset_clusters"] += bool(subset)
            out["mtls_clusters"] += mtls
        elif direction == "inbound":
            out["inbound_clusters"] += 1
        else:
            out["fixed_clusters"] += 1
    return out


def _outbound(sim: Simulator, scope: Scope, gateway: bool) -> dict:
    """The outbound part of a proxy's configuration: the same for every proxy using ``scope``."""
    from ..core.traffic import listeners_for

    cache = _cache(sim)
    key = (id(scope), gateway)
    hit = cache.outbound.get(key)
    if hit is not None and hit[0] is scope:
        return hit[1]
    clusters = outbound_clusters(sim, scope, gateway)
    counted = cluster_counts(clusters)
    endpoints = 0
    assumed = False
    for c in clusters:
        if c.service is None:
            continue
        per_port, guessed = _service_endpoints(sim, c.service)
        endpoints += per_port
        assumed = assumed or guessed
    listeners = routes = vhosts = 0
    if not gateway:
        built = listeners_for(sim, scope)
        listeners = len(built)
        tables = route_tables(built)
        routes = len(tables)
        vhosts = sum(table.virtual_hosts for table in tables.values())
    out = {"gateway": gateway, "services": len(scope.services), "clusters": counted["outbound_clusters"],
           "mtls_clusters": counted["mtls_clusters"], "subset_clusters": counted["subset_clusters"],
           "endpoints": endpoints, "listeners": listeners, "routes": routes, "virtual_hosts": vhosts,
           "assumed": assumed}
    cache.outbound[key] = (scope, out)
    return out


@dataclass(frozen=True, slots=True)
class RouteTable:
    """One outbound RDS route table: its name, the listener port, the (service, port) of each virtual
    host in order, and whether it ends with the catch-all virtual host (``allow_any``/``block_all``)."""

    name: str
    port: int
    services: tuple = ()
    catch_all: bool = False

    @property
    def virtual_hosts(self) -> int:
        return len(self.services) + self.catch_all


def route_tables(built: Mapping[str, Any]) -> dict[str, RouteTable]:
    """The route tables of a proxy's outbound listeners (:func:`sidecar_lab.core.traffic.listeners_for`):
    one table ``P`` per ``0.0.0.0_P`` (or user-defined) listener that inspects HTTP, with the catch-all;
    one ``host:P`` per sniffed VIP listener. One virtual host per hostname."""
    collected: dict[str, tuple[int, list, bool]] = {}
    for listener in built.values():
        if not listener.inspects_http:
            continue
        if listener.user_defined or listener.name.startswith("0.0.0.0_"):
            name, catch_all = str(listener.port), True
        else:
            first = listener.http[0][0].hostname if listener.http else listener.name
            name, catch_all = f"{first}:{listener.port}", False
        _port, services, _ = collected.setdefault(name, (listener.port, [], catch_all))
        seen = {s.hostname for s, _p in services}
        for s, p in listener.http:
            if s.hostname not in seen:
                services.append((s, p))
                seen.add(s.hostname)
    return {name: RouteTable(name, port, tuple(services), catch_all)
            for name, (port, services, catch_all) in collected.items()}


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
    gateway = proxy == "gateway"
    fixed_clusters = len(GATEWAY_FIXED_CLUSTERS if gateway else FIXED_CLUSTERS)
    clusters = out["clusters"] + inbound + fixed_clusters
    listeners = out["listeners"] + len(GATEWAY_FIXED_LISTENERS if gateway else FIXED_LISTENERS)
    xds, memory = estimate(clusters=clusters, listeners=listeners, routes=out["routes"],
                           virtual_hosts=out["virtual_hosts"], endpoints=out["endpoints"],
                           mtls_clusters=out["mtls_clusters"])
    assumptions = ["estimate", "traffic-not-modelled"]
    if out["assumed"]:
        assumptions.append("endpoints-assumed")
    if controller:
        assumptions.append("controller-one-pod")
    if gateway:
        assumptions.append("gateway-listeners")
    return ProxyConfig(ref, proxy, level, str(sidecar.ref) if sidecar is not None else None, out["services"],
                       clusters, listeners, out["routes"], out["virtual_hosts"], out["endpoints"], xds, memory,
                       outbound_clusters=out["clusters"], inbound_clusters=inbound,
                       fixed_clusters=fixed_clusters, outbound_listeners=out["listeners"],
                       mtls_clusters=out["mtls_clusters"], subset_clusters=out["subset_clusters"],
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


def _inbound_clusters(sim: Simulator, w: Workload, chosen: Sidecar | None) -> list[Cluster]:
    """``inbound|P||`` per ingress port (``buildInboundClusters``): STATIC when a Sidecar's ``ingress``
    names the endpoint, ORIGINAL_DST for the ports taken from the Services."""
    out = []
    for ing in sim.ingress(w, chosen):
        number = (ing.port or {}).get("number")
        if number is None:
            continue
        out.append(Cluster(f"inbound|{number}||", "inbound", int(number), "", "",
                           "ORIGINAL_DST" if ing.implicit else "STATIC"))
    return out


def proxy_clusters(sim: Simulator, workload: str | Workload, *, scope: Scope | None = None) -> list[Cluster]:
    """Every cluster of ``workload``'s proxy (outbound, inbound, fixed), as :func:`proxy_config` counts
    them; ``scope`` replaces the one its Sidecar gives (as :func:`proxy_config`). Empty without a proxy."""
    w = sim.workload(workload)
    proxy, _level, chosen = _governing(sim, w)
    if proxy == "none":
        return []
    gateway = proxy == "gateway"
    if scope is None:
        scope = sim.scope_for(chosen, w.namespace, gateway)
    else:
        chosen = scope.sidecar
    out = list(outbound_clusters(sim, scope, gateway))
    if not gateway:
        out += _inbound_clusters(sim, w, chosen)
    out += [Cluster(name, "", None, "", name, _FIXED_TYPES[name])
            for name in (GATEWAY_FIXED_CLUSTERS if gateway else FIXED_CLUSTERS)]
    return out


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
    for key in ("visible_services",) + COST_ITEMS + ("xds_bytes",):
        totals[key] = sum(getattr(c, key) for c in proxies)
    totals["memory_mib"] = round(sum(c.memory_mib for c in proxies), 1)
    totals["mean_memory_mib"] = round(totals["memory_mib"] / len(proxies), 2) if proxies else 0.0
    totals["max_memory_mib"] = max((c.memory_mib for c in proxies), default=0.0)
    totals["memory_mb"] = mib_to_mb(totals["memory_mib"])
    totals["mean_memory_mb"] = mib_to_mb(totals["mean_memory_mib"])
    totals["max_memory_mb"] = mib_to_mb(totals["max_memory_mib"])
    by_scope: dict[str, int] = {}
    for c in proxies:
        by_scope[c.scope] = by_scope.get(c.scope, 0) + 1
    totals["proxies_by_scope"] = dict(sorted(by_scope.items()))
    totals["estimated"] = ["xds_bytes", "memory_mib", "mean_memory_mib", "max_memory_mib", "memory_mb",
                           "mean_memory_mb", "max_memory_mb"]
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

#: The rows of the size tables: each a count or estimate of :class:`ProxyConfig` (its label: LABELS' size.row.KEY).
_ROW_KEYS = ("visible_services", "clusters", "mtls_clusters", "listeners", "routes", "virtual_hosts", "endpoints",
             "xds_bytes", "memory_mib")
#: What every size table says under it (in English; :func:`label` ``size.estimate-note`` in the language in force).
ESTIMATE_NOTE = label("size.estimate-note", "en")


def _rows() -> list[tuple[str, str]]:
    """(label in the language in force, key) of each row of a size table."""
    return [(label(f"size.row.{key}"), key) for key in _ROW_KEYS]


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _num(value: Any) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _percent(before: Any, after: Any) -> str:
    delta = before - after
    text = _num(round(delta, 1) if isinstance(delta, float) else delta)
    return f"{text} ({100.0 * delta / before:.0f}%)" if before else text


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Rows of text: the first ``left`` columns aligned left, the numbers right; indented by two."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    out = []
    for r in [headers, *rows]:
        pads = [" " * (w - _width(str(c))) for c, w in zip(r, widths)]
        cells = [f"{c}{pad}" if i < left else f"{pad}{c}" for i, (c, pad) in enumerate(zip(r, pads))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def comparison_text(c: Comparison) -> str:
    """``sidecar-lab size --workload``: the proxy's configuration without and with its Sidecar."""
    after = c.with_sidecar
    if after.proxy == "none":
        return label("size.no-proxy", workload=c.workload)
    if c.sidecar is None:
        head = label("size.head.no-sidecar", workload=c.workload, proxy=after.proxy, scope=after.scope)
        rows = [(name, _num(getattr(after, key))) for name, key in _rows()]
        lines = [head] + _table(("", label("size.col.as-is")), rows)
    else:
        head = label("size.head.sidecar", workload=c.workload, proxy=after.proxy, scope=after.scope,
                     sidecar=c.sidecar)
        rows = [(name, _num(getattr(c.without, key)), _num(getattr(after, key)),
                 _percent(getattr(c.without, key), getattr(after, key))) for name, key in _rows()]
        lines = [head] + _table(("", label("size.col.no-sidecar"), label("size.col.with", sidecar=c.sidecar),
                                 label("size.col.saving")), rows)
    fixed = GATEWAY_FIXED_CLUSTERS if after.proxy == "gateway" else FIXED_CLUSTERS
    lines.append("  " + label("size.clusters-split", outbound=after.outbound_clusters, inbound=after.inbound_clusters,
                              fixed=after.fixed_clusters, names=", ".join(fixed)))
    lines.append("  " + label("size.estimate-note"))
    for key in after.assumptions:
        if key != "estimate":
            lines.append("  " + label("size.assumption", text=label(f"size.assumption.{key}")))
    return "\n".join(lines)


def totals_text(configs: Sequence[ProxyConfig], with_totals: Mapping, without_totals: Mapping) -> str:
    """``sidecar-lab size --all``: one row per workload, then the mesh totals with and without Sidecars."""
    rows = [(c.workload, c.proxy, c.scope, c.sidecar or "-", _num(c.visible_services), _num(c.clusters),
             _num(c.listeners), _num(c.routes), _num(c.virtual_hosts), _num(c.endpoints), _num(c.memory_mib))
            for c in configs]
    columns = ("workload", "proxy", "scope", "sidecar", "services", "clusters", "listeners", "routes", "vhosts",
               "endpoints", "mib")
    lines = _table([label(f"size.col.{c}") for c in columns], rows, left=4)
    lines = [line[2:] for line in lines]
    return "\n".join(lines + ["", mesh_totals_text(with_totals, without_totals)])


def mesh_totals_text(with_totals: Mapping, without_totals: Mapping) -> str:
    """The mesh totals (:func:`mesh_totals`) with the Sidecars and without any, and the saving: the end of
    ``sidecar-lab size --all``."""
    lines = [label("size.totals", count=f"{with_totals['proxies']:,}")]
    total_rows = [(name, _num(with_totals[key]), _num(without_totals[key]),
                   _percent(without_totals[key], with_totals[key])) for name, key in _rows()]
    lines += _table(("", label("size.col.with-sidecars"), label("size.col.without-sidecars"), label("size.col.saving")),
                    total_rows)
    lines.append("  " + label("size.estimate-note"))
    return "\n".join(lines)
