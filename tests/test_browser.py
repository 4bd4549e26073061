"""Notebook 02 in a real browser: Debian's Chromium, driven by Playwright, against JupyterLab, Notebook 7
and Voilà.

What a learner does: open the notebook, wait for the kernel, run every cell, flip the namespace
Sidecar of the PrecedenceExplorer, and see the figure and the verdict table change, in JupyterLab and
in Notebook 7. The same notebook served as an app by Voilà renders and answers too.

Locally a test skips when Chromium (``apt-get install chromium``), Playwright or its server (JupyterLab,
Notebook 7, Voilà) is missing. In CI (``CI=true``) a missing piece fails it: ``.ci/run`` installs all of them.
Every wait is bounded and the servers are always stopped. docs/testing.md, "Real-browser tests", has
the recipe.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from sidecar_lab.core.resources import notebooks_dir

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Only this machine's servers: a page that reaches for a CDN fails at once instead of waiting.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
NOTEBOOK = "02-*.ipynb"
# The PrecedenceExplorer as the page shows it (classes set in sidecar_lab/course/widgets.py and by ipywidgets):
NAMESPACE_TOGGLE = ".sidecar-lab-namespace-toggle"  # the namespace-level Sidecar's Checkbox
FIGURE = "img.widget-image"  # the precedence ladder, an ipywidgets Image
VERDICTS = "table.sidecar-lab-verdicts"  # one row per request: verdict, Envoy, what curl prints, why
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SERVER_START_S = 60  # until the server answers HTTP
PAGE_MS = 60_000  # page load, kernel Idle, the widget rendered (kernel start plus every cell)
CHANGE_MS = 20_000  # after the toggle, until the figure and the table have changed
STOP_S = 10  # after SIGTERM, before SIGKILL


# --- what the tests need ------------------------------------------------------------------------

def _missing(*modules: str) -> list[str]:
    """What is missing of the browser, the kernel side and ``modules`` (a server); ``notebook`` must be 7+."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    for module in ("playwright", "ipywidgets", "ipykernel", *modules):
        if importlib.util.find_spec(module) is None:
            missing.append(f"{module} (pip install -e '.[test]')")
        elif module == "notebook" and int(importlib.metadata.version("notebook").split(".")[0]) < 7:
            missing.append("notebook>=7, not the classic notebook (pip install -e '.[test]')")
    return missing


def _require(*modules: str) -> None:
    """Skip the test when something is missing; in CI fail it instead."""
    missing = _missing(*modules)
    if not missing:
        return
    message = "real-browser tests need " + ", ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; in CI they must run (.ci/run installs them)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def requirements() -> None:
    _require()


# --- servers ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Server:
    """A server process in its own process group, with its log; ``stop()`` ends it and its kernels."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path,
                 port: int, token: str):
        self.name, self.port, self.token, self.log = name, port, token, log
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def wait_until_answering(self, path: str) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before answering:\n{_tail(self.log)}",
                            pytrace=False)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", path)
                if conn.getresponse().status < 500:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.25)
        pytest.fail(f"{self.name} did not answer on port {self.port} within {SERVER_START_S}s:\n{_tail(self.log)}",
                    pytrace=False)

    def _descendants(self) -> list:
        try:
            import psutil  # ipykernel's dependency, so present wherever the kernels are
            return psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:  # noqa: BLE001 - already gone, or no psutil: the group kill below still runs
            return []

    def stop(self) -> None:
        # Kernels start in process groups of their own: note them now, end any the server leaves behind.
        children = self._descendants()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_S)
        for child in children:
            with contextlib.suppress(Exception):
                if child.is_running():
                    child.kill()
        self._log_file.close()


def _jupyter_env(tmp: Path) -> dict[str, str]:
    dirs = {name: tmp / name for name in ("runtime", "config", "ipython", "matplotlib")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTER_CONFIG_DIR=str(dirs["config"]),
               IPYTHONDIR=str(dirs["ipython"]), MPLCONFIGDIR=str(dirs["matplotlib"]), PYTHONUNBUFFERED="1")
    return env


def _copy_course(tmp_path_factory) -> Path:
    """A copy of the course notebooks: the servers may write checkpoints and outputs there."""
    copy = tmp_path_factory.mktemp("course") / "notebooks"
    shutil.copytree(notebooks_dir(), copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return copy


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return _copy_course(tmp_path_factory)


@pytest.fixture(scope="module")
def notebook(course) -> Path:
    found = sorted(course.glob(NOTEBOOK))
    assert len(found) == 1, f"expected one notebook {NOTEBOOK} in {notebooks_dir()}, found {[p.name for p in found]}"
    return found[0]


def _lab_settings(settings: Path) -> None:
    """User settings for a quiet, fully rendered notebook: no news prompt, no virtualised cells."""
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # Windowing leaves cells far below the viewport unrendered; a learner scrolls, the test looks.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextlib.contextmanager
def _jupyter_server(name: str, module: str, app: str, root: Path, tmp: Path, *options: str):
    """``python -m <module>`` (JupyterLab or Notebook 7, both JupyterLab-based apps configured through ``app``)
    serving ``root``, isolated in ``tmp``, with the app exposed as ``window.jupyterapp``; always stopped."""
    settings, workspaces = tmp / "settings", tmp / "workspaces"
    workspaces.mkdir()
    _lab_settings(settings)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", module, "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
           f"--{app}.workspaces_dir={workspaces}", f"--{app}.user_settings_dir={settings}",
           f"--{app}.expose_app_in_browser=True", *options,
           # A safety net should a run be killed before the finalizer: the server ends itself.
           "--ServerApp.shutdown_no_activity_timeout=900", "--MappingKernelManager.cull_idle_timeout=900"]
    server = Server(name, cmd, env=_jupyter_env(tmp), cwd=tmp, log=tmp / f"{module}.log", port=port, token=token)
    try:
        server.wait_until_answering(f"/api/status?token={token}")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab(requirements, course, tmp_path_factory):
    _require("jupyterlab")
    with _jupyter_server("JupyterLab", "jupyterlab", "LabApp", course, tmp_path_factory.mktemp("lab"),
                         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                         "--LabApp.extension_manager=readonly") as server:
        yield server


@pytest.fixture()
def notebook7(requirements, tmp_path_factory):
    """Notebook 7 on a copy of the course of its own: JupyterLab may save 02 with its outputs into ``course``,
    and stored execution counts would pass for cells that ran. (Notebook 7 has no news or update check.)"""
    _require("notebook")
    with _jupyter_server("Notebook 7", "notebook", "JupyterNotebookApp", _copy_course(tmp_path_factory),
                         tmp_path_factory.mktemp("notebook7")) as server:
        yield server


@pytest.fixture()
def voila(requirements, notebook, tmp_path_factory):
    _require("voila")
    tmp = tmp_path_factory.mktemp("voila")
    port, token = _free_port(), secrets.token_hex(16)
    # Voilà does not refuse root; it takes the token as an identity-provider setting.
    cmd = [sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
           f"--Voila.token={token}", "--show_tracebacks=True", str(notebook)]
    server = Server("Voilà", cmd, env=_jupyter_env(tmp), cwd=notebook.parent, log=tmp / "voila.log",
                    port=port, token=token)
    try:
        server.wait_until_answering("/")  # a redirect to the login page is an answer, and starts no kernel
        yield server
    finally:
        server.stop()


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(requirements, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000}, timeout=PAGE_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(PAGE_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.problems = problems  # shown when a wait fails
    try:
        yield page
    finally:
        page.close()


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _diagnose(page, what: str, name: str) -> str:
    """The failure message: what did not happen, the screenshot, and any traceback the notebook shows."""
    errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText pre')
    texts = list(dict.fromkeys(t.strip()[-1500:] for t in errors.all_inner_texts()
                               if "Traceback" in t or "Error:" in t[:200]))
    shot = _screenshot(page, name)
    return "\n".join([f"{what}; screenshot {shot}", *texts[:3], *page.problems[:5]])


class Explorer:
    """The PrecedenceExplorer as a learner sees it: its output area, its figure, its verdict table."""

    # The seed step where the namespace Sidecar decides sleep's fate: istioinaction/default (ALLOW_ANY)
    # shadows the root's REGISTRY_ONLY, so switching it off blocks google.com.
    NAMESPACE_DECIDES = "03-namespace-allow-any"

    def __init__(self, page, name: str):
        self.page, self.name = page, name
        self.area = page.locator(".jp-OutputArea-output", has=page.locator(NAMESPACE_TOGGLE)).first
        self.figure = self.area.locator(FIGURE).first
        self.table = self.area.locator(VERDICTS).first
        self.toggle = self.area.locator(NAMESPACE_TOGGLE).first
        self.step_picker = self.area.locator("select").filter(
            has=page.locator("option", has_text=self.NAMESPACE_DECIDES)).first

    def wait_rendered(self) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

        try:
            self.toggle.wait_for(state="attached")
            self.area.scroll_into_view_if_needed()
            expect(self.figure).to_be_visible()
            expect(self.figure).to_have_attribute("src", re.compile(r"\S"))
            expect(self.table).to_be_visible()
            return
        except (PlaywrightTimeout, AssertionError) as exc:
            problem = f"the PrecedenceExplorer did not render: {str(exc).splitlines()[0]}"
        pytest.fail(_diagnose(self.page, problem, self.name), pytrace=False)

    def state(self) -> tuple[str, str]:
        return self.figure.get_attribute("src") or "", self.table.inner_text()

    def verdicts(self) -> dict[str, str]:
        """Target -> verdict, from the table rows' ``data-target`` and ``data-verdict``."""
        rows = self.table.locator("tr[data-verdict]")
        return dict(zip(rows.evaluate_all("rs => rs.map(r => r.dataset.target)"),
                        rows.evaluate_all("rs => rs.map(r => r.dataset.verdict)")))

    def go_to_the_step_where_the_namespace_decides(self) -> bool:
        """Pick that seed step when the explorer shows the seed at another one; False if it cannot."""
        if not self.step_picker.count() or not self.step_picker.is_visible():
            return False
        if self.step_picker.evaluate("s => s.options[s.selectedIndex] && s.options[s.selectedIndex].text") \
                != self.NAMESPACE_DECIDES:
            before = self.state()
            self.step_picker.select_option(label=self.NAMESPACE_DECIDES)
            self.wait_changed(before, "picking step " + self.NAMESPACE_DECIDES)
        return True

    def flip_namespace_sidecar(self) -> None:
        box = self.toggle.locator("input[type=checkbox]")
        (box.first if box.count() else self.toggle).click()

    def wait_changed(self, before: tuple[str, str], after_what: str) -> tuple[str, str]:
        """Poll until both the figure and the table differ from ``before`` (the kernel updates them one by one)."""
        deadline = time.monotonic() + CHANGE_MS / 1000
        now = self.state()
        while (now[0] == before[0] or now[1] == before[1]) and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            now = self.state()
        if now[0] == before[0] or now[1] == before[1]:
            unchanged = " and ".join(what for what, b, n in (("the figure", before[0], now[0]),
                                                            ("the verdict table", before[1], now[1])) if b == n)
            pytest.fail(_diagnose(self.page, f"{after_what} left {unchanged} unchanged after {CHANGE_MS / 1000:.0f}s",
                                  self.name), pytrace=False)
        return now

    def check_the_namespace_toggle(self) -> None:
        """Flip the namespace Sidecar: the figure and the table change; at the step where it decides, so does
        google.com's verdict (the root's REGISTRY_ONLY takes over)."""
        decides = self.go_to_the_step_where_the_namespace_decides()
        before, verdicts_before = self.state(), self.verdicts()
        self.flip_namespace_sidecar()
        after = self.wait_changed(before, "flipping the namespace Sidecar")
        assert after[0] != before[0], "the figure did not change"
        assert after[1] != before[1], "the verdict table did not change"
        if decides:
            google = "http://google.com"
            # the table's last update may still be on its way
            deadline = time.monotonic() + CHANGE_MS / 1000
            while self.verdicts().get(google) != "BLOCKED" and time.monotonic() < deadline:
                self.page.wait_for_timeout(100)
            assert (verdicts_before.get(google), self.verdicts().get(google)) == ("PASSTHROUGH", "BLOCKED"), (
                verdicts_before, self.verdicts())


def _run_all(page) -> None:
    """Run > Run All Cells: the application's command, or the menu when the app is not exposed."""
    if page.evaluate("() => Boolean(window.jupyterapp)"):
        # Not awaited: the command's promise settles only when the last cell has run, and evaluate() has no
        # timeout of its own; the bounded waits below watch the cells instead.
        page.evaluate("() => { window.jupyterapp.commands.execute('runmenu:run-all').catch(() => {}); }")
        return
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _wait_every_cell_ran(page, failure: str) -> None:
    """Run All reached the last cell: every code cell shows an execution count and none shows a traceback."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        # Done, or stopped at an error (Run All stops there): either way no cell is queued or running.
        outcome = page.wait_for_function("""() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
            const failed = [...document.querySelectorAll('.jp-NotebookPanel [data-mime-type="application/vnd.jupyter.stderr"]')]
                .some(o => o.textContent.includes('Traceback'));
            if (failed && !prompts.some(p => p.textContent.includes('*'))) return 'error';
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)) && 'done';
        }""", timeout=PAGE_MS).json_value()
        problem = None if outcome == "done" else "a cell raised, so Run All stopped there"
    except PlaywrightTimeout as exc:
        problem = f"Run All did not reach the last cell within {PAGE_MS // 1000}s: {str(exc).splitlines()[0]}"
    if problem:
        prompts = " ".join(t.strip() for t in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts())
        pytest.fail(_diagnose(page, f"{problem}\nprompts: {prompts}", failure), pytrace=False)


def _lab_kernel_idle(page) -> None:
    """JupyterLab's status bar reads ``Python 3 (ipykernel) | Idle``."""
    from playwright.sync_api import expect

    expect(page.locator(".jp-NotebookPanel")).to_be_visible()
    expect(page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle\s*$"))
           ).to_be_visible()


def _notebook7_kernel_idle(page) -> None:
    """Notebook 7 has no kernel item in its status bar, and its top-bar indicator (``.jp-NotebookKernelStatus``)
    is blank both when the kernel is idle and when it is busy: ask the exposed app's session instead."""
    from playwright.sync_api import expect

    expect(page.locator(".jp-NotebookPanel")).to_be_visible()
    page.wait_for_function("""() => {
        const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return Boolean(panel && panel.sessionContext && panel.sessionContext.session
                       && panel.sessionContext.kernelDisplayStatus === 'idle');
    }""", timeout=PAGE_MS)


def _run_02_and_check_the_namespace_toggle(page, server: Server, path: str, kernel_idle, name: str) -> None:
    """Open 02 at ``path``, wait for ``kernel_idle``, Run All, flip the namespace toggle, screenshot ``name``.png;
    a failure saves ``name``-failure.png."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    failure = f"{name}-failure.png"
    page.goto(server.url(path), wait_until="domcontentloaded")
    problem = None
    try:
        # Run All only once the kernel is Idle: sent while it starts, it can be lost or queued behind a prompt.
        kernel_idle(page)
    except (PlaywrightTimeout, AssertionError) as exc:
        problem = f"the kernel never showed Idle: {str(exc).splitlines()[0]}\n{_tail(server.log)}"
    if problem:
        pytest.fail(_diagnose(page, problem, failure), pytrace=False)
    _run_all(page)

    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    explorer.check_the_namespace_toggle()
    _screenshot(page, f"{name}.png")
    _wait_every_cell_ran(page, failure)


# --- the tests ----------------------------------------------------------------------------------

def test_lab_runs_notebook_02_and_the_namespace_toggle_changes_figure_and_verdicts(lab, notebook, page):
    _run_02_and_check_the_namespace_toggle(page, lab, f"lab/tree/{quote(notebook.name)}", _lab_kernel_idle,
                                           "browser-02")


def test_notebook7_runs_02_and_responds_to_the_namespace_toggle(notebook7, notebook, page):
    _run_02_and_check_the_namespace_toggle(page, notebook7, f"notebooks/{quote(notebook.name)}",
                                           _notebook7_kernel_idle, "browser-02-notebook7")


def test_voila_renders_notebook_02_and_answers_the_namespace_toggle(voila, page):
    page.goto(voila.url(), wait_until="domcontentloaded")  # Voilà runs the notebook as the page streams in
    explorer = Explorer(page, "browser-02-voila-failure.png")
    explorer.wait_rendered()
    explorer.check_the_namespace_toggle()
    _screenshot(page, "browser-02-voila.png")
