"""VirtualServices: what they make visible, which one wins a host, and the ports their routes take.

* ``collectImportedServices`` with ``virtualServiceDestinationsFilteredBySourceNamespace``
  (``push_context.go``): route, ``mirror`` and ``mirrors`` destinations become visible; an ``http``
  route whose matches name another ``sourceNamespace`` does not count.
* ``mergeVirtualServicesIfNeeded`` (``virtualservice.go``): delegates fold into their root.
* ``initVirtualServices`` and ``SelectVirtualServices``: the namespace's private VirtualServices,
  then those exported to it by name, then public ones by age; the first one builds the host's
  virtual host (``BuildSidecarOutboundVirtualHosts`` drops duplicates).
* ``GetDestinationCluster`` (``route/route.go``): a destination without a port takes the listener's
  port; ``httproute.go``: a host outside the registry gets a virtual host on port 80 only.
"""

import pytest

from builders import ns, pod, sidecar, sim, svc, vs_spec
from sidecar_lab.core.traffic import check

FRONT = "front.app.svc.cluster.local"
STORE = "store.db.svc.cluster.local"
SHADOW = "shadow.db.svc.cluster.local"
BASE = (ns("app"), ns("db"), ns("web"), ns("other"), pod("client", "app", {"app": "client"}),
        pod("peer", "other", {"app": "peer"}),
        svc("front", "app", ports=((8080, "http"),), cluster_ip="10.96.0.10"),
        svc("store", "db", ports=((8080, "http"),), cluster_ip="10.96.0.20"),
        svc("shadow", "db", ports=((8080, "http"),), cluster_ip="10.96.0.21"))
ONLY_FRONT = sidecar("only-front", "app", egress=[{"hosts": [f"./{FRONT}"]}], otp={"mode": "REGISTRY_ONLY"})


def route_to(host, **extra):
    return {"route": [{"destination": {"host": host}}], **extra}


def visible_via(s, workload="app/client"):
    return {v.host: v.via for v in s.resolve(workload).visible_services}


# (situation, VirtualServices, host expected visible (or None), host expected hidden (or None))
DESTINATIONS = [
    ("route_destination_is_visible_collectImportedServices", [vs_spec("r", "app", hosts=[FRONT],
                                                                      http=[route_to(STORE)])], STORE, None),
    ("mirror_destination_is_visible_virtualServiceDestinationsFilteredBySourceNamespace",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to(FRONT, mirror={"host": SHADOW})])], SHADOW, STORE),
    ("mirrors_destinations_are_visible_virtualServiceDestinationsFilteredBySourceNamespace",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to(FRONT, mirrors=[{"destination": {"host": SHADOW}}])])],
     SHADOW, STORE),
    ("a_route_for_another_source_namespace_adds_nothing_virtualServiceDestinationsFilteredBySourceNamespace",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to(STORE, match=[{"sourceNamespace": "other"}]),
                                               route_to(FRONT)])], None, STORE),
    ("a_route_for_this_source_namespace_counts_virtualServiceDestinationsFilteredBySourceNamespace",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to(STORE, match=[{"sourceNamespace": "app"}])])], STORE, None),
    ("a_match_without_source_namespace_does_not_undo_another_one_virtualServiceDestinationsFilteredBySourceNamespace",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to(STORE, match=[{"sourceNamespace": "other"},
                                                                      {"uri": {"prefix": "/"}}])])], None, STORE),
    ("a_delegate_destination_is_visible_mergeVirtualServicesIfNeeded",
     [vs_spec("root", "app", hosts=[FRONT], http=[{"match": [{"uri": {"prefix": "/api"}}],
                                                   "delegate": {"name": "api", "namespace": "web"}}]),
      vs_spec("api", "web", http=[route_to(STORE)])], STORE, None),
    ("a_delegate_not_exported_to_the_root_drops_its_route_mergeVirtualServicesIfNeeded",
     [vs_spec("root", "app", hosts=[FRONT], http=[{"match": [{"uri": {"prefix": "/api"}}],
                                                   "delegate": {"name": "api", "namespace": "web"}}]),
      vs_spec("api", "web", exportTo=["."], http=[route_to(STORE)])], None, STORE),
    ("a_delegate_route_that_conflicts_with_the_root_match_is_dropped_mergeHTTPMatchRequests",
     [vs_spec("root", "app", hosts=[FRONT], http=[{"match": [{"uri": {"prefix": "/api"}}],
                                                   "delegate": {"name": "api", "namespace": "web"}}]),
      vs_spec("api", "web", http=[route_to(STORE, match=[{"uri": {"prefix": "/other"}}])])], None, STORE),
]


@pytest.mark.parametrize("vses, shown, hidden", [c[1:] for c in DESTINATIONS], ids=[c[0] for c in DESTINATIONS])
def test_virtual_service_destinations_make_services_visible(vses, shown, hidden):
    got = visible_via(sim(*BASE, ONLY_FRONT, *vses))
    if shown is not None:
        assert got.get(shown, "").startswith("VirtualService app/"), got
    if hidden is not None:
        assert hidden not in got, got


# (situation, VirtualServices, source, target, route entry, cluster, verdict)
REQUESTS = [
    ("a_delegate_route_takes_the_request_mergeVirtualServicesIfNeeded",
     [vs_spec("root", "app", hosts=[FRONT], http=[{"name": "root", "match": [{"uri": {"prefix": "/api"}}],
                                                   "delegate": {"name": "api", "namespace": "web"}},
                                                  route_to(FRONT)]),
      vs_spec("api", "web", http=[route_to(STORE, name="store", match=[{"uri": {"prefix": "/api/v2"}}])])],
     "app/client", f"http://{FRONT}:8080/api/v2/x", "root-store", f"outbound|8080||{STORE}", "ROUTED"),
    ("outside_the_delegate_match_the_next_root_route_applies_mergeVirtualServicesIfNeeded",
     [vs_spec("root", "app", hosts=[FRONT], http=[{"name": "root", "match": [{"uri": {"prefix": "/api"}}],
                                                   "delegate": {"name": "api", "namespace": "web"}},
                                                  route_to(FRONT, name="rest")]),
      vs_spec("api", "web", http=[route_to(STORE, name="store", match=[{"uri": {"prefix": "/api/v2"}}])])],
     "app/client", f"http://{FRONT}:8080/api/v1", "rest", f"outbound|8080||{FRONT}", "ROUTED"),
    ("a_private_virtual_service_wins_over_an_older_public_one_SelectVirtualServices",
     [vs_spec("public-old", "web", created="2020-01-01T00:00:00Z", hosts=[FRONT], http=[route_to(STORE)]),
      vs_spec("private-new", "app", created="2021-01-01T00:00:00Z", hosts=[FRONT], exportTo=["."],
              http=[route_to(SHADOW)])],
     "app/client", f"http://{FRONT}:8080/", "", f"outbound|8080||{SHADOW}", "ROUTED"),
    ("a_virtual_service_exported_by_name_wins_over_an_older_public_one_SelectVirtualServices",
     [vs_spec("public-old", "web", created="2020-01-01T00:00:00Z", hosts=[FRONT], http=[route_to(STORE)]),
      vs_spec("named-new", "db", created="2021-01-01T00:00:00Z", hosts=[FRONT], exportTo=["app"],
              http=[route_to(SHADOW)])],
     "app/client", f"http://{FRONT}:8080/", "", f"outbound|8080||{SHADOW}", "ROUTED"),
    ("public_virtual_services_compete_by_age_initVirtualServices",
     [vs_spec("new", "app", created="2021-01-01T00:00:00Z", hosts=[FRONT], http=[route_to(SHADOW)]),
      vs_spec("old", "web", created="2020-01-01T00:00:00Z", hosts=[FRONT], http=[route_to(STORE)])],
     "app/client", f"http://{FRONT}:8080/", "", f"outbound|8080||{STORE}", "ROUTED"),
    ("a_private_virtual_service_applies_only_in_its_namespace_initVirtualServices",
     [vs_spec("public-old", "web", created="2020-01-01T00:00:00Z", hosts=[FRONT], http=[route_to(STORE)]),
      vs_spec("private-new", "app", created="2021-01-01T00:00:00Z", hosts=[FRONT], exportTo=["."],
              http=[route_to(SHADOW)])],
     "other/peer", f"http://{FRONT}:8080/", "", f"outbound|8080||{STORE}", "ROUTED"),
    ("a_destination_without_a_port_takes_the_listeners_port_GetDestinationCluster",
     [vs_spec("r", "app", hosts=[FRONT], http=[route_to("legacy.db.svc.cluster.local")])],
     "app/client", f"http://{FRONT}:8080/", "", "outbound|8080||legacy.db.svc.cluster.local", "CLUSTER_NOT_FOUND"),
    ("a_destination_with_its_port_reaches_it_GetDestinationCluster",
     [vs_spec("r", "app", hosts=[FRONT], http=[{"route": [{"destination": {"host": "legacy.db.svc.cluster.local",
                                                                          "port": {"number": 5000}}}]}])],
     "app/client", f"http://{FRONT}:8080/", "", "outbound|5000||legacy.db.svc.cluster.local", "ROUTED"),
    ("a_host_outside_the_registry_gets_a_virtual_host_on_port_80_BuildSidecarVirtualHostWrapper",
     [vs_spec("r", "app", hosts=["api.example.com"], http=[route_to(FRONT)]),
      svc("www", "app", ports=((80, "http"),), cluster_ip="10.96.0.80")],
     "app/client", "http://api.example.com/", "", f"outbound|80||{FRONT}", "CLUSTER_NOT_FOUND"),
    ("a_host_outside_the_registry_gets_no_virtual_host_on_another_port_selectVirtualServices",
     [vs_spec("r", "app", hosts=["api.example.com"], http=[route_to(FRONT)])],
     "app/client", "http://api.example.com:8080/", "allow_any", "PassthroughCluster", "PASSTHROUGH"),
    ("a_host_outside_the_registry_routed_with_a_port_on_port_80_GetDestinationCluster",
     [vs_spec("r", "app", hosts=["api.example.com"], http=[{"route": [{"destination": {
         "host": FRONT, "port": {"number": 8080}}}]}]), svc("www", "app", ports=((80, "http"),), cluster_ip="10.96.0.80")],
     "app/client", "http://api.example.com/", "", f"outbound|8080||{FRONT}", "ROUTED"),
]


@pytest.mark.parametrize("vses, source, target, entry, cluster, verdict", [c[1:] for c in REQUESTS],
                         ids=[c[0] for c in REQUESTS])
def test_virtual_service_routing(vses, source, target, entry, cluster, verdict):
    extra = (svc("legacy", "db", ports=((5000, "http"),), cluster_ip="10.96.0.50"),)
    r = check(sim(*BASE, *extra, *vses), source, target)
    assert (r.verdict.value, r.envoy.cluster) == (verdict, cluster), r.explanation()
    if entry:
        assert r.envoy.route_entry == entry


def test_a_missing_cluster_is_a_503_with_an_empty_body():
    s = sim(*BASE, vs_spec("r", "app", hosts=[FRONT], http=[route_to("legacy.db.svc.cluster.local")]),
            svc("legacy", "db", ports=((5000, "http"),), cluster_ip="10.96.0.50"))
    r = check(s, "app/client", f"http://{FRONT}:8080/")
    assert (r.http_status, r.curl_exit) == (503, 0)
    assert "traffic.cluster-port-missing" in [step.key for step in r.steps]


DB = "db.db.svc.cluster.local"
TCP_BASE = (*BASE, svc("db", "db", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"),
            svc("db-replica", "db", ports=((5432, "tcp"),), cluster_ip="10.96.0.31"))
REPLICA = "outbound|5432||db-replica.db.svc.cluster.local"


def tcp_vs(*routes):
    return vs_spec("db", "db", hosts=[DB], tcp=list(routes))


def tcp_to(host, weight=None, **extra):
    dest = {"destination": {"host": host, "port": {"number": 5432}}}
    if weight is not None:
        dest["weight"] = weight
    return {"route": [dest], **extra}


# buildSidecarOutboundTCPFilterChainOpts / matchTCP: (situation, tcp routes, source, cluster, split)
TCP_CASES = [
    ("a_tcp_route_without_match_takes_the_connection_buildSidecarOutboundTCPFilterChainOpts",
     [tcp_to("db-replica.db.svc.cluster.local")], "app/client", REPLICA, ()),
    ("a_tcp_match_for_other_source_labels_leaves_the_services_cluster_matchTCP",
     [tcp_to("db-replica.db.svc.cluster.local", match=[{"sourceLabels": {"app": "nobody"}}])], "app/client",
     f"outbound|5432||{DB}", ()),
    ("a_tcp_match_for_this_source_namespace_applies_matchTCP",
     [tcp_to("db-replica.db.svc.cluster.local", match=[{"sourceNamespace": "app"}])], "app/client", REPLICA, ()),
    ("a_tcp_match_on_destination_subnets_holding_the_vip_applies_buildSidecarOutboundTCPFilterChainOpts",
     [tcp_to("db-replica.db.svc.cluster.local", match=[{"destinationSubnets": ["10.96.0.0/16"]}])], "app/client",
     REPLICA, ()),
    ("weighted_tcp_destinations_are_reported_as_the_split_buildOutboundNetworkFiltersWithWeightedClusters",
     [{"route": [{"destination": {"host": DB, "port": {"number": 5432}}, "weight": 80},
                 {"destination": {"host": "db-replica.db.svc.cluster.local", "port": {"number": 5432}},
                  "weight": 20}]}], "app/client", f"outbound|5432||{DB}",
     ((f"outbound|5432||{DB}", 80, True), (REPLICA, 20, True))),
]


@pytest.mark.parametrize("routes, source, cluster, split", [c[1:] for c in TCP_CASES], ids=[c[0] for c in TCP_CASES])
def test_tcp_routes(routes, source, cluster, split):
    r = check(sim(*TCP_BASE, tcp_vs(*routes)), source, "tcp://db.db:5432")
    assert (r.verdict.value, r.envoy.cluster, r.envoy.weighted_clusters) == ("ROUTED", cluster, split), r.explanation()
