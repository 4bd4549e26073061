"""The package works installed from a wheel, away from the checkout: scenarios and notebooks travel with it."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    [path] = out.glob("sidecar_lab-*.whl")
    return path


def test_wheel_carries_the_scenarios_the_notebooks_and_the_command(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "sidecar_lab/data/seed/cluster/sleep.yaml" in names
    assert "sidecar_lab/data/seed/observations.yaml" in names
    assert "sidecar_lab/data/next/virtualservice.yaml" in names  # notebook 09's routes
    notebooks = sorted(str(p.relative_to(ROOT / "notebooks")) for p in (ROOT / "notebooks").glob("*/*.ipynb"))
    assert notebooks and all(f"sidecar_lab/notebooks/{n}" in names for n in notebooks)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sidecar-lab = sidecar_lab.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_wheel_carries_every_module_of_every_subpackage(wheel):
    """pyproject lists the packages one by one: a new subpackage left out of it would be missing installed."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sidecar_lab").rglob("*.py"))
    assert "sidecar_lab/course/exercises/routes.py" in modules
    assert [m for m in modules if m not in names] == []


def test_installed_package_finds_its_data_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import sidecar_lab; from pathlib import Path; d = sidecar_lab.data_dir(); "
            "assert 'site-packages' in str(d), d; "
            "m = sidecar_lab.load(sidecar_lab.scenario_paths('seed/cluster', 'seed/steps/02-root-registry-only')); "
            "print(sidecar_lab.check(m, 'istioinaction/sleep', 'http://google.com').verdict.value)")
    done = subprocess.run([str(py), "-I", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "BLOCKED"
