"""The matrix checks each (source scope, destination) pair once, and every cell is still what check says.

``core.traffic.source_key`` names what of a source a request's verdict and Envoy path depend on;
sources with the same key share one row. These tests compare every shared cell with a ``check``
of its own source, on the seed's steps and on synthetic meshes with workload Sidecars, gateways,
workloads without a proxy and extra targets (external names, IPs, unknown names).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sidecar_lab import Simulator, load
from sidecar_lab.cli import main
from sidecar_lab.core.render import VERDICT_GLYPHS
from sidecar_lab.core.traffic import check, matrix_cells, matrix_targets, source_key
from sidecar_lab.scale.synthetic import SyntheticMeshSpec, write_yaml

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
STEPS = sorted(p.name for p in (SEED / "steps").iterdir())
EXTRA = ["http://google.com", "https://google.com", "tcp://10.96.0.10:15010", "http://10.128.0.2:8080/",
         "http://nosuch.default:80", "httpbin", "http://httpbin.default.svc.cluster.local:8000/"]


def _cell(r) -> dict:
    return {"verdict": r.verdict.value, "cluster": r.envoy.cluster, "route": r.envoy.route,
            "listener": r.envoy.listener}


def _assert_every_cell_is_its_own_check(paths):
    sim = Simulator(load(paths))
    targets = matrix_targets(sim) + EXTRA
    sources = sim.workloads()
    cells, keys = matrix_cells(sim, sources, targets)
    fresh = Simulator(load(paths))  # nothing cached from the shared run
    for w, row in zip(sources, cells):
        assert row == [_cell(check(fresh, f"{w.namespace}/{w.name}", t)) for t in targets], w.name
    return sources, cells, keys


@pytest.mark.parametrize("step", STEPS)
def test_matrix_cells_equal_check_on_every_seed_step(step):
    _assert_every_cell_is_its_own_check([str(SEED / "cluster"), str(SEED / "steps" / step)])


@pytest.mark.parametrize("sidecars", ["none", "namespace", "mixed"])
def test_matrix_cells_equal_check_on_a_synthetic_mesh(tmp_path, sidecars):
    path = tmp_path / "mesh.yaml"
    write_yaml(SyntheticMeshSpec(namespaces=4, services_per_namespace=3, sidecars=sidecars), path)
    sources, cells, keys = _assert_every_cell_is_its_own_check([str(path), str(SEED / "cluster")])
    # rows are shared: one per distinct key, the same list object for each source of a key
    assert len({id(row) for row in cells}) == len(set(keys)) < len(sources)
    for key in set(keys):
        rows = {id(row) for row, k in zip(cells, keys) if k == key}
        assert len(rows) == 1


def test_the_source_key_is_namespace_proxy_and_sidecar():
    sim = Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]))
    sleep, httpbin = sim.workload("istioinaction/sleep"), sim.workload("istioinaction/httpbin")
    # same namespace, but the workload Sidecar selects only sleep: different scopes, different rows
    assert source_key(sim, sleep) == ("istioinaction", "sidecar", sim.resolve(sleep).sidecar)
    assert source_key(sim, sleep) != source_key(sim, httpbin)


def test_summary_counts_agree_with_the_full_matrix(capsys, tmp_path):
    path = tmp_path / "mesh.yaml"
    write_yaml(SyntheticMeshSpec(namespaces=3, services_per_namespace=2, sidecars="mixed"), path)
    paths = [str(path), str(SEED / "cluster")]
    assert main(["matrix", *paths, "--format", "json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert main(["matrix", *paths, "--format", "json", "--summary"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["targets"] == full["targets"]
    names = [f"{s['namespace']}/{s['name']}" for s in full["sources"]]
    seen = []
    for group in summary["groups"]:
        members = [f"{w['namespace']}/{w['name']}" for w in group["workloads"]]
        seen += members
        for member in members:
            row = full["cells"][names.index(member)]
            assert group["verdicts"] == {v: sum(c["verdict"] == v for c in row) for v in VERDICT_GLYPHS}
            assert member.split("/")[0] == group["namespace"]
    assert sorted(seen) == sorted(names)


def test_summary_text_is_one_line_per_group(capsys):
    paths = [str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]
    assert main(["matrix", *paths, "--summary"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("5 workloads in 5 groups (namespace, proxy, Sidecar) x 9 destinations = 45 requests")
    assert lines[1].split() == ["namespace", "proxy", "Sidecar", "workloads", *VERDICT_GLYPHS]
    row = next(line for line in lines if "istioinaction/workload" in line)
    assert row.split() == ["istioinaction", "sidecar", "istioinaction/workload", "1", "1", "0", "8", "0", "0",
                           "0", "0", "0", "0"]  # one column per verdict: CLUSTER_NOT_FOUND ... REDIRECT none here
    assert len(lines) == 2 + 5 + 1 and lines[-1].startswith("istio: ")  # and the release that answered
