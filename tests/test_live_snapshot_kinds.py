"""The live snapshot reads what the simulator models, as the file loader does: DestinationRules,
Gateway API HTTPRoutes (when their CRDs are served), ServiceEntry endpoints and the mesh config's
``default*ExportTo``. A cluster without the Gateway API is a note; a kind that is served but cannot
be listed is an error, never a prediction made without it.
"""

from __future__ import annotations

import pytest
import yaml

from test_live import kube, kubeconfig, live, no_token  # noqa: F401

pytest.importorskip("kubernetes")

from sidecar_lab import ClusterError, Simulator, load_text  # noqa: E402
from sidecar_lab.core.traffic import check  # noqa: E402

GATEWAY = "gateway.networking.k8s.io"
PROXY = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.0"}


def pod(ns: str, name: str, labels: dict, ip: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": "app"}, PROXY]},
            "status": {"phase": "Running", "podIP": ip}}


def service(ns: str, name: str, port: int) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": f"10.96.0.{port % 200}", "selector": {"app": name},
                     "ports": [{"name": "http", "port": port}]}}


def mesh_config(mesh: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": yaml.safe_dump(mesh)}}


NAMESPACES = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"istio-injection": "enabled"}}}
              for n in ("shop", "web")]
WORKLOADS = [pod("shop", "sleep", {"app": "sleep"}, "10.1.0.5"),
             pod("web", "reviews-v1", {"app": "reviews", "version": "v1"}, "10.1.0.6"),
             pod("web", "ratings-0", {"app": "ratings"}, "10.1.0.7"),
             service("web", "reviews", 9080), service("web", "ratings", 9080)]
SUBSETS = [
    {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "reviews", "namespace": "web"},
     "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                             {"name": "v2", "labels": {"version": "v2"}}]}},
    {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "reviews", "namespace": "web"},
     "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}]}},
]
DATABASE = [{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": {"name": "db", "namespace": "shop"},
             "spec": {"hosts": ["db.internal"], "location": "MESH_INTERNAL", "resolution": "STATIC",
                      "ports": [{"number": 5432, "name": "tcp", "protocol": "TCP"}],
                      "endpoints": [{"address": "10.9.9.9"}]}}]
ROUTE = [{"apiVersion": f"{GATEWAY}/v1", "kind": "HTTPRoute", "metadata": {"name": "ratings", "namespace": "web"},
          "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "ratings", "port": 9080}],
                   "rules": [{"filters": [{"type": "RequestRedirect",
                                           "requestRedirect": {"hostname": "ratings.example.com", "statusCode": 302}}]}]}}]
MANIFESTS = NAMESPACES + WORKLOADS + SUBSETS + DATABASE + ROUTE

# (target, what the files predict): each needs a kind the snapshot used not to read
REQUESTS = [
    ("http://reviews.web:9080/", ("ROUTED", "outbound|9080|v1|reviews.web.svc.cluster.local")),  # the DestinationRule
    ("http://ratings.web:9080/", ("REDIRECT", None)),  # the HTTPRoute
    ("tcp://db.internal:5432", ("ROUTED", "outbound|5432||db.internal")),  # the ServiceEntry's endpoints
]


def cluster_with(kube, objects, gateway_api: bool | tuple = True) -> None:
    kube.install_istio_crds()
    if gateway_api:
        kube.install_gateway_api_crds(versions=None if gateway_api is True else gateway_api)
    kube.load([o for o in objects if gateway_api or o["kind"] != "HTTPRoute"])


def predictions(sim: Simulator) -> list[tuple]:
    return [(r.verdict.value, r.envoy, r.http_status, r.curl_exit) for r in
            (check(sim, "shop/sleep", target) for target, _ in REQUESTS)]


def test_a_live_prediction_reads_subsets_http_routes_and_endpoints_like_the_files(kube, live):
    cluster_with(kube, MANIFESTS)
    files, cluster = Simulator(load_text(yaml.safe_dump_all(MANIFESTS))), Simulator(live.snapshot())
    assert [(r[0], r[1].cluster) for r in predictions(files)] == [expected for _, expected in REQUESTS]
    assert predictions(cluster) == predictions(files)
    objects, _ = live.snapshot_objects()
    db = next(o for o in objects if o["kind"] == "ServiceEntry")
    assert db["spec"]["endpoints"] == [{"address": "10.9.9.9"}]
    assert {o["kind"] for o in objects} >= {"DestinationRule", "HTTPRoute", "ServiceEntry", "VirtualService"}


def test_the_snapshot_reads_the_mesh_default_export_to_initDefaultExportMaps(kube, live):
    private = mesh_config({"defaultServiceExportTo": ["."], "defaultVirtualServiceExportTo": ["."],
                           "defaultDestinationRuleExportTo": ["."]})
    cluster_with(kube, MANIFESTS + [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
                                    private])
    files, cluster = Simulator(load_text(yaml.safe_dump_all(MANIFESTS + [private]))), Simulator(live.snapshot())
    seen = lambda sim: sorted(v.host for v in sim.resolve("shop/sleep").visible_services)
    assert seen(cluster) == seen(files) == ["db.internal"]  # web's services are private to web now
    assert cluster.mesh.mesh_config.default_virtual_service_export_to == (".",)
    assert predictions(cluster) == predictions(files)


def test_without_the_gateway_api_the_snapshot_says_so_and_predicts_without_routes(kube, live):
    cluster_with(kube, MANIFESTS, gateway_api=False)
    mesh = live.snapshot()
    assert mesh.http_routes == ()
    assert any("Gateway API CRDs are not installed" in n and "httproutes.gateway.networking.k8s.io" in n
               for n in mesh.notes)
    assert check(Simulator(mesh), "shop/sleep", "http://ratings.web:9080/").verdict.value == "ROUTED"
    report = live.preflight()
    item = next(i for i in report.items if i.name == "Gateway API")
    assert item.ok and not item.required and "not installed" in item.detail


def test_http_routes_served_only_in_a_version_the_loader_does_not_read_are_a_note(kube, live):
    cluster_with(kube, [o for o in MANIFESTS if o["kind"] != "HTTPRoute"], gateway_api=("v1alpha2",))
    mesh = live.snapshot()
    assert mesh.http_routes == ()
    assert any("served only as v1alpha2" in n and "no HTTPRoutes read" in n for n in mesh.notes)


@pytest.mark.parametrize("plural, kind", [("httproutes", "HTTPRoute"), ("destinationrules", "DestinationRule")])
def test_a_served_kind_that_answers_404_is_an_error_not_an_empty_list(kube, live, plural, kind):
    cluster_with(kube, MANIFESTS)
    kube.inject(method="GET", path=f"/apis/[^/]+/v1/{plural}", status=404)
    with pytest.raises(ClusterError) as caught:
        live.snapshot()
    message = str(caught.value)
    assert "advertises" in message and plural in message and f"the {kind}s cannot be read" in message
    no_token(message)


@pytest.mark.parametrize("plural", ["httproutes", "destinationrules"])
def test_a_served_kind_forbidden_to_list_is_an_error_naming_it(kube, live, plural):
    cluster_with(kube, MANIFESTS)
    kube.deny("list", plural)
    with pytest.raises(ClusterError) as caught:
        live.snapshot()
    assert str(caught.value).startswith(f"forbidden by RBAC: cannot list {plural}")


def test_preflight_names_the_gateway_api_version_and_the_destination_rule_crd(kube, live):
    cluster_with(kube, MANIFESTS)
    items = {i.name: i for i in live.preflight().items}
    assert items["Gateway API"].ok and items["Gateway API"].detail == f"httproutes.{GATEWAY} served as v1, v1beta1"
    assert "destinationrules" in items["other Istio CRDs"].detail
