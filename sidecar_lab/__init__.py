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
from .core.versions import DEFAULT_VERSION as DEFAULT_ISTIO_VERSION


__all__ = [
    "__version__", "load", "load_text", "load_objects", "resolve", "check", "Simulator", "Mesh", "Sidecar",
    "Workload", "Resolution", "RequestResult", "Verdict", "SidecarLabError", "ManifestError", "UsageError",
    "ClusterError", "data_dir", "notebooks_dir", "scenario_paths", "set_language", "get_language",
    "compare_versions", "DEFAULT_ISTIO_VERSION",
]


def _simulator(mesh: Mesh | Simulator, istio_version: str | None) -> Simulator:
    if isinstance(mesh, Simulator):
        if istio_version is not None and str(mesh.rules.version) != istio_version:
            return Simulator(mesh.mesh, istio_version)
        return mesh
    return Simulator(mesh, istio_version)


def resolve(mesh: Mesh | Simulator, workload: str, istio_version: str | None = None) -> Resolution:
    """Which Sidecar governs ``workload`` (``NS/NAME``), why, and what its proxy sees.

    ``istio_version`` (``"1.22"`` ... ``"1.31"``, default 1.26) picks the release whose rules answer.
    """
    return _simulator(mesh, istio_version).resolve(workload)


def check(mesh: Mesh | Simulator, source: str, target: str, istio_version: str | None = None, *, headers=None,
          method: str = "GET") -> RequestResult:
    """What happens when ``source`` (``NS/NAME``) sends a request to ``target`` (a curl-like URL), with
    optional request ``headers`` (``["x-user: a"]`` or a mapping) and ``method``."""
    from .core.traffic import check as _check

    return _check(_simulator(mesh, istio_version), source, target, headers=headers, method=method)


def compare_versions(mesh: Mesh | Simulator, source: str, target: str | None = None,
                     versions: "tuple[str, ...] | list[str] | str" = ("1.26", "1.31")):
    """The same question answered by several Istio releases, side by side (a VersionComparison).

    With ``target``: what happens to that request (``check``); without: which Sidecar governs
    ``source`` and what its proxy sees (``resolve``). In a notebook the result shows as a table with
    the rows that differ highlighted; ``.text()`` and ``.to_json()`` give the command's forms.

    >>> mesh = load(scenario_paths("seed/cluster", "seed/steps/02-root-registry-only"))
    >>> compare_versions(mesh, "istioinaction/sleep", "http://httpbin.default.svc.cluster.local.:8000/").value("verdict")
    ('BLOCKED', 'ROUTED')
    """
    from .core.version_compare import compare_check, compare_resolve

    base = mesh.mesh if isinstance(mesh, Simulator) else mesh
    if target is None:
        return compare_resolve(base, source, versions)
    return compare_check(base, source, target, versions)


def __dir__() -> list[str]:  # pragma: no cover - interactive nicety
    return sorted(__all__)


