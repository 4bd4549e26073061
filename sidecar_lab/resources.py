"""Where the bundled scenarios (``data/``) and notebooks live, in a checkout or an installed package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir", "notebooks_dir", "scenario_paths"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _bundled(package: str, folder: str) -> Path:
    local = _CHECKOUT / folder
    if local.is_dir():
        return local
    try:
        from importlib.resources import files

        found = files(package)
        path = Path(str(found))
        if path.is_dir():
            return path
    except (ImportError, ModuleNotFoundError, TypeError):  # pragma: no cover - depends on the install
        pass
    raise FileNotFoundError(f"cannot find the bundled {folder}/ directory")


def data_dir() -> Path:
    """The scenarios shipped with sidecar-lab (``data/`` of the repository)."""
    return _bundled("sidecar_lab.data", "data")


def notebooks_dir() -> Path:
    """The course notebooks (``notebooks/`` of the repository)."""
    return _bundled("sidecar_lab.notebooks", "notebooks")


def scenario_paths(*parts: str) -> list[str]:
    """Paths under ``data/`` as strings, ready for :func:`sidecar_lab.loader.load`."""
    base = data_dir()
    return [str(base / p) for p in parts]
