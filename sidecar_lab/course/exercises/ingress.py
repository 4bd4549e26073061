"""The checks of notebook 05 (Ingress and captureMode)."""

from __future__ import annotations

import re
from typing import Any

from ...core.loader import load, load_text
from ...core.resolver import Simulator
from .feedback import Feedback, _hint, _ok
from .labs import course_paths, _apply, _int, _parsed_sidecar, _productpage_mesh, _rejected, _warnings
from .starters import SCENARIOS, _never_raises


def _partial_ip_tables_sim() -> Simulator:
    return Simulator(load(course_paths("seed/examples/productpage.yaml", "seed/examples/partial-ip-tables.yaml")))


@_never_raises
def check_client_address(answer: Any) -> Feedback:
    """With the blog's ``partial-ip-tables`` Sidecar, which address:port must a client send to?"""
    res = _partial_ip_tables_sim().resolve("prod-us1/productpage")
    entry = res.ingress[0]
    expected = f"{entry.bind}:{entry.port['number']}"
    if not isinstance(answer, str) or not answer.strip():
        return _hint("answer with an address and a port, like '10.0.0.1:8080'.")
    given = re.sub(r"^[a-z]+://", "", answer.strip()).rstrip("/")
    if given == expected:
        return _ok(f"{expected}: Envoy itself listens there and forwards to {entry.default_endpoint}.",
                   f"captureMode {entry.capture_mode}: iptables does not redirect port {entry.port['number']}, "
                   "so traffic to the Service's ClusterIP is not intercepted for this listener.")
    if given.startswith("10.96.") or "productpage" in given:
        return _hint("that is the Service; with captureMode NONE nothing redirects it to Envoy.",
                     "Look at the listener's bind address.")
    if given.endswith(":8080"):
        return _hint("8080 is where the application listens (defaultEndpoint, inside the pod).",
                     "The client must reach Envoy's own listener: bind and port.number.")
    return _hint(f"{given!r} is not where Envoy listens.", "Look at ingress[0].bind and ingress[0].port.number.")


@_never_raises
def check_port_pool(answer: Any) -> Feedback:
    """``SCENARIOS['pool_variant']``: what is ``http2MaxRequests`` on port 80? (``None`` if unset)"""
    sim = Simulator(_apply(_productpage_mesh(), load_text(SCENARIOS["pool_variant"], "pools.yaml")))
    entry = sim.resolve("prod-us1/productpage").ingress[0]
    pool = entry.connection_pool or {}
    value = (pool.get("http") or {}).get("http2MaxRequests")
    if isinstance(answer, str) and answer.strip().lower() in ("none", "unset", "not set", "null", "default"):
        answer = None
    if answer is not None and _int(answer) is None:
        return _hint("answer with a number, or None when the setting is not there.")
    if (None if answer is None else _int(answer)) == value:
        return _ok(f"{value}: port 80 uses its own pool ({dict(pool)}), from '{entry.connection_pool_from}'.",
                   "The port's connectionPool replaces the Sidecar-wide inboundConnectionPool as a whole: the "
                   "two are not merged field by field, so the http settings are gone on this port.")
    return _hint(f"port 80 does not get {answer}.",
                 "Which pool wins on port 80, and is the other one merged into it or replaced?")


@_never_raises
def check_default_endpoint(yaml_text: Any) -> Feedback:
    """Make the blog's captureMode example admissible again: its defaultEndpoint was written badly."""
    mesh, s, fb = _parsed_sidecar(yaml_text, "prod-us1")
    if fb is not None:
        return fb
    sim = Simulator(_apply(_productpage_mesh(), mesh))
    fb = _rejected(sim, s)
    if fb is not None:
        return fb
    res = sim.resolve("prod-us1/productpage")
    if res.sidecar != s.ref or not res.ingress:
        return _hint("admitted, but it no longer gives productpage an ingress listener.",
                     "Keep the workloadSelector app: productpage and the ingress entry.")
    entry = res.ingress[0]
    if not (entry.default_endpoint or "").endswith(":8080"):
        return _hint(f"admitted, but traffic is handed to {entry.default_endpoint}: the application listens on 8080.")
    return _ok(f"admitted: Envoy binds {entry.bind}:{entry.port['number']} and hands traffic to "
               f"{entry.default_endpoint}.",
               "defaultEndpoint takes an IP literal (127.0.0.1, 0.0.0.0, [::1], [::]) or unix://path, not a hostname.",
               *_warnings(sim, s))


