"""The published measurements the size model is calibrated to, each rebuilt as a synthetic mesh.

Every :class:`DataPoint` names its source, what was measured and the figure published; its
``build`` function writes the manifests of a mesh of the published shape (namespaces, Services
with their ports, Pods, Sidecars, gateways), and :func:`evaluate` runs them through the whole path
a user's manifests take — :func:`sidecar_lab.core.loader.load_objects`, a
:class:`~sidecar_lab.core.resolver.Simulator`, :func:`sidecar_lab.scale.sizing.proxy_config` — to get
the counts and the estimate. Nothing published is plugged back in: where a thread gives a count
(1,077 clusters, 175 listeners) the mesh is built so that the simulator *computes* it.

Where a source is silent about the shape, the reconstruction says what it assumes
(:attr:`DataPoint.reconstruction`); ``docs/sizing.md`` shows the table, and
:func:`calibration_markdown` writes it.

Two kinds of point:

* ``proxy``: the memory of one proxy (``kubectl top``, ``docker stats``, a dashboard);
* ``marginal``: what one more item costs (envoyproxy/envoy#4196), the difference between the
  estimate for a mesh with the item and the same mesh without it.

>>> [p.key for p in POINTS][:3]
['istio-11254-egress-gateway', 'istio-docs-large-namespace', 'istio-tools-twopods-client']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

__all__ = ["DataPoint", "POINTS", "TOLERANCE", "evaluate", "calibration_table", "calibration_markdown",
           "fit", "FIT_POINTS"]

#: Every point's estimate must stay within this factor of its published figure (tests/test_calibration.py).
TOLERANCE = (0.67, 1.5)
_KIB, _KB = 1024.0, 1000.0


@dataclass(frozen=True)
class DataPoint:
    """One published measurement and the synthetic mesh that rebuilds its shape."""

    key: str
    #: ``istio/istio#11254``, ``istio.io``, ...: where the figure was published.
    source: str
    url: str
    #: What was measured, in a few words (the table's "setup").
    setup: str
    #: The figure as published, with its unit as written.
    published: str
    #: The published figure as a range, in MiB (``proxy``) or KiB (``marginal``).
    low: float
    high: float
    #: How the mesh is rebuilt, and what is assumed where the source is silent.
    reconstruction: str
    build: Callable[[], list[dict]] = field(repr=False)
    #: NS/NAME of the proxy measured.
    workload: str
    kind: str = "proxy"  # proxy | marginal
    #: For a ``marginal`` point: the mesh without the item.
    baseline: Callable[[], list[dict]] | None = field(default=None, repr=False)

    @property
    def unit(self) -> str:
        return "MiB" if self.kind == "proxy" else "KiB"

    @property
    def figure(self) -> float:
        """The published figure the ratio is taken against: the middle of the published range."""
        return (self.low + self.high) / 2.0


# -- manifests ----------------------------------------------------------------------------------

_ISTIOD_PORTS = (("grpc-xds", 15010), ("https-dns", 15012), ("https-webhook", 443), ("http-monitoring", 15014))
#: An istio-ingressgateway Service as Istio's default profile installs it.
_GATEWAY_PORTS = (("status-port", 15021), ("http2", 80), ("https", 443))


class _Mesh:
    """A small writer of manifests with deterministic names and addresses."""

    def __init__(self) -> None:
        self.docs: list[dict] = []
        self._ips = 0
        self._pod_ips = 0
        self._namespaces: set[str] = set()

    def _cluster_ip(self) -> str:
        self._ips += 1
        return f"10.96.{self._ips // 250}.{self._ips % 250 + 1}"

    def _pod_ip(self) -> str:
        self._pod_ips += 1
        return f"10.128.{self._pod_ips // 250}.{self._pod_ips % 250 + 1}"

    def namespace(self, name: str, injected: bool = True) -> None:
        if name in self._namespaces:
            return
        self._namespaces.add(name)
        labels = {"istio-injection": "enabled"} if injected else {}
        self.docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})

    def service(self, namespace: str, name: str, ports: Sequence[tuple[str | None, int]], *, pods: int = 1,
                export_to: str | None = None, labels: dict | None = None, inject: bool = True) -> None:
        selector = dict(labels or {"app": name})
        spec_ports = []
        for port_name, number in ports:
            entry: dict = {"port": number, "targetPort": number, "protocol": "TCP"}
            if port_name:
                entry["name"] = port_name
            spec_ports.append(entry)
        metadata: dict = {"name": name, "namespace": namespace}
        if export_to:
            metadata["annotations"] = {"networking.istio.io/exportTo": export_to}
        self.docs.append({"apiVersion": "v1", "kind": "Service", "metadata": metadata,
                          "spec": {"clusterIP": self._cluster_ip(), "ports": spec_ports, "selector": selector}})
        for i in range(pods):
            pod_labels = dict(selector)
            if not inject:
                pod_labels["sidecar.istio.io/inject"] = "false"
            self.docs.append({"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": f"{name}-{i}", "namespace": namespace, "labels": pod_labels},
                              "spec": {"containers": [{"name": "app", "image": "example",
                                                       "ports": [{"containerPort": n} for _, n in ports]}]},
                              "status": {"podIP": self._pod_ip()}})

    def service_entry(self, namespace: str, name: str, host: str, port: tuple[str, int, str], address: str,
                      location: str = "MESH_EXTERNAL") -> None:
        port_name, number, protocol = port
        self.docs.append({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                          "metadata": {"name": name, "namespace": namespace},
                          "spec": {"hosts": [host], "addresses": [address], "location": location,
                                   "resolution": "STATIC", "endpoints": [{"address": "192.0.2.10"}],
                                   "ports": [{"name": port_name, "number": number, "protocol": protocol}]}})

    def sidecar(self, namespace: str, hosts: Sequence[str]) -> None:
        self.docs.append({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                          "metadata": {"name": "default", "namespace": namespace},
                          "spec": {"egress": [{"hosts": list(hosts)}]}})

    def istio_system(self, *, ingress: int = 1, egress: int = 0) -> None:
        """istiod (no proxy) and, when asked, the ingress and egress gateways with their replicas."""
        self.namespace("istio-system", injected=False)
        self.service("istio-system", "istiod", _ISTIOD_PORTS, pods=1, labels={"app": "istiod", "istio": "pilot"},
                     inject=False)
        if ingress:
            self.service("istio-system", "istio-ingressgateway", _GATEWAY_PORTS, pods=ingress,
                         labels={"app": "istio-ingressgateway", "istio": "ingressgateway"})
        if egress:
            self.service("istio-system", "istio-egressgateway", (("http2", 80), ("https", 443)), pods=egress,
                         labels={"app": "istio-egressgateway", "istio": "egressgateway"})

    def app_namespaces(self, services: int, per_namespace: int, ports: Sequence[tuple[str | None, int]],
                       pods: int, *, prefix: str = "ns", sidecar: Sequence[str] | None = None,
                       export_to: str | None = None) -> None:
        """``services`` Services spread over namespaces of ``per_namespace``, ``pods`` Pods each."""
        for i in range(services):
            namespace = f"{prefix}-{i // per_namespace + 1:03d}"
            if namespace not in self._namespaces:
                self.namespace(namespace)
                if sidecar is not None:
                    self.sidecar(namespace, sidecar)
            self.service(namespace, f"svc-{i + 1:04d}", ports, pods=pods, export_to=export_to)


_NAMESPACE_SIDECAR = ("./*", "istio-system/*")


# -- the points ---------------------------------------------------------------------------------

def _istio_11254() -> list[dict]:
    # 400 Services; their ports spread so that the egress gateway's CDS holds 1,077 clusters, as the
    # thread counted (how they split between ports and DestinationRule subsets is not said).
    m = _Mesh()
    m.istio_system(ingress=0, egress=1)
    for i in range(400):
        namespace = f"ns-{i // 20 + 1:03d}"
        m.namespace(namespace)
        ports = [("http", 8080), ("grpc", 9090)] + ([("http-admin", 8081)] if i < 266 else [])
        m.service(namespace, f"svc-{i + 1:04d}", ports, pods=2)
    return m.docs


def _istio_docs() -> list[dict]:
    # Istio's load test (istio/tools perf/load): 20 services per namespace, 2 replicas, one HTTP
    # port, the namespace Sidecar ./* + istio-system/*; 1,000 services and 2,000 sidecars in all.
    m = _Mesh()
    m.istio_system(ingress=1)
    m.app_namespaces(1000, 20, [("http-web", 8080)], 2, sidecar=_NAMESPACE_SIDECAR)
    return m.docs


_FORTIO_PORTS = (("http-echo", 8080), ("grpc-ping", 8079), ("http-echoa", 8077), ("grpc-pinga", 8076),
                 ("nighthawk-service", 9999), ("fortio-reporting", 9076))


def _istio_tools_twopods() -> list[dict]:
    # istio/tools perf/benchmark: fortioclient and fortioserver (templates/fortio.yaml, six ports each)
    # in namespace twopods-istio, and the ingress gateway they are measured beside.
    m = _Mesh()
    m.istio_system(ingress=1)
    m.namespace("twopods-istio")
    for name in ("fortioclient", "fortioserver"):
        m.service("twopods-istio", name, _FORTIO_PORTS, pods=1)
    return m.docs


def _istio_38000() -> list[dict]:
    # Namespace isolation with exportTo "." on every Service and the namespace Sidecar; the thread
    # does not give the mesh's size: 20 namespaces of 10 services, 2 pods each.
    m = _Mesh()
    m.istio_system(ingress=1)
    m.app_namespaces(200, 10, [("http", 8080)], 2, sidecar=_NAMESPACE_SIDECAR, export_to=".")
    return m.docs


def _istio_38827() -> list[dict]:
    # 2,247 proxies: about 600 gateway pods (300 gateways of 2 replicas, each with the default
    # gateway Service's three ports) and 1,647 sidecars. The thread gives no service count: the
    # load test's 2 pods per service gives 824 Services, with an HTTP and a gRPC port each, in
    # namespaces of 20 scoped by the namespace Sidecar.
    m = _Mesh()
    m.istio_system(ingress=0)
    m.namespace("gateways", injected=False)
    for g in range(300):
        m.service("gateways", f"gateway-{g + 1:03d}", _GATEWAY_PORTS, pods=2,
                  labels={"app": f"gateway-{g + 1:03d}", "istio": "ingressgateway"})
    m.app_namespaces(824, 20, [("http", 8080), ("grpc", 9090)], 2, sidecar=_NAMESPACE_SIDECAR)
    return m.docs


def _istio_18954() -> list[dict]:
    # A proxy with 325 clusters and 175 listeners in a mesh of 466 instances (the figures of the
    # issue and of its author's write-up): 166 TCP services (one VIP listener each) and 147 HTTP
    # services on one shared port, unscoped; the first 153 services have 2 pods, the rest 1.
    # The proxy measured is svc-0001's: 313 + istiod's 4 outbound, 1 inbound and 7 fixed clusters;
    # 166 VIP listeners, 0.0.0.0_8080, istiod's four and the 4 fixed ones.
    m = _Mesh()
    m.istio_system(ingress=0)
    for i in range(313):
        namespace = f"ns-{i // 20 + 1:03d}"
        m.namespace(namespace)
        ports = [("tcp", 5000)] if i < 166 else [("http", 8080)]
        m.service(namespace, f"svc-{i + 1:04d}", ports, pods=2 if i < 153 else 1)
    return m.docs


def _istio_35828() -> list[dict]:
    # About 2,000 pods and no Sidecar. The thread gives no service count: the load test's 2 pods per
    # service gives 1,000 Services, each with an HTTP and a gRPC port, in namespaces of 20.
    m = _Mesh()
    m.istio_system(ingress=1)
    m.app_namespaces(1000, 20, [("http", 8080), ("grpc", 9090)], 2)
    return m.docs


def _marginal_base() -> list[dict]:
    m = _Mesh()
    m.namespace("app")
    m.service("app", "client", [("http", 8080)], pods=1)
    return m.docs


def _marginal_tcp() -> list[dict]:
    docs = _marginal_base()
    m = _Mesh()
    m.service_entry("app", "static-tcp", "tcp.example.com", ("tcp", 9000, "TCP"), "192.0.2.1")
    return docs + m.docs


def _marginal_http() -> list[dict]:
    docs = _marginal_base()
    m = _Mesh()
    m.service_entry("app", "static-http", "http.example.com", ("http", 9001, "HTTP"), "192.0.2.2")
    return docs + m.docs


def _issue(n: int, repo: str = "istio/istio") -> str:
    return f"https://github.com/{repo}/issues/{n}"


POINTS: tuple[DataPoint, ...] = (
    DataPoint(
        "istio-11254-egress-gateway", "istio/istio#11254", _issue(11254),
        "Istio 1.1: an egress gateway in a 400-service mesh, 1,077 clusters and one listener",
        "189-217 MiB (kubectl top, 5 replicas)", 189.0, 217.0,
        "400 Services of 2 pods in namespaces of 20; 266 of them with three ports and 134 with two, so that "
        "the gateway's CDS holds 1,077 clusters (the thread does not say how ports and subsets split them)",
        _istio_11254, "istio-system/istio-egressgateway-0"),
    DataPoint(
        "istio-docs-large-namespace", "istio.io Performance and Scalability",
        "https://istio.io/latest/docs/ops/deployment/performance-and-scalability/",
        "a proxy in a large namespace with namespace isolation, in the load test's mesh "
        "(1,000 services, 2,000 sidecars)",
        "about 50 MB", 50.0, 50.0,
        "istio/tools perf/load: 50 namespaces of 20 Services (port 8080 http), 2 pods each, the Sidecar "
        "./* + istio-system/* in every namespace; istiod and the ingress gateway in istio-system",
        _istio_docs, "ns-001/svc-0001-0"),
    DataPoint(
        "istio-tools-twopods-client", "istio/tools perf/benchmark (2020)",
        "https://github.com/istio/tools/tree/master/perf/benchmark",
        "two-pod fortio mesh under load: the client's proxy (mem_Mi_avg_istio_proxy_fortioclient)",
        "64-72 MiB", 64.0, 72.0,
        "fortioclient and fortioserver with the six ports of templates/fortio.yaml, istiod and the ingress "
        "gateway; no Sidecar (figures as quoted in sidecar-lab issue 16)",
        _istio_tools_twopods, "twopods-istio/fortioclient-0"),
    DataPoint(
        "istio-tools-twopods-gateway", "istio/tools perf/benchmark (2020)",
        "https://github.com/istio/tools/tree/master/perf/benchmark",
        "the same benchmark: the ingress gateway's proxy (mem_Mi_avg_istio_proxy_istio-ingressgateway)",
        "82-91 MiB", 82.0, 91.0,
        "the same mesh; the gateway's Gateway listeners and the traffic it carries are not modelled",
        _istio_tools_twopods, "istio-system/istio-ingressgateway-0"),
    DataPoint(
        "istio-38000-scoped", "istio/istio#38000", _issue(38000),
        "Istio 1.12: a proxy scoped with a Sidecar and exportTo, Envoy's share of the container",
        "about 60 MB (Envoy; pilot-agent another 50 MB)", 60.0, 60.0,
        "20 namespaces of 10 Services exported only to their own namespace (exportTo .), 2 pods each, the "
        "Sidecar ./* + istio-system/*; the thread does not give the mesh's size",
        _istio_38000, "ns-001/svc-0001-0"),
    DataPoint(
        "istio-38827-scoped", "istio/istio#38827", _issue(38827),
        "Istio 1.12, 2,247 proxies: a sidecar scoped with a Sidecar",
        "about 55 MB", 55.0, 55.0,
        "300 gateways of 2 replicas (600 pods) and 824 Services of 2 pods (1,648 sidecars) with an HTTP and a "
        "gRPC port, in namespaces of 20 with the Sidecar ./* + istio-system/*; the service count is assumed "
        "(2 pods per service, as Istio's load test)",
        _istio_38827, "ns-001/svc-0001-0"),
    DataPoint(
        "istio-38827-gateway", "istio/istio#38827", _issue(38827),
        "the same mesh: an ingress gateway (Sidecars do not apply to gateways)",
        "about 500 MB", 500.0, 500.0,
        "the same mesh; the gateway sees every service; its Gateway listeners and traffic are not modelled",
        _istio_38827, "gateways/gateway-001-0"),
    DataPoint(
        "istio-18954-unscoped", "istio/istio#18954",
        _issue(18954),
        "Istio 1.3: a proxy with 325 clusters and 175 listeners in a mesh of 466 instances",
        "105.9 MiB (docker stats, in the author's write-up servicemesher/website#175)", 105.9, 105.9,
        "313 Services in namespaces of 20: 166 TCP ones (a VIP listener each) and 147 HTTP ones on one port, "
        "466 pods, no Sidecar: the simulator computes 325 clusters and 175 listeners",
        _istio_18954, "ns-001/svc-0001-0"),
    DataPoint(
        "istio-35828-unscoped", "istio/istio#35828", _issue(35828),
        "Istio 1.11, about 2,000 pods, no Sidecar",
        "400-500 MB", 400.0, 500.0,
        "1,000 Services of 2 pods with an HTTP and a gRPC port, in namespaces of 20, no Sidecar; the service "
        "count is assumed (2 pods per service, as Istio's load test)",
        _istio_35828, "ns-001/svc-0001-0"),
    DataPoint(
        "envoy-4196-tcp-pair", "envoyproxy/envoy#4196", _issue(4196, "envoyproxy/envoy"),
        "one more TCP listener and static cluster (no TLS)",
        "about 90 kB", 90.0 * _KB / _KIB, 90.0 * _KB / _KIB,
        "a ServiceEntry MESH_EXTERNAL, resolution STATIC, one TCP port and address (its own VIP listener, a "
        "cluster without Istio's mTLS, one endpoint), added to a one-pod mesh",
        _marginal_tcp, "app/client-0", "marginal", _marginal_base),
    DataPoint(
        "envoy-4196-http-pair", "envoyproxy/envoy#4196", _issue(4196, "envoyproxy/envoy"),
        "one more HTTP listener (one route) and static cluster (no TLS)",
        "about 135 kB", 135.0 * _KB / _KIB, 135.0 * _KB / _KIB,
        "a ServiceEntry MESH_EXTERNAL, resolution STATIC, one HTTP port of its own (a 0.0.0.0_P listener, its "
        "route table, two virtual hosts, a cluster, one endpoint), added to a one-pod mesh",
        _marginal_http, "app/client-0", "marginal", _marginal_base),
)

#: The points the fitted coefficients (the base and the mTLS cluster) are fitted to: every ``proxy``
#: point. The ``marginal`` ones check the per-item costs taken from envoyproxy/envoy#4196.
FIT_POINTS = tuple(p.key for p in POINTS if p.kind == "proxy")


# -- evaluation ---------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _config(build: Callable[[], list[dict]], workload: str):
    from ..core.loader import load_objects
    from ..core.resolver import Simulator
    from .sizing import proxy_config

    sim = Simulator(load_objects(build(), origin=f"<calibration {build.__name__}>"))
    return proxy_config(sim, workload)


def _memory(counts: dict, base: float | None = None, kib: dict | None = None) -> float:
    from .sizing import BASE_MEMORY_MIB, COST_ITEMS, MEMORY_KIB

    base = BASE_MEMORY_MIB if base is None else base
    kib = dict(MEMORY_KIB, **(kib or {}))
    return base + sum(counts[k] * kib[k] for k in COST_ITEMS) / _KIB


def evaluate(point: DataPoint, *, base: float | None = None, kib: dict | None = None) -> dict:
    """The point's counts (from its synthetic mesh), the estimate and its ratio to the published
    figure; ``base`` and ``kib`` replace the model's coefficients (for :func:`fit`)."""
    config = _config(point.build, point.workload)
    counts = config.counts()
    if point.kind == "marginal":
        assert point.baseline is not None
        before = _config(point.baseline, point.workload).counts()
        delta = {k: counts[k] - before[k] for k in counts}
        estimate = (_memory(counts, base, kib) - _memory(before, base, kib)) * _KIB
        counts = delta
    else:
        estimate = _memory(counts, base, kib)
    return {"key": point.key, "source": point.source, "url": point.url, "setup": point.setup,
            "published": point.published, "figure": round(point.figure, 1), "unit": point.unit,
            "proxy": config.proxy, "counts": counts, "estimate": round(estimate, 1),
            "ratio": round(estimate / point.figure, 2)}


def calibration_table() -> list[dict]:
    """:func:`evaluate` for every point, in the order of :data:`POINTS`."""
    return [evaluate(p) for p in POINTS]


def fit(step_base: float = 0.5, step_kib: float = 1.0) -> tuple[float, float]:
    """``(base MiB, mTLS cluster KiB)`` that minimise the sum of squared log ratios over
    :data:`FIT_POINTS`, the other per-item costs held at theirs; a grid search at the given steps."""
    points = [p for p in POINTS if p.key in FIT_POINTS]
    counts = [(_config(p.build, p.workload).counts(), p.figure) for p in points]
    best: tuple[float, float, float] | None = None
    for i in range(int(20 / step_base), int(100 / step_base) + 1):
        base = i * step_base
        for j in range(0, int(200 / step_kib) + 1):
            mtls = j * step_kib
            error = sum(math.log(_memory(c, base, {"mtls_clusters": mtls}) / figure) ** 2 for c, figure in counts)
            if best is None or error < best[0]:
                best = (error, base, mtls)
    assert best is not None
    return best[1], best[2]


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _count_text(row: dict) -> str:
    c = row["counts"]
    return (f"{_n(c['clusters'], 'cluster', 'clusters')} ({c['mtls_clusters']:,} mTLS), "
            f"{_n(c['listeners'], 'listener', 'listeners')}, {_n(c['routes'], 'route table', 'route tables')}, "
            f"{_n(c['virtual_hosts'], 'virtual host', 'virtual hosts')}, "
            f"{_n(c['endpoints'], 'endpoint', 'endpoints')}")


def calibration_markdown(rows: Sequence[dict] | None = None) -> str:
    """The calibration table of ``docs/sizing.md``: source, setup, published, what the synthetic
    mesh gives the proxy, the estimate and the ratio."""
    rows = calibration_table() if rows is None else rows
    lines = ["| source | setup | published | synthetic mesh gives | estimate | ratio |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| [{r['source']}]({r['url']}) | {r['setup']} | {r['published']} | {_count_text(r)} | "
                     f"{r['estimate']:,.1f} {r['unit']} | {r['ratio']:.2f} |")
    return "\n".join(lines)
