"""Where the bundled scenarios (``data/``) and notebooks live, in a checkout or an installed package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir", "notebooks_dir", "scenario_paths"]

_PACKAGE = Path(__file__).resolve().parent.parent  # sidecar_lab/
_CHECKOUT = _PACKAGE.parent


def _bundled(installed: str, folder: str) -> Path:
    local = _CHECKOUT / folder
    if local.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():  # running from a checkout
        return local
    inside = _PACKAGE / installed  # installed from a wheel: sidecar_lab/<installed>
    if inside.is_dir():
        return inside
    raise FileNotFoundError(f"cannot find the bundled {folder}/ directory (looked in {local} and {inside})")


def data_dir() -> Path:
    """The scenarios shipped with sidecar-lab (``data/`` of the repository)."""
    return _bundled("data", "data")


def notebooks_dir() -> Path:
    """The course notebooks (``notebooks/`` of the repository)."""
    return _bundled("notebooks", "notebooks")


def scenario_paths(*parts: str) -> list[str]:
    """Paths under ``data/`` as strings, ready for :func:`sidecar_lab.core.loader.load`."""
    base = data_dir()
    return [str(base / p) for p in parts]
