"""The lab scenario (sidecar_lab.course.scenario): three editable Sidecars over fixed manifests, pure and by value."""

import subprocess
import sys
import textwrap

import pytest
import yaml

import sidecar_lab
from sidecar_lab import ManifestError, UsageError
from sidecar_lab.course.scenario import LEVELS, SEED_TARGETS, Scenario, SidecarLevel, parse_hosts, seed_steps
from sidecar_lab.core.traffic import check

SLEEP = "istioinaction/sleep"


def verdicts(scenario, workload=SLEEP, targets=SEED_TARGETS):
    sim = scenario.simulator()
    return {t: check(sim, workload, t).verdict.value for t in targets}


# -- the seed ----------------------------------------------------------------------------------

SEED_LEVELS = [
    # step, (enabled, mode, hosts) for root, namespace, workload
    ("01-no-sidecar", [(False, "REGISTRY_ONLY", None), (False, "ALLOW_ANY", None), (False, "ALLOW_ANY", None)]),
    ("02-root-registry-only", [(True, "REGISTRY_ONLY", None), (False, "ALLOW_ANY", None),
                               (False, "ALLOW_ANY", None)]),
    ("03-namespace-allow-any", [(True, "REGISTRY_ONLY", None), (True, "ALLOW_ANY", None),
                                (False, "ALLOW_ANY", None)]),
    ("04-namespace-registry-only", [(True, "REGISTRY_ONLY", None), (True, "REGISTRY_ONLY", None),
                                    (False, "ALLOW_ANY", None)]),
    ("05-workload-allow-any", [(True, "REGISTRY_ONLY", None), (True, "REGISTRY_ONLY", None),
                               (True, "ALLOW_ANY", None)]),
    ("06-workload-hosts", [(True, "REGISTRY_ONLY", None), (True, "REGISTRY_ONLY", None),
                           (True, "REGISTRY_ONLY", ("istioinaction/*",))]),
]


@pytest.mark.parametrize("step,expected", SEED_LEVELS, ids=[s for s, _ in SEED_LEVELS])
def test_each_seed_step_sets_the_three_levels_as_its_sidecars_yaml_does(step, expected):
    scenario = Scenario.seed(step)
    assert [(lv.enabled, lv.mode, lv.egress_hosts) for lv in scenario.levels] == expected
    assert [lv.ref for lv in scenario.levels] == ["istio-system/default", "istioinaction/default",
                                                  "istioinaction/workload"]
    assert scenario.level("workload").selector == (("run", "sleep"),)
    assert scenario.step == step


def test_the_seed_steps_are_listed_in_walkthrough_order():
    assert seed_steps() == [s for s, _ in SEED_LEVELS]


@pytest.mark.parametrize("step", [s for s, _ in SEED_LEVELS])
def test_a_seed_scenario_answers_as_the_command_does_on_the_step_files(step):
    mesh = sidecar_lab.load(sidecar_lab.scenario_paths("seed/cluster", f"seed/steps/{step}"))
    for workload in ("istioinaction/sleep", "istioinaction/httpbin", "default/httpbin"):
        expected = {t: sidecar_lab.check(mesh, workload, t).verdict.value for t in SEED_TARGETS}
        assert verdicts(Scenario.seed(step), workload) == expected, workload


@pytest.mark.parametrize("step", [s for s, _ in SEED_LEVELS])
def test_the_yaml_it_shows_gives_the_same_answers_through_the_command(step, tmp_path):
    scenario = Scenario.seed(step).with_level("namespace", enabled=True, egress_hosts=("./*", "istio-system/*"))
    (tmp_path / "sidecars.yaml").write_text(scenario.sidecars_yaml() or "# none\n")
    mesh = sidecar_lab.load([*sidecar_lab.scenario_paths("seed/cluster"), str(tmp_path)])
    expected = {t: sidecar_lab.check(mesh, SLEEP, t).verdict.value for t in SEED_TARGETS}
    assert verdicts(scenario) == expected


def test_an_unknown_seed_step_is_a_usage_error_naming_the_known_ones():
    with pytest.raises(UsageError, match="01-no-sidecar"):
        Scenario.seed("07-nope")


# -- changing a level --------------------------------------------------------------------------

CHANGES = [
    # situation, start step, changes, target, verdict
    ("namespace ALLOW_ANY outranks the root REGISTRY_ONLY", "02-root-registry-only",
     {"namespace": {"enabled": True, "mode": "ALLOW_ANY"}}, "http://google.com", "PASSTHROUGH"),
    ("workload hosts istioinaction/* under REGISTRY_ONLY block httpbin.default", "05-workload-allow-any",
     {"workload": {"mode": "REGISTRY_ONLY", "egress_hosts": ("istioinaction/*",)}},
     "http://httpbin.default:8000/ip", "BLOCKED"),
    ("the same hosts under ALLOW_ANY are not a firewall", "05-workload-allow-any",
     {"workload": {"egress_hosts": ("istioinaction/*",)}}, "http://httpbin.default:8000/ip", "PASSTHROUGH"),
    ("a workload Sidecar with mode unset takes the mesh mode, not the namespace's", "04-namespace-registry-only",
     {"workload": {"enabled": True, "mode": None, "egress_hosts": ("*/*",)}}, "http://google.com", "PASSTHROUGH"),
    ("a workload Sidecar with nothing set is refused (empty spec): the namespace's governs",
     "04-namespace-registry-only", {"workload": {"enabled": True, "mode": None}}, "http://google.com", "BLOCKED"),
    ("switching the root off leaves the built-in default", "02-root-registry-only",
     {"root": {"enabled": False}}, "https://google.com", "PASSTHROUGH"),
    ("a refused Sidecar takes no part: the root default governs", "02-root-registry-only",
     {"namespace": {"enabled": True, "egress_hosts": ("httpbin",)}}, "http://google.com", "BLOCKED"),
]


@pytest.mark.parametrize("situation,step,changes,target,verdict", CHANGES, ids=[c[0] for c in CHANGES])
def test_changing_a_level_changes_what_the_simulator_says(situation, step, changes, target, verdict):
    scenario = Scenario.seed(step).with_levels(changes)
    assert verdicts(scenario, targets=[target]) == {target: verdict}


def test_with_level_returns_a_new_value_and_leaves_the_old_one_alone():
    before = Scenario.seed("02-root-registry-only")
    after = before.with_level("namespace", enabled=True)
    assert before.level("namespace").enabled is False and after.level("namespace").enabled is True
    assert before != after
    assert after == Scenario.seed("02-root-registry-only").with_level("namespace", enabled=True)
    assert hash(after) == hash(Scenario.seed("02-root-registry-only").with_level("namespace", enabled=True))


def test_equal_scenarios_share_one_cached_simulator():
    a = Scenario.seed("03-namespace-allow-any")
    b = Scenario.seed("02-root-registry-only").with_level("namespace", enabled=True)
    assert a.levels == b.levels and a.simulator() is b.simulator()
    assert a.mesh() is a.simulator().mesh


def test_an_unknown_mode_is_refused_with_the_choices():
    with pytest.raises(UsageError, match="REGISTRY_ONLY, ALLOW_ANY"):
        Scenario.seed().with_level("root", mode="DENY_ALL")


def test_an_unknown_level_is_refused():
    with pytest.raises(UsageError, match="root, namespace, workload"):
        Scenario.seed().with_level("pod", enabled=True)


# -- the manifests as they now stand -----------------------------------------------------------

def spec_of(scenario, level):
    return scenario.level(level).manifest()["spec"]


MANIFESTS = [
    ("mode unset leaves outboundTrafficPolicy out", {"mode": None, "egress_hosts": ("./*",)},
     {"egress": [{"hosts": ["./*"]}]}),
    ("hosts unset leave egress out", {"mode": "ALLOW_ANY", "egress_hosts": None},
     {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}),
    ("both set", {"mode": "REGISTRY_ONLY", "egress_hosts": ("istioinaction/*", "istio-system/*")},
     {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
      "egress": [{"hosts": ["istioinaction/*", "istio-system/*"]}]}),
    ("nothing set is an empty spec, not a silent default", {"mode": None, "egress_hosts": None}, {}),
]


@pytest.mark.parametrize("situation,changes,spec", MANIFESTS, ids=[m[0] for m in MANIFESTS])
def test_the_namespace_sidecar_manifest_says_exactly_what_is_set(situation, changes, spec):
    scenario = Scenario.seed().with_level("namespace", enabled=True, **changes)
    assert spec_of(scenario, "namespace") == spec
    assert scenario.sidecar_manifests() == [scenario.level("namespace").manifest()]


def test_an_empty_spec_shows_istios_message_and_is_refused_by_the_simulator():
    scenario = Scenario.seed("02-root-registry-only").with_level("namespace", enabled=True, mode=None)
    messages = scenario.validation()["namespace"]
    assert [(m.level, m.rule, m.message) for m in messages] == [
        ("Error", "T4", "sidecar: empty configuration provided")]
    res = scenario.simulator().resolve(SLEEP)
    outcomes = {str(c.sidecar): c.outcome for c in res.candidates}
    assert outcomes["istioinaction/default"] == "rejected" and res.scope == "root"


def test_egress_with_no_host_is_istios_e14_not_unset():
    scenario = Scenario.seed().with_level("workload", enabled=True, egress_hosts=())
    assert spec_of(scenario, "workload")["egress"] == [{"hosts": []}]
    assert [m.rule for m in scenario.validation()["workload"]] == ["E14"]


def test_the_yaml_is_every_enabled_sidecar_and_parses_back_to_the_manifests():
    scenario = Scenario.seed("06-workload-hosts")
    docs = list(yaml.safe_load_all(scenario.sidecars_yaml()))
    assert docs == scenario.sidecar_manifests()
    assert [d["metadata"]["name"] for d in docs] == ["default", "default", "workload"]
    assert docs[2]["spec"]["egress"] == [{"hosts": ["istioinaction/*"]}]


def test_with_no_sidecar_enabled_the_yaml_is_empty():
    assert Scenario.seed("01-no-sidecar").sidecars_yaml() == ""
    assert Scenario.seed("01-no-sidecar").sidecar_manifests() == []


def test_a_disabled_seed_level_starts_as_the_walkthrough_first_introduces_it():
    lv = Scenario.seed("01-no-sidecar").level("namespace")
    assert (lv.enabled, lv.mode, lv.created) == (False, "ALLOW_ANY", "2025-06-01T10:08:00Z")


@pytest.mark.parametrize("text,hosts", [
    ("istioinaction/*", ("istioinaction/*",)),
    ("istioinaction/*, istio-system/*", ("istioinaction/*", "istio-system/*")),
    ("./*\n~/*", ("./*", "~/*")),
    ("", None),
    ("   ", None),
])
def test_hosts_typed_in_a_box_are_split_on_commas_and_spaces(text, hosts):
    assert parse_hosts(text) == hosts


# -- any manifests -----------------------------------------------------------------------------

OWN = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop, labels: {istio-injection: enabled}}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: cart, namespace: shop, labels: {app: cart, version: v1}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: cart, namespace: shop}
    spec: {clusterIP: 10.0.0.9, ports: [{port: 80, name: http}], selector: {app: cart}}
    ---
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: young, namespace: istio-system, creationTimestamp: "2025-02-01T00:00:00Z"}
    spec: {outboundTrafficPolicy: {mode: ALLOW_ANY}}
    ---
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: old, namespace: istio-system, creationTimestamp: "2025-01-01T00:00:00Z"}
    spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
    ---
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: cart, namespace: shop, labels: {team: a}}
    spec:
      workloadSelector: {labels: {app: cart}}
      ingress:
      - port: {number: 80, protocol: HTTP, name: http}
        defaultEndpoint: 127.0.0.1:8080
      egress:
      - port: {number: 9080, protocol: HTTP, name: web}
        hosts: [shop/*]
      - hosts: [./*, istio-system/*]
      outboundTrafficPolicy:
        mode: ALLOW_ANY
        egressProxy: {host: proxy.shop.svc.cluster.local, port: {number: 3128}}
    """)


def test_levels_are_found_in_any_manifests_for_the_chosen_workload():
    scenario = Scenario.from_yaml(OWN)
    assert scenario.workload == "shop/cart"
    root, namespace, workload = scenario.levels
    assert (root.ref, root.enabled, root.mode) == ("istio-system/old", True, "REGISTRY_ONLY")
    assert (namespace.ref, namespace.enabled, namespace.mode) == ("shop/default", False, "ALLOW_ANY")
    assert (workload.ref, workload.enabled, workload.egress_hosts) == ("shop/cart", True, ("./*", "istio-system/*"))
    # the younger root default is not a level: it stays in the base, shadowed, as before
    kept = [o["metadata"]["name"] for o in scenario.base if o.get("kind") == "Sidecar"]
    assert kept == ["young"]


def test_what_the_lab_does_not_edit_is_written_back_unchanged():
    original = list(yaml.safe_load_all(OWN))[-1]
    scenario = Scenario.from_yaml(OWN)
    assert scenario.level("workload").manifest() == original


def test_editing_hosts_keeps_the_port_listener_first_and_the_catch_all_last():
    scenario = Scenario.from_yaml(OWN).with_level("workload", egress_hosts=("shop/*",))
    egress = spec_of(scenario, "workload")["egress"]
    assert egress == [{"port": {"number": 9080, "protocol": "HTTP", "name": "web"}, "hosts": ["shop/*"]},
                      {"hosts": ["shop/*"]}]


def test_an_empty_outbound_policy_stays_registry_only_until_a_mode_is_picked():
    written = ("outboundTrafficPolicy:\n    mode: ALLOW_ANY\n"
               "    egressProxy: {host: proxy.shop.svc.cluster.local, port: {number: 3128}}")
    text = OWN.replace(written, "outboundTrafficPolicy: {}")
    assert "outboundTrafficPolicy: {}" in text
    scenario = Scenario.from_yaml(text)
    assert scenario.level("workload").mode is None
    assert spec_of(scenario, "workload")["outboundTrafficPolicy"] == {}
    assert scenario.simulator().resolve("shop/cart").mode == "REGISTRY_ONLY"
    picked = scenario.with_level("workload", mode="ALLOW_ANY")
    assert spec_of(picked, "workload")["outboundTrafficPolicy"] == {"mode": "ALLOW_ANY"}
    unset = picked.with_level("workload", mode=None)
    assert "outboundTrafficPolicy" not in spec_of(unset, "workload")


def test_manifests_without_sidecars_start_with_every_level_off_and_a_selector_for_the_workload():
    text = OWN.split("---\napiVersion: networking.istio.io/v1")[0]
    scenario = Scenario.from_yaml(text)
    assert [(lv.ref, lv.enabled) for lv in scenario.levels] == [
        ("istio-system/default", False), ("shop/default", False), ("shop/cart", False)]
    assert scenario.level("workload").selector == (("app", "cart"),)
    on = scenario.with_level("workload", enabled=True, mode="REGISTRY_ONLY")
    assert on.simulator().resolve("shop/cart").scope == "workload"


def test_the_seed_read_from_paths_shares_the_seeds_base_and_simulator():
    from_paths = Scenario.from_paths(sidecar_lab.scenario_paths("seed/cluster", "seed/steps/06-workload-hosts"))
    seed = Scenario.seed("06-workload-hosts")
    assert from_paths.levels == seed.levels and from_paths.base_key == seed.base_key
    assert from_paths.simulator() is seed.simulator()


def test_bad_manifests_are_refused_with_the_loaders_message():
    with pytest.raises(ManifestError, match="expected a list"):
        Scenario.from_yaml("apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
                           "metadata: {name: a, namespace: b}\nspec: {egress: [{hosts: x}]}\n")


def test_an_unknown_workload_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown workload"):
        Scenario.from_yaml(OWN, workload="shop/nope")


def test_a_level_is_a_frozen_value():
    lv = SidecarLevel("root", "istio-system", "default", True, "REGISTRY_ONLY", ["a/b.c"])
    assert lv.egress_hosts == ("a/b.c",)
    with pytest.raises(AttributeError):
        lv.enabled = False  # type: ignore[misc]
    assert LEVELS == ("root", "namespace", "workload")


def test_the_scenario_module_imports_no_heavy_library():
    code = ("import sys, sidecar_lab.course.scenario\n"
            "print([m for m in ('matplotlib', 'ipywidgets', 'IPython', 'kubernetes') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
