"""ExternalName Services are aliases (``kube/conversion.go`` ``ConvertService``: resolution Alias).

No listener, no cluster and no virtual host of their own; ``resolveServiceAliases`` hands their names
to the concrete service, whose virtual host takes them as domains (``generateVirtualHostDomains``),
and ``GetDestinationCluster`` sends a route to an alias to the concrete cluster. The first table is
transcribed from ``TestExternalNameServices`` in ``pilot/pkg/networking/core/sidecar_simulation_test.go``.
"""

import pytest

from builders import external_name, ns, pod, se, sidecar, sim, svc, vs_spec
from sidecar_lab.core.envoy import outbound_clusters
from sidecar_lab.core.traffic import check

CONCRETE = "concrete.default.svc.cluster.local"
PORTS = ((80, "http"), (81, "auto"), (82, "tcp"), (83, "tls"), (84, "https"))
BASE = (ns("default"), pod("client", "default", {"app": "client"}),
        external_name("alias", "default", CONCRETE),
        svc("concrete", "default", ports=PORTS, cluster_ip="1.2.3.4", selector={"app": "concrete"}))

# TestExternalNameServices, first part: every call reaches outbound|P||concrete.
# (target as curl would send it, header Host if the Istio call sets one)
CALLS = [
    ("http-80", "http://alias.default.svc.cluster.local:80/", 80),
    ("http-81", "http://alias.default.svc.cluster.local:81/", 81),
    ("http-over-tls-81", "https://alias.default.svc.cluster.local:81/", 81),
    ("tcp-81", "tcp://1.2.3.4:81", 81),
    ("tcp-82", "tcp://1.2.3.4:82", 82),
    ("tls-83-short-name", "https://alias.default:83", 83),
    ("https-84-short-name", "https://alias.default:84", 84),
]


@pytest.mark.parametrize("target, port", [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_alias_reaches_the_concrete_cluster_TestExternalNameServices(target, port):
    r = check(sim(*BASE), "default/client", target)
    assert (r.verdict.value, r.envoy.cluster) == ("ROUTED", f"outbound|{port}||{CONCRETE}"), r.explanation()


VS_ON_ALIAS = vs_spec("alias", "default", hosts=["alias.default.svc.cluster.local"], http=[
    {"name": "route1", "match": [{"uri": {"prefix": "/one"}}], "route": [{"destination": {"host": CONCRETE}}]}])
TCP_VS_ON_ALIAS = vs_spec("alias", "default", hosts=["alias.default.svc.cluster.local"], tcp=[
    {"route": [{"destination": {"host": CONCRETE, "port": {"number": 80}}}]}])

# TestExternalNameServices, HTTP and TCP routes: (name, VirtualService, target, route entry, cluster)
ROUTES = [
    ("HTTP virtual service applies to alias fqdn", VS_ON_ALIAS, "http://alias.default.svc.cluster.local/one",
     "route1", f"outbound|80||{CONCRETE}"),
    ("HTTP virtual service does not apply to alias without exact match", VS_ON_ALIAS, "http://alias.default/one",
     "default", f"outbound|80||{CONCRETE}"),
    ("HTTP virtual service of alias does not apply to concrete", VS_ON_ALIAS, f"http://{CONCRETE}/one",
     "default", f"outbound|80||{CONCRETE}"),
    ("Auto virtual service applies to alias fqdn", VS_ON_ALIAS, "http://alias.default.svc.cluster.local:81/one",
     "default", f"outbound|81||{CONCRETE}"),
    ("Auto virtual service does not apply to alias without exact match", VS_ON_ALIAS, "http://alias.default:81/one",
     "default", f"outbound|81||{CONCRETE}"),
    ("Auto virtual service of alias does not apply to concrete", VS_ON_ALIAS, f"http://{CONCRETE}:81/one",
     "default", f"outbound|81||{CONCRETE}"),
    ("TCP virtual services do not apply", TCP_VS_ON_ALIAS, "tcp://1.2.3.4:82", None, f"outbound|82||{CONCRETE}"),
]


@pytest.mark.parametrize("vs, target, entry, cluster", [c[1:] for c in ROUTES], ids=[c[0] for c in ROUTES])
def test_routes_on_an_alias_TestExternalNameServices_generateVirtualHostDomains(vs, target, entry, cluster):
    r = check(sim(*BASE, vs), "default/client", target)
    assert (r.envoy.route_entry, r.envoy.cluster) == (entry, cluster), r.explanation()


def test_an_alias_has_no_cluster_and_no_listener_of_its_own_buildOutboundClusters():
    s = sim(*BASE)
    scope = s.scope_for(None, "default")
    clusters = outbound_clusters(s, scope)
    assert not [c for c in clusters if "alias.default" in c]
    assert f"outbound|80||{CONCRETE}" in clusters
    visible = {v.host: v for v in s.resolve("default/client").visible_services}
    assert visible["alias.default.svc.cluster.local"].alias_for == CONCRETE
    assert visible[CONCRETE].aliases == ("alias.default.svc.cluster.local",)


# resolveServiceAliases and matchingAliasService: (situation, extra objects, target, verdict, cluster)
ALIAS_RULES = [
    ("an_alias_of_an_alias_reaches_the_concrete_service_resolveServiceAliases",
     [external_name("outer", "default", "alias.default.svc.cluster.local")], "http://outer.default/",
     "ROUTED", f"outbound|80||{CONCRETE}"),
    ("an_alias_of_a_service_entry_host_is_a_domain_of_its_virtual_host_resolveServiceAliases",
     [external_name("ext", "default", "httpbin.org"),
      se("httpbin", "default", hosts=["httpbin.org"], ports=((80, "HTTP"),))], "http://ext.default/get",
     "ROUTED", "outbound|80||httpbin.org"),
    ("an_alias_the_sidecar_does_not_import_is_not_a_domain_matchingAliasService",
     [sidecar("d", "default", egress=[{"hosts": [f"default/{CONCRETE}"]}], otp={"mode": "REGISTRY_ONLY"})],
     "http://alias.default/", "BLOCKED", None),
    ("an_alias_the_sidecar_imports_is_a_domain_matchingAliasService",
     [sidecar("d", "default", egress=[{"hosts": [f"default/{CONCRETE}", "default/alias.default.svc.cluster.local"]}],
              otp={"mode": "REGISTRY_ONLY"})], "http://alias.default/", "ROUTED", f"outbound|80||{CONCRETE}"),
    ("an_alias_loop_resolves_nowhere_resolveServiceAliases",
     [external_name("a", "default", "b.default.svc.cluster.local"),
      external_name("b", "default", "a.default.svc.cluster.local")], "http://a.default/", "DNS_FAILURE", None),
]


@pytest.mark.parametrize("extra, target, verdict, cluster", [c[1:] for c in ALIAS_RULES],
                         ids=[c[0] for c in ALIAS_RULES])
def test_alias_rules(extra, target, verdict, cluster):
    r = check(sim(*BASE, *extra), "default/client", target)
    assert (r.verdict.value, r.envoy.cluster) == (verdict, cluster), r.explanation()


def test_a_route_to_an_alias_goes_to_the_concrete_cluster_GetDestinationCluster():
    front = svc("front", "default", ports=((80, "http"),), cluster_ip="10.0.0.9", selector={"app": "front"})
    to_alias = vs_spec("to-alias", "default", hosts=["front.default.svc.cluster.local"],
                       http=[{"route": [{"destination": {"host": "alias.default.svc.cluster.local",
                                                         "port": {"number": 80}}}]}])
    alias_with_port = external_name("alias", "default", CONCRETE, ports=((80, "http"),))
    s = sim(ns("default"), pod("client", "default", {"app": "client"}), alias_with_port,
            svc("concrete", "default", ports=PORTS, cluster_ip="1.2.3.4"), front, to_alias)
    r = check(s, "default/client", "http://front.default/")
    assert (r.verdict.value, r.envoy.cluster) == ("ROUTED", f"outbound|80||{CONCRETE}"), r.explanation()

