"""Which Sidecar applies to a proxy (SEMANTICS section 1): istiod's order, not the docs' "undefined"."""

import pytest

from builders import deployment, mesh_config, ns, pod, sidecar, sim, svc

T0, T1, T2 = "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", "2025-01-01T00:02:00Z"
SAME_SECOND_A, SAME_SECOND_B = "2025-01-01T00:00:00Z", "2025-01-01T00:00:00.900Z"
SLEEP = pod("sleep", "app", {"run": "sleep", "app": "sleep"})
BASE = (ns("app"), ns("istio-system", injected=False), SLEEP)
ALLOW = {"mode": "ALLOW_ANY"}
BLOCK = {"mode": "REGISTRY_ONLY"}

# (situation, extra objects, workload, scope, chosen sidecar, {candidate: outcome})
CASES = [
    ("no_sidecar_anywhere_gives_the_builtin_default", [], "app/sleep", "default", None, {}),
    ("root_default_applies_when_the_namespace_has_none",
     [sidecar("default", "istio-system", otp=BLOCK)], "app/sleep", "root", "istio-system/default",
     {"istio-system/default": "selected"}),
    ("namespace_sidecar_beats_root_default",
     [sidecar("default", "istio-system", created=T0, otp=BLOCK), sidecar("default", "app", created=T1, otp=ALLOW)],
     "app/sleep", "namespace", "app/default", {"app/default": "selected", "istio-system/default": "shadowed"}),
    ("workload_selector_beats_namespace_sidecar_even_when_newer",
     [sidecar("default", "app", created=T0, otp=BLOCK), sidecar("workload", "app", created=T2,
                                                                  selector={"run": "sleep"}, otp=ALLOW)],
     "app/sleep", "workload", "app/workload", {"app/workload": "selected", "app/default": "shadowed"}),
    ("selector_that_does_not_match_falls_to_the_namespace_sidecar",
     [sidecar("default", "app", otp=BLOCK), sidecar("other", "app", selector={"run": "other"}, otp=ALLOW)],
     "app/sleep", "namespace", "app/default", {"app/other": "no-match", "app/default": "selected"}),
    ("selector_that_does_not_match_and_no_namespace_sidecar_falls_to_root",
     [sidecar("default", "istio-system", otp=BLOCK), sidecar("other", "app", selector={"run": "x"}, otp=ALLOW)],
     "app/sleep", "root", "istio-system/default", {"app/other": "no-match", "istio-system/default": "selected"}),
    ("selector_is_a_subset_match_on_labels",
     [sidecar("w", "app", selector={"run": "sleep"}, otp=ALLOW)], "app/sleep", "workload", "app/w", {}),
    ("selector_with_an_extra_label_does_not_match",
     [sidecar("w", "app", selector={"run": "sleep", "tier": "x"}, otp=ALLOW)], "app/sleep", "default", None,
     {"app/w": "no-match"}),
    ("two_matching_selectors_the_oldest_wins_not_the_most_specific",
     [sidecar("specific", "app", created=T1, selector={"run": "sleep", "app": "sleep"}, otp=BLOCK),
      sidecar("broad", "app", created=T0, selector={"run": "sleep"}, otp=ALLOW)],
     "app/sleep", "workload", "app/broad", {"app/broad": "selected", "app/specific": "shadowed"}),
    ("same_creation_second_the_alphabetically_first_name_wins",
     [sidecar("zeta", "app", created=SAME_SECOND_A, selector={"run": "sleep"}, otp=BLOCK),
      sidecar("alpha", "app", created=SAME_SECOND_B, selector={"run": "sleep"}, otp=ALLOW)],
     "app/sleep", "workload", "app/alpha", {"app/alpha": "selected", "app/zeta": "shadowed"}),
    ("two_namespace_wide_sidecars_the_oldest_wins",
     [sidecar("newer", "app", created=T1, otp=BLOCK), sidecar("older", "app", created=T0, otp=ALLOW)],
     "app/sleep", "namespace", "app/older", {"app/older": "selected", "app/newer": "shadowed"}),
    ("empty_workload_selector_outranks_the_namespace_sidecar",
     [sidecar("default", "app", created=T0, otp=BLOCK), sidecar("everyone", "app", created=T2, selector={},
                                                                 otp=ALLOW)],
     "app/sleep", "workload", "app/everyone", {"app/everyone": "selected", "app/default": "shadowed"}),
    ("workload_selector_without_labels_key_is_also_match_all",
     [sidecar("default", "app", otp=BLOCK), {**sidecar("everyone", "app", otp=ALLOW),
                                              "spec": {"workloadSelector": {}, "outboundTrafficPolicy": ALLOW}}],
     "app/sleep", "workload", "app/everyone", {}),
    ("root_namespace_selector_sidecar_never_applies_to_other_namespaces",
     [sidecar("sleepers", "istio-system", selector={"run": "sleep"}, otp=ALLOW)],
     "app/sleep", "default", None, {"istio-system/sleepers": "not-applicable"}),
    ("root_namespace_selector_sidecar_applies_to_pods_in_the_root_namespace",
     [pod("tool", "istio-system", {"run": "sleep", "sidecar.istio.io/inject": "true"}), sidecar("sleepers", "istio-system", selector={"run": "sleep"},
                                                             otp=ALLOW)],
     "istio-system/tool", "workload", "istio-system/sleepers", {}),
    ("root_default_for_a_pod_in_the_root_namespace_is_its_namespace_sidecar",
     [pod("tool", "istio-system", {"app": "tool", "sidecar.istio.io/inject": "true"}),
      sidecar("default", "istio-system", otp=BLOCK)],
     "istio-system/tool", "namespace", "istio-system/default", {}),
    ("oldest_of_several_root_defaults_wins",
     [sidecar("b-newer", "istio-system", created=T1, otp=ALLOW), sidecar("a-older", "istio-system", created=T0,
                                                                          otp=BLOCK)],
     "app/sleep", "root", "istio-system/a-older", {"istio-system/b-newer": "shadowed"}),
    ("sidecars_of_other_namespaces_are_never_considered",
     [ns("other"), sidecar("default", "other", otp=BLOCK)], "app/sleep", "default", None, {}),
    ("a_sidecar_that_fails_validation_takes_no_part",
     [sidecar("broken", "app", egress=[{"hosts": ["no-slash"]}]), sidecar("default", "istio-system", otp=BLOCK)],
     "app/sleep", "root", "istio-system/default", {"app/broken": "rejected"}),
    ("a_sidecar_with_a_typo_field_is_rejected_as_kubectl_would",
     [{**sidecar("typo", "app"), "spec": {"egres": [{"hosts": ["./*"]}], "outboundTrafficPolicy": BLOCK}}],
     "app/sleep", "default", None, {"app/typo": "rejected"}),
    ("custom_root_namespace_from_mesh_config",
     [mesh_config(root="istio-config"), ns("istio-config", injected=False),
      sidecar("default", "istio-config", otp=BLOCK), sidecar("default", "istio-system", otp=ALLOW)],
     "app/sleep", "root", "istio-config/default", {}),
    ("deployment_pod_template_labels_are_matched",
     [deployment("web", "app", {"app": "web"}), sidecar("web", "app", selector={"app": "web"}, otp=ALLOW)],
     "app/web", "workload", "app/web", {}),
]


@pytest.mark.parametrize("objects, workload, scope, chosen, outcomes",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_which_sidecar_applies(objects, workload, scope, chosen, outcomes):
    r = sim(*BASE, *objects).resolve(workload)
    assert r.scope == scope
    assert (str(r.sidecar) if r.sidecar else None) == chosen
    got = {str(c.sidecar): c.outcome for c in r.candidates}
    for name, outcome in outcomes.items():
        assert got.get(name) == outcome, (name, got)
    assert [c.outcome for c in r.candidates].count("selected") == (1 if chosen else 0)


def test_selector_sidecars_are_listed_before_selector_less_ones():
    s = sim(*BASE, sidecar("default", "app", created=T0, otp=BLOCK),
            sidecar("w", "app", created=T2, selector={"run": "sleep"}, otp=ALLOW),
            sidecar("default", "istio-system", otp=BLOCK))
    r = s.resolve("app/sleep")
    assert [(str(c.sidecar), c.level) for c in r.candidates] == [
        ("app/w", "workload"), ("app/default", "namespace"), ("istio-system/default", "root")]


# (situation, namespace object, pod, proxy)
PROXY_CASES = [
    ("injected_namespace_gives_a_sidecar", ns("a"), pod("p", "a"), "sidecar"),
    ("namespace_without_label_gives_no_proxy", ns("a", injected=False), pod("p", "a"), "none"),
    ("namespace_injection_disabled_gives_no_proxy", ns("a", injected="disabled"), pod("p", "a"), "none"),
    ("revision_label_injects", ns("a", injected=False, labels={"istio.io/rev": "canary"}), pod("p", "a"), "sidecar"),
    ("pod_label_opts_out", ns("a"), pod("p", "a", {"app": "p", "sidecar.istio.io/inject": "false"}), "none"),
    ("pod_annotation_opts_out", ns("a"), pod("p", "a", annotations={"sidecar.istio.io/inject": "false"}), "none"),
    ("pod_label_opts_in_without_namespace_label", ns("a", injected=False),
     pod("p", "a", {"app": "p", "sidecar.istio.io/inject": "true"}), "sidecar"),
    ("pod_annotation_alone_does_not_opt_in", ns("a", injected=False),
     pod("p", "a", annotations={"sidecar.istio.io/inject": "true"}), "none"),
    ("missing_namespace_manifest_is_assumed_injected", None, pod("p", "nowhere"), "sidecar"),
    ("ingress_gateway_is_a_gateway", ns("a"), pod("gw", "a", {"istio": "ingressgateway"}), "gateway"),
    ("gateway_api_gateway_is_a_gateway", ns("a"),
     pod("gw", "a", {"gateway.networking.k8s.io/gateway-name": "web"}), "gateway"),
    ("kube_system_is_never_injected", None, pod("p", "kube-system"), "none"),
    ("ambient_namespace_has_no_sidecar", ns("a", injected=False, labels={"istio.io/dataplane-mode": "ambient"}),
     pod("p", "a"), "none"),
]


@pytest.mark.parametrize("namespace, the_pod, proxy", [c[1:] for c in PROXY_CASES], ids=[c[0] for c in PROXY_CASES])
def test_which_workloads_have_a_proxy(namespace, the_pod, proxy):
    objects = [the_pod] + ([namespace] if namespace else [])
    s = sim(*objects)
    r = s.resolve(f"{the_pod['metadata']['namespace']}/{the_pod['metadata']['name']}")
    assert r.proxy == proxy


def test_gateways_ignore_every_sidecar_even_a_matching_one():
    gw = pod("istio-ingressgateway", "istio-system", {"istio": "ingressgateway", "app": "istio-ingressgateway"})
    s = sim(ns("istio-system", injected=False), gw,
            sidecar("default", "istio-system", otp=BLOCK, egress=[{"hosts": ["./*"]}]),
            sidecar("gw", "istio-system", selector={"istio": "ingressgateway"}, otp=BLOCK))
    r = s.resolve("istio-system/istio-ingressgateway")
    assert (r.proxy, r.scope, r.sidecar) == ("gateway", "gateway", None)
    assert {c.outcome for c in r.candidates} == {"not-applicable"}
    assert r.policy.mode == "ALLOW_ANY" and r.policy.source == "mesh"
    assert r.egress[0].implicit and r.egress[0].hosts == ("*/*",)


def test_a_pod_without_proxy_has_no_egress_and_no_visible_services():
    r = sim(ns("a", injected=False), pod("p", "a"), sidecar("default", "a", otp=BLOCK)).resolve("a/p")
    assert (r.proxy, r.scope, r.sidecar, r.egress, r.visible_services) == ("none", "none", None, (), ())
    assert [c.outcome for c in r.candidates] == ["not-applicable"]


def test_unknown_workload_is_a_usage_error():
    from sidecar_lab import UsageError

    with pytest.raises(UsageError, match="unknown workload"):
        sim(*BASE).resolve("app/nope")


# (situation, what the second pod changes from the first, do they get the same answer)
SIBLING_CASES = [
    ("another_name_and_ip", {}, True),
    ("opted_out_by_annotation", {"annotations": {"sidecar.istio.io/inject": "false"}}, False),
    ("another_label", {"labels": {"app": "web", "v": "2"}}, False),
    ("in_another_namespace", {"namespace": "other"}, False),
]


@pytest.mark.parametrize("change, same", [c[1:] for c in SIBLING_CASES], ids=[c[0] for c in SIBLING_CASES])
def test_pods_that_differ_only_in_name_share_one_answer_getSidecarScope(change, same):
    """istiod computes a SidecarScope per Sidecar and namespace, and a proxy's config from its labels,
    namespace and annotations, never from its name: the simulator computes one answer per such kind of pod
    and hands it to its siblings, and anything the answer reads tells them apart."""
    labels = {"app": "web", "v": "1"}
    second = {"labels": labels, "namespace": "shop", **change}
    s = sim(ns("shop"), ns("other"), sidecar("web", "shop", selector={"v": "1"}, egress=[{"hosts": ["./*"]}]),
            svc("web", "shop", selector={"app": "web"}), svc("web", "other", selector={"app": "web"}),
            pod("web-1", "shop", labels, ip="10.0.0.1"),
            pod("web-2", second["namespace"], second["labels"], ip="10.0.0.2", annotations=second.get("annotations")))
    first, other = s.resolve("shop/web-1"), s.resolve(f"{second['namespace']}/web-2")
    assert (first.workload.name, other.workload.name, first.scope) == ("web-1", "web-2", "workload")
    strip = lambda r: {k: v for k, v in r.to_json().items() if k != "workload"}  # noqa: E731
    assert (strip(first) == strip(other)) is same
    fresh = sim(ns("shop"), ns("other"), sidecar("web", "shop", selector={"v": "1"}, egress=[{"hosts": ["./*"]}]),
                svc("web", "shop", selector={"app": "web"}), svc("web", "other", selector={"app": "web"}),
                pod("web-2", second["namespace"], second["labels"], ip="10.0.0.2",
                    annotations=second.get("annotations")))
    assert other.to_json() == fresh.resolve(f"{second['namespace']}/web-2").to_json(), "as if asked alone"


def test_without_a_workload_selector_the_walk_does_not_read_labels_but_says_them_when_one_does_not_match():
    one = sim(ns("shop"), sidecar("default", "shop"), pod("a", "shop", {"app": "a"}), pod("b", "shop", {"app": "b"}))
    assert one.select(one.workload("shop/a"), "sidecar")[2] == one.select(one.workload("shop/b"), "sidecar")[2]
    two = sim(ns("shop"), sidecar("default", "shop"), sidecar("only-c", "shop", selector={"app": "c"},
                                                              egress=[{"hosts": ["./*"]}]),
              pod("a", "shop", {"app": "a"}), pod("b", "shop", {"app": "b"}))
    reasons = [[c.reason.text() for c in two.select(two.workload(f"shop/{p}"), "sidecar")[2]] for p in "ab"]
    assert reasons[0] != reasons[1] and any("app=a" in r for r in reasons[0]) and any("app=b" in r for r in reasons[1])
