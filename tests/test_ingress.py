"""Ingress listeners and connection pools (SEMANTICS section 6)."""

import pytest

from builders import deployment, ns, sidecar, sim, svc

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
