"""The checks of notebook 06 (Diagnostics)."""

from __future__ import annotations

import re
from typing import Any

from ...core.resolver import Simulator
from .feedback import Feedback, _hint, _norm_word, _ok
from .labs import apply_text, GOOGLE, HTTPBIN, SLEEP, _parsed_sidecar, _verdict, _admitted
from .starters import SCENARIOS, _never_raises


def _codes(sim: Simulator, ref=None) -> list[str]:
    from ...core.analyze import analyze

    return [m.code for m in analyze(sim) if ref is None or m.resource == ref]


@_never_raises
def check_find_the_bug(yaml_text: Any) -> Feedback:
    """``STARTERS['find_the_bug']`` was meant to open google.com for sleep only, at step 04. Fix it."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction")
    if fb is not None:
        return fb
    if s.name == "default":
        return _hint("this replaces the namespace-wide istioinaction/default for every pod; keep your own name.")
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    codes = _codes(sim)
    if "IST0111" in codes:
        return _hint("istioctl analyze still says IST0111: two Sidecars without workloadSelector in istioinaction.",
                     f"The older one (istioinaction/default) wins and {s.ref} is ignored entirely.")
    sleep, httpbin = _verdict(sim, SLEEP, GOOGLE), _verdict(sim, HTTPBIN, GOOGLE)
    if sleep != "PASSTHROUGH" or httpbin != "BLOCKED":
        return _hint(f"sleep -> google.com is {sleep}, httpbin -> google.com is {httpbin}.",
                     "Wanted: PASSTHROUGH for sleep only. Which labels does the sleep pod carry?")
    return _ok("fixed: with a workloadSelector it is a workload Sidecar, and it outranks the namespace default.",
               "Without one it was a second namespace-wide Sidecar: istiod keeps the oldest and ignores the "
               "rest (IST0111, istio/istio#18468).")


@_never_raises
def check_analyze_code(answer: Any) -> Feedback:
    """``SCENARIOS['typo_selector']`` at step 04: which istioctl code (ISTxxxx) reports its problem?"""
    sim = apply_text("04", SCENARIOS["typo_selector"], "typo-selector.yaml")
    from ...core.analyze import analyze

    msgs = [m for m in analyze(sim) if m.resource.name == "workload"]
    ist = [m for m in msgs if m.code.startswith("IST")]
    given = _norm_word(answer)
    if not given or not re.fullmatch(r"(IST|KIA|SL)\d{4}", given):
        return _hint("answer with a code such as 'IST0110' (run analyze() on the scenario to see the list).")
    if ist and given == ist[0].code:
        return _ok(f"{given}: {ist[0].message}",
                   "The selector matches no pod, so the Sidecar governs nothing; sleep keeps the namespace default.")
    if any(m.code == given for m in msgs):
        return _hint(f"{given} is reported too, but it is not istioctl's code (ISTxxxx).")
    return _hint(f"{given} is not reported for this Sidecar.", "Run analyze(sim) and read the lines about "
                 "Sidecar istioinaction/workload.")


@_never_raises
def check_root_selector_fix(yaml_text: Any) -> Feedback:
    """``STARTERS['root_selector_fix']`` meant to open google.com for sleep at step 04. Make it work."""
    mesh, s, fb = _parsed_sidecar(yaml_text)
    if fb is not None:
        return fb
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    codes = _codes(sim, s.ref)
    if "KIA1006" in codes or s.namespace == "istio-system":
        return _hint("a Sidecar with a workloadSelector in the root namespace applies only to pods of istio-system "
                     "(Kiali: KIA1006).", "Put it where the sleep pod lives.")
    sleep, httpbin = _verdict(sim, SLEEP, GOOGLE), _verdict(sim, HTTPBIN, GOOGLE)
    if sleep != "PASSTHROUGH" or httpbin != "BLOCKED":
        return _hint(f"sleep -> google.com is {sleep}, httpbin -> google.com is {httpbin}.",
                     "Wanted: PASSTHROUGH for sleep only.")
    return _ok(f"{s.ref} now governs sleep: google.com is PASSTHROUGH for it, httpbin stays blocked.",
               "Only a selector-less Sidecar in the root namespace is a mesh-wide default (istio/istio#39989).")


