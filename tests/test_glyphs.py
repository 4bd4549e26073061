"""The figures' text drawn from cached glyph outlines (``course.glyphs``) looks as matplotlib draws it.

The reference is matplotlib's own Agg rendering of the same Figure, unhinted (what the widgets showed):
the two are compared pixel by pixel, and the line metrics number by number. No timing here: the speed is
measured by ``benchmarks/figures.py`` and ``benchmarks/widget_latency.py``.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pytest

from sidecar_lab import Simulator, load
from sidecar_lab.core.traffic import check, matrix_targets

np = pytest.importorskip("numpy")
pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from sidecar_lab.course import figures as F  # noqa: E402
from sidecar_lab.course import glyphs  # noqa: E402

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
DPI = 96


def _figures(lang: str) -> dict:
    sim = Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]))
    res = sim.resolve("istioinaction/sleep")
    sources = [f"{w.namespace}/{w.name}" for w in sim.workloads()][:3]
    targets = matrix_targets(sim)[:4] + ["http://google.com"]
    cells = [[check(sim, s, t) for t in targets] for s in sources]
    return {
        "ladder": lambda: F.precedence_ladder(res, lang=lang),
        "matrix (slanted labels)": lambda: F.reachability_matrix(sources, targets, cells, lang=lang),
        "scope": lambda: F.scope_map(res, sim, lang=lang),
        "path": lambda: F.request_path(check(sim, "istioinaction/sleep", "http://httpbin.default:8000/ip"),
                                       lang=lang, full_trace=True),
    }


def _pixels_matplotlib(fig) -> np.ndarray:
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context({"text.hinting": "none"}):
        canvas.draw()
    return np.asarray(canvas.buffer_rgba()).astype(int)


def _pixels_glyphs(fig) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(F.to_png(fig, dpi=DPI))).convert("RGBA")).astype(int)


LANGS = ["en"] + (["ko"] if F.hangul_font() else [])
#: From 3.11 matplotlib places each glyph at its exact sub-pixel position and measures lines on the unhinted
#: outlines, as this renderer does; before, it drew each line's bitmap at a whole pixel and its line heights
#: came out a few percent taller, so its text may sit a pixel or two away from ours, lower down a paragraph.
RECENT = tuple(int(p) for p in re.findall(r"\d+", matplotlib.__version__)[:2]) >= (3, 11)
SLACK_PX = 0 if RECENT else 1
MEAN, FAR = (1.0, 0.005) if RECENT else (2.0, 0.01)


def _difference(ours: np.ndarray, theirs: np.ndarray, slack: int = SLACK_PX) -> np.ndarray:
    """Per pixel, how far ``ours`` is from ``theirs`` (the largest channel difference), at the best of the shifts of
    ``theirs`` by up to ``slack`` pixels each way."""
    best = None
    for dy in range(-slack, slack + 1):
        for dx in range(-slack, slack + 1):
            shifted = np.roll(theirs, (dy, dx), axis=(0, 1))
            diff = np.abs(ours - shifted).max(axis=2)
            best = diff if best is None else np.minimum(best, diff)
    return best


def _close(diff: np.ndarray) -> bool:
    # the same glyphs at the same places: anti-aliased edges differ by a few levels, nothing moves
    return diff.mean() < MEAN and (diff > 64).mean() < FAR


@pytest.mark.parametrize("lang", LANGS)
def test_glyphs_every_figure_looks_as_matplotlib_draws_it(lang):
    for name, make in _figures(lang).items():
        ours, theirs = _pixels_glyphs(make()), _pixels_matplotlib(make())
        assert ours.shape == theirs.shape, name
        diff = _difference(ours, theirs)
        assert _close(diff), (name, diff.mean(), (diff > 64).mean())


def test_glyphs_a_misplaced_line_would_be_seen_by_the_comparison():
    """The comparison above can fail: the same ladder with its text two pixels lower is far off."""
    make = _figures("en")["ladder"]
    fig = make()
    for text in fig.texts:
        x, y = text.get_position()
        text.set_position((x, y + (SLACK_PX + 2) / DPI))  # the sheet's inches, y down
    assert not _close(_difference(_pixels_glyphs(fig), _pixels_matplotlib(make())))


@pytest.mark.parametrize("family", [["DejaVu Sans"], ["DejaVu Sans", "NanumGothic"]])
@pytest.mark.parametrize("text", ["AVATAR To Ty", "istioinaction/workload", "lp", " x ", "—", "Sidecar 적용되는",
                                  "WAVE. Yo,"])
def test_glyphs_line_metrics_agree_with_matplotlib(family, text):
    if "NanumGothic" in family and F.hangul_font() != "NanumGothic":
        family = ["DejaVu Sans"] + ([F.hangul_font()] if F.hangul_font() else [])
    if not text.isascii() and len(family) == 1:
        text = "Sidecar"  # no Hangul font in the list: matplotlib would draw placeholder boxes
    props = FontProperties(family=family, size=9.5)
    with matplotlib.rc_context({"text.hinting": "none"}):
        w, h, d = RendererAgg(10, 10, DPI).get_text_width_height_descent(text, props, False)
    ow, oh, od = glyphs.line_metrics(text, props, DPI)
    assert ow == pytest.approx(w, rel=0.02, abs=0.2)  # kerning tables: a pixel in a hundred at most
    # heights: from 3.11 matplotlib measures the unhinted outlines too; before, a few percent more
    slack = 0.1 if SLACK_PX == 0 else 0.05 * h + 0.1
    assert oh == pytest.approx(h, abs=slack) and od == pytest.approx(d, abs=slack)


def _draw_one(text: str, family: list[str]) -> np.ndarray:
    fig = Figure(figsize=(2, 0.5), dpi=DPI)
    fig.text(0.05, 0.3, text, family=family, fontsize=14)
    canvas = glyphs.canvas(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.skipif(not F.hangul_font(), reason="no font with Hangul installed")
def test_glyphs_hangul_missing_from_the_first_family_comes_from_the_next_not_a_placeholder_box():
    hangul = F.hangul_font()
    fallback = _draw_one("한글", ["DejaVu Sans", hangul])
    assert (fallback == _draw_one("한글", [hangul])).all()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        boxes = _draw_one("한글", ["DejaVu Sans"])
    assert not (fallback == boxes).all()
    assert any("missing from font" in str(w.message) for w in seen)


def test_glyphs_mathtext_is_left_to_matplotlib():
    fig = Figure(figsize=(2, 0.6), dpi=DPI)
    fig.text(0.1, 0.3, r"$\sum x^2$", fontsize=14)
    ours = glyphs.canvas(fig)
    ours.draw()
    mine = np.asarray(ours.buffer_rgba()).copy()
    stock = FigureCanvasAgg(fig)
    stock.draw()
    assert (mine == np.asarray(stock.buffer_rgba())).all()
    assert mine.min() < 128  # something was drawn


def test_png_bytes_decode_to_the_pixels_they_were_given():
    from PIL import Image

    rng = np.random.default_rng(7)
    for shape in [(1, 1, 4), (3, 5, 4), (40, 17, 4)]:
        pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
        png = F.png_bytes(pixels, dpi=96)
        image = Image.open(io.BytesIO(png))
        assert image.mode == "RGBA" and (np.asarray(image) == pixels).all()
        assert round(image.info["dpi"][0]) == 96
