"""Every observation of the seed blog post, reproduced on the manifests shipped in data/seed/.

The observations are data (data/seed/observations.yaml: what the post showed);
the simulator must arrive at each of them from the manifests alone.
"""

from pathlib import Path

import pytest
import yaml

from sidecar_lab import Simulator, load
from sidecar_lab.core.traffic import check

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
OBSERVATIONS = yaml.safe_load((SEED / "observations.yaml").read_text(encoding="utf-8"))
REQUESTS = [o for o in OBSERVATIONS if o["kind"] == "request"]
LISTINGS = [o for o in OBSERVATIONS if o["kind"] == "list"]
_SIMS: dict = {}


def simulator(step: str) -> Simulator:
    if step not in _SIMS:
        _SIMS[step] = Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / step)]))
    return _SIMS[step]


def curl_prints(result) -> str:
    """What `curl -s` would print, in the observations' vocabulary."""
    if result.verdict.value == "BLOCKED" and result.http_status == 502 or (
            result.verdict.value == "BLOCKED" and result.curl_exit not in (0, None)):
        return "nothing"
    if result.verdict.value == "ROUTED" and result.target.service_host and \
            result.target.service_host.startswith("httpbin."):
        return "origin"
    if result.verdict.value in ("PASSTHROUGH", "DIRECT") and result.target.host == "google.com":
        return "google-301"
    return f"unexpected {result.verdict.value}"


def test_the_seed_has_observations_for_every_step():
    assert {o["step"] for o in OBSERVATIONS} == {p.name for p in (SEED / "steps").iterdir() if p.is_dir()}


@pytest.mark.parametrize("obs", REQUESTS, ids=[o["id"] for o in REQUESTS])
def test_seed_observation(obs):
    result = check(simulator(obs["step"]), obs["from"], obs["to"])
    observed = obs["observed"]
    assert curl_prints(result) == observed["prints"], result.explanation()
    if observed["prints"] == "origin":
        assert result.destination_sees_source == observed["origin"]
    if observed["prints"] == "nothing":
        # The blog's blocked curls printed nothing: Envoy's block_all route answered 502 with an empty body.
        assert (result.envoy.route, result.http_status, result.curl_exit) == ("block_all", 502, 0)


@pytest.mark.parametrize("obs", LISTINGS, ids=[o["id"] for o in LISTINGS])
def test_seed_listing(obs):
    mesh = simulator(obs["step"]).mesh
    assert sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars) == sorted(obs["observed"]["sidecars"])


def test_blocked_google_is_a_502_because_the_ingress_gateway_opens_an_http_listener_on_80():
    result = check(simulator("02-root-registry-only"), "istioinaction/sleep", "http://google.com")
    assert result.envoy.listener == "0.0.0.0_80"
    visible = {v.host: v for v in simulator("02-root-registry-only").resolve("istioinaction/sleep").visible_services}
    assert 80 in visible["istio-ingressgateway.istio-system.svc.cluster.local"].ports


@pytest.mark.parametrize("step, scope, sidecar, mode", [
    ("01-no-sidecar", "default", None, "ALLOW_ANY"),
    ("02-root-registry-only", "root", "istio-system/default", "REGISTRY_ONLY"),
    ("03-namespace-allow-any", "namespace", "istioinaction/default", "ALLOW_ANY"),
    ("04-namespace-registry-only", "namespace", "istioinaction/default", "REGISTRY_ONLY"),
    ("05-workload-allow-any", "workload", "istioinaction/workload", "ALLOW_ANY"),
    ("06-workload-hosts", "workload", "istioinaction/workload", "REGISTRY_ONLY"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_seed_precedence_workload_over_namespace_over_root(step, scope, sidecar, mode):
    r = simulator(step).resolve("istioinaction/sleep")
    assert (r.scope, str(r.sidecar) if r.sidecar else None, r.policy.mode) == (scope, sidecar, mode)


def test_seed_host_restriction_sees_only_istioinaction():
    r = simulator("06-workload-hosts").resolve("istioinaction/sleep")
    assert {v.host for v in r.visible_services} == {"httpbin.istioinaction.svc.cluster.local"}


def test_seed_sidecars_are_not_applied_to_the_ingress_gateway():
    r = simulator("02-root-registry-only").resolve("istio-system/istio-ingressgateway")
    assert (r.proxy, r.sidecar) == ("gateway", None)


@pytest.mark.parametrize("example", ["connection-pool-settings.yaml", "partial-ip-tables.yaml"])
def test_seed_resource_format_examples(example):
    sim = Simulator(load([str(SEED / "examples" / "productpage.yaml"), str(SEED / "examples" / example)]))
    r = sim.resolve("prod-us1/productpage")
    assert r.scope == "workload" and r.ingress and not r.ingress[0].implicit
    if example == "partial-ip-tables.yaml":
        assert (r.ingress[0].bind, r.ingress[0].capture_mode) == ("172.16.1.32", "NONE")
    else:
        assert r.ingress[0].connection_pool_from == "port"
        assert dict(r.ingress[0].connection_pool)["tcp"] == {"maxConnections": 100}
