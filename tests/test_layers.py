"""The folder is the architecture: each subpackage imports only the layers below it (docs/architecture.md).

    cli  ->  course, live, scale, core     (the command line sits on top)
    course -> scale, core                  (notebook 08 teaches the scale tools)
    live   -> core
    scale  -> core
    core   -> nothing of sidecar_lab's but itself; the standard library and PyYAML only

Every import statement counts, the lazy ones inside functions too.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sidecar_lab"
LAYERS = ("core", "course", "live", "scale", "cli")
ALLOWED = {
    "core": {"core"},
    "course": {"core", "course", "scale"},
    "live": {"core", "live"},
    "scale": {"core", "scale"},
    "cli": set(LAYERS),
    "": {"core"},  # sidecar_lab/__init__.py: the public surface is the core's
}
HEAVY = ("matplotlib", "ipywidgets", "IPython", "kubernetes", "nbformat", "nbclient", "jupyterlab", "notebook",
         "playwright")


def _layer_of(module: str) -> str:
    """``sidecar_lab.core.loader`` -> ``core``; ``sidecar_lab`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module that ``path`` imports, absolute, with the line of the statement."""
    name, is_package = _module_name(path)
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.level and not node.module:  # from . import figures
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_sits_in_a_layer():
    loose = [p.name for p in MODULES if p.parent == PACKAGE and p.name not in ("__init__.py", "__main__.py")]
    assert loose == [], f"put these in one of {LAYERS}: {loose}"
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
        assert doc and "import" in doc, f"sidecar_lab/{layer}/__init__.py must say what it owns and may import"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_each_module_imports_only_the_layers_below_it(path):
    name, _ = _module_name(path)
    layer = _layer_of(name) if name.count(".") else ""
    if name == "sidecar_lab.__main__":
        layer = "cli"
    wrong = [f"line {line}: {target}" for line, target in _imports(path)
             if target.split(".")[0] == "sidecar_lab" and _layer_of(target) not in ALLOWED[layer]]
    assert wrong == [], f"{name} ({layer or 'top'}) may import only {sorted(ALLOWED[layer])}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(PACKAGE).parts[0] in ("core", "__init__.py")],
                         ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_the_core_never_imports_a_heavy_library(path):
    heavy = [f"line {line}: {target}" for line, target in _imports(path) if target.split(".")[0] in HEAVY]
    assert heavy == []


def test_the_package_the_command_and_every_layer_import_no_heavy_library_at_import_time():
    # Lazy imports inside functions are the faces' business; importing a module must stay light
    # (the modules that draw import matplotlib/ipywidgets themselves and are left out here).
    light = ["sidecar_lab", "sidecar_lab.cli", "sidecar_lab.cli.live", "sidecar_lab.cli.proxy_config",
             "sidecar_lab.course",
             "sidecar_lab.course.exercises", "sidecar_lab.course.scenario", "sidecar_lab.course.lab",
             "sidecar_lab.live", "sidecar_lab.live.cluster", "sidecar_lab.live.compare", "sidecar_lab.live.client",
             "sidecar_lab.live.discovery", "sidecar_lab.live.snapshot", "sidecar_lab.live.preflight",
             "sidecar_lab.live.session", "sidecar_lab.live.actions", "sidecar_lab.live.cleanup",
             "sidecar_lab.live.podexec", "sidecar_lab.live.verify", "sidecar_lab.scale",
             "sidecar_lab.scale.sizing", "sidecar_lab.scale.suggest", "sidecar_lab.scale.synthetic",
             "sidecar_lab.scale.figures", "sidecar_lab.scale.calibration", "sidecar_lab.scale.proxyconfig"]
    light += sorted(_module_name(p)[0] for p in (PACKAGE / "core").glob("*.py"))
    code = ("import importlib, sys\n"
            f"for m in {light!r}: importlib.import_module(m)\n"
            f"print([h for h in {HEAVY!r} if h in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
