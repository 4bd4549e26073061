"""The same question answered by two (or more) Istio releases, side by side, differences marked.

"What changes if this cluster were 1.31?": :func:`compare_check` asks one request of every
release, :func:`compare_resolve` one workload's Sidecar and scope. The answer lists each field
with its value per release (``differs`` when they are not all equal), the full results, and the
switches of :mod:`sidecar_lab.core.versions` that differ between the releases; ``relevant``
marks each switch that changes this answer on its own (the first release's rules with only
that switch turned as the other release has it).

>>> from sidecar_lab.core.loader import load_text
>>> mesh = load_text('''
... apiVersion: networking.istio.io/v1
... kind: Sidecar
... metadata: {name: default, namespace: istio-system}
... spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
... ---
... apiVersion: v1
... kind: Service
... metadata: {name: httpbin, namespace: default}
... spec: {clusterIP: 10.0.0.8, ports: [{name: http, port: 8000}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: sleep, namespace: default}
... ''')
>>> c = compare_check(mesh, "default/sleep", "http://httpbin.default.svc.cluster.local.:8000/ip", ["1.26", "1.27"])
>>> c.value("verdict"), c.differs
(('BLOCKED', 'ROUTED'), True)
>>> [s.name for s in c.switches if s.relevant]
['absolute_fqdn_vhost']
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .errors import ManifestError, UsageError
from .messages import label, language
from .model import Mesh
from .resolver import Simulator
from .results import RequestResult, Resolution
from .versions import Switch, parse_version, rules_for, switches_between

__all__ = ["Row", "SwitchNote", "VersionComparison", "compare_check", "compare_resolve", "parse_versions"]

@dataclass(frozen=True, slots=True)
class Row:
    """One field of the answer: its value for each release, in the order the releases were given."""

    field: str
    values: tuple[Any, ...]

    @property
    def differs(self) -> bool:
        return any(v != self.values[0] for v in self.values[1:])

    def to_json(self) -> dict:
        return {"field": self.field, "values": list(self.values), "differs": self.differs}


@dataclass(frozen=True, slots=True)
class SwitchNote:
    """A switch that differs between the releases compared."""

    switch: Switch
    relevant: bool

    @property
    def name(self) -> str:
        return self.switch.name

    def to_json(self) -> dict:
        s = self.switch
        return {"name": s.name, "since": str(s.since), "area": s.area, "summary": s.summary,
                "reference": s.reference, "modelled": s.modelled, "relevant": self.relevant}


@dataclass(frozen=True, slots=True)
class VersionComparison:
    """A question answered once per release: ``rows`` side by side, ``results`` in full."""

    kind: str  # check | resolve
    question: str
    versions: tuple[str, ...]
    #: One RequestResult or Resolution per release, or None when that release refuses the input.
    results: tuple[Any, ...]
    #: Per release: the error that release's istiod would report, else None.
    errors: tuple[str | None, ...]
    rows: tuple[Row, ...]
    switches: tuple[SwitchNote, ...]

    @property
    def differs(self) -> bool:
        return any(r.differs for r in self.rows)

    def value(self, field: str) -> tuple[Any, ...]:
        for r in self.rows:
            if r.field == field:
                return r.values
        raise KeyError(field)

    def to_json(self) -> dict:
        return {"compare": self.kind, "question": self.question, "versions": list(self.versions),
                "differs": self.differs, "rows": [r.to_json() for r in self.rows],
                "switches": [s.to_json() for s in self.switches],
                "errors": list(self.errors),
                "results": [r.to_json() if r is not None else None for r in self.results]}

    def text(self, lang: str | None = None) -> str:
        """Every field, ``*`` before the ones that differ; then each release's explanation and the switches."""
        lang = language(lang)

        def t(key: str, **params: object) -> str:
            return label("text.compare." + key, lang, **params)

        width = max(len(v) for v in self.versions)
        label_width = max(len(r.field) for r in self.rows)
        lines = [self.question, "  " + t("head", versions=" vs ".join(self.versions))]
        for row in self.rows:
            mark = "*" if row.differs else " "
            if not row.differs:
                lines.append(f"  {mark} {row.field:<{label_width}}  {_show(row.values[0])}")
                continue
            for i, (version, value) in enumerate(zip(self.versions, row.values)):
                head = f"  {mark} {row.field:<{label_width}}" if i == 0 else " " * (label_width + 4)
                lines.append(f"{head}  {version:<{width}}  {_show(value)}")
        for version, result, error in zip(self.versions, self.results, self.errors):
            if error is not None:
                lines.append("  " + t("error", version=version, error=error))
            elif self.kind == "check":
                lines.append("  " + t("why", version=version))
                lines.extend(f"    {i}. {text}" for i, text in enumerate(result.explanation(lang), 1))
        between = " / ".join(self.versions)
        relevant = [n.switch for n in self.switches if n.relevant]
        others = [n.switch for n in self.switches if not n.relevant]
        if relevant:
            lines.append("  " + t("makes"))
            lines.extend(f"    {s.since} {s.name}: {s.text(lang)}" for s in relevant)
        if others:
            lines.append("  " + t("others", versions=between) + " " + ", ".join(
                f"{s.name} ({s.since}{'' if s.modelled else ', ' + t('not-modelled')})" for s in others))
        if not self.switches:
            lines.append("  " + t("none", versions=between))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A table for notebooks: one column per release, the rows that differ highlighted."""
        e = html.escape
        lang = language(None)
        head = "".join(f"<th>Istio {e(v)}</th>" for v in self.versions)
        body = []
        for row in self.rows:
            style = ' style="background:#fff3b0;font-weight:bold"' if row.differs else ""
            cells = "".join(f"<td>{e(_show(v))}</td>" for v in row.values)
            body.append(f'<tr class="sidecar-lab-{"differs" if row.differs else "same"}"{style}>'
                        f"<td>{e(row.field)}</td>{cells}</tr>")
        notes = "".join(f"<li>{'<b>' if n.relevant else ''}{e(str(n.switch.since))} <code>{e(n.name)}</code>: "
                        f"{e(n.switch.text(lang))}{'</b>' if n.relevant else ''}</li>" for n in self.switches)
        return (f"<p>{e(self.question)}</p><table class=\"sidecar-lab-versions\"><tr><th></th>{head}</tr>"
                f"{''.join(body)}</table>" + (f"<ul>{notes}</ul>" if notes else ""))


def parse_versions(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"1.26,1.31"`` (or a list) as normalized release names; at least two, all different.

    >>> parse_versions("1.26, 1.31.0")
    ('1.26', '1.31.0')
    """
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t and t.strip()]
    versions = tuple(str(parse_version(t)) for t in items)
    if len(versions) < 2:
        raise UsageError(f"--compare-versions {text!r}: give two releases or more, e.g. 1.26,1.31")
    if len({parse_version(v).key for v in versions}) != len(versions):
        raise UsageError(f"--compare-versions {text!r}: the same release twice")
    return versions


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value) if value else "(none)"
    return str(value)


def _answers(mesh: Mesh, versions: Sequence[Any], ask: Callable[[Simulator], Any]) -> tuple[tuple, tuple]:
    results, errors = [], []
    for v in versions:
        try:
            sim = Simulator(mesh, v)
        except ManifestError as exc:  # this release's istiod refuses the input (e.g. a 1.31 mesh mode)
            results.append(None)
            errors.append(str(exc))
            continue
        results.append(ask(sim))
        errors.append(None)
    return tuple(results), tuple(errors)


def _values(fields: Sequence[tuple[str, Callable[[Any], Any]]], result: Any) -> tuple:
    return tuple("error" if result is None else get(result) for _, get in fields)


def _compare(kind: str, question: str, mesh: Mesh, versions: Sequence[str], ask: Callable[[Simulator], Any],
             fields: Sequence[tuple[str, Callable[[Any], Any]]]) -> VersionComparison:
    names = parse_versions(versions)
    results, errors = _answers(mesh, names, ask)
    per_version = [_values(fields, r) for r in results]
    rows = tuple(Row(name, tuple(v[i] for v in per_version)) for i, (name, _) in enumerate(fields))
    first = rules_for(names[0])
    notes: dict[str, SwitchNote] = {}
    for other in names[1:]:
        theirs = rules_for(other)
        for s in switches_between(names[0], other):
            if s.name in notes and notes[s.name].relevant:
                continue
            if not s.modelled:
                notes[s.name] = SwitchNote(s, False)
                continue
            # the first release's rules with only this switch turned: does the answer move?
            alone, error = _answers(mesh, [first.with_switch(s.name, getattr(theirs, s.name))], ask)
            relevant = error != (errors[0],) or _values(fields, alone[0]) != per_version[0]
            notes[s.name] = SwitchNote(s, relevant)
    ordered = tuple(sorted(notes.values(), key=lambda n: (n.switch.since.key, n.name)))
    return VersionComparison(kind, question, names, results, errors, rows, ordered)


def compare_check(mesh: Mesh, source: str, target: str, versions: Sequence[str], *, headers=None,
                  method: str = "GET") -> VersionComparison:
    """``check SOURCE TARGET`` (with request ``headers`` and ``method``) answered by each release in ``versions``."""
    from .traffic import check, parse_target

    parse_target(target)
    fields: list[tuple[str, Callable[[RequestResult], Any]]] = [
        ("verdict", lambda r: r.verdict.value),
        ("sidecar", lambda r: str(r.resolution.sidecar) if r.resolution.sidecar else None),
        ("mode", lambda r: r.resolution.mode),
        ("listener", lambda r: r.envoy.listener),
        ("route", lambda r: r.envoy.route),
        ("cluster", lambda r: r.envoy.cluster),
        ("client sees", lambda r: r.client_sees_text()),
        ("curl exit", lambda r: r.curl_exit),
        ("destination sees", lambda r: r.destination_sees_source),
    ]
    return _compare("check", f"{source} -> {target}", mesh, versions, lambda sim: check(sim, source, target, headers=headers, method=method), fields)


def compare_resolve(mesh: Mesh, workload: str, versions: Sequence[str]) -> VersionComparison:
    """``resolve --workload`` answered by each release in ``versions``."""
    fields: list[tuple[str, Callable[[Resolution], Any]]] = [
        ("proxy", lambda r: r.proxy),
        ("scope", lambda r: r.scope),
        ("sidecar", lambda r: str(r.sidecar) if r.sidecar else None),
        ("candidates", lambda r: tuple(f"{c.sidecar} {c.outcome}" for c in r.candidates)),
        ("mode", lambda r: r.mode),
        ("egress hosts", lambda r: tuple(h for e in r.egress for h in e.hosts)),
        ("visible services", lambda r: tuple(f"{v.host} ({v.namespace})" for v in r.visible_services)),
        ("ingress pools", lambda r: tuple(f"{i.port.get('number')}: {i.connection_pool_from}" for i in r.ingress)),
        ("notes", lambda r: tuple(n.text() for n in r.notes)),
    ]
    return _compare("resolve", f"resolve {workload}", mesh, versions, lambda sim: sim.resolve(workload), fields)
