"""The course's exercise checks: the learner's answer in, friendly feedback out.

Every ``check_*`` function takes what a learner wrote in a notebook (the YAML of a
Sidecar or a ServiceEntry, a verdict, a Sidecar's name, a number...), runs the
simulator on the seed lab with it, and **returns** a :class:`Feedback`: ``✔`` and
why when the answer does what the exercise asks, otherwise a hint of where to look.
A check never raises and never asserts: malformed input (YAML that does not
parse, a missing field, a number where a name was expected) gets a hint too.

These are pure functions (no widgets, no IPython): :class:`Feedback` shows itself
in a notebook through ``_repr_html_`` and as plain text everywhere else.

>>> fb = check_empty_policy("ALLOW_ANY")
>>> fb.ok, fb.message.startswith("Not yet")
(False, True)
>>> check_empty_policy("REGISTRY_ONLY").ok
True
>>> check_root_default("").ok   # an empty answer is a hint, not an error
False
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import re
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from ..core.errors import SidecarLabError
from ..core.loader import load, load_text
from ..core.messages import get_language
from ..core.model import Mesh, Sidecar
from ..core.resolver import Simulator
from ..core.resources import data_dir

__all__ = [
    "Feedback", "STARTERS", "SCENARIOS", "SOLUTIONS", "message_text", "seed_simulator", "apply_text", "reveal", "course_paths",
    # 01 anatomy
    "check_fix_typo", "check_fix_short_hosts", "check_root_default",
    # 02 precedence
    "check_governing_sidecar", "check_tie_break", "check_keep_registry_only",
    # 03 outboundTrafficPolicy
    "check_curl_exit", "check_empty_policy", "check_open_for_sleep",
    # 04 egress hosts
    "check_egress_host", "check_service_entry", "check_firewall_verdict",
    # 05 ingress
    "check_client_address", "check_port_pool", "check_default_endpoint",
    # 06 diagnostics
    "check_find_the_bug", "check_analyze_code", "check_root_selector_fix",
    # 07 live
    "check_live_prediction",
    # 08 scale
    "check_cluster_count", "check_minimal_sidecar", "check_push_fanout",
]

_OK, _NO, _TODO = "\u2714", "\u2718", "\u270e"  # ✔ ✘ ✎

# The words of the feedback frame, per language (the checks' own sentences are English for now).
_TEXT: dict[str, dict[str, str]] = {"en": {
    "not-yet": "Not yet: {message}",
    "your-turn": "Your turn: {message}",
    "cannot-use": "the simulator could not use this answer.",
    "cannot-check": "this answer could not be checked.",
    "compare-format": "Compare your answer with the format shown in the exercise.",
    "predict-first": "pick one of {choices} first: the answer stays hidden until you commit to a prediction.",
    "predicted-right": "You predicted {actual}, and that is what happens.",
    "predicted-wrong": "You predicted {guess}; the simulator says {actual}. Read why:",
    "reveal-needs-result": "reveal() needs the result of sidecar_lab.check(...) as its second argument.",
}, "ko": {
    "not-yet": "아직 아닙니다: {message}",
    "your-turn": "여러분 차례입니다: {message}",
    "cannot-use": "시뮬레이터가 이 답을 쓸 수 없습니다.",
    "cannot-check": "이 답은 확인할 수 없습니다.",
    "compare-format": "연습 문제에 나온 형식과 답을 비교해 보세요.",
    "predict-first": "먼저 {choices} 중 하나를 고르세요. 예측을 정하기 전에는 정답이 보이지 않습니다.",
    "predicted-right": "{actual}(으)로 예측했고, 실제로도 그렇습니다.",
    "predicted-wrong": "{guess}(으)로 예측했지만 시뮬레이터의 판정은 {actual}입니다. 이유를 읽어 보세요:",
    "reveal-needs-result": "reveal()의 두 번째 인자로 sidecar_lab.check(...)의 결과가 필요합니다.",
}}


def _t(key: str, **params: Any) -> str:
    """A feedback text in the language in force (English when it has no translation)."""
    lang = get_language()
    template = _TEXT.get(lang, {}).get(key) or _TEXT["en"][key]
    return template.format(**params) if params else template

_VERDICTS = ("ROUTED", "PASSTHROUGH", "BLOCKED", "DIRECT", "DNS_FAILURE")
STEPS = ("01-no-sidecar", "02-root-registry-only", "03-namespace-allow-any", "04-namespace-registry-only",
         "05-workload-allow-any", "06-workload-hosts")
SLEEP, HTTPBIN = "istioinaction/sleep", "istioinaction/httpbin"
GOOGLE = "http://google.com"
HTTPBIN_HERE, HTTPBIN_DEFAULT = "http://httpbin.istioinaction:8000/ip", "http://httpbin.default:8000/ip"


# ---------------------------------------------------------------------------------------------
# Feedback


@dataclass(frozen=True, repr=False)
class Feedback:
    """The answer to a check: ``ok``, a one-line ``message``, and ``details`` (why, or hints).

    It is truthy when the answer is right, prints as text, and renders as a small box in a notebook. Its
    ``state`` is ``"ok"`` (✔, green), ``"hint"`` (✘, orange: an answer that is not right yet) or ``"todo"``
    (✎, neutral: the exercise's starting answer, untouched: the learner's turn, never an error). The colour is
    never the only signal: the text starts with the glyph and its word.
    """

    ok: bool
    message: str
    details: tuple[str, ...] = ()
    exercise: str = ""
    todo: bool = False

    def __bool__(self) -> bool:
        return self.ok

    @property
    def state(self) -> str:
        return "ok" if self.ok else "todo" if self.todo else "hint"

    @property
    def glyph(self) -> str:
        return {"ok": _OK, "hint": _NO, "todo": _TODO}[self.state]

    def text(self) -> str:
        head = f"{self.glyph} {self.message}"
        return "\n".join([head] + [f"  - {d}" for d in self.details])

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour, edge = _STYLE[self.state]
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        body = f"<ul style='margin:0.3em 0 0 0'>{items}</ul>" if items else ""
        return (f"<div class='sidecar-lab-feedback' data-state='{self.state}' style='border-left:4px solid {edge};"
                f"background:{colour};padding:0.5em 0.8em;color:#1A1A1A;line-height:1.4'>"
                f"<b>{self.glyph} {html.escape(self.message)}</b>{body}</div>")


#: state -> (background, edge): green for right, orange for not yet, a neutral blue-grey for "your turn".
_STYLE = {"ok": ("#E6F4EF", "#009E73"), "hint": ("#FDF0E6", "#D55E00"), "todo": ("#EEF2F6", "#7A8B99")}


def _ok(message: str, *details: str) -> Feedback:
    return Feedback(True, message, tuple(d for d in details if d))


def _hint(message: str, *details: str) -> Feedback:
    return Feedback(False, _t("not-yet", message=message), tuple(d for d in details if d))


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


# ---------------------------------------------------------------------------------------------
# Meshes: the seed lab, and the learner's manifests applied to it the way kubectl apply would


def _step(step: str) -> str:
    for name in STEPS:
        if step == name or name.split("-", 1)[0] == str(step).zfill(2):
            return name
    raise SidecarLabError(f"unknown step {step!r} (steps: {', '.join(STEPS)})")


def course_paths(*parts: str) -> list[str]:
    """Paths under the course's ``data/`` as a notebook should print them: ``data/seed/...`` when the working
    directory holds the course's data (a learner's workspace of ``sidecar-lab lab`` has its copy), else the
    bundled files, relative to the working directory when that is shorter.

    >>> course_paths("seed/cluster")[0].endswith("seed/cluster")
    True
    """
    out = []
    for part in parts:
        local = Path("data") / part
        if local.exists():
            out.append(local.as_posix())
            continue
        bundled = data_dir() / part
        try:
            relative = os.path.relpath(bundled)
        except ValueError:  # another drive
            relative = str(bundled)
        out.append(relative if len(relative) < len(str(bundled)) else str(bundled))
    return out


@functools.lru_cache(maxsize=16)
def _seed_mesh(step: str) -> Mesh:
    return load(course_paths("seed/cluster", f"seed/steps/{_step(step)}"))


@functools.lru_cache(maxsize=4)
def _productpage_mesh() -> Mesh:
    return load(course_paths("seed/examples/productpage.yaml"))


def seed_simulator(step: str) -> Simulator:
    """The simulator of the seed lab at ``step`` (``"04"`` or ``"04-namespace-registry-only"``)."""
    return Simulator(_seed_mesh(step))


_GROUPS = ("namespaces", "workloads", "services", "service_entries", "virtual_services", "sidecars")


def _key(obj: Any) -> tuple:
    ref = getattr(obj, "ref", None)
    if ref is not None:
        return (type(obj).__name__, ref.namespace, ref.name)
    return (type(obj).__name__, getattr(obj, "name", id(obj)))


def _apply(base: Mesh, extra: Mesh) -> Mesh:
    """``base`` with ``extra``'s objects applied: same kind, namespace and name replaces (keeping the
    object's creation time, as an edit does); a new Sidecar without a creationTimestamp is the newest."""
    changes: dict[str, tuple] = {}
    newest = max((s.created for s in base.sidecars), default=0.0)
    old_sidecars = {s.ref: s for s in base.sidecars}
    for group in _GROUPS:
        added = list(getattr(extra, group))
        if not added:
            continue
        keys = {_key(o) for o in added}
        kept = [o for o in getattr(base, group) if _key(o) not in keys]
        if group == "sidecars":
            fixed = []
            for s in added:
                if s.created_text is None:
                    old = old_sidecars.get(s.ref)
                    newest += 60.0
                    s = dataclasses.replace(s, created=old.created if old is not None else newest)
                fixed.append(s)
            added = fixed
        changes[group] = tuple(kept) + tuple(added)
    if extra.mesh_config.source is not None:
        changes["mesh_config"] = extra.mesh_config
    return dataclasses.replace(base, **changes)


def apply_text(base: Mesh | Simulator | str, text: str, file: str = "your-answer.yaml") -> Simulator:
    """A simulator of ``base`` (a Mesh, a Simulator or a seed step) with the manifests of ``text``
    applied as ``kubectl apply`` would. Raises :class:`~sidecar_lab.core.errors.ManifestError` on bad YAML."""
    if isinstance(base, str):
        base = _seed_mesh(base)
    elif isinstance(base, Simulator):
        base = base.mesh
    return Simulator(_apply(base, load_text(text, file)))


def _parse(text: Any, what: str = "a Sidecar") -> tuple[Mesh | None, Feedback | None]:
    if not isinstance(text, str):
        return None, _hint(f"the answer should be YAML text (a string), not {type(text).__name__}.",
                           'Write it between triple quotes: answer = """ ... """')
    if not text.strip() or all(line.strip().startswith("#") or not line.strip() for line in text.splitlines()):
        return None, _hint(f"the answer is still empty: write {what} in YAML between the triple quotes.")
    try:
        return load_text(text, "your-answer.yaml"), None
    except SidecarLabError as exc:
        return None, _hint("the YAML cannot be read as Kubernetes manifests.", str(exc),
                           "Check the indentation (two spaces per level, '- ' before each list item) and that "
                           "apiVersion, kind and metadata.name are set.")


def _one_sidecar(mesh: Mesh, namespace: str | None = None, name: str | None = None) -> tuple[Sidecar | None,
                                                                                              Feedback | None]:
    if not mesh.sidecars:
        return None, _hint("there is no Sidecar in your answer.",
                           "It needs apiVersion: networking.istio.io/v1 and kind: Sidecar.")
    if len(mesh.sidecars) > 1:
        return None, _hint(f"your answer holds {len(mesh.sidecars)} Sidecars; this exercise wants exactly one.")
    s = mesh.sidecars[0]
    if namespace is not None and s.namespace != namespace:
        return None, _hint(f"your Sidecar lives in namespace {s.namespace!r}, but it should be in {namespace!r}.",
                           "metadata.namespace decides where a Sidecar lives; a missing one means 'default'.")
    if name is not None and s.name != name:
        return None, _hint(f"your Sidecar is named {s.name!r}; this exercise edits the one named {name!r}.",
                           "kubectl apply replaces an object only when kind, namespace and name are the same.")
    return s, None


def _rejected(sim: Simulator, s: Sidecar) -> Feedback | None:
    msgs = sim.validation.get(s.ref, ())
    errors = [m for m in msgs if m.level == "Error"]
    if not errors:
        return None
    lines = [message_text(m) for m in errors]
    return _hint(f"kubectl apply would refuse this Sidecar ({len(errors)} error{'s' if len(errors) > 1 else ''}).",
                 *lines, "Fix the field named in each message and check again.")


def message_text(m: Any) -> str:
    """One admission message as a line: ``field: message (hint)``, the field said once (the CRD's own messages
    start with the field path already, as the API server prints them).

    >>> from sidecar_lab.core.validation import validate_sidecar
    >>> message_text(validate_sidecar({"outboundTrafficPolicy": {"mode": "ALLOW"}}, "x")[0])
    'spec.outboundTrafficPolicy.mode: Unsupported value: "ALLOW": supported values: "REGISTRY_ONLY", "ALLOW_ANY"'
    """
    text = m.message[len(m.field) + 2:] if m.message.startswith(f"{m.field}: ") else m.message
    return f"{m.field}: {text}" + (f" ({m.hint})" if m.hint else "")


def _warnings(sim: Simulator, s: Sidecar) -> list[str]:
    return [f"admitted with a warning: {message_text(m)}" for m in sim.validation.get(s.ref, ())
            if m.level != "Error"]


def _verdict(sim: Simulator, source: str, target: str) -> str:
    from ..core.traffic import check

    return check(sim, source, target).verdict.value


def _why(sim: Simulator, source: str, target: str) -> str:
    from ..core.traffic import check

    r = check(sim, source, target)
    return f"{source} -> {target}: {r.verdict.value} — " + "; ".join(r.explanation()[-2:])


def _norm_word(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    return re.sub(r"[\s\-]+", "_", answer.strip().upper())


def _norm_ref(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    return answer.strip().strip("'\"").lower().replace("sidecar ", "")


def _int(answer: Any) -> int | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, str) and answer.strip().isdigit():
        return int(answer.strip())
    return None


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
    "check_egress_host": ("default/httpbin", None, ""),
    "check_port_pool": (1024,),
}


# ---------------------------------------------------------------------------------------------
# Predict, then reveal


def reveal(prediction: Any, result: Any) -> Feedback:
    """Compare a predicted verdict (``"ROUTED"``, ``"PASSTHROUGH"``, ``"BLOCKED"``...) with a
    :class:`~sidecar_lab.core.results.RequestResult`, and say why the simulator decided as it did.

    Without a prediction nothing is revealed: the answer stays hidden (a neutral "your turn"), so running
    every cell never spoils it. The notebooks use the clickable :class:`~sidecar_lab.course.widgets.PredictReveal`.
    """
    try:
        actual = result.verdict.value
        why = result.explanation()
        sees = result.client_sees_text()
    except AttributeError:
        return _hint(_t("reveal-needs-result"))
    guess = _norm_word(prediction)
    if guess not in _VERDICTS:
        return Feedback(False, _t("your-turn", message=_t("predict-first", choices=", ".join(_VERDICTS[:3]))),
                        todo=True)
    details = [f"curl: {sees}"] + [f"{i}. {w}" for i, w in enumerate(why, 1)]
    if guess == actual:
        return _ok(_t("predicted-right", actual=actual), *details)
    return Feedback(False, _t("predicted-wrong", guess=guess, actual=actual), tuple(details))


# ---------------------------------------------------------------------------------------------
# 01 Anatomy of a Sidecar


@_never_raises
def check_fix_typo(yaml_text: Any) -> Feedback:
    """Step 06's edit of ``istioinaction/workload`` with a typo: make kubectl accept it, and check it
    restricts sleep to istioinaction as the blog's edit did."""
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction", "workload")
    if fb is not None:
        return fb
    sim = apply_text("05", yaml_text)
    fb = _rejected(sim, s)
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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction")
    if fb is not None:
        return fb
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh)
    if fb is not None:
        return fb
    if s.namespace != "istio-system":
        return _hint(f"a Sidecar in {s.namespace!r} is not a mesh-wide default.",
                     "Only the root namespace (meshConfig.rootNamespace, istio-system here) holds the default "
                     "every namespace falls back to.")
    if s.spec.has_selector:
        return _hint("in the root namespace a Sidecar with a workloadSelector applies only to pods of istio-system.",
                     "Leave workloadSelector out so that it becomes the mesh-wide default.")
    sim = apply_text("01", yaml_text)
    fb = _rejected(sim, s)
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


# ---------------------------------------------------------------------------------------------
# 02 Precedence


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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction")
    if fb is not None:
        return fb
    if s.name == "default" and not s.spec.has_selector:
        return _hint("this replaces the namespace-wide Sidecar istioinaction/default for every pod.",
                     "Give it its own name and a workloadSelector for run: sleep.")
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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


# ---------------------------------------------------------------------------------------------
# 03 outboundTrafficPolicy


@_never_raises
def check_curl_exit(target: str, answer: Any, step: str = "02-root-registry-only") -> Feedback:
    """What exit code does ``curl TARGET`` from sleep give at ``step``?"""
    from ..core.traffic import check

    r = check(seed_simulator(step), SLEEP, target)
    given = _int(answer)
    if given is None:
        return _hint("answer with curl's exit code, a whole number (0 means curl saw no error).")
    if given == r.curl_exit:
        return _ok(f"curl {target} exits {r.curl_exit}.", f"client sees: {r.client_sees}",
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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction")
    if fb is not None:
        return fb
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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


# ---------------------------------------------------------------------------------------------
# 04 Egress hosts


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
    mesh, fb = _parse(yaml_text, "a ServiceEntry")
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
    from ..core.traffic import check

    r = check(sim, SLEEP, HTTPBIN_DEFAULT)
    given = _norm_word(answer)
    if given not in _VERDICTS:
        return _hint(f"answer with a verdict: {', '.join(_VERDICTS[:3])}.")
    if given == r.verdict.value:
        return _ok(f"{r.verdict.value}: httpbin.default still answers, through {r.envoy.cluster}.",
                   f"client sees: {r.client_sees}",
                   "Egress hosts decide what the proxy is configured for; under ALLOW_ANY everything else "
                   "still goes out as plaintext passthrough (istio/istio#15329).")
    return _hint(f"not {given}.", "httpbin.default is not imported; so what does the outbound mode do with "
                 "traffic that matches no imported service?")


# ---------------------------------------------------------------------------------------------
# 05 Ingress and captureMode


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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "prod-us1")
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


# ---------------------------------------------------------------------------------------------
# 06 Diagnostics


def _codes(sim: Simulator, ref=None) -> list[str]:
    from ..core.analyze import analyze

    return [m.code for m in analyze(sim) if ref is None or m.resource == ref]


@_never_raises
def check_find_the_bug(yaml_text: Any) -> Feedback:
    """``STARTERS['find_the_bug']`` was meant to open google.com for sleep only, at step 04. Fix it."""
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction")
    if fb is not None:
        return fb
    if s.name == "default":
        return _hint("this replaces the namespace-wide istioinaction/default for every pod; keep your own name.")
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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
    from ..core.analyze import analyze

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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh)
    if fb is not None:
        return fb
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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


# ---------------------------------------------------------------------------------------------
# 07 Live cluster


@_never_raises
def check_live_prediction(observation_id: str, verdict: Any) -> Feedback:
    """Predict the verdict of one of the blog's requests (an ``id`` of data/seed/observations.yaml)."""
    import yaml

    from ..core.traffic import check

    observations = yaml.safe_load((data_dir() / "seed" / "observations.yaml").read_text(encoding="utf-8"))
    obs = next((o for o in observations if o.get("id") == observation_id and o.get("kind") == "request"), None)
    if obs is None:
        ids = [o["id"] for o in observations if o.get("kind") == "request"]
        return _hint(f"no request {observation_id!r} in observations.yaml.", "Known: " + ", ".join(ids))
    r = check(seed_simulator(obs["step"]), obs["from"], obs["to"])
    given = _norm_word(verdict)
    if given not in _VERDICTS:
        return _hint(f"answer with a verdict: {', '.join(_VERDICTS[:3])}.",
                     f"The request: {obs['command']} (step {obs['step']}).")
    shown = obs["observed"]
    blog = "printed nothing" if shown.get("prints") == "nothing" else (
        f"printed origin {shown.get('origin')}" if shown.get("prints") == "origin" else "printed Google's 301 page")
    if given == r.verdict.value:
        return _ok(f"{r.verdict.value} — and the blog's run {blog}.", f"client sees: {r.client_sees}")
    return _hint(f"not {given} at step {obs['step']}.", f"The blog's run {blog}. Which Sidecar governs "
                 f"{obs['from']} at this step, and what is its mode?")


# ---------------------------------------------------------------------------------------------
# 08 Scale


@_never_raises
def check_cluster_count(answer: Any, step: str = "01-no-sidecar") -> Feedback:
    """How many ``outbound|...`` clusters does sleep's proxy get at ``step``?"""
    from ..scale.sizing import proxy_config

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
    mesh, fb = _parse(yaml_text)
    if fb is not None:
        return fb
    s, fb = _one_sidecar(mesh, "istioinaction")
    if fb is not None:
        return fb
    from ..scale.sizing import proxy_config

    before = proxy_config(seed_simulator("04"), SLEEP)
    sim = apply_text("04", yaml_text)
    fb = _rejected(sim, s)
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
               f"estimated memory {before.memory_mb:.1f} -> {after.memory_mb:.1f} MB (a model, not a measurement).",
               "The call to httpbin.istioinaction stays ROUTED.")


@_never_raises
def check_push_fanout(answer: Any, service: str = "httpbin.default", step: str = "06-workload-hosts") -> Feedback:
    """When ``service`` changes at ``step``, how many proxies must istiod push?"""
    from ..scale.sizing import push_fanout

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
