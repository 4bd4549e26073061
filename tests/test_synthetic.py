"""The synthetic mesh generator: exact counts, determinism, and YAML that reads back."""

from __future__ import annotations

import ipaddress
import itertools
from collections import Counter

import pytest
import yaml

from sidecar_lab.scale.synthetic import (
    SyntheticMeshSpec,
    call_graph,
    counts,
    generate_documents,
    main,
    write_yaml,
)

SMALL = SyntheticMeshSpec(namespaces=12, services_per_namespace=5, pods_per_service=2,
                          sidecars="mixed", fan_out=3, seed=7)


def kinds(spec: SyntheticMeshSpec) -> Counter:
    return Counter(doc["kind"] for doc in generate_documents(spec))


@pytest.mark.parametrize("spec, expected", [
    pytest.param(SyntheticMeshSpec(), {"Namespace": 1001, "Service": 10001, "Pod": 20000, "Sidecar": 1000},
                 id="default mesh: 1,000 namespaces, 10,000 services, 20,000 pods"),
    pytest.param(SyntheticMeshSpec(sidecars="mixed"), {"Namespace": 1001, "Service": 10001, "Pod": 20000,
                                                       "Sidecar": 1100},
                 id="mixed adds a workload sidecar in every 10th namespace"),
    pytest.param(SyntheticMeshSpec(namespaces=3, services_per_namespace=2, pods_per_service=0,
                                   sidecars="none", fan_out=1),
                 {"Namespace": 4, "Service": 7, "Pod": 0, "Sidecar": 0},
                 id="no sidecars and no pods"),
    pytest.param(SyntheticMeshSpec(namespaces=9, sidecars="mixed"),
                 {"Namespace": 10, "Service": 91, "Pod": 180, "Sidecar": 9},
                 id="mixed below ten namespaces has no workload sidecar"),
])
def test_counts_are_exact(spec, expected):
    found = kinds(spec)
    # istio-system adds one Namespace and istiod's Service; counts() leaves them out.
    assert {k: found.get(k, 0) for k in expected} == expected
    n = counts(spec)
    assert (n["namespaces"] + 1, n["services"] + 1, n["pods"], n["sidecars"]) == (
        expected["Namespace"], expected["Service"], expected["Pod"], expected["Sidecar"])
    assert found["ConfigMap"] == 1 and found["Deployment"] == 1  # the mesh config and istiod


def test_same_spec_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    size = write_yaml(SMALL, first)
    assert write_yaml(SMALL, second) == size == first.stat().st_size
    assert first.read_bytes() == second.read_bytes()


def test_another_seed_gives_another_call_graph():
    other = SyntheticMeshSpec(namespaces=12, services_per_namespace=5, sidecars="mixed", seed=8)
    assert call_graph(SMALL) != call_graph(other)
    assert call_graph(SMALL) == call_graph(SMALL)


def test_documents_parse_back_as_written(tmp_path):
    path = tmp_path / "mesh.yaml"
    write_yaml(SMALL, path)
    text = path.read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text  # no anchors or aliases
    assert list(yaml.safe_load_all(text)) == list(generate_documents(SMALL))


@pytest.mark.parametrize("spec", [
    pytest.param(SMALL, id="small mesh"),
    pytest.param(SyntheticMeshSpec(), id="default mesh"),
    pytest.param(SyntheticMeshSpec(namespaces=1, services_per_namespace=4, fan_out=3), id="everyone calls everyone"),
])
def test_call_graph_has_fan_out_distinct_callees_and_no_self_calls(spec):
    graph = call_graph(spec)
    assert len(graph) == spec.namespaces * spec.services_per_namespace
    for caller, callees in graph.items():
        assert len(callees) == spec.fan_out
        assert len(set(callees)) == spec.fan_out
        assert caller not in callees
        assert set(callees) <= graph.keys()


def test_names_ips_and_ports():
    docs = list(generate_documents(SMALL))
    services = [d for d in docs if d["kind"] == "Service" and d["metadata"]["namespace"] != "istio-system"]
    pods = [d for d in docs if d["kind"] == "Pod"]
    assert services[2]["metadata"] == {"name": "svc-0001-03", "namespace": "ns-0001",
                                       "labels": {"app": "svc-0001-03"}}
    cluster_ips = [s["spec"]["clusterIP"] for s in services]
    assert len(set(cluster_ips)) == len(cluster_ips)
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12") for ip in cluster_ips)
    pod_ips = [p["status"]["podIP"] for p in pods]
    assert len(set(pod_ips)) == len(pod_ips)
    for i, service in enumerate(services, start=1):
        names = [p["name"] for p in service["spec"]["ports"]]
        assert names == (["http", "grpc"] if i % 5 == 0 else ["http"])
    for pod in pods:
        assert pod["metadata"]["labels"]["version"] == "v1"
        assert pod["metadata"]["name"].startswith(pod["metadata"]["labels"]["app"] + "-")
    namespaces = [d for d in docs if d["kind"] == "Namespace" and d["metadata"]["name"] != "istio-system"]
    assert all(ns["metadata"]["labels"] == {"istio-injection": "enabled"} for ns in namespaces)


def test_names_widen_past_9999_namespaces():
    spec = SyntheticMeshSpec(namespaces=10_000, services_per_namespace=1, pods_per_service=0, fan_out=0)
    first = [d["metadata"]["name"] for d in itertools.islice(generate_documents(spec), 4, 6)]
    assert first == ["ns-00001", "svc-00001-01"]


def test_namespace_sidecars_import_own_namespace_and_istio_system():
    sidecars = [d for d in generate_documents(SMALL) if d["kind"] == "Sidecar"]
    namespace_wide = [s for s in sidecars if "workloadSelector" not in s["spec"]]
    assert len(namespace_wide) == SMALL.namespaces
    assert all(s["metadata"]["name"] == "default" for s in namespace_wide)
    assert all(s["spec"]["egress"] == [{"hosts": ["./*", "istio-system/*"]}] for s in namespace_wide)
    stamps = [s["metadata"]["creationTimestamp"] for s in sidecars]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_mixed_workload_sidecars_list_exactly_the_declared_calls():
    graph = call_graph(SMALL)
    workload = [d for d in generate_documents(SMALL)
                if d["kind"] == "Sidecar" and "workloadSelector" in d["spec"]]
    assert [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in workload] == [
        ("ns-0010", "svc-0010-01")]
    sidecar = workload[0]
    assert sidecar["spec"]["workloadSelector"] == {"labels": {"app": "svc-0010-01"}}
    expected = [f"{c.split('/')[0]}/{c.split('/')[1]}.{c.split('/')[0]}.svc.cluster.local"
                for c in graph["ns-0010/svc-0010-01"]]
    assert sidecar["spec"]["egress"] == [{"hosts": expected + ["istio-system/*"]}]


@pytest.mark.parametrize("kwargs, message", [
    pytest.param({"namespaces": 0}, "at least one namespace", id="no namespaces"),
    pytest.param({"sidecars": "workload"}, "sidecars must be one of", id="unknown sidecar mode"),
    pytest.param({"namespaces": 1, "services_per_namespace": 3, "fan_out": 3}, "fan_out must be between",
                 id="more callees than other services"),
    pytest.param({"pods_per_service": -1}, "must not be negative", id="negative pods"),
])
def test_impossible_specs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SyntheticMeshSpec(**kwargs)


def test_command_line_writes_the_file(tmp_path, capsys):
    out = tmp_path / "mesh.yaml"
    assert main(["--namespaces", "3", "--sidecars", "mixed", "--fan-out", "2", "-o", str(out)]) == 0
    spec = SyntheticMeshSpec(namespaces=3, sidecars="mixed", fan_out=2)
    assert list(yaml.safe_load_all(out.read_text(encoding="utf-8"))) == list(generate_documents(spec))
    assert "3 namespaces" in capsys.readouterr().err
