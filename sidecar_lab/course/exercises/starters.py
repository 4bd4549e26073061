"""What each exercise cell ships (``STARTERS``), the scenarios they run on, the hidden solutions, and the
decorator every check wears: it never raises, and an untouched starting answer is the learner's turn."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

from ...core.errors import SidecarLabError
from .feedback import Feedback, _hint, _t

# ---------------------------------------------------------------------------------------------
# The starting point of every exercise (the cell a learner edits) and the scenarios they run on

STARTERS: dict[str, str] = {
    "fix_typo": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: workload
  namespace: istioinaction
spec:
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
  workloadSelector:
    labels:
      run: sleep
  egres:
  - hosts:
    - "istioinaction/*"
""",
    "fix_short_hosts": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: workload
  namespace: istioinaction
spec:
  workloadSelector:
    labels:
      run: sleep
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
  egress:
  - hosts:
    - "istioinaction/httpbin"
    - "default/httpbin"
""",
    "root_default": "",
    "keep_registry_only": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: sleep-egress
  namespace: istioinaction
spec:
  workloadSelector:
    labels:
      run: sleep
  egress:
  - hosts:
    - "istioinaction/*"
""",
    "open_for_sleep": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: istioinaction
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
""",
    "service_entry": """\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: google
  namespace: default
spec:
  hosts:
  - google.com
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
""",
    "default_endpoint": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: partial-ip-tables
  namespace: prod-us1
spec:
  workloadSelector:
    labels:
      app: productpage
  ingress:
  - bind: 172.16.1.32
    port:
      number: 80
      protocol: HTTP
      name: somename
    defaultEndpoint: localhost:8080
    captureMode: NONE
""",
    "find_the_bug": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: sleep-allow-any
  namespace: istioinaction
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
""",
    "root_selector_fix": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: sleep-allow-any
  namespace: istio-system
spec:
  workloadSelector:
    labels:
      run: sleep
  outboundTrafficPolicy:
    mode: ALLOW_ANY
""",
    "weighted_split": """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: istioinaction
spec:
  hosts:
  - httpbin.istioinaction.svc.cluster.local
  http:
  - route:
    - destination:
        host: httpbin.istioinaction.svc.cluster.local
        subset: v1
""",
    "minimal_sidecar": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: sleep
  namespace: istioinaction
spec:
  workloadSelector:
    labels:
      run: sleep
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
  egress:
  - hosts:
    - "*/*"
""",
}

#: Small manifests the exercises and notebooks run on (applied on top of a seed step).
SCENARIOS: dict[str, str] = {
    # Two namespace-wide Sidecars created in the same second (one kubectl apply of a file with both).
    "tie": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: restrict
  namespace: istioinaction
  creationTimestamp: "2025-06-01T11:00:00Z"
spec:
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: allow
  namespace: istioinaction
  creationTimestamp: "2025-06-01T11:00:00Z"
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
""",
    # outboundTrafficPolicy present but without a mode.
    "empty_policy": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: istioinaction
spec:
  outboundTrafficPolicy: {}
""",
    # Step 06's workload Sidecar, but ALLOW_ANY: egress hosts without REGISTRY_ONLY.
    "hosts_allow_any": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: workload
  namespace: istioinaction
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
  workloadSelector:
    labels:
      run: sleep
  egress:
  - hosts:
    - "istioinaction/*"
""",
    # A port's own pool next to a Sidecar-wide inboundConnectionPool.
    "pool_variant": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: pools
  namespace: prod-us1
spec:
  workloadSelector:
    labels:
      app: productpage
  inboundConnectionPool:
    http:
      http1MaxPendingRequests: 1024
      http2MaxRequests: 1024
  ingress:
  - port:
      number: 80
      protocol: HTTP
      name: http
    defaultEndpoint: 127.0.0.1:8080
    connectionPool:
      tcp:
        maxConnections: 100
""",
    # A workload Sidecar whose selector has a typo.
    "typo_selector": """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: workload
  namespace: istioinaction
spec:
  workloadSelector:
    labels:
      run: slepe
  outboundTrafficPolicy:
    mode: ALLOW_ANY
""",
}


def _yaml_solution(yaml_text: str, check: str) -> str:
    return f'answer = """\n{yaml_text}"""\n{check}(answer)'

#: The hidden solution of every exercise, as the code a learner would run (the notebooks show it folded; the
#: tests run each through its check). Its explanation is prose, in each edition of the course.
SOLUTIONS: dict[str, str] = {
    "fix_typo": _yaml_solution(STARTERS["fix_typo"].replace("egres:", "egress:"), "ex.check_fix_typo"),
    "fix_short_hosts": _yaml_solution(STARTERS["fix_short_hosts"]
                       .replace('"istioinaction/httpbin"', '"istioinaction/httpbin.istioinaction.svc.cluster.local"')
                       .replace('"default/httpbin"', '"default/httpbin.default.svc.cluster.local"'),
                       "ex.check_fix_short_hosts"),
    "root_default": _yaml_solution("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: default\n"
                       "  namespace: istio-system\nspec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n",
                       "ex.check_root_default"),
    "governing": 'ex.check_governing_sidecar("istioinaction/httpbin", "istioinaction/default")',
    "tie": 'ex.check_tie_break("allow")',
    "keep_registry_only": _yaml_solution(STARTERS["keep_registry_only"].replace(
            "spec:\n", "spec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n"), "ex.check_keep_registry_only"),
    "curl_exit": 'ex.check_curl_exit("https://google.com", 35)',
    "empty_policy": 'ex.check_empty_policy("REGISTRY_ONLY")',
    "open_for_sleep": _yaml_solution("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: workload\n"
                       "  namespace: istioinaction\nspec:\n  workloadSelector:\n    labels:\n      run: sleep\n"
                       "  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n", "ex.check_open_for_sleep"),
    "egress_host": 'ex.check_egress_host("default/httpbin.default.svc.cluster.local")',
    "service_entry": _yaml_solution(STARTERS["service_entry"].replace("namespace: default", "namespace: istioinaction"),
                       "ex.check_service_entry"),
    "firewall": 'ex.check_firewall_verdict("PASSTHROUGH")',
    "client_address": 'ex.check_client_address("172.16.1.32:80")',
    "port_pool": "ex.check_port_pool(None)",
    "default_endpoint": _yaml_solution(STARTERS["default_endpoint"].replace("localhost:8080", "127.0.0.1:8080"),
                       "ex.check_default_endpoint"),
    "find_the_bug": _yaml_solution(STARTERS["find_the_bug"].replace(
            "spec:\n", "spec:\n  workloadSelector:\n    labels:\n      run: sleep\n"), "ex.check_find_the_bug"),
    "analyze_code": 'ex.check_analyze_code("IST0101")',
    "root_selector_fix": _yaml_solution(STARTERS["root_selector_fix"].replace("namespace: istio-system", "namespace: istioinaction"),
                       "ex.check_root_selector_fix"),
    "live_google": 'ex.check_live_prediction("root-registry-only-google", "BLOCKED")',
    "live_default": 'ex.check_live_prediction("workload-hosts-httpbin-default", "BLOCKED")',
    "cluster_count": "ex.check_cluster_count(9)",
    "minimal_sidecar": _yaml_solution(STARTERS["minimal_sidecar"].replace(
            '"*/*"', '"istioinaction/httpbin.istioinaction.svc.cluster.local"'), "ex.check_minimal_sidecar"),
    "push_fanout": "ex.check_push_fanout(2)",
    "first_match": 'ex.check_first_match("v2")',
    "weighted_split": _yaml_solution(STARTERS["weighted_split"].replace(
            "        subset: v1\n", "        subset: v1\n      weight: 90\n    - destination:\n"
            "        host: httpbin.istioinaction.svc.cluster.local\n        subset: v2\n      weight: 10\n"),
            "ex.check_weighted_split"),
    "route_import": 'ex.check_route_import("mesh-routes/httpbin.istioinaction.svc.cluster.local")',
}


#: What an exercise cell ships as its answer when it is not None or empty: running the cell unchanged gives the
#: neutral "your turn", not an error.
_STARTING: dict[str, tuple] = {
    "check_fix_typo": (STARTERS["fix_typo"],),
    "check_fix_short_hosts": (STARTERS["fix_short_hosts"],),
    "check_keep_registry_only": (STARTERS["keep_registry_only"],),
    "check_open_for_sleep": (STARTERS["open_for_sleep"],),
    "check_service_entry": (STARTERS["service_entry"],),
    "check_default_endpoint": (STARTERS["default_endpoint"],),
    "check_find_the_bug": (STARTERS["find_the_bug"],),
    "check_root_selector_fix": (STARTERS["root_selector_fix"],),
    "check_minimal_sidecar": (STARTERS["minimal_sidecar"],),
    "check_weighted_split": (STARTERS["weighted_split"],),
    "check_egress_host": ("default/httpbin", None, ""),
    "check_port_pool": (1024,),
}


def _your_turn(fb: Feedback) -> Feedback:
    """The feedback on an untouched starting answer: the same guidance, in the neutral "your turn" state."""
    message = fb.message
    prefix = _t("not-yet", message="")
    if message.startswith(prefix):
        message = message[len(prefix):]
    return dataclasses.replace(fb, ok=False, todo=True, message=_t("your-turn", message=message))


def _untouched(name: str, args: tuple, kwargs: dict) -> bool:
    values = list(args) + [v for k, v in kwargs.items() if k in ("answer", "verdict", "yaml_text", "host")]
    if not values:
        return True
    answer = values[-1]
    starting = _STARTING.get(name)
    if starting is not None:
        return any(type(answer) is type(s) and (answer.strip() == s.strip() if isinstance(s, str) else answer == s)
                   for s in starting)
    if answer is None:
        return True
    if isinstance(answer, str):
        return all(not line.strip() or line.strip().startswith("#") for line in answer.splitlines())
    return False


def _never_raises(fn: Callable[..., Feedback]) -> Callable[..., Feedback]:
    """Turn any error inside a check into a hint: a learner never sees a traceback from a check. An untouched
    starting answer gets the neutral "your turn" state."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Feedback:
        try:
            fb = fn(*args, **kwargs)
        except SidecarLabError as exc:
            fb = _hint(_t("cannot-use"), str(exc), _t("compare-format"))
        except Exception as exc:  # noqa: BLE001 - a check must answer, whatever it was given
            fb = _hint(_t("cannot-check"), f"{type(exc).__name__}: {exc}", _t("compare-format"))
        if not fb.ok and _untouched(fn.__name__, args, kwargs):
            fb = _your_turn(fb)
        return dataclasses.replace(fb, exercise=fn.__name__)

    return wrapper
