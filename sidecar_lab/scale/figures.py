"""Figures of why Sidecar matters at scale, drawn from :func:`sidecar_lab.scale.sizing.scaling_series`.

matplotlib is imported lazily and only through :class:`matplotlib.figure.Figure` (never pyplot),
so these work in notebooks, scripts and tests without a display. Every figure has a title and
alternative text in ``fig.sidecar_lab_alt``; the three setups differ by colour (Okabe-Ito,
colour-blind safe), line style and marker, so they read in grey too.

Labels follow ``lang`` (default: the language in force, :func:`sidecar_lab.set_language`), from
``LABELS`` of :mod:`sidecar_lab.core.messages`. Korean labels are drawn with an installed Hangul font
(:func:`hangul_font`); without one a figure is drawn in English and says so, never with empty boxes.

>>> from sidecar_lab.scale.sizing import scaling_series
>>> fig = config_vs_mesh_size(scaling_series((2, 4)), lang="ko")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from ..core.messages import label, language

__all__ = ["config_vs_mesh_size", "mesh_total", "push_fanout_figure", "hangul_font", "STYLES", "LABELS"]

#: Okabe-Ito colours, with a line style and a marker each.
STYLES = {
    "none": {"color": "#D55E00", "linestyle": "-", "marker": "o"},
    "namespace": {"color": "#0072B2", "linestyle": "--", "marker": "s"},
    "dependency": {"color": "#009E73", "linestyle": ":", "marker": "^"},
    "mixed": {"color": "#CC79A7", "linestyle": "-.", "marker": "D"},
}
#: The setups' names in English (every language's: ``LABELS`` of core.messages, ``scale.mode.MODE``).
LABELS = {mode: label(f"scale.mode.{mode}", "en") for mode in STYLES}
_VERMILLION = "#D55E00"

#: Preferred Korean families, tried first (the rest of the installed fonts are tried after them).
_HANGUL_FAMILIES = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",
                    "Malgun Gothic", "Apple SD Gothic Neo", "AppleGothic", "UnDotum", "Baekmuk Gulim",
                    "Noto Sans CJK JP", "Noto Sans CJK SC", "Droid Sans Fallback", "WenQuanYi Zen Hei")


@functools.lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The family name of an installed font that has Hangul glyphs, or None (cached).

    Every figure of the package (these and :mod:`sidecar_lab.course.figures`) draws Korean with it.
    matplotlib keeps its font list in a cache file made the first time it ran: a font installed later
    (``apt-get install fonts-nanum`` after the course's first figure) is not in it. When the list has no Hangul
    font, the system's font files it does not know yet are added to it and looked at too, so that installing a
    font and restarting the kernel is enough.
    """
    from matplotlib import font_manager

    found = _hangul_font_in(font_manager.fontManager.ttflist)
    if found is None:
        known = {entry.fname for entry in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
                    continue
        found = _hangul_font_in(font_manager.fontManager.ttflist)
    return found


def _hangul_font_in(ttflist) -> str | None:
    from matplotlib.ft2font import FT2Font

    order = {name.lower(): i for i, name in enumerate(_HANGUL_FAMILIES)}
    entries = sorted(ttflist, key=lambda e: (order.get(e.name.lower(), len(order)), e.name, e.fname))
    tried: set[str] = set()
    for entry in entries:
        # "Last Resort" maps every code point to a placeholder box: it has no real Hangul glyph.
        if entry.fname in tried or "last resort" in entry.name.lower():
            continue
        tried.add(entry.fname)
        try:
            font = FT2Font(entry.fname)
        except Exception:  # noqa: BLE001 - an unreadable font file is simply not a candidate
            continue
        if all(font.get_char_index(ord(ch)) for ch in "한글가"):
            return entry.name
    return None


class _Words:
    """The language of one figure (English when Korean is asked and no Hangul font is installed) and its font."""

    def __init__(self, lang: str | None) -> None:
        lang = language(lang)
        font = hangul_font() if lang == "ko" else None
        self.fallback = lang == "ko" and font is None
        self.lang = "en" if self.fallback else lang
        self.family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]

    def __call__(self, key: str, **params: Any) -> str:
        return label(key, self.lang, **params)

    def mode(self, mode: str) -> str:
        return label(f"scale.mode.{mode}", self.lang) if mode in STYLES else mode

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """Every text made inside is set in this figure's font (tick numbers are drawn later, in the default)."""
        from matplotlib import rc_context

        with rc_context({"font.family": self.family}):
            yield

    def finish(self, fig: Any, alt: str) -> Any:
        """The alternative text, and the visible note of a Korean figure drawn in English for want of a font."""
        if self.fallback:
            fig.supxlabel(label("note.no-hangul-font", "en"), fontsize="small", fontstyle="italic",
                          color=_VERMILLION)
            alt = f"{alt} {label('alt.font-fallback', 'en')}"
        fig.sidecar_lab_alt = alt
        return fig


def _figure(width: float = 10.0, height: float = 4.2) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _modes(points: Sequence[dict], key: str) -> list[str]:
    seen: list[str] = []
    for point in points:
        for mode in point[key]:
            if mode not in seen:
                seen.append(mode)
    return seen


def _plot(ax: Any, xs: list, ys: list, mode: str, words: _Words) -> None:
    ax.plot(xs, ys, label=words.mode(mode), linewidth=2, markersize=6, **STYLES.get(mode, {}))


def _x(points: Sequence[dict]) -> list[int]:
    return [p["services"] for p in points]


def _check(points: Sequence[dict]) -> None:
    if not points:
        raise ValueError("no points: pass the result of sidecar_lab.scale.sizing.scaling_series()")


def _two_panels(w: _Words, points: Sequence[dict], key: str, panels: Sequence[tuple[Any, str, str]], title: str,
                log: bool = False) -> tuple[Any, list[int], list[str]]:
    """Two line charts against mesh size, one per ``(value of a setup's entry, title key, y-label key)``."""
    fig = _figure()
    xs = _x(points)
    modes = _modes(points, key)
    with w.drawing():
        axes = fig.subplots(1, 2)
        for ax, (value, ax_title, ylabel) in zip(axes, panels):
            for mode in modes:
                _plot(ax, xs, [value(p[key][mode]) for p in points], mode, w)
            ax.set_title(w(ax_title))
            ax.set_ylabel(w(ylabel))
            ax.set_xlabel(w("scale.axis.services"))
            if log:
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.grid(True, which="both" if log else "major", alpha=0.3)
        axes[0].legend(loc="upper left", fontsize="small")
        fig.suptitle(w(title))
    return fig, xs, modes


def config_vs_mesh_size(points: Sequence[dict], *, lang: str | None = None) -> Any:
    """Clusters and estimated memory of one proxy against the number of services in the mesh."""
    _check(points)
    w = _Words(lang)
    fig, xs, modes = _two_panels(w, points, "per_proxy", [
        (lambda e: e["clusters"], "scale.config.clusters-title", "scale.config.clusters"),
        (lambda e: e["memory_mib"], "scale.config.memory-title", "scale.config.memory")], "scale.config.title")
    last = points[-1]
    values = "; ".join(w("alt.scale.config.value", mode=w.mode(m), clusters=f"{last['per_proxy'][m]['clusters']:,}",
                         mib=f"{last['per_proxy'][m]['memory_mib']:.0f}") for m in modes)
    return w.finish(fig, w("alt.scale.config", first=f"{xs[0]:,}", last=f"{xs[-1]:,}", values=values,
                           estimate=w("scale.estimate")))


def mesh_total(points: Sequence[dict], *, lang: str | None = None) -> Any:
    """Estimated memory of every proxy of the mesh added up, and total clusters, against mesh size."""
    _check(points)
    w = _Words(lang)
    fig, xs, modes = _two_panels(w, points, "totals", [
        (lambda e: e["memory_mib"] / 1024.0, "scale.total.memory-title", "scale.total.memory"),
        (lambda e: e["clusters"], "scale.total.clusters-title", "scale.total.clusters")], "scale.total.title", log=True)
    last = points[-1]
    values = "; ".join(w("alt.scale.total.value", mode=w.mode(m), gib=f"{last['totals'][m]['memory_mib'] / 1024.0:,.1f}")
                       for m in modes)
    return w.finish(fig, w("alt.scale.total", first=f"{xs[0]:,}", last=f"{xs[-1]:,}", pods=f"{last['pods']:,}",
                           values=values, estimate=w("scale.estimate")))


def push_fanout_figure(points: Sequence[dict], *, lang: str | None = None) -> Any:
    """How many proxies istiod must push when one service changes, against mesh size."""
    _check(points)
    w = _Words(lang)
    fig = _figure(6.5, 4.2)
    xs = _x(points)
    key = "push_fanout_mean" if all("push_fanout_mean" in p for p in points) else "push_fanout"
    mean = key == "push_fanout_mean"
    modes = _modes(points, key)
    with w.drawing():
        ax = fig.subplots()
        for mode in modes:
            _plot(ax, xs, [max(p[key][mode], 0) for p in points], mode, w)
        ax.set_xlabel(w("scale.axis.services"))
        ax.set_ylabel(w("scale.push.axis-mean" if mean else "scale.push.axis"))
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)  # a count: no negative ticks (-10^0, -10^1) below the axis
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        ax.set_title(w("scale.push.title"))
    last = points[-1]
    what = w("alt.scale.push.what-mean") if mean else w("alt.scale.push.what",
                                                         service=points[-1].get("service", "one service"))
    values = "; ".join(w("alt.scale.push.value", mode=w.mode(m), count=f"{last[key][m]:,.0f}") for m in modes)
    return w.finish(fig, w("alt.scale.push", first=f"{xs[0]:,}", last=f"{xs[-1]:,}", what=what, values=values))
