"""Snapshot: the cluster's objects that the simulator reads, pruned to the fields it uses.

Namespaces, Pods (and their controllers), Services, the mesh config (``data.mesh`` whole, so
``outboundTrafficPolicy``, ``rootNamespace`` and the ``default*ExportTo`` defaults come with it), and
every kind of :data:`~sidecar_lab.live.discovery.READ_KINDS`: Sidecars, ServiceEntries (their
``endpoints`` too), VirtualServices, DestinationRules and Gateway API HTTPRoutes, each as a whole
``spec``. A kind whose CRD is not installed is a note; a kind that is served but cannot be listed
(403, or a 404 from an advertised kind) is an error.

Everything read goes through the same loader as files
(:func:`sidecar_lab.core.loader.load_objects`), so ``resolve``, ``check``, ``matrix`` and the
notebooks' widgets answer a live cluster exactly as they answer its manifests. What cannot be read
is said in a note, or is an error when reading on would give a wrong answer (a Sidecar list that
fails must not look like a cluster without Sidecars).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Any, Callable, Mapping, Sequence

from .client import ApiError, Connection
from .discovery import GATEWAY_GROUP, ISTIO_GROUP, READ_KINDS, Discovery
from ..core.errors import ManifestError

__all__ = ["snapshot_objects", "mesh_from_objects", "snapshot_yaml", "mesh_configmap", "prune",
           "without_controllers_of_listed_pods", "istio_release_of", "LAST_APPLIED"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def mesh_configmap(conn: Connection, namespace: str) -> dict | None:
    """The ConfigMap istiod reads its mesh config from (``istio``, or a revision's ``istio-REV``)."""
    try:
        return conn.json("get", "configmaps", namespace, conn.core.read_namespaced_config_map, "istio", namespace)
    except ApiError as exc:
        if exc.status != 404:
            raise
    listed = conn.json("list", "configmaps", namespace, conn.core.list_namespaced_config_map, namespace,
                       label_selector="istio.io/rev")
    for cm in listed.get("items") or []:
        if cm["metadata"]["name"].startswith("istio-") and "mesh" in (cm.get("data") or {}):
            return cm
    return None


def snapshot_objects(conn: Connection, discovery: Discovery, istio_namespace: str = "istio-system"
                     ) -> tuple[list[dict], list[str]]:
    """The objects the simulator reads, pruned to the fields it uses, and notes on what is missing."""
    objects: list[dict] = []
    notes: list[str] = []
    k = conn.kubectl
    conn.record(f"{k} get namespaces,pods,services,deployments,statefulsets,daemonsets -A -o yaml")
    conn.record(f"{k} get " + ",".join(rk.qualified for rk in READ_KINDS.values() if rk.group == ISTIO_GROUP)
                + " -A -o yaml")
    conn.record(f"{k} get httproutes.{GATEWAY_GROUP} -A -o yaml")
    conn.record(f"{k} get configmap istio -n {istio_namespace} -o yaml")

    def listed(resource: str, fn: Callable, kind: str, api_version: str, optional: bool = False) -> None:
        try:
            data = conn.json("list", resource, None, fn)
        except ApiError as exc:
            if optional and exc.status in (403, 404):
                notes.append(f"{resource} not read ({exc}); the snapshot has none")
                return
            raise
        for item in data.get("items") or []:
            item = dict(item, apiVersion=api_version, kind=kind)
            objects.append(prune(item))

    core, apps = conn.core, conn.apps
    listed("namespaces", core.list_namespace, "Namespace", "v1")
    listed("pods", core.list_pod_for_all_namespaces, "Pod", "v1")
    listed("services", core.list_service_for_all_namespaces, "Service", "v1")
    listed("deployments", apps.list_deployment_for_all_namespaces, "Deployment", "apps/v1", optional=True)
    listed("statefulsets", apps.list_stateful_set_for_all_namespaces, "StatefulSet", "apps/v1", optional=True)
    listed("daemonsets", apps.list_daemon_set_for_all_namespaces, "DaemonSet", "apps/v1", optional=True)
    cm = None
    try:
        cm = mesh_configmap(conn, istio_namespace)
        if cm is None:
            notes.append(f"no mesh config ConfigMap in {istio_namespace}: the mesh defaults are assumed "
                         "(outbound ALLOW_ANY)")
    except ApiError as exc:
        if exc.status != 403:
            raise
        notes.append(f"the mesh config was not read ({exc}); the mesh defaults are assumed")
    if cm is not None:
        cm = prune(dict(cm, apiVersion="v1", kind="ConfigMap"))
        if cm["metadata"]["name"] != "istio":
            notes.append(f"mesh config read from ConfigMap {istio_namespace}/{cm['metadata']['name']}")
            cm["metadata"]["name"] = "istio"
        objects.append(cm)
    for group in dict.fromkeys(rk.group for rk in READ_KINDS.values()):
        discovery.served(group, refresh=True)
    for kind, rk in READ_KINDS.items():
        items = discovery.list_kind(kind)
        if items is None:
            other = discovery.unreadable_versions(kind)
            if other:
                notes.append(f"{rk.qualified} is served only as {', '.join(other)}, which sidecar-lab does not "
                             f"read ({', '.join(rk.versions)}): no {kind}s read")
            elif kind == "HTTPRoute":
                notes.append(f"the Gateway API CRDs are not installed ({rk.qualified} is not served): no "
                             "HTTPRoutes read, none can route the mesh")
            else:
                notes.append(f"the {kind} CRD ({rk.qualified}) is not installed: no {kind}s read")
            continue
        objects += [prune(item) for item in items]
    objects = without_controllers_of_listed_pods(objects, notes)
    return objects, notes


def without_controllers_of_listed_pods(objects: list[dict], notes: list[str]) -> list[dict]:
    """Drop a controller whose pods are listed: the pods are the proxies, the controller would count them twice."""
    pods: dict[str, list[Mapping]] = {}
    for o in objects:
        if o.get("kind") == "Pod":
            pods.setdefault(o["metadata"].get("namespace", "default"), []).append(
                (o.get("metadata") or {}).get("labels") or {})
    kept, dropped = [], 0
    for o in objects:
        if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            template = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            ns = o["metadata"].get("namespace", "default")
            if template and any(all(labels.get(k) == v for k, v in template.items()) for labels in pods.get(ns, ())):
                dropped += 1
                continue
        kept.append(o)
    if dropped:
        notes.append(f"{dropped} controller(s) left out: their pods are listed and stand for them")
    return kept


def drop_last_applied(meta: dict) -> dict:
    """``metadata`` without kubectl's last-applied annotation (and without ``annotations`` left empty)."""
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            meta.pop("annotations")
    return meta


def _prune_meta(meta: Mapping) -> dict:
    return drop_last_applied({k: copy.deepcopy(meta[k]) for k in ("name", "namespace", "labels", "annotations", "uid",
                                                                  "creationTimestamp", "generation")
                              if meta.get(k) is not None})


def _prune_pod_spec(spec: Mapping) -> dict:
    def containers(items: Any, with_ports: bool) -> list:
        out = []
        for c in items or []:
            if not isinstance(c, dict):
                continue
            kept = {k: c[k] for k in ("name", "image") if k in c}
            if with_ports and c.get("ports"):
                kept["ports"] = [{k: p[k] for k in ("name", "containerPort", "protocol") if k in p}
                                 for p in c["ports"] if isinstance(p, dict)]
            out.append(kept)
        return out

    out: dict[str, Any] = {"containers": containers(spec.get("containers"), True)}
    if spec.get("initContainers"):
        out["initContainers"] = containers(spec.get("initContainers"), False)
    if spec.get("hostNetwork"):
        out["hostNetwork"] = True
    return out


def prune(obj: Mapping) -> dict:
    """Only what the simulator reads: no managedFields, no env values, no last-applied annotation."""
    kind = obj.get("kind")
    out: dict[str, Any] = {"apiVersion": obj.get("apiVersion"), "kind": kind,
                           "metadata": _prune_meta(obj.get("metadata") or {})}
    spec = obj.get("spec") or {}
    if kind == "Pod":
        out["spec"] = _prune_pod_spec(spec)
        status = obj.get("status") or {}
        kept = {k: status[k] for k in ("phase", "podIP", "podIPs") if k in status}
        if kept:
            out["status"] = kept
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        template = spec.get("template") or {}
        tmeta = template.get("metadata") or {}
        out["spec"] = {"template": {"metadata": {k: tmeta[k] for k in ("labels", "annotations") if tmeta.get(k)},
                                    "spec": _prune_pod_spec(template.get("spec") or {})}}
        if spec.get("selector"):
            out["spec"]["selector"] = spec["selector"]
    elif kind == "ConfigMap":
        out["data"] = {"mesh": (obj.get("data") or {}).get("mesh", "")}
    elif kind == "Namespace":
        pass
    else:
        if "spec" in obj:
            out["spec"] = copy.deepcopy(obj["spec"])
    return out


def mesh_from_objects(objects: list[dict], origin: str, notes: Sequence[str] = ()) -> Any:
    """A Mesh from live objects; an object the loader rejects is left out with a note, not a crash."""
    from ..core.loader import load_objects

    extra = list(notes)
    try:
        mesh = load_objects(objects, origin=origin)
    except ManifestError:
        good = []
        for obj in objects:
            try:
                load_objects([obj], origin=origin)
                good.append(obj)
            except ManifestError as exc:
                meta = obj.get("metadata") or {}
                extra.append(f"{obj.get('kind')} {meta.get('namespace', '')}/{meta.get('name')} left out: "
                             f"{exc.message}")
        mesh = load_objects(good, origin=origin)
    release = istio_release_of(objects)
    if release is not None:
        from ..core.errors import UsageError
        from ..core.versions import DEFAULT_VERSION, parse_version

        try:
            version = str(parse_version(release))
        except UsageError:
            extra.append(f"istiod runs Istio {release}, a release sidecar-lab does not model (1.22 to 1.31): "
                         f"the answers follow Istio {DEFAULT_VERSION} unless --istio-version says otherwise")
        else:
            mesh = dataclasses.replace(mesh, istio_version=version)
            extra.append(f"istiod runs Istio {version}: the answers follow its rules unless --istio-version "
                         "says otherwise")
    if extra:
        mesh = dataclasses.replace(mesh, notes=tuple(mesh.notes) + tuple(extra))
    return mesh


def istio_release_of(objects: Sequence[Mapping]) -> str | None:
    """The release istiod runs, from its Deployment or, when only its pods were kept, a Pod (labels, image tag)."""
    from .preflight import istio_version_of

    for obj in objects:
        meta = obj.get("metadata") or {}
        if (meta.get("labels") or {}).get("app") != "istiod":
            continue
        if obj.get("kind") == "Pod":  # shaped as a Deployment for istio_version_of
            obj = {"metadata": meta, "spec": {"template": {"spec": obj.get("spec") or {}}}}
        elif obj.get("kind") != "Deployment":
            continue
        found = istio_version_of(obj)
        if found and found[0].isdigit():  # not "revision canary"
            return found
    return None


def snapshot_yaml(objects: Sequence[Mapping], context: str, server: str) -> str:
    """Objects as multi-document YAML with a header saying where and when they were read.

    ``server`` is shown without its userinfo (a password in the URL is never written).
    """
    import yaml

    from .client import redact_url

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    header = (f"# A snapshot of cluster {context} ({redact_url(server)}) taken by sidecar-lab at {stamp}.\n"
              "# Only the fields the simulator reads are kept (no env, no managedFields).\n"
              "# Load it like any manifests: sidecar-lab resolve THIS_FILE --all\n")
    body = yaml.safe_dump_all([dict(o) for o in objects], sort_keys=False, default_flow_style=False,
                              allow_unicode=True)
    return header + body
