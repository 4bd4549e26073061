"""The curated public surface (the layer rule and the core's purity: tests/test_layers.py)."""

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


def test_the_seed_example_of_the_package_docstring_runs():
    mesh = sidecar_lab.load(sidecar_lab.scenario_paths("seed/cluster", "seed/steps/02-root-registry-only"))
    assert sidecar_lab.check(mesh, "istioinaction/sleep", "http://google.com").verdict is sidecar_lab.Verdict.BLOCKED
    assert sidecar_lab.resolve(mesh, "istioinaction/sleep").sidecar.name == "default"
