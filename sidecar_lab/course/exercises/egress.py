"""The checks of notebook 04 (Egress hosts)."""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, _hint, _loc, _norm_word, _ok, _VERDICTS
from .labs import apply_text, GOOGLE, HTTPBIN_DEFAULT, SLEEP, _parse, _rejected, _verdict, _why
from .starters import SCENARIOS, STARTERS, _never_raises


@_never_raises
def check_egress_host(host: Any) -> Feedback:
    """One more egress host for step 06's workload Sidecar, so sleep reaches httpbin.default again
    (and nothing else new)."""
    if not isinstance(host, str) or not host.strip():
        return _hint("write one host entry as a string, in the form 'namespace/dnsName'.")
    host = host.strip()
    text = STARTERS["fix_typo"].replace("egres:", "egress:").replace(
        '    - "istioinaction/*"\n', f'    - "istioinaction/*"\n    - "{host}"\n')
    sim = apply_text("06", text)
    s = next(x for x in sim.mesh.sidecars if x.name == "workload")
    fb = _rejected(sim, s)
    if fb is not None:
        return fb
    verdict = _verdict(sim, SLEEP, HTTPBIN_DEFAULT)
    if verdict != "ROUTED":
        return _hint(f"with {host!r} sleep -> httpbin.default is still {verdict}.", _why(sim, SLEEP, HTTPBIN_DEFAULT),
                     "The namespace part is where the Service is defined; the dnsName is its full hostname "
                     "(or * for all of that namespace).")
    visible = sorted(f"{v.namespace}/{v.host}" for v in sim.resolve(SLEEP).visible_services)
    extra = [v for v in visible if v.split("/")[0] not in ("istioinaction", "default")]
    if extra:
        return _hint("httpbin.default is ROUTED, but the entry imports much more than it.",
                     "Also imported now: " + ", ".join(extra))
    return _ok(f"{host!r} imports httpbin.default: sleep -> httpbin.default is ROUTED again.",
               "Visible to sleep now: " + ", ".join(visible))


@_never_raises
def check_service_entry(yaml_text: Any) -> Feedback:
    """At step 06 (REGISTRY_ONLY, hosts istioinaction/*), make ``curl http://google.com`` from sleep ROUTED
    by registering google.com — without touching the Sidecar."""
    mesh, fb = _parse(yaml_text, _loc("a ServiceEntry"))
    if fb is not None:
        return fb
    if mesh.sidecars:
        return _hint("leave the Sidecar as it is: this exercise is solved with a ServiceEntry only.")
    if not mesh.service_entries:
        return _hint("there is no ServiceEntry in your answer (apiVersion networking.istio.io/v1, kind ServiceEntry).")
    se = mesh.service_entries[0]
    if "google.com" not in se.hosts:
        return _hint(f"the ServiceEntry's hosts are {list(se.hosts)}; curl asks for google.com.")
    if not any(p.number == 80 for p in se.ports):
        return _hint("curl http://google.com uses port 80: the ServiceEntry needs a port 80 (name http, protocol HTTP).")
    sim = apply_text("06", yaml_text)
    r = _verdict(sim, SLEEP, GOOGLE)
    if r != "ROUTED":
        return _hint(f"sleep -> google.com is {r}.", _why(sim, SLEEP, GOOGLE),
                     f"Your ServiceEntry lives in namespace {se.namespace!r}; the egress hosts import "
                     "istioinaction/*. The namespace part of a host is where the configuration is defined.")
    return _ok("google.com is now a registry entry that sleep imports: ROUTED to outbound|80||google.com.",
               f"The ServiceEntry lives in {se.namespace}, so istioinaction/* imports it (istio/istio#13319).")


@_never_raises
def check_firewall_verdict(answer: Any) -> Feedback:
    """Step 06's hosts with ALLOW_ANY (``SCENARIOS['hosts_allow_any']``): sleep -> httpbin.default?"""
    sim = apply_text("06", SCENARIOS["hosts_allow_any"], "hosts-allow-any.yaml")
    from ...core.traffic import check

    r = check(sim, SLEEP, HTTPBIN_DEFAULT)
    given = _norm_word(answer)
    if given not in _VERDICTS:
        return _hint(f"answer with a verdict: {', '.join(_VERDICTS[:3])}.")
    if given == r.verdict.value:
        return _ok(f"{r.verdict.value}: httpbin.default still answers, through {r.envoy.cluster}.",
                   f"client sees: {r.client_sees_text()}",
                   "Egress hosts decide what the proxy is configured for; under ALLOW_ANY everything else "
                   "still goes out as plaintext passthrough (istio/istio#15329).")
    return _hint(f"not {given}.", "httpbin.default is not imported; so what does the outbound mode do with "
                 "traffic that matches no imported service?")


