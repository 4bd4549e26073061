"""Read Kubernetes and Istio manifests into a :class:`~sidecar_lab.core.model.Mesh`.

Files, directories (every ``*.yaml``/``*.yml``/``*.json`` below, in sorted path order)
and ``-`` for standard input; multi-document YAML, JSON (``kubectl get -o json``, read by
:mod:`sidecar_lab.core.jsonio`) and ``kind: List``. Objects
of kinds the simulator does not use are skipped; anything malformed in a kind
it does use is a :class:`~sidecar_lab.core.errors.ManifestError` naming the file,
the line and the field path — a Sidecar is never dropped silently.

>>> mesh = load_text('''
... apiVersion: networking.istio.io/v1
... kind: Sidecar
... metadata: {name: default, namespace: istio-system}
... spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
... ''', "root.yaml")
>>> mesh.sidecars[0].spec.outbound_traffic_policy.mode
'REGISTRY_ONLY'
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import ManifestError
from .model import (
    ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS, REGISTRY_ONLY, ContainerPort, Destination, DestinationRule, EgressListener,
    EgressProxy, GatewayHTTPRoute, HTTPDirectResponse, HTTPMatchRequest, HTTPMirror, HTTPRedirect, HTTPRoute,
    IngressListener, L4Match, L4Route, Mesh, MeshConfig, Namespace, OutboundTrafficPolicy, PortSpec,
    RouteDestination, Service, ServiceEntry, ServiceEntryPort, ServicePort, Sidecar, SidecarSpec, Source,
    StringMatch, Subset, VirtualService, Workload, frozen_map,
)
from .jsonio import Restart, json_error, looks_like_json, read_json_documents
from .yamlio import Document, decode_text, format_path, read_documents, read_limited, read_manifest_bytes

__all__ = ["load", "load_text", "manifest_files", "KNOWN_API_VERSIONS"]

_ISTIO_NET = ("networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3")
_APPS = ("apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1")
_GATEWAY_API = ("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1")

#: The kinds the simulator reads, and the apiVersions it knows for each.
KNOWN_API_VERSIONS: Mapping[str, tuple[str, ...]] = {
    "Namespace": ("v1",),
    "Pod": ("v1",),
    "Service": ("v1",),
    "ConfigMap": ("v1",),
    "Deployment": _APPS,
    "StatefulSet": _APPS,
    "DaemonSet": _APPS,
    "ReplicaSet": _APPS,
    "ServiceEntry": _ISTIO_NET,
    "VirtualService": _ISTIO_NET,
    "Sidecar": _ISTIO_NET,
    "DestinationRule": _ISTIO_NET,
    "HTTPRoute": _GATEWAY_API,
    "IstioOperator": ("install.istio.io/v1alpha1",),
}
_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
_CLUSTER_SCOPED = ("Namespace",)
_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a string", int: "an integer",
               float: "a number", bool: "a boolean", type(None): "null"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


#: The files a directory contributes, as ``kubectl apply -f DIR`` reads them.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def manifest_files(paths: Sequence[str]) -> list[str]:
    """Expand directories into their manifest files (``*.yaml``, ``*.yml``, ``*.json``,
    sorted); keep files and ``-`` as given.

    A directory that cannot be read (itself or any directory below it), or that holds no
    ``*.yaml``/``*.yml``/``*.json`` file at all, is a ManifestError naming it: nothing is skipped silently.
    Whether a file may be read at all (only regular files, within the size limit) is decided when
    it is read (:func:`sidecar_lab.core.yamlio.read_manifest_bytes`).
    """
    out: list[str] = []
    for path in paths:
        if path == "-":
            out.append(path)
        elif os.path.isdir(path):
            out.extend(_directory_manifests(path))
        else:
            out.append(path)
    return out


def _directory_manifests(path: str) -> list[str]:
    def unreadable(exc: OSError) -> None:
        raise ManifestError(f"cannot read this directory: {exc.strerror or exc}",
                            file=exc.filename or path) from None

    found = []
    for root, dirs, files in os.walk(path, onerror=unreadable):
        dirs.sort()
        for name in files:
            if name.endswith(MANIFEST_SUFFIXES):
                found.append(os.path.join(root, name))
    if not found:
        raise ManifestError("no manifests here: the directory holds no *.yaml, *.yml or *.json file", file=path)
    return sorted(found)


def load(paths: Sequence[str] | str, *, stdin: Any = None, max_file_size: int | None = None) -> Mesh:
    """Read manifests from files, directories and ``-`` (standard input) into a Mesh.

    ``max_file_size`` (bytes) is the largest file read, standard input included (default
    :data:`sidecar_lab.core.yamlio.MAX_FILE_BYTES`).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    return load_inputs(read_inputs(paths, stdin=stdin, max_file_size=max_file_size))


def read_inputs(paths: Sequence[str], *, stdin: Any = None,
                max_file_size: int | None = None) -> list[tuple[str, bytes | str]]:
    """``(name, content)`` of every manifest file the paths name, not yet decoded (directories
    expanded, ``-`` read once, each within ``max_file_size``); :func:`load_inputs` builds the Mesh."""
    out: list[tuple[str, bytes | str]] = []
    for path in manifest_files([os.fspath(p) for p in paths]):
        if path == "-":
            out.append(("<stdin>", read_limited(stdin if stdin is not None else sys.stdin, "<stdin>",
                                                max_file_size)))
        else:
            out.append((path, read_manifest_bytes(path, max_file_size)))
    return out


def load_inputs(inputs: Iterable[tuple[str, bytes | str]]) -> Mesh:
    """A Mesh from ``(name, content)`` pairs, as :func:`read_inputs` gives them.

    A list is consumed as it is read (emptied), so that each file's bytes can be freed once decoded.
    """
    builder = _Builder()
    with collector_paused():
        if isinstance(inputs, list):
            inputs = _draining(inputs)
        for name, content in inputs:
            text = decode_text(content, name) if isinstance(content, bytes) else content
            del content
            builder.add_text(text, name)
        return builder.build()


def _draining(items: list) -> Iterator:
    items.reverse()
    while items:
        yield items.pop()


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a model is built.

    Reading creates hundreds of thousands of objects and no garbage cycles; each collection pass
    would walk all of them again, which makes reading a large mesh about twice as slow.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_text(text: str, file: str = "<memory>") -> Mesh:
    """Read manifests from a string (used by notebooks, widgets and tests)."""
    builder = _Builder()
    builder.add_text(text, file)
    return builder.build()


def load_objects(objects: Iterable[Mapping], origin: str = "<cluster>") -> Mesh:
    """Build a Mesh from already-parsed objects (for example read from a live cluster)."""
    builder = _Builder()
    builder.origins.append(origin)
    with collector_paused():
        for i, obj in enumerate(objects):
            builder.add_document(Document(obj, origin, i + 1))
        return builder.build()


def read_manifest_documents(text: str, file: str) -> Iterator[Document]:
    """The documents of a manifest text: JSON when it looks like JSON (``kubectl get -o json``), else YAML.

    JSON that does not parse is read as YAML (flow-style YAML looks like JSON too); when YAML
    refuses it as well, the JSON error is the one reported.
    """
    if not looks_like_json(text):
        yield from read_documents(text, file)
        return
    try:
        documents = list(read_json_documents(text, file))
    except json.JSONDecodeError as exc:
        try:
            documents = list(read_documents(text, file))
        except ManifestError:
            raise json_error(exc, file) from None
    yield from documents


class _ReadAgain(Exception):
    """A JSON text read as it is decoded turned out to need the plain way (``_Builder._add_json_as_read``)."""


class _View:
    """Typed access to one object's fields, with errors that point at the field."""

    __slots__ = ("doc", "data", "prefix", "labels", "annotations")

    def __init__(self, doc: Document, data: Any, prefix: tuple) -> None:
        self.doc, self.data, self.prefix = doc, data, prefix
        #: ``metadata.labels`` and ``metadata.annotations``, once :func:`check_metadata` has checked them.
        self.labels: dict[str, str] = {}
        self.annotations: dict[str, str] = {}

    def error(self, message: str, path: tuple = ()) -> ManifestError:
        return self.doc.error(message, self.prefix + path)

    def get(self, path: tuple, want: type | tuple, default: Any = None) -> Any:
        # The common case (plain dicts, the wanted type) walked without the bookkeeping of _checked_get.
        value = self.data
        for key in path:
            if key.__class__ is int:
                value = value[key]
            elif value.__class__ is dict:
                value = value.get(key)
                if value is None:
                    return default
            else:
                return self._checked_get(path, want, default)
        if value.__class__ is want:
            return value
        return self._checked_get(path, want, default)

    def _checked_get(self, path: tuple, want: type | tuple, default: Any = None) -> Any:
        value = self.data
        for i, key in enumerate(path):
            if key.__class__ is int:
                value = value[key]
                continue
            if value.__class__ is not dict and not isinstance(value, dict):
                raise self.error(f"expected a mapping, got {_type_name(value)}", path[:i])
            value = value.get(key)
            if value is None:
                return default
        if value.__class__ is want:  # the common case, answered without building the tuple below
            return value
        wanted = want if isinstance(want, tuple) else (want,)
        if isinstance(value, bool) and bool not in wanted or not isinstance(value, wanted):
            names = " or ".join(_TYPE_NAMES.get(w, w.__name__) for w in wanted)
            raise self.error(f"expected {names}, got {_type_name(value)}", path)
        return value

    def field(self, mapping: dict, key: str, want: type, path: tuple) -> Any:
        """``mapping[key]``, where ``mapping`` is the mapping at ``path``: as ``get(path + (key,), want)``
        answers, without walking down from the object again when the value is absent or a ``want``."""
        value = mapping.get(key)
        if value is None or value.__class__ is want:
            return value
        return self.get(path + (key,), want)

    def str(self, path: tuple, default: str | None = None) -> str | None:
        return self.get(path, str, default)

    def int(self, path: tuple, default: int | None = None) -> int | None:
        return self.get(path, int, default)

    def map(self, path: tuple) -> dict:
        return self.get(path, dict, {}) or {}

    def list(self, path: tuple) -> list:
        return self.get(path, list, []) or []

    def str_map(self, path: tuple) -> dict[str, str]:
        value = self.map(path)
        for key, item in value.items():
            if key.__class__ is str and item.__class__ is str:
                continue
            if not isinstance(key, str):
                raise self.error(f"expected string keys, got {_type_name(key)}", path)
            if not isinstance(item, str):
                raise self.error(f"expected a string value, got {_type_name(item)}"
                                 " (quote numbers and booleans in labels and annotations)", path + (key,))
        return value

    def numbered_items(self, path: tuple, key: str) -> list[tuple[tuple, int]]:
        """(path, number) of each mapping in the list at ``path``, whose integer ``key`` is required."""
        out = []
        for i, item in enumerate(self.list(path)):
            item_path = path + (i,)
            if not isinstance(item, dict):
                raise self.error(f"expected a mapping, got {_type_name(item)}", item_path)
            number = self.int(item_path + (key,))
            if number is None:
                raise self.error(f"missing field: {key}", item_path)
            out.append((item_path, number))
        return out

    def mappings(self, path: tuple) -> list[tuple]:
        """The path of each item of the list at ``path``; every item must be a mapping."""
        out = []
        for i, item in enumerate(self.list(path)):
            if not isinstance(item, dict):
                raise self.error(f"expected a mapping, got {_type_name(item)}", path + (i,))
            out.append(path + (i,))
        return out

    def str_list(self, path: tuple) -> tuple[str, ...]:
        items = self.list(path)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.error(f"expected a string, got {_type_name(item)}", path + (i,))
        return tuple(items)


def _is_list(data: Any) -> bool:
    """A ``List`` (or any ``FooList`` with ``items``): what kubectl's ``meta.IsListType`` unpacks."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in data)


def list_items(doc: Document) -> list[tuple[dict, tuple]]:
    """``(object, field path)`` of every object of a document, Lists unpacked at any depth.

    Breadth first, as kubectl's ``FlattenListVisitor`` does: the items of a List come before the
    items of the Lists nested in it, which matters when an object is defined twice (the later
    one is used). A list item that is not a mapping is a ManifestError naming its path.
    """
    out: list[tuple[dict, tuple]] = []
    queue: list[tuple[Any, tuple]] = [(doc.data, ())]
    for data, path in queue:  # the queue grows while it is walked
        if not _is_list(data):
            out.append((data, path))
            continue
        items = data.get("items")
        if items is None:
            continue
        if not isinstance(items, list):
            raise doc.error(f"expected a list, got {_type_name(items)}", path + ("items",))
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise doc.error(f"a list item must be a mapping, got {_type_name(item)}", path + ("items", i))
            queue.append((item, path + ("items", i)))
    return out


def _release(data: dict, path: tuple) -> None:
    """Drop the List item at ``path`` from its parent list (later items keep their indexes)."""
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = None


def check_metadata(view: _View) -> tuple[str | None, str | None]:
    """``metadata`` of every kind the simulator reads, checked as the API server would type-check it.

    ``name`` and ``namespace`` are strings; ``labels`` and ``annotations`` are mappings of strings
    to strings (a number, a boolean or null as a value is refused, as for a Pod: quote it). Returns
    the name and namespace, and keeps the labels and annotations on the view (read once).
    """
    name = view.str(("metadata", "name"))
    namespace = view.str(("metadata", "namespace"))
    view.labels = view.str_map(("metadata", "labels"))
    view.annotations = view.str_map(("metadata", "annotations"))
    return name, namespace


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")


def _timestamp(view: _View) -> tuple[float, str | None]:
    value = view.get(("metadata", "creationTimestamp"), (str, datetime))
    if value is None:
        return 0.0, None
    if isinstance(value, datetime):  # pragma: no cover - our reader keeps timestamps as text
        moment = value
    else:
        text = value.strip()
        try:
            if not _RFC3339.match(text):  # what the API server accepts; fromisoformat alone takes far more
                raise ValueError(text)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise view.error(f"invalid timestamp {value!r} (RFC 3339 expected, "
                             "e.g. 2025-06-01T10:00:00Z)", ("metadata", "creationTimestamp")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    # Kubernetes stores creation time with one-second resolution.
    return moment.replace(microsecond=0).timestamp(), str(value)  # drop the fraction, not round toward 1970


class _Builder:
    def __init__(self) -> None:
        self.origins: list[str] = []
        self.namespaces: dict[str, Namespace] = {}
        self.workloads: dict[tuple, Workload] = {}
        self.services: dict[tuple, Service] = {}
        self.service_entries: dict[tuple, ServiceEntry] = {}
        self.virtual_services: dict[tuple, VirtualService] = {}
        self.sidecars: dict[tuple, Sidecar] = {}
        self.destination_rules: dict[tuple, DestinationRule] = {}
        self.http_routes: dict[tuple, GatewayHTTPRoute] = {}
        self.configmap_mesh: tuple[str, MeshConfig] | None = None
        self.operator_mesh: MeshConfig | None = None
        self.notes: list[str] = []

    # -- documents ---------------------------------------------------------
    def add_text(self, text: str, file: str) -> None:
        self.origins.append(file)
        if looks_like_json(text) and self._add_json_as_read(text, file):
            return
        for doc in read_manifest_documents(text, file):
            self.add_document(doc, consume=True)

    def _add_json_as_read(self, text: str, file: str) -> bool:
        """Build a JSON text's objects as they are decoded, a ``List``'s items one at a time, each let go once
        built: a large List (kubectl's JSON is one) is never held whole beside its model.

        The result is exactly that of decoding the whole text first, then building (:meth:`add_text`'s other
        path): errors wait until the text has been read (a JSON error comes first); the builder's state is
        saved before the first item is built and put back, with False returned, whenever the text must be read
        the other way (invalid JSON, which may be YAML; an object with ``items`` that is no List; an item that
        is a List itself or no mapping).
        """
        saved: dict | None = None  # the builder as it was before this text, once items are being built
        waiting: list[Document] = []  # documents read before the first List item, built in order after it
        streamed: set[int] = set()  # the documents whose items were built as they came
        failure: list[ManifestError] = []  # the first error met while building

        def build(doc: Document) -> None:
            if not failure:
                try:
                    self.add_document(doc, consume=True)
                except ManifestError as exc:
                    failure.append(exc)

        def item(doc: Document, index: int, value: Any) -> Any:
            nonlocal saved
            if saved is None:
                saved = self._state()
                for earlier in waiting:
                    build(earlier)
                waiting.clear()
            streamed.add(id(doc))
            if not isinstance(value, dict) or _is_list(value):
                raise _ReadAgain  # list_items refuses (or defers) it before building any item
            if failure:
                return value
            try:
                self.add_object(_View(doc, value, ("items", index)))
            except ManifestError as exc:
                failure.append(exc)
                return value
            return None

        try:
            for doc in read_json_documents(text, file, item):
                if id(doc) in streamed:
                    if not _is_list(doc.data):
                        raise _ReadAgain
                elif saved is None:
                    waiting.append(doc)
                else:
                    build(doc)
        except (json.JSONDecodeError, Restart, _ReadAgain):
            if saved is not None:
                self._restore(saved)
            return False
        for doc in waiting:
            build(doc)
        if failure:
            raise failure[0]
        return True

    def _state(self) -> dict:
        return {name: value.copy() if isinstance(value, (dict, list)) else value for name, value in vars(self).items()}

    def _restore(self, state: dict) -> None:
        vars(self).clear()
        vars(self).update(state)

    def add_document(self, doc: Document, *, consume: bool = False) -> None:
        """Every object of the document; with ``consume`` (a document the loader parsed itself) each
        List item is let go once built, so a large List is never held twice, as data and as model."""
        if not isinstance(doc.data, dict):
            raise doc.error(f"a manifest must be a mapping, got {_type_name(doc.data)}")
        objects = list_items(doc)
        for i, (data, prefix) in enumerate(objects):
            self.add_object(_View(doc, data, prefix))
            if consume and prefix:
                objects[i] = None  # type: ignore[call-overload]
                _release(doc.data, prefix)



    def add_object(self, view: _View) -> None:
        data = view.data
        kind = data.get("kind")
        if kind is None:
            raise view.error("missing field: every manifest needs a kind", ("kind",))
        if not isinstance(kind, str):
            raise view.error(f"expected a string, got {_type_name(kind)}", ("kind",))
        versions = KNOWN_API_VERSIONS.get(kind)
        if versions is None:
            return  # a kind the simulator does not use (ServiceAccount, DestinationRule, ...)
        api_version = data.get("apiVersion")
        if api_version not in versions:
            raise view.error(f"unknown apiVersion {api_version!r} for kind {kind} "
                             f"(known: {', '.join(versions)})", ("apiVersion",))
        for part in ("metadata", "spec"):
            if part in data and data[part] is not None and not isinstance(data[part], dict):
                raise view.error(f"expected a mapping, got {_type_name(data[part])}", (part,))
        name, namespace = check_metadata(view)
        if not name:
            raise view.error("missing field: metadata.name is required", ("metadata", "name"))
        namespace = "" if kind in _CLUSTER_SCOPED else (namespace or "default")
        source = Source(view.doc.file, view.doc.line_of(view.prefix + ("metadata", "name")))
        getattr(self, "_add_" + kind.lower())(view, name, namespace, source)

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- kinds -------------------------------------------------------------
    def _put(self, table: dict, key: tuple, obj: Any, label: str) -> None:
        old = table.get(key)
        if old is not None:
            self.notes.append(f"{label} {key[-2]}/{key[-1]} is defined twice ({old.source} and "
                              f"{obj.source}); the later one is used, as kubectl apply would")
        table[key] = obj

    def _add_namespace(self, view: _View, name: str, namespace: str, source: Source) -> None:
        self.namespaces[name] = Namespace(name, frozen_map(view.labels), source)

    def _pod_parts(self, view: _View, spec_path: tuple) -> dict:
        containers = view.list(spec_path + ("containers",))
        init = view.list(spec_path + ("initContainers",))
        ports: list[ContainerPort] = []
        names: list[str] = []
        field = view.field
        for group, items in (("containers", containers), ("initContainers", init)):
            for i, c in enumerate(items):
                path = spec_path + (group, i)
                if not isinstance(c, dict):
                    raise view.error(f"expected a mapping, got {_type_name(c)}", path)
                cname = field(c, "name", str, path)
                if cname:
                    names.append(cname)
                if group != "containers":
                    continue
                listed_ports = c.get("ports")
                if listed_ports is None or listed_ports.__class__ is not list:
                    listed_ports = view.list(path + ("ports",))
                for j, p in enumerate(listed_ports):
                    ppath = path + ("ports", j)
                    if not isinstance(p, dict):
                        raise view.error(f"expected a mapping, got {_type_name(p)}", ppath)
                    number = field(p, "containerPort", int, ppath)
                    if number is None:
                        raise view.error("missing field: containerPort", ppath)
                    ports.append(ContainerPort(number, field(p, "name", str, ppath),
                                               field(p, "protocol", str, ppath) or "TCP"))
        listed = bool(containers)
        return {
            "ports": tuple(ports),
            "has_proxy_container": ("istio-proxy" in names) if listed else None,
            "host_network": bool(view.get(spec_path + ("hostNetwork",), bool, False)),
        }

    def _add_pod(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        parts = self._pod_parts(view, ("spec",))
        labels = frozen_map(view.labels)
        annotations = frozen_map(view.annotations)
        w = Workload("Pod", namespace, name, labels, annotations,
                     pod_ip=view.str(("status", "podIP")), created=created, source=source,
                     live=bool(view.str(("metadata", "uid"))), object_labels=labels,
                     object_annotations=annotations, **parts)
        self._put(self.workloads, ("Pod", namespace, name), w, "Pod")

    def _add_controller(self, view: _View, name: str, namespace: str, source: Source, kind: str) -> None:
        created, _ = _timestamp(view)
        template = ("spec", "template")
        parts = self._pod_parts(view, template + ("spec",))
        w = Workload(kind, namespace, name,
                     frozen_map(view.str_map(template + ("metadata", "labels"))),
                     frozen_map(view.str_map(template + ("metadata", "annotations"))),
                     created=created, source=source,
                     object_labels=frozen_map(view.labels),
                     object_annotations=frozen_map(view.annotations),
                     **parts)
        self._put(self.workloads, (kind, namespace, name), w, kind)

    def _add_deployment(self, *args: Any) -> None:
        self._add_controller(*args, kind="Deployment")

    def _add_statefulset(self, *args: Any) -> None:
        self._add_controller(*args, kind="StatefulSet")

    def _add_daemonset(self, *args: Any) -> None:
        self._add_controller(*args, kind="DaemonSet")

    def _add_replicaset(self, *args: Any) -> None:
        self._add_controller(*args, kind="ReplicaSet")

    def _add_service(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        ports = []
        for path, number in view.numbered_items(("spec", "ports"), "port"):
            target = view.get(path + ("targetPort",), (int, str))
            ports.append(ServicePort(number, view.str(path + ("name",)), target,
                                     view.str(path + ("appProtocol",)),
                                     view.str(path + ("protocol",)) or "TCP"))
        annotations = view.annotations
        export = annotations.get("networking.istio.io/exportTo")
        export_to = tuple(x.strip() for x in export.split(",") if x.strip()) if export else ()
        selector = view.get(("spec", "selector"), dict)
        if selector is not None:
            selector = frozen_map(view.str_map(("spec", "selector")))
        svc_type = view.str(("spec", "type")) or "ClusterIP"
        svc = Service(namespace, name, tuple(ports), view.str(("spec", "clusterIP")), svc_type,
                      view.str(("spec", "externalName")), selector, export_to, created, source)
        self._put(self.services, (namespace, name), svc, "Service")

    def _add_serviceentry(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        ports = []
        for path, number in view.numbered_items(("spec", "ports"), "number"):
            ports.append(ServiceEntryPort(number, view.str(path + ("protocol",)),
                                          view.str(path + ("name",)), view.int(path + ("targetPort",))))
        selector = view.get(("spec", "workloadSelector", "labels"), dict)
        endpoints = [view.str(path + ("address",), "") or "" for path in view.mappings(("spec", "endpoints"))]
        se = ServiceEntry(namespace, name, view.str_list(("spec", "hosts")),
                          view.str_list(("spec", "addresses")), tuple(ports),
                          view.str(("spec", "location")) or "MESH_EXTERNAL",
                          view.str(("spec", "resolution")) or "NONE",
                          view.str_list(("spec", "exportTo")),
                          frozen_map(selector) if selector is not None else None, created, source,
                          frozen_map(view.labels), tuple(endpoints))
        self._put(self.service_entries, (namespace, name), se, "ServiceEntry")

    def _add_virtualservice(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        http = tuple(_http_route(view, ("spec", "http", i)) for i in range(len(view.list(("spec", "http")))))
        tcp = tuple(_l4_route(view, ("spec", "tcp", i)) for i in range(len(view.list(("spec", "tcp")))))
        tls = tuple(_l4_route(view, ("spec", "tls", i)) for i in range(len(view.list(("spec", "tls")))))
        destinations = tuple(d.destination for r in http + tcp + tls for d in r.route)
        vs = VirtualService(namespace, name, view.str_list(("spec", "hosts")),
                            view.str_list(("spec", "gateways")),
                            view.str_list(("spec", "exportTo")), destinations,
                            created, source, http, tcp, tls)
        self._put(self.virtual_services, (namespace, name), vs, "VirtualService")

    def _add_destinationrule(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        host = view.str(("spec", "host"))
        if not host:
            raise view.error("missing field: a DestinationRule needs a host", ("spec", "host"))
        subsets = []
        for path in view.mappings(("spec", "subsets")):
            subset = view.str(path + ("name",))
            if not subset:
                raise view.error("missing field: name", path)
            subsets.append(Subset(subset, frozen_map(view.str_map(path + ("labels",)))))
        selector = view.get(("spec", "workloadSelector"), dict)
        labels = frozen_map(view.str_map(("spec", "workloadSelector", "matchLabels"))) if selector is not None else None
        dr = DestinationRule(namespace, name, host, tuple(subsets), view.str_list(("spec", "exportTo")), labels,
                             view.get(("spec", "trafficPolicy"), dict) is not None, created, source)
        self._put(self.destination_rules, (namespace, name), dr, "DestinationRule")

    def _add_httproute(self, view: _View, name: str, namespace: str, source: Source) -> None:
        created, _ = _timestamp(view)
        parents = []
        for i, path in enumerate(view.mappings(("spec", "parentRefs"))):
            group = view.str(path + ("group",), "gateway.networking.k8s.io")
            kind = view.str(path + ("kind",), "Gateway")
            ref_name = view.str(path + ("name",))
            if not ref_name:
                raise view.error("missing field: name", path)
            if kind == "Service" and group == "":
                kind_key = "Service"
            elif kind == "ServiceEntry" and group == "networking.istio.io":
                kind_key = "ServiceEntry"
            else:
                if kind in ("Service", "ServiceEntry"):
                    self.note(f"HTTPRoute {namespace}/{name} ({source}): parentRefs[{i}] names {kind} {ref_name} "
                              f"in group {group!r}; a Service parent needs group: \"\" (ServiceEntry: "
                              "networking.istio.io), so istiod ignores this parent")
                kind_key = f"{group}/{kind}"
            parents.append((kind_key, view.str(path + ("namespace",), namespace), ref_name, view.int(path + ("port",))))
        rules = tuple(_gateway_rule(view, ("spec", "rules", i)) for i in range(len(view.list(("spec", "rules")))))
        route = GatewayHTTPRoute(namespace, name, tuple(parents), rules, created, source)
        self._put(self.http_routes, (namespace, name), route, "HTTPRoute")

    def _add_sidecar(self, view: _View, name: str, namespace: str, source: Source) -> None:
        from .schema import sidecar_type_errors

        created, created_text = _timestamp(view)
        raw = view.data.get("spec")
        if raw is None:
            raw = {}
        problems = sidecar_type_errors(raw)
        if problems:
            path, message = problems[0]
            raise view.error(message, tuple(path))
        prefix_len = len(view.prefix)
        positions = {path[prefix_len:]: line
                     for path, line in view.doc.positions_under(view.prefix + ("spec",)).items()}
        sidecar = Sidecar(namespace, name, sidecar_spec(raw), frozen_map(raw), view.data["apiVersion"],
                          created, created_text,
                          frozen_map(view.annotations), source,
                          frozen_map(positions))
        self._put(self.sidecars, (namespace, name), sidecar, "Sidecar")

    def _add_configmap(self, view: _View, name: str, namespace: str, source: Source) -> None:
        if name != "istio":
            return
        mesh_text = view.str(("data", "mesh"))
        if mesh_text is None:
            return
        try:
            docs = list(read_documents(mesh_text, f"{view.doc.file} (ConfigMap {namespace}/istio data.mesh)"))
        except ManifestError as exc:
            raise view.error(f"invalid mesh config: {exc.message}", ("data", "mesh")) from None
        data = docs[0].data if docs else {}
        if not isinstance(data, dict):
            raise view.error("mesh config must be a mapping", ("data", "mesh"))

        def fail(message: str, path: tuple) -> ManifestError:
            return view.error(f"{format_path(path)}: {message}", ("data", "mesh"))

        config = _mesh_config(data, fail, f"ConfigMap {namespace}/istio ({source})", source)
        if self.configmap_mesh is not None:
            self.notes.append(f"several mesh ConfigMaps named istio; the one in {namespace} "
                              f"({source}) is used")
        self.configmap_mesh = (namespace, config)

    def _add_istiooperator(self, view: _View, name: str, namespace: str, source: Source) -> None:
        data = view.get(("spec", "meshConfig"), dict)
        if data is None:
            return
        def fail(message: str, path: tuple) -> ManifestError:
            return view.error(message, ("spec", "meshConfig") + path)

        self.operator_mesh = _mesh_config(data, fail, f"IstioOperator {namespace}/{name} ({source})", source)

    # -- result ------------------------------------------------------------
    def build(self) -> Mesh:
        mesh_config = MeshConfig()
        if self.configmap_mesh is not None:
            mesh_config = self.configmap_mesh[1]
            if self.operator_mesh is not None:
                self.notes.append("both the istio ConfigMap and an IstioOperator give mesh config; "
                                  "the ConfigMap is what istiod reads, so it is used")
        elif self.operator_mesh is not None:
            mesh_config = self.operator_mesh
        return Mesh(
            namespaces=tuple(self.namespaces.values()),
            workloads=tuple(self.workloads.values()),
            services=tuple(self.services.values()),
            service_entries=tuple(self.service_entries.values()),
            virtual_services=tuple(self.virtual_services.values()),
            sidecars=tuple(self.sidecars.values()),
            mesh_config=mesh_config,
            destination_rules=tuple(self.destination_rules.values()),
            http_routes=tuple(self.http_routes.values()),
            origins=tuple(self.origins),
            notes=tuple(self.notes),
        )


_MATCH_KINDS = ("exact", "prefix", "regex")


def _string_match(view: _View, path: tuple, presence: bool = False) -> StringMatch | None:
    """Istio's ``StringMatch`` at ``path``: None when absent (or, with ``presence``, when it only asks
    that the header be there: ``{}`` or the regex ``*``, as ``canBeConvertedToPresentMatch``)."""
    raw = view.get(path, dict)
    if raw is None:
        return None
    for kind in _MATCH_KINDS:
        value = view.get(path + (kind,), str)
        if value is not None:
            if presence and kind == "regex" and value == "*":
                return None
            return StringMatch(kind, value)
    return None


def _string_match_map(view: _View, path: tuple) -> tuple[tuple[str, StringMatch | None], ...]:
    return tuple((key, _string_match(view, path + (key,), presence=True)) for key in view.map(path))


def _destination(view: _View, path: tuple) -> Destination | None:
    host = view.str(path + ("host",))
    if not host:
        return None
    return Destination(host, view.int(path + ("port", "number")), view.str(path + ("subset",)))


def _route_destinations(view: _View, path: tuple) -> tuple[RouteDestination, ...]:
    out = []
    for item in view.mappings(path):
        dest = _destination(view, item + ("destination",))
        if dest is not None:
            out.append(RouteDestination(dest, view.int(item + ("weight",), 0) or 0))
    return tuple(out)


def _percent(view: _View, path: tuple) -> float | None:
    value = view.get(path + ("value",), (int, float))
    return float(value) if value is not None else None


def _http_route(view: _View, path: tuple) -> HTTPRoute:
    """One ``http[]`` entry of a VirtualService, as Istio's ``HTTPRoute`` message."""
    if not isinstance(view.get(path, dict), dict):
        raise view.error("expected a mapping", path)
    matches = []
    for mpath in view.mappings(path + ("match",)):
        matches.append(HTTPMatchRequest(
            view.str(mpath + ("name",), "") or "", _string_match(view, mpath + ("uri",)),
            _string_match(view, mpath + ("scheme",)), _string_match(view, mpath + ("method",)),
            _string_match(view, mpath + ("authority",)), _string_match_map(view, mpath + ("headers",)),
            _string_match_map(view, mpath + ("withoutHeaders",)), _string_match_map(view, mpath + ("queryParams",)),
            bool(view.get(mpath + ("ignoreUriCase",), bool, False)), view.int(mpath + ("port",), 0) or 0,
            frozen_map(view.str_map(mpath + ("sourceLabels",))), view.str(mpath + ("sourceNamespace",), "") or "",
            view.str_list(mpath + ("gateways",))))
    redirect = None
    if view.get(path + ("redirect",), dict) is not None:
        rpath = path + ("redirect",)
        redirect = HTTPRedirect(view.str(rpath + ("uri",), "") or "", view.str(rpath + ("authority",), "") or "",
                                view.str(rpath + ("scheme",), "") or "", view.int(rpath + ("port",)),
                                view.str(rpath + ("derivePort",)), view.int(rpath + ("redirectCode",), 0) or 0)
    direct = None
    if view.get(path + ("directResponse",), dict) is not None:
        dpath = path + ("directResponse",)
        status = view.int(dpath + ("status",))
        if status is None:
            raise view.error("missing field: status", dpath)
        direct = HTTPDirectResponse(status, view.str(dpath + ("body", "string")) or view.str(dpath + ("body", "bytes")))
    delegate = None
    if view.get(path + ("delegate",), dict) is not None:
        delegate = (view.str(path + ("delegate", "name"), "") or "", view.str(path + ("delegate", "namespace"), "") or "")
    mirror = None
    mirror_dest = _destination(view, path + ("mirror",)) if view.get(path + ("mirror",), dict) is not None else None
    if mirror_dest is not None:
        mirror = HTTPMirror(mirror_dest, _percent(view, path + ("mirrorPercentage",)))
    mirrors = []
    for mpath in view.mappings(path + ("mirrors",)):
        dest = _destination(view, mpath + ("destination",))
        if dest is not None:
            mirrors.append(HTTPMirror(dest, _percent(view, mpath + ("percentage",))))
    return HTTPRoute(view.str(path + ("name",), "") or "", tuple(matches), _route_destinations(view, path + ("route",)),
                     redirect, direct, delegate, mirror, tuple(mirrors))


def _l4_route(view: _View, path: tuple) -> L4Route:
    """One ``tcp[]`` or ``tls[]`` entry of a VirtualService."""
    if not isinstance(view.get(path, dict), dict):
        raise view.error("expected a mapping", path)
    matches = []
    for mpath in view.mappings(path + ("match",)):
        matches.append(L4Match(view.int(mpath + ("port",), 0) or 0, frozen_map(view.str_map(mpath + ("sourceLabels",))),
                               view.str(mpath + ("sourceNamespace",), "") or "", view.str_list(mpath + ("gateways",)),
                               view.str_list(mpath + ("destinationSubnets",)), view.str_list(mpath + ("sniHosts",))))
    return L4Route(tuple(matches), _route_destinations(view, path + ("route",)))


def _gateway_rule(view: _View, path: tuple) -> dict:
    """One ``rules[]`` entry of a Gateway API HTTPRoute, checked and made plain (API defaults filled in)."""
    if not isinstance(view.get(path, dict), dict):
        raise view.error("expected a mapping", path)
    matches = []
    for mpath in view.mappings(path + ("matches",)):
        headers, params = (tuple((view.str(h + ("name",), "") or "", view.str(h + ("type",), "Exact"),
                                  view.str(h + ("value",), "") or "") for h in view.mappings(mpath + (key,)))
                           for key in ("headers", "queryParams"))
        matches.append({"path_type": view.str(mpath + ("path", "type"), "PathPrefix"),
                        "path": view.str(mpath + ("path", "value"), "/"),
                        "headers": headers, "query_params": params,
                        "method": view.str(mpath + ("method",))})
    backends = [_backend_ref(view, bpath) for bpath in view.mappings(path + ("backendRefs",))]
    filters = []
    for fpath in view.mappings(path + ("filters",)):
        kind = view.str(fpath + ("type",), "") or ""
        entry: dict = {"type": kind}
        if kind == "RequestRedirect":
            rpath = fpath + ("requestRedirect",)
            entry.update(scheme=view.str(rpath + ("scheme",)), hostname=view.str(rpath + ("hostname",)),
                         port=view.int(rpath + ("port",)), status=view.int(rpath + ("statusCode",)),
                         path_type=view.str(rpath + ("path", "type")),
                         full_path=view.str(rpath + ("path", "replaceFullPath")),
                         prefix=view.str(rpath + ("path", "replacePrefixMatch")))
        elif kind == "RequestMirror":
            entry["backend"] = _backend_ref(view, fpath + ("requestMirror", "backendRef"))
        filters.append(entry)
    return {"name": view.str(path + ("name",)), "matches": tuple(matches), "filters": tuple(filters),
            "backends": tuple(backends)}


def _backend_ref(view: _View, path: tuple) -> dict:
    return {"group": view.str(path + ("group",), "") or "", "kind": view.str(path + ("kind",), "Service"),
            "name": view.str(path + ("name",), "") or "", "namespace": view.str(path + ("namespace",)),
            "port": view.int(path + ("port",)), "weight": view.int(path + ("weight",), 1)}


def _export_list(data: dict, key: str, fail: Any) -> tuple[str, ...] | None:
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail("expected a list of strings", (key,))
    return tuple(value)


def _mesh_config(data: dict, fail: Any, origin: str, source: Source) -> MeshConfig:
    root = data.get("rootNamespace") or "istio-system"
    if not isinstance(root, str):
        raise fail(f"expected a string, got {_type_name(root)}", ("rootNamespace",))
    mode, mode_from = ALLOW_ANY, "default"
    if "outboundTrafficPolicy" in data:
        otp = data.get("outboundTrafficPolicy")
        if otp is None:
            otp = {}
        if not isinstance(otp, dict):
            raise fail(f"expected a mapping, got {_type_name(otp)}", ("outboundTrafficPolicy",))
        value = otp.get("mode")
        if value is None:
            mode = REGISTRY_ONLY  # the protobuf zero value: outboundTrafficPolicy: {} means REGISTRY_ONLY
        elif value in (REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS):  # the last one: Istio 1.31 (the simulator checks)
            mode = value
        else:
            raise fail(f"unknown outbound traffic mode {value!r} (REGISTRY_ONLY, ALLOW_ANY or, from Istio 1.31, "
                       "ALLOW_ANY_DYNAMIC_DNS)", ("outboundTrafficPolicy", "mode"))
        mode_from = origin
    proxy_config = _mapping(data, ("defaultConfig",), fail) or {}
    metadata = _mapping(proxy_config, ("defaultConfig", "proxyMetadata"), fail) or {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise fail(f"expected a string value, got {_type_name(value)} (quote it)",
                       ("defaultConfig", "proxyMetadata", key))
    policy = _mapping(data, ("defaultTrafficPolicy",), fail) or {}  # Istio 1.31 (Rules.mesh_default_traffic_policy)
    pool = _mapping(policy, ("defaultTrafficPolicy", "connectionPool"), fail)
    return MeshConfig(root_namespace=root, outbound_mode=mode, outbound_mode_from=mode_from, source=source,
                      proxy_metadata=frozen_map(metadata), default_connection_pool=frozen_map(pool) if pool else None,
                      default_service_export_to=_export_list(data, "defaultServiceExportTo", fail),
                      default_virtual_service_export_to=_export_list(data, "defaultVirtualServiceExportTo", fail),
                      default_destination_rule_export_to=_export_list(data, "defaultDestinationRuleExportTo", fail))


def _mapping(data: dict, path: tuple, fail: Any) -> dict | None:
    """``data[path[-1]]`` (the field at ``path`` of the mesh config) when a mapping, None when absent, else an error."""
    value = data.get(path[-1])
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(f"expected a mapping, got {_type_name(value)}", path)
    return value


def _port_spec(raw: Any) -> PortSpec | None:
    if not isinstance(raw, dict):
        return None
    return PortSpec(raw.get("number") or 0, raw.get("protocol") or None, raw.get("name") or None,
                    raw.get("targetPort") or None)


def sidecar_spec(raw: Mapping[str, Any]) -> SidecarSpec:
    """The typed view of a Sidecar spec whose types were already checked against the CRD schema."""
    selector = raw.get("workloadSelector")
    labels = None
    if selector is not None:
        labels = frozen_map((selector or {}).get("labels") or {})
    egress = raw.get("egress")
    egress_listeners = None
    if egress is not None:
        egress_listeners = tuple(
            EgressListener(tuple(e.get("hosts") or ()), _port_spec(e.get("port")), e.get("bind") or None,
                           e.get("captureMode") or None)
            for e in egress if isinstance(e, dict))
    ingress = raw.get("ingress")
    ingress_listeners = None
    if ingress is not None:
        ingress_listeners = tuple(
            IngressListener(_port_spec(i.get("port")), i.get("bind") or None, i.get("captureMode") or None,
                            i.get("defaultEndpoint") or None,
                            frozen_map(i["connectionPool"]) if i.get("connectionPool") is not None else None,
                            frozen_map(i["tls"]) if i.get("tls") is not None else None)
            for i in ingress if isinstance(i, dict))
    otp = None
    if "outboundTrafficPolicy" in raw and raw["outboundTrafficPolicy"] is not None:
        o = raw["outboundTrafficPolicy"]
        proxy = None
        if o.get("egressProxy") is not None:
            p = o["egressProxy"]
            proxy = EgressProxy(p.get("host") or "", (p.get("port") or {}).get("number"), p.get("subset"))
        otp = OutboundTrafficPolicy(o.get("mode") or None, proxy)
    pool = raw.get("inboundConnectionPool")
    return SidecarSpec(labels, egress_listeners, ingress_listeners, otp,
                       frozen_map(pool) if pool is not None else None)


def field_line(sidecar: Sidecar, path: tuple) -> str:
    """``file:line`` of a field of a Sidecar, for messages."""
    line = sidecar.line_of(path)
    return f"{sidecar.source.file}:{line}" if line is not None else sidecar.source.file

