"""Route evaluation in ``check``: which route of a virtual host takes a request, and what it does.

istiod translates each ``http[].match[]`` (``route/route.go`` ``TranslateRoute``, ``TranslateRouteMatch``)
and drops, for this proxy, the matches whose ``port``, ``sourceLabels`` or ``sourceNamespace`` exclude
it (``sourceMatchHTTP``); routes after a catch-all are dropped (``BuildHTTPRoutesForVirtualService``).
Envoy then takes the first route whose match holds: ``prefix`` on the whole path, ``exact`` and
``regex`` (a full match) on the path without its query, headers (exact, prefix, regex, presence),
``:method``; no route is Envoy's 404. ``ApplyRedirect``, ``ApplyDirectResponse`` and weighted
destinations (``applyHTTPRouteDestination``) are what the route does.
"""

import pytest

from builders import ns, pod, sim, svc, vs_spec
from sidecar_lab.cli import main
from sidecar_lab.core.traffic import check

API = "api.app.svc.cluster.local"
BASE = (ns("app"), ns("other"), pod("client", "app", {"app": "client", "version": "canary"}),
        pod("plain", "app", {"app": "plain"}), pod("far", "other", {"app": "far"}),
        svc("api", "app", ports=((8080, "http"),), cluster_ip="10.96.0.10"),
        *(svc(f"api-{v}", "app", ports=((8080, "http"),), cluster_ip=f"10.96.0.1{i}") for i, v in
          enumerate(("a", "b", "c"), start=1)))
A, B, C = (f"outbound|8080||api-{v}.app.svc.cluster.local" for v in "abc")
DEFAULT = f"outbound|8080||{API}"


def to(version, **extra):
    return {"name": version, "route": [{"destination": {"host": f"api-{version}"}}], **extra}


def api_vs(*routes):
    return vs_spec("api", "app", hosts=["api"], http=list(routes))


# (situation, routes, source, target, headers, method, verdict, route entry, cluster)
CASES = [
    ("prefix_matches_the_start_of_the_path_TranslateRouteMatch",
     [to("a", match=[{"uri": {"prefix": "/v1"}}]), to("b")], "app/client", "/v1/items", (), "GET", "ROUTED", "a", A),
    ("prefix_is_not_a_path_segment_for_a_virtual_service_TranslateRouteMatch",
     [to("a", match=[{"uri": {"prefix": "/v1"}}]), to("b")], "app/client", "/v10", (), "GET", "ROUTED", "a", A),
    ("exact_ignores_the_query_string_TranslateRouteMatch",
     [to("a", match=[{"uri": {"exact": "/login"}}]), to("b")], "app/client", "/login?next=/", (), "GET", "ROUTED",
     "a", A),
    ("exact_does_not_match_a_longer_path_TranslateRouteMatch",
     [to("a", match=[{"uri": {"exact": "/login"}}]), to("b")], "app/client", "/login/x", (), "GET", "ROUTED", "b", B),
    ("regex_must_match_the_whole_path_TranslateRouteMatch",
     [to("a", match=[{"uri": {"regex": "/items/[0-9]+"}}]), to("b")], "app/client", "/items/42x", (), "GET",
     "ROUTED", "b", B),
    ("regex_matches_the_path_without_query_TranslateRouteMatch",
     [to("a", match=[{"uri": {"regex": "/items/[0-9]+"}}]), to("b")], "app/client", "/items/42?x=1", (), "GET",
     "ROUTED", "a", A),
    ("ignore_uri_case_TranslateRouteMatch",
     [to("a", match=[{"uri": {"prefix": "/v1"}, "ignoreUriCase": True}]), to("b")], "app/client", "/V1/x", (),
     "GET", "ROUTED", "a", A),
    ("exact_header_match_translateHeaderMatch",
     [to("a", match=[{"headers": {"x-user": {"exact": "a"}}}]), to("b")], "app/client", "/", ("x-user: a",), "GET",
     "ROUTED", "a", A),
    ("header_names_are_case_insensitive_translateHeaderMatch",
     [to("a", match=[{"headers": {"X-User": {"exact": "a"}}}]), to("b")], "app/client", "/", ("x-USER: a",), "GET",
     "ROUTED", "a", A),
    ("header_values_are_case_sensitive_translateHeaderMatch",
     [to("a", match=[{"headers": {"x-user": {"exact": "a"}}}]), to("b")], "app/client", "/", ("x-user: A",), "GET",
     "ROUTED", "b", B),
    ("header_prefix_and_regex_translateHeaderMatch",
     [to("a", match=[{"headers": {"x-user": {"prefix": "ad"}}}]),
      to("b", match=[{"headers": {"x-user": {"regex": "u[0-9]+"}}}]), to("c")], "app/client", "/", ("x-user: u17",),
     "GET", "ROUTED", "b", B),
    ("an_empty_header_match_asks_only_for_presence_canBeConvertedToPresentMatch",
     [to("a", match=[{"headers": {"x-debug": {}}}]), to("b")], "app/client", "/", ("x-debug: 0",), "GET", "ROUTED",
     "a", A),
    ("without_headers_inverts_the_match_TranslateRouteMatch",
     [to("a", match=[{"withoutHeaders": {"x-user": {"exact": "a"}}}]), to("b")], "app/client", "/", ("x-user: a",),
     "GET", "ROUTED", "b", B),
    ("method_match_TranslateRouteMatch",
     [to("a", match=[{"method": {"exact": "POST"}}]), to("b")], "app/client", "/", (), "POST", "ROUTED", "a", A),
    ("method_match_misses_a_get_TranslateRouteMatch",
     [to("a", match=[{"method": {"exact": "POST"}}]), to("b")], "app/client", "/", (), "GET", "ROUTED", "b", B),
    ("a_match_for_another_port_is_dropped_TranslateRoute",
     [to("a", match=[{"port": 9090}]), to("b")], "app/client", "/", (), "GET", "ROUTED", "b", B),
    ("a_match_for_this_port_applies_TranslateRoute",
     [to("a", match=[{"port": 8080}]), to("b")], "app/client", "/", (), "GET", "ROUTED", "a", A),
    ("source_labels_select_the_client_sourceMatchHTTP",
     [to("a", match=[{"sourceLabels": {"version": "canary"}}]), to("b")], "app/client", "/", (), "GET", "ROUTED",
     "a", A),
    ("source_labels_skip_another_client_sourceMatchHTTP",
     [to("a", match=[{"sourceLabels": {"version": "canary"}}]), to("b")], "app/plain", "/", (), "GET", "ROUTED",
     "b", B),
    ("source_namespace_selects_the_clients_namespace_sourceMatchHTTP",
     [to("a", match=[{"sourceNamespace": "other"}]), to("b")], "other/far", "/", (), "GET", "ROUTED", "a", A),
    ("source_namespace_skips_other_namespaces_sourceMatchHTTP",
     [to("a", match=[{"sourceNamespace": "other"}]), to("b")], "app/client", "/", (), "GET", "ROUTED", "b", B),
    ("a_virtual_service_with_no_route_for_this_client_leaves_the_service_route_BuildHTTPRoutesForVirtualService",
     [to("a", match=[{"sourceLabels": {"version": "canary"}}])], "app/plain", "/", (), "GET", "ROUTED", "default",
     DEFAULT),
    ("no_matching_route_is_envoys_404_select_route",
     [to("a", match=[{"uri": {"prefix": "/v1"}}])], "app/client", "/v2", (), "GET", "NO_ROUTE", None, None),
    ("routes_after_a_catch_all_are_dropped_BuildHTTPRoutesForVirtualService",
     [to("a", match=[{"headers": {"x-user": {"exact": "z"}}}, {"uri": {"prefix": "/"}}]), to("b")], "app/client",
     "/", (), "GET", "ROUTED", "a", A),
    ("the_first_route_in_order_wins_not_the_most_specific",
     [to("a", match=[{"uri": {"prefix": "/"}}, ]), to("b", match=[{"uri": {"exact": "/x"}}])], "app/client", "/x",
     (), "GET", "ROUTED", "a", A),
    ("direct_response_ApplyDirectResponse",
     [{"name": "gone", "match": [{"uri": {"prefix": "/old"}}], "directResponse": {"status": 410,
                                                                                  "body": {"string": "gone"}}},
      to("b")], "app/client", "/old", (), "GET", "DIRECT_RESPONSE", "gone", None),
    ("redirect_ApplyRedirect",
     [{"name": "moved", "match": [{"uri": {"prefix": "/old"}}], "redirect": {"uri": "/new", "authority": "api-b"}},
      to("b")], "app/client", "/old", (), "GET", "REDIRECT", "moved", None),
]


@pytest.mark.parametrize("routes, source, path, headers, method, verdict, entry, cluster",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_route_evaluation(routes, source, path, headers, method, verdict, entry, cluster):
    r = check(sim(*BASE, api_vs(*routes)), source, f"http://api.app:8080{path}", headers=list(headers), method=method)
    assert r.verdict.value == verdict, r.explanation()
    assert (r.envoy.route_entry, r.envoy.cluster) == (entry, cluster), r.explanation()


def test_envoys_404_has_an_empty_body():
    r = check(sim(*BASE, api_vs(to("a", match=[{"uri": {"prefix": "/v1"}}]))), "app/client", "http://api.app:8080/")
    assert (r.http_status, r.curl_exit) == (404, 0) and "404" in r.client_sees


def test_direct_response_reports_status_and_body():
    gone = {"name": "gone", "directResponse": {"status": 410, "body": {"string": "gone"}}}
    r = check(sim(*BASE, api_vs(gone)), "app/client", "http://api.app:8080/x")
    assert r.http_status == 410 and "'gone'" in r.client_sees


@pytest.mark.parametrize("redirect, location, code", [
    ({"uri": "/new", "authority": "api-b"}, "http://api-b/new", 301),
    ({"uri": "/new", "redirectCode": 308}, "http://api.app:8080/new", 308),
    ({"scheme": "https", "port": 443}, "https://api.app:8080/old", 301),
    ({"scheme": "https", "port": 8443}, "https://api.app:8443/old", 301),
    ({"authority": "api-b", "derivePort": "FROM_REQUEST_PORT"}, "http://api-b:8080/old", 301),
], ids=["uri_and_authority", "redirect_code", "https_default_port_keeps_the_request_port",
        "explicit_port_replaces_the_request_port", "derive_port_from_request"])
def test_redirect_location_ApplyRedirect(redirect, location, code):
    r = check(sim(*BASE, api_vs({"redirect": redirect})), "app/client", "http://api.app:8080/old")
    assert (r.verdict.value, r.http_status) == ("REDIRECT", code)
    assert location in r.client_sees


def test_weighted_destinations_are_reported_as_the_split_applyHTTPRouteDestination():
    split = {"name": "split", "route": [{"destination": {"host": "api-a"}, "weight": 90},
                                        {"destination": {"host": "api-b"}, "weight": 10},
                                        {"destination": {"host": "api-c"}, "weight": 0}]}
    r = check(sim(*BASE, api_vs(split)), "app/client", "http://api.app:8080/")
    assert r.verdict.value == "ROUTED" and r.envoy.cluster == A
    assert r.envoy.weighted_clusters == ((A, 90, True), (B, 10, True))


def test_weighted_split_flags_a_missing_cluster():
    split = {"route": [{"destination": {"host": "api-a"}, "weight": 50},
                       {"destination": {"host": "api-a", "subset": "v9"}, "weight": 50}]}
    r = check(sim(*BASE, api_vs(split)), "app/client", "http://api.app:8080/")
    assert r.envoy.weighted_clusters == ((A, 50, True), ("outbound|8080|v9|api-a.app.svc.cluster.local", 50, False))


def test_mirror_is_reported_TranslateRequestMirrorPolicy():
    r = check(sim(*BASE, api_vs(to("a", mirror={"host": "api-b"}))), "app/client", "http://api.app:8080/")
    assert r.envoy.mirrors == (B,)


def test_the_command_takes_headers_and_method(tmp_path, capsys):
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all([*BASE, api_vs(to("a", match=[{"headers": {"x-user": {"exact": "a"}},
                                                                      "method": {"exact": "PUT"}}]), to("b"))]))
    assert main(["check", str(path), "--from", "app/client", "--to", "http://api.app:8080/", "-H", "x-user: a",
                 "-X", "PUT", "--format", "json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert (out["envoy"]["route_entry"], out["to"]["method"], out["to"]["headers"]) == ("a", "PUT", {"x-user": "a"})


@pytest.mark.parametrize("args, words", [
    (["-H", "no colon"], "malformed header"),
    (["-X", "P O"], "malformed method"),
])
def test_malformed_header_or_method_is_one_error_line(tmp_path, capsys, args, words):
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all(list(BASE)))
    assert main(["check", str(path), "--from", "app/client", "--to", "http://api.app:8080/", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and words in err and "Traceback" not in err


def test_a_matrix_keeps_sources_apart_when_a_route_reads_their_labels_source_key():
    # sourceMatchHTTP makes the route depend on the client's labels: two pods of one scope differ.
    from sidecar_lab.core.traffic import matrix_cells, source_key

    s = sim(*BASE, api_vs(to("a", match=[{"sourceLabels": {"version": "canary"}}]), to("b")))
    sources = [s.workload("app/client"), s.workload("app/plain")]
    assert source_key(s, sources[0]) != source_key(s, sources[1])
    cells, _ = matrix_cells(s, sources, ["http://api.app:8080/"])
    assert [row[0]["cluster"] for row in cells] == [A, B]
    assert [row[0]["cluster"] for row in cells] == [check(s, w, "http://api.app:8080/").envoy.cluster for w in sources]
