"""The labs a check runs on: the seed lab at each step of the blog, the learner's manifests applied to it as
``kubectl apply`` would, and the small readers every check shares (one Sidecar of an answer, admitted or not,
a verdict, a number)."""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

from ...core.errors import SidecarLabError
from ...core.loader import load, load_text
from ...core.model import Mesh, Sidecar
from ...core.resolver import Simulator
from ...core.resources import data_dir
from .feedback import Feedback, _hint, _loc, message_text

STEPS = ("01-no-sidecar", "02-root-registry-only", "03-namespace-allow-any", "04-namespace-registry-only",
         "05-workload-allow-any", "06-workload-hosts")
SLEEP, HTTPBIN = "istioinaction/sleep", "istioinaction/httpbin"
GOOGLE = "http://google.com"
HTTPBIN_HERE, HTTPBIN_DEFAULT = "http://httpbin.istioinaction:8000/ip", "http://httpbin.default:8000/ip"


# ---------------------------------------------------------------------------------------------
# Meshes: the seed lab, and the learner's manifests applied to it the way kubectl apply would


def _step(step: str) -> str:
    for name in STEPS:
        if step == name or name.split("-", 1)[0] == str(step).zfill(2):
            return name
    raise SidecarLabError(f"unknown step {step!r} (steps: {', '.join(STEPS)})")


def course_paths(*parts: str) -> list[str]:
    """Paths under the course's ``data/`` as a notebook should print them: ``data/seed/...`` when the working
    directory holds the course's data (a learner's workspace of ``sidecar-lab lab`` has its copy), else the
    bundled files, relative to the working directory when that is shorter.

    >>> course_paths("seed/cluster")[0].endswith("seed/cluster")
    True
    """
    out = []
    for part in parts:
        local = Path("data") / part
        if local.exists():
            out.append(local.as_posix())
            continue
        bundled = data_dir() / part
        try:
            relative = os.path.relpath(bundled)
        except ValueError:  # another drive
            relative = str(bundled)
        out.append(relative if len(relative) < len(str(bundled)) else str(bundled))
    return out


@functools.lru_cache(maxsize=16)
def _seed_mesh(step: str) -> Mesh:
    return load(course_paths("seed/cluster", f"seed/steps/{_step(step)}"))


@functools.lru_cache(maxsize=4)
def _productpage_mesh() -> Mesh:
    return load(course_paths("seed/examples/productpage.yaml"))


def seed_simulator(step: str) -> Simulator:
    """The simulator of the seed lab at ``step`` (``"04"`` or ``"04-namespace-registry-only"``)."""
    return Simulator(_seed_mesh(step))


_GROUPS = ("namespaces", "workloads", "services", "service_entries", "virtual_services", "sidecars")


def _key(obj: Any) -> tuple:
    ref = getattr(obj, "ref", None)
    if ref is not None:
        return (type(obj).__name__, ref.namespace, ref.name)
    return (type(obj).__name__, getattr(obj, "name", id(obj)))


def _apply(base: Mesh, extra: Mesh) -> Mesh:
    """``base`` with ``extra``'s objects applied: same kind, namespace and name replaces (keeping the
    object's creation time, as an edit does); a new Sidecar without a creationTimestamp is the newest."""
    changes: dict[str, tuple] = {}
    newest = max((s.created for s in base.sidecars), default=0.0)
    old_sidecars = {s.ref: s for s in base.sidecars}
    for group in _GROUPS:
        added = list(getattr(extra, group))
        if not added:
            continue
        keys = {_key(o) for o in added}
        kept = [o for o in getattr(base, group) if _key(o) not in keys]
        if group == "sidecars":
            fixed = []
            for s in added:
                if s.created_text is None:
                    old = old_sidecars.get(s.ref)
                    newest += 60.0
                    s = dataclasses.replace(s, created=old.created if old is not None else newest)
                fixed.append(s)
            added = fixed
        changes[group] = tuple(kept) + tuple(added)
    if extra.mesh_config.source is not None:
        changes["mesh_config"] = extra.mesh_config
    return dataclasses.replace(base, **changes)


def apply_text(base: Mesh | Simulator | str, text: str, file: str = "your-answer.yaml") -> Simulator:
    """A simulator of ``base`` (a Mesh, a Simulator or a seed step) with the manifests of ``text``
    applied as ``kubectl apply`` would. Raises :class:`~sidecar_lab.core.errors.ManifestError` on bad YAML."""
    if isinstance(base, str):
        base = _seed_mesh(base)
    elif isinstance(base, Simulator):
        base = base.mesh
    return Simulator(_apply(base, load_text(text, file)))


def _parse(text: Any, what: str | None = None) -> tuple[Mesh | None, Feedback | None]:
    what = what or _loc("a Sidecar")
    if not isinstance(text, str):
        return None, _hint(f"the answer should be YAML text (a string), not {type(text).__name__}.",
                           'Write it between triple quotes: answer = """ ... """')
    if not text.strip() or all(line.strip().startswith("#") or not line.strip() for line in text.splitlines()):
        return None, _hint(f"the answer is still empty: write {what} in YAML between the triple quotes.")
    try:
        return load_text(text, "your-answer.yaml"), None
    except SidecarLabError as exc:
        return None, _hint("the YAML cannot be read as Kubernetes manifests.", str(exc),
                           "Check the indentation (two spaces per level, '- ' before each list item) and that "
                           "apiVersion, kind and metadata.name are set.")


def _one_sidecar(mesh: Mesh, namespace: str | None = None, name: str | None = None) -> tuple[Sidecar | None,
                                                                                              Feedback | None]:
    if not mesh.sidecars:
        return None, _hint("there is no Sidecar in your answer.",
                           "It needs apiVersion: networking.istio.io/v1 and kind: Sidecar.")
    if len(mesh.sidecars) > 1:
        return None, _hint(f"your answer holds {len(mesh.sidecars)} Sidecars; this exercise wants exactly one.")
    s = mesh.sidecars[0]
    if namespace is not None and s.namespace != namespace:
        return None, _hint(f"your Sidecar lives in namespace {s.namespace!r}, but it should be in {namespace!r}.",
                           "metadata.namespace decides where a Sidecar lives; a missing one means 'default'.")
    if name is not None and s.name != name:
        return None, _hint(f"your Sidecar is named {s.name!r}; this exercise edits the one named {name!r}.",
                           "kubectl apply replaces an object only when kind, namespace and name are the same.")
    return s, None


def _parsed_sidecar(text: Any, namespace: str | None = None, name: str | None = None) -> tuple[
        Mesh | None, Sidecar | None, Feedback | None]:
    """The answer read (:func:`_parse`) and its one Sidecar (:func:`_one_sidecar`), or the hint for the first
    that fails."""
    mesh, fb = _parse(text)
    if fb is not None:
        return None, None, fb
    s, fb = _one_sidecar(mesh, namespace, name)
    return mesh, s, fb


def _admitted(answer: Mesh, step: str, s: Sidecar) -> tuple[Simulator, Feedback | None]:
    """The seed ``step`` with the answer already read by :func:`_parsed_sidecar` applied, and the hint when
    kubectl would refuse its Sidecar ``s`` (:func:`_rejected`)."""
    sim = Simulator(_apply(_seed_mesh(step), answer))
    return sim, _rejected(sim, s)


def _rejected(sim: Simulator, s: Sidecar) -> Feedback | None:
    msgs = sim.validation.get(s.ref, ())
    errors = [m for m in msgs if m.level == "Error"]
    if not errors:
        return None
    lines = [message_text(m) for m in errors]
    return _hint(f"kubectl apply would refuse this Sidecar ({len(errors)} error{'s' if len(errors) > 1 else ''}).",
                 *lines, "Fix the field named in each message and check again.")


def _warnings(sim: Simulator, s: Sidecar) -> list[str]:
    return [f"admitted with a warning: {message_text(m)}" for m in sim.validation.get(s.ref, ())
            if m.level != "Error"]


def _verdict(sim: Simulator, source: str, target: str) -> str:
    from ...core.traffic import check

    return check(sim, source, target).verdict.value


def _why(sim: Simulator, source: str, target: str) -> str:
    from ...core.traffic import check

    r = check(sim, source, target)
    return f"{source} -> {target}: {r.verdict.value} — " + "; ".join(r.explanation()[-2:])


def _norm_ref(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    return answer.strip().strip("'\"").lower().replace("sidecar ", "")


def _int(answer: Any) -> int | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, str) and answer.strip().isdigit():
        return int(answer.strip())
    return None
