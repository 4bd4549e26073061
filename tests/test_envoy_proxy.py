"""What one proxy gets beyond the listeners ``check`` walks (``sidecar_lab.core.envoy``): the listener
for its own address that istiod never builds, the route tables of HTTP_PROXY ports and unix sockets
(every port merged), the catch-all virtual host, and the endpoints of each cluster — a subset's only
the pods with its labels. ``proxy-config`` and ``size`` show and count exactly these.
"""

from __future__ import annotations

import pytest

from builders import dr, ns, pod, se, sidecar, sim, svc
from sidecar_lab.core import envoy
from sidecar_lab.core.traffic import check

BLOCK = {"mode": "REGISTRY_ONLY"}


def _proxy(s, workload):
    w = s.workload(workload)
    res = s.resolve(w)
    return envoy.Proxy.of(s.scope_for(s.sidecar(res.sidecar), w.namespace), w)


# -- listeners ---------------------------------------------------------------------------------

HEADLESS = (ns("app"), pod("client", "app", {"app": "client"}, ip="10.244.0.5"),
            svc("pg", "app", ports=((5432, "tcp"),), headless=True),
            pod("pg-0", "app", {"app": "pg"}, ip="10.244.0.11"), pod("pg-1", "app", {"app": "pg"}, ip="10.244.0.12"))


@pytest.mark.parametrize("workload, expected", [
    ("app/client", {"10.244.0.11_5432", "10.244.0.12_5432"}),
    # The pod reaching itself never goes through it, and it would duplicate the inbound listener.
    ("app/pg-0", {"10.244.0.12_5432"}),
    ("app/pg-1", {"10.244.0.11_5432"}),
])
def test_no_listener_for_a_headless_endpoint_that_is_the_proxy_itself_buildSidecarOutboundListeners(workload, expected):
    s = sim(*HEADLESS)
    proxy = _proxy(s, workload)
    assert set(envoy.proxy_listeners(s, proxy)) == expected
    assert set(envoy.build_listeners(s, proxy)) == {"10.244.0.11_5432", "10.244.0.12_5432"}  # per scope
    assert envoy.source_dependence(s, proxy.scope, s.workload(workload))[1] == (workload != "app/client")


# -- route tables ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("80", (80, False)),
    ("httpbin.default.svc.cluster.local:8000", (8000, True)),
    ("unix:///var/run/out.sock", (0, False)),
    ("http_proxy", None),
    ("outbound|80||a", None),
])
def test_a_route_tables_name_gives_its_listener_port_extractListenerPort(name, expected):
    assert envoy.extract_listener_port(name) == expected


# Two namespaces' services: a has ports 80 and 9999, h is headless on 8888 (istiod's
# TestSidecarOutboundHTTPRouteConfig: test-private.com on 80 and 70, test-headless.com on 8888).
PORTS = (ns("app"), ns("data"), pod("client", "app", {"app": "client"}, ip="10.244.0.5"),
         svc("a", "data", ports=((80, "http"), (9999, "http")), cluster_ip="10.96.0.1"),
         svc("h", "data", ports=((8888, "http"),), headless=True))
A, H = "a.data.svc.cluster.local", "h.data.svc.cluster.local"


def test_an_http_proxy_port_merges_every_ports_virtual_hosts_mergeAllVirtualHosts():
    # The port's table takes every service port with its port in the domains; port 80's virtual
    # hosts keep every domain, the others only their host:port ones (TestSidecarOutboundHTTPRouteConfig,
    # "http proxy sidecar config").
    s = sim(*PORTS, sidecar("d", "app", otp=BLOCK, egress=[
        {"port": {"number": 7443, "protocol": "HTTP_PROXY", "name": "proxy"}, "hosts": ["*/*"]}]))
    proxy = _proxy(s, "app/client")
    listeners = envoy.proxy_listeners(s, proxy)
    assert set(listeners) == {"0.0.0.0_7443"} and listeners["0.0.0.0_7443"].route_names == ("7443",)
    (table,) = envoy.proxy_route_tables(s, proxy, listeners)
    got = {v.name: set(v.domains) for v in table.virtual_hosts}
    assert got == {
        f"{A}:80": {A, f"{A}:80", "a.data", "a.data:80", "a.data.svc", "a.data.svc:80", "10.96.0.1", "10.96.0.1:80"},
        f"{A}:9999": {f"{A}:9999", "a.data:9999", "a.data.svc:9999", "10.96.0.1:9999"},
        f"{H}:8888": {f"{H}:8888", "h.data:8888", "h.data.svc:8888",
                      f"*.{H}:8888", "*.h.data:8888", "*.h.data.svc:8888"},
    }
    assert table.catch_all == "block_all"
    assert [v.name for v in table.virtual_hosts] == sorted(got)  # SortVirtualHosts


def test_a_unix_socket_listener_has_one_table_named_by_its_socket_buildSidecarOutboundHTTPListenerOpts():
    # Port 0 with a unix bind: one listener on the socket whose route table is named by it; the table
    # merges every port (TestSidecarOutboundHTTPRouteConfig, "unix domain socket listener").
    sock = "unix:///var/run/out.sock"
    s = sim(*PORTS, sidecar("d", "app", egress=[
        {"port": {"number": 0, "protocol": "HTTP", "name": "uds"}, "bind": sock, "hosts": ["data/a.data.svc.cluster.local"]},
        {"hosts": ["./*", "data/h.data.svc.cluster.local"]}]))
    proxy = _proxy(s, "app/client")
    listeners = envoy.proxy_listeners(s, proxy)
    uds = listeners[f"{sock}_0"]
    assert (uds.bind, uds.port, uds.bind_to_port, uds.route_names) == (sock, 0, True, (sock,))
    assert set(listeners) == {f"{sock}_0", "0.0.0.0_8888"}  # the port-less listener as usual, nothing locked
    table = envoy.route_table(s, proxy, sock)
    assert {v.name: set(v.domains) for v in table.virtual_hosts} == {
        f"{A}:80": {A, f"{A}:80", "a.data", "a.data:80", "a.data.svc", "a.data.svc:80", "10.96.0.1", "10.96.0.1:80"},
        f"{A}:9999": {f"{A}:9999", "a.data:9999", "a.data.svc:9999", "10.96.0.1:9999"}}
    assert table.catch_all == "allow_any"
    # Table 8888 is built from the port-less egress listener, not from the socket's.
    assert {v.name for v in envoy.route_table(s, proxy, "8888").virtual_hosts} == {f"{H}:8888"}


def test_the_egress_listener_of_a_route_table_GetEgressListenerForRDS():
    sock = "unix:///var/run/out.sock"
    s = sim(*PORTS, sidecar("d", "app", egress=[
        {"port": {"number": 9999, "protocol": "HTTP", "name": "p"}, "hosts": ["data/*"]},
        {"port": {"number": 0, "protocol": "HTTP", "name": "uds"}, "bind": sock, "hosts": ["data/a.data.svc.cluster.local"]},
        {"hosts": ["./*"]}]))
    scope = _proxy(s, "app/client").scope
    ports = [sl.listener.port.number if sl.listener.port else None for sl in scope.listeners]
    assert ports == [9999, 0, None]
    chosen = {key: envoy.egress_listener_for_rds(scope, *key) for key in ((9999, ""), (0, sock), (0, "unix:///x"), (80, ""))}
    assert chosen[(9999, "")] is scope.listeners[0]
    assert chosen[(0, sock)] is scope.listeners[1]
    assert chosen[(0, "unix:///x")] is scope.listeners[2]  # another socket: the port-less listener
    assert chosen[(80, "")] is scope.listeners[2]


@pytest.mark.parametrize("otp, name, cluster", [
    (BLOCK, "block_all", None),
    ({"mode": "ALLOW_ANY"}, "allow_any", "PassthroughCluster"),
    ({"mode": "ALLOW_ANY", "egressProxy": {"host": "egress.data.svc.cluster.local", "port": {"number": 80}}},
     "allow_any", "outbound|80||egress.data.svc.cluster.local"),
])
def test_the_catch_all_virtual_host_buildCatchAllVirtualHost(otp, name, cluster):
    s = sim(*PORTS, sidecar("d", "app", otp=otp, egress=[{"hosts": ["./*", "data/*"]}]))
    proxy = _proxy(s, "app/client")
    vhost = envoy.catch_all_virtual_host(proxy.scope.policy)
    (route,) = vhost.routes
    assert (vhost.name, vhost.domains, route.name) == (name, ("*",), name)
    if cluster is None:
        assert route.action == "direct_response" and route.direct_response.status == 502
    else:
        assert route.clusters == ((cluster, 0),)
    assert envoy.route_table(s, proxy, "80").catch_all == name


# -- endpoints ---------------------------------------------------------------------------------

def _pod(name, labels, ip=None, ports=()):
    obj = pod(name, "app", labels, ip=ip)
    obj["spec"]["containers"][0]["ports"] = [{"containerPort": n, "name": pname} for pname, n in ports]
    return obj


REVIEWS = (ns("app"), pod("client", "app", {"app": "client"}, ip="10.244.0.5"),
           svc("reviews", "app", ports=((9080, "http", "http-web"),), cluster_ip="10.96.0.90"),
           _pod("reviews-v1", {"app": "reviews", "version": "v1"}, "10.244.0.31", [("http-web", 8080)]),
           _pod("reviews-v2", {"app": "reviews", "version": "v2"}, "10.244.0.32", [("http-web", 9090)]),
           _pod("reviews-v2b", {"app": "reviews", "version": "v2"}, None, [("http-web", 9090)]),
           dr("reviews", "app", host="reviews", subsets=["v1", "v2", "v3", ("all", {})]))
REVIEWS_HOST = "reviews.app.svc.cluster.local"


@pytest.mark.parametrize("subset, expected", [
    ("", [("10.244.0.31", 8080), ("10.244.0.32", 9090), ("<pod IP of app/reviews-v2b>", 9090)]),
    ("v1", [("10.244.0.31", 8080)]),
    ("v2", [("10.244.0.32", 9090), ("<pod IP of app/reviews-v2b>", 9090)]),
    ("v3", []),  # no pod has the labels: an empty ClusterLoadAssignment
    ("all", [("10.244.0.31", 8080), ("10.244.0.32", 9090), ("<pod IP of app/reviews-v2b>", 9090)]),
    ("nope", [("10.244.0.31", 8080), ("10.244.0.32", 9090), ("<pod IP of app/reviews-v2b>", 9090)]),
])
def test_a_subsets_endpoints_are_the_pods_holding_its_labels_getSubSetLabels(subset, expected):
    # The endpoints listen on the Service's named targetPort, looked up in each pod's container ports.
    s = sim(*REVIEWS)
    proxy = _proxy(s, "app/client")
    service = proxy.scope.service(REVIEWS_HOST)
    rule = proxy.scope.destination_rule(REVIEWS_HOST, proxy.labels)
    labels = envoy.subset_labels(rule, subset)
    found = envoy.cluster_endpoints(s, service, 9080, labels)
    assert [(e.address, e.port) for e in found] == expected
    assert all(e.workload is not None for e in found)


def test_a_service_entrys_endpoints_are_its_addresses_or_its_host_BuildClusterLoadAssignment():
    static = se("static", "app", hosts=("db.example.com",), ports=((5432, "TCP"),), resolution="STATIC",
                addresses=("240.0.0.1",))
    static["spec"]["endpoints"] = [{"address": "192.0.2.10"}, {"address": "192.0.2.11"}]
    dns = se("dns", "app", hosts=("api.example.com",), ports=((443, "TLS"),))
    s = sim(ns("app"), pod("client", "app", {"app": "client"}), static, dns)
    scope = _proxy(s, "app/client").scope
    assert [(e.address, e.port) for e in envoy.cluster_endpoints(s, scope.service("db.example.com"), 5432)] == [
        ("192.0.2.10", 5432), ("192.0.2.11", 5432)]
    assert [(e.address, e.port) for e in envoy.cluster_endpoints(s, scope.service("api.example.com"), 443)] == [
        ("api.example.com", 443)]


def test_check_routes_to_a_subset_cluster_whose_endpoints_the_core_lists():
    s = sim(*REVIEWS, {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                       "metadata": {"name": "reviews", "namespace": "app"},
                       "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews",
                                                                                           "subset": "v2"}}]}]}})
    r = check(s, "app/client", "http://reviews.app:9080/")
    assert r.envoy.cluster == f"outbound|9080|v2|{REVIEWS_HOST}"
    proxy = _proxy(s, "app/client")
    assert r.envoy.cluster in envoy.outbound_clusters(s, proxy.scope, proxy.labels)
