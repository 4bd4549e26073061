"""``sidecar-lab lab``: open JupyterLab on the bundled notebooks (offline: no cluster needed)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..core.errors import UsageError
from ..core.resources import notebooks_dir

__all__ = ["lab_command", "run_lab"]


def lab_command(path: str | None = None, *, port: int | None = None, browser: bool = True) -> list[str]:
    """The JupyterLab command line that ``sidecar-lab lab`` runs."""
    try:
        import jupyterlab  # noqa: F401  (only to say clearly when it is missing)
    except ImportError:
        raise UsageError("JupyterLab is not installed: pip install 'sidecar-lab[lab]'") from None
    root = Path(path) if path else notebooks_dir()
    if not root.exists():
        raise UsageError(f"no such notebook or directory: {root}")
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root if root.is_dir() else root.parent}",
           # Offline by default: no update checks or news fetched from the network.
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=", "--LabApp.extension_manager=readonly"]
    if root.is_file():
        cmd.append(str(root))
    if port is not None:
        cmd.append(f"--ServerApp.port={port}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return cmd


def run_lab(path: str | None = None, *, port: int | None = None, browser: bool = True,
            dry_run: bool = False) -> int:
    cmd = lab_command(path, port=port, browser=browser)
    if dry_run:
        print(" ".join(cmd))
        return 0
    if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):  # pragma: no cover
        raise UsageError("cannot find the Python interpreter to start JupyterLab")
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return
