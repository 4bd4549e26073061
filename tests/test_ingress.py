"""Ingress listeners and connection pools (SEMANTICS section 6)."""

import pytest

from builders import deployment, ns, pod, sidecar, sim, svc

APP = (ns("shop"), deployment("productpage", "shop", {"app": "productpage"}),
       svc("productpage", "shop", ports=((80, "http", 8080), (9000, None, "http")), selector={"app": "productpage"}))
SEL = {"app": "productpage"}
HTTP_POOL = {"http": {"http1MaxPendingRequests": 1024, "maxRetries": 100}}
PORT_POOL = {"tcp": {"maxConnections": 100}}


def ingress(*objects):
    return sim(*APP, *objects).resolve("shop/productpage").ingress


def test_without_ingress_listeners_come_from_the_services_that_select_the_workload():
    got = [(i.port["number"], i.port["protocol"], i.implicit, i.capture_mode) for i in ingress()]
    # port 80 -> targetPort 8080; port 9000 -> the named container port "http" (8080) is the same port
    assert got == [(8080, "HTTP", True, "DEFAULT")]
    assert ingress()[0].services == ("shop/productpage:80", "shop/productpage:9000")


def test_ingress_section_replaces_the_automatic_listeners():
    side = sidecar("pp", "shop", selector=SEL, ingress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "web"},
                                                         "defaultEndpoint": "127.0.0.1:9080"}])
    got = ingress(side)
    assert [(i.port["number"], i.implicit, i.default_endpoint) for i in got] == [(9080, False, "127.0.0.1:9080")]


def test_seed_capture_mode_none_example_binds_the_address_itself():
    side = sidecar("partial-ip-tables", "shop", selector=SEL,
                   ingress=[{"bind": "172.16.1.32", "port": {"number": 80, "protocol": "HTTP", "name": "somename"},
                             "defaultEndpoint": "127.0.0.1:8080", "captureMode": "NONE"}],
                   egress=[{"captureMode": "IPTABLES", "hosts": ["*/*"]}])
    r = sim(*APP, side).resolve("shop/productpage")
    [listener] = r.ingress
    assert (listener.bind, listener.capture_mode, listener.default_endpoint) == ("172.16.1.32", "NONE", "127.0.0.1:8080")
    assert [(e.capture_mode, e.hosts, e.implicit) for e in r.egress] == [("IPTABLES", ("*/*",), False)]


# (situation, sidecar fields, expected (pool, from) for the first listener)
POOL_CASES = [
    ("no_pool_anywhere", {"ingress": [{"port": {"number": 8080, "protocol": "HTTP", "name": "h"}}]}, (None, "none")),
    ("sidecar_wide_pool_applies_to_a_port_without_its_own",
     {"pool": HTTP_POOL, "ingress": [{"port": {"number": 8080, "protocol": "HTTP", "name": "h"}}]},
     (HTTP_POOL, "sidecar")),
    ("port_pool_replaces_the_sidecar_pool_whole_no_field_merge",
     {"pool": HTTP_POOL, "ingress": [{"port": {"number": 8080, "protocol": "HTTP", "name": "h"},
                                      "connectionPool": PORT_POOL}]},
     (PORT_POOL, "port")),
    ("sidecar_pool_applies_to_automatic_listeners_too", {"pool": HTTP_POOL, "otp": {"mode": "ALLOW_ANY"}},
     (HTTP_POOL, "sidecar")),
]


@pytest.mark.parametrize("fields, expected", [c[1:] for c in POOL_CASES], ids=[c[0] for c in POOL_CASES])
def test_effective_connection_pool(fields, expected):
    first = ingress(sidecar("pp", "shop", selector=SEL, **fields))[0]
    pool = None if first.connection_pool is None else {k: dict(v) for k, v in first.connection_pool.items()}
    assert (pool, first.connection_pool_from) == expected


def test_ingress_json_has_the_contract_fields():
    data = sim(*APP).resolve("shop/productpage").to_json()["ingress"][0]
    assert set(data) >= {"port", "bind", "capture_mode", "default_endpoint", "implicit", "connection_pool",
                         "connection_pool_from"}
    assert set(data["port"]) == {"number", "protocol", "name"}


# (situation, the pod's labels, the selectors of the Services of its namespace in order, the ones that select it)
SELECTING_CASES = [
    ("one_label_selector", {"app": "a"}, [{"app": "a"}, {"app": "b"}], [0]),
    ("a_selector_of_two_labels_needs_both", {"app": "a", "v": "1"}, [{"app": "a", "v": "2"}, {"v": "1", "app": "a"}], [1]),
    ("selectors_keyed_by_different_labels_keep_the_mesh_order", {"app": "a", "v": "1"},
     [{"v": "1"}, {"tier": "x"}, {"app": "a"}], [0, 2]),
    ("an_empty_selector_selects_nothing", {"app": "a"}, [{}, {"app": "a"}], [1]),
    ("a_label_the_pod_lacks", {"app": "a"}, [{"app": "a", "tier": "x"}], []),
]


@pytest.mark.parametrize("labels, selectors, expected", [c[1:] for c in SELECTING_CASES],
                         ids=[c[0] for c in SELECTING_CASES])
def test_the_services_that_select_a_pod_in_the_mesh_order_kube_endpoints(labels, selectors, expected):
    """The Services whose selector is a subset of the pod's labels make its inbound listeners
    (``SidecarScope`` ingress from ``Services for the proxy``); an empty selector selects nothing."""
    objects = [ns("shop"), pod("p", "shop", labels)]
    objects += [svc(f"s{i}", "shop", ports=((8000 + i, "http"),), selector=sel) for i, sel in enumerate(selectors)]
    got = sim(*objects).resolve("shop/p").ingress
    assert [i.services for i in got] == [(f"shop/s{i}:{8000 + i}",) for i in expected]
