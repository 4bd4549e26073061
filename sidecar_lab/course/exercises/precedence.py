"""The checks of notebook 02 (Precedence)."""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, _hint, _ok
from .labs import (
    apply_text, GOOGLE, HTTPBIN_DEFAULT, HTTPBIN_HERE, seed_simulator, SLEEP, _norm_ref, _parsed_sidecar, _step,
    _verdict, _warnings, _admitted,
)
from .starters import SCENARIOS, _never_raises


_SCOPE_HINTS = {
    "workload": "Look first for a Sidecar in the pod's own namespace whose workloadSelector matches the pod's "
                "labels: selector Sidecars come before everything else.",
    "namespace": "Does any selector Sidecar match this pod's labels? If none does, the namespace-wide Sidecar "
                 "(no workloadSelector) of the pod's own namespace applies.",
    "root": "Nothing in the pod's own namespace applies, so istiod falls back to the root namespace "
            "(istio-system).",
    "default": "No Sidecar applies at all: the built-in default (answer 'none').",
    "gateway": "Gateways ignore every Sidecar (answer 'none').",
    "none": "This pod has no proxy at all (answer 'none').",
}


@_never_raises
def check_governing_sidecar(workload: Any, answer: Any, step: str = "05-workload-allow-any") -> Feedback:
    """Which Sidecar (``NS/NAME``, or ``none``) governs ``workload`` at ``step`` of the seed lab?"""
    sim = seed_simulator(step)
    res = sim.resolve(workload)
    given = _norm_ref(answer)
    names = sorted(str(s.ref) for s in sim.mesh.sidecars)
    if not given:
        return _hint("write the Sidecar as 'namespace/name' (or 'none').", "Sidecars at this step: " + ", ".join(names))
    expected = str(res.sidecar) if res.sidecar else "none"
    if given in ("none", "default", "built-in", "no sidecar"):
        given = "none"
    elif "/" not in given:
        return _hint(f"{answer!r} needs a namespace: write it as 'namespace/name'.",
                     "Sidecars at this step: " + ", ".join(names))
    elif given not in names:
        return _hint(f"there is no Sidecar {given} at step {_step(step)}.", "Sidecars at this step: " + ", ".join(names))
    if given == expected:
        losers = [f"{c.sidecar} ({c.outcome}): {c.reason.text()}" for c in res.candidates if c.outcome != "selected"]
        return _ok(f"{workload} is governed by {expected} [scope {res.scope}].", res.scope_reason.text(), *losers)
    return _hint(f"{given} is not the one istiod picks for {workload}.", _SCOPE_HINTS.get(res.scope, ""),
                 "sidecar_lab.resolve(sim, workload) lists every candidate and why it lost.")


@_never_raises
def check_tie_break(answer: Any) -> Feedback:
    """Two namespace-wide Sidecars created in the same second (``SCENARIOS['tie']``): which one wins?"""
    sim = apply_text("01", SCENARIOS["tie"], "tie.yaml")
    res = sim.resolve(SLEEP)
    given = _norm_ref(answer)
    if not given:
        return _hint("write the name of the winning Sidecar (for example 'restrict').")
    given = given.split("/")[-1]
    if given not in ("allow", "restrict"):
        return _hint(f"{answer!r} is not one of the two Sidecars of the scenario: 'allow' or 'restrict'.")
    google = _verdict(sim, SLEEP, GOOGLE)
    if given == res.sidecar.name:
        return _ok(f"{res.sidecar} wins, so sleep -> google.com is {google}.",
                   "Same creation second: istiod breaks the tie by name (alphabetical), then namespace — "
                   "not by which one is stricter. The other is ignored entirely (istioctl analyze: IST0111).")
    return _hint(f"{given} loses the tie.",
                 "Both have the same creationTimestamp (one-second resolution). What does istiod compare next? "
                 "Not the mode.")


@_never_raises
def check_keep_registry_only(yaml_text: Any) -> Feedback:
    """At step 04, a workload Sidecar for sleep that limits its egress to istioinaction — while keeping
    google.com blocked as the namespace Sidecar does."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction")
    if fb is not None:
        return fb
    if s.name == "default" and not s.spec.has_selector:
        return _hint("this replaces the namespace-wide Sidecar istioinaction/default for every pod.",
                     "Give it its own name and a workloadSelector for run: sleep.")
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    res = sim.resolve(SLEEP)
    if res.sidecar != s.ref:
        return _hint(f"sleep is governed by {res.sidecar}, not by your Sidecar.",
                     "Add workloadSelector.labels run: sleep.")
    google, here, there = (_verdict(sim, SLEEP, t) for t in (GOOGLE, HTTPBIN_HERE, HTTPBIN_DEFAULT))
    if google != "BLOCKED":
        return _hint(f"sleep -> google.com is now {google}: your Sidecar opened the door again.",
                     f"sleep's mode is {res.mode}, from {res.policy.source} ({res.policy.detail}).",
                     "A chosen Sidecar is used alone: nothing is inherited from istioinaction/default. "
                     "A Sidecar without outboundTrafficPolicy gets the mesh mode (ALLOW_ANY here).")
    if here != "ROUTED" or there != "BLOCKED":
        return _hint(f"google.com is blocked, but sleep -> httpbin.istioinaction is {here} and "
                     f"sleep -> httpbin.default is {there}.", "Egress hosts: istioinaction/* only.")
    return _ok("sleep keeps REGISTRY_ONLY and sees only istioinaction.",
               "You wrote the mode yourself: the workload Sidecar does not inherit it from the namespace Sidecar "
               "(istio/istio#59376).", *_warnings(sim, s))


