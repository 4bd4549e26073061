"""``sidecar-lab lab``: the learner's own workspace, the JupyterLab command it runs, and the language it opens.

What JupyterLab then does with the command (the workspace served, a save landing there) is proven in a real
browser by tests/test_browser.py; here the workspace and the command line themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar_lab.cli import main
from sidecar_lab.core.resources import notebooks_dir
from sidecar_lab.course import lab

pytest.importorskip("jupyterlab")

ROOT = Path(__file__).resolve().parent.parent
COURSE = sorted(p.name for p in (notebooks_dir() / "en").glob("[0-9][0-9]-*.ipynb"))


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.delenv("SIDECAR_LAB_LANG", raising=False)
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", [])


def test_the_workspace_holds_the_course_and_what_it_reads_and_nothing_of_the_builder(tmp_path):
    ws = lab.prepare_workspace(tmp_path / "course", "en")
    shown = sorted(p.name for p in ws.path.iterdir() if not p.name.startswith("."))
    assert shown == sorted(COURSE + ["data"])  # what the file browser shows
    assert (ws.path / "data" / "seed" / "steps" / "06-workload-hosts" / "sidecars.yaml").is_file()
    assert not list(ws.path.rglob("build.py")) and not (ws.path / "course").exists()
    for name in COURSE:
        assert digest(ws.path / name) == digest(notebooks_dir() / "en" / name)


def test_closing_a_notebook_tab_shuts_its_kernel_down_by_the_workspaces_own_setting(tmp_path):
    ws = lab.prepare_workspace(tmp_path / "course", "en")
    settings = json.loads((ws.settings_dir / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings")
                          .read_text())
    assert settings["kernelShutdown"] is True
    cmd, _ = lab.lab_command(workspace=ws.path, lang="en")
    assert f"--LabApp.user_settings_dir={ws.settings_dir.resolve()}" in cmd


def test_a_second_run_keeps_the_learners_work(tmp_path):
    first = lab.prepare_workspace(tmp_path / "course", "en")
    edited = first.path / COURSE[2]
    edited.write_text("my work")
    (first.path / COURSE[3]).unlink()  # deleted on purpose: not brought back behind the learner's back
    again = lab.prepare_workspace(tmp_path / "course", "en")
    assert not again.created and again.added == []
    assert edited.read_text() == "my work" and not (first.path / COURSE[3]).exists()


def test_reset_restores_the_pristine_course_and_keeps_the_edited_copies_aside(tmp_path):
    ws = lab.prepare_workspace(tmp_path / "course", "en")
    (ws.path / COURSE[2]).write_text("my work")
    (ws.path / "data" / "seed" / "cluster" / "sleep.yaml").write_text("# edited\n")
    (ws.path / "notes.ipynb").write_text("mine")  # the learner's own file
    (ws.path / COURSE[4]).unlink()
    done = lab.reset_workspace(ws.path, "en")
    assert sorted(done.moved_aside) == sorted([COURSE[2], "data/seed/cluster/sleep.yaml"])
    assert done.aside is not None and (done.aside / COURSE[2]).read_text() == "my work"
    assert (done.aside / "data" / "seed" / "cluster" / "sleep.yaml").read_text() == "# edited\n"
    for name in COURSE:
        assert digest(ws.path / name) == digest(notebooks_dir() / "en" / name)
    assert (ws.path / "notes.ipynb").read_text() == "mine"
    assert "kept in" in done.summary()


@pytest.mark.parametrize("where", ["notebooks/en", "data", "sidecar_lab", "course", "."])
def test_a_workspace_is_never_put_in_the_package_or_the_repositorys_course(where, capsys):
    target = ROOT / where / ("sidecar-lab-course" if where != "." else "")
    code, out, err = run(capsys, ["lab", "--print-command", "--workspace", str(target)])
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert not (ROOT / where / "sidecar-lab-course").exists()


def test_a_folder_that_is_not_a_workspace_is_left_alone(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("do not touch")
    code, out, err = run(capsys, ["lab", "--print-command", "--workspace", str(tmp_path / "mine")])
    assert code == 2 and "not a sidecar-lab workspace" in err and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path / "mine")) == ["thesis.txt"]


def test_the_server_is_local_with_a_token_whatever_the_users_jupyter_config_says(tmp_path):
    cmd, _ = lab.lab_command(workspace=tmp_path / "course", lang="en")
    assert "--ServerApp.ip=127.0.0.1" in cmd
    tokens = [a for a in cmd if a.startswith("--IdentityProvider.token=")]
    assert len(tokens) == 1 and len(tokens[0].split("=", 1)[1]) >= 32
    other, _ = lab.lab_command(workspace=tmp_path / "course", lang="en")
    assert [a for a in other if "token" in a] != tokens  # a new one each time


def test_jupyter_options_after_the_double_dash_pass_through_and_replace_ours(tmp_path, capsys):
    code, out, err = run(capsys, ["lab", "--print-command", "--workspace", str(tmp_path / "c"), "--",
                                  "--ServerApp.ip=0.0.0.0", "--IdentityProvider.token=abc", "--ServerApp.port_retries=0"])
    assert code == 0
    args = out.split()
    assert args[-3:] == ["--ServerApp.ip=0.0.0.0", "--IdentityProvider.token=abc", "--ServerApp.port_retries=0"]
    assert "--ServerApp.ip=127.0.0.1" not in args and not any(a.startswith("--IdentityProvider.token=") and
                                                               a != "--IdentityProvider.token=abc" for a in args)


def test_a_jupyter_option_without_the_double_dash_is_one_error_line(capsys):
    code, out, err = run(capsys, ["lab", "--ServerApp.ip=0.0.0.0"])
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_the_korean_edition_opens_its_own_workspace(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, ["lab", "--print-command", "--lang", "ko"])
    assert code == 0 and "sidecar-lab-course-ko" in out, err


def test_an_installation_without_an_editions_notebooks_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    bundled = tmp_path / "notebooks"
    (bundled / "ko").mkdir(parents=True)  # a broken install: the folder is there, its notebooks are not
    monkeypatch.setattr(lab, "notebooks_dir", lambda: bundled)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, ["lab", "--print-command", "--lang", "ko"])
    assert code == 2 and err.startswith("error: the Korean (한국어) edition of the course is missing from this "
                                        "installation"), err
    assert err.count("\n") == 1 and not (tmp_path / "sidecar-lab-course-ko").exists()


def test_sidecar_lab_lang_picks_the_edition(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIDECAR_LAB_LANG", "ko")
    code, out, err = run(capsys, ["lab", "--print-command"])
    assert code == 0 and "sidecar-lab-course-ko" in out, err
    code, out, err = run(capsys, ["lab", "--print-command", "--lang", "en"])
    assert code == 0 and str(tmp_path / "sidecar-lab-course") in out


def test_without_a_hangul_font_the_korean_lab_warns_once(capsys, monkeypatch):
    monkeypatch.setattr("sidecar_lab.course.figures.hangul_font", lambda: None)
    lab._warn_without_hangul_font("ko")
    lab._warn_without_hangul_font("en")
    err = capsys.readouterr().err
    assert err.count("warning: no font with Hangul glyphs") == 1 and "fonts-nanum" in err


def test_the_real_command_prints_the_command_for_the_workspace(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SIDECAR_LAB_LANG"}
    done = subprocess.run([sys.executable, "-m", "sidecar_lab", "lab", "--print-command", "--no-browser"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"--ServerApp.root_dir={tmp_path / 'sidecar-lab-course'}" in done.stdout
    assert (tmp_path / "sidecar-lab-course" / COURSE[0]).is_file()


def _commands(readme: str, start: str, end: str) -> list[str]:
    """The shell lines of a README's section (its ```sh blocks), in order."""
    section = readme[readme.index(start):readme.index(end)]
    return [line for block in re.findall(r"```sh\n(.*?)```", section, re.S) for line in block.splitlines() if line]


QUICK_START = ["python3 -m venv .venv && . .venv/bin/activate", 'pip install -e ".[lab]" && sidecar-lab lab',
               'pip install -e ".[test]" && python -m pytest']


def test_the_readme_quick_start_makes_a_venv_then_runs_the_two_commands_as_ci_does():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _commands(readme, "## Quick start", "## The course") == QUICK_START
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in ci and "\npython -m pytest\n" in ci


def test_the_korean_readme_quick_start_has_the_same_commands_word_for_word_and_opens_the_korean_edition():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    korean = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    commands = _commands(korean, "## 빠르게 시작하기", "## 과정 구성")
    assert [c for c in commands if c != "sidecar-lab lab --lang ko"] == _commands(readme, "## Quick start", "## The course")
    assert commands.index("sidecar-lab lab --lang ko") == commands.index(QUICK_START[1]) + 1
    # each README names the other at its top
    assert "[README.ko.md](README.ko.md)" in readme.split("\n## ")[0]
    assert "[README.md](README.md)" in korean.split("\n## ")[0]
    # its course table has a row for each notebook of the Korean edition
    rows = re.findall(r"^\| (\d\d) ", korean[korean.index("## 과정 구성"):], re.M)
    assert rows == [p.name[:2] for p in sorted((notebooks_dir() / "ko").glob("[0-9][0-9]-*.ipynb"))]


def test_a_notebook_of_ones_own_opens_where_it_is_with_jupyter_options_after_the_double_dash(tmp_path, capsys):
    own = tmp_path / "mine.ipynb"
    own.write_text("{}")
    code, out, err = run(capsys, ["lab", str(own), "--print-command", "--", "--ServerApp.port_retries=0"])
    assert code == 0 and f"--ServerApp.root_dir={tmp_path}" in out and out.split()[-1] == "--ServerApp.port_retries=0"
    assert str(own) in out.split() and "--ServerApp.ip=127.0.0.1" in out
