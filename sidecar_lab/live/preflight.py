"""Preflight: what the cluster has and lacks for the lab, each missing piece with the line that fixes it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Mapping

from .client import ApiError, Connection
from .discovery import GATEWAY_GROUP, INSTALL_ISTIO, ISTIO_GROUP, READ_KINDS, Discovery
from .podexec import container_names
from .snapshot import mesh_configmap

__all__ = ["Preflight", "PreflightItem", "preflight", "istio_version_of", "LAB_INJECTED_NAMESPACE"]

LAB_INJECTED_NAMESPACE = "istioinaction"


@dataclass(frozen=True)
class PreflightItem:
    name: str
    ok: bool
    detail: str
    #: One line that fixes what is missing (None when nothing is).
    fix: str | None = None
    #: False for what only the seed lab needs (a cluster can be snapshotted without it).
    required: bool = True

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Preflight:
    context: str
    server: str
    items: tuple[PreflightItem, ...]
    commands: tuple[str, ...] = ()
    istio_version: str | None = None

    @property
    def ok(self) -> bool:
        """Every required item is fine."""
        return all(i.ok for i in self.items if i.required)

    def item(self, name: str) -> PreflightItem:
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)

    def to_json(self) -> dict:
        return {"context": self.context, "server": self.server, "ok": self.ok, "istio_version": self.istio_version,
                "items": [i.to_json() for i in self.items], "commands": list(self.commands)}

    def text(self) -> str:
        lines = [f"cluster {self.context} at {self.server}"]
        width = max((len(i.name) for i in self.items), default=0)
        for i in self.items:
            mark = "ok  " if i.ok else ("FAIL" if i.required else "warn")
            lines.append(f"  {mark} {i.name:<{width}}  {i.detail}")
            if not i.ok and i.fix:
                lines.append(f"       {'':<{width}}  fix: {i.fix}")
        lines.append("ready" if self.ok else "not ready: run the fix lines above")
        return "\n".join(lines)


def preflight(conn: Connection, discovery: Discovery, istio_namespace: str = "istio-system") -> Preflight:
    """What is there and what is missing, each missing piece with a line that fixes it."""
    k, ictl = conn.kubectl, conn.istioctl
    commands = [f"{k} version", f"{k} get crd sidecars.{ISTIO_GROUP}",
                f"{k} get deployment -n {istio_namespace} -l app=istiod", f"{ictl} version",
                f"{k} get configmap istio -n {istio_namespace} -o jsonpath='{{.data.mesh}}'",
                f"{k} get namespace -L istio-injection -L istio.io/rev",
                f"{k} get pod -n {LAB_INJECTED_NAMESPACE} sleep -o jsonpath='{{.spec.containers[*].name}}'"]
    for c in commands:
        conn.record(c)
    items = [PreflightItem("Kubernetes API", True, f"{conn.server_version} at {conn.server}")]

    def forbidden(name: str, exc: ApiError, required: bool = True) -> PreflightItem:
        return PreflightItem(name, False, str(exc), f"ask for read access ({k} auth can-i --list)", required)

    try:
        served = discovery.istio_served(refresh=True)
        sidecar = served.get("sidecars")
        items.append(PreflightItem(
            "Sidecar CRD", bool(sidecar),
            f"sidecars.{ISTIO_GROUP} served as {', '.join(sidecar)}" if sidecar
            else f"sidecars.{ISTIO_GROUP} is not installed", None if sidecar else INSTALL_ISTIO))
        others = ("serviceentries", "virtualservices", "destinationrules")
        missing = [f"{p}.{ISTIO_GROUP}" for p in others if p not in served]
        items.append(PreflightItem("other Istio CRDs", not missing,
                                   f"missing: {', '.join(missing)}" if missing
                                   else "serviceentries, virtualservices and destinationrules are served",
                                   INSTALL_ISTIO if missing else None))
        route = READ_KINDS["HTTPRoute"]
        versions = discovery.served(GATEWAY_GROUP, refresh=True).get(route.plural)
        readable = [v for v in versions or () if v in route.versions]
        items.append(PreflightItem(
            "Gateway API", True,
            f"{route.qualified} served as {', '.join(versions)}" + ("" if readable else
                                                                   " (not a version sidecar-lab reads)")
            if versions else f"{route.qualified} is not installed: no HTTPRoute can route the mesh", None, False))
    except ApiError as exc:
        items.append(forbidden("Sidecar CRD", exc))
    version = None
    try:
        deployments = conn.json("list", "deployments", istio_namespace, conn.apps.list_namespaced_deployment,
                                istio_namespace, label_selector="app=istiod").get("items") or []
        if deployments:
            d = deployments[0]
            version = istio_version_of(d)
            status = d.get("status") or {}
            ready = status.get("readyReplicas") or 0
            want = (d.get("spec") or {}).get("replicas", 1)
            where = f"deployment {istio_namespace}/{d['metadata']['name']}"
            if "replicas" in status or "observedGeneration" in status:  # the controller reported
                items.append(PreflightItem("istiod", ready > 0, f"{where}, {ready}/{want} ready",
                                           None if ready else f"{k} rollout status -n "
                                           f"{istio_namespace} deployment/{d['metadata']['name']}"))
            else:
                items.append(PreflightItem("istiod", True, f"{where} (readiness not reported yet)"))
        else:
            items.append(PreflightItem("istiod", False, f"no istiod deployment in {istio_namespace} "
                                       "(label app=istiod)", INSTALL_ISTIO))
        items.append(PreflightItem("Istio version", version is not None,
                                   version or "unknown (no istiod, or its image has no version tag)",
                                   None if version else f"{ictl} version"))
    except ApiError as exc:
        if exc.status != 403:
            raise
        items.append(forbidden("istiod", exc))
    try:
        cm = mesh_configmap(conn, istio_namespace)
        if cm is None:
            items.append(PreflightItem("mesh config", False, f"no ConfigMap istio in {istio_namespace}: "
                                       "istiod runs on its defaults (outbound ALLOW_ANY)", INSTALL_ISTIO))
        else:
            items.append(PreflightItem("mesh config", True, _mesh_summary(cm)))
    except ApiError as exc:
        if exc.status != 403:
            raise
        items.append(forbidden("mesh config", exc, required=False))
    try:
        namespaces = conn.json("list", "namespaces", None, conn.core.list_namespace).get("items") or []
        injected = []
        for ns in namespaces:
            labels = (ns.get("metadata") or {}).get("labels") or {}
            if labels.get("istio-injection") == "enabled":
                injected.append(f"{ns['metadata']['name']} (istio-injection=enabled)")
            elif labels.get("istio.io/rev") and labels.get("istio-injection") != "disabled":
                injected.append(f"{ns['metadata']['name']} (istio.io/rev={labels['istio.io/rev']})")
        items.append(PreflightItem("injection", bool(injected),
                                   "injected namespaces: " + (", ".join(injected) if injected else "none"),
                                   None if injected else
                                   f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled",
                                   required=False))
        names = {(ns.get("metadata") or {}).get("name"): ns for ns in namespaces}
        lab_ns = names.get(LAB_INJECTED_NAMESPACE)
        if lab_ns is None:
            items.append(PreflightItem("lab namespace", False, f"namespace {LAB_INJECTED_NAMESPACE} does not exist",
                                       "sidecar-lab live deploy", required=False))
        else:
            labelled = ((lab_ns.get("metadata") or {}).get("labels") or {}).get("istio-injection") == "enabled"
            items.append(PreflightItem(
                "lab namespace", labelled,
                f"{LAB_INJECTED_NAMESPACE} {'is' if labelled else 'is not'} labelled istio-injection=enabled",
                None if labelled else f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled",
                required=False))
            items.append(_sleep_item(conn))
    except ApiError as exc:
        if exc.status != 403:
            raise
        items.append(forbidden("injection", exc, required=False))
    return Preflight(conn.context, conn.server, tuple(items), tuple(commands), version)


def _sleep_item(conn: Connection) -> PreflightItem:
    ns = LAB_INJECTED_NAMESPACE
    try:
        pod = conn.json("get", "pods", ns, conn.core.read_namespaced_pod, "sleep", ns)
    except ApiError as exc:
        if exc.status == 404:
            return PreflightItem("sleep pod", False, f"no pod {ns}/sleep", "sidecar-lab live deploy", required=False)
        raise
    # From Istio 1.27 (Rules.native_sidecars_auto) istio-proxy is an init container on kubelets >= 1.33.
    containers = container_names(pod, init=True)
    phase = (pod.get("status") or {}).get("phase", "Unknown")
    if "istio-proxy" not in containers:
        return PreflightItem("sleep pod", False, f"{ns}/sleep ({phase}) has no istio-proxy "
                             "container: it was created before the namespace was labelled",
                             f"{conn.kubectl} delete pod -n {ns} sleep && sidecar-lab live deploy", required=False)
    return PreflightItem("sleep pod", phase == "Running", f"{ns}/sleep is {phase}, containers {', '.join(containers)}",
                         None if phase == "Running" else f"{conn.kubectl} describe pod -n {ns} sleep",
                         required=False)


def istio_version_of(deployment: Mapping) -> str | None:
    """Istio's version from istiod's labels or its image tag (``docker.io/istio/pilot:1.26.0``)."""
    meta = deployment.get("metadata") or {}
    labels = meta.get("labels") or {}
    for key in ("operator.istio.io/version", "app.kubernetes.io/version", "helm.sh/chart"):
        value = labels.get(key)
        if value:
            m = re.search(r"(\d+\.\d+(?:\.\d+)?(?:-[A-Za-z0-9.]+)?)", value)
            if m:
                return m.group(1)
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    for c in containers:
        image = c.get("image") or ""
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        m = re.match(r"(\d+\.\d+(?:\.\d+)?)", tag)
        if m:
            return m.group(1)
    rev = labels.get("istio.io/rev")
    if rev and rev != "default":
        return f"revision {rev}"
    return None


def _mesh_summary(cm: Mapping) -> str:
    import yaml

    name = f"{(cm.get('metadata') or {}).get('namespace')}/{(cm.get('metadata') or {}).get('name')}"
    text = (cm.get("data") or {}).get("mesh") or ""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return f"ConfigMap {name}: data.mesh is not valid YAML"
    if not isinstance(data, dict):
        data = {}
    otp = data.get("outboundTrafficPolicy")
    if otp is None:
        mode = "ALLOW_ANY (not set: the default)"
    else:
        mode = (otp or {}).get("mode") or "REGISTRY_ONLY (outboundTrafficPolicy: {})"
    root = data.get("rootNamespace") or "istio-system"
    return f"ConfigMap {name}: outbound {mode}, root namespace {root}"
