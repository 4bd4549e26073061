"""sidecar-lab: a faithful offline simulator of how Istio applies ``Sidecar`` resources.

>>> import sidecar_lab
>>> mesh = sidecar_lab.load(sidecar_lab.scenario_paths("seed/cluster", "seed/steps/02-root-registry-only"))
>>> sidecar_lab.check(mesh, "istioinaction/sleep", "http://google.com").verdict
<Verdict.BLOCKED: 'BLOCKED'>
"""

from __future__ import annotations



from .core import __version__
from .core.errors import ClusterError, ManifestError, SidecarLabError, UsageError
from .core.loader import load, load_objects, load_text
from .core.messages import get_language, set_language
from .core.model import Mesh, Sidecar, Workload
from .core.resolver import Simulator
from .core.resources import data_dir, notebooks_dir, scenario_paths
from .core.results import RequestResult, Resolution, Verdict


__all__ = [
    "__version__", "load", "load_text", "load_objects", "resolve", "check", "Simulator", "Mesh", "Sidecar",
    "Workload", "Resolution", "RequestResult", "Verdict", "SidecarLabError", "ManifestError", "UsageError",
    "ClusterError", "data_dir", "notebooks_dir", "scenario_paths", "set_language", "get_language",
]


def resolve(mesh: Mesh | Simulator, workload: str) -> Resolution:
    """Which Sidecar governs ``workload`` (``NS/NAME``), why, and what its proxy sees."""
    sim = mesh if isinstance(mesh, Simulator) else Simulator(mesh)
    return sim.resolve(workload)


def check(mesh: Mesh | Simulator, source: str, target: str) -> RequestResult:
    """What happens when ``source`` (``NS/NAME``) sends a request to ``target`` (a curl-like URL)."""
    from .core.traffic import check as _check

    sim = mesh if isinstance(mesh, Simulator) else Simulator(mesh)
    return _check(sim, source, target)


def __dir__() -> list[str]:  # pragma: no cover - interactive nicety
    return sorted(__all__)


