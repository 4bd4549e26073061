"""Interactive widgets for the notebooks: switch Sidecars on and off and see at once who wins and why.

Four widgets, each a thin face over the core (:mod:`sidecar_lab.course.scenario`, the
:class:`~sidecar_lab.core.resolver.Simulator`, :func:`~sidecar_lab.core.traffic.check`) and the figures
(:mod:`sidecar_lab.course.figures`). Every picture, verdict and sentence is drawn from the core's result and
its trace, never from text written here, so a widget cannot disagree with ``sidecar-lab check``.

* :class:`PrecedenceExplorer` — the root, namespace and workload Sidecars of a scenario: on/off,
  outbound mode, egress hosts; the precedence ladder, a verdict table and the YAML as it now stands.
* :class:`ReachabilityExplorer` — the same toggles, every workload against every destination.
* :class:`YamlPlayground` — write a Sidecar; Istio's admission messages as you type, then the result.
* :class:`PredictReveal` — pick a verdict, then reveal what the simulator says; keeps the score.

Each object has ``.widget`` (its root container) and displays itself when a notebook cell ends with it.
Only standard ipywidgets are used (no JavaScript of our own), so they run in JupyterLab, Notebook 7 and
Voilà. Outputs are ``ipywidgets.Image`` (PNG bytes) and ``ipywidgets.HTML`` values, set directly, so
they update without a kernel too (tests drive the controls by setting ``.value``).

This module imports ipywidgets and matplotlib; ``import sidecar_lab`` does not import it.
"""

from __future__ import annotations

import html
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import ipywidgets as W

from . import figures
from .exercises import hint_text
from ..core.errors import ManifestError, SidecarLabError, UsageError
from ..core.loader import load_objects, load_text
from ..core.messages import fill, language
from ..core.resolver import Simulator
from ..core.results import RequestResult, Resolution, Verdict
from .scenario import LEVELS, SEED_TARGETS, SEED_WORKLOAD, Scenario, parse_hosts, seed_steps
from ..core.traffic import check, matrix_targets, parse_target
from ..core.validation import ERROR, ValidationMessage, validate_sidecar
from ..core.versions import DEFAULT_VERSION as DEFAULT_ISTIO_VERSION
from ..core.versions import parse_version
from ..core.yamlio import read_documents

try:  # the shared label catalog of the figures and widgets
    from ..core.messages import LABELS as _LABELS
    from ..core.messages import label as _label
except ImportError:  # pragma: no cover - an older catalog without UI labels
    _LABELS, _label = None, None

__all__ = ["PrecedenceExplorer", "ReachabilityExplorer", "YamlPlayground", "PredictReveal", "Question",
           "DEFAULT_TARGETS", "LANGUAGE_OPTIONS", "as_scenario", "verdict_table_html", "matrix_table_html",
           "validation_html", "ui_text", "seed_questions"]

DEFAULT_TARGETS = SEED_TARGETS
LANGUAGE_OPTIONS = (("English", "en"), ("한국어", "ko"))
VERDICTS = tuple(v.value for v in Verdict)
#: PNG resolution of the widgets' figures: the CSS reference (1 pt = 4/3 px), so the figure's text is as large as
#: the page's and the PNG is shown at its own size, never stretched. (72 would save only ~5 ms a redraw.)
DPI = 96

# Words of the widgets themselves. The figures' labels (levels, verdicts, stages) come from the shared
# catalog in sidecar_lab.core.messages; explanations come from the core's trace (Step.text(lang)).
_UI: dict[str, dict[str, str]] = {"en": {
    "ui.precedence.title": "Which Sidecar wins, and what happens to each request?",
    "ui.reachability.title": "Reachability: every workload against every destination",
    "ui.playground.title": "YAML playground: write a Sidecar and see what Istio does with it",
    "ui.predict.title": "Predict, then reveal",
    "ui.language": "Language",
    "ui.step": "Seed step",
    "ui.workload": "Workload",
    "ui.targets": "Destinations (one per line)",
    "ui.enabled": "on",
    "ui.mode": "mode",
    "ui.mode.unset": "(unset)",
    "ui.hosts": "egress hosts",
    "ui.hosts.placeholder": "unset: */* (implicit)",
    "ui.selector": "selector {selector}",
    "ui.no-selector": "no workloadSelector",
    "ui.yaml.title": "The Sidecars as they now stand (kubectl apply -f -)",
    "ui.yaml.none": "# No lab Sidecar is switched on: nothing to apply.",
    "ui.col.source": "source",
    "ui.col.target": "target",
    "ui.col.verdict": "verdict",
    "ui.col.envoy": "Envoy listener → route → cluster",
    "ui.col.client": "what curl prints",
    "ui.col.why": "why",
    "ui.validation.title": "Admission validation",
    "ui.validation.admitted": "{sidecar}: admitted",
    "ui.validation.refused": "{sidecar}: kubectl apply would refuse it, so it takes no part",
    "ui.validation.warned": "{sidecar}: admitted, with warnings",
    "ui.bad-target": "{target}: {message}",
    "ui.error": "Error: {message}",
    "ui.font-fallback": "No font with Hangul is installed: the figure's labels are in English.",
    "ui.figure-description": "Text description of the figure",
    "ui.summary": "{workload} is governed by {governor}; outbound mode {mode}.",
    "ui.summary.none": "no Sidecar (the built-in default)",
    "ui.summary.no-proxy": "{workload} has no sidecar proxy: {reason}",
    "ui.playground.editor": "Sidecar YAML",
    "ui.playground.ok": "Istio admits every Sidecar here.",
    "ui.playground.no-sidecar": "There is no Sidecar in the text yet.",
    "ui.playground.not-read": "The YAML cannot be read; the figure and table show the last YAML that could.",
    "ui.playground.line": "line {line}",
    "ui.predict.question": "Question {number} of {total}",
    "ui.predict.scenario": "Scenario: {title}",
    "ui.predict.sidecars": "Sidecars in effect",
    "ui.predict.no-sidecars": "(no Sidecar)",
    "ui.predict.prompt": "What happens to this request? Click the verdict you expect: the answer appears then.",
    "ui.predict.reveal": "Reveal",
    "ui.predict.clear": "Clear the votes",
    "ui.predict.your-turn": "Your turn: click what you expect. The answer appears once you have chosen.",
    "ui.predict.vote": "Class vote: click a choice once per hand raised ({votes} so far), then Reveal.",
    "ui.predict.votes": "The room's votes ({votes}):",
    "ui.predict.revealed": "The answer:",
    "ui.predict.terminal": "The same in a terminal (sidecar-lab check)",
    "ui.predict.choice": "Your prediction",
    "ui.predict.next": "Next question",
    "ui.predict.pick-first": "Pick a verdict first.",
    "ui.predict.right": "Right: {verdict}.",
    "ui.predict.wrong": "Not this time: you said {pick}, the simulator says {verdict}.",
    "ui.predict.score": "Score: {right} of {answered}",
    "ui.predict.client": "curl prints: {text}",
    "ui.predict.why": "Why:",
    "ui.predict.done": "That was the last question.",
}, "ko": {
    "ui.precedence.title": "어떤 Sidecar가 적용되고, 각 요청은 어떻게 될까?",
    "ui.reachability.title": "도달 가능성: 모든 워크로드 × 모든 목적지",
    "ui.playground.title": "YAML 놀이터: Sidecar를 작성하고 Istio가 어떻게 처리하는지 보기",
    "ui.predict.title": "예측한 뒤 정답 보기",
    "ui.language": "언어",
    "ui.step": "실습 단계",
    "ui.workload": "워크로드",
    "ui.targets": "목적지(한 줄에 하나)",
    "ui.enabled": "적용",
    "ui.mode": "모드",
    "ui.mode.unset": "(미설정)",
    "ui.hosts": "egress 호스트",
    "ui.hosts.placeholder": "미설정: */*(암묵적)",
    "ui.selector": "셀렉터 {selector}",
    "ui.no-selector": "workloadSelector 없음",
    "ui.yaml.title": "현재 상태의 Sidecar(kubectl apply -f -)",
    "ui.yaml.none": "# 켜진 실습 Sidecar가 없습니다: 적용할 것이 없습니다.",
    "ui.col.source": "출발지",
    "ui.col.target": "목적지",
    "ui.col.verdict": "판정",
    "ui.col.envoy": "Envoy 리스너 → 라우트 → 클러스터",
    "ui.col.client": "curl 출력",
    "ui.col.why": "이유",
    "ui.validation.title": "어드미션 검증",
    "ui.validation.admitted": "{sidecar}: 승인됨",
    "ui.validation.refused": "{sidecar}: kubectl apply가 거부하므로 적용되지 않습니다",
    "ui.validation.warned": "{sidecar}: 승인되지만 경고가 있습니다",
    "ui.bad-target": "{target}: {message}",
    "ui.error": "오류: {message}",
    "ui.font-fallback": "한글 글꼴이 설치되어 있지 않아 그림의 레이블은 영어로 표시됩니다.",
    "ui.figure-description": "그림 설명(텍스트)",
    "ui.summary": "{workload}에는 {governor}이(가) 적용됩니다. 아웃바운드 모드 {mode}.",
    "ui.summary.none": "Sidecar 없음(내장 기본값)",
    "ui.summary.no-proxy": "{workload}에는 사이드카 프록시가 없습니다: {reason}",
    "ui.playground.editor": "Sidecar YAML",
    "ui.playground.ok": "Istio가 여기 있는 모든 Sidecar를 승인합니다.",
    "ui.playground.no-sidecar": "아직 텍스트에 Sidecar가 없습니다.",
    "ui.playground.not-read": ("YAML을 읽을 수 없습니다. 그림과 표는 마지막으로 읽을 수 있었던 "
                               "YAML의 결과입니다."),
    "ui.playground.line": "{line}번째 줄",
    "ui.predict.question": "문제 {number} / {total}",
    "ui.predict.scenario": "시나리오: {title}",
    "ui.predict.sidecars": "적용 중인 Sidecar",
    "ui.predict.no-sidecars": "(Sidecar 없음)",
    "ui.predict.prompt": "이 요청은 어떻게 될까요? 예상하는 판정을 누르면 정답이 나타납니다.",
    "ui.predict.reveal": "정답 보기",
    "ui.predict.clear": "투표 지우기",
    "ui.predict.your-turn": "여러분 차례입니다: 예상하는 답을 누르세요. 고르고 나면 정답이 나타납니다.",
    "ui.predict.vote": "교실 투표: 손을 든 사람마다 한 번씩 누르세요(지금까지 {votes}표). 그다음 '정답 보기'를 누르세요.",
    "ui.predict.votes": "교실의 투표({votes}표):",
    "ui.predict.revealed": "정답:",
    "ui.predict.terminal": "터미널에서 같은 결과 보기(sidecar-lab check)",
    "ui.predict.choice": "나의 예측",
    "ui.predict.next": "다음 문제",
    "ui.predict.pick-first": "먼저 판정을 고르세요.",
    "ui.predict.right": "정답입니다: {verdict}.",
    "ui.predict.wrong": "아쉽네요: {pick}을(를) 골랐지만 시뮬레이터의 판정은 {verdict}입니다.",
    "ui.predict.score": "점수: {answered}문제 중 {right}개 정답",
    "ui.predict.client": "curl 출력: {text}",
    "ui.predict.why": "이유:",
    "ui.predict.done": "마지막 문제였습니다.",
}}

# Used only when the shared catalog has no such label (an older sidecar_lab.core.messages).
_FALLBACK_LABELS = {
    "level.workload": "workload", "level.namespace": "namespace", "level.root": "root",
    **{f"verdict.{v}": v for v in VERDICTS}, "stage.none": "—",
}


def ui_text(key: str, lang: str | None = None, **params: Any) -> str:
    """A widget text in ``lang`` (default: the language in force): the widgets' own words, else the shared figure
    labels (English when missing)."""
    lang = language(lang)
    if key in _UI["en"]:
        template = _UI.get(lang, {}).get(key) or _UI["en"][key]
    elif _label is not None and key in _LABELS.get("en", {}):
        return _label(key, lang, **params)
    else:
        template = _FALLBACK_LABELS.get(key, key)
    try:
        return fill(template, lang, **params) if params else template
    except (KeyError, IndexError):
        return template


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def as_scenario(obj: Any = None, *, workload: str | None = None) -> Scenario:
    """A :class:`Scenario` from what a learner passes: a Scenario, None (the seed), a seed step name
    (``"03-namespace-allow-any"``), YAML text, a path or a list of paths, or a list of manifest dicts.

    For manifests, the levels are found for ``workload`` when the manifests have it, else for the
    scenario's own choice (the seed's client, or the first workload with a sidecar).
    """
    if isinstance(obj, Scenario):
        return obj
    if obj is None:
        return Scenario.seed()
    if isinstance(obj, str) and obj in seed_steps():
        return Scenario.seed(obj)
    if isinstance(obj, str) and ("\n" in obj or obj.lstrip().startswith(("apiVersion", "kind", "---"))):
        build = lambda w: Scenario.from_yaml(obj, workload=w)  # noqa: E731
    elif isinstance(obj, str) or hasattr(obj, "__fspath__"):
        build = lambda w: Scenario.from_paths([obj], workload=w)  # noqa: E731
    else:
        items = list(obj)
        if items and all(isinstance(i, Mapping) for i in items):
            build = lambda w: Scenario.from_objects(items, workload=w)  # noqa: E731
        else:
            build = lambda w: Scenario.from_paths([str(i) for i in items], workload=w)  # noqa: E731
    if workload:
        try:
            return build(workload)
        except UsageError as exc:
            if not str(exc).startswith("unknown workload"):
                raise
    return build(None)


# --------------------------------------------------------------------------------------------------------------
# HTML pieces, rendered from the core's results

_CELL = "border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left"
# ipywidgets gives HTML content the line height of a control row (28 px); text blocks set their own.
_BLOCK = "line-height:1.4"
# Identifiers wrap where <wbr> allows (after . / | and the like); a token longer than its column still wraps.
_WRAP = "overflow-wrap:anywhere"
#: A table as wide as its output area and never wider: fixed layout, columns by share, content that wraps.
_TABLE = "border-collapse:collapse;table-layout:fixed;width:100%"
_ID_BREAKS = re.compile(r"([./|:_\-,]+)")


def _full_width() -> W.Layout:
    return W.Layout(width="100%")


_PRE = "font-size:85%;line-height:1.3;background:#f6f6f6;padding:6px;overflow-x:auto"


def _wrap_id(text: Any) -> str:
    """``text`` escaped, with a line-break opportunity after each ``.``, ``/``, ``|``, ``:`` ... of an identifier
    (URLs, Envoy listener, route and cluster names), so it wraps at a boundary and not every few letters.

    >>> _wrap_id("outbound|8000||httpbin.default")
    'outbound|<wbr>8000||<wbr>httpbin.<wbr>default'
    """
    return _ID_BREAKS.sub(r"\1<wbr>", _e(text)).replace("&<wbr>", "&").replace("<wbr><wbr>", "<wbr>")


def _verdict_badge(verdict: str, lang: str | None, word: bool = True) -> str:
    """The verdict's colour, glyph and (unless ``word`` is False: a narrow matrix cell, with a legend) word."""
    colour = figures.PALETTE.get(verdict, "#888")
    text = ui_text("verdict." + verdict, lang)
    shown = f"{figures.GLYPHS.get(verdict, '')} {text}" if word else figures.GLYPHS.get(verdict, "")
    return (f'<span class="sidecar-lab-verdict" data-verdict="{_e(verdict)}" title="{_e(text)}" '
            f'style="border-left:6px solid {colour};padding-left:4px;font-weight:bold;display:inline-block;{_WRAP}">'
            f'{_e(shown)}</span>')


def _envoy_text(r: RequestResult, lang: str | None) -> str:
    none = ui_text("stage.none", lang)
    e = r.envoy
    return " → ".join(x or none for x in (e.listener, e.route, e.cluster))


def _why_html(steps: Sequence[str]) -> str:
    """The explanation folded: its decisive (last) step shows; the whole numbered list opens on a click."""
    if not steps:
        return ""
    items = "".join(f"<li>{_e(s)}</li>" for s in steps)
    return (f'<details class="sidecar-lab-why"><summary>{_e(steps[-1])}</summary>'
            f'<ol style="margin:0;padding-left:1.4em">{items}</ol></details>')


#: Up to this many destinations, a matrix cell says its verdict's word beside the glyph.
_MATRIX_WORDS = 6
#: Column shares of the verdict table: source, target, verdict, Envoy's path, what curl prints, why.
_VERDICT_COLUMNS = (14, 15, 12, 18, 16, 25)


def verdict_table_html(results: Sequence[RequestResult], lang: str | None = None,
                       errors: Sequence[tuple[str, str]] = ()) -> str:
    """One row per request: source, target, verdict (glyph and word), Envoy's path, what curl prints, why (folded
    to its decisive step). As wide as its output area and never wider."""
    cols = "".join(f'<col style="width:{w}%">' for w in _VERDICT_COLUMNS)
    head = "".join(f'<th style="{_CELL};{_WRAP}">{_e(ui_text(k, lang))}</th>' for k in
                   ("ui.col.source", "ui.col.target", "ui.col.verdict", "ui.col.envoy", "ui.col.client", "ui.col.why"))
    rows = []
    for r in results:
        rows.append(
            f'<tr data-target="{_e(r.target.target)}" data-verdict="{_e(r.verdict.value)}">'
            f'<td style="{_CELL};{_WRAP}"><code>{_wrap_id(f"{r.source.namespace}/{r.source.name}")}</code></td>'
            f'<td style="{_CELL};{_WRAP}"><code>{_wrap_id(r.target.target)}</code></td>'
            f'<td style="{_CELL}">{_verdict_badge(r.verdict.value, lang)}</td>'
            f'<td style="{_CELL};{_WRAP}"><code>{_wrap_id(_envoy_text(r, lang))}</code></td>'
            f'<td style="{_CELL};{_WRAP}">{_wrap_id(r.client_sees_text(lang))}</td>'
            f'<td style="{_CELL};{_WRAP}">{_why_html(r.explanation(lang))}</td></tr>')
    for target, message in errors:
        rows.append(f'<tr><td style="{_CELL};{_WRAP}" colspan="6" class="sidecar-lab-error">'
                    f'{_e(ui_text("ui.bad-target", lang, target=target, message=message))}</td></tr>')
    return (f'<div style="{_BLOCK}"><table class="sidecar-lab-verdicts" style="{_TABLE};font-size:90%">'
            f'<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def matrix_table_html(sources: Sequence[str], targets: Sequence[str], cells: Sequence[Sequence[RequestResult]],
                      lang: str | None = None) -> str:
    """The reachability matrix as a table: one row per source, one column per target, glyph and word per cell.
    As wide as its output area and never wider: names wrap at their ``.``/``/``/``:``."""
    first = max(14, min(24, 100 // (len(targets) + 2)))
    cols = f'<col style="width:{first}%">' + "".join(
        f'<col style="width:{(100 - first) / max(len(targets), 1):.2f}%">' for _ in targets)
    head = f'<th style="{_CELL}">{_e(ui_text("ui.col.source", lang))}</th>' + "".join(
        f'<th style="{_CELL};{_WRAP}"><code>{_wrap_id(x)}</code></th>' for x in targets)
    words = len(targets) <= _MATRIX_WORDS  # more columns: glyphs in the cells and a legend under the table
    rows = []
    for source, row in zip(sources, cells):
        tds = "".join(f'<td style="{_CELL}" title="{_e(_envoy_text(r, lang))}">'
                      f'{_verdict_badge(r.verdict.value, lang, words)}</td>' for r in row)
        rows.append(f'<tr data-source="{_e(source)}"><th style="{_CELL};{_WRAP}"><code>{_wrap_id(source)}</code></th>'
                    f'{tds}</tr>')
    seen = sorted({r.verdict.value for row in cells for r in row}, key=VERDICTS.index)
    legend = "" if words else ('<p class="sidecar-lab-legend" style="margin:4px 0">' + " · ".join(
        f"<b>{_e(figures.GLYPHS.get(v, ''))}</b> {_e(ui_text('verdict.' + v, lang))}" for v in seen) + "</p>")
    return (f'<div style="{_BLOCK}"><table class="sidecar-lab-matrix" style="{_TABLE};font-size:85%">'
            f'<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'{legend}</div>')


def _message_line(m: ValidationMessage, line: int | None, lang: str) -> str:
    where = f"{ui_text('ui.playground.line', lang, line=line)}: " if line is not None else ""
    colour = figures.PALETTE["BLOCKED"] if m.level == ERROR else "#8a6d00"
    hint = f" <i>— {_e(hint_text(m.hint, lang))}</i>" if m.hint else ""
    message = m.message[len(m.field) + 2:] if m.message.startswith(f"{m.field}: ") else m.message  # said once
    return (f'<li class="sidecar-lab-{m.level.lower()}"><b style="color:{colour}">{_e(m.level)}</b> '
            f'{_e(where)}<code>{_e(m.field)}</code>: {_e(message)} <small>[{_e(m.rule)}]</small>{hint}</li>')


def validation_html(found: Iterable[tuple[str, Sequence[ValidationMessage], Callable[[tuple], int | None] | None]],
                    lang: str | None = None) -> str:
    """Istio's admission messages per Sidecar (``(name, messages, line_of)`` triples), in its own words."""
    parts = []
    for name, messages, line_of in found:
        refused = any(m.level == ERROR for m in messages)
        key = "ui.validation.refused" if refused else "ui.validation.warned" if messages else "ui.validation.admitted"
        mark = "✘" if refused else "⚠" if messages else "✔"
        items = "".join(_message_line(m, line_of(m.path) if line_of else None, lang) for m in messages)
        parts.append(f"<div>{mark} {_e(ui_text(key, lang, sidecar=name))}"
                     + (f'<ul style="margin:2px 0">{items}</ul>' if items else "") + "</div>")
    if not parts:
        return ""
    title = _e(ui_text("ui.validation.title", lang))
    return f'<div class="sidecar-lab-validation" style="{_BLOCK}"><b>{title}</b>{"".join(parts)}</div>'


def _error_html(message: str, lang: str) -> str:
    return (f'<div class="sidecar-lab-error" style="color:{figures.PALETTE["BLOCKED"]}">'
            f'{_e(ui_text("ui.error", lang, message=message))}</div>')


def _summary_html(res: Resolution, lang: str) -> str:
    w = f"{res.workload.namespace}/{res.workload.name}"
    if res.proxy != "sidecar":
        return f"<p>{_e(ui_text('ui.summary.no-proxy', lang, workload=w, reason=res.proxy_reason.text(lang)))}</p>"
    governor = str(res.sidecar) if res.sidecar is not None else ui_text("ui.summary.none", lang)
    text = ui_text("ui.summary", lang, workload=w, governor=governor, mode=res.mode)
    return f"<p>{_e(text)} <i>{_e(res.scope_reason.text(lang))}</i></p>"


def _yaml_html(text: str, lang: str) -> str:
    return (f'<details open><summary><b>{_e(ui_text("ui.yaml.title", lang))}</b></summary>'
            f'<pre class="sidecar-lab-yaml" style="{_PRE}">{_e(text)}</pre>'
            f'</details>')


def _parse_targets(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


# --------------------------------------------------------------------------------------------------------------
# figures: rendered once per distinct content (a control that changes nothing the figure shows costs nothing)

_RENDERED: "OrderedDict[tuple, tuple[Any, bytes]]" = OrderedDict()


def _render(key: tuple, make: Callable[[], Any], dpi: int) -> tuple[Any, bytes]:
    key = key + (dpi,)
    hit = _RENDERED.get(key)
    if hit is not None:
        _RENDERED.move_to_end(key)
        return hit
    fig = make()
    png = figures.to_png(fig, dpi=dpi)
    _RENDERED[key] = (fig, png)
    if len(_RENDERED) > 96:
        _RENDERED.popitem(last=False)
    return fig, png


# --------------------------------------------------------------------------------------------------------------
# the common frame: language, figure, messages, display

#: Simulators of a scenario's mesh for another Istio release, by (mesh id, release).
_RELEASE_SIMULATORS: dict[tuple[int, str], Simulator] = {}


def _istio_version(text: str | None) -> str | None:
    return None if text is None else str(parse_version(text))


class _Lab:
    """What every widget shares: a language picker, an image, messages, display delegation."""

    widget: W.Box
    #: The Istio release whose rules answer (``istio_version=`` of the widgets; None: the default, 1.26).
    istio_version: str | None = None

    def __init__(self, lang: str | None) -> None:
        self.lang = language(lang)  # None: the language in force (sl.set_language, $SIDECAR_LAB_LANG)
        self._quiet = False
        self.error: str | None = None
        self.figure: Any = None
        self.last_refresh_ms: float | None = None
        self.dpi = DPI
        self.title = W.HTML()
        self.lang_picker = W.Dropdown(options=list(LANGUAGE_OPTIONS), value=self.lang,
                                      style={"description_width": "initial"}, layout=W.Layout(width="auto"))
        self.lang_picker.observe(self._on_lang, names="value")
        # flex-start: a VBox would stretch the image to its width (blurry); shown at its own size, narrower if need be
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", align_self="flex-start"))
        self.figure_text = W.HTML()
        self.messages = W.HTML(layout=_full_width())

    # display: a cell that ends with the object shows its widget
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _on_lang(self, change: Mapping) -> None:
        if self._quiet:
            return
        self.lang = change["new"]
        self._relabel()
        self._refresh()

    def _relabel(self) -> None:
        self.lang_picker.description = ui_text("ui.language", self.lang)

    def _heading(self, key: str) -> str:
        """The widget's title and the Istio release that answers."""
        release = self.istio_version or DEFAULT_ISTIO_VERSION
        return f"<h3>{_e(ui_text(key, self.lang))} <small>(Istio {_e(release)})</small></h3>"

    def _release(self, sim: Simulator) -> Simulator:
        """``sim``'s manifests answered by this widget's Istio release (``sim`` itself for the default)."""
        if self.istio_version is None:
            return sim
        key = (id(sim.mesh), self.istio_version)
        hit = _RELEASE_SIMULATORS.get(key)
        if hit is None or hit.mesh is not sim.mesh:
            hit = _RELEASE_SIMULATORS[key] = Simulator(sim.mesh, self.istio_version)
            if len(_RELEASE_SIMULATORS) > 64:
                _RELEASE_SIMULATORS.pop(next(iter(_RELEASE_SIMULATORS)))
        return hit

    def _refresh(self) -> None:  # pragma: no cover - every widget has its own
        raise NotImplementedError

    def _show_figure(self, key: tuple, make: Callable[[], Any]) -> None:
        fig, png = _render(key + (self.lang,), make, self.dpi)
        self.figure = fig
        self.image.value = png
        self.figure_text.value = (f'<details><summary><small>{_e(ui_text("ui.figure-description", self.lang))}</small>'
                                  f'</summary><small>{_e(figures.alt_text(fig))}</small></details>')

    def _font_note(self) -> str:
        if self.lang == "ko" and figures.hangul_font() is None:
            return f"<p><small><i>{_e(ui_text('ui.font-fallback', self.lang))}</i></small></p>"
        return ""

    def _timed(self, work: Callable[[], None]) -> None:
        """Run one refresh; user errors become a message in the widget, never an exception."""
        start = time.perf_counter()
        self.error = None
        try:
            work()
        except SidecarLabError as exc:
            self.error = str(exc)
            self.messages.value = _error_html(str(exc), self.lang)
        except Exception as exc:  # noqa: BLE001 - a widget must stay alive; the message says what broke
            self.error = f"{type(exc).__name__}: {exc}"
            self.messages.value = _error_html(self.error, self.lang)
        self.last_refresh_ms = (time.perf_counter() - start) * 1000


# --------------------------------------------------------------------------------------------------------------
# the three lab Sidecars as controls

class LevelControls:
    """The controls of one lab Sidecar: ``enabled`` (Checkbox), ``mode`` (Dropdown), ``hosts`` (Text)."""

    def __init__(self, level: str) -> None:
        self.level = level
        self.label = W.HTML(layout=W.Layout(width="260px"))
        self.enabled = W.Checkbox(value=False, indent=False, layout=W.Layout(width="70px"))
        self.enabled.add_class(f"sidecar-lab-{level}-toggle")  # a stable hook for tests/test_browser.py
        self.mode = W.Dropdown(options=[("REGISTRY_ONLY", "REGISTRY_ONLY"), ("ALLOW_ANY", "ALLOW_ANY"), ("", "")],
                               value="", style={"description_width": "initial"}, layout=W.Layout(width="230px"))
        self.hosts = W.Text(value="", continuous_update=True, style={"description_width": "initial"},
                            layout=W.Layout(width="360px", max_width="100%"))
        self.box = W.HBox([self.label, self.enabled, self.mode, self.hosts], layout=W.Layout(flex_flow="row wrap"))
        # DOM classes (standard ipywidgets, no JavaScript) so pages and browser tests can find each control.
        for control, role in ((self.mode, "mode"), (self.hosts, "hosts"), (self.box, "level")):
            control.add_class(f"sidecar-lab-{level}-{role}")

    def show(self, lv: Any) -> None:
        """Set the controls from a :class:`~sidecar_lab.course.scenario.SidecarLevel` (caller silences observers)."""
        self.enabled.value = lv.enabled
        self.mode.value = lv.mode or ""
        self.hosts.value = ", ".join(lv.egress_hosts) if lv.egress_hosts else ""

    def relabel(self, lv: Any, lang: str) -> None:
        mode = self.mode.value
        self.mode.options = [("REGISTRY_ONLY", "REGISTRY_ONLY"), ("ALLOW_ANY", "ALLOW_ANY"),
                             (ui_text("ui.mode.unset", lang), "")]
        self.mode.value = mode
        self.enabled.description = ui_text("ui.enabled", lang)
        self.mode.description = ui_text("ui.mode", lang)
        self.hosts.description = ui_text("ui.hosts", lang)
        self.hosts.placeholder = ui_text("ui.hosts.placeholder", lang)
        if lv.selector is None:
            selector = ui_text("ui.no-selector", lang)
        else:
            text = ",".join(f"{k}={v}" for k, v in lv.selector) or "{}"
            selector = ui_text("ui.selector", lang, selector=text)
        self.label.value = (f"<b>{_e(ui_text('level.' + self.level, lang))}</b> <code>{_e(lv.ref)}</code>"
                            f"<br><small>{_e(selector)}</small>")


class _Requests:
    """A widget with a workload picker and a box of request targets."""

    workload_picker: Any
    targets_box: Any

    @property
    def workload(self) -> str:
        return self.workload_picker.value

    @property
    def targets(self) -> list[str]:
        return _parse_targets(self.targets_box.value)


class _Levels(_Lab):
    """A widget driven by the three lab Sidecars of a scenario (and, for the seed, a step picker)."""

    def __init__(self, scenario: Any, lang: str | None, workload: str | None = None) -> None:
        super().__init__(lang)
        self.scenario: Scenario = as_scenario(scenario, workload=workload)
        self.controls: dict[str, LevelControls] = {level: LevelControls(level) for level in LEVELS}
        for level, c in self.controls.items():
            c.enabled.observe(lambda ch, lv=level: self._set(lv, enabled=ch["new"]), names="value")
            c.mode.observe(lambda ch, lv=level: self._set(lv, mode=ch["new"] or None), names="value")
            c.hosts.observe(lambda ch, lv=level: self._set(lv, egress_hosts=parse_hosts(ch["new"])), names="value")
        steps = seed_steps() if self.scenario.step is not None else []
        self.step_picker = W.Dropdown(options=steps, value=self.scenario.step if steps else None,
                                      style={"description_width": "initial"},
                                      layout=W.Layout(width="auto", display="" if steps else "none"))
        self.step_picker.observe(self._on_step, names="value")
        self.yaml_view = W.HTML(layout=_full_width())
        self.yaml_text = ""
        # istiod checks the workload level first: show them in that order, as the ladder does
        self.level_box = W.VBox([self.controls[level].box for level in reversed(LEVELS)])
        self._show_levels()

    def _show_levels(self) -> None:
        self._quiet = True
        try:
            for level, c in self.controls.items():
                c.show(self.scenario.level(level))
                c.relabel(self.scenario.level(level), self.lang)
        finally:
            self._quiet = False

    def _relabel(self) -> None:
        super()._relabel()
        self._quiet = True
        try:
            self.step_picker.description = ui_text("ui.step", self.lang)
            for level, c in self.controls.items():
                c.relabel(self.scenario.level(level), self.lang)
        finally:
            self._quiet = False

    def _set(self, level: str, **changes: Any) -> None:
        if self._quiet:
            return
        try:
            self.scenario = self.scenario.with_level(level, **changes)
        except SidecarLabError as exc:
            self.error = str(exc)
            self.messages.value = _error_html(str(exc), self.lang)
            return
        self._refresh()

    def _on_step(self, change: Mapping) -> None:
        if self._quiet or not change["new"]:
            return
        self.scenario = Scenario.seed(change["new"])
        self._show_levels()
        self._refresh()

    def set_scenario(self, scenario: Any) -> None:
        """Show another scenario (a Scenario, a seed step, paths or YAML)."""
        self.scenario = as_scenario(scenario)
        self._quiet = True
        try:
            if self.scenario.step is not None:
                self.step_picker.options = seed_steps()
                self.step_picker.value = self.scenario.step
            self.step_picker.layout.display = "" if self.scenario.step is not None else "none"
        finally:
            self._quiet = False
        self._show_levels()
        self._refresh()

    def _levels_messages(self) -> str:
        found = [(lv.ref, msgs, None) for lv in self.scenario.levels if lv.enabled
                 for msgs in (lv.validation(),)]
        return validation_html(found, self.lang)

    def _show_yaml(self) -> None:
        self.yaml_text = self.scenario.sidecars_yaml() or ui_text("ui.yaml.none", self.lang) + "\n"
        self.yaml_view.value = _yaml_html(self.yaml_text, self.lang)


# --------------------------------------------------------------------------------------------------------------

class PrecedenceExplorer(_Requests, _Levels):
    """Switch the root, namespace and workload Sidecars on and off; see who wins, why, and each request's fate.

    >>> ex = PrecedenceExplorer("02-root-registry-only")
    >>> [r.verdict.value for r in ex.results]
    ['ROUTED', 'ROUTED', 'BLOCKED', 'BLOCKED']
    >>> ex.controls["namespace"].enabled.value = True   # istioinaction/default, ALLOW_ANY
    >>> ex.resolution.scope, [r.verdict.value for r in ex.results]
    ('namespace', ['ROUTED', 'ROUTED', 'PASSTHROUGH', 'PASSTHROUGH'])
    """

    def __init__(self, scenario: Any = None, *, workload: str = SEED_WORKLOAD,
                 targets: Sequence[str] = DEFAULT_TARGETS, lang: str | None = None, istio_version: str | None = None) -> None:
        self.istio_version = _istio_version(istio_version)
        super().__init__(scenario, lang, workload)
        self.resolution: Resolution | None = None
        self.results: list[RequestResult] = []
        self.target_errors: list[tuple[str, str]] = []
        workloads = self.scenario.workloads()
        chosen = workload if workload in workloads else (self.scenario.workload if self.scenario.workload
                                                         in workloads else (workloads or [None])[0])
        self.workload_picker = W.Dropdown(options=workloads, value=chosen, style={"description_width": "initial"},
                                          layout=W.Layout(width="auto"))
        self.targets_box = W.Textarea(value="\n".join(targets), rows=max(3, len(targets)), continuous_update=False,
                                      style={"description_width": "initial"}, layout=W.Layout(width="100%", max_width="520px"))
        self.summary = W.HTML()
        self.table = W.HTML(layout=_full_width())
        self.workload_picker.observe(lambda ch: self._quiet or self._refresh(), names="value")
        self.targets_box.observe(lambda ch: self._quiet or self._refresh(), names="value")
        self.widget = W.VBox([
            self.title,
            W.HBox([self.step_picker, self.workload_picker, self.lang_picker], layout=W.Layout(flex_flow="row wrap")),
            self.level_box,
            self.targets_box,
            self.messages,
            self.summary,
            self.image,
            self.figure_text,
            self.table,
            self.yaml_view,
        ])
        self._relabel()
        self._refresh()

    def _relabel(self) -> None:
        super()._relabel()
        self.title.value = self._heading("ui.precedence.title")
        self.workload_picker.description = ui_text("ui.workload", self.lang)
        self.targets_box.description = ui_text("ui.targets", self.lang)

    def _refresh(self) -> None:
        self._timed(self._compute)

    def _compute(self) -> None:
        sim = self._release(self.scenario.simulator())
        workload = self.workload
        if not workload:
            raise UsageError("the scenario has no workload")
        res = sim.resolve(workload)
        results, errors = [], []
        for target in self.targets:
            try:
                results.append(check(sim, workload, target))
            except UsageError as exc:
                errors.append((target, str(exc)))
        self.resolution, self.results, self.target_errors = res, results, errors
        self._show_figure(("ladder", repr(res)), lambda: figures.precedence_ladder(res, lang=self.lang))
        self.summary.value = _summary_html(res, self.lang)
        self.table.value = verdict_table_html(results, self.lang, errors)
        self._show_yaml()
        self.messages.value = self._levels_messages() + self._font_note()


class ReachabilityExplorer(_Levels):
    """The same three Sidecars; every workload against every destination, as a matrix.

    ``targets`` None: one destination per Service port of the scenario, plus the seed's two external ones.
    """

    def __init__(self, scenario: Any = None, *, targets: Sequence[str] | None = None, lang: str | None = None,
                 istio_version: str | None = None) -> None:
        self.istio_version = _istio_version(istio_version)
        super().__init__(scenario, lang)
        self._targets = list(targets) if targets is not None else None
        self.sources: list[str] = []
        self.target_list: list[str] = []
        self.cells: list[list[RequestResult]] = []
        self.results: list[RequestResult] = []
        self.table = W.HTML(layout=_full_width())
        self.widget = W.VBox([
            self.title,
            W.HBox([self.step_picker, self.lang_picker], layout=W.Layout(flex_flow="row wrap")),
            self.level_box,
            self.messages,
            self.image,
            self.figure_text,
            self.table,
            self.yaml_view,
        ])
        self._relabel()
        self._refresh()

    def _relabel(self) -> None:
        super()._relabel()
        self.title.value = self._heading("ui.reachability.title")

    def _refresh(self) -> None:
        self._timed(self._compute)

    def _targets_for(self, sim: Simulator) -> list[str]:
        if self._targets is not None:
            return list(self._targets)
        found = matrix_targets(sim)
        return found + [x for x in DEFAULT_TARGETS if x.startswith(("http://google", "https://google"))
                        and x not in found]

    def _compute(self) -> None:
        sim = self._release(self.scenario.simulator())
        sources = [f"{w.namespace}/{w.name}" for w in sim.workloads()]
        targets, errors = [], []
        for x in self._targets_for(sim):
            try:
                parse_target(x)
                targets.append(x)
            except UsageError as exc:
                errors.append((x, str(exc)))
        cells = [[check(sim, s, x) for x in targets] for s in sources]
        self.sources, self.target_list, self.cells = sources, targets, cells
        self.results = [r for row in cells for r in row]
        key = ("matrix", tuple(sources), tuple(targets), tuple(r.verdict.value for r in self.results))
        self._show_figure(key, lambda: figures.reachability_matrix(sources, targets, cells, lang=self.lang))
        self.table.value = matrix_table_html(sources, targets, cells, self.lang) + "".join(
            f"<p>{_e(ui_text('ui.bad-target', self.lang, target=x, message=m))}</p>" for x, m in errors)
        self._show_yaml()
        self.messages.value = self._levels_messages() + self._font_note()


# --------------------------------------------------------------------------------------------------------------

_PLAYGROUND_FILE = "playground.yaml"


def _default_playground_text() -> str:
    import yaml

    level = Scenario.seed("06-workload-hosts").level("workload")
    return yaml.safe_dump(level.manifest(), sort_keys=False, default_flow_style=False)


class YamlPlayground(_Requests, _Lab):
    """Edit Sidecar YAML in a text area: Istio's admission messages as you type, then who wins and each request.

    ``base`` is what the YAML is added to: a Scenario (its manifests and switched-on Sidecars), a seed step,
    paths or YAML text; by default the seed cluster with no Sidecar.

    >>> pg = YamlPlayground()
    >>> pg.editor.value = pg.editor.value.replace("istioinaction/*", "httpbin")
    >>> "host must be of form namespace/dnsName" in pg.messages.value
    True
    """

    def __init__(self, text: str | None = None, *, base: Any = None, workload: str = SEED_WORKLOAD,
                 targets: Sequence[str] = DEFAULT_TARGETS, lang: str | None = None, istio_version: str | None = None) -> None:
        self.istio_version = _istio_version(istio_version)
        super().__init__(lang)
        base_scenario = as_scenario(base if base is not None else "01-no-sidecar")
        self.base_objects = base_scenario.manifests()
        self._base_mesh = load_objects(self.base_objects, "<base>")
        self.resolution: Resolution | None = None
        self.results: list[RequestResult] = []
        self.validation: list[tuple[str, tuple[ValidationMessage, ...]]] = []
        self.yaml_error: str | None = None
        workloads = [f"{w.namespace}/{w.name}" for w in Simulator(self._base_mesh).workloads()]
        chosen = workload if workload in workloads else (workloads or [None])[0]
        self.editor = W.Textarea(value=text if text is not None else _default_playground_text(),
                                 continuous_update=True, rows=16,
                                 layout=W.Layout(width="100%", max_width="640px"))
        self.workload_picker = W.Dropdown(options=workloads, value=chosen, style={"description_width": "initial"},
                                          layout=W.Layout(width="auto"))
        self.targets_box = W.Textarea(value="\n".join(targets), rows=max(3, len(targets)), continuous_update=False,
                                      style={"description_width": "initial"}, layout=W.Layout(width="100%", max_width="520px"))
        self.summary = W.HTML()
        self.table = W.HTML(layout=_full_width())
        for control in (self.editor, self.workload_picker, self.targets_box):
            control.observe(lambda ch: self._quiet or self._refresh(), names="value")
        self.widget = W.VBox([
            self.title,
            W.HBox([self.workload_picker, self.lang_picker], layout=W.Layout(flex_flow="row wrap")),
            self.editor,
            self.messages,
            self.targets_box,
            self.summary,
            self.image,
            self.figure_text,
            self.table,
        ])
        self._relabel()
        self._refresh()

    def _relabel(self) -> None:
        super()._relabel()
        self.title.value = self._heading("ui.playground.title")
        self.editor.description = ""
        self.editor.placeholder = ui_text("ui.playground.editor", self.lang)
        self.workload_picker.description = ui_text("ui.workload", self.lang)
        self.targets_box.description = ui_text("ui.targets", self.lang)

    def _refresh(self) -> None:
        self._timed(self._compute)

    def _compute(self) -> None:
        text = self.editor.value
        self.yaml_error = None
        try:
            docs = list(read_documents(text, _PLAYGROUND_FILE))
            load_text(text, _PLAYGROUND_FILE)  # the loader's own checks, with file:line:field
        except ManifestError as exc:
            # Say what is wrong and where; the figure and table keep the last YAML that could be read.
            self.yaml_error = str(exc)
            note = f"<p><small>{_e(ui_text('ui.playground.not-read', self.lang))}</small></p>" if self.results else ""
            self.messages.value = _error_html(str(exc), self.lang) + note
            return
        found, self.validation = [], []
        for doc in docs:
            data = doc.data
            if not isinstance(data, dict) or data.get("kind") != "Sidecar":
                continue
            meta = data.get("metadata") or {}
            ref = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
            messages = validate_sidecar(data.get("spec") or {}, meta.get("namespace") or "default",
                                        release=self.istio_version)
            self.validation.append((ref, messages))
            found.append((ref, messages, lambda path, d=doc: d.line_of(path)))
        status = ""
        if not found:
            status = f"<p>{_e(ui_text('ui.playground.no-sidecar', self.lang))}</p>"
        elif all(not any(m.level == ERROR for m in msgs) for _, msgs, _ in found):
            status = f"<p>✔ {_e(ui_text('ui.playground.ok', self.lang))}</p>"
        self.messages.value = status + validation_html(found, self.lang) + self._font_note()
        sim = Simulator(load_objects([*self.base_objects, *(d.data for d in docs)], "<playground>"),
                        self.istio_version)
        workload = self.workload
        res = sim.resolve(workload)
        results, errors = [], []
        for target in self.targets:
            try:
                results.append(check(sim, workload, target))
            except UsageError as exc:
                errors.append((target, str(exc)))
        self.resolution, self.results = res, results
        self._show_figure(("ladder", repr(res)), lambda: figures.precedence_ladder(res, lang=self.lang))
        self.summary.value = _summary_html(res, self.lang)
        self.table.value = verdict_table_html(results, self.lang, errors)


# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    """One request to predict: a scenario (a Scenario or a seed step), the source workload and the target."""

    scenario: Any
    source: str
    target: str
    #: The command as the lab ran it, if known (shown to the learner).
    command: str | None = None


def seed_questions() -> list[Question]:
    """Every request the seed walkthrough made (``data/seed/observations.yaml``), in the post's order."""
    from ..core.resources import data_dir
    from ..core.yamlio import read_path_text

    path = data_dir() / "seed" / "observations.yaml"
    out = []
    for doc in read_documents(read_path_text(str(path)), str(path), keep_positions=lambda _: False):
        for item in doc.data if isinstance(doc.data, list) else [doc.data]:
            if isinstance(item, dict) and item.get("kind") == "request":
                out.append(Question(item["step"], item["from"], item["to"], item.get("command")))
    return out


def _question(q: Any) -> Question:
    if isinstance(q, Question):
        return q
    if isinstance(q, Mapping):
        return Question(q.get("scenario") or q.get("step"), q["source"] if "source" in q else q["from"],
                        q["target"] if "target" in q else q["to"], q.get("command"))
    return Question(*q)


def _command(q: Question) -> str:
    """The command as the lab ran it: the question's own, else the seed walkthrough's for the same request, else
    a plain ``kubectl exec ... -- curl URL`` (no ``-s``: what the learner would type)."""
    if q.command:
        return q.command
    if isinstance(q.scenario, str):
        for known in seed_questions():
            if (known.scenario, known.source, known.target) == (q.scenario, q.source, q.target) and known.command:
                return known.command
    namespace, _, name = q.source.partition("/")
    return f"kubectl exec -n {namespace} {name} -- curl {q.target}"


# --------------------------------------------------------------------------------------------------------------
# predictions: commit to a choice by clicking it, then the answer appears

_NEUTRAL = "border-left:4px solid #7A8B99;background:#EEF2F6;padding:0.4em 0.8em;color:#1A1A1A"


class _Commit(_Lab):
    """A prediction: choice buttons; a click commits to that choice and reveals the answer and why.

    Nothing is revealed before a click (Run All, nbclient and Voilà show the neutral "your turn"), unless the
    facilitator says so (:mod:`sidecar_lab.course.classroom`): ``reveal_all()`` shows every answer, and
    ``class_vote()`` turns the buttons into a class tally (each click adds a vote; *Reveal* shows the answer
    with the room's votes). Subclasses give ``_choices()`` ((label, value) pairs), ``_answer()`` (the right
    value and the explanation's HTML, computed only when revealed) and ``_question_html()``.
    """

    def __init__(self, lang: str | None) -> None:
        super().__init__(lang)
        from . import classroom

        self._classroom = classroom
        self.revealed = False
        self.picked: Any = None
        self.answer: Any = None
        self.by_facilitator = False
        self._explanation, self._explained_in = "", None
        self.vote = classroom.voting()
        self.votes: dict[Any, int] = {}
        self.question_view = W.HTML(layout=_full_width())
        self.buttons_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.buttons: list[W.Button] = []
        self.reveal_button = W.Button(button_style="primary")
        self.reveal_button.on_click(lambda _: self.reveal())
        self.clear_button = W.Button()
        self.clear_button.on_click(lambda _: self._clear_votes())
        self.status = W.HTML(layout=_full_width())
        self.feedback = W.HTML(layout=_full_width())
        self.image.layout.display = "none"
        self.widget = W.VBox()
        self.widget.add_class("sidecar-lab-predict")
        classroom.register(self)

    # -- what a subclass says
    def _choices(self) -> list[tuple[str, Any]]:  # pragma: no cover - every prediction has its own
        raise NotImplementedError

    def _answer(self) -> tuple[Any, str]:  # pragma: no cover
        raise NotImplementedError

    def _question_html(self) -> str:
        return ""

    def _figure(self) -> tuple[tuple, Callable[[], Any]] | None:
        return None

    # -- actions
    def pick(self, value: Any) -> bool | None:
        """Click the choice ``value``: a learner's commitment (the answer appears; True when right), or in a class
        vote one more vote for it (None)."""
        if self.vote:
            self.votes[value] = self.votes.get(value, 0) + 1
            self._show()
            return None
        if self.revealed:
            return self.picked == self.answer if self.picked is not None else None
        self.picked = value
        return self.reveal()

    def reveal(self, by_facilitator: bool = False) -> bool | None:
        """Show the answer and why: True when the learner's pick was right, False when not, None without a pick."""
        if not self.revealed:
            try:
                self.answer, self._explanation = self._answer()
                self._explained_in = self.lang
            except SidecarLabError as exc:
                self.error = str(exc)
                self.messages.value = _error_html(str(exc), self.lang)
                return None
            self.revealed = True
            self.by_facilitator = by_facilitator or self.picked is None
            self._scored()
        self._show()
        return None if self.picked is None else self.picked == self.answer

    def set_vote(self, on: bool) -> None:
        """Make this prediction a class tally (``on``) or a learner's own choice again."""
        self.vote = bool(on)
        self._show()

    def _clear_votes(self) -> None:
        self.votes = {}
        self._show()

    def _scored(self) -> None:
        """Called once when the answer is revealed (a quiz keeps its score here)."""

    # -- drawing
    def _relabel(self) -> None:
        super()._relabel()
        self.reveal_button.description = ui_text("ui.predict.reveal", self.lang)
        self.clear_button.description = ui_text("ui.predict.clear", self.lang)

    def _refresh(self) -> None:
        self._timed(self._show)

    def _show(self) -> None:
        self.question_view.value = self._question_html()
        choices = self._choices()
        if [b.tooltip for b in self.buttons] != [str(value) for _, value in choices]:  # other choices: new buttons
            self.buttons = []
            for label, value in choices:
                button = W.Button(layout=W.Layout(width="auto"))
                button.add_class("sidecar-lab-choice")
                button.on_click(lambda _, v=value: self.pick(v))
                self.buttons.append(button)
        for button, (label, value) in zip(self.buttons, choices):
            button.description = self._button_text(label, value)
            button.disabled = self.revealed and not self.vote
            button.button_style = "info" if (value == self.picked and not self.vote) else ""
            button.tooltip = str(value)
        self.reveal_button.layout.display = "" if self.vote and not self.revealed else "none"
        self.clear_button.layout.display = "" if self.vote and not self.revealed else "none"
        self.buttons_box.children = [*self.buttons, self.reveal_button, self.clear_button]
        self.messages.value = self._font_note() if self.revealed else ""
        if not self.revealed:
            key = "ui.predict.vote" if self.vote else "ui.predict.your-turn"
            total = sum(self.votes.values())
            self.status.value = (f'<div class="sidecar-lab-your-turn" style="{_NEUTRAL};{_BLOCK}">✎ '
                                 f'{_e(ui_text(key, self.lang, votes=total))}</div>')
            self.feedback.value = ""
            self.image.layout.display = "none"
            self.figure_text.value = ""
            return
        self.status.value = ""
        if self._explained_in != self.lang:  # the language changed since the reveal: say it again
            self.answer, self._explanation = self._answer()
            self._explained_in = self.lang
        right = self.picked is not None and self.picked == self.answer
        if self.picked is None:
            head = ui_text("ui.predict.revealed", self.lang)
        elif right:
            head = ui_text("ui.predict.right", self.lang, verdict=self._label_of(self.answer))
        else:
            head = ui_text("ui.predict.wrong", self.lang, pick=self._label_of(self.picked),
                           verdict=self._label_of(self.answer))
        self.feedback.value = (
            f'<div class="sidecar-lab-answer" style="{_BLOCK}" data-answer="{_e(self.answer)}" '
            f'data-correct="{str(right).lower()}"><p><b>{_e(head)}</b></p>{self._votes_html()}'
            f"{self._explanation}</div>")
        figure = self._figure()
        if figure is not None:
            self.image.layout.display = ""
            self._show_figure(*figure)

    def _button_text(self, label: str, value: Any) -> str:
        if self.vote and self.votes.get(value):
            return f"{label} · {self.votes[value]}"
        return label

    def _label_of(self, value: Any) -> str:
        return next((label for label, v in self._choices() if v == value), str(value))

    def _votes_html(self) -> str:
        total = sum(self.votes.values())
        if not total:
            return ""
        rows = []
        for label, value in self._choices():
            n = self.votes.get(value, 0)
            mark = " ✔" if value == self.answer else ""
            rows.append(f'<tr><td style="{_CELL}">{_e(label)}{mark}</td><td style="{_CELL};width:60%">'
                        f'<div style="background:#7A8B99;height:0.9em;width:{100 * n / total:.0f}%"></div></td>'
                        f'<td style="{_CELL}">{n}</td></tr>')
        title = ui_text("ui.predict.votes", self.lang, votes=total)
        return (f'<p>{_e(title)}</p><table class="sidecar-lab-votes" style="border-collapse:collapse;'
                f'table-layout:fixed;width:100%;max-width:36em">{"".join(rows)}</table>')


class PredictReveal(_Commit):
    """Predict what happens to a request: click ROUTED, PASSTHROUGH or BLOCKED; then the simulator's verdict, what
    curl prints, Envoy's path and why appear. Several questions make a quiz that keeps the score.

    ``questions``: (scenario or seed step, source, target) triples or :class:`Question` values; by default
    every request of the seed walkthrough. ``choices``: the verdicts offered (the three of the course by default).

    >>> quiz = PredictReveal([("02-root-registry-only", "istioinaction/sleep", "http://google.com")])
    >>> quiz.feedback.value   # nothing is revealed before a click
    ''
    >>> quiz.pick("BLOCKED")
    True
    >>> quiz.score
    (1, 1)
    """

    def __init__(self, questions: Iterable[Any] | None = None, *, choices: Sequence[str] = VERDICTS[:3],
                 lang: str | None = None) -> None:
        super().__init__(lang)
        self.questions = [_question(q) for q in (questions if questions is not None else seed_questions())]
        if not self.questions:
            raise UsageError("PredictReveal needs at least one question")
        unknown = [c for c in choices if c not in VERDICTS]
        if unknown:
            raise UsageError(f"unknown verdict {unknown[0]!r}: choose among {', '.join(VERDICTS)}")
        self.verdicts = tuple(choices)
        self.index = 0
        self.right = 0
        self.answered = 0
        self.result: RequestResult | None = None
        self.next_button = W.Button()
        self.next_button.on_click(lambda _: self.next())
        self.score_view = W.HTML()
        self.widget.children = [
            W.HBox([self.title, self.lang_picker], layout=W.Layout(flex_flow="row wrap")),
            self.question_view,
            self.buttons_box,
            self.status,
            self.messages,
            self.feedback,
            self.image,
            self.figure_text,
            W.HBox([self.next_button, self.score_view], layout=W.Layout(flex_flow="row wrap")),
        ]
        self._relabel()
        self._refresh()
        if self._classroom.revealing():
            self.reveal(by_facilitator=True)

    @property
    def question(self) -> Question:
        return self.questions[self.index]

    @property
    def score(self) -> tuple[int, int]:
        """(right, answered)."""
        return self.right, self.answered

    @property
    def last_pick(self) -> Any:
        return self.picked

    def _relabel(self) -> None:
        super()._relabel()
        self.title.value = f"<h3>{_e(ui_text('ui.predict.title', self.lang))}</h3>"
        self.next_button.description = ui_text("ui.predict.next", self.lang)

    def _choices(self) -> list[tuple[str, str]]:
        return [(f"{figures.GLYPHS[v]} {ui_text('verdict.' + v, self.lang)}", v) for v in self.verdicts]

    def _question_html(self) -> str:
        q = self.question
        scenario = as_scenario(q.scenario)
        sidecars = scenario.sidecars_yaml() or ui_text("ui.predict.no-sidecars", self.lang)
        title = scenario.title or (q.scenario if isinstance(q.scenario, str) else "")
        number = (f"<b>{_e(ui_text('ui.predict.question', self.lang, number=self.index + 1, total=len(self.questions)))}"
                  "</b> — " if len(self.questions) > 1 else "")
        return (f'<div style="{_BLOCK}"><p>{number}{_e(ui_text("ui.predict.scenario", self.lang, title=title))}</p>'
                f"<details><summary>{_e(ui_text('ui.predict.sidecars', self.lang))}</summary>"
                f'<pre style="{_PRE}">{_e(sidecars)}</pre></details>'
                f'<pre style="{_PRE};white-space:pre-wrap">$ {_e(_command(q))}</pre>'
                f"<p>{_e(ui_text('ui.predict.prompt', self.lang))}</p></div>")

    def _answer(self) -> tuple[str, str]:
        from ..core.render import check_text

        q = self.question
        r = check(as_scenario(q.scenario).simulator(), q.source, q.target)
        self.result = r
        steps = "".join(f"<li>{_e(s)}</li>" for s in r.explanation(self.lang))
        done = (f"<p><i>{_e(ui_text('ui.predict.done', self.lang))}</i></p>"
                if len(self.questions) > 1 and self.index == len(self.questions) - 1 else "")
        html_ = (f"<p>{_verdict_badge(r.verdict.value, self.lang)}</p>"
                 f"<p>{_e(ui_text('ui.predict.client', self.lang, text=r.client_sees_text(self.lang)))}</p>"
                 f"<p><code>{_wrap_id(_envoy_text(r, self.lang))}</code></p>"
                 f"<p>{_e(ui_text('ui.predict.why', self.lang))}</p><ol>{steps}</ol>"
                 f"<details><summary>{_e(ui_text('ui.predict.terminal', self.lang))}</summary>"
                 f'<pre style="{_PRE}">{_e(check_text(r, lang=self.lang))}'
                 f"</pre></details>{done}")
        return r.verdict.value, html_

    def _figure(self) -> tuple[tuple, Callable[[], Any]] | None:
        r = self.result
        if r is None:
            return None
        return ("path", repr(r)), lambda: figures.request_path(r, lang=self.lang)

    def _show(self) -> None:
        super()._show()
        self.next_button.layout.display = "" if len(self.questions) > 1 else "none"
        score = ui_text("ui.predict.score", self.lang, right=self.right, answered=self.answered)
        self.score_view.value = f"<b>{_e(score)}</b>" if len(self.questions) > 1 or self.answered else ""

    def _scored(self) -> None:
        if self.picked is not None:
            self.answered += 1
            self.right += int(self.picked == self.answer)

    def next(self) -> None:
        """Go to the next question (after the last one, back to the first; the score is kept)."""
        self.index = (self.index + 1) % len(self.questions)
        self.revealed, self.result, self.picked, self.answer, self.votes = False, None, None, None, {}
        self._refresh()
        if self._classroom.revealing():
            self.reveal(by_facilitator=True)

