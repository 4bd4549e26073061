"""Text for the Agg renderer drawn from cached glyph outlines: the figures' PNGs in a fraction of the time.

Matplotlib asks FreeType to load every glyph of every string twice (once to measure a line, once to draw
it: about 20 µs a glyph), and from 3.11 on draws each glyph with its own Python call; a figure of the
course has 30 to 80 lines of text, so text was nine tenths of a figure's time. Here each glyph's outline
is read once per font (unhinted, at a reference size) and kept; a line is measured and drawn from those
outlines, filled by Agg at its exact sub-pixel position in one ``draw_path`` per line, as matplotlib
itself draws text turned into paths (``RendererBase._draw_text_as_path``). Font fallback is matplotlib's:
each character from the first family of the text's list that has it, else the first family's
placeholder glyph; kerning from the font's ``kern`` table, between glyphs of the same font.

Mathtext and TeX go to matplotlib's own code. :func:`canvas` gives a ``FigureCanvasAgg`` whose
renderer does this; ``figures.to_png`` uses it. This is a face: it imports matplotlib.
"""

from __future__ import annotations

import functools
import unicodedata
import warnings
from collections import OrderedDict

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

try:  # matplotlib >= 3.10
    from matplotlib.ft2font import Kerning as _Kerning, LoadFlags as _LoadFlags

    _NO_HINTING = _LoadFlags.NO_HINTING
    _UNFITTED = _Kerning.UNFITTED
except ImportError:  # pragma: no cover - older matplotlib
    from matplotlib.ft2font import KERNING_UNFITTED as _UNFITTED, LOAD_NO_HINTING as _NO_HINTING

__all__ = ["canvas", "TextRenderer", "line_metrics", "clear_cache"]

#: Outlines are read at this many pixels per em and scaled: unhinted outlines scale exactly.
_REF = 100.0
_CLOSE = Path.CLOSEPOLY


def _has_kerning(font) -> bool:
    flags = font.face_flags
    try:  # matplotlib >= 3.10: an enum.Flag
        from matplotlib.ft2font import FaceFlags

        return bool(flags & FaceFlags.KERNING)
    except ImportError:  # pragma: no cover - older matplotlib: an int
        return bool(flags & 64)  # FT_FACE_FLAG_KERNING


class _Glyph:
    __slots__ = ("index", "advance", "verts", "codes", "box")

    def __init__(self, index: int, advance: float, verts: np.ndarray, codes: np.ndarray) -> None:
        self.index = index
        self.advance = advance
        self.verts = verts
        self.codes = codes
        # FreeType's control box (the outline's points, not the (0, 0) that closes each contour);
        # an empty outline (a space) is a point at the pen
        points = verts[codes != _CLOSE]
        self.box = ((float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()),
                     float(points[:, 1].max())) if len(points) else (0.0, 0.0, 0.0, 0.0))


class _Face:
    """One font file: its glyphs' outlines and advances at the reference size, read once each."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.font = font_manager.get_font(path)
        self.kerns = _has_kerning(self.font)
        self.glyphs: dict[str, _Glyph] = {}
        self.chars: dict[str, bool] = {}  # whether the font has a glyph for the character
        self.kerning: dict[tuple[int, int], float] = {}
        self._heights: tuple[float, float, float] | None | bool = False

    def heights(self) -> tuple[float, float, float] | None:
        """(ascent, descent, line gap) per em from the OS/2 or hhea table, as ``Text`` reads them (None: neither)."""
        if self._heights is False:
            self._heights = None
            for table, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "lineGap", "ascent", "descent")):
                values = self.font.get_sfnt_table(table)
                if values is not None:
                    units = self.font.get_sfnt_table("head")["unitsPerEm"]
                    self._heights = (values[ascent] / units, -values[descent] / units, values[gap] / units)
                    break
        return self._heights

    def has(self, ch: str) -> bool:
        found = self.chars.get(ch)
        if found is None:
            found = self.chars[ch] = bool(self.font.get_char_index(ord(ch)))
        return found

    def glyph(self, ch: str) -> _Glyph:
        g = self.glyphs.get(ch)
        if g is None:
            font = self.font
            # get_font hands out one FT2Font per file, shared with matplotlib: set its size each time
            font.set_size(_REF, 72)
            index = font.get_char_index(ord(ch))  # 0: the font's placeholder box
            loaded = font.load_glyph(index, flags=_NO_HINTING)
            verts, codes = font.get_path()
            g = self.glyphs[ch] = _Glyph(index, loaded.linearHoriAdvance / 65536,
                                         np.asarray(verts, dtype=float).reshape(-1, 2),
                                         np.asarray(codes, dtype=np.uint8))
        return g

    def kern(self, left: int, right: int) -> float:
        if not self.kerns or not left or not right:
            return 0.0
        k = self.kerning.get((left, right))
        if k is None:
            # Scaled to the reference size, not grid-fitted, in 1/64 pixel (matplotlib before 3.10 divides the
            # unscaled value, in font units, by its hinting factor: this one is right in every version).
            self.font.set_size(_REF, 72)
            k = self.kerning[(left, right)] = self.font.get_kerning(left, right, _UNFITTED) / 64
        return k


@functools.lru_cache(maxsize=None)
def _face(path: str) -> _Face:
    return _Face(path)


@functools.lru_cache(maxsize=256)
def _faces(family: tuple[str, ...], style: str, variant: str, weight, stretch) -> tuple[_Face, ...]:
    """The fonts matplotlib uses for these properties, in its fallback order (``_find_fonts_by_props``)."""
    props = font_manager.FontProperties(family=list(family), style=style, variant=variant, weight=weight,
                                        stretch=stretch)
    find = getattr(font_manager.fontManager, "_find_fonts_by_props", None)
    paths = list(find(props)) if find is not None else [font_manager.findfont(props)]
    return tuple(_face(str(p)) for p in dict.fromkeys(paths))


def _prop_faces(prop: font_manager.FontProperties) -> tuple[_Face, ...]:
    return _faces(tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
                  prop.get_stretch())


@functools.lru_cache(maxsize=256)
def _missing(ch: str, families: tuple[str, ...]) -> None:
    """Warn once that no font of ``families`` has ``ch`` (matplotlib's own warning, which it gives for each draw)."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        name = f"U+{ord(ch):04X}"
    warnings.warn(f"Glyph {ord(ch)} ({name}) missing from font(s) {', '.join(families)}.", UserWarning,
                  stacklevel=2)


class _Line:
    """One string laid out at the reference size: a path (baseline at y=0, starting at x=0) and its metrics."""

    __slots__ = ("path", "advance", "ymin", "ymax")

    def __init__(self, text: str, faces: tuple[_Face, ...]) -> None:
        pen = 0.0
        ymin, ymax = np.inf, -np.inf
        verts, codes = [], []
        prev: tuple[_Face, int] | None = None
        for ch in text:
            face = next((f for f in faces if f.has(ch)), None)
            if face is None:  # as matplotlib: the first font's placeholder box, and a warning
                face = faces[0]
                if ch.isprintable() and not ch.isspace():
                    _missing(ch, tuple(f.font.family_name for f in faces))
            g = face.glyph(ch)
            if prev is not None and prev[0] is face:
                pen += face.kern(prev[1], g.index)
            x0, y0, x1, y1 = g.box
            ymin, ymax = min(ymin, y0), max(ymax, y1)
            if len(g.verts):
                verts.append(g.verts + (pen, 0.0))
                codes.append(g.codes)
            pen += g.advance
            prev = (face, g.index)
        if not text:
            ymin = ymax = 0.0
        self.advance = pen
        self.ymin, self.ymax = float(ymin), float(ymax)
        if verts:
            path = Path(np.concatenate(verts), np.concatenate(codes))
        else:
            path = Path(np.zeros((0, 2)))
        path.should_simplify = False  # glyph curves as drawn, not thinned
        self.path = path


_LINES: "OrderedDict[tuple, _Line]" = OrderedDict()
_MAX_LINES = 1024


def _line(text: str, prop: font_manager.FontProperties) -> _Line:
    faces = _prop_faces(prop)
    key = (text, tuple(f.path for f in faces))
    hit = _LINES.get(key)
    if hit is not None:
        _LINES.move_to_end(key)
        return hit
    line = _LINES[key] = _Line(text, faces)
    if len(_LINES) > _MAX_LINES:
        _LINES.popitem(last=False)
    return line


def line_metrics(text: str, prop: font_manager.FontProperties, dpi: float) -> tuple[float, float, float]:
    """(width, height, descent) of one line in pixels at ``dpi``, as the renderer lays it out."""
    line = _line(text, prop)
    scale = prop.get_size_in_points() * dpi / 72 / _REF
    return line.advance * scale, (line.ymax - line.ymin) * scale, -line.ymin * scale


def clear_cache() -> None:
    """Forget the laid-out lines (glyph outlines are kept: they are the fonts', read once)."""
    _LINES.clear()


class TextRenderer(RendererAgg):
    """``RendererAgg`` whose plain text is measured and drawn from cached glyph outlines."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        return line_metrics(s, prop, self.dpi)

    def _get_font_height_metrics(self, prop):
        """The hook ``Text._get_layout`` (matplotlib >= 3.11) asks before reading the font's tables itself."""
        heights = _prop_faces(prop)[0].heights()
        if heights is None:
            return None, None, None
        px = prop.get_size_in_points() * self.dpi / 72
        return heights[0] * px, heights[1] * px, heights[2] * px

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        line = _line(s, prop)
        if not len(line.path.vertices):
            return None
        scale = prop.get_size_in_points() * self.dpi / 72 / _REF
        transform = Affine2D().scale(scale).rotate_deg(angle).translate(x, self.height - y)
        gc.set_linewidth(0.0)
        gc.set_snap(False)  # straight-edged glyphs (l, T, —) stay where the font puts them
        self.draw_path(gc, line.path, transform, rgbFace=gc.get_rgb())
        return None


class _Canvas(FigureCanvasAgg):
    def get_renderer(self, *args, **kwargs):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key or not isinstance(getattr(self, "renderer", None), TextRenderer):
            self.renderer = TextRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def canvas(fig) -> FigureCanvasAgg:
    """Attach to ``fig`` an Agg canvas that draws its text with :class:`TextRenderer`."""
    return _Canvas(fig)
