"""What happens to a request (SEMANTICS section 4): listener, route, cluster, and what curl prints."""

import pytest

from builders import mesh_config, ns, pod, se, sidecar, sim, svc
from sidecar_lab import UsageError
from sidecar_lab.core.traffic import check, parse_target

CLIENT = pod("client", "app", {"app": "client"}, ip="10.0.0.5")
BASE = (ns("app"), ns("plain", injected=False), ns("istio-system", injected=False), CLIENT,
        pod("web", "app", {"app": "web"}), svc("web", "app", ports=((8000, "http"),), cluster_ip="10.96.0.20"),
        pod("legacy", "plain", {"app": "legacy"}), svc("legacy", "plain", ports=((8000, "http"),)),
        svc("db", "app", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"), pod("db", "app", {"app": "db"}))
BLOCK, ALLOW = {"mode": "REGISTRY_ONLY"}, {"mode": "ALLOW_ANY"}
HTTP80 = svc("gw", "istio-system", ports=((80, "http2"),), selector={"istio": "ingressgateway"})

# (situation, extra objects, target, verdict, listener, route, cluster, curl exit)
CASES = [
    ("visible_http_service_is_routed", [], "http://web:8000/ip", "ROUTED", "0.0.0.0_8000",
     "web.app.svc.cluster.local:8000", "outbound|8000||web.app.svc.cluster.local", 0),
    ("visible_service_is_routed_the_same_under_registry_only", [sidecar("d", "app", otp=BLOCK)],
     "http://web.app:8000/", "ROUTED", "0.0.0.0_8000", "web.app.svc.cluster.local:8000",
     "outbound|8000||web.app.svc.cluster.local", 0),
    ("tcp_service_with_a_vip_binds_vip_and_port", [], "tcp://db.app:5432", "ROUTED", "10.96.0.30_5432", None,
     "outbound|5432||db.app.svc.cluster.local", 0),
    ("unknown_host_on_an_http_port_under_allow_any_takes_allow_any", [HTTP80], "http://google.com", "PASSTHROUGH",
     "0.0.0.0_80", "allow_any", "PassthroughCluster", 0),
    ("unknown_host_on_an_http_port_under_registry_only_gets_block_all_502", [HTTP80, sidecar("d", "app", otp=BLOCK)],
     "http://google.com", "BLOCKED", "0.0.0.0_80", "block_all", None, 0),
    ("unknown_host_on_a_port_without_http_listener_under_registry_only_is_blackholed",
     [sidecar("d", "app", otp=BLOCK)], "http://google.com", "BLOCKED", "virtualOutbound", None,
     "BlackHoleCluster", 52),
    ("https_to_unknown_host_under_registry_only_is_blackholed_exit_35", [HTTP80, sidecar("d", "app", otp=BLOCK)],
     "https://google.com", "BLOCKED", "virtualOutbound", None, "BlackHoleCluster", 35),
    ("https_to_unknown_host_under_allow_any_passes_through", [], "https://google.com", "PASSTHROUGH",
     "virtualOutbound", None, "PassthroughCluster", 0),
    ("tls_on_an_http_listener_port_goes_to_the_passthrough_chain", [HTTP80, sidecar("d", "app", otp=BLOCK)],
     "https://google.com:80", "BLOCKED", "0.0.0.0_80", None, "BlackHoleCluster", 35),
    ("hidden_in_mesh_service_under_allow_any_is_still_reached",
     [sidecar("d", "app", egress=[{"hosts": ["./*"]}], otp=ALLOW)], "http://legacy.plain:8000/ip", "PASSTHROUGH",
     "0.0.0.0_8000", "allow_any", "PassthroughCluster", 0),
    ("hidden_in_mesh_service_under_registry_only_is_blocked",
     [sidecar("d", "app", egress=[{"hosts": ["./*"]}], otp=BLOCK)], "http://legacy.plain:8000/ip", "BLOCKED",
     "0.0.0.0_8000", "block_all", None, 0),
    ("hidden_service_on_a_port_no_visible_service_uses_is_blackholed",
     [sidecar("d", "app", egress=[{"hosts": ["istio-system/*"]}], otp=BLOCK)], "http://legacy.plain:8000/",
     "BLOCKED", "virtualOutbound", None, "BlackHoleCluster", 52),
    ("service_entry_without_addresses_captures_the_whole_tcp_port",
     [se("mysql", "app", hosts=["mysql.example.com"], ports=((3306, "TCP"),))], "tcp://10.1.2.3:3306", "ROUTED",
     "0.0.0.0_3306", None, "outbound|3306||mysql.example.com", 0),
    ("service_entry_for_https_is_matched_by_sni",
     [se("google", "app", hosts=["google.com"], ports=((443, "HTTPS"),)), sidecar("d", "app", otp=BLOCK)],
     "https://google.com", "ROUTED", "0.0.0.0_443", None, "outbound|443||google.com", 0),
    ("other_sni_on_a_service_entry_port_is_not_captured",
     [se("google", "app", hosts=["google.com"], ports=((443, "HTTPS"),)), sidecar("d", "app", otp=BLOCK)],
     "https://example.org", "BLOCKED", "0.0.0.0_443", None, "BlackHoleCluster", 35),
    ("http_service_entry_is_routed_by_host_header",
     [se("httpbin-org", "app", hosts=["httpbin.org"], ports=((80, "HTTP"),)), sidecar("d", "app", otp=BLOCK)],
     "http://httpbin.org/get", "ROUTED", "0.0.0.0_80", "httpbin.org:80", "outbound|80||httpbin.org", 0),
    ("egress_proxy_takes_unknown_traffic",
     [se("corp-proxy", "app", hosts=["proxy.corp.example.com"], ports=((3128, "TCP"),)),
      sidecar("d", "app", otp={"mode": "ALLOW_ANY", "egressProxy": {"host": "proxy.corp.example.com",
                                                                     "port": {"number": 3128}}})],
     "https://google.com", "PASSTHROUGH", "virtualOutbound", None, "outbound|3128||proxy.corp.example.com", 0),
    # buildOutboundCatchAllNetworkFiltersOnly names the egress proxy's cluster; istiod builds it only
    # for a service the proxy sees, so an unknown egressProxy host leaves the TCP proxy nowhere to go.
    ("egress_proxy_outside_the_registry_has_no_cluster_buildOutboundCatchAllNetworkFiltersOnly",
     [sidecar("d", "app", otp={"mode": "ALLOW_ANY", "egressProxy": {"host": "proxy.corp.example.com",
                                                                     "port": {"number": 3128}}})],
     "https://google.com", "CLUSTER_NOT_FOUND", "virtualOutbound", None, "outbound|3128||proxy.corp.example.com",
     35),
    ("mesh_mode_registry_only_blocks_without_any_sidecar", [HTTP80, mesh_config(mode="REGISTRY_ONLY")],
     "http://google.com", "BLOCKED", "0.0.0.0_80", "block_all", None, 0),
    ("dns_failure_for_an_unknown_cluster_local_name", [], "http://nope.app.svc.cluster.local", "DNS_FAILURE",
     None, None, None, 6),
    ("dns_failure_for_an_unknown_short_name", [], "http://nope", "DNS_FAILURE", None, None, None, 6),
    ("dns_failure_for_an_unknown_name_in_a_known_namespace", [], "http://nope.app:8000", "DNS_FAILURE",
     None, None, None, 6),
    ("port_specific_http_egress_listener_has_its_own_catch_all",
     [svc("admin", "app", ports=((9999, "http"),), cluster_ip="10.96.0.99"),
      sidecar("d", "app", otp=BLOCK, egress=[{"port": {"number": 9999, "protocol": "HTTP", "name": "h"},
                                              "hosts": ["./*"]}, {"hosts": ["./*"]}])],
     "http://google.com:9999", "BLOCKED", "0.0.0.0_9999", "block_all", None, 0),
    # buildSidecarOutboundListeners builds a port-specific listener once per imported service:
    # a port no imported service has gets no listener at all.
    ("port_specific_egress_listener_importing_nothing_builds_no_listener_buildSidecarOutboundListeners",
     [sidecar("d", "app", otp=BLOCK, egress=[{"port": {"number": 9999, "protocol": "HTTP", "name": "h"},
                                              "hosts": ["./*"]}, {"hosts": ["./*"]}])],
     "http://google.com:9999", "BLOCKED", "virtualOutbound", None, "BlackHoleCluster", 52),
]


@pytest.mark.parametrize("extra, target, verdict, listener, route, cluster, exit_code",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_request_outcome(extra, target, verdict, listener, route, cluster, exit_code):
    r = check(sim(*BASE, *extra), "app/client", target)
    assert r.verdict.value == verdict, r.explanation()
    assert (r.envoy.listener, r.envoy.route, r.envoy.cluster) == (listener, route, cluster)
    assert r.curl_exit == exit_code


def test_block_all_is_a_502_with_an_empty_body():
    r = check(sim(*BASE, HTTP80, sidecar("d", "app", otp=BLOCK)), "app/client", "http://google.com")
    assert r.http_status == 502
    assert r.client_sees == "HTTP 502 with an empty body from Envoy; curl prints nothing and exits 0"


def test_scoping_is_not_a_firewall_under_allow_any():
    r = check(sim(*BASE, sidecar("d", "app", egress=[{"hosts": ["./*"]}])), "app/client", "http://legacy.plain:8000")
    keys = [s.key for s in r.steps]
    assert "traffic.not-imported" in keys and "traffic.not-a-firewall" in keys


def test_destination_with_a_sidecar_sees_127_0_0_6():
    r = check(sim(*BASE), "app/client", "http://web.app:8000/ip")
    assert r.destination_sees_source == "127.0.0.6"


def test_destination_without_a_sidecar_sees_the_client_pod_ip():
    r = check(sim(*BASE), "app/client", "http://legacy.plain:8000/ip")
    assert r.destination_sees_source == "10.0.0.5"


def test_client_without_a_proxy_goes_direct():
    s = sim(*BASE, pod("raw", "plain", {"app": "raw"}, ip="10.0.0.9"), sidecar("d", "plain", otp=BLOCK))
    r = check(s, "plain/raw", "http://web.app:8000/ip")
    assert (r.verdict.value, r.envoy.cluster, r.destination_sees_source) == ("DIRECT", None, "127.0.0.6")


def test_short_names_resolve_in_the_clients_namespace_first():
    extra = svc("web", "plain", ports=((8000, "http"),))
    r = check(sim(*BASE, extra), "app/client", "http://web:8000")
    assert r.target.service_host == "web.app.svc.cluster.local"
    r = check(sim(*BASE, extra), "app/client", "http://web.plain:8000")
    assert r.target.service_host == "web.plain.svc.cluster.local"


def test_request_to_a_port_the_service_does_not_have_fails_to_connect():
    r = check(sim(*BASE), "app/client", "http://web.app:9999")
    assert r.verdict.value == "PASSTHROUGH" and r.curl_exit == 7


# (situation, text, expected (scheme, host, port, path))
TARGETS = [
    ("url_with_port_and_path", "http://httpbin.istioinaction:8000/ip", ("http", "httpbin.istioinaction", 8000, "/ip")),
    ("https_default_port", "https://google.com", ("https", "google.com", 443, "/")),
    ("tcp_with_port", "tcp://db.default:5432", ("tcp", "db.default", 5432, "/")),
    ("bare_host_is_plain_http_on_80", "google.com", ("http", "google.com", 80, "/")),
    ("bare_host_and_port", "db.default:5432", ("http", "db.default", 5432, "/")),
    ("ipv6_literal", "http://[::1]:8080/", ("http", "::1", 8080, "/")),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in TARGETS], ids=[c[0] for c in TARGETS])
def test_targets_are_written_like_curl_arguments(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["ftp://x", "tcp://db", "http://x:70000", "http://:80", "", "http://a b"],
                         ids=["unknown_scheme", "tcp_without_port", "port_out_of_range", "no_host", "empty",
                              "space"])
def test_malformed_targets_are_usage_errors(text):
    with pytest.raises(UsageError, match="malformed target"):
        parse_target(text)
