"""The checks of notebook 08 (Scale)."""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, _hint, _ok
from .labs import HTTPBIN_HERE, seed_simulator, SLEEP, _int, _parsed_sidecar, _verdict, _why, _admitted
from .starters import _never_raises


@_never_raises
def check_cluster_count(answer: Any, step: str = "01-no-sidecar") -> Feedback:
    """How many ``outbound|...`` clusters does sleep's proxy get at ``step``?"""
    from ...scale.sizing import proxy_config

    sim = seed_simulator(step)
    pc = proxy_config(sim, SLEEP)
    given = _int(answer)
    if given is None:
        return _hint("answer with a whole number of clusters.")
    res = sim.resolve(SLEEP)
    ports = [f"{v.host}: {len(v.ports)}" for v in res.visible_services]
    if given == pc.outbound_clusters:
        return _ok(f"{pc.outbound_clusters} outbound clusters: one per port of every visible service.", *ports,
                   f"Plus {pc.fixed_clusters} fixed ones (BlackHoleCluster, PassthroughCluster, ...): "
                   f"{pc.clusters} in istioctl proxy-config cluster.")
    if given == pc.clusters:
        return _hint(f"{given} is every cluster, fixed ones included; count only outbound|port||host clusters.")
    return _hint(f"sleep's proxy does not get {given} outbound clusters.",
                 "Count one per port of every service the proxy sees (sidecar_lab.resolve lists them).")


@_never_raises
def check_minimal_sidecar(yaml_text: Any) -> Feedback:
    """A Sidecar for sleep at step 04 that keeps its one call (httpbin.istioinaction) ROUTED with less config."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "istioinaction")
    if fb is not None:
        return fb
    from ...scale.sizing import proxy_config

    before = proxy_config(seed_simulator("04"), SLEEP)
    sim, fb = _admitted(mesh, "04", s)
    if fb is not None:
        return fb
    if sim.resolve(SLEEP).sidecar != s.ref:
        return _hint("your Sidecar does not govern sleep.", "Select it with workloadSelector.labels run: sleep.")
    verdict = _verdict(sim, SLEEP, HTTPBIN_HERE)
    if verdict != "ROUTED":
        return _hint(f"sleep -> httpbin.istioinaction is {verdict}: the one call sleep makes broke.",
                     _why(sim, SLEEP, HTTPBIN_HERE))
    after = proxy_config(sim, SLEEP)
    if after.outbound_clusters >= before.outbound_clusters:
        return _hint(f"the call works, but sleep still gets {after.outbound_clusters} outbound clusters "
                     f"(before: {before.outbound_clusters}).", "*/* imports every service; import only what sleep calls.")
    return _ok(f"sleep's outbound clusters: {before.outbound_clusters} -> {after.outbound_clusters}; "
               f"estimated memory {before.memory_mib:.1f} -> {after.memory_mib:.1f} MiB (a model, not a measurement).",
               "The call to httpbin.istioinaction stays ROUTED.")


@_never_raises
def check_push_fanout(answer: Any, service: str = "httpbin.default", step: str = "06-workload-hosts") -> Feedback:
    """When ``service`` changes at ``step``, how many proxies must istiod push?"""
    from ...scale.sizing import push_fanout

    pushed = push_fanout(seed_simulator(step), service)
    given = _int(answer)
    if given is None:
        return _hint("answer with a whole number of proxies.")
    if given == len(pushed):
        return _ok(f"{len(pushed)}: " + ", ".join(pushed),
                   "Only proxies whose scope includes the service are pushed; sleep no longer sees it. "
                   "Gateways ignore Sidecars, so they always see everything.")
    return _hint(f"not {given}.", "Which proxies see the service? sleep's Sidecar imports only istioinaction/*, "
                 "and a gateway ignores Sidecars.")


