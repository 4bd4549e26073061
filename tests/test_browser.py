"""The course in a real browser: Debian's Chromium, driven by Playwright, against ``sidecar-lab lab`` (JupyterLab),
Notebook 7 and Voilà, at 1280×800 with the file browser open.

What a learner does: run ``sidecar-lab lab``, open notebook 02 in the workspace it made, wait for the kernel,
run every cell (no prediction may show its answer), click a choice (now it does), flip the namespace Sidecar of
the PrecedenceExplorer and see the figure and the verdict table change, save (the save lands in the workspace,
never in the repository), close the tab (its kernel goes). Every output table fits its cell. The same notebook
in Notebook 7 and as a Voilà app answers too. A Korean study group runs ``sidecar-lab lab --lang ko``: the
Korean edition's 02 reads in Hangul, hides its answers, and its explorer answers a step and a toggle in Korean;
and an English explorer switched to 한국어 speaks Korean too. Notebook 04's release prediction answers with the
releases side by side in a table that fits; the Korean 09 hides its answers and explains one in Korean.

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
EDITION = "en"
# The PrecedenceExplorer as the page shows it (classes set in sidecar_lab/course/widgets.py and by ipywidgets):
NAMESPACE_TOGGLE = ".sidecar-lab-namespace-toggle"  # the namespace-level Sidecar's Checkbox
FIGURE = "img.widget-image"  # the precedence ladder, an ipywidgets Image
VERDICTS = "table.sidecar-lab-verdicts"  # one row per request: verdict, Envoy, what curl prints, why
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SERVER_START_S = 90  # until the server answers HTTP
PAGE_MS = 60_000  # page load, the widget rendered, Run All done (after the kernel is Idle)
KERNEL_MS = 180_000  # the first kernel on a cold machine: font cache, first imports (a session fixture warms them)
VIEWPORT = {"width": 1280, "height": 800}  # a laptop; the file browser stays open beside the notebook
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

    def url(self, path: str = "", *query: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?" + "&".join([f"token={self.token}", *query])

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


_SHARED: dict[str, Path] = {}  # the session's IPython and matplotlib dirs: warmed once, shared by every server


def _jupyter_env(tmp: Path) -> dict[str, str]:
    dirs = {name: tmp / name for name in ("runtime", "config")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTER_CONFIG_DIR=str(dirs["config"]),
               PYTHONUNBUFFERED="1", SIDECAR_LAB_KUBECONFIG=str(tmp / "no-kubeconfig"))
    env.pop("SIDECAR_LAB_LANG", None)
    env.pop("SIDECAR_LAB_REVEAL", None)
    env.pop("SIDECAR_LAB_VOTE", None)
    for name, var in (("ipython", "IPYTHONDIR"), ("matplotlib", "MPLCONFIGDIR")):
        shared = _SHARED.get(name) or tmp / name
        shared.mkdir(parents=True, exist_ok=True)
        env[var] = str(shared)
    return env


@pytest.fixture(scope="session", autouse=True)
def warm_caches(tmp_path_factory):
    """A cold machine (CI always is one) spends its first kernel start building matplotlib's font cache and
    compiling the widgets' imports: do that once here, in the directories every server's kernels will use, so
    that no page waits on it."""
    if _missing():
        return
    for name in ("ipython", "matplotlib"):
        _SHARED[name] = tmp_path_factory.mktemp(f"shared-{name}")
    env = _jupyter_env(tmp_path_factory.mktemp("warm"))
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager, ipykernel.kernelapp; "
                    "import sidecar_lab.course.widgets, sidecar_lab.course.predict; "
                    "from sidecar_lab.course.figures import hangul_font; hangul_font()"],
                   env=env, check=False, capture_output=True, timeout=300)


def _copy_course(tmp_path_factory) -> Path:
    """A copy of the English notebooks: the servers may write checkpoints and outputs there."""
    copy = tmp_path_factory.mktemp("course") / "notebooks"
    shutil.copytree(notebooks_dir() / EDITION, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return copy


def _lab_settings(settings: Path) -> None:
    """User settings for a quiet, fully rendered notebook: no news prompt, no virtualised cells."""
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        # Windowing leaves cells far below the viewport unrendered; a learner scrolls, the test looks.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "kernelShutdown": True},
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


_SAFETY = [  # should a run be killed before the finalizer: the server ends itself
    "--ServerApp.shutdown_no_activity_timeout=900", "--MappingKernelManager.cull_idle_timeout=900"]


@contextlib.contextmanager
def _jupyter_server(name: str, module: str, app: str, root: Path, tmp: Path, *options: str):
    """``python -m <module>`` (Notebook 7, a JupyterLab-based app configured through ``app``) serving ``root``,
    isolated in ``tmp``, with the app exposed as ``window.jupyterapp``; always stopped."""
    settings, workspaces = tmp / "settings", tmp / "workspaces"
    workspaces.mkdir()
    _lab_settings(settings)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", module, "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
           f"--{app}.workspaces_dir={workspaces}", f"--{app}.user_settings_dir={settings}",
           f"--{app}.expose_app_in_browser=True", *options, *_SAFETY]
    server = Server(name, cmd, env=_jupyter_env(tmp), cwd=tmp, log=tmp / f"{module}.log", port=port, token=token)
    try:
        server.wait_until_answering(f"/api/status?token={token}")
        yield server
    finally:
        server.stop()


def _sidecar_lab_command() -> list[str]:
    """The command a learner types: the ``sidecar-lab`` script installed beside this Python."""
    script = Path(sys.executable).parent / "sidecar-lab"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sidecar_lab"]


def _token_from_runtime(runtime: Path) -> str | None:
    """The token the server runs with, from its runtime file (what ``jupyter server list`` reads; JupyterLab's
    log masks it)."""
    for info in sorted(runtime.glob("jpserver-*.json")):
        with contextlib.suppress(OSError, ValueError):
            token = json.loads(info.read_text()).get("token")
            if token:
                return token
    return None


@contextlib.contextmanager
def _sidecar_lab(tmp_path_factory, name: str, *options: str):
    """``sidecar-lab lab [OPTIONS] --workspace W --no-browser --port N -- ...``: the real command, its own workspace
    and token (read back from the server's runtime file, as ``jupyter server list`` shows it); always stopped."""
    _require("jupyterlab")
    tmp = tmp_path_factory.mktemp(name)
    workspace = tmp / "sidecar-lab-course"
    port = _free_port()
    cmd = [*_sidecar_lab_command(), "lab", *options, "--workspace", str(workspace), "--no-browser", "--port", str(port),
           "--", "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True", *_SAFETY]
    server = Server(f"sidecar-lab lab {' '.join(options)}".strip(), cmd, env=_jupyter_env(tmp), cwd=tmp,
                    log=tmp / "lab.log", port=port, token="")
    try:
        server.wait_until_answering("/api/status")
        server.token = _token_from_runtime(tmp / "runtime") or ""
        assert len(server.token) >= 32, f"sidecar-lab lab runs without a token of its own:\n{_tail(server.log)}"
        # What the workspace's settings say stays; the test adds only that every cell is rendered.
        tracker = workspace / ".sidecar-lab" / "settings" / "@jupyterlab" / "notebook-extension" / \
            "tracker.jupyterlab-settings"
        written = json.loads(tracker.read_text())
        assert written.get("kernelShutdown") is True, written
        tracker.write_text(json.dumps({**written, "windowingMode": "none"}))
        server.workspace = workspace
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab(requirements, tmp_path_factory):
    """``sidecar-lab lab``: the English edition."""
    with _sidecar_lab(tmp_path_factory, "lab") as server:
        yield server


@pytest.fixture()
def lab_ko(requirements, tmp_path_factory):
    """``sidecar-lab lab --lang ko``: the Korean edition, as a Korean study group opens it."""
    with _sidecar_lab(tmp_path_factory, "lab-ko", "--lang", "ko") as server:
        yield server


@pytest.fixture()
def notebook7(requirements, tmp_path_factory):
    """Notebook 7 on a copy of the course of its own (and not ``sidecar-lab lab``'s workspace)."""
    _require("notebook")
    with _jupyter_server("Notebook 7", "notebook", "JupyterNotebookApp", _copy_course(tmp_path_factory),
                         tmp_path_factory.mktemp("notebook7")) as server:
        yield server


@pytest.fixture()
def voila(requirements, tmp_path_factory):
    _require("voila")
    tmp = tmp_path_factory.mktemp("voila")
    [notebook] = sorted(_copy_course(tmp_path_factory).glob(NOTEBOOK))
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
            args=CHROMIUM_ARGS, viewport=VIEWPORT, timeout=PAGE_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def page(browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=PAGE_MS)  # expect()'s own default is 5 s: too short for a cold JupyterLab page
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


def _element_screenshot(page, element, name: str) -> Path:
    """A screenshot of the whole of ``element`` at the same 1280 px width: the notebook scrolls inside its panel,
    so the page is made as tall as the element for the shot, then set back."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    try:
        for _ in range(2):  # once more if it grew meanwhile (an image that finished loading)
            height = int(element.evaluate("e => e.getBoundingClientRect().height"))
            page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height + 300)})
            page.wait_for_timeout(300)  # JupyterLab lays the panels out again
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)
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
        # textContent, not innerText: the folded "why" of each row counts too
        return self.figure.get_attribute("src") or "", self.table.evaluate("t => t.textContent")

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


def _command(page, command: str) -> None:
    page.evaluate(f"() => {{ window.jupyterapp.commands.execute('{command}').catch(() => {{}}); }}")


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
        }""", timeout=KERNEL_MS).json_value()
        problem = None if outcome == "done" else "a cell raised, so Run All stopped there"
    except PlaywrightTimeout as exc:
        problem = f"Run All did not reach the last cell within {KERNEL_MS // 1000}s: {str(exc).splitlines()[0]}"
    if problem:
        prompts = " ".join(t.strip() for t in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts())
        pytest.fail(_diagnose(page, f"{problem}\nprompts: {prompts}", failure), pytrace=False)


def _lab_kernel_idle(page) -> None:
    """JupyterLab's status bar reads ``Python 3 (ipykernel) | Idle`` (a cold first kernel may take minutes)."""
    from playwright.sync_api import expect

    expect(page.locator(".jp-NotebookPanel")).to_be_visible()
    expect(page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle\s*$"))
           ).to_be_visible(timeout=KERNEL_MS)


def _notebook7_kernel_idle(page) -> None:
    """Notebook 7 has no kernel item in its status bar, and its top-bar indicator (``.jp-NotebookKernelStatus``)
    is blank both when the kernel is idle and when it is busy: ask the exposed app's session instead."""
    from playwright.sync_api import expect

    expect(page.locator(".jp-NotebookPanel")).to_be_visible()
    page.wait_for_function("""() => {
        const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return Boolean(panel && panel.sessionContext && panel.sessionContext.session
                       && panel.sessionContext.kernelDisplayStatus === 'idle');
    }""", timeout=KERNEL_MS)


def _open_and_run_all(page, server: Server, path: str, kernel_idle, failure: str) -> None:
    """Open ``path``, wait for the kernel to be Idle, then Run All and wait until the last cell ran."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # reset: JupyterLab forgets the layout of the page before (else the last test's notebook opens again)
    page.goto(server.url(path, "reset") if path.startswith("lab/") else server.url(path), wait_until="domcontentloaded")
    problem = None
    try:
        # Run All only once the kernel is Idle: sent while it starts, it can be lost or queued behind a prompt.
        kernel_idle(page)
    except (PlaywrightTimeout, AssertionError) as exc:
        problem = f"the kernel never showed Idle: {str(exc).splitlines()[0]}\n{_tail(server.log)}"
    if problem:
        pytest.fail(_diagnose(page, problem, failure), pytrace=False)
    _run_all(page)
    _wait_every_cell_ran(page, failure)


def _no_answer_revealed(page, failure: str) -> None:
    """Every prediction shows the neutral "your turn" and none shows its answer."""
    counts = page.evaluate("""() => ({
        predictions: document.querySelectorAll('.sidecar-lab-predict').length,
        answers: document.querySelectorAll('.sidecar-lab-answer').length,
        yourTurn: document.querySelectorAll('.sidecar-lab-your-turn').length,
        spoilers: [...document.querySelectorAll('.jp-OutputArea-output, .jp-OutputArea')]
            .filter(o => /No prediction recorded|The simulator says/.test(o.textContent)).length,
    })""")
    if not (counts["predictions"] >= 1 and counts["answers"] == 0 and counts["spoilers"] == 0
            and counts["yourTurn"] >= counts["predictions"]):
        pytest.fail(_diagnose(page, f"Run All revealed an answer or hid a prediction: {counts}", failure),
                    pytrace=False)


def _a_click_reveals_the_answer(page, failure: str) -> str:
    """Click the first choice of the first prediction: its answer appears (returns the answer)."""
    answer = _click_and_wait_for_the_answer(page, page.locator(".sidecar-lab-predict").first, failure)
    return answer.get_attribute("data-answer") or ""


def _tables_fit(page, failure: str, expect_tables: bool = True) -> int:
    """No output table is wider than its cell: for the output of every table, scrollWidth <= clientWidth."""
    found = page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output table, .jp-RenderedHTMLCommon table')]
        .filter(t => t.closest('.jp-OutputArea-output'))
        .map(t => { const o = t.closest('.jp-OutputArea-output');
                    return {cls: t.className || t.parentElement.className, table: t.scrollWidth,
                            scroll: o.scrollWidth, client: o.clientWidth}; })""")
    wide = [f for f in found if f["scroll"] > f["client"] + 1 or f["table"] > f["client"] + 1]
    if wide or (expect_tables and not found):
        pytest.fail(_diagnose(page, f"output tables wider than their cell at {VIEWPORT['width']} px: "
                                    f"{wide or 'no table found'}", failure), pytrace=False)
    return len(found)


def _show_the_file_browser(page) -> None:
    _command(page, "filebrowser:activate")
    page.locator(".jp-DirListing-content").first.wait_for(state="visible", timeout=CHANGE_MS)


# --- the tests ----------------------------------------------------------------------------------

def test_sidecar_lab_lab_serves_the_workspace_and_02_predicts_explores_fits_and_saves_there(lab, page):
    from playwright.sync_api import expect

    failure = "browser-02-failure.png"
    [name] = sorted(p.name for p in lab.workspace.glob(NOTEBOOK))
    repository_copy = notebooks_dir() / EDITION / name
    before = repository_copy.read_bytes()
    # The file browser shows the course: the ten notebooks and the data they read, none of the builder.
    listing = json.loads(_http_get(lab, "/api/contents"))
    shown = sorted(item["name"] for item in listing["content"])
    assert shown == sorted(p.name for p in lab.workspace.iterdir() if not p.name.startswith(".")), shown
    assert "data" in shown and "build.py" not in shown and len([n for n in shown if n.endswith(".ipynb")]) == 10

    _open_and_run_all(page, lab, f"lab/tree/{quote(name)}", _lab_kernel_idle, failure)
    _show_the_file_browser(page)
    expect(page.locator(".jp-DirListing-item", has_text="00-start-here.ipynb")).to_be_visible()
    _no_answer_revealed(page, failure)
    _screenshot(page, "browser-02-after-run-all.png")
    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    _tables_fit(page, failure)
    explorer.check_the_namespace_toggle()
    _measure_click_to_image(page, explorer)
    assert _a_click_reveals_the_answer(page, failure) in ("ROUTED", "PASSTHROUGH", "BLOCKED")
    _tables_fit(page, failure)
    _screenshot(page, "browser-02.png")
    explorer.area.screenshot(path=str(ARTIFACTS / "browser-02-explorer.png"))  # the table, as wide as its cell

    # Save: it lands in the workspace, with the outputs, and the repository's notebook is untouched.
    saved = lab.workspace / name

    def saved_outputs() -> int:
        with contextlib.suppress(OSError, ValueError):  # the file may be half written
            return sum(len(c.get("outputs", [])) for c in json.loads(saved.read_text())["cells"])
        return 0

    _command(page, "docmanager:save")
    deadline = time.monotonic() + CHANGE_MS / 1000
    while time.monotonic() < deadline and not saved_outputs():
        time.sleep(0.2)
    assert saved_outputs(), "the save did not reach the workspace"
    assert repository_copy.read_bytes() == before
    git = subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "course", "data"],
                         cwd=notebooks_dir().parent, capture_output=True, text=True)
    assert git.returncode != 0 or git.stdout == "", git.stdout

    # Closing the tab shuts its kernel down (the workspace's own JupyterLab setting).
    assert json.loads(_http_get(lab, "/api/kernels"))
    _command(page, "application:close-all")
    deadline = time.monotonic() + CHANGE_MS / 1000
    while time.monotonic() < deadline and json.loads(_http_get(lab, "/api/kernels")):
        time.sleep(0.25)
    assert json.loads(_http_get(lab, "/api/kernels")) == [], "closing the notebook left its kernel running"


def _measure_click_to_image(page, explorer: Explorer, toggles: int = 10, where: str = "JupyterLab") -> list:
    """Untimed (it never fails on time): click the namespace checkbox ``toggles`` times and measure, in the page,
    from the click until the figure's ``src`` changes; print the spread and write it to
    ``artifacts/browser-latency.txt``. The explorer flips between two states, so after the first two clicks each
    figure is one the widget has already drawn (its cache): what a learner clicking back and forth sees."""
    box = explorer.toggle.locator("input[type=checkbox]").first
    image = explorer.figure.element_handle()
    times = []
    for _ in range(toggles):
        table = explorer.table.evaluate("t => t.textContent")
        times.append(page.evaluate("""([img, box, limit]) => new Promise(resolve => {
            const before = img.getAttribute('src');
            const start = performance.now();
            const observer = new MutationObserver(() => {
                if (img.getAttribute('src') !== before) { observer.disconnect(); resolve(performance.now() - start); }
            });
            observer.observe(img, {attributes: true, attributeFilter: ['src']});
            setTimeout(() => { observer.disconnect(); resolve(null); }, limit);
            box.click();
        })""", [image, box.element_handle(), CHANGE_MS]))
        deadline = time.monotonic() + CHANGE_MS / 1000  # the table follows the figure: let it land before the next
        while explorer.table.evaluate("t => t.textContent") == table and time.monotonic() < deadline:
            page.wait_for_timeout(50)
    seen = sorted(t for t in times if t is not None)

    def percentile(q: float) -> float:
        k = (len(seen) - 1) * q
        lo, hi = int(k), min(int(k) + 1, len(seen) - 1)
        return seen[lo] + (seen[hi] - seen[lo]) * (k - lo)

    if seen:
        line = (f"click -> image: p50 {percentile(0.5):.0f} ms, p95 {percentile(0.95):.0f} ms, max {seen[-1]:.0f} ms "
                f"over {len(seen)} toggles ({where})")
    else:
        line = f"click -> image: no change seen within {CHANGE_MS / 1000:.0f} s over {toggles} toggles ({where})"
    missed = len(times) - len(seen)
    detail = ", ".join("-" if t is None else f"{t:.0f}" for t in times)
    print(line)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-latency.txt").write_text(
        f"{line}\neach toggle, in order (ms): {detail}" + (f" ({missed} without a change)" if missed else "") + "\n")
    return times


HANGUL = re.compile("[가-힣]")


def _rendered_prose(page) -> list[str]:
    """The text of every Markdown cell of the open notebook, as rendered."""
    return page.evaluate("""() => [...document.querySelectorAll('.jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown')]
        .map(c => c.textContent.trim()).filter(t => t)""")


def test_sidecar_lab_lab_lang_ko_opens_the_korean_edition_in_hangul_and_02_explores_in_korean(lab_ko, page):
    """What a Korean study group does: ``sidecar-lab lab --lang ko``, notebook 02, Run All. The prose is Korean,
    no prediction shows its answer, the explorer's labels are Korean (its language follows the edition) and
    its figure is drawn with a Hangul font; picking a step and flipping the namespace Sidecar changes the
    figure and the verdict table, still in Korean; a click reveals an answer, explained in Korean."""
    from sidecar_lab.core.messages import label

    failure = "browser-02-ko-failure.png"
    marker = json.loads((lab_ko.workspace / ".sidecar-lab-course.json").read_text())
    assert marker["edition"] == "ko", marker
    [name] = sorted(p.name for p in lab_ko.workspace.glob(NOTEBOOK))
    assert (lab_ko.workspace / name).read_bytes() == (notebooks_dir() / "ko" / name).read_bytes()

    _open_and_run_all(page, lab_ko, f"lab/tree/{quote(name)}", _lab_kernel_idle, failure)
    prose = _rendered_prose(page)
    if not (prose and prose[0].startswith("02 · ") and HANGUL.search(prose[0])
            and sum(bool(HANGUL.search(t)) for t in prose) >= 0.9 * len(prose)):
        pytest.fail(_diagnose(page, f"the Korean notebook's prose is not Korean: {[t[:60] for t in prose]}", failure),
                    pytrace=False)
    _no_answer_revealed(page, failure)
    outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output").evaluate_all("os => os.map(o => o.textContent)")
    assert any("후보 (우선순위 순):" in t for t in outputs), "resolve's text is not printed in Korean"
    page.locator(".jp-NotebookPanel .jp-MarkdownCell").first.scroll_into_view_if_needed()
    _screenshot(page, "browser-02-ko-after-run-all.png")  # the title and objectives, at 1280 px

    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    picker = explorer.area.locator("select").filter(has=page.locator("option", has_text="한국어")).first
    assert picker.evaluate("s => s.options[s.selectedIndex].text") == "한국어", "the explorer is not in Korean"
    before_text = explorer.state()[1]
    assert "출발지" in before_text and "이유" in before_text, before_text[:200]
    toggle_label = explorer.toggle.evaluate("t => t.textContent")
    assert HANGUL.search(toggle_label), toggle_label
    page_text = page.locator(".jp-NotebookPanel").evaluate("p => p.textContent")
    for fallback in (label("note.no-hangul-font", "ko"), label("alt.font-fallback", "ko")):
        assert fallback not in page_text, "the figures fell back to English: no Hangul font in the kernel"
    _tables_fit(page, failure)

    explorer.check_the_namespace_toggle()  # step 03 picked, then the namespace Sidecar flipped
    after_text = explorer.state()[1]
    assert "출발지" in after_text and "이유" in after_text, after_text[:200]  # still in Korean
    _tables_fit(page, failure)
    explorer.area.scroll_into_view_if_needed()
    _screenshot(page, "browser-02-ko.png")
    _element_screenshot(page, explorer.area, "browser-02-ko-explorer.png")

    assert _a_click_reveals_the_answer(page, failure) in ("ROUTED", "PASSTHROUGH", "BLOCKED")
    answer = page.locator(".sidecar-lab-predict .sidecar-lab-answer").first
    assert HANGUL.search(answer.evaluate("a => a.textContent")), "the answer is not explained in Korean"
    _tables_fit(page, failure)
    _element_screenshot(page, page.locator(".sidecar-lab-predict").first, "browser-02-ko-answer.png")
    resolve = page.locator(".jp-NotebookPanel .jp-OutputArea-output", has_text="후보 (우선순위 순):").first
    _element_screenshot(page, resolve, "browser-02-ko-resolve.png")
    _command(page, "application:close-all")


@pytest.mark.parametrize("name", ["04-egress-hosts.ipynb", "07-live.ipynb"])
def test_every_output_table_fits_its_cell_at_1280_px(lab, page, name):
    failure = f"browser-{name[:2]}-failure.png"
    _open_and_run_all(page, lab, f"lab/tree/{quote(name)}", _lab_kernel_idle, failure)
    _show_the_file_browser(page)
    page.wait_for_timeout(500)  # the last widget outputs settle
    _tables_fit(page, failure)
    _screenshot(page, f"browser-{name[:2]}.png")
    tables = page.locator(".jp-OutputArea-output", has=page.locator("table"))
    tables.last.scroll_into_view_if_needed()
    tables.last.screenshot(path=str(ARTIFACTS / f"browser-{name[:2]}-table.png"))
    _command(page, "application:close-all")


def _click_and_wait_for_the_answer(page, prediction, failure: str):
    """Click the first choice of ``prediction`` (a ``.sidecar-lab-predict`` locator); return its answer element."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    prediction.scroll_into_view_if_needed()
    prediction.locator(".sidecar-lab-choice").first.click()
    answer = prediction.locator(".sidecar-lab-answer")
    try:
        answer.wait_for(state="visible", timeout=CHANGE_MS)
    except PlaywrightTimeout:
        pytest.fail(_diagnose(page, "a click on a choice revealed no answer", failure), pytrace=False)
    return answer


def test_04s_release_prediction_answers_with_the_releases_side_by_side_in_a_table_that_fits(lab, page):
    """"What if this cluster were 1.31?": nothing before a click; a click shows compare_versions' rows, one column
    per release, the differing rows marked, as wide as the cell and no wider."""
    failure = "browser-04-releases-failure.png"
    _open_and_run_all(page, lab, f"lab/tree/{quote('04-egress-hosts.ipynb')}", _lab_kernel_idle, failure)
    _no_answer_revealed(page, failure)
    prediction = page.locator(".sidecar-lab-predict", has_text="Istio 1.26:").first
    answer = _click_and_wait_for_the_answer(page, prediction, failure)
    table = answer.locator("table.sidecar-lab-versions")
    assert table.is_visible() and answer.get_attribute("data-answer") == "BLOCKED/ROUTED"
    assert answer.locator("tr.sidecar-lab-differs").count() >= 3
    _tables_fit(page, failure)
    _element_screenshot(page, prediction, "browser-04-releases.png")
    _command(page, "application:close-all")


def test_09_in_korean_hides_its_answers_and_explains_a_route_in_korean(lab_ko, page):
    """The optional notebook 09 in the Korean edition: Hangul prose, no answer before a click, the answer to a
    prediction (a route that matches nothing: Envoy's 404) explained in Korean."""
    failure = "browser-09-ko-failure.png"
    _open_and_run_all(page, lab_ko, f"lab/tree/{quote('09-whats-next.ipynb')}", _lab_kernel_idle, failure)
    prose = _rendered_prose(page)
    if not (prose and prose[0].startswith("09 · ") and HANGUL.search(prose[0])
            and sum(bool(HANGUL.search(t)) for t in prose) >= 0.9 * len(prose)):
        pytest.fail(_diagnose(page, f"the Korean notebook's prose is not Korean: {[t[:60] for t in prose]}", failure),
                    pytrace=False)
    _no_answer_revealed(page, failure)
    page.locator(".jp-NotebookPanel .jp-MarkdownCell").first.scroll_into_view_if_needed()
    _screenshot(page, "browser-09-ko-after-run-all.png")
    prediction = page.locator(".sidecar-lab-predict").first
    answer = _click_and_wait_for_the_answer(page, prediction, failure)
    assert answer.get_attribute("data-answer") == "NO_ROUTE"
    assert HANGUL.search(answer.evaluate("a => a.textContent")), "the answer is not explained in Korean"
    _element_screenshot(page, prediction, "browser-09-ko-answer.png")
    _command(page, "application:close-all")


def _http_get(server: Server, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", f"{path}?token={server.token}")
        response = conn.getresponse()
        assert response.status == 200, (path, response.status)
        return response.read().decode()
    finally:
        conn.close()


def test_notebook7_runs_02_and_responds_to_the_namespace_toggle(notebook7, page):
    failure = "browser-02-notebook7-failure.png"
    _open_and_run_all(page, notebook7, f"notebooks/{quote(_name_of(NOTEBOOK))}", _notebook7_kernel_idle, failure)
    _no_answer_revealed(page, failure)
    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    explorer.check_the_namespace_toggle()
    _screenshot(page, "browser-02-notebook7.png")


def _name_of(pattern: str) -> str:
    [path] = sorted((notebooks_dir() / EDITION).glob(pattern))
    return path.name


def test_voila_renders_02_without_an_answer_until_a_click_and_answers_the_toggle(voila, page):
    failure = "browser-02-voila-failure.png"
    page.goto(voila.url(), wait_until="domcontentloaded")  # Voilà runs the notebook as the page streams in
    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    page.locator(".sidecar-lab-predict .sidecar-lab-choice").first.wait_for(state="visible")
    _no_answer_revealed(page, failure)
    explorer.check_the_namespace_toggle()
    _a_click_reveals_the_answer(page, failure)
    _screenshot(page, "browser-02-voila.png")


def test_the_explorer_speaks_korean_with_hangul_on_screen_and_answers_a_toggle(voila, page):
    """A widget's own language picker still switches it: the English edition's explorer switched to 한국어 shows
    Hangul labels in its verdict table and answers a toggle in Korean (the Korean edition itself is opened
    through ``sidecar-lab lab --lang ko`` above)."""
    failure = "browser-02-korean-failure.png"
    page.goto(voila.url(), wait_until="domcontentloaded")
    explorer = Explorer(page, failure)
    explorer.wait_rendered()
    picker = explorer.area.locator("select").filter(has=page.locator("option", has_text="한국어")).first
    before = explorer.state()
    picker.select_option(label="한국어")
    explorer.wait_changed(before, "switching the language to 한국어")
    text = explorer.table.evaluate("t => t.textContent")
    assert re.search(r"[가-힣]", text) and "출발지" in text, text[:200]
    explorer.check_the_namespace_toggle()
    _screenshot(page, "browser-02-korean.png")
