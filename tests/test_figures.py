"""Figures draw the core's results and nothing else: what a picture says is what the command says.

Headless (Agg, no pyplot). Texts are read back from the Figure's Text artists; cell glyphs of the
matrix carry a ``gid`` of ``cell:ROW:COL:VERDICT``. The catalog and purity tests need no matplotlib.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from builders import ns, pod, sidecar, sim as make_sim, svc
from sidecar_lab import Simulator, load
from sidecar_lab.core.messages import CATALOG, LABELS, label, reason_text
from sidecar_lab.core.traffic import check, matrix_targets

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
STEPS = sorted(p.name for p in (SEED / "steps").iterdir() if p.is_dir())
SLEEP = "istioinaction/sleep"
_SIMS: dict[str, Simulator] = {}


def seed(step: str) -> Simulator:
    if step not in _SIMS:
        _SIMS[step] = Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / step)]))
    return _SIMS[step]


@pytest.fixture(scope="module")
def F():
    pytest.importorskip("matplotlib")
    from sidecar_lab.course import figures

    return figures


def texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def squash(text: str) -> str:
    """Text without whitespace: wrapped lines compare equal to the sentence they came from."""
    return re.sub(r"\s+", "", text)


def shows(fig, sentence: str) -> bool:
    return squash(sentence) in squash(" ".join(texts(fig)))


# -- the message catalog -----------------------------------------------------------------------------------------

def _fields(template: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


@pytest.mark.parametrize("catalog", [CATALOG, LABELS], ids=["reasons", "labels"])
def test_catalog_every_english_key_has_a_korean_translation_with_the_same_placeholders(catalog):
    assert set(catalog["ko"]) == set(catalog["en"])
    for key, english in catalog["en"].items():
        korean = catalog["ko"][key]
        assert korean.strip(), key
        assert _fields(korean) == _fields(english), key


def test_catalog_korean_reasons_are_korean_and_fill_their_placeholders():
    text = reason_text("candidate.shadowed-older", {"winner": "ns/a"}, "ko")
    assert "ns/a" in text and re.search("[가-힣]", text)
    assert reason_text("candidate.selected-empty-selector", {}, "ko").startswith("workloadSelector: {}")


def test_catalog_labels_fall_back_to_english_and_to_the_key():
    assert label("stop.block-all", "fr") == "502 (empty body)"
    assert label("level.root", "ko") == "루트"
    assert label("no.such.label") == "no.such.label"
    assert label("panel.egress.port", "en", port=8000) == "port 8000"


# -- purity: the core never imports a face's heavy libraries -----------------------------------------------------

CORE_MODULES = ["sidecar_lab", "sidecar_lab.core.loader", "sidecar_lab.core.resolver", "sidecar_lab.core.traffic",
                "sidecar_lab.core.results", "sidecar_lab.core.render", "sidecar_lab.core.messages", "sidecar_lab.core.validation",
                "sidecar_lab.cli"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_purity_core_module_imports_no_plotting_widget_or_cluster_library(module):
    code = (f"import importlib, sys; import sidecar_lab; sidecar_lab.Simulator; importlib.import_module({module!r}); "
            "heavy = sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython', 'kubernetes') if m in sys.modules); "
            "print(','.join(heavy)); sys.exit(1 if heavy else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"{module} imports {run.stdout.strip()} {run.stderr[-500:]}"


# -- precedence ladder -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step", STEPS)
def test_figure_ladder_names_the_winner_and_every_loser_with_its_outcome(F, step):
    res = seed(step).resolve(SLEEP)
    fig = F.precedence_ladder(res)
    found = texts(fig)
    if res.sidecar is not None:
        assert str(res.sidecar) in found
        assert str(res.sidecar) in F.alt_text(fig)
    else:  # the built-in default is the winner
        assert shows(fig, res.scope_reason.text())
    assert label("outcome.selected") in found
    for c in res.candidates:
        assert str(c.sidecar) in found
        assert shows(fig, c.reason.text()), c
        if c.outcome != "selected":
            assert label(f"outcome.{c.outcome}") in found
    assert shows(fig, res.policy.mode) and res.policy.mode in F.alt_text(fig)
    assert fig.get_suptitle() and SLEEP in fig.get_suptitle()


def test_figure_ladder_says_where_the_policy_came_from_and_marks_implicit_egress(F):
    fig = F.precedence_ladder(seed("05-workload-allow-any").resolve(SLEEP))
    assert shows(fig, label("panel.policy.from-sidecar", detail="istioinaction/workload"))
    assert shows(fig, label("panel.egress.implicit"))
    fig = F.precedence_ladder(seed("06-workload-hosts").resolve(SLEEP))
    assert shows(fig, "istioinaction/*") and not shows(fig, label("panel.egress.implicit"))
    fig = F.precedence_ladder(seed("01-no-sidecar").resolve(SLEEP))
    assert shows(fig, label("panel.policy.from-mesh", detail="")[:-1])


@pytest.mark.parametrize("workload", ["istio-system/istio-ingressgateway", "default/httpbin"])
def test_figure_ladder_of_a_gateway_or_a_pod_without_sidecar_says_why_nothing_applies(F, workload):
    res = seed("06-workload-hosts").resolve(workload)
    assert res.candidates and all(c.outcome == "not-applicable" for c in res.candidates)
    fig = F.precedence_ladder(res)
    assert shows(fig, res.proxy_reason.text())
    assert texts(fig).count(label("outcome.not-applicable")) >= len(res.candidates)
    assert label("outcome.selected") not in texts(fig)
    assert res.proxy_reason.text() in F.alt_text(fig)


def _rejected_sim():
    return make_sim(ns("app"), ns("istio-system", injected=False), pod("sleep", "app", {"run": "sleep"}),
                    sidecar("broken", "app", egress=[{"hosts": ["no-slash"]}]),
                    sidecar("default", "istio-system", otp={"mode": "REGISTRY_ONLY"}))


def test_figure_ladder_strikes_through_a_rejected_sidecar(F):
    from matplotlib.lines import Line2D

    res = _rejected_sim().resolve("app/sleep")
    assert [c.outcome for c in res.candidates if str(c.sidecar) == "app/broken"] == ["rejected"]
    fig = F.precedence_ladder(res)
    assert label("outcome.rejected") in texts(fig)
    strikes = [ln for ln in fig.findobj(Line2D) if ln.get_gid() == "strike"]
    assert len(strikes) == 1
    xs, ys = strikes[0].get_data()
    assert xs[1] - xs[0] > 1.5 and ys[0] == ys[1]  # a horizontal line across the box
    assert "app/broken" in F.alt_text(fig) and "rejected" in F.alt_text(fig)


# -- reachability matrix -----------------------------------------------------------------------------------------

def _cells(fig) -> dict[tuple[int, int], tuple[str, str]]:
    from matplotlib.text import Text

    out = {}
    for t in fig.findobj(Text):
        gid = t.get_gid() or ""
        if gid.startswith("cell:"):
            _, i, j, verdict = gid.split(":")
            out[int(i), int(j)] = (verdict, t.get_text())
    return out


def test_figure_matrix_of_step_06_blocks_httpbin_default_and_routes_httpbin_istioinaction(F):
    s = seed("06-workload-hosts")
    targets = ["http://httpbin.default:8000/ip", "http://httpbin.istioinaction:8000/ip"]
    cells = [[check(s, SLEEP, t) for t in targets]]
    fig = F.reachability_matrix([SLEEP], targets, cells)
    assert _cells(fig) == {(0, 0): ("BLOCKED", F.GLYPHS["BLOCKED"]), (0, 1): ("ROUTED", F.GLYPHS["ROUTED"])}
    found = texts(fig)
    assert SLEEP in found and all(t in found for t in targets)
    alt = F.alt_text(fig)
    assert "BLOCKED" in alt and "ROUTED" in alt


@pytest.mark.parametrize("step", ["01-no-sidecar", "06-workload-hosts"])
def test_figure_matrix_every_cell_has_a_glyph_for_greyscale_readers(F, step):
    s = seed(step)
    sources = [f"{w.namespace}/{w.name}" for w in s.workloads()]
    targets = matrix_targets(s) + ["http://google.com"]
    cells = [[check(s, src, t) for t in targets] for src in sources]
    fig = F.reachability_matrix(sources, targets, cells)
    drawn = _cells(fig)
    assert len(drawn) == len(sources) * len(targets)
    for (i, j), (verdict, glyph) in drawn.items():
        assert verdict == cells[i][j].verdict.value
        assert glyph == F.GLYPHS[verdict] and glyph.strip()
    for verdict in F.GLYPHS:  # the legend names every verdict next to its glyph and colour
        assert label(f"verdict.{verdict}") in texts(fig)
    assert set(F.PALETTE) >= set(F.GLYPHS)


def test_figure_matrix_reads_at_fifteen_by_fifteen(F):
    s = seed("06-workload-hosts")
    base = check(s, SLEEP, "http://google.com")
    sources = [f"namespace-{i:02d}/workload-with-a-long-name-{i:02d}" for i in range(15)]
    targets = [f"http://service-{j:02d}.namespace-{j:02d}.svc.cluster.local:8080" for j in range(15)]
    fig = F.reachability_matrix(sources, targets, [[base] * 15 for _ in range(15)])
    assert len(_cells(fig)) == 225
    w, h = fig.get_size_inches()
    assert w <= 22 and h <= 16


# -- scope map ---------------------------------------------------------------------------------------------------

def test_figure_scope_map_marks_imported_and_not_imported_services_of_step_06(F):
    s = seed("06-workload-hosts")
    res = s.resolve(SLEEP)
    fig = F.scope_map(res, s)
    found = texts(fig)
    assert "istioinaction/workload" in " ".join(found)
    assert any(t.startswith("httpbin :8000") for t in found)
    assert shows(fig, label("scope.via", via="istioinaction/*"))
    assert shows(fig, label("legend.not-imported"))
    alt = F.alt_text(fig)
    assert "httpbin.istioinaction.svc.cluster.local" in alt and "1 imported" in alt


def test_figure_scope_map_tells_not_exported_from_not_imported(F):
    s = make_sim(ns("app"), ns("other"), pod("sleep", "app"), svc("private", "other", export_to="."),
                 svc("public", "other"), svc("mine", "app"), sidecar("default", "app", egress=[{"hosts": ["./*"]}]))
    res = s.resolve("app/sleep")
    fig = F.scope_map(res, s)
    alt = F.alt_text(fig)
    assert f"{label('legend.not-exported', namespace='app')}: private.other.svc.cluster.local" in alt
    assert f"{label('legend.not-imported')}: public.other.svc.cluster.local" in alt
    assert f"{label('legend.imported')}: mine.app.svc.cluster.local" in alt
    from matplotlib.patches import Rectangle

    hatches = {r.get_hatch() for r in fig.findobj(Rectangle) if r.get_hatch()}
    assert {F._HATCH["not-exported"], F._HATCH["not-imported"]} <= hatches  # not by colour alone


# -- request path ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step, source, target, verdict, stop", [
    ("06-workload-hosts", SLEEP, "http://httpbin.default:8000/ip", "BLOCKED", "stop.block-all"),
    ("06-workload-hosts", SLEEP, "http://google.com", "BLOCKED", "stop.blackhole"),
    ("06-workload-hosts", SLEEP, "http://httpbin.istioinaction:8000/ip", "ROUTED", "stop.reached"),
    ("03-namespace-allow-any", SLEEP, "http://google.com", "PASSTHROUGH", "stop.reached"),
    ("06-workload-hosts", SLEEP, "http://nosuch.default:8000", "DNS_FAILURE", "stop.dns"),
])
def test_figure_request_path_marks_the_stage_where_the_request_stops(F, step, source, target, verdict, stop):
    result = check(seed(step), source, target)
    assert result.verdict.value == verdict
    fig = F.request_path(result)
    assert shows(fig, label(stop))
    assert shows(fig, result.client_sees)
    for value in (result.envoy.listener, result.envoy.route, result.envoy.cluster):
        if value:
            assert shows(fig, value)
    alt = F.alt_text(fig)
    assert verdict in alt and result.client_sees in alt and label(stop) in alt


def test_figure_request_path_without_a_sidecar_has_no_envoy_stages(F):
    result = check(seed("06-workload-hosts"), "default/httpbin", "http://google.com")
    assert result.verdict.value == "DIRECT"
    fig = F.request_path(result)
    found = texts(fig)
    assert label("stage.listener").upper() not in found and label("stage.cluster").upper() not in found
    assert shows(fig, label("stage.no-envoy"))


def test_figure_request_path_lists_the_decisive_steps_or_the_whole_trace(F):
    result = check(seed("06-workload-hosts"), SLEEP, "http://httpbin.default:8000/ip")
    short, full = F.request_path(result), F.request_path(result, full_trace=True)
    for i, step in enumerate(result.steps, 1):
        assert shows(full, f"{i}. {step.text()}")
        assert shows(short, f"{i}. {step.text()}") == (step.key in F.DECISIVE_STEPS)
    assert any(step.key in F.DECISIVE_STEPS for step in result.steps)


# -- every figure ------------------------------------------------------------------------------------------------

def _all_figures(F, step: str, lang: str = "en") -> dict:
    s = seed(step)
    res = s.resolve(SLEEP)
    targets = ["http://httpbin.default:8000/ip", "http://google.com"]
    results = [check(s, SLEEP, t) for t in targets]
    return {
        "ladder": F.precedence_ladder(res, lang=lang),
        "matrix": F.reachability_matrix([SLEEP], targets, [results], lang=lang),
        "scope": F.scope_map(res, s, lang=lang),
        "path": F.request_path(results[0], lang=lang),
    }


def test_figure_changes_when_the_step_changes(F):
    before, after = _all_figures(F, "03-namespace-allow-any"), _all_figures(F, "06-workload-hosts")
    for name in before:
        assert F.to_png(before[name]) != F.to_png(after[name]), name
        assert texts(before[name]) != texts(after[name]), name
        assert F.alt_text(before[name]) != F.alt_text(after[name]), name


def test_figure_is_a_pure_function_of_its_result(F):
    one, two = _all_figures(F, "04-namespace-registry-only"), _all_figures(F, "04-namespace-registry-only")
    for name in one:
        png = F.to_png(one[name])
        assert png.startswith(b"\x89PNG") and png == F.to_png(two[name]), name
        assert F.alt_text(one[name]) == F.alt_text(two[name])


def test_figure_every_one_has_a_title_and_sentence_alt_text(F):
    for name, fig in _all_figures(F, "06-workload-hosts").items():
        assert fig.get_suptitle(), name
        alt = F.alt_text(fig)
        assert alt.endswith(".") and len(alt.split()) > 8, name


def test_figure_korean_falls_back_to_english_with_a_visible_note_when_no_font(F, monkeypatch):
    monkeypatch.setattr(F, "hangul_font", lambda: None)
    for name, fig in _all_figures(F, "06-workload-hosts", "ko").items():
        assert label("note.no-hangul-font") in texts(fig), name
        assert not any(re.search("[가-힣]", t) for t in texts(fig)), name
        assert label("alt.font-fallback") in F.alt_text(fig), name


def test_figure_korean_uses_korean_labels_and_the_hangul_font(F, monkeypatch):
    from matplotlib.text import Text

    monkeypatch.setattr(F, "hangul_font", lambda: "DejaVu Sans")  # any family: only the choice is tested here
    for name, fig in _all_figures(F, "06-workload-hosts", "ko").items():
        assert any(re.search("[가-힣]", t) for t in texts(fig)), name
        assert label("note.no-hangul-font") not in texts(fig)
        assert all(t.get_fontfamily()[0] == "DejaVu Sans" for t in fig.findobj(Text) if t.get_text())
    fig = F.precedence_ladder(seed("06-workload-hosts").resolve(SLEEP), lang="ko")
    assert label("outcome.selected", "ko") in texts(fig)
    assert shows(fig, seed("06-workload-hosts").resolve(SLEEP).candidates[1].reason.text("ko"))


def test_figure_korean_on_this_machine_is_korean_or_says_it_is_not(F):
    fig = F.precedence_ladder(seed("06-workload-hosts").resolve(SLEEP), lang="ko")
    if F.hangul_font():
        assert any(re.search("[가-힣]", t) for t in texts(fig))
    else:
        assert label("note.no-hangul-font") in texts(fig)


def test_figure_hangul_font_is_none_or_a_family_with_hangul_glyphs(F):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = F.hangul_font()
    if family is not None:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        assert FT2Font(path).get_char_index(ord("한"))
    assert "Last Resort" not in (family or "")


def test_figure_hangul_font_installed_after_matplotlibs_font_cache_is_found_after_a_kernel_restart(F, monkeypatch):
    """matplotlib reads its font list from a cache made on its first run: a font installed after that (the
    README's ``apt-get install fonts-nanum``) must still be found once the kernel restarts."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    def has_hangul(path: str) -> bool:
        try:
            return bool(FT2Font(path).get_char_index(ord("한")))
        except Exception:  # noqa: BLE001
            return False

    installed = [p for p in font_manager.findSystemFonts() if has_hangul(p)]
    if not installed:
        pytest.skip("no font with Hangul glyphs on this machine (.ci/run installs fonts-nanum)")
    # the cache as it was before the font was installed: no file with Hangul glyphs in it
    stale = [e for e in font_manager.fontManager.ttflist if not has_hangul(e.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    F.hangul_font.cache_clear()  # a restarted kernel
    try:
        family = F.hangul_font()
        assert family is not None
        assert family in {e.name for e in font_manager.fontManager.ttflist if e.fname in installed}
    finally:
        F.hangul_font.cache_clear()


LANGUAGE_CASES = [
    # (what set_language got, $SIDECAR_LAB_LANG, the language in force)
    (None, None, "en"),
    (None, "ko", "ko"),
    (None, "KO ", "ko"),
    (None, "fr", "en"),
    ("ko", None, "ko"),
    ("en", "ko", "en"),
]


@pytest.mark.parametrize("chosen, env, expected", LANGUAGE_CASES)
def test_the_language_in_force_follows_set_language_then_the_environment(chosen, env, expected, monkeypatch):
    import sidecar_lab
    from sidecar_lab.core import messages

    monkeypatch.setattr(messages, "_chosen", [])
    if env is None:
        monkeypatch.delenv(messages.LANGUAGE_ENV, raising=False)
    else:
        monkeypatch.setenv(messages.LANGUAGE_ENV, env)
    if chosen is not None:
        sidecar_lab.set_language(chosen)
    assert sidecar_lab.get_language() == expected
    assert reason_text("scope.none") == CATALOG[expected]["scope.none"]
    assert label("level.root") == LABELS[expected]["level.root"]


def test_an_unknown_language_is_a_usage_error_not_a_silent_fallback():
    import sidecar_lab

    with pytest.raises(sidecar_lab.UsageError, match="choose one of en, ko"):
        sidecar_lab.set_language("fr")
