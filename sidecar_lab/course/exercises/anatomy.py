"""The checks of notebook 01 (Anatomy of a Sidecar)."""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, _hint, _ok
from .labs import GOOGLE, HTTPBIN_DEFAULT, HTTPBIN_HERE, SLEEP, _parsed_sidecar, _verdict, _warnings, _admitted
from .starters import _never_raises


@_never_raises
def check_fix_typo(yaml_text: Any) -> Feedback:
    """Step 06's edit of ``istioinaction/workload`` with a typo: make kubectl accept it, and check it
    restricts sleep to istioinaction as the blog's edit did."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction", "workload")
    if fb is not None:
        return fb
    sim, fb = _admitted(mesh, "05", s)
    if fb is not None:
        return fb
    if sim.resolve(SLEEP).sidecar != s.ref:
        return _hint("the Sidecar is admitted, but it does not select the sleep pod.",
                     "Keep workloadSelector.labels run: sleep.")
    here, there = _verdict(sim, SLEEP, HTTPBIN_HERE), _verdict(sim, SLEEP, HTTPBIN_DEFAULT)
    if there != "BLOCKED" or here != "ROUTED":
        return _hint(f"admitted, but sleep -> httpbin.default is {there} and sleep -> httpbin.istioinaction is {here}.",
                     "The blog's edit blocks httpbin.default and keeps httpbin.istioinaction: egress hosts "
                     "[istioinaction/*] together with mode REGISTRY_ONLY.")
    return _ok("kubectl would accept it, and sleep now reaches only istioinaction (as in the blog's step 06).",
               "Unknown fields are refused by kubectl's strict field validation (Kubernetes 1.27+): a typo is "
               "an error, not something silently ignored.", *_warnings(sim, s))


@_never_raises
def check_fix_short_hosts(yaml_text: Any) -> Feedback:
    """Let sleep reach httpbin in both namespaces, and nothing else: fix the rejected host entries."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction")
    if fb is not None:
        return fb
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    res = sim.resolve(SLEEP)
    if res.sidecar != s.ref:
        return _hint(f"sleep is governed by {res.sidecar or 'no Sidecar'}, not by yours.",
                     "A workloadSelector with run: sleep makes it a workload Sidecar.")
    verdicts = {t: _verdict(sim, SLEEP, t) for t in (HTTPBIN_HERE, HTTPBIN_DEFAULT, GOOGLE)}
    wrong = [f"sleep -> {t}: {v}" for t, v in verdicts.items()
             if v != ("BLOCKED" if t == GOOGLE else "ROUTED")]
    if wrong:
        return _hint("admitted, but the traffic is not right yet.", *wrong,
                     "Both httpbin services must be ROUTED and google.com BLOCKED (keep REGISTRY_ONLY).")
    hosts = sorted(v.host for v in res.visible_services)
    extra = [h for h in hosts if not h.startswith("httpbin.")]
    if extra:
        return _hint("both httpbins are reachable, but the proxy imports more than them.",
                     "Also imported: " + ", ".join(extra), "Name each service by its full hostname.")
    return _ok("admitted; sleep sees exactly the two httpbin services.",
               "The dnsName part of a host is matched literally against the service's hostname "
               "(name.namespace.svc.cluster.local): short names are refused at admission.",
               "Visible: " + ", ".join(hosts), *_warnings(sim, s))


@_never_raises
def check_root_default(yaml_text: Any) -> Feedback:
    """Write, from memory, the Sidecar the blog applied first: a mesh-wide REGISTRY_ONLY default."""
    mesh, s, fb = _parsed_sidecar(yaml_text)
    if fb is not None:
        return fb
    if s.namespace != "istio-system":
        return _hint(f"a Sidecar in {s.namespace!r} is not a mesh-wide default.",
                     "Only the root namespace (meshConfig.rootNamespace, istio-system here) holds the default "
                     "every namespace falls back to.")
    if s.spec.has_selector:
        return _hint("in the root namespace a Sidecar with a workloadSelector applies only to pods of istio-system.",
                     "Leave workloadSelector out so that it becomes the mesh-wide default.")
    sim, fb = _admitted(mesh, "01", s)
    if fb is not None:
        return fb
    res = sim.resolve(SLEEP)
    if res.mode != "REGISTRY_ONLY":
        return _hint(f"sleep's outbound mode is {res.mode} (from {res.policy.source}).",
                     "Set spec.outboundTrafficPolicy.mode: REGISTRY_ONLY.")
    google, here = _verdict(sim, SLEEP, GOOGLE), _verdict(sim, SLEEP, HTTPBIN_HERE)
    if google != "BLOCKED" or here != "ROUTED":
        return _hint(f"sleep -> google.com is {google} and sleep -> httpbin.istioinaction is {here}.",
                     "The blog's step 02 blocks google.com and keeps httpbin reachable.")
    note = ("note: your policy has no mode; REGISTRY_ONLY is the enum's zero value, so {} means "
            "REGISTRY_ONLY — but write it out, readers expect it" if s.spec.outbound_traffic_policy
            and s.spec.outbound_traffic_policy.mode is None else "")
    return _ok("this is the blog's mesh-wide default: google.com is blocked, httpbin still answers.",
               f"sleep is governed by {res.sidecar} [scope {res.scope}]: {res.scope_reason.text()}", note,
               *_warnings(sim, s))


