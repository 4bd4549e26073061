"""Figures for people: pure functions from the core's result objects to a matplotlib ``Figure``.

Every figure is drawn only from a :class:`~sidecar_lab.core.results.Resolution` or a
:class:`~sidecar_lab.core.results.RequestResult` (and its trace of
:class:`~sidecar_lab.core.results.Step`), never from separately written text, so a
picture cannot disagree with ``sidecar-lab resolve`` or ``check``. Colours are
Okabe-Ito (colour-blind safe) and never carry meaning alone: every cell and box
also says it in words, glyphs or hatching.

This is a face, not core: it imports matplotlib (``matplotlib.figure.Figure``,
drawn directly, never pyplot, so it works headless and inside widgets). Each
figure carries a full-sentence description in ``fig.sidecar_lab_alt``
(:func:`alt_text`).
"""

from __future__ import annotations

import functools
import struct
import unicodedata
import zlib
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.transforms import Affine2D

from ..core.messages import LABELS, label, language
from ..core.render import VERDICT_GLYPHS
from ..scale.figures import hangul_font

if TYPE_CHECKING:  # pragma: no cover
    from ..core.resolver import RegistryService, Simulator
    from ..core.results import Candidate, RequestResult, Resolution, Step

__all__ = ["PALETTE", "GLYPHS", "DECISIVE_STEPS", "precedence_ladder", "reachability_matrix", "scope_map",
           "request_path", "alt_text", "to_png", "png_bytes", "hangul_font"]

#: The Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008).
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000"}

#: Verdict, candidate outcome or visibility -> colour. Greys are neutral (not part of any hue contrast).
PALETTE: dict[str, str] = {
    # verdicts of a request
    "ROUTED": OKABE_ITO["bluish_green"],
    "PASSTHROUGH": OKABE_ITO["orange"],
    "BLOCKED": OKABE_ITO["vermillion"],
    "DIRECT": OKABE_ITO["sky_blue"],
    "DNS_FAILURE": OKABE_ITO["reddish_purple"],
    "CLUSTER_NOT_FOUND": OKABE_ITO["yellow"],
    "NO_ROUTE": OKABE_ITO["black"],
    "DIRECT_RESPONSE": OKABE_ITO["blue"],
    "REDIRECT": "#5F5F5F",
    # candidate outcomes
    "selected": OKABE_ITO["blue"],
    "shadowed": "#8C8C8C",
    "no-match": "#B4B4B4",
    "not-applicable": "#B4B4B4",
    "rejected": OKABE_ITO["vermillion"],
    # visibility of a service
    "imported": OKABE_ITO["bluish_green"],
    "not-imported": OKABE_ITO["orange"],
    "not-exported": OKABE_ITO["reddish_purple"],
    "no-proxy": OKABE_ITO["sky_blue"],
}

#: Verdict -> the glyph shown in a cell (the command's ``matrix`` legend letters), so greyscale readers see it.
GLYPHS: dict[str, str] = dict(VERDICT_GLYPHS)

#: Hatch of each visibility, so the scope map is readable without colour.
_HATCH = {"imported": "", "not-imported": "////", "not-exported": "xxxx", "no-proxy": "...."}
_LEVELS = ("workload", "namespace", "root")
_INK = "#1A1A1A"
_GREY = "#5A5A5A"
_LIGHT = "#8A8A8A"

# --------------------------------------------------------------------------------------------------------------
# fonts, language and text metrics

# hangul_font() (the installed font that has Hangul glyphs) is shared with the scale figures.


try:  # matplotlib >= 3.10
    from matplotlib.ft2font import LoadFlags as _LoadFlags

    _NO_HINTING = _LoadFlags.NO_HINTING
except ImportError:  # pragma: no cover - older matplotlib
    from matplotlib.ft2font import LOAD_NO_HINTING as _NO_HINTING


class _Metrics:
    """Advance widths (in em) of characters in one font, measured once with FreeType."""

    def __init__(self, path: str) -> None:
        from matplotlib.ft2font import FT2Font

        self.font = FT2Font(path)
        self.font.set_size(72, 72)
        self.cache: dict[str, float] = {}

    def width(self, ch: str) -> float | None:
        w = self.cache.get(ch)
        if w is None:
            if not self.font.get_char_index(ord(ch)):
                return None
            w = self.font.load_char(ord(ch), flags=_NO_HINTING).linearHoriAdvance / 65536 / 72
            self.cache[ch] = w
        return w


@functools.lru_cache(maxsize=8)
def _metrics(family: str, bold: bool) -> _Metrics:
    from matplotlib import font_manager

    props = font_manager.FontProperties(family=family, weight="bold" if bold else "normal")
    return _Metrics(font_manager.findfont(props, fallback_to_default=True))


class _QuietWeight:
    """Drop matplotlib's note that a Korean family has no exact 'bold' (NanumGothic's bold is weight 600)."""

    def __init__(self, family: str) -> None:
        self.family = family

    def filter(self, record) -> bool:  # a logging filter
        if not isinstance(record.msg, str):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return not (record.msg.startswith("findfont: Failed to find font weight") and self.family in args)


@functools.lru_cache(maxsize=4)
def _quiet_weight(family: str) -> None:
    import logging

    logging.getLogger("matplotlib.font_manager").addFilter(_QuietWeight(family))


class _Ctx:
    """Language, font and labels of one figure."""

    def __init__(self, lang: str | None) -> None:
        lang = language(lang)  # None: the language in force (sl.set_language, $SIDECAR_LAB_LANG)
        font = hangul_font() if lang == "ko" else None
        if font is not None:
            _quiet_weight(font)
        self.fallback = lang == "ko" and font is None
        self.lang = "en" if (self.fallback or lang not in LABELS) else lang
        self.family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]

    def l(self, key: str, **params: object) -> str:  # noqa: E743 - short on purpose, used everywhere
        return label(key, self.lang, **params)

    def r(self, step: "Step") -> str:
        return step.text(self.lang)

    def em(self, text: str, bold: bool = False) -> float:
        """The width of ``text`` in em, as the renderer will lay it out (font fallback included)."""
        total = 0.0
        for ch in text:
            w = None
            for family in self.family:
                w = _metrics(family, bold).width(ch)
                if w is not None:
                    break
            if w is None:
                w = 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6
            total += w
        return total * 1.04  # a little slack for kerning and rounding

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """Width of ``text`` in inches at ``size`` points."""
        return self.em(text, bold) * size / 72

    def wrap(self, text: str, width: float, size: float, bold: bool = False, max_lines: int = 0) -> list[str]:
        """Greedy word wrap to ``width`` inches; long names break after ``. / | _ - :``."""
        lines: list[str] = []
        cur = ""
        for token, spaced in _tokens(text, lambda word: self.width(word, size, bold) > width):
            cand = (cur + (" " if spaced and cur else "") + token) if cur else token
            if self.width(cand, size, bold) <= width or not cur:
                cur = cand
                if self.width(cur, size, bold) > width:  # a single token wider than the line: hard split
                    while len(cur) > 1 and self.width(cur, size, bold) > width:
                        cut = len(cur) - 1
                        while cut > 1 and self.width(cur[:cut], size, bold) > width:
                            cut -= 1
                        lines.append(cur[:cut])
                        cur = cur[cut:]
                continue
            lines.append(cur)
            cur = token
        if cur or not lines:
            lines.append(cur)
        if max_lines and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1].rstrip() + " …"
        return lines


def _tokens(text: str, too_wide) -> Iterable[tuple[str, bool]]:
    """Words; a word ``too_wide`` for a line is split after its separators (``spaced`` False = glued on)."""
    for i, word in enumerate(text.split(" ")):
        if not word:
            continue
        if not too_wide(word):
            yield word, i > 0
            continue
        piece = ""
        first = True
        for ch in word:
            if ch.isupper() and piece[-1:].islower() and len(piece) >= 4:  # camelCase: BlackHole|Cluster
                yield piece, first and i > 0
                first, piece = False, ""
            piece += ch
            if ch in "./|_-:," and len(piece) >= 4:
                yield piece, first and i > 0
                first, piece = False, ""
        if piece:
            yield piece, first and i > 0


def _line_height(size: float) -> float:
    """Inches per line of ``size``-point text with matplotlib's default line spacing (1.2)."""
    return size / 72 * 1.2 * 1.12


def _tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white (``amount`` 0 = colour, 1 = white)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


def _shade(colour: str, amount: float = 0.4) -> str:
    """``colour`` mixed with black: palette hues as text on white keep a readable contrast."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(round(c * (1 - amount)) for c in (r, g, b)))


def _ink_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


class _Sheet:
    """The figure in inches with y growing downwards, so layouts are computed, not fitted.

    The artists go straight onto the figure through one transform (no Axes: an Axes costs its ticks, spines and
    data limits, which these drawings never use); the transform is completed once the height is known."""

    def __init__(self, ctx: _Ctx, width: float) -> None:
        self.ctx = ctx
        self.W = width
        self.fig = Figure(figsize=(width, 4), dpi=100)
        self._flip = Affine2D()  # (x, y down) -> (x, height - y), set in finish()
        self.transform = self._flip + self.fig.dpi_scale_trans
        self._props: dict[tuple, FontProperties] = {}

    def add(self, artist):
        """Place a patch, line or collection given in the sheet's inches."""
        artist.set_transform(self.transform)
        return self.fig.add_artist(artist)

    def font(self, size: float, bold: bool = False, italic: bool = False) -> FontProperties:
        key = (size, bold, italic)
        props = self._props.get(key)
        if props is None:
            props = self._props[key] = FontProperties(family=self.ctx.family, size=size,
                                                      weight="bold" if bold else "normal",
                                                      style="italic" if italic else "normal")
        return props

    def text(self, x: float, y: float, s: str, size: float = 9, *, bold: bool = False, colour: str = _INK,
             ha: str = "left", va: str = "top", italic: bool = False, **kw: object):
        return self.fig.text(x, y, s, fontproperties=self.font(size, bold, italic), color=colour, ha=ha, va=va,
                             transform=self.transform, clip_on=False, **kw)

    def para(self, x: float, y: float, lines: Sequence[str], size: float, **kw: object) -> float:
        """Draw wrapped ``lines`` as one text; return the y below them."""
        if lines:
            self.text(x, y, "\n".join(lines), size, linespacing=1.2, **kw)
        return y + len(lines) * _line_height(size)

    def box(self, x: float, y: float, w: float, h: float, *, face: str = "white", edge: str = _GREY,
            lw: float = 1.0, ls: str = "-", hatch: str | None = None, round_: float = 0.06, z: float = 1):
        patch = FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={round_}",
                               facecolor=face, edgecolor=edge, linewidth=lw, linestyle=ls, hatch=hatch,
                               zorder=z)
        return self.add(patch)

    def title(self, text: str, y: float = 0.18) -> float:
        lines = self.ctx.wrap(text, self.W - 0.5, 13, bold=True)
        self._title = (lines, y)
        return y + len(lines) * _line_height(13) + 0.04

    def finish(self, height: float, alt: str) -> Figure:
        height = max(height, 1.0)
        self.fig.set_size_inches(self.W, height)
        self._flip.clear().scale(1, -1).translate(0, height)
        lines, y = self._title
        # The title is a real figure title (fig.get_suptitle()), placed in the computed layout.
        self.fig.suptitle("\n".join(lines), x=0.25 / self.W, y=1 - y / height, ha="left", va="top",
                          fontsize=13, fontweight="bold", family=self.ctx.family, color=_INK, linespacing=1.2)
        if self.ctx.fallback:
            alt = alt + " " + label("alt.font-fallback", "en")
        self.fig.sidecar_lab_alt = alt
        return self.fig

    def fallback_note(self, y: float) -> float:
        """The visible note of a Korean figure drawn in English for want of a font."""
        if not self.ctx.fallback:
            return y
        self.text(0.25, y, label("note.no-hangul-font", "en"), 8.5, italic=True, colour=OKABE_ITO["vermillion"])
        return y + _line_height(8.5) + 0.02


# --------------------------------------------------------------------------------------------------------------
# precedence ladder

_OUTCOME_STYLE = {
    # face, edge, line width, line style, ink of the name, ink of the reason
    "selected": (_tint(PALETTE["selected"], 0.86), PALETTE["selected"], 2.6, "-", _INK, _INK),
    "shadowed": ("#EDEDED", PALETTE["shadowed"], 1.0, "-", _GREY, _GREY),
    "no-match": ("#FAFAFA", PALETTE["no-match"], 1.0, "--", _LIGHT, _LIGHT),
    "not-applicable": ("white", PALETTE["not-applicable"], 1.0, "-", _GREY, _GREY),
    "rejected": (_tint(PALETTE["rejected"], 0.88), PALETTE["rejected"], 1.2, "-", _GREY, _GREY),
}


def precedence_ladder(res: "Resolution", *, lang: str | None = None) -> Figure:
    """The layers istiod walks for ``res.workload`` (workload, namespace, root, built-in default), each
    candidate Sidecar in its layer with what became of it and why, and the effective policy and egress."""
    ctx = _Ctx(lang)
    s = _Sheet(ctx, 10.5)
    w = res.workload
    wname = f"{w.namespace}/{w.name}"
    scope_word = ctx.l(f"level.{res.scope}") if res.scope in (*_LEVELS, "default") else ctx.l(f"scope.{res.scope}")
    proxy_word = ctx.l(f"proxy.{res.proxy}")
    y = s.title(ctx.l("figure.ladder.title", workload=wname))
    s.text(0.25, y, ctx.l("figure.ladder.subtitle", proxy=proxy_word, scope=scope_word), 9.5, colour=_GREY)
    y += _line_height(9.5) + 0.04
    y = s.fallback_note(y)
    alt = [ctx.l("alt.ladder", workload=wname, proxy=proxy_word, scope=scope_word)]
    if res.proxy != "sidecar":
        banner = ctx.wrap(ctx.l("figure.ladder.not-applicable", reason=ctx.r(res.proxy_reason)), 6.5, 9.5, True)
        h = len(banner) * _line_height(9.5) + 0.16
        s.box(0.25, y + 0.04, 6.8, h, face=_tint(OKABE_ITO["yellow"], 0.55), edge=OKABE_ITO["orange"], lw=1.2)
        s.para(0.37, y + 0.12, banner, 9.5, bold=True)
        y += h + 0.16
        alt.append(ctx.l("alt.not-applicable", reason=ctx.r(res.proxy_reason)))
    y += 0.1
    top = y

    # -- the layers
    label_x, label_w = 0.5, 1.3
    box_x0, box_x1 = 1.95, 7.05
    gap = 0.12
    by_level = {level: [c for c in res.candidates if c.level == level] for level in _LEVELS}
    rows = []
    for level in (*_LEVELS, "default"):
        if level == "workload":
            hint = ctx.l("level.workload.hint", namespace=w.namespace)
        elif level == "namespace":
            hint = ctx.l("level.namespace.hint", namespace=w.namespace)
        elif level == "root":
            hint = ctx.l("level.root.hint")
        else:
            hint = ""
        name_lines = ctx.wrap(ctx.l(f"level.{level}"), label_w, 10.5, True)
        hint_lines = ctx.wrap(hint, label_w, 7.5) if hint else []
        label_h = len(name_lines) * _line_height(10.5) + len(hint_lines) * _line_height(7.5) + 0.02
        if level == "default":
            boxes = [_default_box(ctx, res, box_x1 - box_x0)]
        else:
            cands = by_level[level]
            cols = max(1, min(len(cands), 3))
            bw = (box_x1 - box_x0 - gap * (cols - 1)) / cols
            boxes = [_candidate_box(ctx, c, bw) for c in cands] or [None]
        rows.append((level, name_lines, hint_lines, label_h, boxes))

    band = False
    for level, name_lines, hint_lines, label_h, boxes in rows:
        real = [b for b in boxes if b is not None]
        cols = max(1, min(len(real), 3))
        bw = (box_x1 - box_x0 - gap * (cols - 1)) / cols
        grid_rows = [real[i:i + cols] for i in range(0, len(real), cols)] if real else []
        boxes_h = sum(max(b["h"] for b in r) for r in grid_rows) + gap * max(0, len(grid_rows) - 1) if real else 0.42
        row_h = max(label_h, boxes_h) + 0.2
        if band:
            s.add(Rectangle((0.4, y), box_x1 + 0.1 - 0.4, row_h, facecolor="#F5F5F5", edgecolor="none",
                                     zorder=0))
        band = not band
        s.add(Line2D([0.4, box_x1 + 0.1], [y, y], color="#D0D0D0", lw=0.8, zorder=0.5))
        ly = s.para(label_x, y + 0.1, name_lines, 10.5, bold=True)
        s.para(label_x, ly, hint_lines, 7.5, colour=_GREY)
        by = y + 0.1
        if not real:
            s.box(box_x0, by, box_x1 - box_x0, 0.42, face="none", edge="#C8C8C8", ls=":")
            s.text(box_x0 + 0.12, by + 0.21, ctx.l("level.empty"), 8.5, colour=_LIGHT, italic=True, va="center")
        for grid_row in grid_rows:
            rh = max(b["h"] for b in grid_row)
            for i, b in enumerate(grid_row):
                bx = box_x0 + i * (bw + gap) if b["kind"] != "default" else box_x0
                _draw_box(s, b, bx, by, b["w"] if b["kind"] == "default" else bw, rh)
            by += rh + gap
        y += row_h
    s.add(Line2D([0.4, box_x1 + 0.1], [y, y], color="#D0D0D0", lw=0.8, zorder=0.5))
    # precedence arrow along the left edge
    s.add(FancyArrowPatch((0.27, top + 0.05), (0.27, y - 0.05), arrowstyle="-|>", mutation_scale=12,
                                   color=_GREY, lw=1.2, zorder=2))
    s.text(0.2, top + 0.05, ctx.l("ladder.precedence"), 7.5, colour=_GREY, rotation=90, ha="right", va="top")
    ladder_bottom = y

    for c in res.candidates:
        alt.append(ctx.l("alt.candidate", sidecar=str(c.sidecar), level=ctx.l(f"level.{c.level}"),
                         outcome=ctx.l(f"outcome.{c.outcome}").replace("✔ ", ""), reason=ctx.r(c.reason)))
    if not res.candidates:
        alt.append(ctx.l("alt.no-candidates"))
    if res.scope == "default":
        alt.append(ctx.l("alt.default-selected", reason=ctx.r(res.scope_reason)))

    # -- side panel: the effective policy, egress and notes
    px, pw = 7.35, 2.9
    py = top
    inner = pw - 0.24
    parts: list[tuple] = []  # (kind, payload) drawn after measuring
    parts.append(("head", ctx.l("panel.policy")))
    if res.policy is not None:
        pol = res.policy
        origin = (ctx.l("panel.policy.from-sidecar", detail=pol.detail) if pol.source == "sidecar"
                  else ctx.l("panel.policy.from-mesh", detail=pol.detail))
        parts.append(("big", pol.mode))
        parts.append(("small", ctx.wrap(origin, inner, 8)))
        if pol.egress_proxy:
            parts.append(("small", ctx.wrap(ctx.l("panel.egress-proxy", host=pol.egress_proxy.get("host"),
                                                  port=pol.egress_proxy.get("port")), inner, 8)))
        alt.append(ctx.l("alt.policy", mode=pol.mode, origin=origin))
    else:
        parts.append(("small", ctx.wrap(ctx.l("panel.policy.none"), inner, 8)))
    parts.append(("gap", 0.1))
    parts.append(("head", ctx.l("panel.egress")))
    hosts_alt = []
    if not res.egress:
        parts.append(("body", ctx.wrap(ctx.l("panel.egress.none"), inner, 8.5)))
    for e in res.egress:
        port = ctx.l("panel.egress.port", port=e.port["number"]) if e.port else ctx.l("panel.egress.any-port")
        hosts = ", ".join(e.hosts)
        parts.append(("body", ctx.wrap(f"{port}: {hosts}", inner, 8.5)))
        if e.implicit:
            parts.append(("italic", ctx.wrap(ctx.l("panel.egress.implicit"), inner, 7.5)))
        hosts_alt.append(f"{port}: {hosts}" + (f" ({ctx.l('panel.egress.implicit')})" if e.implicit else ""))
    if res.proxy != "none":
        parts.append(("small", [ctx.l("panel.visible", count=len(res.visible_services))]))
    if hosts_alt:
        alt.append(ctx.l("alt.egress", hosts="; ".join(hosts_alt)))
    if res.notes:
        parts.append(("gap", 0.1))
        parts.append(("head", ctx.l("panel.notes")))
        for n in res.notes:
            parts.append(("note", ctx.wrap("• " + ctx.r(n), inner, 7.5, max_lines=7)))
    sizes = {"head": 9.5, "big": 12.5, "small": 8, "body": 8.5, "italic": 7.5, "note": 7.5}
    panel_h = 0.24
    for kind, payload in parts:
        if kind == "gap":
            panel_h += payload
        elif kind in ("head", "big"):
            panel_h += _line_height(sizes[kind]) + 0.03
        else:
            panel_h += len(payload) * _line_height(sizes[kind]) + 0.04
    s.box(px, py, pw, panel_h, face="#F7F7F7", edge="#C8C8C8", lw=0.8)
    cy = py + 0.12
    for kind, payload in parts:
        if kind == "gap":
            cy += payload
        elif kind == "head":
            s.text(px + 0.12, cy, payload, sizes[kind], bold=True)
            cy += _line_height(sizes[kind]) + 0.03
        elif kind == "big":
            s.text(px + 0.12, cy, payload, sizes[kind], bold=True, colour=PALETTE["selected"])
            cy += _line_height(sizes[kind]) + 0.03
        else:
            cy = s.para(px + 0.12, cy, payload, sizes[kind], colour=_GREY if kind != "body" else _INK,
                        italic=kind == "italic") + 0.04
    height = max(ladder_bottom, py + panel_h) + 0.25
    return s.finish(height, " ".join(alt))


def _layout_box(ctx: _Ctx, kind: str, outcome: str, name: str, tag: str, reason: str, width: float,
                max_lines: int) -> dict:
    """Measure a ladder box: the name with its outcome tag beside it (or above it when the box is narrow)."""
    inner = width - 0.24
    tag_w = (ctx.width(tag, 8, bold=True) + 0.16) if tag else 0.0
    tag_row = bool(tag) and ctx.width(name, 9.5, bold=True) > inner - tag_w - 0.08
    name_lines = ctx.wrap(name, inner if tag_row else inner - tag_w - 0.08, 9.5, bold=True)
    reason_lines = ctx.wrap(reason, inner, 7.8, max_lines=max_lines)
    top = (_line_height(8) + 0.1) if tag_row else 0.0
    h = 0.12 + top + len(name_lines) * _line_height(9.5) + 0.05 + len(reason_lines) * _line_height(7.8) + 0.1
    return {"kind": kind, "outcome": outcome, "name": name_lines, "tag": tag, "tag_w": tag_w, "top": top,
            "reason": reason_lines, "h": h, "w": width}


def _candidate_box(ctx: _Ctx, c: "Candidate", width: float) -> dict:
    return _layout_box(ctx, "candidate", c.outcome, str(c.sidecar), ctx.l(f"outcome.{c.outcome}"), ctx.r(c.reason),
                       width, 8)


def _default_box(ctx: _Ctx, res: "Resolution", width: float) -> dict:
    if res.scope == "default":
        outcome, text = "selected", ctx.r(res.scope_reason)
    elif res.proxy != "sidecar":
        outcome, text = "not-applicable", ctx.r(res.scope_reason)
    else:
        outcome, text = "unused", ctx.l("ladder.default-unused")
    tag = ctx.l(f"outcome.{outcome}") if outcome != "unused" else ""
    return _layout_box(ctx, "default", outcome, ctx.l("ladder.default-box"), tag, text, width, 6)


def _draw_box(s: _Sheet, b: dict, x: float, y: float, w: float, h: float) -> None:
    outcome = b["outcome"]
    if outcome == "unused":
        face, edge, lw, ls, ink, reason_ink = "#FAFAFA", "#B4B4B4", 1.0, "--", _GREY, _LIGHT
    else:
        face, edge, lw, ls, ink, reason_ink = _OUTCOME_STYLE[outcome]
    if outcome == "not-applicable":
        s.box(x, y, w, h, face=face, edge="#D2D2D2", lw=0, hatch="///", z=1)
        s.box(x, y, w, h, face="none", edge=edge, lw=lw, ls=ls, z=1.1)
    else:
        s.box(x, y, w, h, face=face, edge=edge, lw=lw, ls=ls, z=1)
    bg = dict(facecolor="white", edgecolor="none", alpha=0.85, pad=0.6) if outcome == "not-applicable" else None
    ny = s.para(x + 0.12, y + 0.1 + b["top"], b["name"], 9.5, bold=True, colour=ink, zorder=3, bbox=bg)
    s.para(x + 0.12, ny + 0.05, b["reason"], 7.8, colour=reason_ink, zorder=3, bbox=bg)
    if b["tag"]:
        tx = x + w - 0.1 - b["tag_w"]
        if outcome == "selected":
            s.box(tx, y + 0.08, b["tag_w"], _line_height(8) + 0.06, face=PALETTE["selected"],
                  edge=PALETTE["selected"], lw=0.5, round_=0.04, z=2)
            s.text(tx + b["tag_w"] / 2, y + 0.11, b["tag"], 8, bold=True, colour="white", ha="center", zorder=3)
        else:
            colour = _shade(PALETTE["rejected"], 0.25) if outcome == "rejected" else _GREY
            s.text(x + w - 0.12, y + 0.11, b["tag"], 8, bold=True, colour=colour, ha="right", zorder=3, bbox=bg)
    if outcome == "rejected":
        # Struck through: a line across the box at the name (up to the tag); the reason below stays legible.
        mid = y + 0.1 + b["top"] + _line_height(9.5) * 0.42
        end = x + w - 0.08 if b["top"] else x + w - b["tag_w"] - 0.2
        s.add(Line2D([x + 0.06, end], [mid, mid], color=PALETTE["rejected"], lw=1.8, zorder=4, gid="strike"))


# --------------------------------------------------------------------------------------------------------------
# reachability matrix

def reachability_matrix(sources: list[str], targets: list[str], cells: list[list["RequestResult"]], *,
                        lang: str | None = None) -> Figure:
    """Sources × targets, each cell coloured by its verdict and showing the verdict's glyph, with a legend."""
    ctx = _Ctx(lang)
    n_rows, n_cols = len(sources), len(targets)
    cell = 0.42 if n_cols <= 12 else 0.36
    row_fs, col_fs = 8.5, 8
    angle = 50
    import math

    sin, cos = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    row_w = max([ctx.width(x, row_fs) for x in sources] + [ctx.width(ctx.l("matrix.sources"), 8.5, True), 1.0])
    col_lens = [ctx.width(t, col_fs) for t in targets]
    col_len = max(col_lens + [0.5])
    grid_x = 0.25 + row_w + 0.15
    # how far the slanted column labels reach right of the grid
    overhang = max([(j + 0.5) * cell + length * cos - n_cols * cell for j, length in enumerate(col_lens)] + [0.0])
    overhang += 0.3
    legend_items = list(GLYPHS)
    legend_w = sum(ctx.width(f"{GLYPHS[v]}  {ctx.l('verdict.' + v)}", 8.5) + 0.55 for v in legend_items) + 0.8
    width = max(grid_x + n_cols * cell + overhang, legend_w + 0.5, 6.0)
    s = _Sheet(ctx, min(width, 22.0))
    y = s.title(ctx.l("figure.matrix.title", sources=n_rows, targets=n_cols))
    y = s.fallback_note(y)
    labels_h = col_len * sin + 0.2
    grid_y = y + labels_h + 0.1
    s.text(grid_x - 0.1, grid_y - 0.12 - _line_height(8.5), ctx.l("matrix.targets") + " →", 8.5, bold=True,
           colour=_GREY, ha="right", va="bottom")
    for j, t in enumerate(targets):
        cx = grid_x + (j + 0.5) * cell
        s.text(cx, grid_y - 0.06, t, col_fs, rotation=angle, rotation_mode="anchor", ha="left", va="center",
               colour=_INK)
    s.text(0.25, grid_y - 0.12, ctx.l("matrix.sources") + " ↓", 8.5, bold=True, colour=_GREY, va="bottom")
    rects, faces = [], []
    counts: dict[str, int] = {}
    alt_rows = []
    for i, (source, row) in enumerate(zip(sources, cells)):
        cy = grid_y + (i + 0.5) * cell
        s.text(grid_x - 0.1, cy, source, row_fs, ha="right", va="center")
        by_verdict: dict[str, list[str]] = {}
        for j, result in enumerate(row):
            verdict = result.verdict.value
            counts[verdict] = counts.get(verdict, 0) + 1
            by_verdict.setdefault(verdict, []).append(targets[j] if j < len(targets) else result.target.target)
            colour = PALETTE[verdict]
            rects.append(Rectangle((grid_x + j * cell, grid_y + i * cell), cell, cell))
            faces.append(colour)
            t = s.text(grid_x + (j + 0.5) * cell, cy, GLYPHS[verdict], 10.5, bold=True, colour=_ink_on(colour),
                       ha="center", va="center", zorder=3)
            t.set_gid(f"cell:{i}:{j}:{verdict}")
        items = [f"{ctx.l('verdict.' + v)} ({GLYPHS[v]}) → {', '.join(ts)}" for v, ts in by_verdict.items()]
        alt_rows.append(ctx.l("alt.matrix.row", source=source, items="; ".join(items)))
    s.add(PatchCollection(rects, facecolors=faces, edgecolors="white", linewidths=1.5, zorder=2))
    y = grid_y + n_rows * cell + 0.25
    # legend: swatch with its glyph, then the word
    s.text(0.25, y + 0.11, ctx.l("legend.title") + ":", 8.5, bold=True, va="center")
    lx = 0.25 + ctx.width(ctx.l("legend.title") + ":", 8.5, True) + 0.15
    for v in legend_items:
        s.add(Rectangle((lx, y), 0.22, 0.22, facecolor=PALETTE[v], edgecolor="white", zorder=2))
        s.text(lx + 0.11, y + 0.11, GLYPHS[v], 8.5, bold=True, colour=_ink_on(PALETTE[v]), ha="center",
               va="center", zorder=3)
        word = ctx.l("verdict." + v)
        s.text(lx + 0.3, y + 0.11, word, 8.5, va="center")
        lx += 0.3 + ctx.width(word, 8.5) + 0.25
    y += 0.45
    summary = ", ".join(f"{counts[v]} {ctx.l('verdict.' + v)}" for v in GLYPHS if v in counts) or "0"
    alt = ctx.l("alt.matrix", sources=n_rows, targets=n_cols, counts=summary) + " " + " ".join(alt_rows)
    return s.finish(y + 0.05, alt)


# --------------------------------------------------------------------------------------------------------------
# scope map

_MAX_SERVICES = 12
_MAX_NAMESPACES = 12


def scope_map(res: "Resolution", sim: "Simulator", *, lang: str | None = None) -> Figure:
    """The services of the mesh by namespace: imported by the workload's proxy, not exported to its namespace,
    or exported but not imported by its egress hosts."""
    ctx = _Ctx(lang)
    w = res.workload
    wname = f"{w.namespace}/{w.name}"
    s = _Sheet(ctx, 10.5)
    y = s.title(ctx.l("figure.scope.title", workload=wname))
    hosts = "; ".join(", ".join(e.hosts) for e in res.egress) or "—"
    if res.proxy == "none":
        subtitle = ctx.l("proxy.none")
    else:
        who = str(res.sidecar) if res.sidecar else ctx.l("scope.gateway" if res.proxy == "gateway" else "level.default")
        subtitle = ctx.l("figure.scope.subtitle", sidecar=who, hosts=hosts, mode=res.mode or "—")
    sub = ctx.wrap(subtitle, 10.0, 9.5, max_lines=2)
    y = s.para(0.25, y, sub, 9.5, colour=_GREY) + 0.04
    y = s.fallback_note(y)
    if res.proxy == "none":
        banner = ctx.wrap(ctx.r(res.proxy_reason) + " — " + ctx.r(res.scope_reason), 9.8, 9)
        s.box(0.25, y + 0.04, 10.0, len(banner) * _line_height(9) + 0.14, face=_tint(OKABE_ITO["yellow"], 0.55),
              edge=OKABE_ITO["orange"], lw=1.0)
        y = s.para(0.37, y + 0.11, banner, 9, bold=True) + 0.14
    y += 0.1

    visible = {(v.host, v.namespace): v for v in res.visible_services}
    visible_hosts = {v.host: v.namespace for v in res.visible_services}
    groups: dict[str, list[tuple[RegistryService, str, str]]] = {}
    counts: dict[str, int] = {}
    for svc in sim.registry:
        if res.proxy == "none":
            cat, status = "no-proxy", ""
        elif (svc.hostname, svc.namespace) in visible:
            cat, status = "imported", ctx.l("scope.via", via=visible[(svc.hostname, svc.namespace)].via)
        elif not sim.exported(svc, w.namespace):
            cat, status = "not-exported", "exportTo: " + ", ".join(svc.export_to or ("*",))
        elif svc.hostname in visible_hosts:
            cat, status = "not-imported", ctx.l("scope.status.other-namespace", namespace=visible_hosts[svc.hostname])
        else:
            cat, status = "not-imported", ctx.l("scope.status.no-host")
        groups.setdefault(svc.namespace, []).append((svc, cat, status))
        counts[cat] = counts.get(cat, 0) + 1
    names = sorted(groups, key=lambda n: (n != w.namespace, n))
    hidden_ns = names[_MAX_NAMESPACES:]
    names = names[:_MAX_NAMESPACES]

    ncols = 1 if len(names) <= 1 else 2 if len(names) <= 4 else 3
    gap = 0.18
    col_w = (10.0 - gap * (ncols - 1)) / ncols
    col_y = [y] * ncols
    cat_word = {"imported": ctx.l("legend.imported"), "not-imported": ctx.l("legend.not-imported"),
                "not-exported": ctx.l("legend.not-exported", namespace=w.namespace),
                "no-proxy": ctx.l("legend.no-proxy")}
    alt_ns = []
    for ns in names:
        entries = sorted(groups[ns], key=lambda e: ({"imported": 0}.get(e[1], 1), e[0].hostname))
        shown, rest = entries[:_MAX_SERVICES], entries[_MAX_SERVICES:]
        own = ns == w.namespace
        head = ctx.wrap(ns + ("  " + ctx.l("scope.own-namespace") if own else ""), col_w - 0.24, 9.5, bold=True)
        blocks = []
        for svc, cat, status in shown:
            name = svc.name if svc.kind == "Service" else f"{svc.hostname} (ServiceEntry {svc.name})"
            ports = ",".join(str(p.port) for p in svc.ports)
            if cat == "imported":
                vports = visible[(svc.hostname, svc.namespace)].ports
                ports = ",".join(str(p) for p in vports)
            line1 = ctx.wrap(f"{name} :{ports}" if ports else name, col_w - 0.6, 8.5, bold=cat == "imported")
            line2 = ctx.wrap(cat_word[cat] + (" · " + status if status else ""), col_w - 0.6, 7.3, max_lines=3)
            blocks.append((cat, line1, line2))
        bh = 0.12 + len(head) * _line_height(9.5) + 0.06
        for _, l1, l2 in blocks:
            bh += max(len(l1) * _line_height(8.5) + len(l2) * _line_height(7.3), 0.24) + 0.08
        if rest:
            bh += _line_height(8) + 0.04
        bh += 0.06
        col = min(range(ncols), key=lambda k: col_y[k])
        bx, by = 0.25 + col * (col_w + gap), col_y[col]
        s.box(bx, by, col_w, bh, face="#FBFBFB" if not own else _tint(PALETTE["selected"], 0.93),
              edge=PALETTE["selected"] if own else "#A0A0A0", lw=2.0 if own else 0.9)
        cy = s.para(bx + 0.12, by + 0.1, head, 9.5, bold=True) + 0.06
        for cat, l1, l2 in blocks:
            s.add(Rectangle((bx + 0.14, cy + 0.02), 0.2, 0.2, facecolor=_tint(PALETTE[cat], 0.25),
                                     edgecolor=_INK, hatch=_HATCH[cat] or None, lw=0.8, zorder=2))
            ty = s.para(bx + 0.46, cy, l1, 8.5, bold=cat == "imported", colour=_INK if cat == "imported" else _GREY)
            ty = s.para(bx + 0.46, ty, l2, 7.3, colour=_GREY, italic=cat != "imported")
            cy = max(ty, cy + 0.24) + 0.08
        if rest:
            n_imp = sum(1 for e in rest if e[1] == "imported")
            more = ctx.l("scope.more", count=len(rest)) + (f" ({n_imp} {ctx.l('legend.imported')})" if n_imp else "")
            s.text(bx + 0.14, cy, more, 8, italic=True, colour=_GREY)
        col_y[col] = by + bh + gap
        per_cat: dict[str, list[str]] = {}
        for svc, cat, _ in entries:
            per_cat.setdefault(cat, []).append(svc.hostname)
        alt_ns.append(ctx.l("alt.scope.namespace", namespace=ns, items="; ".join(
            f"{cat_word[c]}: {', '.join(hs)}" for c, hs in per_cat.items())))
    y = max(col_y) if names else y
    if not names:
        s.text(0.25, y, ctx.l("scope.empty"), 9, italic=True, colour=_GREY)
        y += 0.35
    if hidden_ns:
        s.text(0.25, y, ctx.l("scope.more-namespaces", count=len(hidden_ns)), 8.5, italic=True, colour=_GREY)
        y += 0.3
    # legend: hatch + colour + words
    y += 0.05
    cats = ["no-proxy"] if res.proxy == "none" else ["imported", "not-imported", "not-exported"]
    s.text(0.25, y + 0.11, ctx.l("legend.title") + ":", 8.5, bold=True, va="center")
    lx = 0.25 + ctx.width(ctx.l("legend.title") + ":", 8.5, True) + 0.15
    for cat in cats:
        s.add(Rectangle((lx, y + 0.01), 0.2, 0.2, facecolor=_tint(PALETTE[cat], 0.25), edgecolor=_INK,
                                 hatch=_HATCH[cat] or None, lw=0.8, zorder=2))
        s.text(lx + 0.28, y + 0.11, cat_word[cat], 8.5, va="center")
        lx += 0.28 + ctx.width(cat_word[cat], 8.5) + 0.3
    y += 0.4
    summary = ", ".join(f"{counts[c]} {cat_word[c]}" for c in ("imported", "not-imported", "not-exported", "no-proxy")
                        if c in counts) or ctx.l("scope.empty")
    alt = ctx.l("alt.scope", workload=wname, counts=summary) + " " + " ".join(alt_ns)
    return s.finish(y, alt)


# --------------------------------------------------------------------------------------------------------------
# request path

_STAGES = ("source", "dns", "listener", "route", "cluster", "destination")


def _stop(result: "RequestResult") -> tuple[str, str, bool]:
    """(stage where the request ends, the label key of what happens there, whether it got through)."""
    v = result.verdict.value
    if v == "DNS_FAILURE":
        return "dns", "stop.dns", False
    if v == "BLOCKED":
        if result.envoy.route == "block_all":
            return "route", "stop.block-all", False
        return "cluster", "stop.blackhole", False
    if result.curl_exit == 7:
        return "destination", "stop.refused", False
    return "destination", "stop.reached", True


#: Trace steps that decide a request's fate; the path figure lists these under its caption.
DECISIVE_STEPS = frozenset({
    "traffic.dns-failure", "traffic.port-missing", "traffic.not-exported", "traffic.other-namespace-won",
    "traffic.port-not-imported", "traffic.not-imported", "traffic.block-all", "traffic.allow-any",
    "traffic.blackhole", "traffic.not-a-firewall", "traffic.egress-proxy", "traffic.captured-by-other",
    "traffic.via-virtual-service", "traffic.listener-whole-port", "traffic.no-proxy", "traffic.gateway-source",
})


def request_path(result: "RequestResult", *, lang: str | None = None, full_trace: bool = False) -> Figure:
    """source → DNS → listener → route → cluster → destination, where the request stopped, and what curl prints.

    Under the caption come the steps of the trace that decide the outcome (:data:`DECISIVE_STEPS`, numbered as
    in ``sidecar-lab check``), or every step with ``full_trace=True`` (each line of text costs render time).
    """
    ctx = _Ctx(lang)
    s = _Sheet(ctx, 11.0)
    src = f"{result.source.namespace}/{result.source.name}"
    tgt = result.target
    verdict = result.verdict.value
    res = result.resolution
    y = s.title(ctx.l("figure.path.title", source=src, target=tgt.target, verdict=ctx.l("verdict." + verdict)))
    y = s.fallback_note(y)
    # verdict badge
    badge = f"{GLYPHS[verdict]}  {ctx.l('verdict.' + verdict)}"
    bw = ctx.width(badge, 10, True) + 0.3
    s.box(0.25, y + 0.04, bw, 0.3, face=PALETTE[verdict], edge=PALETTE[verdict], round_=0.05)
    s.text(0.25 + bw / 2, y + 0.19, badge, 10, bold=True, colour=_ink_on(PALETTE[verdict]), ha="center",
           va="center", zorder=3)
    y += 0.5

    stop_stage, stop_key, through = _stop(result)
    envoy = res.proxy == "sidecar"  # a gateway's own requests and a pod without sidecar bypass Envoy
    src_sub = [ctx.l(f"proxy.{res.proxy}")]
    if res.proxy == "sidecar":
        src_sub.append(f"Sidecar {res.sidecar or ctx.l('level.default')}")
        src_sub.append(res.mode or "—")
    address = ctx.l(f"dns.{tgt.address}") if f"dns.{tgt.address}" in LABELS["en"] else tgt.address
    dns_sub = f"→ {tgt.resolved} ({address})" if tgt.resolved else "→ ?"
    dest_name = f"{tgt.service_host or tgt.resolved or tgt.host}:{tgt.port}"
    dest_sub = ctx.l("path.dest-sees", ip=result.destination_sees_source) if result.destination_sees_source else ""
    none = ctx.l("stage.none")
    values = {
        "source": (src, " · ".join(src_sub)),
        "dns": (tgt.host, dns_sub),
        "listener": (result.envoy.listener or none, ""),
        "route": (result.envoy.route or none, ""),
        "cluster": (result.envoy.cluster or none, ""),
        "destination": (dest_name, dest_sub),
    }
    stop_index = _STAGES.index(stop_stage)
    box_w, arrow = 1.52, 0.25
    # (stage index, stage, main text, sub text, width). Without Envoy (no sidecar, or a gateway's own requests)
    # the listener, route and cluster stages are one "no Envoy" box (index None) between DNS and destination.
    slots: list[tuple] = []
    for idx, stage in enumerate(_STAGES):
        if stage in ("listener", "route", "cluster") and not envoy:
            if stage == "listener":
                slots.append((None, None, ctx.l("stage.no-envoy"), "", box_w * 3 + arrow * 2))
            continue
        slots.append((idx, stage, *values[stage], box_w))
    measured = []
    for idx, stage, main, sub, width in slots:
        head = ctx.l(f"stage.{stage}") if stage else ""
        ml = ctx.wrap(main, width - 0.2, 8.8, bold=True, max_lines=4)
        sl = ctx.wrap(sub, width - 0.2, 7.3, max_lines=4) if sub else []
        h = 0.1 + (_line_height(8) if head else 0) + len(ml) * _line_height(8.8) + len(sl) * _line_height(7.3) + 0.12
        measured.append((idx, stage, head, ml, sl, width, h))
    row_h = max(m[-1] for m in measured)
    x = 0.25
    chain_alt = []
    for n, (idx, stage, head, ml, sl, width, h) in enumerate(measured):
        # The "no Envoy" box sits at the listener's place: the request crosses it when it gets past DNS.
        position = _STAGES.index("listener") if idx is None else idx
        reached = position <= stop_index
        at_stop = idx == stop_index
        if idx is None:
            s.box(x, y, width, row_h, face="#FAFAFA", edge=_LIGHT, ls="--")
            s.para(x + width / 2, y + row_h / 2 - len(ml) * _line_height(8.8) / 2, ml, 8.8, colour=_GREY,
                   italic=True, ha="center")
        else:
            if at_stop:
                edge, lw = (PALETTE[verdict], 2.6)
                face = _tint(PALETTE[verdict], 0.85)
            elif reached:
                edge, lw, face = _INK, 1.0, "white"
            else:
                edge, lw, face = "#B4B4B4", 1.0, "#F2F2F2"
            s.box(x, y, width, row_h, face=face, edge=edge, lw=lw, ls="-" if reached else "--")
            ink = _INK if reached else _LIGHT
            s.text(x + 0.1, y + 0.08, head.upper(), 7.5, bold=True, colour=_GREY if reached else _LIGHT)
            cy = s.para(x + 0.1, y + 0.08 + _line_height(8), ml, 8.8, bold=True, colour=ink)
            s.para(x + 0.1, cy, sl, 7.3, colour=_GREY if reached else _LIGHT)
            chain_alt.append(f"{head} {values[stage][0]}")
            # what happens at this stage
            if at_stop:
                mark = ("✔ " if through else "✖ ") + ctx.l(stop_key)
                if not through:
                    mark += f" — {ctx.l('stop.here')}"
                colour = _shade(PALETTE[verdict])
                for line_i, line in enumerate(ctx.wrap(mark, max(width, 1.8), 8.5, bold=True)):
                    s.text(x, y + row_h + 0.08 + line_i * _line_height(8.5), line, 8.5, bold=True, colour=colour)
            elif not reached:
                s.text(x + width / 2, y + row_h + 0.08, ctx.l("stage.not-reached"), 7.5, italic=True,
                       colour=_LIGHT, ha="center")
        if n < len(measured) - 1:
            passed = position < stop_index  # the arrow to the next stage is solid when the request went on
            s.add(FancyArrowPatch((x + width + 0.02, y + row_h / 2), (x + width + arrow - 0.02,
                                                                              y + row_h / 2),
                                           arrowstyle="-|>", mutation_scale=11, lw=1.3,
                                           color=_INK if passed else "#C0C0C0", zorder=2))
        x += width + arrow
    y += row_h + 0.1 + 2 * _line_height(8.5) + 0.1
    # what curl prints, then the trace
    caption = ctx.wrap(ctx.l("path.client-sees", text=result.client_sees_text(ctx.lang)), 10.4, 9.5, bold=True)
    y = s.para(0.25, y, caption, 9.5, bold=True) + 0.1
    shown = [(i, step) for i, step in enumerate(result.steps, 1) if full_trace or step.key in DECISIVE_STEPS]
    if shown:
        s.text(0.25, y, ctx.l("path.why"), 8.5, bold=True, colour=_GREY)
        y += _line_height(8.5)
        lines = [line for i, step in shown for line in ctx.wrap(f"{i}. {ctx.r(step)}", 10.2, 8)]
        y = s.para(0.4, y, lines, 8, colour=_GREY) + 0.02
    stop_word = ctx.l(stop_key)
    alt = [ctx.l("alt.path", source=src, target=tgt.target, verdict=ctx.l("verdict." + verdict),
                 chain=" → ".join(chain_alt))]
    alt.append(ctx.l("alt.path.stop", stage=ctx.l(f"stage.{stop_stage}"), stop=stop_word))
    alt.append(ctx.l("alt.path.client", text=result.client_sees_text(ctx.lang)))
    alt.extend(f"{i}. {ctx.r(step)}." for i, step in enumerate(result.steps, 1))
    return s.finish(y + 0.2, " ".join(alt))


# --------------------------------------------------------------------------------------------------------------
# helpers for every figure

def alt_text(fig: Figure) -> str:
    """The full-sentence description of a figure made here (for screen readers and notebook exports)."""
    return getattr(fig, "sidecar_lab_alt", "")


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes, rendered with Agg (for ``ipywidgets.Image`` and tests).

    The text is drawn from cached glyph outlines (:mod:`sidecar_lab.course.glyphs`: the same fonts, fallback and
    kerning as matplotlib's, about three times faster), and the pixels are written by :func:`png_bytes`."""
    from . import glyphs

    original = fig.get_dpi()
    canvas = glyphs.canvas(fig)
    fig.set_dpi(dpi)
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        return png_bytes(pixels, dpi)
    finally:
        fig.set_dpi(original)


def png_bytes(rgba: "np.ndarray", dpi: float = 100) -> bytes:
    """An 8-bit RGBA array (height × width × 4) as a PNG: rows unfiltered, zlib's fastest level.

    The figures are large flat areas with anti-aliased edges: unfiltered rows compress better than PNG's
    predictors here (about 10% smaller than Pillow's output at its fastest level) in about a third of the time."""
    height, width = rgba.shape[:2]
    rows = np.empty((height, 1 + width * 4), dtype=np.uint8)
    rows[:, 0] = 0  # each row's filter: none
    rows[:, 1:] = rgba.reshape(height, width * 4)
    per_metre = round(dpi / 0.0254)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return b"".join((b"\x89PNG\r\n\x1a\n",
                     chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),  # 8-bit RGBA
                     chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
                     chunk(b"IDAT", zlib.compress(rows, 1)),
                     chunk(b"IEND", b"")))
