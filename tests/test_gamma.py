"""Gateway API for the mesh (GAMMA): an HTTPRoute whose parent is a Service acts as a VirtualService
for sidecars, converted as istiod converts it (``pilot/pkg/config/kube/gateway``: ``HTTPRouteCollection``,
``convertHTTPRoute``, ``mergeHTTPRoutes``, ``sortHTTPRoutes``), and routed with Gateway API semantics
(``route/route.go``: path-separated prefixes, 500 for a missing backend; ``SelectVirtualServices`` and
``buildSidecarVirtualHostsForVirtualService``: the consumer's namespace first, and only routes of the
service's or the client's namespace apply).
"""

import pytest

from builders import httproute, mesh, ns, pod, sim, svc
from sidecar_lab.core.traffic import check
from sidecar_lab.core.vsindex import convert_http_routes

D = "cluster.local"


def backend(name, port=80, namespace=None, **extra):
    ref = {"name": name, "port": port, **extra}
    if namespace:
        ref["namespace"] = namespace
    return ref


# pilot/pkg/config/kube/gateway/testdata/mesh.yaml (the HTTPRoutes with Service parents)
GOLDEN_INPUT = [
    ns("default"), ns("apple"),
    *(svc(n, "default", ports=((80, "http"), (8080, "http"))) for n in ("echo", "echo-1", "echo-2", "echo-port",
                                                                       "example")),
    svc("httpbin-apple", "apple", ports=((80, "http"),)),
    httproute("echo", "default", [("echo", "default")], [{"backendRefs": [backend("echo")]}]),
    httproute("dual", "default", [("example", "default")], [{"backendRefs": [backend("example")]}],
              hostnames=["foo.example.com"]),
    httproute("header", "default", [("echo", "default")], [{
        "matches": [{"path": {"type": "PathPrefix", "value": "/path"}}],
        "filters": [{"type": "RequestHeaderModifier",
                     "requestHeaderModifier": {"add": [{"name": "my-added-header", "value": "added-value"}]}}],
        "backendRefs": [backend("echo")]}]),
    httproute("echo-port", "default", [("echo-port", "default", 80)], [{"backendRefs": [backend("echo")]}]),
    httproute("multi-service", "default", [("echo-1", "default", 80), ("echo-1", "default", 8080),
                                           ("echo-2", "default")], [{"backendRefs": [backend("echo")]}]),
    httproute("consumer-override", "default", [("httpbin-apple", "apple", 80)],
              [{"backendRefs": [backend("httpbin-apple", namespace="apple")]}]),
]

# mesh.yaml.golden: (name, namespace, host, [(route name, match port, uri prefix, destination host:port)])
GOLDEN = [
    ("default~8080~echo-1.default.svc.cluster.local", "default", f"echo-1.default.svc.{D}",
     [("default.multi-service.0", 8080, None, f"echo.default.svc.{D}:80")]),
    ("default~80~echo-1.default.svc.cluster.local", "default", f"echo-1.default.svc.{D}",
     [("default.multi-service.0", 80, None, f"echo.default.svc.{D}:80")]),
    ("default~80~echo-port.default.svc.cluster.local", "default", f"echo-port.default.svc.{D}",
     [("default.echo-port.0", 80, None, f"echo.default.svc.{D}:80")]),
    ("default~80~httpbin-apple.apple.svc.cluster.local", "default", f"httpbin-apple.apple.svc.{D}",
     [("default.consumer-override.0", 80, None, f"httpbin-apple.apple.svc.{D}:80")]),
    ("default~echo-2.default.svc.cluster.local", "default", f"echo-2.default.svc.{D}",
     [("default.multi-service.0", None, None, f"echo.default.svc.{D}:80")]),
    ("default~echo.default.svc.cluster.local", "default", f"echo.default.svc.{D}",
     [("default.header.0", None, "/path", f"echo.default.svc.{D}:80"),
      ("default.echo.0", None, None, f"echo.default.svc.{D}:80")]),
    ("default~example.default.svc.cluster.local", "default", f"example.default.svc.{D}",
     [("default.dual.0", None, None, f"example.default.svc.{D}:80")]),
]


def _summary(vs):
    routes = []
    for r in vs.http:
        m = r.match[0] if r.match else None
        dest = r.route[0].destination
        routes.append((r.name, (m.port or None) if m else None, m.uri.value if m and m.uri else None,
                       f"{dest.host}:{dest.port}"))
    return (vs.name, vs.namespace, vs.hosts[0], routes)


def test_mesh_virtual_services_match_istios_golden_HTTPRouteCollection_mergeHTTPRoutes():
    got = sorted(_summary(vs) for vs in convert_http_routes(mesh(*GOLDEN_INPUT), D))
    want = sorted((n, ns_, h, [(a, b, None if c is None else c, d) for a, b, c, d in routes])
                  for n, ns_, h, routes in GOLDEN)
    # The golden's "header" route has a prefix match /path; a route without matches has none.
    assert got == want
    assert all(vs.gateways == ("mesh",) and vs.gateway_semantics for vs in convert_http_routes(mesh(*GOLDEN_INPUT), D))


CLIENTS = (ns("app"), ns("shop"), ns("else"), pod("client", "app", {"app": "client"}),
           pod("buyer", "shop", {"app": "buyer"}),
           *(svc(n, "shop", ports=((8080, "http"),), cluster_ip=f"10.96.2.{i}") for i, n in
             enumerate(("cart", "cart-v2", "cart-v3"), start=1)))
CART = "cart.shop.svc.cluster.local"


def cart_route(name, namespace="shop", rules=None, port=None, created=None):
    return httproute(name, namespace, [("cart", "shop", port)], rules or [{"backendRefs": [backend("cart-v2",
                                                                                                   8080, "shop")]}],
                     created=created)


def prefix(value, *backends, kind="PathPrefix"):
    return {"matches": [{"path": {"type": kind, "value": value}}], "backendRefs": list(backends)}


# (situation, routes, source, path, verdict, cluster)
CASES = [
    ("a_producer_route_applies_to_every_client_convertHTTPRoute",
     [cart_route("r")], "app/client", "/", "ROUTED", f"outbound|8080||cart-v2.shop.svc.{D}"),
    ("a_prefix_matches_a_whole_path_segment_TranslateRouteMatch_PathSeparatedPrefix",
     [cart_route("r", rules=[prefix("/api/", backend("cart-v2", 8080))])], "app/client", "/api/items", "ROUTED",
     f"outbound|8080||cart-v2.shop.svc.{D}"),
    ("a_prefix_matches_the_exact_segment_TranslateRouteMatch_PathSeparatedPrefix",
     [cart_route("r", rules=[prefix("/api", backend("cart-v2", 8080))])], "app/client", "/api", "ROUTED",
     f"outbound|8080||cart-v2.shop.svc.{D}"),
    ("a_prefix_does_not_match_inside_a_segment_TranslateRouteMatch_PathSeparatedPrefix",
     [cart_route("r", rules=[prefix("/api", backend("cart-v2", 8080))])], "app/client", "/apix", "NO_ROUTE", None),
    ("exact_beats_an_older_prefix_across_routes_sortHTTPRoutes",
     [cart_route("old", rules=[prefix("/", backend("cart-v2", 8080))], created="2020-01-01T00:00:00Z"),
      cart_route("new", rules=[prefix("/login", backend("cart-v3", 8080), kind="Exact")],
                 created="2021-01-01T00:00:00Z")],
     "app/client", "/login", "ROUTED", f"outbound|8080||cart-v3.shop.svc.{D}"),
    ("the_longer_prefix_wins_sortHTTPRoutes",
     [cart_route("r", rules=[prefix("/a", backend("cart-v2", 8080)), prefix("/a/b", backend("cart-v3", 8080))])],
     "app/client", "/a/b/c", "ROUTED", f"outbound|8080||cart-v3.shop.svc.{D}"),
    ("a_consumer_route_wins_for_its_own_namespace_SelectVirtualServices",
     [cart_route("producer", created="2020-01-01T00:00:00Z"),
      cart_route("consumer", "app", rules=[{"backendRefs": [backend("cart-v3", 8080, "shop")]}],
                 created="2021-01-01T00:00:00Z")],
     "app/client", "/", "ROUTED", f"outbound|8080||cart-v3.shop.svc.{D}"),
    ("a_consumer_route_does_not_apply_to_other_namespaces_buildSidecarVirtualHostsForVirtualService",
     [cart_route("producer", created="2020-01-01T00:00:00Z"),
      cart_route("consumer", "app", rules=[{"backendRefs": [backend("cart-v3", 8080, "shop")]}],
                 created="2021-01-01T00:00:00Z")],
     "shop/buyer", "/", "ROUTED", f"outbound|8080||cart-v2.shop.svc.{D}"),
    ("a_route_of_an_unrelated_namespace_does_not_apply_buildSidecarVirtualHostsForVirtualService",
     [cart_route("elsewhere", "else", rules=[{"backendRefs": [backend("cart-v3", 8080, "shop")]}])],
     "app/client", "/", "ROUTED", f"outbound|8080||{CART}"),
    ("a_parent_port_limits_the_route_to_that_port_augmentPortMatch",
     [cart_route("r", port=9999)], "app/client", "/", "ROUTED", f"outbound|8080||{CART}"),
    ("a_rule_without_backends_answers_500_convertHTTPRoute",
     [cart_route("r", rules=[{"matches": [{"path": {"value": "/"}}]}])], "app/client", "/", "DIRECT_RESPONSE", None),
    ("a_missing_backend_answers_500_applyHTTPRouteDestination",
     [cart_route("r", rules=[{"backendRefs": [backend("nope", 8080)]}])], "app/client", "/", "CLUSTER_NOT_FOUND",
     f"outbound|8080||nope.shop.svc.{D}"),
    ("a_request_redirect_filter_redirects_createRedirectFilter",
     [cart_route("r", rules=[{"filters": [{"type": "RequestRedirect",
                                           "requestRedirect": {"hostname": "cart-v2.shop", "statusCode": 302}}]}])],
     "app/client", "/", "REDIRECT", None),
    ("an_unsupported_filter_drops_the_whole_route_computeRoute",
     [cart_route("r", rules=[{"filters": [{"type": "ExtensionRef", "extensionRef": {"name": "x"}}],
                              "backendRefs": [backend("cart-v2", 8080)]}])], "app/client", "/", "ROUTED",
     f"outbound|8080||{CART}"),
]


@pytest.mark.parametrize("routes, source, path, verdict, cluster", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gamma_routing(routes, source, path, verdict, cluster):
    r = check(sim(*CLIENTS, *routes), source, f"http://cart.shop:8080{path}")
    assert (r.verdict.value, r.envoy.cluster) == (verdict, cluster), r.explanation()


def test_missing_backend_and_empty_rules_answer_500():
    for rules in ([{"backendRefs": [backend("nope", 8080)]}], [{"matches": [{"path": {"value": "/"}}]}]):
        r = check(sim(*CLIENTS, cart_route("r", rules=rules)), "app/client", "http://cart.shop:8080/")
        assert r.http_status == 500, r.explanation()


def test_a_service_parent_without_the_core_group_is_ignored_with_a_note():
    route = cart_route("r")
    del route["spec"]["parentRefs"][0]["group"]
    m = mesh(*CLIENTS, route)
    assert convert_http_routes(m, D) == []
    assert any("needs group: \"\"" in note for note in m.notes)
