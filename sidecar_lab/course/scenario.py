"""A lab scenario: fixed manifests plus the three Sidecars a learner switches on and off.

The issue's three levels of precedence are the three :class:`SidecarLevel` values of a
:class:`Scenario`: the root-namespace default, the namespace-wide Sidecar of the workload's
namespace, and a selector Sidecar that matches the workload. Everything else (Namespaces, Pods,
Services, other Sidecars) is the scenario's *base*, read once and never edited.

A Scenario is a frozen value: widgets make a new one with :meth:`Scenario.with_level`
(``dataclasses.replace``), and the mesh and simulator of each value are cached, so flipping a
control back and forth costs nothing the second time. What the simulator reads is exactly
:meth:`Scenario.sidecar_manifests`, the YAML the learner sees (:meth:`Scenario.sidecars_yaml`),
so the picture cannot disagree with ``sidecar-lab check`` run on that YAML.

Pure: no ipywidgets, matplotlib or IPython here.

>>> s = Scenario.seed("02-root-registry-only")
>>> [(lv.level, lv.enabled, lv.mode) for lv in s.levels]
[('root', True, 'REGISTRY_ONLY'), ('namespace', False, 'ALLOW_ANY'), ('workload', False, 'ALLOW_ANY')]
>>> s2 = s.with_level("namespace", enabled=True)
>>> s2.simulator().resolve("istioinaction/sleep").sidecar.namespace
'istioinaction'
>>> print(s2.sidecars_yaml().split("---")[2].strip())
apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata:
  name: default
  namespace: istioinaction
  creationTimestamp: '2025-06-01T10:08:00Z'
spec:
  outboundTrafficPolicy:
    mode: ALLOW_ANY
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

import yaml

from ..core.errors import UsageError
from ..core.loader import load_objects, manifest_files
from ..core.model import ALLOW_ANY, REGISTRY_ONLY, Mesh, Sidecar
from ..core.resolver import Simulator, selector_matches
from ..core.resources import data_dir
from ..core.validation import ValidationMessage, validate_sidecar
from ..core.yamlio import read_documents, read_path_text

__all__ = ["Scenario", "SidecarLevel", "LEVELS", "MODES", "DEFAULT_MODES", "SEED_TARGETS", "SEED_WORKLOAD",
           "seed_steps", "parse_hosts"]

#: The three levels, in the order a learner meets them (root first); istiod checks them the other way round.
LEVELS = ("root", "namespace", "workload")
MODES = (REGISTRY_ONLY, ALLOW_ANY)
#: The mode a level gets when a scenario has no Sidecar there yet (as the seed walkthrough introduces them).
DEFAULT_MODES: Mapping[str, str] = {"root": REGISTRY_ONLY, "namespace": ALLOW_ANY, "workload": ALLOW_ANY}
#: The requests of the seed lab (the blog's curl commands).
SEED_TARGETS = ("http://httpbin.istioinaction:8000/ip", "http://httpbin.default:8000/ip",
                "http://google.com", "https://google.com")
SEED_WORKLOAD = "istioinaction/sleep"
_SEED_LEVELS = {"root": ("istio-system", "default", None), "namespace": ("istioinaction", "default", None),
                "workload": ("istioinaction", "workload", (("run", "sleep"),))}
_API = "networking.istio.io/v1"
_HOST_SPLIT = re.compile(r"[\s,]+")


def parse_hosts(text: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Egress hosts from a text box: comma or whitespace separated; empty text means unset (None).

    >>> parse_hosts("istioinaction/*, istio-system/*"), parse_hosts("  ")
    (('istioinaction/*', 'istio-system/*'), None)
    """
    if text is None:
        return None
    if isinstance(text, str):
        items = tuple(h for h in _HOST_SPLIT.split(text.strip()) if h)
        return items or None
    return tuple(str(h) for h in text)


def _freeze_selector(selector: Any) -> tuple[tuple[str, str], ...] | None:
    if selector is None:
        return None
    items = selector.items() if isinstance(selector, Mapping) else selector
    return tuple((str(k), str(v)) for k, v in items)


@dataclass(frozen=True, slots=True)
class SidecarLevel:
    """One of the three lab Sidecars, as the learner has set it.

    ``mode`` None leaves ``outboundTrafficPolicy`` out (the mesh mode applies); ``egress_hosts``
    None leaves ``egress`` out (``*/*``, implicit); ``()`` is an egress listener with no host, which
    Istio refuses. ``extra`` keeps, as JSON, whatever a Sidecar found in the learner's manifests had
    besides these (ingress, other egress listeners, egressProxy, labels), so it is written back as is.
    """

    level: str
    namespace: str
    name: str
    enabled: bool = False
    mode: str | None = None
    egress_hosts: tuple[str, ...] | None = None
    selector: tuple[tuple[str, str], ...] | None = None
    created: str | None = None
    api_version: str = _API
    extra: str = ""

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise UsageError(f"unknown level {self.level!r} (one of {', '.join(LEVELS)})")
        mode = self.mode or None
        if mode is not None and mode not in MODES:
            raise UsageError(f"unknown outbound mode {mode!r} (REGISTRY_ONLY, ALLOW_ANY or None for unset)")
        object.__setattr__(self, "mode", mode)
        hosts = self.egress_hosts
        if hosts is not None and not isinstance(hosts, tuple):
            object.__setattr__(self, "egress_hosts", parse_hosts(hosts) if isinstance(hosts, str) else tuple(hosts))
        object.__setattr__(self, "selector", _freeze_selector(self.selector))
        object.__setattr__(self, "enabled", bool(self.enabled))

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def kept(self) -> dict:
        """The parts of the original Sidecar the lab does not edit (see ``extra``)."""
        return _extra(self.extra)

    def spec(self) -> dict:
        """The ``spec`` as it now stands."""
        kept = self.kept
        spec: dict[str, Any] = {}
        if self.selector is not None:
            spec["workloadSelector"] = {"labels": dict(self.selector)} if self.selector else {}
        if self.mode is not None:
            spec["outboundTrafficPolicy"] = {"mode": self.mode, **kept.get("otp", {})}
        elif "otp" in kept:  # as written: `outboundTrafficPolicy: {}` (REGISTRY_ONLY) or an egressProxy
            spec["outboundTrafficPolicy"] = dict(kept["otp"])
        egress = list(kept.get("egress_before", ()))
        if self.egress_hosts is not None:
            egress.append({**kept.get("listener", {}), "hosts": list(self.egress_hosts)})
        egress.extend(kept.get("egress_after", ()))
        if egress:
            spec["egress"] = egress
        spec.update(kept.get("spec", {}))
        return spec

    def manifest(self) -> dict:
        """The whole Sidecar object, ready for ``kubectl apply``."""
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.created:
            meta["creationTimestamp"] = self.created
        meta.update(self.kept.get("metadata", {}))
        return {"apiVersion": self.api_version, "kind": "Sidecar", "metadata": meta, "spec": self.spec()}

    def validation(self) -> tuple[ValidationMessage, ...]:
        """What ``kubectl apply`` would be told about this Sidecar (Istio's own messages)."""
        return validate_sidecar(self.spec(), self.namespace)


@lru_cache(maxsize=256)
def _extra(text: str) -> dict:
    return json.loads(text) if text else {}


def _pack(kept: dict) -> str:
    kept = {k: v for k, v in kept.items() if v or (k == "otp" and v is not None)}
    return json.dumps(kept, default=str, ensure_ascii=False) if kept else ""


def _level_from_object(level: str, obj: Mapping, enabled: bool = True) -> SidecarLevel:
    """A level holding a Sidecar object read from manifests (what the lab cannot edit goes to ``extra``)."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        spec = {}
    kept: dict[str, Any] = {
        "metadata": {k: v for k, v in meta.items() if k not in ("name", "namespace", "creationTimestamp")},
        "spec": {k: v for k, v in spec.items() if k not in ("workloadSelector", "outboundTrafficPolicy", "egress")},
    }
    selector = None
    raw_selector = spec.get("workloadSelector")
    if isinstance(raw_selector, dict):
        selector = tuple((raw_selector.get("labels") or {}).items())
    elif raw_selector is not None:
        kept["spec"]["workloadSelector"] = raw_selector
    mode = None
    otp = spec.get("outboundTrafficPolicy")
    if isinstance(otp, dict):
        if otp.get("mode") in MODES:
            mode = otp["mode"]
            rest = {k: v for k, v in otp.items() if k != "mode"}
            if rest:
                kept["otp"] = rest
        else:
            kept["otp"] = dict(otp)  # no mode (REGISTRY_ONLY) or an unknown one: keep it exactly
    elif otp is not None:
        kept["spec"]["outboundTrafficPolicy"] = otp
    hosts = None
    egress = spec.get("egress")
    if isinstance(egress, list):
        # The port-less (catch-all) listener is the one the lab edits; the others are kept around it.
        editable = [i for i, e in enumerate(egress) if isinstance(e, dict) and e.get("port") is None
                    and isinstance(e.get("hosts"), list) and all(isinstance(h, str) for h in e["hosts"])]
        if editable:
            i = editable[-1]
            hosts = tuple(egress[i]["hosts"])
            kept["listener"] = {k: v for k, v in egress[i].items() if k != "hosts"}
            kept["egress_before"], kept["egress_after"] = egress[:i], egress[i + 1:]
        else:
            kept["egress_before"] = egress
    elif egress is not None:
        kept["spec"]["egress"] = egress
    name = meta.get("name") or "default"
    namespace = meta.get("namespace") or "default"
    created = meta.get("creationTimestamp")
    return SidecarLevel(level, str(namespace), str(name), enabled, mode, hosts, selector,
                        str(created) if created is not None else None, str(obj.get("apiVersion") or _API),
                        _pack(copy.deepcopy(kept)))


def _flatten(objects: Iterable[Any]) -> list:
    out = []
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("kind"), str) and obj["kind"].endswith("List") \
                and isinstance(obj.get("items"), list):
            out.extend(obj["items"])
        else:
            out.append(obj)
    return out


def _is_sidecar(obj: Any, namespace: str | None = None, name: str | None = None) -> bool:
    if not isinstance(obj, dict) or obj.get("kind") != "Sidecar":
        return False
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        return False
    return ((namespace is None or (meta.get("namespace") or "default") == namespace)
            and (name is None or meta.get("name") == name))


def _digest(objects: Sequence[Any]) -> str:
    text = json.dumps(list(objects), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read_objects(paths: Sequence[str]) -> list:
    objects: list = []
    for path in manifest_files([os.fspath(p) for p in paths]):
        objects.extend(d.data for d in read_documents(read_path_text(path), path, keep_positions=lambda _: False))
    return objects


@dataclass(frozen=True, slots=True)
class Scenario:
    """Base manifests plus the three lab Sidecars; a value (compare, hash and cache by it)."""

    base: tuple[Any, ...] = field(compare=False, hash=False, repr=False)
    levels: tuple[SidecarLevel, ...]
    #: The workload the levels were chosen for (``NS/NAME``).
    workload: str = SEED_WORKLOAD
    title: str = ""
    #: The seed step this scenario was built from, if any.
    step: str | None = None
    #: A digest of ``base``: two scenarios with the same base and levels share their mesh.
    base_key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", tuple(self.base))
        if tuple(lv.level for lv in self.levels) != LEVELS:
            raise UsageError(f"a scenario has exactly the levels {', '.join(LEVELS)}, in that order")
        if not self.base_key:
            object.__setattr__(self, "base_key", _digest(self.base))

    # -- building --------------------------------------------------------------------------
    @classmethod
    def seed(cls, step: str = "01-no-sidecar") -> "Scenario":
        """The seed lab (``data/seed``): its cluster and the Sidecars of one step of the walkthrough.

        A level the step does not have starts disabled, set as the walkthrough first introduces it.
        """
        return _seed(step)

    @classmethod
    def from_paths(cls, paths: Sequence[str] | str, *, workload: str | None = None) -> "Scenario":
        """Any manifests (files, directories): the levels are found for ``workload``."""
        if isinstance(paths, (str, os.PathLike)):
            paths = [os.fspath(paths)]
        title = ", ".join(os.path.basename(os.fspath(p).rstrip("/")) for p in paths)
        return cls.from_objects(_read_objects(paths), workload=workload, title=title)

    @classmethod
    def from_yaml(cls, text: str, *, workload: str | None = None, file: str = "<yaml>") -> "Scenario":
        """Manifests given as YAML text (one or more documents)."""
        objects = [d.data for d in read_documents(text, file, keep_positions=lambda _: False)]
        return cls.from_objects(objects, workload=workload, title=file)

    @classmethod
    def from_objects(cls, objects: Iterable[Any], *, workload: str | None = None, title: str = "") -> "Scenario":
        """Manifests as plain dicts. The levels found, for the chosen workload:

        * root: the oldest selector-less Sidecar of the root namespace;
        * namespace: the oldest selector-less Sidecar of the workload's namespace;
        * workload: the selector Sidecar istiod would pick for the workload (selector ones first, oldest).

        The rest stays in the base. A missing level starts disabled with :data:`DEFAULT_MODES`.
        """
        objects = _flatten(copy.deepcopy(list(objects)))
        mesh = load_objects(objects)  # refuse bad manifests here, with the loader's message
        sim = Simulator(mesh)
        w = _pick_workload(sim, workload)
        labels = dict(w.labels) if w is not None else {}
        ns = w.namespace if w is not None else "default"
        root = mesh.mesh_config.root_namespace
        by_order = sorted(mesh.sidecars, key=lambda s: (not s.spec.has_selector, s.order_key()))
        root_found = next((s for s in by_order if s.namespace == root and not s.spec.has_selector), None)
        ns_found = next((s for s in by_order if s.namespace == ns and not s.spec.has_selector
                         and s is not root_found), None)
        wl_found = next((s for s in by_order if s.namespace == ns and s.spec.has_selector
                         and selector_matches(s.spec.workload_selector, labels)), None)
        found = {"root": root_found, "namespace": ns_found, "workload": wl_found}
        taken = {(s.namespace, s.name) for s in mesh.sidecars}
        levels = []
        for level in LEVELS:
            s: Sidecar | None = found[level]
            if s is not None:
                obj = _last(o for o in objects if _is_sidecar(o, s.namespace, s.name))
                levels.append(_level_from_object(level, obj))
                continue
            where = root if level == "root" else ns
            name = _free_name(where, "default" if level != "workload" else (w.name if w else "workload"), taken)
            taken.add((where, name))
            selector = _default_selector(labels) if level == "workload" else None
            levels.append(SidecarLevel(level, where, name, False, DEFAULT_MODES[level], None, selector))
        chosen = {(lv.namespace, lv.name) for lv, s in zip(levels, found.values()) if s is not None}
        base = tuple(o for o in objects if not any(_is_sidecar(o, n, m) for n, m in chosen))
        return cls(base, tuple(levels), f"{w.namespace}/{w.name}" if w is not None else "", title)

    def with_level(self, level: str, **changes: Any) -> "Scenario":
        """A new scenario with one level changed (``enabled``, ``mode``, ``egress_hosts``, ``selector``, ...)."""
        current = self.level(level)
        if "mode" in changes and current.kept.get("otp") == {}:
            # `outboundTrafficPolicy: {}` as written lasts until the learner picks a mode.
            kept = dict(current.kept)
            del kept["otp"]
            changes.setdefault("extra", _pack(kept))
        new = replace(current, **changes)
        return replace(self, levels=tuple(new if lv.level == level else lv for lv in self.levels))

    def with_levels(self, settings: Mapping[str, Mapping[str, Any]]) -> "Scenario":
        """Several levels at once: ``{"root": {"enabled": True}, ...}``."""
        out = self
        for level, changes in settings.items():
            out = out.with_level(level, **changes)
        return out

    # -- reading ---------------------------------------------------------------------------
    def level(self, name: str) -> SidecarLevel:
        for lv in self.levels:
            if lv.level == name:
                return lv
        raise UsageError(f"unknown level {name!r} (one of {', '.join(LEVELS)})")

    def sidecar_manifests(self) -> list[dict]:
        """The enabled lab Sidecars as they now stand (an empty spec stays empty: Istio refuses it, and says so)."""
        return [lv.manifest() for lv in self.levels if lv.enabled]

    def sidecars_yaml(self) -> str:
        """The enabled lab Sidecars as multi-document YAML, ready for ``kubectl apply -f -``."""
        docs = self.sidecar_manifests()
        if not docs:
            return ""
        return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, allow_unicode=True,
                                  explicit_start=True)

    def manifests(self) -> list:
        """Base plus the enabled lab Sidecars: everything the simulator reads."""
        return [*copy.deepcopy(list(self.base)), *self.sidecar_manifests()]

    def validation(self) -> dict[str, tuple[ValidationMessage, ...]]:
        """Istio's admission messages for each enabled level (empty tuple: admitted without warnings)."""
        return {lv.level: lv.validation() for lv in self.levels if lv.enabled}

    def mesh(self) -> Mesh:
        """The mesh of this scenario (cached by value)."""
        return self.simulator().mesh

    def simulator(self) -> Simulator:
        """The simulator of this scenario (cached by value: the same settings reuse their scopes)."""
        key = (self.base_key, self.levels)
        sim = _SIMULATORS.get(key)
        if sim is not None:
            _SIMULATORS.move_to_end(key)
            return sim
        sim = Simulator(_combined_mesh(self))
        _SIMULATORS[key] = sim
        if len(_SIMULATORS) > 256:
            _SIMULATORS.popitem(last=False)
        return sim

    def workloads(self) -> list[str]:
        """Every workload of the scenario, ``NS/NAME``."""
        return [f"{w.namespace}/{w.name}" for w in self.simulator().workloads()]


_SIMULATORS: "OrderedDict[tuple, Simulator]" = OrderedDict()
_BASE_MESHES: "OrderedDict[str, Mesh]" = OrderedDict()


def _combined_mesh(scenario: Scenario) -> Mesh:
    base = _BASE_MESHES.get(scenario.base_key)
    if base is None:
        base = _BASE_MESHES[scenario.base_key] = load_objects(scenario.base, "<scenario>")
        if len(_BASE_MESHES) > 32:
            _BASE_MESHES.popitem(last=False)
    manifests = scenario.sidecar_manifests()
    if not manifests:
        return base
    lab = load_objects(manifests, "<lab Sidecars>")
    mine = {(s.namespace, s.name) for s in lab.sidecars}
    kept = tuple(s for s in base.sidecars if (s.namespace, s.name) not in mine)
    notes = tuple(f"Sidecar {s.namespace}/{s.name} is defined twice (the base manifests and the lab); "
                  "the lab's is used, as kubectl apply would" for s in base.sidecars if (s.namespace, s.name) in mine)
    return replace(base, sidecars=kept + lab.sidecars, origins=base.origins + lab.origins, notes=base.notes + notes)


def _last(items: Iterable[Any]) -> Any:
    found = None
    for item in items:
        found = item
    return found


def _pick_workload(sim: Simulator, workload: str | None):
    if workload:
        return sim.workload(workload)
    workloads = sim.workloads()
    for w in workloads:
        if f"{w.namespace}/{w.name}" == SEED_WORKLOAD:
            return w
    with_proxy = [w for w in workloads if sim.proxy_kind(w)[0] == "sidecar"]
    return (with_proxy or workloads or [None])[0]


def _default_selector(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    for key in ("app", "run", "app.kubernetes.io/name"):
        if key in labels:
            return ((key, labels[key]),)
    return tuple(sorted(labels.items()))


def _free_name(namespace: str, wanted: str, taken: set) -> str:
    name, i = wanted, 2
    while (namespace, name) in taken:
        name, i = f"{wanted}-{i}", i + 1
    return name


# -- the seed lab ----------------------------------------------------------------------------

def seed_steps() -> list[str]:
    """The steps of the seed walkthrough, in order (``01-no-sidecar``, ...)."""
    steps = data_dir() / "seed" / "steps"
    return sorted(p.name for p in steps.iterdir() if p.is_dir())


@lru_cache(maxsize=None)
def _seed_objects(part: str) -> tuple:
    return tuple(_read_objects([str(data_dir() / "seed" / part)]))


@lru_cache(maxsize=32)
def _seed(step: str) -> Scenario:
    steps = seed_steps()
    if step not in steps:
        raise UsageError(f"unknown seed step {step!r} (known: {', '.join(steps)})")
    cluster = list(_seed_objects("cluster"))
    here = list(_seed_objects(f"steps/{step}"))
    levels = []
    for level in LEVELS:
        ns, name, selector = _SEED_LEVELS[level]
        obj = _last(o for o in here if _is_sidecar(o, ns, name))
        if obj is not None:
            levels.append(_level_from_object(level, obj))
            continue
        # Not there yet: the level as the walkthrough first introduces it, switched off.
        first = None
        for later in steps:
            first = _last(o for o in _seed_objects(f"steps/{later}") if _is_sidecar(o, ns, name))
            if first is not None:
                break
        if first is not None:
            levels.append(_level_from_object(level, first, enabled=False))
        else:  # pragma: no cover - every seed level appears in some step
            levels.append(SidecarLevel(level, ns, name, False, DEFAULT_MODES[level], None, selector))
    others = [o for o in here if not any(_is_sidecar(o, lv.namespace, lv.name) for lv in levels)]
    return Scenario(tuple(cluster + others), tuple(levels), SEED_WORKLOAD, f"seed {step}", step)
