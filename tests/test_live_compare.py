"""What an observed curl must show for each verdict Envoy answers itself (NO_ROUTE, CLUSTER_NOT_FOUND,
DIRECT_RESPONSE, REDIRECT) to MATCH the prediction, and what makes it DIFFER (``live.compare``).

The predictions come from the simulator (``traffic.check`` on one small mesh); the observations are
what curl prints with ``live check``'s write-out (``http_status``, ``redirect_url``), with ``-i``
(headers on standard output) or ``-v`` (on standard error), or without any status at all.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from sidecar_lab import Simulator, load_text
from sidecar_lab.core.traffic import check
from sidecar_lab.live.compare import Observation, compare, predict, seen_status, split_write_out

from test_live import kube, kubeconfig  # noqa: F401  (fixtures: fakekube and its kubeconfig)

MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: sleep, namespace: shop, labels: {app: sleep}}
spec: {containers: [{name: sleep, image: curl}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: web}
spec: {clusterIP: 10.96.0.10, selector: {app: api}, ports: [{name: http, port: 80}, {name: tcp-db, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: web}
spec: {clusterIP: 10.96.0.11, selector: {app: gw}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: web}
spec:
  hosts: [api]
  http:
  - match: [{uri: {prefix: /redirect}}]
    redirect: {uri: /new, authority: new.example.com}
  - match: [{uri: {prefix: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - match: [{uri: {prefix: /empty}}]
    directResponse: {status: 204}
  - match: [{uri: {prefix: /subset}}]
    route: [{destination: {host: api, subset: v9}}]
  - match: [{uri: {prefix: /known}}]
    route: [{destination: {host: api}}]
  tcp:
  - match: [{port: 5432}]
    route: [{destination: {host: db.nowhere.internal, port: {number: 5432}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gw, namespace: web}
spec:
  parentRefs: [{group: "", kind: Service, name: gw, port: 80}]
  rules: [{backendRefs: [{name: missing, port: 80}]}]
"""

NO_ROUTE = "http://api.web/other"
SUBSET = "http://api.web/subset"
GATEWAY_BACKEND = "http://gw.web/"
TCP_PORT = "http://api.web:5432/"
TEAPOT = "http://api.web/teapot"
EMPTY = "http://api.web/empty"
REDIRECT = "http://api.web/redirect/x"
ROUTED = "http://api.web/known"
BLOCK_ALL_EMPTY = ""  # what curl -s prints for an empty body


@lru_cache(maxsize=None)
def predicted(target: str):
    return check(Simulator(load_text(MESH)), "shop/sleep", target)


def obs(stdout: str = "", status: int | None = None, code: int | None = 0, redirect: str | None = None,
        stderr: str = "") -> Observation:
    return Observation(stdout, stderr, code, source_has_proxy=True, http_status=status, redirect_url=redirect)


def headers(status: int, reason: str, *lines: str, body: str = "") -> str:
    """What curl -i prints."""
    return "\r\n".join([f"HTTP/1.1 {status} {reason}", *lines, "", body])


# (case id, target, the predicted verdict, what curl showed, outcome, a likely cause that must be named)
CASES = [
    # NO_ROUTE: Envoy's 404 with an empty body
    ("no_route_404_empty_matches", NO_ROUTE, "NO_ROUTE", obs("", 404), "match", None),
    ("no_route_404_seen_with_curl_i_matches", NO_ROUTE, "NO_ROUTE",
     obs(headers(404, "Not Found", "content-length: 0", "server: envoy")), "match", None),
    ("no_route_404_seen_with_curl_v_matches", NO_ROUTE, "NO_ROUTE",
     obs("", stderr="> GET /other HTTP/1.1\n< HTTP/1.1 404 Not Found\n< server: envoy\n"), "match", None),
    ("no_route_but_block_all_502_differs", NO_ROUTE, "NO_ROUTE", obs("", 502), "mismatch", "block_all"),
    ("no_route_but_the_application_answered_differs", NO_ROUTE, "NO_ROUTE", obs("hello", 200), "mismatch",
     "configuration not pushed yet"),
    ("no_route_without_a_status_is_not_observed", NO_ROUTE, "NO_ROUTE", obs(""), "not-observed", None),
    # CLUSTER_NOT_FOUND: 503 (500 for a Gateway API route) with an empty body; a TCP proxy closes
    ("missing_subset_503_matches", SUBSET, "CLUSTER_NOT_FOUND", obs("", 503), "match", None),
    ("missing_subset_but_404_differs", SUBSET, "CLUSTER_NOT_FOUND", obs("", 404), "mismatch", "NO_ROUTE"),
    ("missing_subset_but_routed_differs", SUBSET, "CLUSTER_NOT_FOUND", obs("from v9", 200), "mismatch",
     "configuration not pushed yet"),
    ("missing_gateway_api_backend_500_matches", GATEWAY_BACKEND, "CLUSTER_NOT_FOUND", obs("", 500), "match", None),
    ("missing_gateway_api_backend_but_503_differs", GATEWAY_BACKEND, "CLUSTER_NOT_FOUND", obs("", 503), "mismatch",
     "no healthy endpoint"),
    ("missing_tcp_cluster_closed_exit_52_matches", TCP_PORT, "CLUSTER_NOT_FOUND", obs("", 0, code=52), "match", None),
    ("missing_tcp_cluster_but_an_http_answer_differs", TCP_PORT, "CLUSTER_NOT_FOUND", obs("", 503), "mismatch",
     "curl exited 0, not 52"),
    # DIRECT_RESPONSE: its status and its body as written
    ("direct_response_status_and_body_match", TEAPOT, "DIRECT_RESPONSE", obs("short and stout", 418), "match", None),
    ("direct_response_body_with_curl_i_matches", TEAPOT, "DIRECT_RESPONSE",
     obs(headers(418, "I'm a teapot", "content-type: text/plain", body="short and stout")), "match", None),
    ("direct_response_other_status_differs", TEAPOT, "DIRECT_RESPONSE", obs("short and stout", 200), "mismatch",
     "HTTP 200 instead of 418"),
    ("direct_response_other_body_differs", TEAPOT, "DIRECT_RESPONSE", obs("tall and thin", 418), "mismatch",
     "another body than the directResponse"),
    ("direct_response_without_body_prints_nothing_matches", EMPTY, "DIRECT_RESPONSE", obs("", 204), "match", None),
    ("direct_response_without_body_but_a_body_differs", EMPTY, "DIRECT_RESPONSE", obs("hello", 204), "mismatch",
     "configuration not pushed yet"),
    ("direct_response_without_a_status_is_not_observed", TEAPOT, "DIRECT_RESPONSE", obs("short and stout"),
     "not-observed", None),
    # REDIRECT: the 3xx, its Location, nothing printed
    ("redirect_301_to_the_location_matches", REDIRECT, "REDIRECT", obs("", 301, redirect="http://new.example.com/new"),
     "match", None),
    ("redirect_location_with_default_port_matches", REDIRECT, "REDIRECT",
     obs("", 301, redirect="http://new.example.com:80/new"), "match", None),
    ("redirect_seen_with_curl_i_matches", REDIRECT, "REDIRECT",
     obs(headers(301, "Moved Permanently", "location: http://new.example.com/new", "server: envoy")), "match", None),
    ("redirect_to_another_location_differs", REDIRECT, "REDIRECT", obs("", 301, redirect="http://old.example.com/new"),
     "mismatch", "the redirect points to http://old.example.com/new"),
    ("redirect_with_another_code_differs", REDIRECT, "REDIRECT", obs("", 302, redirect="http://new.example.com/new"),
     "mismatch", "a redirect (REDIRECT)"),
    ("redirect_followed_with_curl_L_differs", REDIRECT, "REDIRECT", obs("welcome", 200), "mismatch",
     "with -L (--location) curl follows it"),
    ("redirect_without_a_status_is_not_observed", REDIRECT, "REDIRECT", obs(""), "not-observed", None),
    # the application's answer: its status is its own, never compared
    ("routed_any_status_of_the_application_matches", ROUTED, "ROUTED", obs("not here", 404), "match", None),
]


@pytest.mark.parametrize("target, verdict, observation, outcome, cause", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_what_curl_must_show_for_each_verdict_envoy_answers_itself(target, verdict, observation, outcome, cause):
    result = predicted(target)
    assert result.verdict.value == verdict
    comparison = compare(result, observation)
    assert comparison.outcome == outcome, comparison.text()
    assert comparison.match == (outcome == "match")
    if cause is not None:
        assert any(cause in c for c in comparison.likely_causes), comparison.likely_causes
    if outcome == "not-observed":
        assert "HTTP status was not seen" in comparison.not_observed and comparison.likely_causes == ()


def test_the_prediction_names_the_status_location_and_body():
    assert predict(predicted(REDIRECT)).summary == \
        "REDIRECT: HTTP 301 to http://new.example.com/new, prints nothing, curl exits 0"
    assert predict(predicted(TEAPOT)).summary == "DIRECT_RESPONSE: HTTP 418, prints 'short and stout', curl exits 0"
    assert predict(predicted(NO_ROUTE)).summary == "NO_ROUTE: HTTP 404, prints nothing, curl exits 0"
    data = compare(predicted(REDIRECT), obs("", 301, redirect="http://new.example.com/new")).to_json()
    assert data["predicted"]["http_status"] == 301 and data["predicted"]["location"] == "http://new.example.com/new"
    assert data["observed"]["http_status"] == 301 and data["observed"]["redirect_url"] == "http://new.example.com/new"
    assert data["outcome"] == "match"


def test_a_no_route_for_an_ip_path_predicts_nothing_printed_not_httpbins_origin():
    result = check(Simulator(load_text(MESH)), "shop/sleep", "http://api.web/ip")
    assert result.verdict.value == "NO_ROUTE" and predict(result).prints == "nothing"


@pytest.mark.parametrize("stdout, expected", [
    ("body\n\n[sidecar-lab] 404 \n", ("body\n", 404, None)),
    ("\n[sidecar-lab] 000 \n", ("", 0, None)),
    ("\n[sidecar-lab] 301 http://x.example/a?b=1\n", ("", 301, "http://x.example/a?b=1")),
    ("[sidecar-lab] 200 but not at the end\nmore", ("[sidecar-lab] 200 but not at the end\nmore", None, None)),
])
def test_live_checks_write_out_is_read_and_taken_off_what_curl_printed(stdout, expected):
    assert split_write_out(stdout) == expected


def test_a_status_line_in_the_body_is_not_a_status():
    assert seen_status(obs("the page says HTTP/1.1 404 somewhere")) == (None, None)


def test_the_text_says_why_a_status_that_was_not_seen_is_not_observed():
    text = compare(predicted(NO_ROUTE), obs("")).text()
    assert "result:    COULD NOT OBSERVE" in text and "not seen:  curl's HTTP status was not seen" in text


# -- through the command, against fakekube -------------------------------------------------------------

def live_mesh(kube) -> None:
    import yaml

    kube.install_istio_crds()
    kube.install_gateway_api_crds()
    docs = [d for d in yaml.safe_load_all(MESH) if d]
    for doc in docs:
        if doc["kind"] == "Pod":
            doc["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.0"})
    kube.load(docs)


@pytest.mark.parametrize("curl_args, exit_code, result", [
    ("-s", 0, "result:    MATCH"),  # live check's write-out shows the 404
    ("-s -w ''", 4, "result:    COULD NOT OBSERVE"),  # the user's own (empty) write-out: no status seen
])
def test_live_check_of_a_no_route_request_reads_curls_status(kube, kubeconfig, capsys, curl_args, exit_code, result):
    pytest.importorskip("kubernetes")
    from test_live import curl_reply, run

    live_mesh(kube)
    kube.exec_handler = lambda ns, pod, container, command: curl_reply(command, "", 404)
    code, out, _ = run(capsys, ["live", "check", "--kubeconfig", kubeconfig, "--from", "shop/sleep",
                                "--to", NO_ROUTE, f"--curl-args={curl_args}"])
    assert code == exit_code and "verdict: NO_ROUTE" in out and result in out, out
