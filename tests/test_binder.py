"""The Binder / JupyterHub files (repo2docker's ``binder/``) install what ``pip install -e ".[lab]"`` does, and
the Hangul font the Korean edition's figures need (``binder/apt.txt``)."""

import os
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])


def _pyproject_requirements() -> dict[str, Requirement]:
    """The core dependencies plus the ``lab`` extra, by normalised name."""
    project = PYPROJECT["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["lab"]]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def _binder_requirements() -> dict[str, Requirement]:
    found = {}
    for raw in (BINDER / "requirements.txt").read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("-e") or line in {".", "./"}:
            continue  # comments and the package itself (installed editable)
        requirement = Requirement(line)
        found[canonicalize_name(requirement.name)] = requirement
    return found


def _installs_the_package() -> bool:
    """``-e .`` in requirements.txt, or ``pip install -e .`` (or ``.``) in postBuild."""
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    if any(re.fullmatch(r"\s*(-e\s+)?\.(\[[\w,]+\])?\s*", line) for line in lines):
        return True
    post_build = BINDER / "postBuild"
    return post_build.is_file() and re.search(r"pip install [^\n]*?(-e )?\.(\s|$)", post_build.read_text()) is not None


def test_binder_lists_every_core_and_lab_dependency_of_pyproject():
    missing = _pyproject_requirements().keys() - _binder_requirements().keys()
    assert not missing, f"binder/requirements.txt lacks {sorted(missing)} (pyproject.toml: dependencies + lab)"


def test_binder_lists_nothing_that_pyproject_does_not():
    extra = _binder_requirements().keys() - _pyproject_requirements().keys() - {PROJECT}
    assert not extra, f"binder/requirements.txt has {sorted(extra)}, not in pyproject.toml's dependencies or lab extra"


@pytest.mark.parametrize("name", sorted(_pyproject_requirements()))
def test_binder_version_of_each_dependency_is_allowed_by_pyproject(name):
    wanted, pinned = _pyproject_requirements()[name], _binder_requirements().get(name)
    if pinned is None:
        pytest.fail(f"{name} missing from binder/requirements.txt")
    exact = [Version(s.version) for s in pinned.specifier if s.operator in ("==", "===") and "*" not in s.version]
    if exact:  # a pin must be a version pyproject accepts
        assert all(wanted.specifier.contains(v, prereleases=True) for v in exact), (pinned, wanted)
    else:  # a range: the same one, so the two never drift apart
        assert pinned.specifier == wanted.specifier, (str(pinned), str(wanted))


def test_binder_installs_the_package_itself():
    assert _installs_the_package(), "binder/ must install sidecar-lab: '-e .' in requirements.txt or postBuild"
    post_build = BINDER / "postBuild"
    if post_build.exists():
        assert os.access(post_build, os.X_OK), "repo2docker runs binder/postBuild only when it is executable"


def test_binder_python_is_one_the_package_supports():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"binder/runtime.txt should read python-X.Y, not {runtime!r}"
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(Version(match[1]))


def _apt_packages() -> list[str]:
    """``binder/apt.txt`` as repo2docker reads it: the part of each line before ``#``, stripped, blank lines
    skipped; each name must match repo2docker's ``^[a-z0-9.+-]+`` (it refuses the build otherwise)."""
    packages = []
    for raw in (BINDER / "apt.txt").read_text().splitlines():
        package = raw.partition("#")[0].strip()
        if package:
            assert re.fullmatch(r"[a-z0-9.+-]+", package), f"binder/apt.txt: {package!r} is not a package name"
            packages.append(package)
    return packages


def test_binder_installs_a_hangul_font_so_the_korean_figures_draw_korean_labels():
    # environment.py's Korean-font check and figures.py look for NanumGothic first; Debian's fonts-nanum has it
    assert "fonts-nanum" in _apt_packages()
