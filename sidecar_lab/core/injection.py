"""Does a pod get a sidecar? The injection webhook's selectors, then the injector's own check.

Two steps, as in a cluster:

1. The API server calls the webhook only when one of its selectors matches
   (``manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml``, Istio 1.26):
   ``namespace.`` (namespace ``istio-injection=enabled``), ``rev.namespace.`` (namespace
   ``istio.io/rev``, no ``istio-injection``), ``rev.object.`` (unlabelled namespace, the pod's
   own ``istio.io/rev``) and ``object.`` (unlabelled namespace, pod label
   ``sidecar.istio.io/inject: "true"`` and no ``istio.io/rev``). Each but the last refuses a pod
   labelled ``sidecar.istio.io/inject: "false"``. Selectors read labels only, and exact values.
2. The injector then runs ``injectRequired`` (``pkg/kube/inject/inject.go``): never with
   ``hostNetwork: true``, never in ``kube-system``, ``kube-public``, ``kube-node-lease`` or
   ``local-path-storage``; the pod's ``sidecar.istio.io/inject`` label (else its annotation)
   decides when set — ``y``, ``yes``, ``true``, ``on`` (any case) inject, any other value does
   not — and an unset one follows the injection policy (``enabled``).

**Assumed:** every revision a label names (``istio.io/rev``) is installed; the injector's
``neverInjectSelector``/``alwaysInjectSelector`` are empty (the default).

>>> from sidecar_lab.core.model import Namespace, Workload
>>> decide(Workload("Pod", "web", "a", {"istio.io/rev": "stable"}), Namespace("web"))[0]
True
"""

from __future__ import annotations

from typing import Mapping

from .model import Namespace, Workload
from .results import Step

__all__ = ["IGNORED_NAMESPACES", "webhook_called", "inject_required", "decide", "YES_VALUES"]

#: ``inject.IgnoredNamespaces``: the injector never injects here (and istioctl never looks here).
IGNORED_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "local-path-storage"})
#: ``injectRequired``'s values that ask for injection (http://yaml.org/type/bool.html), compared lower-case.
YES_VALUES = frozenset({"y", "yes", "true", "on"})
INJECT = "sidecar.istio.io/inject"
REVISION = "istio.io/rev"


def webhook_called(namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str]) -> tuple[str | None, Step]:
    """Which of the injection webhooks the API server calls for this pod (None: none), and why.

    The selectors of ``mutatingwebhook.yaml``: label selectors compare exact label values.
    """
    opt = pod_labels.get(INJECT)
    pod_rev = pod_labels.get(REVISION)
    legacy = namespace_labels.get("istio-injection")
    ns_rev = namespace_labels.get(REVISION)
    if legacy is not None:
        if legacy != "enabled":
            return None, Step("proxy.namespace-label-not-enabled", {"value": legacy})
        if opt == "false":
            return None, Step("proxy.pod-opt-out", {"how": "label"})
        return "namespace", Step("proxy.namespace-injected", {"label": "istio-injection=enabled"})
    if ns_rev is not None:
        if not ns_rev:
            return None, Step("proxy.namespace-empty-revision", {})
        if opt == "false":
            return None, Step("proxy.pod-opt-out", {"how": "label"})
        return "rev.namespace", Step("proxy.namespace-injected", {"label": f"istio.io/rev={ns_rev}"})
    if pod_rev is not None:
        if not pod_rev:
            return None, Step("proxy.pod-empty-revision", {})
        if opt == "false":
            return None, Step("proxy.pod-opt-out", {"how": "label"})
        return "rev.object", Step("proxy.pod-revision", {"revision": pod_rev})
    if opt == "true":
        return "object", Step("proxy.pod-opt-in", {})
    return None, Step("proxy.namespace-not-injected", {})


def inject_required(workload: Workload) -> tuple[bool, Step | None]:
    """``injectRequired``, once the webhook is called: (inject?, the step that decided, if any)."""
    if workload.host_network:
        return False, Step("proxy.host-network", {})
    if workload.namespace in IGNORED_NAMESPACES:
        return False, Step("proxy.ignored-namespace", {"namespace": workload.namespace})
    label = workload.labels.get(INJECT)
    value = label if label is not None else workload.annotations.get(INJECT)
    if not value:
        return True, None
    if value.lower() in YES_VALUES:
        return True, None
    return False, Step("proxy.pod-opt-out-value", {"value": value, "how": "label" if label is not None else "annotation"})


def decide(workload: Workload, namespace: Namespace | None) -> tuple[bool, Step]:
    """Does the injector give this pod a sidecar (a Namespace not in the inputs counts as
    ``istio-injection=enabled``, as the lab assumes), and the step that says why."""
    labels = namespace.labels if namespace is not None else {"istio-injection": "enabled"}
    hook, why = webhook_called(labels, workload.labels)
    if hook is None:
        if why.key == "proxy.namespace-not-injected" and namespace is not None:
            if namespace.ambient:
                return False, Step("proxy.ambient", {"namespace": namespace.name})
            return False, Step("proxy.namespace-not-injected", {"namespace": namespace.name})
        return False, why
    required, veto = inject_required(workload)
    if not required:
        return False, veto  # type: ignore[return-value]
    if namespace is None:
        return True, Step("proxy.namespace-assumed", {"namespace": workload.namespace})
    if why.key == "proxy.namespace-injected":
        return True, Step("proxy.namespace-injected", {"namespace": namespace.name, "label": why.params["label"]})
    return True, why
