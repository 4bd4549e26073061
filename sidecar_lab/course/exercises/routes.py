"""The checks of notebook 09 (Routes and DestinationRules)."""

from __future__ import annotations

import functools
import re
from typing import Any, Sequence

from ...core.loader import load
from ...core.model import Mesh
from ...core.resolver import Simulator
from .feedback import Feedback, _hint, _loc, _ok
from .labs import apply_text, course_paths, HTTPBIN_HERE, SLEEP, _parse, _rejected, _step
from .starters import STARTERS, _never_raises


#: What notebook 09 adds to step 06 of the seed lab: httpbin v2 behind the same Service, and its subsets.
NEXT_BASE = ("next/httpbin-v2.yaml", "next/destinationrule.yaml")
CANARY = ("x-canary: true",)


@functools.lru_cache(maxsize=8)
def _next_mesh(files: tuple[str, ...]) -> Mesh:
    return load(course_paths("seed/cluster", f"seed/steps/{_step('06')}", *NEXT_BASE, *(f"next/{f}" for f in files)))


def next_simulator(*files: str) -> Simulator:
    """Notebook 09's lab: step 06 of the seed (sleep: REGISTRY_ONLY, egress hosts ``istioinaction/*``), with a
    version v2 of httpbin and the DestinationRule naming subsets v1 and v2 (``data/next/``), plus ``files`` of
    ``data/next/`` (``"virtualservice.yaml"``, ``"routes-elsewhere.yaml"``).

    >>> _request(next_simulator("virtualservice.yaml"), "http://httpbin.istioinaction:8000/ip").envoy.cluster
    'outbound|8000|v1|httpbin.istioinaction.svc.cluster.local'
    """
    return Simulator(_next_mesh(tuple(files)))


def _subset(cluster: str | None) -> str | None:
    """The subset of an ``outbound|P|subset|host`` cluster name ('' for the service's own cluster)."""
    parts = (cluster or "").split("|")
    return parts[2] if len(parts) == 4 else None


def _request(sim: Simulator, target: str, headers: Sequence[str] = ()) -> Any:
    from ...core.traffic import check

    return check(sim, SLEEP, target, headers=list(headers))


@_never_raises
def check_first_match(answer: Any) -> Feedback:
    """``curl -H 'x-canary: true' http://httpbin.istioinaction:8000/ip`` from sleep, with data/next/virtualservice.yaml:
    which subset serves it?"""
    r = _request(next_simulator("virtualservice.yaml"), HTTPBIN_HERE, CANARY)
    subset = _subset(r.envoy.cluster)
    given = answer.strip().strip("'\"").lower() if isinstance(answer, str) else ""
    given = _subset(given) if given.startswith("outbound|") else given.removeprefix("subset").strip()
    if not given or not re.fullmatch(r"v\d+", given):
        return _hint("answer with a subset name such as 'v1', or a cluster name such as "
                     "outbound|8000|v1|httpbin.istioinaction.svc.cluster.local.")
    if given == subset:
        return _ok(f"subset {subset}: route {r.envoy.route_entry} is the first whose match holds, so the request "
                   f"goes to {r.envoy.cluster}.",
                   "Envoy tries the routes in order and stops at the first match: canary comes before ip, so /ip "
                   "with the header never reaches route ip. Without the header, /ip goes to v1.")
    plain = _subset(_request(next_simulator("virtualservice.yaml"), HTTPBIN_HERE).envoy.cluster)
    if given == plain:
        return _hint(f"not {given}: /ip without the header would go there.",
                     "Which route comes first in the VirtualService, and does its match hold for this request?")
    return _hint(f"not {given}.", "Which route comes first in the VirtualService, and does its match hold for this request?")


@_never_raises
def check_weighted_split(yaml_text: Any) -> Feedback:
    """Replace notebook 09's VirtualService istioinaction/httpbin so that every request goes 90 % to subset v1 and
    10 % to subset v2."""
    mesh, fb = _parse(yaml_text, _loc("a VirtualService"))
    if fb is not None:
        return fb
    if not mesh.virtual_services:
        return _hint("there is no VirtualService in your answer (apiVersion networking.istio.io/v1, kind VirtualService).")
    vs = mesh.virtual_services[0]
    if (vs.namespace, vs.name) != ("istioinaction", "httpbin"):
        return _hint("edit the VirtualService istioinaction/httpbin (the same name and namespace), so that kubectl "
                     "apply replaces it.")
    sim = apply_text(next_simulator("virtualservice.yaml"), yaml_text)
    for path in ("/headers", "/status/418"):
        target = f"http://httpbin.istioinaction:8000{path}"
        r = _request(sim, target)
        split = [(c, w, exists) for c, w, exists in r.envoy.weighted_clusters] or (
            [(r.envoy.cluster, 100, True)] if r.envoy.cluster else [])
        missing = [_subset(c) for c, _, exists in split if not exists]
        if missing:
            return _hint(f"a destination names subset {missing[0]!r}, which no DestinationRule defines: Envoy has no "
                         "such cluster.", "The subsets are v1 and v2 (data/next/destinationrule.yaml).")
        if r.verdict.value != "ROUTED":
            return _hint(f"sleep -> {path} is {r.verdict.value}.", *r.explanation()[-2:])
        total = sum(w for _, w, _ in split) or 1
        shares = {_subset(c) or "-": round(100 * w / total) for c, w, _ in split}
        shown = ", ".join(f"{k} {v} %" for k, v in sorted(shares.items()))
        if shares.get("v2") != 10 or shares.get("v1") != 90:
            return _hint(f"sleep -> {path} goes {shown}: v2 gets {shares.get('v2', 0)} %.",
                         "Give the route two destinations: subset v1 with weight 90 and subset v2 with weight 10.")
    return _ok(f"every request goes 90 % to v1 and 10 % to v2: {shown}.",
               "Envoy picks the cluster of each request by weight (weighted clusters); check names the heaviest as "
               "the cluster and lists the split.")


@_never_raises
def check_route_import(host: Any) -> Feedback:
    """One more egress host for step 06's workload Sidecar so that the canary route of
    data/next/routes-elsewhere.yaml (a VirtualService in mesh-routes) applies to sleep."""
    if not isinstance(host, str) or not host.strip():
        return _hint("write one host entry as a string, in the form 'namespace/dnsName'.")
    host = host.strip()
    text = STARTERS["fix_typo"].replace("egres:", "egress:").replace(
        '    - "istioinaction/*"\n', f'    - "istioinaction/*"\n    - "{host}"\n')
    sim = apply_text(next_simulator("routes-elsewhere.yaml"), text)
    s = next(x for x in sim.mesh.sidecars if x.name == "workload")
    fb = _rejected(sim, s)
    if fb is not None:
        return fb
    r = _request(sim, HTTPBIN_HERE, CANARY)
    if _subset(r.envoy.cluster) != "v2":
        return _hint(f"with {host!r} sleep's canary request still goes to {r.envoy.cluster or r.verdict.value}.",
                     "The VirtualService httpbin-canary is defined in namespace mesh-routes: the namespace part of an "
                     "egress host is where the configuration is defined (notebook 04).")
    visible = sorted(f"{v.namespace}/{v.host}" for v in sim.resolve(SLEEP).visible_services)
    extra = [v for v in visible if v.split("/")[0] != "istioinaction"]
    if extra:
        return _hint("the canary route applies, but the entry imports much more than it.",
                     "Also imported now: " + ", ".join(extra))
    return _ok(f"{host!r} imports the VirtualService mesh-routes/httpbin-canary: sleep's canary request goes to "
               f"{r.envoy.cluster}.",
               "A Sidecar imports a VirtualService as it imports a service: by the namespace it is defined in and "
               "its hosts. Without it, the proxy has the service but none of its routes (istio/istio#40620).")
