"""``sidecar-lab lab``: JupyterLab on the learner's own copy of the course (offline: no cluster needed).

The course is copied once into a *workspace* folder of the learner's (``./sidecar-lab-course`` by default,
``./sidecar-lab-course-ko`` for the Korean edition, or ``--workspace DIR``): the notebooks of the edition and
the seed lab's manifests they read (``data/seed/``). JupyterLab opens there, so the file browser shows the
course and every save lands in the workspace, never in the package or the repository. Running the command
again reuses the workspace as the learner left it; ``--reset`` restores the pristine notebooks and moves the
learner's edited copies aside (``edited-YYYYmmdd-HHMMSS/``), nothing is deleted.

JupyterLab is started listening on 127.0.0.1 with a token of its own, given on its command line, so a user's
Jupyter configuration (``ip = "0.0.0.0"``, an empty token) cannot open it to the network; options after ``--``
go to JupyterLab as they are, and an ``--ip``/``--ServerApp.ip`` or a token given there replaces ours. The
workspace's own JupyterLab settings (``.sidecar-lab/settings``) shut a notebook's kernel down when its tab is
closed, so a learner who opened every notebook does not keep a kernel for each.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..core.errors import UsageError
from ..core.messages import LANGUAGES, get_language
from ..core.resources import data_dir, notebooks_dir
from .environment import _version

__all__ = ["lab_command", "run_lab", "prepare_workspace", "reset_workspace", "default_workspace", "edition_dir",
           "Workspace", "MARKER", "LAB_SETTINGS"]

#: The file that marks a folder as a sidecar-lab workspace: the edition and the pristine files' digests.
MARKER = ".sidecar-lab-course.json"
#: JupyterLab's settings and layouts for this workspace (hidden from the file browser by the leading dot).
_PRIVATE = ".sidecar-lab"
#: The JupyterLab settings written for every workspace (only where the learner has none yet).
LAB_SETTINGS = {
    # Closing a notebook's tab shuts its kernel down: one kernel per open notebook, not per notebook ever opened.
    "@jupyterlab/notebook-extension/tracker": {"kernelShutdown": True},
    # Offline: no news or update checks from the network.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
_EDITION_NAMES = {"en": "English", "ko": "Korean (한국어)"}
_IP_OPTION = re.compile(r"^--(ServerApp\.|NotebookApp\.)?ip(=|$)")
_TOKEN_OPTION = re.compile(r"^--((ServerApp|IdentityProvider|NotebookApp)\.)?token(=|$)")


def default_workspace(lang: str) -> Path:
    """``./sidecar-lab-course`` for the English edition, ``./sidecar-lab-course-<lang>`` for another."""
    return Path("sidecar-lab-course" if lang == "en" else f"sidecar-lab-course-{lang}")


def edition_dir(lang: str) -> Path:
    """The bundled notebooks of edition ``lang``; a one-line error when this installation lacks them."""
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    folder = notebooks_dir() / lang
    if not any(folder.glob("[0-9][0-9]-*.ipynb")):
        name = _EDITION_NAMES.get(lang, lang)
        raise UsageError(f"the {name} edition of the course is missing from this installation (no notebooks in "
                         f"{folder}); reinstall sidecar-lab, or open another edition with --lang")
    return folder


@dataclass
class Workspace:
    """A learner's copy of the course: its folder, its edition, and what this run did to it."""

    path: Path
    lang: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    moved_aside: list[str] = field(default_factory=list)
    aside: Path | None = None

    @property
    def settings_dir(self) -> Path:
        return self.path / _PRIVATE / "settings"

    @property
    def layouts_dir(self) -> Path:
        return self.path / _PRIVATE / "workspaces"

    def summary(self) -> str:
        """What this run did, in a few lines for the terminal."""
        lines = []
        if self.created:
            lines.append(f"created the course workspace {self.path} ({_EDITION_NAMES.get(self.lang, self.lang)} "
                         "edition); your notebooks and their outputs are saved there")
        elif self.added:
            lines.append(f"added to {self.path}: {', '.join(self.added)}")
        if self.restored:
            lines.append(f"restored {len(self.restored)} pristine file(s) in {self.path}")
        if self.moved_aside:
            lines.append(f"your edited copies are kept in {self.aside}: {', '.join(self.moved_aside)}")
        return "\n".join(lines)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pristine(lang: str) -> dict[str, Path]:
    """Workspace-relative name -> bundled file: the edition's notebooks and the seed lab they read."""
    files = {p.name: p for p in sorted(edition_dir(lang).glob("[0-9][0-9]-*.ipynb"))}
    seed = data_dir() / "seed"
    for p in sorted(seed.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            files[(Path("data") / "seed" / p.relative_to(seed)).as_posix()] = p
    return files


def _forbidden(path: Path) -> Path | None:
    """The folder of the package or of the repository that ``path`` is in, if it is in one a workspace must not
    be put in (the clone's root itself included; a new folder beside its files is fine, and git-ignored)."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent
    resolved = path.resolve()
    guarded = [package, notebooks_dir().resolve(), data_dir().resolve()]
    if (checkout / "pyproject.toml").is_file():
        if resolved == checkout:
            return checkout
        guarded += [checkout / "course", checkout / ".git"]
    return next((g for g in guarded if resolved == g or g in resolved.parents), None)


def _read_marker(path: Path) -> dict:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_marker(ws: Workspace, digests: dict[str, str]) -> None:
    data = {"edition": ws.lang, "sidecar_lab": _version(), "files": dict(sorted(digests.items()))}
    (ws.path / MARKER).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _write_settings(ws: Workspace) -> None:
    for plugin, values in LAB_SETTINGS.items():
        target = ws.settings_dir / f"{plugin}.jupyterlab-settings"
        if not target.exists():  # the learner's own choice in this workspace wins
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values, indent=1) + "\n", encoding="utf-8")


def prepare_workspace(directory: str | os.PathLike | None = None, lang: str | None = None) -> Workspace:
    """Create the workspace (or reuse it as the learner left it, adding only course files it does not have yet)."""
    lang = lang or get_language()
    pristine = _pristine(lang)
    path = Path(directory) if directory else default_workspace(lang)
    guarded = _forbidden(path)
    if guarded is not None:
        raise UsageError(f"the workspace {path} would be inside {guarded}; the course is copied out of the package "
                         "and the repository: choose another folder with --workspace")
    if path.exists() and not path.is_dir():
        raise UsageError(f"the workspace {path} is a file, not a folder: choose another with --workspace")
    ws = Workspace(path, lang)
    marker = _read_marker(path) if path.is_dir() else {}
    if path.is_dir() and not marker and any(path.iterdir()):
        raise UsageError(f"{path} is not empty and is not a sidecar-lab workspace (it has no {MARKER}): "
                         "choose a new or empty folder with --workspace")
    if marker and marker.get("edition") != lang:
        raise UsageError(f"{path} holds the {marker.get('edition')!r} edition of the course; give the "
                         f"{lang!r} edition its own folder with --workspace")
    digests = dict(marker.get("files", {})) if marker else {}
    ws.created = not marker
    path.mkdir(parents=True, exist_ok=True)
    for name, source in pristine.items():
        target = path / name
        if name in digests or target.exists():
            continue  # the learner's copy (or a file they deleted on purpose) stays as it is
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        digests[name] = _digest(target)
        if not ws.created:
            ws.added.append(name)
    _write_settings(ws)
    _write_marker(ws, digests)
    return ws


def reset_workspace(directory: str | os.PathLike | None = None, lang: str | None = None) -> Workspace:
    """Restore the pristine course in the workspace. Every course file the learner changed is first moved to
    ``edited-YYYYmmdd-HHMMSS/`` in the workspace (nothing is deleted); files the learner added are left alone."""
    lang = lang or get_language()
    path = Path(directory) if directory else default_workspace(lang)
    if not (path / MARKER).is_file():
        return prepare_workspace(path, lang)
    ws = prepare_workspace(path, lang)
    digests = dict(_read_marker(path).get("files", {}))
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path / f"edited-{stamp}"
    for name, source in _pristine(lang).items():
        target = path / name
        fresh = _digest(source)
        if target.exists():
            if _digest(target) == fresh:
                digests[name] = fresh
                continue
            kept = aside / name  # the learner's version: kept, never deleted
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(target), str(kept))
            ws.moved_aside.append(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        digests[name] = fresh
        ws.restored.append(name)
    ws.aside = aside if ws.moved_aside else None
    _write_marker(ws, digests)
    return ws


def _split(path: str | None, extra: Sequence[str]) -> tuple[str | None, list[str]]:
    """``sidecar-lab lab [PATH] -- OPTIONS``: argparse hands PATH and the options over as one list."""
    rest = list(extra)
    if path is None and rest and not rest[0].startswith("-"):
        path = rest.pop(0)
    return path, rest


def lab_command(path: str | None = None, *, workspace: str | os.PathLike | None = None, lang: str | None = None,
                port: int | None = None, browser: bool = True, jupyter_args: Sequence[str] = (),
                reset: bool = False, token: str | None = None) -> tuple[list[str], Workspace | None]:
    """The JupyterLab command line that ``sidecar-lab lab`` runs, and the workspace it prepared (None when
    ``path`` names the learner's own notebook or folder, which is opened where it is)."""
    try:
        import jupyterlab  # noqa: F401  (only to say clearly when it is missing)
    except ImportError:
        raise UsageError("JupyterLab is not installed: pip install 'sidecar-lab[lab]'") from None
    path, jupyter_args = _split(path, jupyter_args)
    ws = None
    if path:
        root = Path(path)
        if not root.exists():
            raise UsageError(f"no such notebook or directory: {root}")
        if _forbidden(root if root.is_dir() else root.parent) is not None:
            raise UsageError(f"{root} is part of the package or the repository's course: run sidecar-lab lab "
                             "without a path to get your own copy")
        cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root if root.is_dir() else root.parent}"]
        if root.is_file():
            cmd.append(str(root))
    else:
        lang = lang or get_language()
        ws = reset_workspace(workspace, lang) if reset else prepare_workspace(workspace, lang)
        root = ws.path.resolve()
        cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={(root / _PRIVATE / 'settings')}",
               f"--LabApp.workspaces_dir={(root / _PRIVATE / 'workspaces')}",
               "--LabApp.default_url=/lab/tree/00-start-here.ipynb"]
    # Offline by default: no update checks or news fetched from the network.
    cmd += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly"]
    # Pinned on the command line, which no configuration file overrides: local only, and a token.
    if not any(_IP_OPTION.match(a) for a in jupyter_args):
        cmd.append("--ServerApp.ip=127.0.0.1")
    if not any(_TOKEN_OPTION.match(a) for a in jupyter_args):
        cmd.append(f"--IdentityProvider.token={token or secrets.token_hex(24)}")
    if port is not None:
        cmd.append(f"--ServerApp.port={port}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in jupyter_args:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return cmd + list(jupyter_args), ws


def _warn_without_hangul_font(lang: str) -> None:
    if lang != "ko":
        return
    try:
        from .figures import hangul_font
    except ImportError:  # pragma: no cover - matplotlib missing: the environment check says so
        return
    if hangul_font() is None:
        from .environment import HANGUL_FONT_FIX

        print(f"warning: no font with Hangul glyphs is installed: the figures will show English labels; "
              f"install one: {HANGUL_FONT_FIX}", file=sys.stderr)


def run_lab(path: str | None = None, *, workspace: str | None = None, lang: str | None = None,
            port: int | None = None, browser: bool = True, dry_run: bool = False,
            jupyter_args: Sequence[str] = (), reset: bool = False) -> int:
    lang = lang or get_language()
    cmd, ws = lab_command(path, workspace=workspace, lang=lang, port=port, browser=browser,
                          jupyter_args=jupyter_args, reset=reset)
    if ws is not None:
        _warn_without_hangul_font(lang)
        said = ws.summary()
        if said:
            print(said, file=sys.stderr)
    if dry_run:
        print(" ".join(cmd))
        return 0
    if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):  # pragma: no cover
        raise UsageError("cannot find the Python interpreter to start JupyterLab")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return
