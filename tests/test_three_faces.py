"""check, proxy-config and size are three faces of one model (``sidecar_lab.core.envoy``).

For the seed's steps and for generated meshes (Services of every protocol, headless ones, pods with
and without addresses, DestinationRules with subsets and workloadSelectors, VirtualServices with
subsets, weights, matches and TCP routes, ServiceEntries, Sidecars with port-specific listeners and
either outbound policy): every request ``check`` takes through a proxy names a listener, a route
table, a virtual host, a route and a cluster that ``proxy-config`` lists for that workload (a
CLUSTER_NOT_FOUND names one it does not list), and ``size``'s counts are ``proxy-config``'s rows.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import dr, ns, pod, se, sidecar, sim, svc
from sidecar_lab import Simulator, load, scenario_paths
from sidecar_lab.core.results import Verdict
from sidecar_lab.core.traffic import check, matrix_targets
from sidecar_lab.scale.proxyconfig import proxy_view, section_json, section_table
from sidecar_lab.scale.sizing import compare, proxy_config, proxy_configs, proxy_workloads

SEED_STEPS = ["01-no-sidecar", "02-root-registry-only", "03-namespace-allow-any", "04-namespace-registry-only",
              "05-workload-allow-any", "06-workload-hosts"]
EXTRA_TARGETS = ["http://google.com/", "https://google.com/", "tcp://10.99.0.1:5432", "http://api.example.com/",
                 "https://api.example.com/", "http://web.a/v2/x", "http://web.b:8080/"]


def _rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.splitlines()[1:]]


def assert_faces_agree(s: Simulator, workload, targets) -> int:
    """The three faces agree for ``workload``; how many requests went through its proxy."""
    view = proxy_view(s, workload)
    listeners = {item["name"] for item in section_json(view, "listeners")}
    tables = {t.get("name", ""): {v["name"]: {r.get("name", "") for r in v["routes"]} for v in t["virtualHosts"]}
              for t in section_json(view, "routes")}
    clusters = {item["name"] for item in section_json(view, "clusters")}
    through = 0
    for target in targets:
        r = check(s, workload, target)
        e = r.envoy
        if e.listener is None:
            assert r.verdict in (Verdict.DIRECT, Verdict.DNS_FAILURE, Verdict.BLOCKED, Verdict.PASSTHROUGH), target
            continue
        through += 1
        where = f"{view.ref} -> {target}: {r.verdict.value} {e.to_json()}"
        assert e.listener in listeners, where
        if e.route_config is not None:
            assert e.route_config in tables, where
            if e.route is not None:
                assert e.route in tables[e.route_config], where
                if e.route_entry is not None:
                    assert e.route_entry in tables[e.route_config][e.route], where
        if r.verdict == Verdict.CLUSTER_NOT_FOUND:
            assert e.cluster not in clusters, where
        elif e.cluster is not None:
            assert e.cluster in clusters, where
        for cluster, _weight, exists in e.weighted_clusters:
            assert (cluster in clusters) == exists, where
    assert row_counts(view) == size_counts(proxy_config(s, workload))
    if view.sidecar is not None:  # size --workload's "no Sidecar" column is proxy-config --without-sidecar
        without = proxy_view(s, workload, without_sidecar=True)
        assert row_counts(without) == size_counts(compare(s, workload).without)
    return through


def row_counts(view) -> dict:
    """What proxy-config prints: the rows of its tables (routes and endpoints: the outbound ones)."""
    outbound_tables = {t.name for t in view.routes if t.outbound}
    tables = [row for row in _rows(section_table(view, "routes", verbose=False)) if row and row[0] in outbound_tables]
    return {"clusters": len(_rows(section_table(view, "clusters"))),
            "listeners": len(_rows(section_table(view, "listeners", verbose=False))),
            "routes": len(tables), "virtual_hosts": sum(int(row[-1]) for row in tables),
            "endpoints": len([row for row in _rows(section_table(view, "endpoints")) if row[-1].startswith("outbound|")]),
            "mtls_clusters": sum(c.mtls for c in view.clusters),
            "subset_clusters": sum(bool(c.subset) for c in view.clusters)}


def size_counts(config) -> dict:
    return {key: getattr(config, key) for key in ("clusters", "listeners", "routes", "virtual_hosts", "endpoints",
                                                  "mtls_clusters", "subset_clusters")}


def assert_mesh_agrees(s: Simulator, targets) -> int:
    through = 0
    by_workload = {c.workload: c for c in proxy_configs(Simulator(s.mesh, s.rules))}  # size --all's shared path
    for w in proxy_workloads(s):
        if s.proxy_kind(w)[0] == "none":
            continue
        through += assert_faces_agree(s, w, targets)
        assert by_workload[f"{w.namespace}/{w.name}"] == proxy_config(s, w)
    return through


@pytest.mark.parametrize("step", SEED_STEPS)
def test_check_proxy_config_and_size_agree_on_the_seed_steps(step):
    s = Simulator(load(scenario_paths("seed/cluster", f"seed/steps/{step}")))
    assert assert_mesh_agrees(s, matrix_targets(s) + EXTRA_TARGETS) > 0


# -- generated meshes ---------------------------------------------------------------------------

PORTS = [(80, "http"), (8080, "http"), (9090, "grpc"), (5432, "tcp"), (7000, None), (443, "https")]
NAMES = ["web", "api", "db", "raw", "pg"]


@st.composite
def meshes(draw):
    objects = [ns("a"), ns("b")]
    ips = iter(f"10.244.0.{i}" for i in range(10, 250))
    services = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True)):
        namespace = draw(st.sampled_from(["a", "b"]))
        ports = draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique_by=lambda p: p[0]))
        headless = draw(st.booleans()) and draw(st.booleans())
        objects.append(svc(name, namespace, ports=tuple(ports), headless=headless,
                           cluster_ip=None if headless else f"10.96.{len(services)}.1"))
        for i in range(draw(st.integers(0, 2))):
            labels = {"app": name, "version": draw(st.sampled_from(["v1", "v2"]))}
            objects.append(pod(f"{name}-{i}", namespace, labels, ip=next(ips) if draw(st.booleans()) else None))
        services.append((name, namespace, ports))
    objects.append(pod("client", "a", {"app": "client"}, ip=next(ips)))
    if draw(st.booleans()):
        objects.append(pod("other", "b", {"app": "other"}, ip=next(ips)))
    name, namespace, ports = draw(st.sampled_from(services))
    if draw(st.booleans()):  # a DestinationRule with subsets, perhaps for some pods only
        selector = {"app": "client"} if draw(st.booleans()) else None
        objects.append(dr(f"{name}-dr", "a" if selector else namespace, host=f"{name}.{namespace}.svc.cluster.local",
                          subsets=draw(st.lists(st.sampled_from(["v1", "v2", "v3"]), min_size=1, unique=True)),
                          selector=selector))
    if draw(st.booleans()):  # a VirtualService for it
        host = f"{name}.{namespace}.svc.cluster.local"
        kind = draw(st.sampled_from(["subset", "weighted", "match", "tcp", "other"]))
        spec: dict = {"hosts": [host]}
        if kind == "subset":
            spec["http"] = [{"route": [{"destination": {"host": host, "subset": draw(st.sampled_from(["v1", "v2"]))}}]}]
        elif kind == "weighted":
            spec["http"] = [{"route": [{"destination": {"host": host, "subset": "v1"}, "weight": 80},
                                       {"destination": {"host": host, "subset": "v3"}, "weight": 20}]}]
        elif kind == "match":
            spec["http"] = [{"name": "v2", "match": [{"uri": {"prefix": "/v2"}}],
                             "route": [{"destination": {"host": host, "subset": "v2"}}]},
                            {"match": [{"headers": {"x-debug": {"exact": "1"}}}], "directResponse": {"status": 418}}]
        elif kind == "tcp":
            spec["tcp"] = [{"route": [{"destination": {"host": host, "port": {"number": ports[0][0]}}}]}]
        else:
            target = draw(st.sampled_from(services))
            spec["http"] = [{"route": [{"destination": {"host": f"{target[0]}.{target[1]}.svc.cluster.local"}}]}]
        objects.append({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                        "metadata": {"name": f"{name}-vs", "namespace": namespace}, "spec": spec})
    if draw(st.booleans()):
        objects.append(se("ext", "b", hosts=("api.example.com",), ports=(draw(st.sampled_from([(443, "TLS"), (80, "HTTP")])),)))
    sidecar_kind = draw(st.sampled_from(["none", "namespace", "port", "everything"]))
    otp = {"mode": draw(st.sampled_from(["REGISTRY_ONLY", "ALLOW_ANY"]))}
    if sidecar_kind == "namespace":
        objects.append(sidecar("default", "a", otp=otp, egress=[{"hosts": ["./*"]}]))
    elif sidecar_kind == "port":
        port, protocol = draw(st.sampled_from([(8080, "HTTP"), (5432, "TCP"), (7000, None)]))
        spec_port = {"number": port, "name": f"p{port}", **({"protocol": protocol} if protocol else {})}
        objects.append(sidecar("default", "a", otp=otp, egress=[{"port": spec_port, "hosts": ["b/*"]},
                                                                {"hosts": ["./*", "istio-system/*"]}]))
    elif sidecar_kind == "everything":
        objects.append(sidecar("default", "a", otp=otp, egress=[{"hosts": ["*/*"]}]))
    return objects


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meshes())
def test_check_proxy_config_and_size_agree_on_generated_meshes(objects):
    s = sim(*objects)
    assert_mesh_agrees(s, matrix_targets(s) + EXTRA_TARGETS)
