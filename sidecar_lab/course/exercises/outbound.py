"""The checks of notebook 03 (outboundTrafficPolicy)."""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, _hint, _norm_word, _ok
from .labs import (
    apply_text, GOOGLE, HTTPBIN, seed_simulator, SLEEP, _int, _parsed_sidecar, _verdict, _warnings, _admitted,
)
from .starters import SCENARIOS, _never_raises


@_never_raises
def check_curl_exit(target: str, answer: Any, step: str = "02-root-registry-only") -> Feedback:
    """What exit code does ``curl TARGET`` from sleep give at ``step``?"""
    from ...core.traffic import check

    r = check(seed_simulator(step), SLEEP, target)
    given = _int(answer)
    if given is None:
        return _hint("answer with curl's exit code, a whole number (0 means curl saw no error).")
    if given == r.curl_exit:
        return _ok(f"curl {target} exits {r.curl_exit}.", f"client sees: {r.client_sees_text()}",
                   f"envoy: listener {r.envoy.listener} -> route {r.envoy.route or '-'} -> "
                   f"cluster {r.envoy.cluster or '-'}")
    if r.target.scheme == "https":
        return _hint(f"curl does not exit {given} here.",
                     "With https Envoy cannot read a Host header: no HTTP route applies, the connection goes "
                     "to a cluster that accepts it and closes it. What does curl say when the TLS handshake "
                     "fails?")
    return _hint(f"curl does not exit {given} here.",
                 "For plain HTTP on port 80 Envoy answers itself (route block_all). Does curl treat an HTTP "
                 "error status as a failure without -f?")


@_never_raises
def check_empty_policy(answer: Any) -> Feedback:
    """``outboundTrafficPolicy: {}`` (``SCENARIOS['empty_policy']``): which mode does the pod get?"""
    sim = apply_text("01", SCENARIOS["empty_policy"], "empty-policy.yaml")
    mode = sim.resolve(SLEEP).mode
    given = _norm_word(answer)
    if given not in ("REGISTRY_ONLY", "ALLOW_ANY"):
        return _hint("answer 'REGISTRY_ONLY' or 'ALLOW_ANY'.")
    if given == mode:
        return _ok(f"{mode}: sleep -> google.com is {_verdict(sim, SLEEP, GOOGLE)}.",
                   "REGISTRY_ONLY is value 0 of the protobuf enum, so a policy object without a mode is "
                   "REGISTRY_ONLY — even though the mesh default is ALLOW_ANY (kiali/kiali#5882).")
    return _hint(f"the pod does not get {given}.",
                 "The field is present, so the mesh default is not used. What is the zero value of the "
                 "OutboundTrafficPolicy.Mode enum?")


@_never_raises
def check_open_for_sleep(yaml_text: Any) -> Feedback:
    """At step 04 (everything REGISTRY_ONLY), let only the sleep pod reach google.com."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction")
    if fb is not None:
        return fb
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    sleep, httpbin = _verdict(sim, SLEEP, GOOGLE), _verdict(sim, HTTPBIN, GOOGLE)
    if httpbin != "BLOCKED":
        return _hint(f"httpbin -> google.com is {httpbin}: every pod of istioinaction got through, not only sleep.",
                     f"httpbin is governed by {sim.resolve(HTTPBIN).sidecar}. A Sidecar without workloadSelector "
                     "is namespace-wide; select run: sleep instead.")
    if sleep != "PASSTHROUGH":
        res = sim.resolve(SLEEP)
        return _hint(f"sleep -> google.com is {sleep} (mode {res.mode}, Sidecar {res.sidecar}).",
                     "Select sleep with workloadSelector.labels run: sleep and set mode ALLOW_ANY.")
    note = "" if s.spec.outbound_traffic_policy else (
        "note: your Sidecar sets no outboundTrafficPolicy; it works only because the mesh default is "
        "ALLOW_ANY. Write the mode out.")
    return _ok("only sleep reaches google.com (PASSTHROUGH); httpbin stays blocked.",
               "This is the blog's step 05: a workload Sidecar outranks the namespace-wide one.", note,
               *_warnings(sim, s))


