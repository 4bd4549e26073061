"""Text for people: resolutions, request results and matrices, rendered from the result objects."""

from __future__ import annotations

import unicodedata
from typing import Sequence

from .messages import label, language
from .results import RequestResult, Resolution

__all__ = ["resolution_text", "check_text", "matrix_text", "VERDICT_GLYPHS"]

#: One character per verdict, readable without colour.
VERDICT_GLYPHS = {"ROUTED": "R", "PASSTHROUGH": "P", "BLOCKED": "X", "DIRECT": "D", "DNS_FAILURE": "?",
                  "CLUSTER_NOT_FOUND": "C", "NO_ROUTE": "N", "DIRECT_RESPONSE": "F", "REDIRECT": "3"}
_OUTCOME_MARK = {"selected": "*", "shadowed": "-", "no-match": "-", "not-applicable": "-", "rejected": "!"}


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a Hangul syllable takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns."""
    return text + " " * max(width - _columns(text), 0)


def _enum(kind: str, value: str, lang: str) -> str:
    """An enum value (scope, level, outcome, proxy, pool origin) as the text says it: in English the value
    itself, as the JSON has it; another language in its own words (the value itself when it has none)."""
    key = f"text.{kind}.{value}"
    found = label(key, lang)
    return value if found == key else found


def resolution_text(r: Resolution, lang: str | None = None) -> str:
    lang = language(lang)

    def t(key: str, **params: object) -> str:
        return label("text." + key, lang, **params)

    w = r.workload
    lines = [f"{w.namespace}/{w.name} ({w.kind})"]
    if r.istio_version:
        lines.append(f"  {t('istio')}   {r.istio_version}")
    lines.append(f"  {t('proxy')}   {_enum('proxy', r.proxy, lang)} — {r.proxy_reason.text(lang)}")
    governor = str(r.sidecar) if r.sidecar is not None else t("none")
    lines.append(f"  {t('sidecar')} {governor}  [{t('scope', scope=_enum('scope', r.scope, lang))}] — "
                 f"{r.scope_reason.text(lang)}")
    if r.candidates:
        lines.append(f"  {t('candidates')}")
        width = max(len(str(c.sidecar)) for c in r.candidates)
        rows = [(c, _enum("outcome", c.outcome, lang), _enum("scope", c.level, lang)) for c in r.candidates]
        outcome_width = max([14] + [_columns(o) for _, o, _ in rows])
        level_width = max([9] + [_columns(v) for _, _, v in rows])
        for c, outcome, level in rows:
            lines.append(f"    {_OUTCOME_MARK[c.outcome]} {_pad(outcome, outcome_width)} {_pad(level, level_width)} "
                         f"{str(c.sidecar):<{width}}  {c.reason.text(lang)}  ({c.source})")
    if r.policy is not None:
        origin = t("policy.from-sidecar" if r.policy.source == "sidecar" else "policy.from-mesh",
                   detail=r.policy.detail)
        lines.append(f"  {t('policy', mode=r.policy.mode, origin=origin)}")
        if r.policy.egress_proxy:
            p = r.policy.egress_proxy
            lines.append(f"    egressProxy: {p['host']}:{p.get('port')}")
    if r.egress:
        lines.append(f"  {t('egress')}")
        for e in r.egress:
            port = t("port", port=e.port["number"]) if e.port else t("any-port")
            extra = f" ({t('implicit')})" if e.implicit else ""
            bind = f", bind {e.bind}" if e.bind else ""
            lines.append(f"    {', '.join(e.hosts)}  [{port}{bind}, capture {e.capture_mode}]{extra}")
    if r.proxy != "none":
        lines.append(f"  {t('visible', count=len(r.visible_services))}")
        for v in r.visible_services:
            ports = ",".join(str(p) for p in v.ports) or "-"
            extra = ""
            if v.alias_for:
                extra += "; " + t("alias-of", host=v.alias_for)
            if v.aliases:
                extra += "; " + t("aliases", hosts=", ".join(v.aliases))
            if v.destination_rule is not None:
                subsets = ", " + t("subsets", subsets=", ".join(v.subsets)) if v.subsets else ""
                extra += "; " + t("destination-rule", rule=v.destination_rule) + subsets
            lines.append(f"    {v.host}  {t('ports', ports=ports)}  ({v.kind} {v.namespace}/{v.name}; "
                         f"{t('via', via=v.via)}{extra})")
    if r.ingress:
        lines.append(f"  {t('ingress')}")
        for i in r.ingress:
            port = i.port
            desc = f"{port.get('number')}/{port.get('protocol') or 'auto'}"
            bits = [f"capture {i.capture_mode}"]
            if i.bind:
                bits.append(f"bind {i.bind}")
            if i.default_endpoint:
                bits.append(t("forward-to", endpoint=i.default_endpoint))
            if i.implicit:
                bits.append(t("implicit-from", services=", ".join(i.services)))
            pool = t("none") if i.connection_pool is None else \
                t("pool-from", origin=_enum("pool", i.connection_pool_from, lang))
            bits.append(t("pool", pool=pool))
            lines.append(f"    {desc}  [{'; '.join(bits)}]")
    for n in r.notes:
        lines.append(f"  {t('note')} {n.text(lang)}")
    return "\n".join(lines)


def check_text(c: RequestResult, lang: str | None = None) -> str:
    lang = language(lang)

    def t(key: str, **params: object) -> str:
        return label("text." + key, lang, **params)

    e = c.envoy
    lines = [f"{c.source.namespace}/{c.source.name} -> {c.target.target}",
             f"  {t('verdict')} {c.verdict.value}"]
    if c.resolution.istio_version:
        lines.append(f"  {t('istio')}   {c.resolution.istio_version}")
    proxy = t("check-proxy", proxy=_enum("proxy", c.resolution.proxy, lang), sidecar=c.resolution.sidecar or t("none"),
              scope=_enum("scope", c.resolution.scope, lang), mode=c.resolution.mode or "-")
    lines.append(f"  {t('proxy')}   {proxy}")
    if c.resolution.proxy == "sidecar":
        entry = e.route_entry if e.route_entry else (t("unnamed") if e.route_entry == "" else "-")
        table = ""
        if e.route_config and entry == e.route:  # the catch-all: its virtual host and route share the name
            table = " " + t("route-table-only", table=e.route_config)
        elif e.route_config:
            table = " " + t("route-table", table=e.route_config, route=entry)
        lines.append("  " + t("envoy", listener=e.listener or "-", route=f"{e.route or '-'}{table}",
                              cluster=e.cluster or "-"))
        if e.weighted_clusters:
            split = ", ".join(f"{cl} {w}%" + ("" if ok else " " + t("missing")) for cl, w, ok in e.weighted_clusters)
            lines.append(f"  {t('split')}   {split}")
        if e.mirrors:
            lines.append(f"  {t('mirror')}  {', '.join(e.mirrors)}")
    lines.append(f"  {t('client-sees')} {c.client_sees_text(lang)}")
    if c.destination_sees_source:
        lines.append(f"  {t('destination-sees')} {c.destination_sees_source}")
    lines.append(f"  {t('why')}")
    for i, text in enumerate(c.explanation(lang), 1):
        lines.append(f"    {i}. {text}")
    return "\n".join(lines)


def matrix_text(sources: Sequence[str], targets: Sequence[str], cells: Sequence[Sequence[dict]],
                lang: str | None = None, istio_version: str | None = None) -> str:
    """A table of verdicts: one row per source, one numbered column per target, a legend (and the release)."""
    legend = ", ".join(f"{g}={v}" for v, g in VERDICT_GLYPHS.items())
    width = max([len(s) for s in sources] + [6])
    header = " " * width + "  " + " ".join(f"{i + 1:>3}" for i in range(len(targets)))
    lines = [header]
    for source, row in zip(sources, cells):
        lines.append(f"{source:<{width}}  " + " ".join(f"{VERDICT_GLYPHS[c['verdict']]:>3}" for c in row))
    lines.append("")
    lines.extend(f"{i + 1:>3}. {t}" for i, t in enumerate(targets))
    lines.append(f"{label('text.legend', lang)} {legend}")
    if istio_version:
        lines.append(f"{label('text.istio', lang)} {istio_version}")
    return "\n".join(lines)


def matrix_summary_text(sources: Sequence, keys: Sequence[tuple], targets: Sequence[str],
                        cells: Sequence[Sequence[dict]], lang: str | None = None,
                        istio_version: str | None = None) -> str:
    """One line per group of workloads that share a scope, and how many destinations each verdict covers."""
    from .output import matrix_groups

    groups = matrix_groups(list(sources), list(keys), list(cells))
    head = ["namespace", "proxy", "Sidecar", "workloads", *VERDICT_GLYPHS]
    rows = [[g["namespace"], g["proxy"],
             f"{g['sidecar']['namespace']}/{g['sidecar']['name']}" if g["sidecar"] else "-",
             f"{len(g['workloads']):,}", *(f"{g['verdicts'][v]:,}" for v in VERDICT_GLYPHS)] for g in groups]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cols: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths))).rstrip()

    total = len(sources) * len(targets)
    lines = [f"{len(sources):,} workloads in {len(groups):,} groups (namespace, proxy, Sidecar) x "
             f"{len(targets):,} destinations = {total:,} requests; each group's count of destinations per verdict",
             line(head), *(line(r) for r in rows)]
    if istio_version:
        lines.append(f"{label('text.istio', lang)} {istio_version}")
    return "\n".join(lines)
