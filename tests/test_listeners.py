"""Outbound listeners as istiod builds them (``pilot/pkg/networking/core/listener.go``).

``buildSidecarOutboundListeners`` / ``buildSidecarOutboundListener``: a port-specific egress listener
without ``bind`` binds the VIP of every TCP (or sniffed) service it imports, and only HTTP takes
``0.0.0.0``; a ServiceEntry address given as a CIDR binds ``0.0.0.0`` with a prefix match (a /32 is a
plain address); ``captureMode: NONE`` binds a real socket on ``bind`` (``127.0.0.1`` when unset),
which iptables-redirected traffic never reaches (``listener_address.go``); Envoy's own ports are
never taken on ``0.0.0.0`` (``CanBindToPort``).
"""

import pytest

from builders import ns, pod, se, sidecar, sim, svc
from sidecar_lab.core.envoy import Proxy, build_listeners
from sidecar_lab.core.traffic import check

BLOCK, ALLOW = {"mode": "REGISTRY_ONLY"}, {"mode": "ALLOW_ANY"}
CLIENT = pod("client", "app", {"app": "client"}, ip="10.0.0.5")
BASE = (ns("app"), CLIENT,
        svc("db", "app", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"),
        svc("cache", "app", ports=((5432, "tcp"),), cluster_ip="10.96.0.31"),
        svc("web", "app", ports=((9000, "http"),), cluster_ip="10.96.0.40"))
DB = "outbound|5432||db.app.svc.cluster.local"


def port_only(number, protocol=None, hosts=("./*",), catch_all=True, **extra):
    """A port-specific egress listener, followed by the port-less ``./*`` one unless ``catch_all`` is False."""
    port = {"number": number, "name": f"p{number}"}
    if protocol:
        port["protocol"] = protocol
    listeners = [{"port": port, "hosts": list(hosts), **extra}]
    return listeners + ([{"hosts": ["./*"]}] if catch_all else [])


# (situation, extra objects, target, headers, verdict, listener, cluster)
CASES = [
    ("tcp_port_listener_binds_each_imported_vip_buildSidecarOutboundListener",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"]))],
     "tcp://db.app:5432", (), "ROUTED", "10.96.0.30_5432", DB),
    ("unknown_traffic_on_a_tcp_port_listener_is_not_captured_by_it_buildSidecarOutboundListener",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"]))],
     "tcp://10.9.9.9:5432", (), "BLOCKED", "virtualOutbound", "BlackHoleCluster"),
    ("unknown_traffic_on_a_tcp_port_listener_passes_through_under_allow_any_buildSidecarOutboundListener",
     [sidecar("d", "app", otp=ALLOW, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"]))],
     "tcp://10.9.9.9:5432", (), "PASSTHROUGH", "virtualOutbound", "PassthroughCluster"),
    ("a_service_the_tcp_port_listener_does_not_import_gets_no_listener_buildSidecarOutboundListeners",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"], catch_all=False))],
     "tcp://cache.app:5432", (), "BLOCKED", "virtualOutbound", "BlackHoleCluster"),
    ("the_catch_all_listener_still_binds_other_vips_on_that_port_only_the_key_is_locked_buildSidecarOutboundListener",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"]))],
     "tcp://cache.app:5432", (), "ROUTED", "10.96.0.31_5432", "outbound|5432||cache.app.svc.cluster.local"),
    ("port_listener_without_protocol_is_sniffed_on_the_vip_ModelProtocolToListenerProtocol",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, None, ["./db.app.svc.cluster.local"]))],
     "tcp://db.app:5432", (), "ROUTED", "10.96.0.30_5432", DB),
    ("http_port_listener_binds_0_0_0_0_buildSidecarOutboundListener",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(9000, "HTTP"))],
     "http://web.app:9000/", (), "ROUTED", "0.0.0.0_9000", "outbound|9000||web.app.svc.cluster.local"),
    ("port_listener_with_a_bind_takes_traffic_to_that_address_buildSidecarOutboundListeners",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(5432, "TCP", ["./db.app.svc.cluster.local"],
                                                       bind="10.1.1.1"))],
     "tcp://10.1.1.1:5432", (), "ROUTED", "10.1.1.1_5432", DB),
    ("capture_none_without_bind_is_a_loopback_socket_redirected_traffic_never_reaches_listener_address",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(9000, "HTTP", captureMode="NONE", catch_all=False))],
     "http://web.app:9000/", (), "BLOCKED", "virtualOutbound", "BlackHoleCluster"),
    ("capture_none_without_bind_serves_the_app_that_connects_to_127_0_0_1_buildSidecarOutboundListeners",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(9000, "HTTP", captureMode="NONE", catch_all=False))],
     "http://127.0.0.1:9000/", ("Host: web.app",), "ROUTED", "127.0.0.1_9000",
     "outbound|9000||web.app.svc.cluster.local"),
    ("capture_none_with_a_bind_is_a_socket_on_that_address_buildSidecarOutboundListeners",
     [sidecar("d", "app", otp=BLOCK, egress=port_only(9000, "HTTP", captureMode="NONE", bind="127.0.0.2"))],
     "http://127.0.0.2:9000/", ("Host: web.app",), "ROUTED", "127.0.0.2_9000",
     "outbound|9000||web.app.svc.cluster.local"),
    ("capture_none_with_a_bind_is_not_reached_by_redirected_traffic_listener_address",
     [sidecar("d", "app", otp=ALLOW, egress=port_only(9000, "HTTP", captureMode="NONE", bind="127.0.0.2",
                                                       catch_all=False))],
     "http://web.app:9000/", (), "PASSTHROUGH", "virtualOutbound", "PassthroughCluster"),
    ("cidr_address_binds_0_0_0_0_with_a_prefix_match_buildSidecarOutboundListener",
     [se("corp-db", "app", hosts=["db.corp.example.com"], ports=((5432, "TCP"),), addresses=["10.20.0.0/16"],
         resolution="NONE"), sidecar("d", "app", otp=BLOCK)],
     "tcp://10.20.7.1:5432", (), "ROUTED", "0.0.0.0_5432", "outbound|5432||db.corp.example.com"),
    ("an_address_outside_the_cidr_takes_the_passthrough_chain_buildListenerFromEntry",
     [se("corp-db", "app", hosts=["db.corp.example.com"], ports=((5432, "TCP"),), addresses=["10.20.0.0/16"],
         resolution="NONE"), sidecar("d", "app", otp=BLOCK)],
     "tcp://10.30.7.1:5432", (), "BLOCKED", "0.0.0.0_5432", "BlackHoleCluster"),
    ("the_longest_prefix_wins_between_two_cidrs_filter_chain_match",
     [se("wide", "app", hosts=["wide.corp.example.com"], ports=((5432, "TCP"),), addresses=["10.20.0.0/16"],
         resolution="NONE"),
      se("narrow", "app", hosts=["narrow.corp.example.com"], ports=((5432, "TCP"),), addresses=["10.20.7.0/24"],
         resolution="NONE"), sidecar("d", "app", otp=BLOCK)],
     "tcp://10.20.7.1:5432", (), "ROUTED", "0.0.0.0_5432", "outbound|5432||narrow.corp.example.com"),
    ("a_slash_32_address_is_a_plain_vip_convertServices",
     [se("one", "app", hosts=["one.corp.example.com"], ports=((5432, "TCP"),), addresses=["10.20.0.5/32"],
         resolution="NONE"), sidecar("d", "app", otp=BLOCK)],
     "tcp://10.20.0.5:5432", (), "ROUTED", "10.20.0.5_5432", "outbound|5432||one.corp.example.com"),
    ("a_tls_cidr_entry_matches_prefix_and_sni_buildSidecarOutboundTLSFilterChainOpts",
     [se("api", "app", hosts=["api.corp.example.com"], ports=((443, "TLS"),), addresses=["10.40.0.0/16"],
         resolution="NONE"), sidecar("d", "app", otp=BLOCK)],
     "https://10.40.0.9:443", (), "BLOCKED", "0.0.0.0_443", "BlackHoleCluster"),
    ("envoy_ports_are_never_taken_on_0_0_0_0_CanBindToPort",
     [svc("status", "app", ports=((15021, "http"),), cluster_ip="10.96.0.50"), sidecar("d", "app", otp=BLOCK)],
     "http://status.app:15021/", (), "BLOCKED", "virtualOutbound", "BlackHoleCluster"),
]


@pytest.mark.parametrize("extra, target, headers, verdict, listener, cluster", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_listener_choice(extra, target, headers, verdict, listener, cluster):
    r = check(sim(*BASE, *extra), "app/client", target, headers=list(headers))
    assert r.verdict.value == verdict, r.explanation()
    assert (r.envoy.listener, r.envoy.cluster) == (listener, cluster), r.explanation()


def test_a_tls_cidr_entry_routes_when_sni_is_its_host():
    # The same entry as above, reached by name: SNI api.corp.example.com picks its chain.
    s = sim(*BASE, se("api", "app", hosts=["api.corp.example.com"], ports=((443, "TLS"),),
                      addresses=["10.40.0.0/16"], resolution="NONE"), sidecar("d", "app", otp=BLOCK))
    scope = s.scope_for(s.sidecar(s.resolve("app/client").sidecar), "app")
    chains = build_listeners(s, Proxy(scope))["0.0.0.0_443"].chains
    assert [(c.cidrs, c.sni) for c in chains] == [(("10.40.0.0/16",), ("api.corp.example.com",))]


def test_capture_none_listener_is_a_real_socket_and_port_listeners_lock_their_key():
    s = sim(*BASE, sidecar("d", "app", otp=BLOCK, egress=port_only(9000, "HTTP", captureMode="NONE")))
    scope = s.scope_for(s.sidecar(s.resolve("app/client").sidecar), "app")
    listeners = build_listeners(s, Proxy(scope))
    assert listeners["127.0.0.1_9000"].bind_to_port
    assert "0.0.0.0_9000" in listeners and not listeners["0.0.0.0_9000"].bind_to_port
