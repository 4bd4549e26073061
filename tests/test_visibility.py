"""What a proxy can see (SEMANTICS sections 1.8 and 3): no merge, host grammar, exportTo, one winner per host."""

import pytest

from builders import mesh_config, ns, pod, se, sidecar, sim, svc, vs

T0, T1 = "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z"
CLIENT = pod("client", "app", {"app": "client"})
WORLD = (ns("app"), ns("web"), ns("db"), ns("istio-system", injected=False), CLIENT,
         svc("front", "app"), svc("api", "web"), svc("store", "db", ports=((5432, "tcp"),)),
         svc("istiod", "istio-system", ports=((15010, "grpc-xds"),)))
H = {
    "front": "front.app.svc.cluster.local", "api": "api.web.svc.cluster.local",
    "store": "store.db.svc.cluster.local", "istiod": "istiod.istio-system.svc.cluster.local",
}


def visible(*objects, workload="app/client"):
    r = sim(*WORLD, *objects).resolve(workload)
    return {v.host for v in r.visible_services}


# (situation, egress hosts of a namespace Sidecar in app, extra objects, expected visible hosts)
HOST_CASES = [
    ("star_slash_star_imports_everything", ["*/*"], [], set(H.values())),
    ("dot_means_the_sidecars_own_namespace", ["./*"], [], {H["front"]}),
    ("literal_namespace_imports_that_namespace", ["web/*"], [], {H["api"]}),
    ("tilde_imports_nothing", ["~/*"], [], set()),
    ("star_namespace_with_exact_name", ["*/api.web.svc.cluster.local"], [], {H["api"]}),
    ("exact_fqdn_in_its_namespace", ["web/api.web.svc.cluster.local"], [], {H["api"]}),
    ("exact_fqdn_under_the_wrong_namespace_matches_nothing", ["app/api.web.svc.cluster.local"], [], set()),
    ("short_name_is_not_expanded", ["web/api.web"], [], set()),
    ("wildcard_dns_name_matches_subdomains", ["*/*.web.svc.cluster.local"], [], {H["api"]}),
    ("wildcard_does_not_match_the_bare_domain", ["*/*.example.com"], [se("ex", "app", hosts=["example.com"])],
     set()),
    ("wildcard_matches_deeper_names", ["*/*.example.com"], [se("ex", "app", hosts=["a.b.example.com"])],
     {"a.b.example.com"}),
    ("wildcard_import_matches_a_wildcard_service_entry", ["*/*.example.com"],
     [se("ex", "app", hosts=["*.example.com"])], {"*.example.com"}),
    ("namespace_is_where_the_service_entry_is_defined_not_its_host", ["./*"],
     [se("httpbin-org", "app", hosts=["httpbin.org"])], {H["front"], "httpbin.org"}),
    ("several_namespaces", ["./*", "istio-system/*"], [], {H["front"], H["istiod"]}),
    ("own_namespace_entry_checked_before_the_star_entry", ["web/nothing.example.com", "*/*"], [],
     set(H.values())),
]


@pytest.mark.parametrize("hosts, extra, expected", [c[1:] for c in HOST_CASES], ids=[c[0] for c in HOST_CASES])
def test_egress_hosts_decide_what_is_visible(hosts, extra, expected):
    assert visible(sidecar("default", "app", egress=[{"hosts": hosts}]), *extra) == expected


# (situation, objects, expected visible hosts from app/client with the default */*)
EXPORT_CASES = [
    ("service_exported_to_dot_hidden_from_other_namespaces", [svc("secret", "web", export_to=".")],
     set(H.values())),
    ("service_exported_to_dot_visible_in_its_own_namespace", [svc("local", "app", export_to=".")],
     set(H.values()) | {"local.app.svc.cluster.local"}),
    ("service_exported_to_tilde_hidden_from_all", [svc("nobody", "app", export_to="~")], set(H.values())),
    ("service_exported_to_a_list_of_namespaces", [svc("shared", "web", export_to="app,db")],
     set(H.values()) | {"shared.web.svc.cluster.local"}),
    ("service_entry_export_to_dot", [se("ext", "web", hosts=["ext.example.com"], export_to=["."])],
     set(H.values())),
    ("service_entry_exported_to_this_namespace", [se("ext", "web", hosts=["ext.example.com"], export_to=["app"])],
     set(H.values()) | {"ext.example.com"}),
]


@pytest.mark.parametrize("objects, expected", [c[1:] for c in EXPORT_CASES], ids=[c[0] for c in EXPORT_CASES])
def test_export_to_limits_what_can_be_imported(objects, expected):
    assert visible(*objects) == expected


def test_star_slash_star_never_reveals_a_service_not_exported_to_you():
    got = visible(svc("secret", "web", export_to="."), sidecar("default", "app", egress=[{"hosts": ["web/*"]}]))
    assert got == {H["api"]}


def _winner(objects):
    r = sim(*WORLD, *objects).resolve("app/client")
    return {(v.host, v.namespace, v.kind) for v in r.visible_services if v.host == "shared.example.com"}


# (situation, objects, expected (host, namespace, kind))
WINNER_CASES = [
    ("own_namespace_wins_over_an_older_one_elsewhere",
     [se("a", "web", hosts=["shared.example.com"], created=T0), se("b", "app", hosts=["shared.example.com"],
                                                                   created=T1)],
     ("shared.example.com", "app", "ServiceEntry")),
    ("otherwise_the_oldest_wins",
     [se("a", "web", hosts=["shared.example.com"], created=T1), se("b", "db", hosts=["shared.example.com"],
                                                                   created=T0)],
     ("shared.example.com", "db", "ServiceEntry")),
]


@pytest.mark.parametrize("objects, expected", [c[1:] for c in WINNER_CASES], ids=[c[0] for c in WINNER_CASES])
def test_one_winner_per_hostname(objects, expected):
    assert _winner(objects) == {expected}


def test_kubernetes_service_wins_over_a_service_entry_with_the_same_host():
    squat = se("squat", "web", hosts=["api.web.svc.cluster.local"], created=T0)
    r = sim(*WORLD, squat).resolve("app/client")
    [api] = [v for v in r.visible_services if v.host == H["api"]]
    assert (api.kind, api.namespace) == ("Service", "web")


def test_port_specific_listener_imports_only_services_with_that_port_trimmed():
    multi = svc("multi", "web", ports=((80, "http"), (9090, "grpc")))
    side = sidecar("default", "app", egress=[{"port": {"number": 9090, "protocol": "GRPC", "name": "grpc"},
                                              "hosts": ["web/*"]},
                                             {"hosts": ["./*"]}])
    r = sim(*WORLD, multi, side).resolve("app/client")
    got = {v.host: v.ports for v in r.visible_services}
    assert got == {"multi.web.svc.cluster.local": (9090,), H["front"]: (80,)}


def test_catch_all_listener_adds_the_other_ports_of_a_service():
    multi = svc("multi", "web", ports=((80, "http"), (9090, "grpc")))
    side = sidecar("default", "app", egress=[{"port": {"number": 9090, "protocol": "GRPC", "name": "grpc"},
                                              "hosts": ["web/*"]},
                                             {"hosts": ["web/*"]}])
    r = sim(*WORLD, multi, side).resolve("app/client")
    assert {v.host: v.ports for v in r.visible_services}["multi.web.svc.cluster.local"] == (80, 9090)


def test_virtual_service_destinations_become_visible():
    route = vs("to-store", "app", hosts=["front.app.svc.cluster.local"], dests=["store.db.svc.cluster.local"])
    r = sim(*WORLD, route, sidecar("default", "app", egress=[{"hosts": ["./*"]}])).resolve("app/client")
    got = {v.host: v.via for v in r.visible_services}
    assert got[H["store"]] == "VirtualService app/to-store"
    assert got[H["front"]] == "./*"


def test_explicit_host_import_wins_over_an_inferred_destination():
    route = vs("to-api", "app", hosts=["front.app.svc.cluster.local"], dests=["api.web.svc.cluster.local"])
    r = sim(*WORLD, route, sidecar("default", "app", egress=[{"hosts": ["./*", "web/*"]}])).resolve("app/client")
    assert {v.host: v.via for v in r.visible_services}[H["api"]] == "web/*"


def test_virtual_service_not_exported_is_not_imported():
    route = vs("to-store", "web", hosts=["api.web.svc.cluster.local"], dests=["store.db.svc.cluster.local"],
               export_to=["."])
    r = sim(*WORLD, route, sidecar("default", "app", egress=[{"hosts": ["web/*"]}])).resolve("app/client")
    assert {v.host for v in r.visible_services} == {H["api"]}


def test_root_default_dot_means_the_workloads_namespace():
    r = sim(*WORLD, sidecar("default", "istio-system", egress=[{"hosts": ["./*"]}])).resolve("app/client")
    assert {v.host for v in r.visible_services} == {H["front"]}
    assert r.scope == "root"


# --- No merge (SEMANTICS 1.8) ------------------------------------------------------------------

def test_selector_sidecar_without_egress_gets_star_slash_star_not_the_namespace_egress():
    objs = [sidecar("default", "app", egress=[{"hosts": ["./*"]}], otp={"mode": "REGISTRY_ONLY"}),
            sidecar("client", "app", selector={"app": "client"}, otp={"mode": "REGISTRY_ONLY"})]
    r = sim(*WORLD, *objs).resolve("app/client")
    assert r.sidecar.name == "client"
    assert [(e.hosts, e.implicit) for e in r.egress] == [(("*/*",), True)]
    assert {v.host for v in r.visible_services} == set(H.values())
    assert any(n.key == "note.egress-implicit" for n in r.notes)


def test_selector_sidecar_without_policy_gets_the_mesh_mode_not_the_namespace_mode():
    objs = [sidecar("default", "app", otp={"mode": "REGISTRY_ONLY"}),
            sidecar("client", "app", selector={"app": "client"}, egress=[{"hosts": ["./*"]}])]
    r = sim(*WORLD, *objs).resolve("app/client")
    assert (r.policy.mode, r.policy.source) == ("ALLOW_ANY", "mesh")
    assert any(n.key == "note.mode-from-mesh" for n in r.notes)


def test_namespace_sidecar_without_policy_does_not_inherit_the_root_policy():
    objs = [sidecar("default", "istio-system", otp={"mode": "REGISTRY_ONLY"}),
            sidecar("default", "app", egress=[{"hosts": ["./*"]}])]
    r = sim(*WORLD, *objs).resolve("app/client")
    assert (r.sidecar.name, r.policy.mode, r.policy.source) == ("default", "ALLOW_ANY", "mesh")


def test_empty_outbound_traffic_policy_means_registry_only():
    r = sim(*WORLD, sidecar("default", "app", otp={})).resolve("app/client")
    assert (r.policy.mode, r.policy.source) == ("REGISTRY_ONLY", "sidecar")
    assert any(n.key == "note.empty-policy" for n in r.notes)


# (situation, mesh config object, expected mesh mode)
MESH_CASES = [
    ("no_mesh_config_defaults_to_allow_any", None, "ALLOW_ANY"),
    ("mesh_config_registry_only", mesh_config(mode="REGISTRY_ONLY"), "REGISTRY_ONLY"),
    ("mesh_config_empty_policy_is_registry_only", mesh_config(empty_policy=True), "REGISTRY_ONLY"),
    ("istio_operator_mesh_config", {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
                                    "metadata": {"name": "x", "namespace": "istio-system"},
                                    "spec": {"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}}},
     "REGISTRY_ONLY"),
]


@pytest.mark.parametrize("config, mode", [c[1:] for c in MESH_CASES], ids=[c[0] for c in MESH_CASES])
def test_mesh_mode_applies_when_no_sidecar_sets_one(config, mode):
    r = sim(*WORLD, *([config] if config else [])).resolve("app/client")
    assert (r.policy.mode, r.policy.source) == (mode, "mesh")


def test_virtual_service_short_names_are_read_in_the_virtual_services_namespace():
    route = vs("to-store", "db", hosts=["store"], dests=["store"])
    r = sim(*WORLD, route, sidecar("default", "app", egress=[{"hosts": ["db/store.db.svc.cluster.local"]}])
            ).resolve("app/client")
    assert {v.host for v in r.visible_services} == {H["store"]}
    # A dotted name is not expanded: "store.db" names no service, so nothing is inferred from it.
    route = vs("to-store", "app", hosts=["front"], dests=["store.db"])
    r = sim(*WORLD, route, sidecar("default", "app", egress=[{"hosts": ["./*"]}])).resolve("app/client")
    assert {v.host for v in r.visible_services} == {H["front"]}


# (situation, egress hosts of the namespace Sidecar in app, the namespaces whose Services are converted)
CONVERTED_CASES = [
    ("own_namespace_only", ["./*"], {"app"}),
    ("a_named_namespace_too", ["./*", "web/*"], {"app", "web"}),
    ("an_exact_host_in_any_namespace", ["*/api.web.svc.cluster.local"], {"web"}),
    ("everything", ["*/*"], {"app", "web", "db", "istio-system"}),
]


@pytest.mark.parametrize("hosts, converted", [c[1:] for c in CONVERTED_CASES], ids=[c[0] for c in CONVERTED_CASES])
def test_a_question_converts_only_the_services_its_sidecar_imports_selectServices(hosts, converted):
    """istiod's SidecarScope looks at the namespaces its egress hosts name; so does the simulator's registry,
    which converts a namespace's Services when first asked for (a big mesh answers one question quickly)."""
    s = sim(*WORLD, sidecar("default", "app", egress=[{"hosts": hosts}]))
    r = s.resolve("app/client")
    assert set(s._in_namespace) == converted
    assert "registry" not in vars(s) or hosts == ["*/*"], "the whole registry is listed only for */*"
    whole = sim(*WORLD, sidecar("default", "app", egress=[{"hosts": hosts}]))
    assert whole.registry and whole.resolve("app/client").to_json() == r.to_json(), "the same as from the whole"
