"""Does a pod get a sidecar? The injection webhook's selectors, then ``injectRequired``.

The selectors are those of ``manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml``
(Istio 1.26; label selectors, exact values); ``injectRequired`` is ``pkg/kube/inject/inject.go``, and
the first table is transcribed from ``TestInjectRequired`` in ``pkg/kube/inject/webhook_test.go`` (the
cases with the default policy ``enabled`` and no never/always-inject selectors).
"""

import pytest

from builders import ns, sim
from sidecar_lab.core.injection import inject_required
from sidecar_lab.core.model import Workload

INJECT = "sidecar.istio.io/inject"


# TestInjectRequired: (name, labels, annotations, hostNetwork, want)
INJECT_REQUIRED = [
    ("no-policy", {}, {}, False, True),
    ("force-on-policy", {}, {INJECT: "true"}, False, True),
    ("force-off-policy", {}, {INJECT: "false"}, False, False),
    ("host-network", {}, {}, True, False),
    ("policy-enabled-label-enabled-annotation-disabled", {INJECT: "true"}, {INJECT: "false"}, False, True),
    ("policy-enabled-label-disabled-annotation-enabled", {INJECT: "false"}, {INJECT: "true"}, False, False),
]


@pytest.mark.parametrize("labels, annotations, host_network, want", [c[1:] for c in INJECT_REQUIRED],
                         ids=[f"{c[0]}-TestInjectRequired" for c in INJECT_REQUIRED])
def test_inject_required_TestInjectRequired(labels, annotations, host_network, want):
    w = Workload("Pod", "test-namespace", "p", labels, annotations, host_network=host_network)
    assert inject_required(w)[0] is want


def pod(labels=None, annotations=None, host_network=False, namespace="web"):
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": namespace, "labels": {"app": "p", **(labels or {})}},
           "spec": {"containers": [{"name": "app", "image": "example"}]}}
    if annotations:
        obj["metadata"]["annotations"] = dict(annotations)
    if host_network:
        obj["spec"]["hostNetwork"] = True
    return obj


def namespace(labels):
    return ns("web", injected=False, labels=labels)


# (situation, namespace labels or None for no Namespace manifest, pod labels, pod annotations, hostNetwork,
#  expected proxy, the reason's key)
CASES = [
    ("namespace_label_enabled_injects_namespace_webhook", {"istio-injection": "enabled"}, {}, {}, False,
     "sidecar", "proxy.namespace-injected"),
    ("namespace_revision_injects_rev_namespace_webhook", {"istio.io/rev": "stable"}, {}, {}, False,
     "sidecar", "proxy.namespace-injected"),
    ("the_pods_own_revision_label_injects_in_an_unlabelled_namespace_rev_object_webhook", {},
     {"istio.io/rev": "default"}, {}, False, "sidecar", "proxy.pod-revision"),
    ("a_pod_revision_label_with_inject_false_is_not_selected_rev_object_webhook", {},
     {"istio.io/rev": "default", INJECT: "false"}, {}, False, "none", "proxy.pod-opt-out"),
    ("pod_label_true_injects_in_an_unlabelled_namespace_object_webhook", {}, {INJECT: "true"}, {}, False,
     "sidecar", "proxy.pod-opt-in"),
    ("pod_label_true_is_compared_exactly_by_the_selector_object_webhook", {}, {INJECT: "True"}, {}, False,
     "none", "proxy.namespace-not-injected"),
    ("pod_annotation_true_is_not_seen_by_the_selectors_object_webhook", {}, {}, {INJECT: "true"}, False,
     "none", "proxy.namespace-not-injected"),
    ("pod_label_true_with_a_revision_label_goes_to_the_revision_rev_object_webhook", {},
     {INJECT: "true", "istio.io/rev": "canary"}, {}, False, "sidecar", "proxy.pod-revision"),
    ("a_disabled_namespace_is_never_selected_mutatingwebhook", {"istio-injection": "disabled"}, {INJECT: "true"},
     {}, False, "none", "proxy.namespace-label-not-enabled"),
    ("another_injection_label_value_is_never_selected_mutatingwebhook", {"istio-injection": "true"}, {}, {}, False,
     "none", "proxy.namespace-label-not-enabled"),
    ("the_legacy_label_wins_over_the_namespace_revision_mutatingwebhook",
     {"istio-injection": "enabled", "istio.io/rev": "canary"}, {}, {}, False, "sidecar", "proxy.namespace-injected"),
    ("host_network_pods_are_never_injected_injectRequired", {"istio-injection": "enabled"}, {}, {}, True, "none",
     "proxy.host-network"),
    ("host_network_pods_are_never_injected_even_by_revision_injectRequired", {}, {"istio.io/rev": "default"}, {},
     True, "none", "proxy.host-network"),
    ("inject_label_no_refuses_injectRequired", {"istio-injection": "enabled"}, {INJECT: "no"}, {}, False, "none",
     "proxy.pod-opt-out-value"),
    ("inject_label_yes_accepts_injectRequired", {"istio-injection": "enabled"}, {INJECT: "yes"}, {}, False,
     "sidecar", "proxy.namespace-injected"),
    ("inject_annotation_off_refuses_injectRequired", {"istio-injection": "enabled"}, {}, {INJECT: "off"}, False,
     "none", "proxy.pod-opt-out-value"),
    ("inject_annotation_on_any_case_accepts_injectRequired", {"istio-injection": "enabled"}, {}, {INJECT: "ON"},
     False, "sidecar", "proxy.namespace-injected"),
    ("inject_label_false_is_not_selected_namespace_webhook", {"istio-injection": "enabled"}, {INJECT: "false"}, {},
     False, "none", "proxy.pod-opt-out"),
    ("an_empty_namespace_revision_selects_no_webhook_mutatingwebhook", {"istio.io/rev": ""}, {INJECT: "true"}, {},
     False, "none", "proxy.namespace-empty-revision"),
    ("an_ambient_namespace_without_injection_labels_gets_no_sidecar", {"istio.io/dataplane-mode": "ambient"}, {}, {},
     False, "none", "proxy.ambient"),
    ("no_namespace_manifest_is_assumed_injected", None, {}, {}, False, "sidecar", "proxy.namespace-assumed"),
    ("no_namespace_manifest_still_honours_host_network_injectRequired", None, {}, {}, True, "none",
     "proxy.host-network"),
]


@pytest.mark.parametrize("ns_labels, labels, annotations, host_network, proxy, key", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_injection(ns_labels, labels, annotations, host_network, proxy, key):
    objects = [pod(labels, annotations, host_network)]
    if ns_labels is not None:
        objects.insert(0, namespace(ns_labels))
    s = sim(*objects)
    res = s.resolve("web/p")
    assert (res.proxy, res.proxy_reason.key) == (proxy, key)
