"""DestinationRules: which one a proxy uses for a host, and the clusters its subsets add.

``push_context.go`` ``destinationRule``: the proxy's namespace first (the root namespace's private
rules for a proxy there), then the rules the service's namespace exports to the proxy, then those
the root namespace exports; in each, the most specific host (``MostSpecificHostMatch``).
``setDestinationRules``: ``exportTo`` (a rule with a ``workloadSelector`` is never exported).
``mergeDestinationRule``: rules for one host in one namespace merge their subsets.
``SidecarScope.DestinationRule``: a selector rule of the proxy's namespace that matches it beats
the rule without one. ``applyDestinationRule``: one cluster ``outbound|P|subset|host`` per subset
and port, shown by ``check``, ``resolve`` and ``size``.
"""

import json

import pytest

from builders import dr, ns, pod, sim, svc, vs_spec
from sidecar_lab.cli import main
from sidecar_lab.core.envoy import outbound_clusters
from sidecar_lab.core.traffic import check
from sidecar_lab.scale.sizing import proxy_config

API = "api.web.svc.cluster.local"
BASE = (ns("app"), ns("web"), ns("istio-system", injected=False),
        pod("client", "app", {"app": "client"}), pod("canary", "app", {"app": "client", "track": "canary"}),
        pod("peer", "web", {"app": "peer"}),
        svc("api", "web", ports=((8080, "http"), (9090, "grpc")), cluster_ip="10.96.1.1", selector={"app": "api"}))
TO_V1 = vs_spec("api", "web", hosts=[API], http=[{"route": [{"destination": {"host": API, "subset": "v1",
                                                                             "port": {"number": 8080}}}]}])
V1 = f"outbound|8080|v1|{API}"


def clusters(s, workload):
    w = s.workload(workload)
    res = s.resolve(w)
    return outbound_clusters(s, s.scope_for(s.sidecar(res.sidecar), w.namespace), w.labels)


def test_subsets_add_one_cluster_per_subset_and_port_applyDestinationRule():
    s = sim(*BASE, dr("api", "web", host=API, subsets=["v1", "v2"]))
    got = [c for c in clusters(s, "app/client") if API in c]
    assert got == [f"outbound|8080||{API}", V1, f"outbound|8080|v2|{API}",
                   f"outbound|9090||{API}", f"outbound|9090|v1|{API}", f"outbound|9090|v2|{API}"]


# (situation, DestinationRules, source, expected verdict for a route to subset v1, the rule it uses)
CASES = [
    ("a_subset_without_a_destination_rule_has_no_cluster_applyDestinationRule", [], "app/client",
     "CLUSTER_NOT_FOUND", None),
    ("the_services_namespace_exports_its_rule_destinationRule", [dr("api", "web", host=API, subsets=["v1"])],
     "app/client", "ROUTED", "web/api"),
    ("a_rule_exported_to_dot_stays_in_its_namespace_getExportedDestinationRuleFromNamespace",
     [dr("api", "web", host=API, subsets=["v1"], export_to=["."])], "app/client", "CLUSTER_NOT_FOUND", None),
    ("a_rule_exported_to_dot_serves_its_own_namespace_destinationRule",
     [dr("api", "web", host=API, subsets=["v1"], export_to=["."])], "web/peer", "ROUTED", "web/api"),
    ("a_rule_exported_by_name_reaches_that_namespace_getExportedDestinationRuleFromNamespace",
     [dr("api", "web", host=API, subsets=["v1"], export_to=["app"])], "app/client", "ROUTED", "web/api"),
    ("the_proxys_namespace_wins_over_the_services_destinationRule",
     [dr("api", "web", host=API, subsets=["v1"]), dr("mine", "app", host=API, subsets=["v2"])], "app/client",
     "CLUSTER_NOT_FOUND", "app/mine"),
    ("the_root_namespace_rule_applies_when_no_other_destinationRule",
     [dr("global", "istio-system", host="*.web.svc.cluster.local", subsets=["v1"])], "app/client", "ROUTED",
     "istio-system/global"),
    ("the_services_namespace_wins_over_the_root_namespace_destinationRule",
     [dr("global", "istio-system", host="*.web.svc.cluster.local", subsets=["v1"]),
      dr("api", "web", host=API, subsets=["v2"])], "app/client", "CLUSTER_NOT_FOUND", "web/api"),
    ("the_most_specific_host_wins_in_a_namespace_MostSpecificHostMatch",
     [dr("wild", "web", host="*.web.svc.cluster.local", subsets=["v2"]), dr("exact", "web", host=API,
                                                                           subsets=["v1"])],
     "app/client", "ROUTED", "web/exact"),
    ("a_short_host_is_read_in_the_rules_namespace_setDestinationRules", [dr("api", "web", host="api",
                                                                         subsets=["v1"])],
     "app/client", "ROUTED", "web/api"),
    ("rules_for_one_host_in_one_namespace_merge_their_subsets_mergeDestinationRule",
     [dr("a", "web", host=API, subsets=["v2"], created="2020-01-01T00:00:00Z"),
      dr("b", "web", host=API, subsets=["v1"], created="2021-01-01T00:00:00Z")], "app/client", "ROUTED", "web/a"),
    ("rules_with_different_export_to_are_kept_apart_mergeDestinationRule",
     [dr("a", "web", host=API, subsets=["v2"], export_to=["app"], created="2020-01-01T00:00:00Z"),
      dr("b", "web", host=API, subsets=["v1"], export_to=["*"], created="2021-01-01T00:00:00Z")], "app/client",
     "ROUTED", "web/b"),
    ("a_selector_rule_in_the_proxys_namespace_serves_the_pods_it_selects_SidecarScope_DestinationRule",
     [dr("canary", "app", host=API, subsets=["v1"], selector={"track": "canary"}),
      dr("rest", "app", host=API, subsets=["v2"])], "app/canary", "ROUTED", "app/canary"),
    ("other_pods_get_the_rule_without_selector_SidecarScope_DestinationRule",
     [dr("canary", "app", host=API, subsets=["v1"], selector={"track": "canary"}),
      dr("rest", "app", host=API, subsets=["v2"])], "app/client", "CLUSTER_NOT_FOUND", "app/rest"),
    ("a_selector_rule_is_never_exported_setDestinationRules",
     [dr("canary", "web", host=API, subsets=["v1"], selector={"app": "client"})], "app/client",
     "CLUSTER_NOT_FOUND", None),
]


@pytest.mark.parametrize("rules, source, verdict, rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_destination_rule_selection_for_a_subset_route(rules, source, verdict, rule):
    s = sim(*BASE, TO_V1, *rules)
    r = check(s, source, f"http://{API}:8080/")
    assert (r.verdict.value, r.envoy.cluster) == (verdict, V1), r.explanation()
    shown = {v.host: v for v in s.resolve(source).visible_services}[API]
    assert (str(shown.destination_rule) if shown.destination_rule else None) == rule


def test_a_missing_subset_says_which_rule_lacks_it():
    r = check(sim(*BASE, TO_V1, dr("api", "web", host=API, subsets=["v2"])), "app/client", f"http://{API}:8080/")
    assert (r.verdict.value, r.http_status) == ("CLUSTER_NOT_FOUND", 503)
    assert any(step.key == "traffic.subset-not-defined" and step.params["rule"] == "web/api" for step in r.steps)


def test_resolve_json_shows_the_rule_and_its_subsets(tmp_path, capsys):
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all([*BASE, dr("api", "web", host=API, subsets=["v1", "v2"])]))
    assert main(["resolve", str(path), "--workload", "app/client", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    api = [v for v in out["visible_services"] if v["host"] == API][0]
    assert api["destination_rule"] == {"namespace": "web", "name": "api"} and api["subsets"] == ["v1", "v2"]


def test_size_counts_subset_clusters():
    plain = proxy_config(sim(*BASE), "app/client")
    with_subsets = proxy_config(sim(*BASE, dr("api", "web", host=API, subsets=["v1", "v2"])), "app/client")
    assert with_subsets.outbound_clusters - plain.outbound_clusters == 4  # 2 subsets x 2 ports
