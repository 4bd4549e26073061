"""The course notebooks: built from their Markdown sources, stored clean, shaped as the course promises,
the same in every edition, and runnable top to bottom.

* every notebook of every edition (``notebooks/<lang>/``) is stored without outputs and execution counts, and
  equals what ``course/build.py`` writes from ``course/<lang>/``;
* every edition has the English edition's structure (code cells, tags, exercises, solutions, traps), and the
  structure check fails on a broken edition;
* each has objectives and time first, predictions, 2-4 exercises with hidden solutions, "common traps"
  linked to Istio (or Kiali) issues, and the credit to the post;
* each runs headless with nbclient (cells tagged ``skip-execution`` left out), without an error, with its
  widget state saved, no answer revealed and no exercise in an error state — the whole course in under three
  minutes per edition;
* notebook 07's live cells run against ``tests/fakekube.py`` loaded with the seed lab (and,
  without a cluster, print how to get one instead of failing);
* the exercise checks of :mod:`sidecar_lab.course.exercises` answer right answers with ✔, wrong and
  malformed ones with a hint, untouched starting answers with a neutral "your turn", and never raise.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
import time
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("jupytext")

from sidecar_lab.course import exercises as ex  # noqa: E402
from sidecar_lab.course.exercises import Feedback  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SEED = ROOT / "data" / "seed"
EDITIONS = sorted(p.name for p in NOTEBOOKS.iterdir() if p.is_dir() and any(p.glob("[0-9][0-9]-*.ipynb")))
#: "en/00-start-here.ipynb", ... for every edition
NAMES = sorted(str(p.relative_to(NOTEBOOKS)) for p in NOTEBOOKS.glob("*/[0-9][0-9]-*.ipynb"))
LIVE_TAG = "skip-execution"
HEADLESS_BUDGET_S = 180.0
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ISSUE_LINK = re.compile(r"https://github\.com/(istio/[\w.-]+|kiali/kiali)/(issues|pull)/\d+")
CHECK_CALL = re.compile(r"\bex\.check_\w+\(")
PREDICTION = re.compile(r"\bPredictReveal\(|\bpredict\.\w+\(")


def _load_build():
    spec = importlib.util.spec_from_file_location("course_build", ROOT / "course" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _load_build()


def read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def text_of(nb, kind: str | None = None) -> str:
    return "\n".join(c.source for c in nb.cells if kind is None or c.cell_type == kind)


def role(nb, name: str) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("role") == name]


# ---------------------------------------------------------------------------------------------
# (a) stored clean, and as the builder writes them from the sources


def test_the_english_edition_is_there_and_every_edition_has_ten_numbered_notebooks():
    assert "en" in EDITIONS
    for lang in EDITIONS:
        names = sorted(p.name for p in (NOTEBOOKS / lang).glob("[0-9][0-9]-*.ipynb"))
        assert [n[:2] for n in names] == [f"{i:02d}" for i in range(10)], lang
        assert names == sorted(p.stem + ".ipynb" for p in BUILD.sources(lang)), lang
    assert EDITIONS == sorted(BUILD.editions())


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs_or_execution_counts(name):
    nb = read(name)
    nbformat.validate(nb)
    for cell in code_cells(nb):
        assert cell.outputs == [], f"{name} cell {cell.id} has outputs"
        assert cell.execution_count is None, f"{name} cell {cell.id} has an execution count"
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    assert "widgets" not in nb.metadata


def test_notebooks_are_what_the_builder_writes():
    built = BUILD.build()
    stored = {str(p.relative_to(NOTEBOOKS)) for p in NOTEBOOKS.glob("*/[0-9][0-9]-*.ipynb")}
    assert set(built) == stored, "run python course/build.py: notebooks without a source, or sources not built"
    stale = [name for name, text in built.items() if (NOTEBOOKS / name).read_text(encoding="utf-8") != text]
    assert not stale, f"run python course/build.py: {stale} differ from their sources"
    assert subprocess.run([sys.executable, str(ROOT / "course" / "build.py"), "--check"], cwd=ROOT,
                          capture_output=True).returncode == 0


# ---------------------------------------------------------------------------------------------
# (b) every edition has the source edition's structure; the check can fail


@pytest.mark.parametrize("lang", BUILD.editions())
def test_every_edition_has_the_english_structure(lang):
    sources = BUILD.sources(lang)
    assert sources
    for path in sources:
        source = BUILD.read_source(BUILD.COURSE / BUILD.SOURCE_LANG / path.name)
        assert BUILD.structure_problems(source, BUILD.read_source(path), lang) == [], path


SOURCE_MD = textwrap.dedent('''\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---

    +++ {"role": "header"}

    # 99 · A fixture

    ```{code-cell}
    :id: setup

    import sidecar_lab as sl

    sl.set_language("en")  # this edition's language
    ```

    Run this.

    ```{code-cell}
    :id: exercise-tie
    :tags: [demo]

    answer = ""  # "allow" or "restrict"
    ex.check_tie_break(answer)
    ```

    +++ {"solution": "tie"}

    Same second: the name decides.

    +++ {"role": "traps"}

    ## Common traps

    - **Ties.** By name. ([istio/istio#18468](https://github.com/istio/istio/issues/18468))
    ''')

#: A faithful translation: other prose, comments translated, a code cell left empty, its own language.
TRANSLATED = (SOURCE_MD.replace("Run this.", "실행하세요.").replace("Same second: the name decides.", "이름으로 정합니다.")
              .replace("# this edition's language", "# 이 판의 언어").replace('sl.set_language("en")', 'sl.set_language("ko")')
              .replace('answer = ""  # "allow" or "restrict"\nex.check_tie_break(answer)\n', "")
              .replace("## Common traps", "## 흔한 함정"))
BROKEN = [
    # situation, (old, new) applied to the faithful translation, what the check must say
    ("a code cell changed", ("import sidecar_lab as sl", "import sidecar_lab as lab"), "code cell 'setup'"),
    ("a code cell missing", ("```{code-cell}\n:id: exercise-tie\n:tags: [demo]\n\n```\n", ""), "is missing"),
    ("other tags", (":tags: [demo]", ":tags: [other]"), "tags ['other']"),
    ("another solution", ('"solution": "tie"', '"solution": "curl_exit"'), "solution"),
    ("a trap link lost", ("(https://github.com/istio/istio/issues/18468)", ""), "traps"),
    ("the wrong language set", ('sl.set_language("ko")', 'sl.set_language("en")'), "code cell 'setup'"),
]


def _nb(text: str):
    return BUILD.jupytext.reads(text, fmt="md:myst")


def test_a_faithful_translation_has_the_same_structure():
    assert BUILD.structure_problems(_nb(SOURCE_MD), _nb(TRANSLATED), "ko") == []


@pytest.mark.parametrize("situation,edit,said", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_edition_fails_the_structure_check(situation, edit, said):
    broken = TRANSLATED.replace(*edit)
    assert broken != TRANSLATED
    problems = BUILD.structure_problems(_nb(SOURCE_MD), _nb(broken), "ko")
    assert problems and any(said in p for p in problems), problems


def test_the_builder_refuses_a_broken_edition_and_fills_an_empty_code_cell(tmp_path):
    for lang, text in (("en", SOURCE_MD), ("ko", TRANSLATED)):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "99-fixture.md").write_text(text, encoding="utf-8")
    built = BUILD.build(tmp_path)
    ko = nbformat.reads(built["ko/99-fixture.ipynb"], as_version=4)
    code = {c.id: c.source for c in ko.cells if c.cell_type == "code"}
    assert 'sl.set_language("ko")' in code["setup"] and "# 이 판의 언어" in code["setup"]
    assert code["exercise-tie"].endswith("ex.check_tie_break(answer)")  # the source's code, filled in
    assert "<summary>풀이</summary>" in text_of(ko) and "이름으로 정합니다." in text_of(ko)
    (tmp_path / "ko" / "99-fixture.md").write_text(TRANSLATED.replace("import sidecar_lab as sl", "import os"))
    with pytest.raises(BUILD.BuildError, match="differs in structure"):
        BUILD.build(tmp_path)


def test_a_new_edition_starts_from_the_english_prose_with_empty_code_cells(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "99-fixture.md").write_text(SOURCE_MD, encoding="utf-8")
    (tmp_path / "en" / "_credit.md").write_text("credit\n", encoding="utf-8")
    BUILD.new_edition("ko", tmp_path)
    started = _nb((tmp_path / "ko" / "99-fixture.md").read_text(encoding="utf-8"))
    assert all(not c.source.strip() for c in started.cells if c.cell_type == "code")
    assert (tmp_path / "ko" / "_credit.md").is_file()
    assert BUILD.structure_problems(_nb(SOURCE_MD), started, "ko") == []


# ---------------------------------------------------------------------------------------------
# (c) the shape every notebook promises


@pytest.mark.parametrize("name", NAMES)
def test_first_cell_states_objectives_and_time(name):
    first = read(name).cells[0]
    assert first.cell_type == "markdown" and first.metadata.get("role") == "header"
    # "about 15 minutes", "약 15분": Korean writes 15분 with no space, and Hangul is a word character
    assert re.search(r"(?<!\d)\d+\s*(minutes|분)", first.source.split("\n\n")[1]), "the time, in minutes, after the title"
    assert "\n- " in first.source, "the objectives, as a list"
    if name.startswith("en/"):
        assert "**Time:** about" in first.source and "**Objectives**" in first.source


@pytest.mark.parametrize("name", NAMES)
def test_credit_cell_links_the_blog_and_its_licence(name):
    cells = [c.source for c in read(name).cells if c.cell_type == "markdown" and "https://www.handongbee.com/" in c.source]
    assert len(cells) == 1
    credit = cells[0]
    assert "istio sidecar 자세히 살펴보기" in credit
    assert "CC BY 4.0" in credit and "https://creativecommons.org/licenses/by/4.0/" in credit


@pytest.mark.parametrize("name", NAMES)
def test_common_traps_link_the_issues_they_come_from(name):
    cells = role(read(name), "traps")
    assert len(cells) == 1
    items = [line for line in cells[0].source.splitlines() if line.startswith("- ")]
    assert items, "no trap listed"
    for item in items:
        assert ISSUE_LINK.search(item), f"trap without an istio/kiali issue link: {item[:80]}"


@pytest.mark.parametrize("name", NAMES)
def test_exercises_are_checked_and_their_solutions_hidden(name):
    nb = read(name)
    calls = [c for c in code_cells(nb) if CHECK_CALL.search(c.source)]
    solutions = [c for c in nb.cells if c.cell_type == "markdown" and "solution" in c.metadata]
    if "/00-" in f"/{name}":
        assert not calls
        return
    assert 2 <= len(calls) <= 4, f"{name}: {len(calls)} exercises"
    assert len(solutions) == len(calls)
    for cell in solutions:
        assert cell.source.startswith("<details><summary>") and ex.SOLUTIONS[cell.metadata["solution"]].strip() in cell.source
    for cell in calls:  # no bare assertion: the check's Feedback is the cell's result
        assert "assert " not in cell.source
        assert CHECK_CALL.search(cell.source.strip().splitlines()[-1]), "the check must end the cell"


def test_every_solution_is_shown_in_a_notebook():
    shown = {c.metadata["solution"] for name in NAMES for c in read(name).cells if "solution" in c.metadata}
    assert shown == set(ex.SOLUTIONS)


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_asks_for_a_prediction_with_a_click(name):
    source = text_of(read(name), "code")
    assert PREDICTION.search(source) or "/07-" in f"/{name}", name
    assert "my_prediction" not in source and "ex.reveal(" not in source


@pytest.mark.parametrize("name", [n for n in NAMES if n.split("/")[1][:2] in ("02", "03", "04", "05")])
def test_notebooks_that_follow_the_blog_quote_its_section_titles(name):
    assert re.search(r'\*\*"[^"]*[가-힣a-z ]+"\*\*', read(name).cells[0].source)


HANGUL = re.compile("[가-힣]")
#: The Korean notebooks already translated (their title is Korean): what is left of English prose shows up here.
KOREAN_DONE = [n for n in NAMES if n.startswith("ko/") and HANGUL.search(read(n).cells[0].source.splitlines()[0])]


@pytest.mark.parametrize("name", KOREAN_DONE)
def test_a_translated_korean_notebook_has_no_english_prose_cell_left(name):
    """Every Markdown cell says something in Korean: a solution's *why* (its code and the builder's 풀이
    aside), the traps, the credit; a cell left in English is one the translator missed."""
    for cell in read(name).cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```.*?```", "", cell.source, flags=re.S).replace("<summary>풀이</summary>", "")
        assert HANGUL.search(text), f"{name}: {cell.source[:120]!r}"


@pytest.mark.parametrize("lang", EDITIONS)
def test_live_cells_are_tagged_and_guarded(lang):
    nb = read(f"{lang}/07-live.ipynb")
    live = [c for c in code_cells(nb) if LIVE_TAG in c.metadata.get("tags", [])]
    assert len(live) >= 4
    for cell in live:
        assert "ClusterError" in cell.source or "NO_CLUSTER" in cell.source or "No walkthrough" in cell.source
    untagged = [c for c in code_cells(nb) if LIVE_TAG not in c.metadata.get("tags", [])]
    assert not any("LiveCluster" in c.source for c in untagged), "an untagged cell talks to a cluster"
    assert 'os.environ.get("SIDECAR_LAB_KUBECONFIG")' in text_of(nb, "code")


@pytest.mark.parametrize("name", NAMES)
def test_the_setup_cell_sets_the_editions_language(name):
    setup = next(c for c in code_cells(read(name)) if c.id == "setup")
    assert f'sl.set_language("{name.split("/")[0]}")' in setup.source


@pytest.mark.parametrize("key", sorted(ex.SOLUTIONS))
def test_every_hidden_solution_passes_its_check(key):
    namespace = {"ex": ex}
    *body, last = ex.SOLUTIONS[key].strip().splitlines()
    exec("\n".join(body), namespace)  # noqa: S102 - our own solution text
    feedback = eval(last, namespace)  # noqa: S307
    assert isinstance(feedback, Feedback) and feedback.ok, feedback.text()


# ---------------------------------------------------------------------------------------------
# (d) every notebook runs headless, top to bottom


_TIMES: dict[str, float] = {}


@lru_cache(maxsize=None)
def executed(name: str):
    nb = read(name)
    nb.cells = [c for c in nb.cells if LIVE_TAG not in c.metadata.get("tags", [])]
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                                     resources={"metadata": {"path": str((NOTEBOOKS / name).parent)}})
    start = time.monotonic()
    client.execute()
    _TIMES[name] = time.monotonic() - start
    return nb


def errors_of(nb) -> list[str]:
    return [f"{c.get('id')}: {o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def shows_widgets(nb) -> bool:
    return any(WIDGET_MIME in o.get("data", {}) for c in code_cells(nb) for o in c.get("outputs", []))


@pytest.fixture(autouse=False)
def no_cluster(monkeypatch):
    monkeypatch.delenv("SIDECAR_LAB_KUBECONFIG", raising=False)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom_headless_and_reveals_no_answer(name, no_cluster):
    nb = executed(name)
    assert not errors_of(nb)
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    if shows_widgets(nb):
        assert state.get("state"), f"{name} shows widgets but no widget state was stored"
    everything = json.dumps(state) + json.dumps([c.get("outputs", []) for c in code_cells(nb)])
    assert "sidecar-lab-answer" not in everything, "Run All revealed a prediction's answer"
    assert "No prediction recorded" not in everything
    for cell in code_cells(nb):  # every exercise answered in the neutral "your turn": the answers are untouched
        if CHECK_CALL.search(cell.source):
            html = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
            assert "data-state='todo'" in html and "\u2718" not in html, f"{name} {cell.id}: {html[:200]}"
        if PREDICTION.search(cell.source):
            assert "sidecar-lab-your-turn" in everything


@pytest.mark.parametrize("name", [n for n in NAMES if n.split("/")[1][:2] in ("01", "02", "03", "04")])
def test_widget_notebooks_store_widget_state(name, no_cluster):
    nb = executed(name)
    assert shows_widgets(nb)
    assert nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]


def test_the_whole_course_runs_headless_in_under_three_minutes(capsys, no_cluster):
    for name in NAMES:
        executed(name)
    total = max(sum(t for n, t in _TIMES.items() if n.startswith(f"{lang}/")) for lang in EDITIONS)
    lines = ["headless run of the course (nbclient, one kernel per notebook):"]
    lines += [f"  {name}: {_TIMES[name]:.1f} s" for name in NAMES] + [f"  total: {total:.1f} s"]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert total < HEADLESS_BUDGET_S, "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# (d) notebook 07 against a fake API server loaded with the seed lab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakekube import FakeKube  # noqa: E402

GOOGLE_301 = ('<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n'
              "<TITLE>301 Moved</TITLE></HEAD><BODY>\n<H1>301 Moved</H1>\nThe document has moved\n"
              '<A HREF="http://www.google.com/">here</A>.\r\n</BODY></HTML>\n')
PROGRESS = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
            "                                 Dload  Upload   Total   Spent    Left  Speed\n"
            "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n")


def _ready(pod: dict, ip: str) -> dict:
    names = [c["name"] for c in pod["spec"]["containers"]]
    pod["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                     "containerStatuses": [{"name": n, "ready": True} for n in names]}
    return pod


def _proxy() -> dict:
    return {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.0"}


def _httpbin_pod(namespace: str, ip: str, injected: bool) -> dict:
    containers = [{"name": "httpbin", "image": "docker.io/mccutchen/go-httpbin:v2.15.0",
                   "ports": [{"containerPort": 8080}]}]
    if injected:
        containers.append(_proxy())
    return _ready({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "httpbin-7d9f6c8b5-x2kq4", "namespace": namespace,
                                "labels": {"app": "httpbin", "version": "v1"}},
                   "spec": {"serviceAccountName": "httpbin", "containers": containers}}, ip)


class BlogCluster:
    """The seed lab in a FakeKube; ``curl`` in a pod answers what the blog post observed at the step whose
    Sidecars are in the cluster (``pilot-agent`` answers growing xDS counters)."""

    def __init__(self, kube: FakeKube) -> None:
        self.kube = kube
        self.pushes = 0
        self.curls: list[tuple[str, str]] = []
        from sidecar_lab.live.compare import walkthrough_steps

        self.steps = list(walkthrough_steps())
        self.observations = yaml.safe_load((SEED / "observations.yaml").read_text(encoding="utf-8"))
        kube.install_istio_crds()
        for path in sorted((SEED / "cluster").glob("*.yaml")):
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
            for doc in docs:
                if doc["kind"] == "Pod" and doc["metadata"]["name"] == "sleep":
                    doc["spec"]["containers"].append(_proxy())
                    _ready(doc, "10.10.0.14")
                kube.add(doc)
        kube.add(_httpbin_pod("istioinaction", "10.10.0.21", injected=True))
        kube.add(_httpbin_pod("default", "10.10.0.30", injected=False))
        kube.exec_handler = self.exec

    def current_step(self) -> str | None:
        stored = sorted((s["metadata"]["namespace"], s["metadata"]["name"], json.dumps(s.get("spec"), sort_keys=True))
                        for s in self.kube.list_objects("sidecars"))
        for step in self.steps:
            wanted = sorted(((s["metadata"].get("namespace") or "default"), s["metadata"]["name"],
                             json.dumps(s.get("spec"), sort_keys=True)) for s in step.sidecars)
            if wanted == stored:
                return step.name
        return None

    def exec(self, namespace, pod, container, command):
        if command and command[0] == "pilot-agent":
            self.pushes += 1
            return (f"cluster_manager.cds.update_success: {self.pushes}\n"
                    f"listener_manager.lds.update_success: {self.pushes}\n", "", 0)
        if not command or command[0] != "curl":
            return "", f"{command[0] if command else 'sh'}: not found\n", 127
        url, args = command[-1], command[1:-1]
        step = self.current_step()
        self.curls.append((step, url))
        for obs in self.observations:
            if obs.get("kind") == "request" and obs["step"] == step and obs["from"] == f"{namespace}/{pod}" \
                    and obs["to"] == url:
                seen = obs["observed"]
                if seen["prints"] == "origin":
                    return f'{{\n  "origin": "{seen["origin"]}:43905"\n}}\n', "", 0
                if seen["prints"] == "google-301":
                    return GOOGLE_301, "", 0
                return "", ("" if "-s" in args else PROGRESS), 0
        return "", "curl: (7) Failed to connect (no observation for this request in the fake)\n", 7


def _run_live_notebook(monkeypatch, kubeconfig: str, lang: str = "en"):
    monkeypatch.setenv("SIDECAR_LAB_KUBECONFIG", kubeconfig)
    nb = read(f"{lang}/07-live.ipynb")  # every cell, the skip-execution ones included
    # nbclient itself skips cells tagged skip-execution: name another tag so that every cell runs.
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=True,
                                     skip_cells_with_tag="sidecar-lab-never-skip",
                                     resources={"metadata": {"path": str(NOTEBOOKS / lang)}})
    client.execute()
    return nb


def _outputs(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for mime in ("text/markdown", "text/plain", "text/html"):
            if mime in o.get("data", {}):
                parts.append(o["data"][mime])
    return "".join(parts)


#: What notebook 07's live cells say, by edition: (no cluster, how to get one, all match, the table's header,
#: the blog agrees, no results yet).
LIVE_WORDS = {
    "en": ("No cluster reachable", "kind create cluster", "all match",
           "| step | request | prediction | observation | match | the blog |", "agrees", "No walkthrough results yet"),
    "ko": ("연결할 수 있는 클러스터가 없습니다", "kind create cluster", "모두 일치",
           "| 단계 | 요청 | 예측 | 관찰 | 일치 | 블로그 |", "같음", "아직 단계별 결과가 없습니다"),
}


@pytest.mark.parametrize("lang", [e for e in EDITIONS if e in LIVE_WORDS])
def test_live_notebook_replays_the_blog_against_a_fake_cluster(monkeypatch, tmp_path, lang):
    pytest.importorskip("kubernetes")
    unreachable, _, all_match, header, agrees, _ = LIVE_WORDS[lang]
    with FakeKube() as kube:
        lab = BlogCluster(kube)
        nb = _run_live_notebook(monkeypatch, str(kube.write_kubeconfig(tmp_path / "kubeconfig")), lang)
        assert not errors_of(nb), errors_of(nb)
        assert not kube.errors, kube.errors
        live = [c for c in code_cells(nb) if LIVE_TAG in c.metadata.get("tags", [])]
        connect, deploy, walk, table, cleanup = live
        assert unreachable not in _outputs(connect)
        assert "Kubernetes API" in _outputs(connect)
        assert "MISMATCH" not in _outputs(walk) and _outputs(walk).count(all_match) == 6
        text = _outputs(table)
        assert header in text
        rows = [line for line in text.splitlines() if line.startswith("| 0")]
        assert len(rows) == 11 and all("✔" in r and agrees in r for r in rows)
        assert "Sidecar istio-system/default" in _outputs(cleanup)
        assert not kube.list_objects("sidecars"), "cleanup left Sidecars behind"
        assert {step for step, _ in lab.curls} == {s.name for s in lab.steps}


@pytest.mark.parametrize("lang", [e for e in EDITIONS if e in LIVE_WORDS])
def test_live_cells_without_a_cluster_print_how_to_get_one(monkeypatch, tmp_path, lang):
    unreachable, how, _, _, _, no_results = LIVE_WORDS[lang]
    nb = _run_live_notebook(monkeypatch, str(tmp_path / "missing-kubeconfig"), lang)
    assert not errors_of(nb), errors_of(nb)
    live = [c for c in code_cells(nb) if LIVE_TAG in c.metadata.get("tags", [])]
    assert unreachable in _outputs(live[0]) and how in _outputs(live[0])
    assert "Traceback" not in "".join(_outputs(c) for c in live)
    assert no_results in _outputs(live[3])


# ---------------------------------------------------------------------------------------------
# sidecar_lab.course.exercises: right -> ✔, wrong -> hint, malformed -> hint, never raises

S = ex.STARTERS
RIGHT = sorted(ex.SOLUTIONS.items())

#: (check, args) of answers that are wrong: each is a placeholder a notebook ships, or a tempting mistake.
WRONG = [
    (ex.check_fix_typo, (S["fix_typo"],)),
    (ex.check_fix_typo, (S["fix_typo"].replace("egres:", "egress:").replace("run: sleep", "run: nobody"),)),
    (ex.check_fix_short_hosts, (S["fix_short_hosts"],)),
    (ex.check_fix_short_hosts, (S["fix_short_hosts"].replace('"istioinaction/httpbin"', '"*/*"')
                                .replace('    - "default/httpbin"\n', ""),)),
    (ex.check_root_default, (S["root_default"],)),
    (ex.check_root_default, (S["fix_typo"].replace("egres:", "egress:"),)),
    (ex.check_governing_sidecar, ("istioinaction/httpbin", "istio-system/default")),
    (ex.check_governing_sidecar, ("istioinaction/sleep", "istioinaction/default")),
    (ex.check_tie_break, ("restrict",)),
    (ex.check_keep_registry_only, (S["keep_registry_only"],)),
    (ex.check_curl_exit, ("https://google.com", 0)),
    (ex.check_curl_exit, ("http://google.com", 52)),
    (ex.check_empty_policy, ("ALLOW_ANY",)),
    (ex.check_open_for_sleep, (S["open_for_sleep"],)),
    (ex.check_egress_host, ("default/httpbin",)),
    (ex.check_egress_host, ("*/*",)),
    (ex.check_egress_host, ("istioinaction/httpbin.default.svc.cluster.local",)),
    (ex.check_service_entry, (S["service_entry"],)),
    (ex.check_firewall_verdict, ("BLOCKED",)),
    (ex.check_client_address, ("10.96.200.10:80",)),
    (ex.check_client_address, ("127.0.0.1:8080",)),
    (ex.check_port_pool, (1024,)),
    (ex.check_default_endpoint, (S["default_endpoint"],)),
    (ex.check_find_the_bug, (S["find_the_bug"],)),
    (ex.check_analyze_code, ("KIA0004",)),
    (ex.check_analyze_code, ("IST0110",)),
    (ex.check_root_selector_fix, (S["root_selector_fix"],)),
    (ex.check_live_prediction, ("root-registry-only-google", "PASSTHROUGH")),
    (ex.check_cluster_count, (16,)),
    (ex.check_minimal_sidecar, (S["minimal_sidecar"],)),
    (ex.check_push_fanout, (5,)),
    (ex.check_first_match, ("v1",)),
    (ex.check_first_match, ("outbound|8000|v3|httpbin.istioinaction.svc.cluster.local",)),
    (ex.check_weighted_split, (S["weighted_split"],)),
    (ex.check_weighted_split, (S["weighted_split"].replace("subset: v1", "subset: v3"),)),
    (ex.check_weighted_split, (S["weighted_split"].replace("name: httpbin", "name: canary"),)),
    (ex.check_route_import, ("istioinaction/httpbin.istioinaction.svc.cluster.local",)),
    (ex.check_route_import, ("*/*",)),
]

YAML_CHECKS = [ex.check_fix_typo, ex.check_fix_short_hosts, ex.check_root_default, ex.check_keep_registry_only,
               ex.check_open_for_sleep, ex.check_service_entry, ex.check_default_endpoint, ex.check_find_the_bug,
               ex.check_root_selector_fix, ex.check_minimal_sidecar, ex.check_weighted_split]
VALUE_CHECKS = [ex.check_tie_break, ex.check_empty_policy, ex.check_egress_host, ex.check_firewall_verdict,
                ex.check_client_address, ex.check_port_pool, ex.check_analyze_code, ex.check_cluster_count,
                ex.check_push_fanout, ex.check_first_match, ex.check_route_import]
MALFORMED_YAML = ["", "   \n# only a comment\n", "spec: [unclosed", "apiVersion: v1\nkind: Sidecar\nmetadata: {name: x}\n",
                  "- just\n- a list\n", None, 42, {"kind": "Sidecar"}, b"bytes"]
MALFORMED_VALUES = [None, "", "   ", 3.5, ["a"], {"x": 1}, object(), "definitely not an answer"]


@pytest.mark.parametrize("key,code", RIGHT, ids=[k for k, _ in RIGHT])
def test_exercise_check_accepts_the_right_answer(key, code):
    namespace = {"ex": ex}
    *body, last = code.strip().splitlines()
    exec("\n".join(body), namespace)  # noqa: S102
    feedback = eval(last, namespace)  # noqa: S307
    assert feedback.ok and bool(feedback)
    assert feedback.text().startswith("\u2714")
    assert feedback.exercise.startswith("check_")


@pytest.mark.parametrize("check,args", WRONG, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(WRONG)])
def test_exercise_check_answers_a_wrong_answer_with_a_hint(check, args):
    feedback = check(*args)
    assert isinstance(feedback, Feedback)
    assert not feedback.ok and not bool(feedback)
    if ex._untouched(check.__name__, args, {}):  # what the notebook ships: the learner's turn, not an error
        assert feedback.state == "todo" and feedback.text().startswith("\u270e Your turn")
        assert "data-state='todo'" in feedback._repr_html_() and "\u2718" not in feedback._repr_html_()
    else:
        assert feedback.state == "hint" and feedback.message.startswith("Not yet")
        assert feedback.text().startswith("\u2718")


STARTING = [(ex.check_fix_typo, ex.STARTERS["fix_typo"]), (ex.check_egress_host, "default/httpbin"),
            (ex.check_port_pool, 1024), (ex.check_tie_break, ""), (ex.check_cluster_count, None),
            (ex.check_minimal_sidecar, ex.STARTERS["minimal_sidecar"]),
            (ex.check_weighted_split, ex.STARTERS["weighted_split"]), (ex.check_first_match, ""),
            (ex.check_route_import, "")]


@pytest.mark.parametrize("check,answer", STARTING, ids=[c.__name__ for c, _ in STARTING])
def test_an_untouched_starting_answer_is_the_learners_turn_not_an_error(check, answer):
    assert check(answer).state == "todo"
    edited = check(answer + "\n# edited" if isinstance(answer, str) and answer.strip() else "nonsense")
    assert edited.state == "hint" if not isinstance(answer, str) or answer.strip() else edited.state in ("hint", "todo")


@pytest.mark.parametrize("check", YAML_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", MALFORMED_YAML, ids=range(len(MALFORMED_YAML)))
def test_exercise_check_answers_malformed_yaml_with_a_hint(check, answer):
    feedback = check(answer)
    assert isinstance(feedback, Feedback) and not feedback.ok
    # empty: the learner's turn; anything else malformed: a hint
    assert feedback.message.startswith("Not yet") or (feedback.state == "todo" and ex._untouched(check.__name__,
                                                                                               (answer,), {}))


@pytest.mark.parametrize("check", VALUE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", MALFORMED_VALUES, ids=range(len(MALFORMED_VALUES)))
def test_exercise_check_answers_a_malformed_value_with_a_hint(check, answer):
    feedback = check(answer)
    assert isinstance(feedback, Feedback)
    if check is ex.check_port_pool and answer is None:
        assert feedback.ok  # "not set" is the right answer there
    else:
        assert not feedback.ok


@pytest.mark.parametrize("args", [("nobody/nothing", "x"), (None, None), ("istioinaction/sleep", 3),
                                  ("istioinaction/sleep", "default")])
def test_governing_sidecar_check_never_raises(args):
    feedback = ex.check_governing_sidecar(*args)
    assert isinstance(feedback, Feedback) and not feedback.ok


@pytest.mark.parametrize("args", [("not a url", 0), ("https://google.com", "thirty-five"), (None, None)])
def test_curl_exit_check_never_raises(args):
    assert not ex.check_curl_exit(*args).ok


@pytest.mark.parametrize("args", [("no-such-observation", "BLOCKED"), (None, "BLOCKED"),
                                  ("root-registry-only-google", 7)])
def test_live_prediction_check_never_raises(args):
    assert not ex.check_live_prediction(*args).ok


def test_feedback_shows_itself_as_text_and_html():
    right = ex.check_empty_policy("registry-only")
    wrong = ex.check_empty_policy("ALLOW_ANY")
    assert repr(right) == str(right) == right.text()
    assert right._repr_html_().count("\u2714") == 1 and "<li>" in right._repr_html_()
    assert "\u2718" in wrong._repr_html_() and "Not yet" in wrong._repr_html_()
    assert "<script" not in ex.check_root_default("<script>alert(1)</script>")._repr_html_()


def test_reveal_compares_a_prediction_with_the_simulator_and_hides_the_answer_without_one():
    import sidecar_lab

    result = sidecar_lab.check(ex.seed_simulator("02"), "istioinaction/sleep", "http://google.com")
    assert ex.reveal("blocked", result).ok
    assert not ex.reveal("ROUTED", result).ok
    untouched = ex.reveal("", result)
    assert untouched.state == "todo" and not untouched.details  # nothing spoiled: no verdict, no reasons
    assert "simulator says" not in untouched.text() and "curl" not in untouched.text()
    assert not ex.reveal("BLOCKED", "not a result").ok


def test_apply_text_keeps_an_edited_objects_creation_time_and_makes_a_new_one_newest():
    base = ex.seed_simulator("04")
    edited = ex.apply_text("04", S["open_for_sleep"])  # istioinaction/default, edited in place
    old = {s.ref: s for s in base.mesh.sidecars}
    new = {s.ref: s for s in edited.mesh.sidecars}
    ref = next(r for r in new if r.name == "default" and r.namespace == "istioinaction")
    assert new[ref].created == old[ref].created
    added = ex.apply_text("04", S["find_the_bug"])
    fresh = next(s for s in added.mesh.sidecars if s.name == "sleep-allow-any")
    assert fresh.created > max(s.created for s in base.mesh.sidecars)


def test_exercises_module_is_pure():
    code = ("import sys, sidecar_lab.course.exercises as e; e.check_empty_policy('x'); "
            "print([m for m in ('ipywidgets', 'IPython', 'matplotlib', 'kubernetes') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# the checks speak the language in force: every sentence of a check has a Korean entry


def _check_sentences() -> list[str]:
    """Every English template a check writes (an f-string's fields become {0}, {1}...), read from the source."""
    import ast

    package = ROOT / "sidecar_lab" / "course" / "exercises"
    trees = [ast.parse(f.read_text(encoding="utf-8")) for f in sorted(package.glob("*.py"))]

    def template(node) -> str:
        parts, n = [], 0
        for x in ([node.left, node.right] if isinstance(node, ast.BinOp) else [node]):
            values = x.values if isinstance(x, ast.JoinedStr) else [x]
            for v in values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(v.value.replace("{", "{{").replace("}", "}}"))
                else:
                    parts.append("{%d}" % n)
                    n += 1
        return "".join(parts)

    found = []
    for node in (n for tree in trees for n in ast.walk(tree)):
        args = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_hint", "_ok", "_loc"):
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_SCOPE_HINTS":
            args = node.value.values
        for arg in args:
            if isinstance(arg, ast.IfExp):
                continue  # its branches are _loc'd where they are built
            t = template(arg)
            if re.search(r"[A-Za-z]{3}", re.sub(r"\{\d+\}", "", t)):
                found.append(t)
    return found


def test_every_sentence_of_a_check_has_a_korean_entry():
    sentences = _check_sentences()
    assert len(sentences) > 100
    missing = sorted({s for s in sentences if s not in ex._KO})
    assert not missing, missing
    for english, korean in ex._KO.items():
        assert set(re.findall(r"\{\d+\}", korean)) <= set(re.findall(r"\{\d+\}", english)), english
        assert re.search(r"[가-힣]", korean) or korean in ("Sidecar", "ServiceEntry", "VirtualService"), english


def _admission_hints() -> list[str]:
    """Every hint core/validation.py writes after one of Istio's messages, as a template ({0}, {1}... for an
    f-string's fields): the ``hint=`` arguments, what is assigned to ``hint``, what ``_host_form_hint`` returns."""
    import ast

    tree = ast.parse((ROOT / "sidecar_lab" / "core" / "validation.py").read_text(encoding="utf-8"))

    def strings(node):
        if isinstance(node, ast.IfExp):
            yield from strings(node.body)
            yield from strings(node.orelse)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value.replace("{", "{{").replace("}", "}}")
        elif isinstance(node, ast.JoinedStr):
            fields = iter(range(100))
            yield "".join(v.value.replace("{", "{{").replace("}", "}}") if isinstance(v, ast.Constant)
                          else "{%d}" % next(fields) for v in node.values)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "hint":
            found += strings(node.value)
        elif isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "hint":
            found += strings(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name == "_host_form_hint":
            found += [t for r in ast.walk(node) if isinstance(r, ast.Return) and r.value for t in strings(r.value)]
    return found


def test_every_admission_hint_is_said_in_korean_with_its_values():
    """Istio's own message stays as kubectl prints it; the hint we add after it follows the language."""
    hints = _admission_hints()
    assert len(hints) >= 12, hints
    for template in hints:
        fields = re.findall(r"\{(\d+)\}", template)
        values = [f"value{n}x" for n in fields]
        english = template.format(*values)
        korean = ex.hint_text(english, "ko")
        assert re.search(r"[가-힣]", korean), english
        assert all(v in korean for v in values), (english, korean)
        assert ex.hint_text(english, "en") == english


def _tr_templates() -> list[str]:
    """Every template a notebook's code prints through ``tr("...")`` (sidecar_lab.course.words), read from the
    English sources' code cells."""
    import ast

    found = []
    for path in sorted((ROOT / "course" / "en").glob("[0-9][0-9]-*.md")):
        for cell in _nb(path.read_text(encoding="utf-8")).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "tr" and node.args:
                    arg = node.args[0]
                    branches = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                    found += [b.value for b in branches if isinstance(b, ast.Constant)]
    return found


def test_every_word_a_notebook_prints_through_tr_has_an_entry_in_every_edition():
    from sidecar_lab.course.words import WORDS

    templates = _tr_templates()
    gallery = re.search(r"gallery = \{(.*?)\n\}", (ROOT / "course" / "en" / "06-diagnostics.md").read_text(), re.S)
    templates += re.findall(r'^    "([^"]+)": ', gallery.group(1), re.M)  # tr(title) for title in gallery
    assert len(templates) > 20
    for lang in (e for e in EDITIONS if e != "en"):
        missing = sorted({t for t in templates if t not in WORDS.get(lang, {})})
        assert not missing, (lang, missing)
        for template in templates:
            said = WORDS[lang][template]
            assert _fields(said) == _fields(template), template
            assert re.search(r"[가-힣]", said) if lang == "ko" else said.strip(), template


def _fields(template: str) -> list[str]:
    import string

    return sorted(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


@pytest.fixture()
def korean(monkeypatch):
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])


def test_a_check_answers_in_korean_with_the_same_values(korean):
    wrong = ex.check_tie_break("restrict")
    assert wrong.message == "아직 아닙니다: restrict는 동률에서 집니다." and re.search(r"[가-힣]", wrong.details[0])
    right = ex.check_curl_exit("https://google.com", 35)
    assert right.ok and right.message == "curl https://google.com의 종료 코드는 35입니다."
    todo = ex.check_fix_typo(ex.STARTERS["fix_typo"])
    assert todo.state == "todo" and todo.message.startswith("여러분 차례입니다: kubectl apply가")
    assert "spec.egres" in todo.details[0]  # Istio's own words stay as Istio says them


def test_in_english_a_check_is_unchanged(monkeypatch):
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["en"])
    assert ex.check_tie_break("restrict").message == "Not yet: restrict loses the tie."
