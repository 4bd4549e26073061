"""The curated public surface, and the promise that the core stays light and pure."""

import subprocess
import sys
import types

import sidecar_lab


def test_all_lists_exactly_the_public_members():
    public = {name for name in vars(sidecar_lab)
              if not name.startswith("_") and not isinstance(getattr(sidecar_lab, name), types.ModuleType)}
    public.discard("annotations")  # from __future__
    assert public == set(sidecar_lab.__all__) - {"__version__"}


def test_every_name_in_all_exists():
    for name in sidecar_lab.__all__:
        assert hasattr(sidecar_lab, name), name


CORE = ["sidecar_lab", "sidecar_lab.cli", "sidecar_lab.loader", "sidecar_lab.resolver", "sidecar_lab.traffic",
        "sidecar_lab.results", "sidecar_lab.render", "sidecar_lab.messages", "sidecar_lab.validation",
        "sidecar_lab.schema", "sidecar_lab.analyze", "sidecar_lab.hosts", "sidecar_lab.protocol",
        "sidecar_lab.model", "sidecar_lab.yamlio", "sidecar_lab.synthetic", "sidecar_lab.resources"]
HEAVY = ("matplotlib", "ipywidgets", "IPython", "kubernetes")


def test_the_core_imports_no_heavy_library():
    code = ("import importlib, sys\n"
            f"for m in {CORE!r}: importlib.import_module(m)\n"
            f"print([h for h in {HEAVY!r} if h in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_seed_example_of_the_package_docstring_runs():
    mesh = sidecar_lab.load(sidecar_lab.scenario_paths("seed/cluster", "seed/steps/02-root-registry-only"))
    assert sidecar_lab.check(mesh, "istioinaction/sleep", "http://google.com").verdict is sidecar_lab.Verdict.BLOCKED
    assert sidecar_lab.resolve(mesh, "istioinaction/sleep").sidecar.name == "default"
