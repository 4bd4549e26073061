"""The ``sidecar-lab`` command: its JSON fields, its text, its exit codes and its one-line errors.

Most cases call :func:`sidecar_lab.cli.main` in-process; a few run the real interpreter
(``python -m sidecar_lab``) and the installed console script, to prove both work.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar_lab.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed"
CLUSTER = str(SEED / "cluster")


def step(name: str) -> list[str]:
    return [CLUSTER, str(SEED / "steps" / name)]


STEP1, STEP3, STEP4, STEP6 = (step("01-no-sidecar"), step("03-namespace-allow-any"),
                              step("04-namespace-registry-only"), step("06-workload-hosts"))


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, argv: list[str]):
    code, out, err = run(capsys, argv + ["--format", "json"])
    assert (code, err) == (0, ""), err
    return json.loads(out)


def assert_one_error_line(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, f"expected exactly one stderr line, got {err!r}"
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


# ---------------------------------------------------------------------------
# Exit code 2: one error line, never a traceback
# ---------------------------------------------------------------------------

BAD_USAGE = [
    pytest.param(["resolve", *STEP6, "--workload", "istioinaction/nope"], ["unknown workload", "istioinaction/nope"],
                 id="resolve: unknown workload"),
    pytest.param(["resolve", *STEP6, "--workload", "sleep"], ["NAMESPACE/NAME"],
                 id="resolve: workload without a namespace"),
    pytest.param(["check", *STEP6, "--from", "default/sleep", "--to", "http://httpbin.default:8000"],
                 ["unknown workload", "default/sleep"], id="check: unknown source workload"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "ftp://x"], ["malformed target", "ftp"],
                 id="check: ftp scheme"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://:80"],
                 ["malformed target", "http://:80"], id="check: no host"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "tcp://db"],
                 ["malformed target", "needs a port"], id="check: tcp without a port"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "tcp://db.default:70000"],
                 ["malformed target", "70000"], id="check: port 70000"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://db:0"],
                 ["malformed target", "port 0"], id="check: port 0"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", ""], ["malformed target"],
                 id="check: empty target"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://a b/"], ["malformed target"],
                 id="check: space in the host"),
    pytest.param(["check", "/nonexistent/m.yaml", "--from", "a/b", "--to", "ftp://x"], ["malformed target"],
                 id="check: a malformed target is reported before any file is read"),
    pytest.param(["matrix", *STEP6, "--to", "https://google.com", "--to", "gopher://x"], ["malformed target", "gopher"],
                 id="matrix: one malformed --to"),
    pytest.param(["resolve", "/nonexistent/m.yaml", "--workload", "a/b"], ["/nonexistent/m.yaml: no such file"],
                 id="resolve: missing file"),
    pytest.param(["matrix", CLUSTER, "/nonexistent/dir/"], ["/nonexistent/dir/", "no such file"],
                 id="matrix: missing second path"),
    pytest.param(["resolve", *STEP6], ["--workload", "--all", "required"], id="resolve: neither --workload nor --all"),
    pytest.param(["resolve", "--workload", "a/b"], ["MANIFEST", "required"], id="resolve: no manifest"),
    pytest.param(["resolve", *STEP6, "--all", "--workload", "a/b"], ["not allowed"], id="resolve: --all and --workload"),
    pytest.param(["check", *STEP6, "--to", "http://x"], ["--from", "required"], id="check: no --from"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep"], ["--to", "required"], id="check: no --to"),
    pytest.param(["check", "--from", "a/b", "--to", "http://x"], ["MANIFEST", "required"], id="check: no manifest"),
    pytest.param(["matrix"], ["MANIFEST", "required"], id="matrix: no manifest"),
    pytest.param(["resolve", *STEP6, "--all", "--format", "yaml"], ["--format", "yaml"], id="resolve: unknown format"),
    pytest.param(["resolve", *STEP6, "--all", "--colour"], ["unrecognized arguments", "--colour"],
                 id="resolve: unknown option"),
    pytest.param([], ["command"], id="no subcommand"),
    pytest.param(["frobnicate", CLUSTER], ["frobnicate"], id="unknown subcommand"),
    pytest.param(["lab", "/nonexistent/notebook.ipynb", "--print-command"],
                 ["/nonexistent/notebook.ipynb"] if importlib.util.find_spec("jupyterlab") else ["JupyterLab"],
                 id="lab: a missing notebook (or no JupyterLab)"),
]


@pytest.mark.parametrize("argv, words", BAD_USAGE)
def test_bad_usage_is_one_error_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, argv)
    assert_one_error_line(code, out, err, *words)


@pytest.mark.parametrize("text, line, field, words", [
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n", 5, None, "invalid YAML",
                 id="invalid YAML"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n", 5, None, "duplicate key",
                 id="duplicate key"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nspec:\n  egress:\n"
                 "  - hosts: '*/*'\n", 6, "spec.egress[0].hosts", "expected a list", id="Sidecar hosts is a string"),
    pytest.param("apiVersion: networking.istio.io/v2\nkind: Sidecar\nmetadata: {name: s}\n", 1, "apiVersion",
                 "unknown apiVersion", id="unknown Sidecar apiVersion"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    version: 1\n", 6,
                 "metadata.labels.version", "expected a string value", id="label that is a number"),
    pytest.param("- just\n- a list\n", 1, None, "must be a mapping", id="document that is a list"),
])
@pytest.mark.parametrize("command", [
    pytest.param(["resolve", "--all"], id="resolve"),
    pytest.param(["check", "--from", "default/a", "--to", "http://x"], id="check"),
    pytest.param(["matrix"], id="matrix"),
])
def test_bad_manifest_is_one_error_line_naming_file_line_and_field(capsys, tmp_path, command, text, line, field, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, [command[0], CLUSTER, str(path), *command[1:]])
    where = f"error: {path}:{line}: " + (f"{field}: " if field else "")
    assert_one_error_line(code, out, err, words)
    assert err.startswith(where), err


def test_bad_manifest_on_stdin_is_named_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n"))
    code, out, err = run(capsys, ["resolve", "-", "--all"])
    assert_one_error_line(code, out, err, "invalid YAML")
    assert err.startswith("error: <stdin>:4: "), err


def test_json_format_does_not_change_errors(capsys):
    code, out, err = run(capsys, ["resolve", *STEP6, "--workload", "istioinaction/nope", "--format", "json"])
    assert_one_error_line(code, out, err, "unknown workload")


# ---------------------------------------------------------------------------
# resolve
# ---------------------------------------------------------------------------

RESOLUTION_KEYS = {"workload", "proxy", "scope", "sidecar", "candidates", "outbound_traffic_policy", "egress",
                   "visible_services", "ingress", "notes"}
CANDIDATE_KEYS = {"namespace", "name", "level", "outcome", "reason"}
EGRESS_KEYS = {"port", "bind", "capture_mode", "hosts", "implicit"}
VISIBLE_KEYS = {"namespace", "host", "ports"}
INGRESS_KEYS = {"port", "bind", "capture_mode", "default_endpoint", "implicit", "connection_pool",
                "connection_pool_from"}


def assert_resolution_shape(r: dict) -> None:
    """Every field CONTRACT.md names, with the types and vocabularies it gives."""
    assert RESOLUTION_KEYS <= set(r), RESOLUTION_KEYS - set(r)
    assert {"namespace", "name", "kind", "labels"} <= set(r["workload"])
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in r["workload"]["labels"].items())
    assert r["proxy"] in ("sidecar", "gateway", "none")
    assert r["scope"] in ("workload", "namespace", "root", "default", "gateway", "none")
    if r["scope"] in ("default", "gateway", "none"):
        assert r["sidecar"] is None
    else:
        assert set(r["sidecar"]) >= {"namespace", "name"}
    for c in r["candidates"]:
        assert CANDIDATE_KEYS <= set(c), c
        assert c["outcome"] in ("selected", "shadowed", "no-match", "not-applicable", "rejected")
        assert isinstance(c["reason"], str) and c["reason"]
    selected = [c for c in r["candidates"] if c["outcome"] == "selected"]
    if r["sidecar"] is None:
        assert selected == []
    else:
        assert [(c["namespace"], c["name"]) for c in selected] == [(r["sidecar"]["namespace"], r["sidecar"]["name"])]
    if r["proxy"] == "none":
        assert r["egress"] == []
    else:
        otp = r["outbound_traffic_policy"]
        assert {"mode", "from", "egress_proxy"} <= set(otp)
        assert otp["mode"] in ("REGISTRY_ONLY", "ALLOW_ANY") and otp["from"] in ("sidecar", "mesh")
        assert r["egress"], "egress is empty only for a workload without a proxy"
    for e in r["egress"]:
        assert EGRESS_KEYS <= set(e), e
        assert isinstance(e["hosts"], list) and isinstance(e["implicit"], bool)
    for v in r["visible_services"]:
        assert VISIBLE_KEYS <= set(v), v
        assert all(isinstance(p, int) for p in v["ports"])
    hosts = [(v["host"], v["namespace"]) for v in r["visible_services"]]
    assert hosts == sorted(hosts), "visible_services must be sorted by host, then namespace"
    for i in r["ingress"]:
        assert INGRESS_KEYS <= set(i), i
        assert {"number", "protocol", "name"} <= set(i["port"])
        assert i["connection_pool_from"] in ("port", "sidecar", "none")
    assert isinstance(r["notes"], list)


def test_resolve_json_matches_the_contract_example(capsys):
    r = run_json(capsys, ["resolve", *STEP6, "--workload", "istioinaction/sleep"])
    assert_resolution_shape(r)
    assert r["workload"] == {"namespace": "istioinaction", "name": "sleep", "kind": "Pod", "labels": {"run": "sleep"}}
    assert (r["proxy"], r["scope"], r["sidecar"]) == ("sidecar", "workload",
                                                     {"namespace": "istioinaction", "name": "workload"})
    assert [(c["namespace"], c["name"], c["level"], c["outcome"]) for c in r["candidates"]] == [
        ("istioinaction", "workload", "workload", "selected"),
        ("istioinaction", "default", "namespace", "shadowed"),
        ("istio-system", "default", "root", "shadowed"),
    ]
    otp = r["outbound_traffic_policy"]
    assert (otp["mode"], otp["from"], otp["egress_proxy"]) == ("REGISTRY_ONLY", "sidecar", None)
    assert [{k: e[k] for k in EGRESS_KEYS} for e in r["egress"]] == [
        {"port": None, "bind": None, "capture_mode": "DEFAULT", "hosts": ["istioinaction/*"], "implicit": False}]
    assert [{k: v[k] for k in VISIBLE_KEYS} for v in r["visible_services"]] == [
        {"namespace": "istioinaction", "host": "httpbin.istioinaction.svc.cluster.local", "ports": [8000]}]
    assert r["ingress"] == []
    assert r["notes"] == []


@pytest.mark.parametrize("argv, workload, proxy, scope, sidecar, mode, mode_from, implicit_egress", [
    pytest.param(STEP1, "istioinaction/sleep", "sidecar", "default", None, "ALLOW_ANY", "mesh", True,
                 id="step 01: no Sidecar, the built-in default"),
    pytest.param(step("02-root-registry-only"), "istioinaction/sleep", "sidecar", "root",
                 {"namespace": "istio-system", "name": "default"}, "REGISTRY_ONLY", "sidecar", True,
                 id="step 02: the root default"),
    pytest.param(STEP3, "istioinaction/sleep", "sidecar", "namespace", {"namespace": "istioinaction", "name": "default"},
                 "ALLOW_ANY", "sidecar", True, id="step 03: the namespace Sidecar"),
    pytest.param(STEP6, "istioinaction/httpbin", "sidecar", "namespace",
                 {"namespace": "istioinaction", "name": "default"}, "REGISTRY_ONLY", "sidecar", True,
                 id="step 06: httpbin is not selected by the workload Sidecar"),
    pytest.param(STEP6, "default/httpbin", "none", "none", None, None, None, None,
                 id="step 06: a pod in a namespace without injection has no proxy"),
    pytest.param(STEP6, "istio-system/istio-ingressgateway", "gateway", "gateway", None, "ALLOW_ANY", "mesh", True,
                 id="step 06: the ingress gateway ignores Sidecars"),
])
def test_resolve_json_for_each_kind_of_scope(capsys, argv, workload, proxy, scope, sidecar, mode, mode_from,
                                             implicit_egress):
    r = run_json(capsys, ["resolve", *argv, "--workload", workload])
    assert_resolution_shape(r)
    assert (r["proxy"], r["scope"], r["sidecar"]) == (proxy, scope, sidecar)
    if mode is not None:
        assert (r["outbound_traffic_policy"]["mode"], r["outbound_traffic_policy"]["from"]) == (mode, mode_from)
        assert [e["implicit"] for e in r["egress"]] == [implicit_egress]
    if scope == "gateway":
        assert r["candidates"] and all(c["outcome"] == "not-applicable" for c in r["candidates"])


def test_resolve_json_ingress_derived_from_services(capsys):
    r = run_json(capsys, ["resolve", *STEP6, "--workload", "istioinaction/httpbin"])
    assert_resolution_shape(r)
    (ing,) = r["ingress"]
    assert ing["port"]["number"] == 8080  # the container port behind Service port 8000
    assert ing["implicit"] is True
    assert (ing["connection_pool"], ing["connection_pool_from"]) == (None, "none")


def test_resolve_json_ingress_from_the_sidecar_with_its_connection_pool(capsys):
    examples = SEED / "examples"
    r = run_json(capsys, ["resolve", str(examples / "productpage.yaml"), str(examples / "connection-pool-settings.yaml"),
                          "--workload", "prod-us1/productpage"])
    assert_resolution_shape(r)
    (ing,) = r["ingress"]
    assert ing["port"] == {"number": 80, "protocol": "HTTP", "name": "somename"}
    assert ing["implicit"] is False and ing["connection_pool_from"] == "port"
    assert ing["connection_pool"]["tcp"] == {"maxConnections": 100}  # the port's pool, not the Sidecar-wide one


def test_resolve_all_is_a_sorted_json_array(capsys):
    rs = run_json(capsys, ["resolve", *STEP6, "--all"])
    assert isinstance(rs, list)
    for r in rs:
        assert_resolution_shape(r)
    keys = [(r["workload"]["namespace"], r["workload"]["name"]) for r in rs]
    assert keys == sorted(keys)
    assert keys == [("default", "httpbin"), ("istio-system", "istio-ingressgateway"), ("istio-system", "istiod"),
                    ("istioinaction", "httpbin"), ("istioinaction", "sleep")]


def test_resolve_all_equals_each_resolve(capsys):
    everything = run_json(capsys, ["resolve", *STEP6, "--all"])
    one = run_json(capsys, ["resolve", *STEP6, "--workload", "istioinaction/sleep"])
    assert [r for r in everything if r["workload"]["name"] == "sleep"] == [one]


def test_workload_without_namespace_manifest_is_assumed_injected_and_says_so(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: lonely}\n"))
    r = run_json(capsys, ["resolve", "-", "--workload", "lonely/p"])
    assert r["proxy"] == "sidecar"
    assert any("lonely" in n and "Namespace" in n for n in r["notes"]), r["notes"]


@pytest.mark.parametrize("argv, workload, expected", [
    pytest.param(STEP6, "istioinaction/sleep",
                 ["istioinaction/sleep", "istioinaction/workload", "scope: workload", "selected", "shadowed",
                  "istioinaction/default", "istio-system/default", "REGISTRY_ONLY",
                  "from the Sidecar istioinaction/workload", "istioinaction/*"],
                 id="step 06: the workload Sidecar, both shadowed candidates, the mode from the Sidecar"),
    pytest.param(STEP1, "istioinaction/sleep", ["Sidecar: none", "scope: default", "ALLOW_ANY", "mesh config", "*/*"],
                 id="step 01: no Sidecar, the mode from the mesh"),
    pytest.param(STEP6, "default/httpbin", ["default/httpbin", "proxy:   none"], id="step 06: no proxy"),
])
def test_resolve_text(capsys, argv, workload, expected):
    code, out, err = run(capsys, ["resolve", *argv, "--workload", workload])
    assert (code, err) == (0, "")
    for text in expected:
        assert text in out, (text, out)


def test_resolve_all_text_has_a_block_per_workload(capsys):
    code, out, err = run(capsys, ["resolve", *STEP6, "--all"])
    assert (code, err) == (0, "")
    assert [b.splitlines()[0].split()[0] for b in out.strip().split("\n\n")] == [
        "default/httpbin", "istio-system/istio-ingressgateway", "istio-system/istiod", "istioinaction/httpbin",
        "istioinaction/sleep"]


# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------

CHECK_KEYS = {"from", "to", "proxy", "scope", "sidecar", "mode", "verdict", "envoy", "client_sees",
              "destination_sees_source", "explanation"}


def assert_check_shape(c: dict) -> None:
    assert CHECK_KEYS <= set(c), CHECK_KEYS - set(c)
    assert set(c["from"]) >= {"namespace", "name"}
    assert {"target", "host", "port", "protocol", "service"} <= set(c["to"])
    assert c["to"]["protocol"] in ("http", "https", "tcp")
    assert c["to"]["service"] is None or {"namespace", "host"} <= set(c["to"]["service"])
    assert c["verdict"] in ("ROUTED", "PASSTHROUGH", "BLOCKED", "DIRECT", "DNS_FAILURE")
    assert {"listener", "route", "cluster"} <= set(c["envoy"])
    assert isinstance(c["client_sees"], str) and c["client_sees"]
    assert isinstance(c["explanation"], list) and all(isinstance(s, str) for s in c["explanation"])
    if c["verdict"] == "ROUTED":
        assert c["envoy"]["cluster"].startswith("outbound|")
    if c["verdict"] in ("DIRECT", "DNS_FAILURE"):
        assert c["envoy"]["cluster"] is None


def test_check_json_matches_the_contract_example(capsys):
    c = run_json(capsys, ["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip"])
    assert_check_shape(c)
    assert c["from"] == {"namespace": "istioinaction", "name": "sleep"}
    to = c["to"]
    assert (to["target"], to["host"], to["port"], to["protocol"]) == (
        "http://httpbin.default:8000/ip", "httpbin.default.svc.cluster.local", 8000, "http")
    assert {k: to["service"][k] for k in ("namespace", "host")} == {
        "namespace": "default", "host": "httpbin.default.svc.cluster.local"}
    assert (c["proxy"], c["scope"], c["sidecar"], c["mode"]) == (
        "sidecar", "workload", {"namespace": "istioinaction", "name": "workload"}, "REGISTRY_ONLY")
    assert c["verdict"] == "BLOCKED"
    assert {k: c["envoy"][k] for k in ("listener", "route", "cluster")} == {
        "listener": "0.0.0.0_8000", "route": "block_all", "cluster": None}
    assert (c["envoy"]["route_config"], c["envoy"]["route_entry"]) == ("8000", "block_all")
    assert "502" in c["client_sees"] and "empty body" in c["client_sees"]
    assert c["destination_sees_source"] is None
    assert c["explanation"]


# The blog's observations, replayed: (step, target, verdict, cluster, destination_sees_source)
SEED_CHECKS = [
    pytest.param(STEP1, "http://httpbin.istioinaction:8000/ip", "ROUTED",
                 "outbound|8000||httpbin.istioinaction.svc.cluster.local", "127.0.0.6",
                 id="01: httpbin.istioinaction sees 127.0.0.6"),
    pytest.param(STEP1, "http://google.com", "PASSTHROUGH", "PassthroughCluster", None,
                 id="01: google passes through under ALLOW_ANY"),
    pytest.param(step("02-root-registry-only"), "http://google.com", "BLOCKED", None, None,
                 id="02: google blocked by the root REGISTRY_ONLY"),
    pytest.param(STEP3, "http://google.com", "PASSTHROUGH", "PassthroughCluster", None,
                 id="03: the namespace Sidecar's ALLOW_ANY wins"),
    pytest.param(STEP4, "http://google.com", "BLOCKED", None, None, id="04: the namespace Sidecar edited to REGISTRY_ONLY"),
    pytest.param(step("05-workload-allow-any"), "http://httpbin.default:8000/ip", "ROUTED",
                 "outbound|8000||httpbin.default.svc.cluster.local", "10.10.0.14",
                 id="05: httpbin.default without a sidecar sees the pod IP"),
    pytest.param(STEP6, "http://httpbin.istioinaction:8000/ip", "ROUTED",
                 "outbound|8000||httpbin.istioinaction.svc.cluster.local", "127.0.0.6",
                 id="06: httpbin.istioinaction is still imported"),
    pytest.param(STEP4, "https://google.com", "BLOCKED", "BlackHoleCluster", None,
                 id="04: https to an unknown host reaches the BlackHoleCluster"),
    pytest.param(STEP6, "http://nosuch.istioinaction:8000/", "DNS_FAILURE", None, None,
                 id="06: an unknown name in a known namespace does not resolve"),
]


@pytest.mark.parametrize("argv, target, verdict, cluster, sees", SEED_CHECKS)
def test_check_json_replays_the_seed_lab(capsys, argv, target, verdict, cluster, sees):
    c = run_json(capsys, ["check", *argv, "--from", "istioinaction/sleep", "--to", target])
    assert_check_shape(c)
    assert (c["verdict"], c["envoy"]["cluster"], c["destination_sees_source"]) == (verdict, cluster, sees)
    if verdict == "BLOCKED" and target.startswith("http://"):
        assert c["envoy"]["route"] == "block_all"


def test_check_from_a_workload_without_proxy_is_direct(capsys):
    c = run_json(capsys, ["check", *STEP6, "--from", "default/httpbin", "--to", "http://httpbin.istioinaction:8000/ip"])
    assert_check_shape(c)
    assert (c["proxy"], c["verdict"], c["envoy"]["cluster"]) == ("none", "DIRECT", None)


def test_check_text_shows_the_verdict_and_what_curl_prints(capsys):
    code, out, err = run(capsys, ["check", *STEP6, "--from", "istioinaction/sleep",
                                  "--to", "http://httpbin.default:8000/ip"])
    assert (code, err) == (0, "")
    for text in ("istioinaction/sleep -> http://httpbin.default:8000/ip", "BLOCKED", "istioinaction/workload",
                 "REGISTRY_ONLY", "block_all", "502", "curl prints nothing"):
        assert text in out, (text, out)


# ---------------------------------------------------------------------------
# matrix
# ---------------------------------------------------------------------------

def test_matrix_json_is_sources_by_targets(capsys):
    extra = ["https://google.com", "tcp://db.example.com:5432"]
    m = run_json(capsys, ["matrix", *STEP6, "--to", extra[0], "--to", extra[1]])
    assert {"sources", "targets", "cells"} <= set(m)
    assert len(m["cells"]) == len(m["sources"]) == 5
    assert all(len(row) == len(m["targets"]) for row in m["cells"])
    assert m["targets"][-2:] == extra
    # Every Service port is a target: 4 Services with 1 + 3 + 4 + 1 ports.
    assert len(m["targets"]) == 9 + len(extra)
    for row in m["cells"]:
        for cell in row:
            assert {"verdict", "cluster"} <= set(cell)
            assert cell["verdict"] in ("ROUTED", "PASSTHROUGH", "BLOCKED", "DIRECT", "DNS_FAILURE")
    names = [f"{s['namespace']}/{s['name']}" for s in m["sources"]]
    sleep = m["cells"][names.index("istioinaction/sleep")]
    targets = m["targets"]
    assert sleep[targets.index("https://google.com")]["verdict"] == "BLOCKED"
    httpbin_ii = next(i for i, t in enumerate(targets) if "httpbin.istioinaction" in t)
    assert sleep[httpbin_ii] == {**sleep[httpbin_ii], "verdict": "ROUTED",
                                 "cluster": "outbound|8000||httpbin.istioinaction.svc.cluster.local"}
    assert all(c["verdict"] == "DIRECT" for c in m["cells"][names.index("default/httpbin")])


def test_matrix_cells_agree_with_check(capsys):
    m = run_json(capsys, ["matrix", *STEP4, "--to", "http://google.com"])
    names = [f"{s['namespace']}/{s['name']}" for s in m["sources"]]
    for target in (m["targets"][0], "http://google.com"):
        c = run_json(capsys, ["check", *STEP4, "--from", "istioinaction/sleep", "--to", target])
        cell = m["cells"][names.index("istioinaction/sleep")][m["targets"].index(target)]
        assert (cell["verdict"], cell["cluster"]) == (c["verdict"], c["envoy"]["cluster"])


def test_matrix_text_has_a_row_per_source_and_a_legend(capsys):
    code, out, err = run(capsys, ["matrix", *STEP6, "--to", "https://google.com"])
    assert (code, err) == (0, "")
    for text in ("istioinaction/sleep", "default/httpbin", "https://google.com", "legend:"):
        assert text in out


# ---------------------------------------------------------------------------
# Standard input
# ---------------------------------------------------------------------------

def _seed_as_one_stream(extra: list[str]) -> str:
    files = sorted((SEED / "cluster").glob("*.yaml")) + [Path(p) for p in extra]
    return "\n---\n".join(f.read_text(encoding="utf-8") for f in files) + "\n"


def test_manifests_from_stdin_give_the_same_answer(capsys, monkeypatch):
    text = _seed_as_one_stream([str(SEED / "steps" / "06-workload-hosts" / "sidecars.yaml")])
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    from_stdin = run_json(capsys, ["check", "-", "--from", "istioinaction/sleep",
                                   "--to", "http://httpbin.default:8000/ip"])
    from_files = run_json(capsys, ["check", *STEP6, "--from", "istioinaction/sleep",
                                   "--to", "http://httpbin.default:8000/ip"])
    assert from_stdin["verdict"] == from_files["verdict"] == "BLOCKED"
    assert from_stdin["envoy"] == from_files["envoy"]


def test_stdin_combines_with_paths(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO((SEED / "steps" / "06-workload-hosts" / "sidecars.yaml").read_text()))
    r = run_json(capsys, ["resolve", CLUSTER, "-", "--workload", "istioinaction/sleep"])
    assert r["sidecar"] == {"namespace": "istioinaction", "name": "workload"}


# ---------------------------------------------------------------------------
# lab
# ---------------------------------------------------------------------------

def test_lab_print_command(capsys, tmp_path):
    code, out, err = run(capsys, ["lab", "--print-command", "--no-browser", "--port", "8899",
                                  "--workspace", str(tmp_path / "course")])
    if importlib.util.find_spec("jupyterlab") is None:
        assert_one_error_line(code, out, err, "JupyterLab is not installed")
        return
    assert code == 0 and "created the course workspace" in err
    assert "jupyterlab" in out and "--ServerApp.port=8899" in out and "--no-browser" in out
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "--allow-root" in out
    else:
        assert "--allow-root" not in out


def test_lab_print_command_with_a_stand_in_jupyterlab(capsys, tmp_path, monkeypatch):
    """With a (stand-in) jupyterlab importable, the command is printed, offline, with --allow-root as root."""
    if importlib.util.find_spec("jupyterlab") is None:
        (tmp_path / "jupyterlab").mkdir()
        (tmp_path / "jupyterlab" / "__init__.py").write_text("")
        monkeypatch.syspath_prepend(str(tmp_path))
    code, out, err = run(capsys, ["lab", "--print-command", "--workspace", str(tmp_path / "course")])
    assert code == 0
    assert out.count("\n") == 1
    assert "-m jupyterlab" in out and "NeverCheckForUpdate" in out
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.skip("not running as root: --allow-root is not expected")
    assert "--allow-root" in out


# ---------------------------------------------------------------------------
# The real command: python -m sidecar_lab and the console script
# ---------------------------------------------------------------------------

def _env() -> dict:
    env = dict(os.environ)
    env.pop("SIDECAR_LAB_DEBUG", None)
    return env


def test_python_dash_m_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "sidecar_lab", "check", *STEP6, "--from", "istioinaction/sleep",
                           "--to", "http://httpbin.default:8000/ip", "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=_env(), cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout)["verdict"] == "BLOCKED"


def test_python_dash_m_reads_stdin():
    text = _seed_as_one_stream([str(SEED / "steps" / "02-root-registry-only" / "sidecars.yaml")])
    proc = subprocess.run([sys.executable, "-m", "sidecar_lab", "resolve", "-", "--workload", "istioinaction/sleep",
                           "--format", "json"], input=text, capture_output=True, text=True, timeout=120, env=_env())
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout)["scope"] == "root"


def _console_script() -> str:
    found = shutil.which("sidecar-lab", path=os.path.dirname(sys.executable))
    assert found, f"the console script sidecar-lab is not installed next to {sys.executable}"
    return found


@pytest.mark.parametrize("argv, code, stream, words", [
    pytest.param(["--help"], 0, "stdout", "resolve", id="--help"),
    pytest.param(["resolve", *STEP6, "--workload", "istioinaction/sleep"], 0, "stdout", "istioinaction/workload",
                 id="resolve"),
    pytest.param(["check", *STEP6, "--from", "istioinaction/sleep", "--to", "tcp://db"], 2, "stderr",
                 "error: malformed target", id="malformed target"),
    pytest.param(["resolve", "/nonexistent/m.yaml", "--all"], 2, "stderr", "error: /nonexistent/m.yaml: no such file",
                 id="missing file"),
    pytest.param([], 2, "stderr", "error: ", id="no subcommand"),
])
def test_console_script_on_path(argv, code, stream, words):
    proc = subprocess.run([_console_script(), *argv], capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == code, proc.stderr
    assert words in getattr(proc, stream)
    assert "Traceback" not in proc.stderr
    if code == 2:
        assert proc.stdout == "" and proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")


# ---------------------------------------------------------------------------
# analyze (CONTRACT.md): exit 0 without Error-level messages, 79 with one
# ---------------------------------------------------------------------------

def test_analyze_clean_seed_step_exits_0(capsys):
    m = run_json(capsys, ["analyze", *STEP6])
    assert isinstance(m["messages"], list)
    assert not any(msg["level"] == "Error" for msg in m["messages"])


def test_analyze_selectors_on_a_deployment_exit_79_with_ist0101_and_sl0013(capsys):
    # The seed examples have a Deployment, no Pod: istioctl (SelectorAnalyzer reads Pods) says IST0101
    # for each Sidecar; that both select the same pod template is the project's SL0013.
    examples = SEED / "examples"
    code, out, err = run(capsys, ["analyze", str(examples / "productpage.yaml"),
                                  str(examples / "connection-pool-settings.yaml"),
                                  str(examples / "partial-ip-tables.yaml"), "--format", "json"])
    assert code == 79, err
    messages = json.loads(out)["messages"]
    assert not [m for m in messages if m["code"] == "IST0110"]
    assert len([m for m in messages if m["code"] == "IST0101" and m["level"] == "Error"]) == 2
    conflict = [m for m in messages if m["code"] == "SL0013"]
    assert len(conflict) == 2 and all(m["level"] == "Warning" for m in conflict)
    for m in conflict:
        assert {"kind", "namespace", "name"} <= set(m["resource"]) and m["resource"]["kind"] == "Sidecar"
        assert m["origin"].startswith(str(examples)) and ":" in m["origin"]


# ---------------------------------------------------------------------------
# --lang: the human text in Korean; codes, JSON and exit codes unchanged
# ---------------------------------------------------------------------------

PROSE = {"reason", "explanation", "client_sees", "notes", "message", "why", "hint"}


def _without_prose(value):
    """The JSON with its sentences blanked: keys, verdicts, names and numbers must not depend on --lang."""
    if isinstance(value, dict):
        return {k: ("<prose>" if k in PROSE else _without_prose(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_prose(v) for v in value]
    return value


LANG_CASES = [
    # (command line, an English heading of its text, its Korean)
    (["resolve", *STEP6, "--workload", "istioinaction/sleep"], "candidates, in precedence order:", "후보 (우선순위 순):"),
    (["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip"], "why:", "이유:"),
    (["matrix", *STEP6], "legend:", "범례:"),
    (["analyze", *STEP6], "no workload uses this Sidecar:", "이 Sidecar를 쓰는 워크로드가 없습니다:"),
    (["size", *STEP6, "--workload", "istioinaction/sleep"], "visible services", "보이는 서비스"),
    (["size", *STEP6, "--all"], "mesh totals over 3 proxies:", "메시 전체 합계 (프록시 3개):"),
    (["suggest", *STEP6, "--workload", "istioinaction/sleep", "--call", "http://httpbin.istioinaction:8000/ip"],
     "every call stays ROUTED", "모든 호출이 ROUTED로 유지됩니다"),
]


@pytest.mark.parametrize("argv, english, korean", LANG_CASES, ids=lambda v: v[0] if isinstance(v, list) else None)
def test_lang_ko_says_the_text_in_korean_and_leaves_json_and_exit_codes_alone(capsys, argv, english, korean):
    code_en, out_en, _ = run(capsys, argv)
    code_ko, out_ko, _ = run(capsys, argv + ["--lang", "ko"])
    assert code_en == code_ko == 0
    assert english in out_en and korean not in out_en
    assert korean in out_ko and english not in out_ko
    assert _without_prose(run_json(capsys, argv + ["--lang", "ko"])) == _without_prose(run_json(capsys, argv))
    # the language was the command's alone: the next call without --lang is English again
    assert english in run(capsys, argv)[1]


def test_lang_ko_translates_the_reasons_and_what_curl_shows(capsys):
    from sidecar_lab.core.messages import CATALOG

    _, out, _ = run(capsys, ["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip",
                             "--lang", "ko"])
    assert CATALOG["ko"]["curl.block-all"] in out
    assert "BLOCKED" in out and "block_all" in out  # verdicts and Envoy's names stay as they are


# the English words resolve and check write around the names (not field names, kinds or values: those stay)
ENGLISH_LINE_WORDS = {"scope", "ports", "via", "selected", "shadowed", "rejected", "listener", "route", "cluster",
                      "mode", "to", "proxy", "sidecar", "gateway", "none", "root", "workload", "namespace", "why",
                      "verdict", "note", "candidates", "implicit"}


@pytest.mark.parametrize("argv", [
    ["resolve", *STEP6, "--workload", "istioinaction/sleep"],
    ["resolve", str(SEED / "cluster"), str(SEED / "steps" / "03-namespace-allow-any"), "--workload", "istioinaction/sleep"],
    ["resolve", str(SEED / "cluster"), str(SEED / "steps" / "02-root-registry-only"),
     "--workload", "istio-system/istio-ingressgateway"],
    ["resolve", str(SEED / "examples" / "productpage.yaml"), str(SEED / "examples" / "partial-ip-tables.yaml"),
     "--workload", "prod-us1/productpage"],
    ["check", *STEP6, "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip"],
], ids=["resolve-workload", "resolve-namespace", "resolve-gateway", "resolve-ingress", "check"])
def test_lang_ko_says_the_words_around_the_names_in_korean_too(capsys, argv):
    """Not only the reasons: scope, candidates' outcome and level, ports, via, mode and Envoy's listener, route and
    cluster are said in Korean; Istio's names (Sidecar, egress, capture, REGISTRY_ONLY, hosts) stay."""
    _, out, _ = run(capsys, argv + ["--lang", "ko"])
    standalone = set(re.findall(r"(?<![\w./|:*-])[A-Za-z]+(?![\w./|:*-])", out))
    assert not standalone & ENGLISH_LINE_WORDS, sorted(standalone & ENGLISH_LINE_WORDS)
    assert re.search(r"\[범위:? (워크로드|네임스페이스|루트|게이트웨이|내장 기본값)\]", out), out


def test_the_korean_readmes_tour_shows_what_the_command_prints(capsys, monkeypatch):
    """README.ko.md's example is the command's real output, so the two cannot drift apart."""
    block = re.search(r"```console\n\$ (sidecar-lab .*?)\n(?! )(.*?)```", (ROOT / "README.ko.md").read_text(encoding="utf-8"),
                      re.S)
    argv = block[1].replace("\\\n", " ").split()[1:]
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, argv)
    assert code == 0 and "--lang" in argv
    assert out.rstrip("\n") == block[2].rstrip("\n")


def test_an_unknown_lang_is_one_error_line(capsys):
    code, out, err = run(capsys, ["check", *STEP6, "--from", "istioinaction/sleep", "--to", "google.com",
                                  "--lang", "fr"])
    assert_one_error_line(code, out, err, "--lang")
