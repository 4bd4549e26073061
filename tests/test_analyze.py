"""Diagnostics: each code fires in its situation, and a near miss does not (parity with istioctl and Kiali)."""

import re
from pathlib import Path

import pytest

from builders import deployment, mesh, ns, pod, se, sidecar, svc
from sidecar_lab.core.analyze import analyze, exit_code, filter_messages
from sidecar_lab.cli import main

BLOCK, ALLOW = {"mode": "REGISTRY_ONLY"}, {"mode": "ALLOW_ANY"}
APP = (ns("app"), ns("istio-system", injected=False), pod("reviews", "app", {"app": "reviews"}),
       svc("reviews", "app", ports=((9080, "http"),)))


def codes(*objects):
    return [m for m in analyze(mesh(*APP, *objects))]


def fired(code, *objects):
    return [m for m in codes(*objects) if m.code == code]


# (situation, code, objects that fire it, how many messages, words in the message, a near miss)
CASES = [
    ("selector_matching_no_pod_is_ist0101", "IST0101",
     [sidecar("bogus", "app", selector={"app": "bogus"}, otp=ALLOW)], 1, 'Referenced selector not found: "app=bogus"',
     [sidecar("ok", "app", selector={"app": "reviews"}, otp=ALLOW)]),
    ("two_selectors_on_one_pod_is_ist0110_once_per_sidecar", "IST0110",
     [sidecar("dupe-2", "app", selector={"app": "reviews"}, otp=ALLOW),
      sidecar("dupe-1", "app", selector={"app": "reviews"}, otp=BLOCK)], 2,
     'The Sidecars [dupe-1 dupe-2] in namespace "app" select the same workload pod "reviews", which can lead to '
     'undefined behavior.',
     [sidecar("one", "app", selector={"app": "reviews"}, otp=ALLOW), sidecar("d", "app", otp=BLOCK)]),
    ("two_selector_less_sidecars_is_ist0111", "IST0111",
     [sidecar("a", "app", otp=ALLOW), sidecar("b", "app", otp=BLOCK)], 2,
     'The Sidecars [a b] in namespace "app" have no workload selector, which can lead to undefined behavior.',
     [sidecar("a", "app", otp=ALLOW), sidecar("b", "other", otp=BLOCK)]),
    ("empty_selector_counts_as_no_selector_for_ist0111", "IST0111",
     [sidecar("a", "app", otp=ALLOW), sidecar("b", "app", selector={}, otp=BLOCK)], 2, "have no workload selector",
     [sidecar("a", "app", otp=ALLOW), sidecar("b", "app", selector={"app": "reviews"}, otp=BLOCK)]),
    ("egress_proxy_is_deprecated_ist0002", "IST0002",
     [sidecar("p", "app", otp={"mode": "ALLOW_ANY", "egressProxy": {"host": "proxy.example.com",
                                                                     "port": {"number": 3128}}})], 1,
     "Deprecated: OutboundTrafficPolicy.EgressProxy ignored", [sidecar("p", "app", otp=ALLOW)]),
    ("validation_error_is_ist0106", "IST0106",
     [sidecar("bad", "app", egress=[{"hosts": ["reviews"]}])], 1, "Schema validation error: host must be of form",
     [sidecar("good", "app", egress=[{"hosts": ["./*"]}])]),
    ("validation_warning_is_ist0133", "IST0133",
     [sidecar("warn", "app", egress=[{"hosts": ["./*", "./*"]}])], 1, "Schema validation warning: duplicated egress host",
     [sidecar("good", "app", egress=[{"hosts": ["./*"]}])]),
    ("ambient_namespace_sidecar_is_ist0167", "IST0167",
     [ns("amb", injected=False, labels={"istio.io/dataplane-mode": "ambient"}), sidecar("d", "amb", otp=BLOCK)], 1,
     "The policy has no impact: namespace is in ambient mode, the policy has no impact.",
     [ns("amb", injected=False), sidecar("d", "amb", otp=BLOCK)]),
    ("namespace_without_injection_label_is_ist0102", "IST0102", [ns("plain", injected=False)], 1,
     "The namespace is not enabled for Istio injection. Run 'kubectl label namespace plain istio-injection=enabled'",
     [ns("plain", injected="disabled")]),
    ("egress_host_without_service_is_kia1004", "KIA1004",
     [sidecar("h", "app", egress=[{"hosts": ["app/nothing.example.com"]}])], 1,
     "This host has no matching entry in the service registry",
     [sidecar("h", "app", egress=[{"hosts": ["app/reviews.app.svc.cluster.local"]}])]),
    ("root_namespace_sidecar_with_selector_is_kia1006", "KIA1006",
     [sidecar("global", "istio-system", selector={"app": "reviews"}, otp=BLOCK)], 1,
     "Global default sidecar should not have workloadSelector", [sidecar("global", "istio-system", otp=BLOCK)]),
    ("selector_matching_no_workload_is_kia0004", "KIA0004",
     [sidecar("bogus", "app", selector={"app": "bogus"}, otp=ALLOW)], 1,
     "No matching workload found for the selector in this namespace",
     [deployment("bogus", "app", {"app": "bogus"}), sidecar("bogus", "app", selector={"app": "bogus"}, otp=ALLOW)]),
    ("empty_selector_outranks_the_namespace_sidecar_sl0001", "SL0001",
     [sidecar("default", "app", otp=BLOCK), sidecar("all", "app", selector={}, otp=ALLOW)], 1,
     "takes precedence over the namespace-wide Sidecar", [sidecar("default", "app", otp=BLOCK)]),
    ("shadowed_sidecar_nobody_uses_sl0002", "SL0002",
     [sidecar("old", "app", selector={"app": "reviews"}, otp=ALLOW, created="2025-01-01T00:00:00Z"),
      sidecar("new", "app", selector={"app": "reviews"}, otp=BLOCK, created="2025-01-02T00:00:00Z")], 1,
     "no workload uses this Sidecar: app/reviews uses app/old",
     [sidecar("old", "app", selector={"app": "reviews"}, otp=ALLOW)]),
    ("selector_sidecar_omitting_the_policy_the_namespace_sets_sl0003", "SL0003",
     [sidecar("default", "app", otp=BLOCK), sidecar("w", "app", selector={"app": "reviews"},
                                                   egress=[{"hosts": ["./*"]}])], 1,
     "sets no outboundTrafficPolicy, so its workloads get the mesh mode ALLOW_ANY, not REGISTRY_ONLY from app/default",
     [sidecar("default", "app", otp=BLOCK), sidecar("w", "app", selector={"app": "reviews"}, otp=BLOCK,
                                                   egress=[{"hosts": ["./*"]}])]),
    ("namespace_sidecar_omitting_the_root_egress_sl0003", "SL0003",
     [sidecar("default", "istio-system", egress=[{"hosts": ["./*"]}], otp=BLOCK), sidecar("default", "app", otp=BLOCK)],
     1, "has no egress, so its workloads see */*",
     [sidecar("default", "istio-system", otp=BLOCK), sidecar("default", "app", otp=BLOCK)]),
    ("empty_outbound_policy_sl0004", "SL0004", [sidecar("d", "app", otp={})], 1, "which means REGISTRY_ONLY",
     [sidecar("d", "app", otp=BLOCK)]),
    ("egress_hosts_under_allow_any_sl0005", "SL0005", [sidecar("d", "app", egress=[{"hosts": ["./*"]}])], 1,
     "still reached", [sidecar("d", "app", egress=[{"hosts": ["./*"]}], otp=BLOCK)]),
    ("partial_dns_name_sl0006", "SL0006",
     [sidecar("d", "app", egress=[{"hosts": ["app/reviews.app"]}], otp=BLOCK)], 1,
     "did you mean app/reviews.app.svc.cluster.local?",
     [sidecar("d", "app", egress=[{"hosts": ["app/reviews.app.svc.cluster.local"]}], otp=BLOCK)]),
    ("unknown_namespace_sl0007", "SL0007", [sidecar("d", "app", egress=[{"hosts": ["ghost/*"]}], otp=BLOCK)], 1,
     "names namespace 'ghost'", [sidecar("d", "app", egress=[{"hosts": ["app/*"]}], otp=BLOCK)]),
    ("import_of_a_service_not_exported_sl0008", "SL0008",
     [ns("web"), svc("secret", "web", export_to="."),
      sidecar("d", "app", egress=[{"hosts": ["web/secret.web.svc.cluster.local"]}], otp=BLOCK)], 1,
     "is not exported to namespace app",
     [ns("web"), svc("secret", "web"), sidecar("d", "app", egress=[{"hosts": ["web/secret.web.svc.cluster.local"]}],
                                               otp=BLOCK)]),
    ("port_listener_importing_nothing_sl0009", "SL0009",
     [sidecar("d", "app", otp=BLOCK, egress=[{"port": {"number": 7777, "protocol": "HTTP", "name": "x"},
                                              "hosts": ["./*"]}, {"hosts": ["./*"]}])], 1,
     "the egress listener on port 7777 imports no service",
     [sidecar("d", "app", otp=BLOCK, egress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "x"},
                                              "hosts": ["./*"]}, {"hosts": ["./*"]}])]),
    ("capture_none_without_bind_sl0010", "SL0010",
     [sidecar("d", "app", selector={"app": "reviews"},
              ingress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "h"}, "captureMode": "NONE",
                        "defaultEndpoint": "127.0.0.1:9081"}])], 1, "captureMode NONE and no bind",
     [sidecar("d", "app", selector={"app": "reviews"},
              ingress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "h"}, "captureMode": "NONE",
                        "bind": "10.0.0.1", "defaultEndpoint": "127.0.0.1:9081"}])]),
    ("template_only_match_adds_sl0011_to_istioctls_ist0101", "SL0011",
     [deployment("ratings", "app", {"app": "ratings"}), sidecar("r", "app", selector={"app": "ratings"}, otp=BLOCK)], 1,
     "but the pod template of Deployment app/ratings does",
     [pod("ratings", "app", {"app": "ratings"}), sidecar("r", "app", selector={"app": "ratings"}, otp=BLOCK)]),
    # SelectorAnalyzer reads Pods only: a template that two selector Sidecars match is not IST0110 for
    # istioctl; the project says it under its own code.
    ("two_selectors_on_one_pod_template_is_sl0013_not_ist0110_SelectorAnalyzer", "SL0013",
     [deployment("ratings", "app", {"app": "ratings"}), sidecar("r2", "app", selector={"app": "ratings"}, otp=BLOCK),
      sidecar("r1", "app", selector={"app": "ratings"}, otp=ALLOW)], 2,
     "select the pod template of Deployment app/ratings: once its pods run, istioctl reports IST0110, and istiod "
     "uses r1",
     [deployment("ratings", "app", {"app": "ratings"}), sidecar("r1", "app", selector={"app": "ratings"}, otp=ALLOW)]),
    ("egress_capture_none_is_a_socket_sl0014_buildSidecarOutboundListeners", "SL0014",
     [sidecar("d", "app", egress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "h"}, "captureMode": "NONE",
                                   "hosts": ["./*"]}])], 1, "istiod binds 127.0.0.1:9080 as a real socket",
     [sidecar("d", "app", egress=[{"port": {"number": 9080, "protocol": "HTTP", "name": "h"}, "hosts": ["./*"]}])]),
    ("ingress_port_no_service_targets_sl0012", "SL0012",
     [sidecar("d", "app", selector={"app": "reviews"}, ingress=[{"port": {"number": 7070, "protocol": "HTTP",
                                                                          "name": "h"}}])], 1,
     "ingress port 7070 is not a target port",
     [sidecar("d", "app", selector={"app": "reviews"}, ingress=[{"port": {"number": 9080, "protocol": "HTTP",
                                                                          "name": "h"}}])]),
]


@pytest.mark.parametrize("code, objects, count, words, near_miss", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_code_fires(code, objects, count, words, near_miss):
    found = fired(code, *objects)
    assert len(found) == count, [m.line() for m in codes(*objects)]
    assert words in found[0].message
    assert found[0].origin and found[0].origin.startswith("test.yaml:")


@pytest.mark.parametrize("code, objects, count, words, near_miss", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_near_miss_does_not_fire(code, objects, count, words, near_miss):
    assert fired(code, *near_miss) == [], [m.line() for m in codes(*near_miss)]


@pytest.mark.parametrize("code, objects", [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_in_korean_the_courses_findings_and_every_why_are_korean_and_istioctls_words_stay(code, objects, monkeypatch):
    english = fired(code, *objects)[0]
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])
    korean = fired(code, *objects)[0]
    assert (korean.code, korean.level, korean.origin, korean.field) == (english.code, english.level, english.origin,
                                                                        english.field)
    hangul = re.compile("[가-힣]")
    if code.startswith("SL"):  # our own sentences: Korean, with the same names and numbers in them
        assert hangul.search(korean.message) and korean.message != english.message
        names = re.compile(r"[\w.-]+/[\w.*-]+|\d{2,}", re.ASCII)
        assert set(names.findall(english.message)) <= set(names.findall(korean.message)), korean.message
    else:  # istioctl's and Kiali's messages, as those tools print them
        assert korean.message == english.message
    if english.why is not None:
        assert hangul.search(korean.why) and "이유:" in korean.explained()
        assert english.why in english.explained() and korean.reference in korean.explained()
    else:
        assert korean.why is None and korean.explained() == korean.line()


def test_few_says_and_n_more_in_english_for_istioctl_and_in_the_language_asked_for_ours(monkeypatch):
    from sidecar_lab.core.analyze import few

    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])
    assert few(["a", "b", "c"], limit=2) == "a, b and 1 more"
    assert few(["a", "b", "c"], limit=2, lang=None) == "a, b 외 1개"
    assert few(["a", "b"], limit=2, lang=None) == "a, b"


# sidecar/selector.go (SelectorAnalyzer): which IST codes istioctl computes for controllers without Pods.
ISTIOCTL_ON_TEMPLATES = [
    # (situation, objects, IST codes istioctl reports for them)
    ("a_deployment_only_is_ist0101_for_istioctl_SelectorAnalyzer",
     [deployment("ratings", "app", {"app": "ratings"}), sidecar("r", "app", selector={"app": "ratings"}, otp=BLOCK)],
     ["IST0101"]),
    ("two_sidecars_on_a_deployment_only_are_two_ist0101_never_ist0110_SelectorAnalyzer",
     [deployment("ratings", "app", {"app": "ratings"}), sidecar("r1", "app", selector={"app": "ratings"}, otp=ALLOW),
      sidecar("r2", "app", selector={"app": "ratings"}, otp=BLOCK)], ["IST0101", "IST0101"]),
    ("a_pod_and_its_deployment_conflict_once_as_ist0110_SelectorAnalyzer",
     [deployment("ratings", "app", {"app": "ratings"}), pod("ratings-1", "app", {"app": "ratings"}),
      sidecar("r1", "app", selector={"app": "ratings"}, otp=ALLOW),
      sidecar("r2", "app", selector={"app": "ratings"}, otp=BLOCK)], ["IST0110", "IST0110"]),
]


@pytest.mark.parametrize("objects, expected", [c[1:] for c in ISTIOCTL_ON_TEMPLATES],
                         ids=[c[0] for c in ISTIOCTL_ON_TEMPLATES])
def test_ist_codes_are_what_istioctl_computes_from_pods(objects, expected):
    got = sorted(m.code for m in codes(*objects) if m.code.startswith("IST") and m.resource.kind == "Sidecar")
    assert got == sorted(expected)
    assert not [m for m in codes(*objects) if m.code == "SL0013"] or "IST0110" not in expected


def test_ist0110_counts_one_message_per_sidecar_per_shared_pod():
    objs = [pod(f"r{i}", "app", {"app": "shared"}) for i in range(3)]
    objs += [sidecar("s1", "app", selector={"app": "shared"}, otp=ALLOW),
             sidecar("s2", "app", selector={"app": "shared"}, otp=BLOCK)]
    assert len(fired("IST0110", *objs)) == 6


def test_line_form_is_istioctls():
    [m] = fired("IST0101", sidecar("bogus", "app", selector={"app": "bogus"}, otp=ALLOW))
    assert m.line().startswith('Error [IST0101] (Sidecar app/bogus test.yaml:')
    assert m.line().endswith(') Referenced selector not found: "app=bogus"')


def test_suppress_by_code_and_glob_and_by_annotation():
    objs = [sidecar("dupe-1", "app", selector={"app": "reviews"}, otp=ALLOW),
            sidecar("dupe-2", "app", selector={"app": "reviews"}, otp=BLOCK)]
    m = mesh(*APP, *objs)
    msgs = analyze(m)
    kept = filter_messages(msgs, m, suppress=["IST0110=Sidecar app/dupe-*"])
    assert not [x for x in kept if x.code == "IST0110"]
    kept = filter_messages(msgs, m, suppress=["IST0110=Sidecar app/dupe-1"])
    assert [x.resource.name for x in kept if x.code == "IST0110"] == ["dupe-2"]
    annotated = sidecar("dupe-1", "app", selector={"app": "reviews"}, otp=ALLOW)
    annotated["metadata"]["annotations"] = {"galley.istio.io/analyze-suppress": "IST0110,SL0002"}
    m = mesh(*APP, annotated, objs[1])
    assert [x.resource.name for x in filter_messages(analyze(m), m) if x.code == "IST0110"] == ["dupe-2"]


def test_thresholds_and_exit_code():
    m = mesh(*APP, sidecar("bogus", "app", selector={"app": "bogus"}, otp=ALLOW))
    msgs = analyze(m)
    assert exit_code(msgs) == 79
    assert exit_code(filter_messages(msgs, m, suppress=["IST0101=*"])) == 0
    assert exit_code(filter_messages(msgs, m, suppress=["IST0101=*"]), "Warning") == 79
    assert all(x.level == "Error" for x in filter_messages(msgs, m, output_threshold="Error"))


SEED = Path(__file__).resolve().parent.parent / "data" / "seed"


@pytest.mark.parametrize("step", sorted(p.name for p in (SEED / "steps").iterdir()))
def test_seed_walkthrough_analyzes_without_error(step, capsys):
    code = main(["analyze", str(SEED / "cluster"), str(SEED / "steps" / step)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Error [" not in out


def test_cli_json_and_exit_79(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: bogus, namespace: app}\n"
                    "spec:\n  workloadSelector:\n    labels: {app: bogus}\n  outboundTrafficPolicy: {mode: ALLOW_ANY}\n")
    assert main(["analyze", str(path), "--format", "json"]) == 79
    import json

    data = json.loads(capsys.readouterr().out)
    ist = [m for m in data["messages"] if m["code"] == "IST0101"][0]
    assert ist["resource"] == {"kind": "Sidecar", "namespace": "app", "name": "bogus"}
    assert ist["origin"] == f"{path}:6" and ist["level"] == "Error"
    assert main(["analyze", str(path), "--suppress", "IST0101=*"]) == 0
    assert main(["analyze", str(path), "--suppress", "IST0101=*", "--failure-threshold", "Warning"]) == 79
    capsys.readouterr()
    assert main(["analyze", str(path), "--suppress", "NOPE=*"]) == 2
    assert capsys.readouterr().err.startswith("error:")
