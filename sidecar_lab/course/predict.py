"""Predictions beyond a request's verdict: commit to an answer by clicking it, then the simulator's answer and why.

Each function returns a :class:`Prediction` (a widget; a notebook cell that ends with it shows it). Like
:class:`~sidecar_lab.course.widgets.PredictReveal`, nothing is computed for the screen or shown before a click,
so Run All, nbclient and Voilà never spoil it; :mod:`sidecar_lab.course.classroom` reveals them all or turns
them into class votes. Every word comes from the widgets' catalog, in the language in force.

* :func:`admission` — admitted or rejected by Istio's validation?
* :func:`governing_sidecar` — which Sidecar governs this workload?
* :func:`connection_pool` — which pool does an inbound port get: its own, the Sidecar-wide one, or both merged?
* :func:`memory_saving` — how much does a Sidecar shrink a proxy's estimated memory?

>>> p = admission({"workloadSelector": {"labels": {"run": "sleep"}}}, "istioinaction")
>>> p.feedback.value
''
>>> p.pick("rejected")
True
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..core.messages import label, language, using_language
from ..core.resolver import Simulator
from ..core.validation import ERROR, validate_sidecar
from . import figures
from .widgets import _PRE, _Commit, _e, _message_line, ui_text

__all__ = ["Prediction", "admission", "governing_sidecar", "connection_pool", "memory_saving"]

_TEXT = {"en": {
    "p.admitted": "admitted",
    "p.rejected": "rejected",
    "p.admission.title": "Admitted or rejected?",
    "p.admission.none": "Istio's validation has nothing to say: kubectl apply accepts it.",
    "p.admission.some": "What Istio's validation says:",
    "p.governing.title": "Which Sidecar governs {workload}?",
    "p.governing.none": "none (the built-in default)",
    "p.pool.title": "Which connection pool does port {port} get?",
    "p.pool.port": "its own connectionPool",
    "p.pool.sidecar": "the Sidecar's inboundConnectionPool",
    "p.pool.merged": "both, merged",
    "p.pool.answer": "Port {port} gets the pool of '{source}' as a whole object; nothing is merged:",
    "p.saving.title": "How much smaller is the proxy's estimated memory?",
    "p.saving.75": "about 75 %",
    "p.saving.50": "about 50 %",
    "p.saving.10": "under 10 %",
    "p.saving.answer": "The model says {percent} % less memory; the counts below drop much more.",
}, "ko": {
    "p.admitted": "승인",
    "p.rejected": "거부",
    "p.admission.title": "승인될까요, 거부될까요?",
    "p.admission.none": "Istio 검증이 지적할 것이 없습니다. kubectl apply가 받아들입니다.",
    "p.admission.some": "Istio 검증 결과:",
    "p.governing.title": "{workload}에는 어떤 Sidecar가 적용될까요?",
    "p.governing.none": "없음(내장 기본값)",
    "p.pool.title": "포트 {port}에는 어떤 커넥션 풀이 적용될까요?",
    "p.pool.port": "포트 자신의 connectionPool",
    "p.pool.sidecar": "Sidecar의 inboundConnectionPool",
    "p.pool.merged": "둘을 합친 것",
    "p.pool.answer": "{port}번 포트는 '{source}'의 풀을 객체 통째로 씁니다. 합쳐지는 것은 없습니다:",
    "p.saving.title": "프록시의 예상 메모리는 얼마나 줄어들까요?",
    "p.saving.75": "약 75%",
    "p.saving.50": "약 50%",
    "p.saving.10": "10% 미만",
    "p.saving.answer": "모델에 따르면 메모리는 {percent}% 줄어듭니다. 아래의 개수는 훨씬 많이 줄어듭니다.",
}}


def _text(key: str, lang: str, **params: Any) -> str:
    template = _TEXT.get(lang, {}).get(key) or _TEXT["en"][key]
    return template.format(**params) if params else template


class Prediction(_Commit):
    """One question with a few choices: a click commits to one, then the answer and why appear.

    ``choices``: (label, value) pairs, or a function of the language giving them; ``answer``: a function of the
    language giving (the right value, the explanation as HTML), called only when the answer is revealed;
    ``title``: a function of the language giving the question's title; ``figure``: optionally, a function of the
    language giving a figure shown with the answer.
    """

    def __init__(self, choices: Sequence[tuple[str, Any]] | Callable[[str], Sequence[tuple[str, Any]]],
                 answer: Callable[[str], tuple[Any, str]], *, title: Callable[[str], str] | None = None,
                 figure: Callable[[str], Any] | None = None, key: str = "", lang: str | None = None) -> None:
        super().__init__(language(lang))
        self._choice_list = choices
        self._answer_of = answer
        self._title_of = title
        self._figure_of = figure
        self._key = key
        self.widget.children = [self.title, self.question_view, self.buttons_box, self.status, self.messages,
                                self.feedback, self.image, self.figure_text]
        self._relabel()
        self._refresh()
        if self._classroom.revealing():
            self.reveal(by_facilitator=True)

    def _relabel(self) -> None:
        super()._relabel()
        self.title.value = f"<h4>{_e(self._title_of(self.lang))}</h4>" if self._title_of else ""

    def _choices(self) -> list[tuple[str, Any]]:
        found = self._choice_list(self.lang) if callable(self._choice_list) else self._choice_list
        return list(found)

    def _answer(self) -> tuple[Any, str]:
        return self._answer_of(self.lang)

    def _figure(self) -> tuple[tuple, Callable[[], Any]] | None:
        if self._figure_of is None:
            return None
        return ("prediction", self._key, id(self)), lambda: self._figure_of(self.lang)


def admission(spec: Mapping[str, Any], namespace: str = "default", *, lang: str | None = None) -> Prediction:
    """Will Istio admit a Sidecar with this ``spec`` in ``namespace``? The answer lists validation's messages."""

    def answer(lang: str) -> tuple[str, str]:
        messages = validate_sidecar(dict(spec), namespace)
        value = "rejected" if any(m.level == ERROR for m in messages) else "admitted"
        if not messages:
            return value, f"<p>{_e(_text('p.admission.none', lang))}</p>"
        items = "".join(_message_line(m, None, lang) for m in messages)
        return value, f"<p>{_e(_text('p.admission.some', lang))}</p><ul>{items}</ul>"

    return Prediction(lambda lang: [(_text("p.admitted", lang), "admitted"), (_text("p.rejected", lang), "rejected")],
                      answer, title=lambda lang: _text("p.admission.title", lang), key="admission", lang=lang)


def governing_sidecar(sim: Simulator, workload: str, *, lang: str | None = None) -> Prediction:
    """Which of ``sim``'s Sidecars governs ``workload`` (or none)? The answer shows the ladder and the reasons."""
    refs = sorted(str(s.ref) for s in sim.mesh.sidecars)

    def answer(lang: str) -> tuple[str, str]:
        res = sim.resolve(workload)
        value = str(res.sidecar) if res.sidecar else "none"
        rows = "".join(f"<li><code>{_e(c.sidecar)}</code> — {_e(label(f'outcome.{c.outcome}', lang))}: "
                       f"{_e(c.reason.text(lang))}</li>"
                       for c in res.candidates)
        return value, f"<p>{_e(res.scope_reason.text(lang))}</p><ul>{rows}</ul>"

    return Prediction(lambda lang: [(r, r) for r in refs] + [(_text("p.governing.none", lang), "none")], answer,
                      title=lambda lang: _text("p.governing.title", lang, workload=workload),
                      figure=lambda lang: figures.precedence_ladder(sim.resolve(workload), lang=lang),
                      key=f"governing {workload} {refs}", lang=lang)


def connection_pool(sim: Simulator, workload: str, port: int, *, lang: str | None = None) -> Prediction:
    """Which pool does inbound ``port`` of ``workload`` get: its own (``port``), the Sidecar's (``sidecar``), or
    both merged (``merged``)?"""

    def answer(lang: str) -> tuple[str, str]:
        entry = next(e for e in sim.resolve(workload).ingress if e.port.get("number") == port)
        pool = {k: dict(v) for k, v in (entry.connection_pool or {}).items()}
        said = _text("p.pool.answer", lang, port=port, source=entry.connection_pool_from)
        return entry.connection_pool_from, f'<p>{_e(said)}</p><pre style="{_PRE}">{_e(pool)}</pre>'


    return Prediction(lambda lang: [(_text(f"p.pool.{v}", lang), v) for v in ("port", "sidecar", "merged")], answer,
                      title=lambda lang: _text("p.pool.title", lang, port=port), key="pool", lang=lang)


def memory_saving(sim: Simulator, workload: str, *, lang: str | None = None) -> Prediction:
    """How much does ``workload``'s Sidecar shrink its proxy's estimated memory: about 75 %, 50 %, or under 10 %?"""

    def answer(lang: str) -> tuple[int, str]:
        from ..scale import sizing

        comparison = sizing.compare(sim, workload)
        percent = comparison.saving["memory_percent"]
        value = min((75, 50, 10), key=lambda bucket: abs(bucket - percent)) if percent >= 10 else 10
        with using_language(lang):  # the table in the prediction's language, whatever the language in force
            table = sizing.comparison_text(comparison)
        return value, (f"<p>{_e(_text('p.saving.answer', lang, percent=percent))}</p>"
                       f'<pre style="{_PRE}">{_e(table)}</pre>')

    return Prediction(lambda lang: [(_text(f"p.saving.{v}", lang), v) for v in (75, 50, 10)], answer,
                      title=lambda lang: _text("p.saving.title", lang), key="saving", lang=lang)
