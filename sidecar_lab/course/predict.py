"""Predictions beyond a request's verdict: commit to an answer by clicking it, then the simulator's answer and why.

Each function returns a :class:`Prediction` (a widget; a notebook cell that ends with it shows it). Like
:class:`~sidecar_lab.course.widgets.PredictReveal`, nothing is computed for the screen or shown before a click,
so Run All, nbclient and Voilà never spoil it; :mod:`sidecar_lab.course.classroom` reveals them all or turns
them into class votes. Every word comes from the widgets' catalog, in the language in force.

* :func:`admission` — admitted or rejected by Istio's validation?
* :func:`governing_sidecar` — which Sidecar governs this workload?
* :func:`connection_pool` — which pool does an inbound port get: its own, the Sidecar-wide one, or both merged?
* :func:`memory_saving` — how much does a Sidecar shrink a proxy's estimated memory?
* :func:`request` — where does a request (with its headers) end up: which cluster, or which verdict?
* :func:`across_releases` — what does each Istio release do with the same request? The answer is
  :func:`sidecar_lab.compare_versions`'s side-by-side table, the rows that differ highlighted.

>>> p = admission({"workloadSelector": {"labels": {"run": "sleep"}}}, "istioinaction")
>>> p.feedback.value
''
>>> p.pick("rejected")
True
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..core.messages import fill, label, language, using_language
from ..core.model import Mesh
from ..core.resolver import Simulator
from ..core.validation import ERROR, validate_sidecar
from . import figures
from .widgets import (_BLOCK, _CELL, _PRE, _TABLE, _WRAP, VERDICTS, _Commit, _e, _envoy_text, _message_line,
                      _verdict_badge, _wrap_id, ui_text)

__all__ = ["Prediction", "admission", "governing_sidecar", "connection_pool", "memory_saving", "request",
           "across_releases"]

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
    "p.request.title": "Where does this request end up?",
    "p.request.client": "What curl shows: {text}",
    "p.request.why": "Why:",
    "p.releases.title": "What does each Istio release do with this request?",
    "p.releases.pick": "Istio {version}: {verdict}",
    "p.releases.head": "Each release's answer side by side (highlighted: the rows that differ):",
    "p.releases.same": "Both releases answer alike: no rule that changes between them touches this request.",
    "p.releases.makes": "What makes the difference:",
    "p.releases.yourself": "The same table in Python: {code}; in a terminal: {command}",
    "p.field.verdict": "verdict",
    "p.field.sidecar": "Sidecar",
    "p.field.mode": "mode",
    "p.field.listener": "listener",
    "p.field.route": "route",
    "p.field.cluster": "cluster",
    "p.field.client sees": "client sees",
    "p.field.curl exit": "curl exit code",
    "p.field.destination sees": "destination sees the request from",
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
    "p.request.title": "이 요청은 어디로 갈까요?",
    "p.request.client": "curl에 보이는 것: {text}",
    "p.request.why": "이유:",
    "p.releases.title": "Istio 릴리스마다 이 요청을 어떻게 처리할까요?",
    "p.releases.pick": "Istio {version}: {verdict}",
    "p.releases.head": "릴리스별 답을 나란히 놓았습니다(강조한 줄이 서로 다른 값입니다):",
    "p.releases.same": "두 릴리스의 답이 같습니다. 릴리스 사이에 바뀐 규칙 가운데 이 요청에 닿는 것이 없습니다.",
    "p.releases.makes": "차이를 만드는 규칙:",
    "p.releases.yourself": "같은 표를 Python에서는 {code}(으)로, 터미널에서는 {command}(으)로 볼 수 있습니다",
    "p.field.verdict": "판정",
    "p.field.sidecar": "Sidecar",
    "p.field.mode": "모드",
    "p.field.listener": "리스너",
    "p.field.route": "라우트",
    "p.field.cluster": "클러스터",
    "p.field.client sees": "클라이언트에 보이는 것",
    "p.field.curl exit": "curl 종료 코드",
    "p.field.destination sees": "목적지가 보는 요청 출처",
}}


def _text(key: str, lang: str, **params: Any) -> str:
    template = _TEXT.get(lang, {}).get(key) or _TEXT["en"][key]
    return fill(template, lang, **params) if params else template


class Prediction(_Commit):
    """One question with a few choices: a click commits to one, then the answer and why appear.

    ``choices``: (label, value) pairs, or a function of the language giving them; ``answer``: a function of the
    language giving (the right value, the explanation as HTML), called only when the answer is revealed;
    ``title``: a function of the language giving the question's title; ``figure``: optionally, a function of the
    language giving a figure shown with the answer.
    """

    def __init__(self, choices: Sequence[tuple[str, Any]] | Callable[[str], Sequence[tuple[str, Any]]],
                 answer: Callable[[str], tuple[Any, str]], *, title: Callable[[str], str] | None = None,
                 figure: Callable[[str], Any] | None = None, key: str = "", lang: str | None = None,
                 question: Callable[[str], str] | None = None) -> None:
        super().__init__(language(lang))
        self._choice_list = choices
        self._answer_of = answer
        self._title_of = title
        self._figure_of = figure
        self._question_of = question
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

    def _question_html(self) -> str:
        return self._question_of(self.lang) if self._question_of else ""

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


def _verdict_word(verdict: str, lang: str) -> str:
    return f"{figures.GLYPHS.get(verdict, '')} {ui_text('verdict.' + verdict, lang)}".strip()


def _curl_command(source: str, target: str, headers: Sequence[str], method: str) -> str:
    namespace, _, name = source.partition("/")
    flags = "".join(f" -H '{h}'" for h in headers) + (f" -X {method}" if method != "GET" else "")
    return f"kubectl exec -n {namespace} {name} -- curl -s{flags} {target}"


def _headers(headers: Sequence[str] | Mapping[str, str] | None) -> list[str]:
    if not headers:
        return []
    if isinstance(headers, Mapping):
        return [f"{k}: {v}" for k, v in headers.items()]
    return list(headers)


def request(sim: Simulator, source: str, target: str, choices: Sequence[str | tuple[str, str]], *,
            headers: Sequence[str] | Mapping[str, str] | None = None, method: str = "GET",
            lang: str | None = None) -> Prediction:
    """Where does ``source``'s request to ``target`` (with ``headers``) end up? Each choice is a verdict (its
    word is shown) or an Envoy cluster name, or a (label, value) pair; the answer is the cluster a ROUTED
    request reaches, else the verdict (NO_ROUTE, CLUSTER_NOT_FOUND, BLOCKED...), with Envoy's path and why.

    >>> from sidecar_lab.course.exercises import seed_simulator
    >>> p = request(seed_simulator("06"), "istioinaction/sleep", "http://httpbin.default:8000/ip",
    ...             ["ROUTED", "BLOCKED"])
    >>> p.feedback.value, p.pick("BLOCKED")
    ('', True)
    """
    from ..core.traffic import check

    said = _headers(headers)

    def labelled(lang: str) -> list[tuple[str, str]]:
        out = []
        for c in choices:
            if isinstance(c, tuple):
                out.append((c[0], c[1]))
            else:
                out.append((_verdict_word(c, lang) if c in VERDICTS else c, c))
        return out

    def question(lang: str) -> str:
        return (f'<div style="{_BLOCK}"><pre style="{_PRE};white-space:pre-wrap">'
                f"$ {_e(_curl_command(source, target, said, method))}</pre></div>")

    def answer(lang: str) -> tuple[str, str]:
        r = check(sim, source, target, headers=said, method=method)
        value = r.envoy.cluster if r.verdict.value == "ROUTED" and r.envoy.cluster else r.verdict.value
        steps = "".join(f"<li>{_e(step)}</li>" for step in r.explanation(lang))
        return value, (f"<p>{_verdict_badge(r.verdict.value, lang)}</p>"
                       f"<p>{_e(_text('p.request.client', lang, text=r.client_sees_text(lang)))}</p>"
                       f'<p style="{_WRAP}"><code>{_wrap_id(_envoy_text(r, lang))}</code></p>'
                       f"<p>{_e(_text('p.request.why', lang))}</p><ol>{steps}</ol>")

    return Prediction(labelled, answer, title=lambda lang: _text("p.request.title", lang), question=question,
                      key=f"request {source} {target} {said}", lang=lang)


def _releases_html(comparison: Any, lang: str) -> str:
    """A VersionComparison as a table as wide as its cell: one column per release, the rows that differ
    highlighted (class ``sidecar-lab-differs``, bold: not colour alone), then the switches that make the
    difference on their own."""
    head = "".join(f'<th style="{_CELL}">Istio {_e(v)}</th>' for v in comparison.versions)
    body = []
    for row in comparison.rows:
        differs = row.differs
        style = f"{_CELL};{_WRAP}" + (";background:#fff3b0;font-weight:bold" if differs else "")
        name = _text("p.field." + row.field, lang) if f"p.field.{row.field}" in _TEXT["en"] else row.field
        cells = "".join(f'<td style="{style}">{_wrap_id("-" if v is None else v)}</td>' for v in row.values)
        mark = "★ " if differs else ""
        body.append(f'<tr class="sidecar-lab-{"differs" if differs else "same"}">'
                    f'<td style="{style}">{mark}{_e(name)}</td>{cells}</tr>')
    share = 70 // max(len(comparison.versions), 1)
    cols = '<col style="width:30%">' + "".join(f'<col style="width:{share}%">' for _ in comparison.versions)
    table = (f'<table class="sidecar-lab-versions" style="{_TABLE};font-size:90%"><colgroup>{cols}</colgroup>'
             f"<thead><tr><th style=\"{_CELL}\"></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    relevant = [n.switch for n in comparison.switches if n.relevant]
    makes = ""
    if relevant:
        items = "".join(f"<li><code>{_e(sw.name)}</code> ({_e(sw.since)}): {_e(sw.text(lang))}</li>"
                        for sw in relevant)
        makes = f"<p>{_e(_text('p.releases.makes', lang))}</p><ul>{items}</ul>"
    elif not comparison.differs:
        makes = f"<p>{_e(_text('p.releases.same', lang))}</p>"
    return f"<p>{_e(_text('p.releases.head', lang))}</p>{table}{makes}"


def across_releases(mesh: Mesh | Simulator, source: str, target: str, versions: Sequence[str] = ("1.26", "1.31"),
                    choices: Sequence[str] = ("ROUTED", "BLOCKED"), *, lang: str | None = None) -> Prediction:
    """What does each Istio release of ``versions`` do with ``source``'s request to ``target``? One choice per
    combination of ``choices`` (a verdict for each release); the answer is the verdicts joined by ``/`` and
    :func:`sidecar_lab.compare_versions`'s table, the rows that differ highlighted, and the rule that makes
    the difference.

    >>> from sidecar_lab.course.exercises import seed_simulator
    >>> p = across_releases(seed_simulator("02"), "istioinaction/sleep",
    ...                     "http://httpbin.default.svc.cluster.local.:8000/ip", ("1.26", "1.27"))
    >>> p.feedback.value, p.pick("BLOCKED/ROUTED")
    ('', True)
    """
    import itertools

    from ..core.version_compare import compare_check

    base = mesh.mesh if isinstance(mesh, Simulator) else mesh
    combinations = list(itertools.product(choices, repeat=len(versions)))

    def labelled(lang: str) -> list[tuple[str, str]]:
        return [(" · ".join(_text("p.releases.pick", lang, version=v, verdict=_verdict_word(c, lang))
                            for v, c in zip(versions, combo)), "/".join(combo)) for combo in combinations]

    def question(lang: str) -> str:
        return (f'<div style="{_BLOCK}"><pre style="{_PRE};white-space:pre-wrap">'
                f"$ {_e(_curl_command(source, target, [], 'GET'))}</pre></div>")

    def answer(lang: str) -> tuple[str, str]:
        comparison = compare_check(base, source, target, versions)
        value = "/".join(comparison.value("verdict"))
        releases = ", ".join(f'"{v}"' for v in versions)
        code = f'sl.compare_versions(mesh, "{source}", "{target}", versions=({releases}))'
        command = f"sidecar-lab check MANIFEST... --from {source} --to {target} --compare-versions {','.join(versions)}"
        yourself = _text("p.releases.yourself", lang, code="\x00", command="\x01")
        yourself = _e(yourself).replace("\x00", f"<code>{_wrap_id(code)}</code>").replace(
            "\x01", f"<code>{_wrap_id(command)}</code>")
        return value, f"{_releases_html(comparison, lang)}<p style=\"{_WRAP}\">{yourself}</p>"

    return Prediction(labelled, answer, title=lambda lang: _text("p.releases.title", lang), question=question,
                      key=f"releases {source} {target} {tuple(versions)}", lang=lang)
