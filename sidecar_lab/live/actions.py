"""Lab actions: apply, patch and delete Istio objects, deploy the seed's lab.

Every write is checked against the allow-list before any request, dry-run on the server first and
labelled ``app.kubernetes.io/managed-by: sidecar-lab`` when it creates something. :func:`apply` is
all or nothing: every object is dry-run before any is written, and a write that fails midway
undoes the ones before it (what it created is deleted, what it replaced gets its previous spec,
labels and annotations back). Each action records the ``kubectl`` commands that do exactly what
it did, the undoing included.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .client import ApiError
from .discovery import ISTIO_GROUP, ISTIO_KINDS
from .session import MANAGED_BY, MANAGER, Ref, Session
from .snapshot import LAST_APPLIED, drop_last_applied
from ..core.errors import ClusterError, ManifestError, UsageError

__all__ = ["ApplyResult", "DeleteResult", "DeployResult", "apply", "patch_sidecar", "delete_istio", "deploy_seed_lab",
           "restore", "objects_from", "core_api", "yaml_dump", "LAB_INJECTED_NAMESPACE"]

LAB_INJECTED_NAMESPACE = "istioinaction"
_SEED_LAB_FILES = ("namespaces.yaml", "httpbin-istioinaction.yaml", "httpbin-default.yaml", "sleep.yaml")
_HTTPBIN_URL = "https://raw.githubusercontent.com/istio/istio/release-1.26/samples/httpbin/httpbin.yaml"
_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                  "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences")


def _kind_text(kind: str) -> str:
    return f"{kind.lower()}.{ISTIO_GROUP}" if kind in ISTIO_KINDS else kind.lower()


@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    kind: str
    namespace: str
    name: str
    #: created | configured | unchanged | denied | not applied | rolled back (and "... (server dry run)")
    action: str
    #: What the API server or its admission webhook said when it refused the object.
    messages: tuple[str, ...] = ()
    #: What sidecar-lab's own admission validation predicts (Errors only).
    predicted_messages: tuple[str, ...] = ()
    generation: int | None = None
    dry_run: bool = False
    command: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def text(self) -> str:
        kind = _kind_text(self.kind)
        if self.ok:
            return f"{kind}/{self.name} {self.action} (namespace {self.namespace})"
        if self.action != "denied":
            return f"{kind}/{self.name} {self.action} (namespace {self.namespace})" + \
                (": " + "; ".join(self.messages) if self.messages else "")
        lines = [f"{kind}/{self.name} denied (namespace {self.namespace}):"]
        lines += [f"  {m}" for m in self.messages]
        if self.predicted_messages:
            lines.append("  sidecar-lab's own validation predicted:")
            lines += [f"    {m}" for m in self.predicted_messages]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DeleteResult:
    ok: bool
    kind: str
    namespace: str
    name: str
    action: str  # deleted | absent
    command: str = ""

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def text(self) -> str:
        return f"{_kind_text(self.kind)}/{self.name} {'deleted' if self.action == 'deleted' else 'was not there'} " \
               f"(namespace {self.namespace})"


@dataclass(frozen=True)
class DeployResult:
    created: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"created {c}" for c in self.created]
        lines += [f"changed {c}" for c in self.changed]
        lines += [f"already there {c}" for c in self.existing]
        return "\n".join(lines)


# -- reading what to apply ------------------------------------------------------------------------


def identity(obj: Mapping) -> tuple[str, str, str]:
    kind = str(obj.get("kind") or "")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not kind or not name:
        raise UsageError(f"an object needs kind and metadata.name (got kind {kind or '-'}, name {name or '-'})")
    ns = "" if kind == "Namespace" else (meta.get("namespace") or "default")
    return kind, ns, str(name)


def objects_from(source: Any, max_file_size: int | None = None) -> tuple[list[dict], str | None]:
    """Objects (and the file they came from) of a dict, a list of dicts, YAML text or a path.

    Files are read by the same rules as every manifest (regular files only, within the size limit),
    and Lists are unpacked at any depth, as the loader does.
    """
    from ..core.loader import list_items
    from ..core.yamlio import read_documents, read_path_text

    if isinstance(source, Mapping):
        return [copy.deepcopy(dict(source))], None
    if isinstance(source, (list, tuple)):
        out: list[dict] = []
        for item in source:
            out += objects_from(item, max_file_size)[0]
        return out, None
    origin = None
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and source.endswith((".yaml", ".yml", ".json"))):
        origin = os.fspath(source)
        text = read_path_text(origin, max_file_size)
    elif isinstance(source, str):
        text = source
    else:
        raise UsageError(f"cannot apply a {type(source).__name__}: give a dict, YAML text or a file path")
    objects = []
    for doc in read_documents(text, origin or "<input>"):
        if not isinstance(doc.data, dict):
            raise ManifestError("a manifest must be a mapping", file=doc.file, line=doc.line)
        objects += [copy.deepcopy(item) for item, _ in list_items(doc)]
    return objects, origin


def write_body(obj: Mapping) -> dict:
    body = copy.deepcopy(dict(obj))
    body.pop("status", None)
    meta = body.setdefault("metadata", {})
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    drop_last_applied(meta)
    return body


def denial_messages(message: str) -> list[str]:
    """One line per error of an admission denial (Istio's webhook joins several with go-multierror)."""
    m = re.match(r"(.*?configuration is invalid: )\s*\d+ errors occurred:\s*(.*)", message, re.S)
    if m:
        prefix = m.group(1)
        items = [line.strip()[1:].strip() for line in m.group(2).splitlines() if line.strip().startswith("*")]
        if items:
            return [prefix + item for item in items]
    return [" ".join(message.split())]


def yaml_dump(obj: Any) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _heredoc(verb: str, body: Mapping, kubectl: str) -> str:
    return f"{kubectl} {verb} -f - <<'EOF'\n{yaml_dump(dict(body)).rstrip()}\nEOF"


def _write(session: Session, verb: str, plural: str, namespace: str, fn: Callable, *args: Any,
           **kwargs: Any) -> dict | tuple[str, ...]:
    """The server's answer, or a tuple of messages when it refused the object (400/422: admission, schema)."""
    try:
        return session.conn.json(verb, plural, namespace, fn, *args, **kwargs)
    except ApiError as exc:
        if exc.status in (400, 422):
            return tuple(denial_messages(exc.server_message or str(exc)))
        raise


# -- apply: all or nothing ------------------------------------------------------------------------------


@dataclass
class _Plan:
    ref: Ref
    version: str
    body: dict
    existing: dict | None
    action: str  # created | configured | unchanged
    predicted: tuple[str, ...]
    command: str  # the per-object kubectl command (a heredoc)

    @property
    def plural(self) -> str:
        return ISTIO_KINDS[self.ref.kind]

    def send(self, session: Session, dry: bool) -> dict | tuple[str, ...]:
        c, ref, extra = session.conn.custom, self.ref, ({"dry_run": "All"} if dry else {})
        if self.existing is None:
            return _write(session, "create", self.plural, ref.namespace, c.create_namespaced_custom_object,
                          ISTIO_GROUP, self.version, ref.namespace, self.plural, self.body, **extra)
        return _write(session, "update", self.plural, ref.namespace, c.replace_namespaced_custom_object,
                      ISTIO_GROUP, self.version, ref.namespace, self.plural, ref.name, self.body, **extra)


def _plan(session: Session, obj: dict) -> _Plan:
    kind, ns, name = identity(obj)
    wanted = str(obj.get("apiVersion", "")).rpartition("/")[2] or None
    version = session.discovery.version_for(kind, wanted)
    body = write_body(obj)
    body["apiVersion"] = f"{ISTIO_GROUP}/{version}"
    body["metadata"]["namespace"] = ns
    predicted: tuple[str, ...] = ()
    if kind == "Sidecar":
        from ..core.validation import validate_sidecar

        predicted = tuple(m.message for m in validate_sidecar(body.get("spec") or {}, ns) if m.level == "Error")
    command = _heredoc("apply", body, session.conn.kubectl)
    existing = session.discovery.get_istio(kind, ns, name)
    if existing is None:
        body["metadata"].setdefault("labels", {})[MANAGED_BY] = MANAGER
        return _Plan(Ref(kind, ns, name), version, body, None, "created", predicted, command)
    labels = dict((existing.get("metadata") or {}).get("labels") or {})
    labels.update(body["metadata"].get("labels") or {})
    body["metadata"]["labels"] = labels
    annotations = dict((existing.get("metadata") or {}).get("annotations") or {})
    annotations.update(body["metadata"].get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    if annotations:
        body["metadata"]["annotations"] = annotations
    unchanged = existing.get("spec") == body.get("spec") and \
        ((existing.get("metadata") or {}).get("labels") or {}) == labels
    body["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion")
    return _Plan(Ref(kind, ns, name), version, body, existing, "unchanged" if unchanged else "configured",
                 predicted, command)


def apply(session: Session, source: Any, *, dry_run_first: bool = True, dry_run_only: bool = False,
          max_file_size: int | None = None) -> list[ApplyResult]:
    """Apply every Istio networking object (Sidecar, ServiceEntry, VirtualService) of a dict, YAML text, a
    file path, or a list of them, all or nothing.

    Every object is checked against the allow-list before any request and dry-run on the server
    before any is written: one denial writes nothing (the others are "not applied"). A write that
    fails midway (an error, a conflict, a denial the dry run did not see) undoes the writes before
    it: a ClusterError then says what was undone, a denial comes back as results.
    """
    items: list[tuple[dict, str | None]] = []  # each object and the file it came from
    for part in source if isinstance(source, (list, tuple)) else [source]:
        objects, origin = objects_from(part, max_file_size)
        items += [(obj, origin) for obj in objects]
    for obj, _ in items:  # refuse before writing anything
        kind, ns, name = identity(obj)
        if kind not in ISTIO_KINDS:
            raise UsageError(f"live apply writes Istio networking objects ({', '.join(ISTIO_KINDS)}); "
                             f"{kind} {ns}/{name} is not one (use kubectl apply for it)")
        session.check_allowed(kind, ns, name)
    conn = session.conn
    plans = []
    for obj, origin in items:
        plan = _plan(session, obj)
        if origin:  # one file, one kubectl command (as a learner would type it)
            plan.command = f"{conn.kubectl} apply -f {shlex.quote(origin)}"
        plans.append(plan)
    to_write = [p for p in plans if p.action != "unchanged"]

    def result(p: _Plan, ok: bool, action: str, messages: tuple = (), answer: dict | None = None,
               dry: bool = False) -> ApplyResult:
        generation = ((answer or p.existing or {}).get("metadata") or {}).get("generation")
        return ApplyResult(ok, p.ref.kind, p.ref.namespace, p.ref.name, action, tuple(messages), p.predicted,
                           generation if ok else None, dry, p.command)

    def record(commands: list[str]) -> None:
        for c in dict.fromkeys(commands):  # one file, one command
            conn.record(c)

    if dry_run_first or dry_run_only:
        record([p.command.replace(" apply ", " apply --dry-run=server ", 1) for p in to_write])
        answers = {id(p): p.send(session, dry=True) for p in to_write}
        if any(isinstance(a, tuple) for a in answers.values()):
            return _refused(plans, answers, result, dry=True)
        if dry_run_only:
            return [result(p, True, f"{p.action} (server dry run)" if p.action != "unchanged" else "unchanged",
                           answer=answers.get(id(p)), dry=True) for p in plans]
    record([p.command for p in plans])
    written: dict[int, dict] = {}
    done: list[tuple[_Plan, dict]] = []
    try:
        for p in to_write:
            answer = p.send(session, dry=False)
            if isinstance(answer, tuple):  # denied now, though the dry run passed: undo the others
                undone = _undo(session, done)
                return _refused(plans, {id(p): answer}, result, rolled_back={id(d) for d, _ in done},
                                undone=undone)
            done.append((p, answer))
            written[id(p)] = answer
    except ClusterError as exc:
        undone = _undo(session, done)
        summary = f"; undone: {'; '.join(undone)}" if undone else ""
        raise ApiError(f"{exc}{summary}", getattr(exc, "status", None)) from None
    for p, answer in done:
        if p.existing is None:
            session.ledger.note_created(p.ref)
        else:
            session.ledger.note_changed(p.ref, p.existing, answer)
    return [result(p, True, p.action, answer=written.get(id(p))) for p in plans]


def _refused(plans: list[_Plan], denials: dict, result: Callable, *, dry: bool = False,
             rolled_back: set = frozenset(), undone: list[str] = ()) -> list[ApplyResult]:
    """The results of an apply that wrote nothing in the end: the denied objects, and why the others were not."""
    out = []
    for p in plans:
        denial = denials.get(id(p))
        if isinstance(denial, tuple):
            out.append(result(p, False, "denied", denial, dry=dry))
        elif id(p) in rolled_back:
            out.append(result(p, False, "rolled back", (f"undone: {'; '.join(undone)}",) if undone else ()))
        else:
            out.append(result(p, False, "not applied", ("another object of this apply was denied",), dry=dry))
    return out


def _undo(session: Session, done: list[tuple[_Plan, dict]]) -> list[str]:
    """Undo the writes of a failed apply, newest first: delete what it created, restore what it replaced."""
    conn, report = session.conn, []
    for p, answer in reversed(done):
        ref = p.ref
        try:
            if p.existing is None:
                conn.record(f"{conn.kubectl} delete {ref.kind.lower()} -n {ref.namespace} {ref.name}")
                conn.json("delete", p.plural, ref.namespace, conn.custom.delete_namespaced_custom_object,
                          ISTIO_GROUP, p.version, ref.namespace, p.plural, ref.name)
                report.append(f"deleted {ref}")
            else:
                report.append(_put_back(session, ref, p.existing, (answer.get("metadata") or {}).get("resourceVersion")))
        except ClusterError as exc:
            report.append(f"could not undo {ref}: {exc}")
    return report


def _put_back(session: Session, ref: Ref, previous: Mapping, written_version: str | None) -> str:
    """Replace an object by its previous spec, labels and annotations, unless someone changed it since."""
    conn, discovery = session.conn, session.discovery
    current = discovery.get_istio(ref.kind, ref.namespace, ref.name)
    if current is None:
        return f"{ref} not restored: it was deleted since"
    version_now = (current.get("metadata") or {}).get("resourceVersion")
    if written_version and version_now != written_version:
        return f"{ref} not restored: it was changed since sidecar-lab's write (by someone else?)"
    version = discovery.version_for(ref.kind, str(previous.get("apiVersion", "")).rpartition("/")[2] or None)
    meta = previous.get("metadata") or {}
    body = {k: copy.deepcopy(v) for k, v in previous.items() if k not in ("metadata", "status")}
    body["apiVersion"] = f"{ISTIO_GROUP}/{version}"
    body["metadata"] = {k: copy.deepcopy(meta[k]) for k in ("name", "namespace", "labels", "annotations") if k in meta}
    conn.record(_heredoc("replace", body, conn.kubectl))
    body["metadata"]["resourceVersion"] = version_now
    plural = ISTIO_KINDS[ref.kind]
    answer = _write(session, "update", plural, ref.namespace, conn.custom.replace_namespaced_custom_object,
                    ISTIO_GROUP, version, ref.namespace, plural, ref.name, body)
    if isinstance(answer, tuple):
        return f"{ref} not restored: {'; '.join(answer)}"
    return f"restored {ref}"


def restore(session: Session, ref: Ref) -> str:
    """Put a changed object back as it was before this session's first change (see :class:`Ledger`)."""
    ledger = session.ledger
    previous = ledger.before.get(ref)
    if previous is None:
        return f"{ref} not restored: its previous state was not recorded"
    outcome = _put_back(session, ref, previous, ledger.last_write.get(ref))
    if outcome.startswith("restored"):
        ledger.forget(ref)
    return outcome


# -- patch, delete ------------------------------------------------------------------------------------


def patch_sidecar(session: Session, namespace: str, name: str, patch: Mapping, *,
                  dry_run_first: bool = True) -> ApplyResult:
    """A JSON merge patch of one Sidecar (``{"spec": {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}}``)."""
    session.check_allowed("Sidecar", namespace, name)
    conn = session.conn
    version = session.discovery.version_for("Sidecar")
    previous = session.discovery.get_istio("Sidecar", namespace, name)
    command = conn.record(f"{conn.kubectl} patch sidecar -n {namespace} {name} --type merge -p "
                          f"{shlex.quote(json.dumps(patch, separators=(',', ':')))}")
    c = conn.custom

    def send(dry: bool) -> dict | tuple[str, ...]:
        return _write(session, "patch", "sidecars", namespace, c.patch_namespaced_custom_object, ISTIO_GROUP,
                      version, namespace, "sidecars", name, dict(patch), _content_type="application/merge-patch+json",
                      **({"dry_run": "All"} if dry else {}))
    if dry_run_first:
        denied = send(True)
        if isinstance(denied, tuple):
            return ApplyResult(False, "Sidecar", namespace, name, "denied", denied, (), None, True, command)
    answer = send(False)
    if isinstance(answer, tuple):
        return ApplyResult(False, "Sidecar", namespace, name, "denied", answer, (), None, False, command)
    ref = Ref("Sidecar", namespace, name)
    if MANAGED_BY not in ((answer.get("metadata") or {}).get("labels") or {}) or ref in session.ledger.modified:
        session.ledger.note_changed(ref, previous, answer)
    return ApplyResult(True, "Sidecar", namespace, name, "patched", (), (),
                       (answer.get("metadata") or {}).get("generation"), False, command)


def delete_istio(session: Session, kind: str, namespace: str, name: str) -> DeleteResult:
    """Delete one Sidecar (ServiceEntry, VirtualService); a missing one is ``action="absent"``."""
    if kind not in ISTIO_KINDS:
        raise UsageError(f"delete_istio deletes {', '.join(ISTIO_KINDS)}, not {kind}")
    session.check_allowed(kind, namespace, name)
    conn = session.conn
    version = session.discovery.version_for(kind)
    command = conn.record(f"{conn.kubectl} delete {kind.lower()} -n {namespace} {name}")
    try:
        conn.json("delete", ISTIO_KINDS[kind], namespace, conn.custom.delete_namespaced_custom_object,
                  ISTIO_GROUP, version, namespace, ISTIO_KINDS[kind], name)
        action = "deleted"
    except ApiError as exc:
        if exc.status != 404:
            raise
        action = "absent"
    ref = Ref(kind, namespace, name)
    if ref in session.ledger.created:
        session.ledger.forget(ref)
    return DeleteResult(True, kind, namespace, name, action, command)


# -- the seed lab -------------------------------------------------------------------------------------------


def core_api(session: Session, kind: str) -> tuple[str, Callable, Callable, Callable]:
    """(plural, create, delete, list) of a namespaced built-in kind the lab uses."""
    core, apps = session.conn.core, session.conn.apps
    table = {
        "ServiceAccount": ("serviceaccounts", core.create_namespaced_service_account,
                           core.delete_namespaced_service_account, core.list_namespaced_service_account),
        "Service": ("services", core.create_namespaced_service, core.delete_namespaced_service,
                    core.list_namespaced_service),
        "Pod": ("pods", core.create_namespaced_pod, core.delete_namespaced_pod, core.list_namespaced_pod),
        "Deployment": ("deployments", apps.create_namespaced_deployment, apps.delete_namespaced_deployment,
                       apps.list_namespaced_deployment),
    }
    if kind not in table:
        raise UsageError(f"sidecar-lab does not create {kind} objects")
    return table[kind]


def deploy_seed_lab(session: Session, *, dry_run_first: bool = True) -> DeployResult:
    """Create the seed's lab: namespace istioinaction (injected), httpbin in istioinaction and default,
    the sleep pod. Never Istio itself (``istio-system`` is left alone)."""
    from ..core.resources import data_dir
    from ..core.yamlio import read_documents

    base = data_dir() / "seed" / "cluster"
    objects = []
    for filename in _SEED_LAB_FILES:
        path = base / filename
        objects += [d.data for d in read_documents(path.read_text(encoding="utf-8"), str(path))
                    if isinstance(d.data, dict)]
    objects = [o for o in objects if not (o.get("kind") == "Namespace" and
                                          (o.get("metadata") or {}).get("name") == session.istio_namespace)]
    for obj in objects:  # refuse before writing anything
        kind, ns, name = identity(obj)
        session.check_allowed(kind, name if kind == "Namespace" else ns, name)
    conn, k = session.conn, session.conn.kubectl
    commands = [conn.record(f"{k} create namespace {LAB_INJECTED_NAMESPACE}"),
                conn.record(f"{k} label namespace {LAB_INJECTED_NAMESPACE} istio-injection=enabled --overwrite"),
                conn.record(f"{k} apply -n {LAB_INJECTED_NAMESPACE} -f {_HTTPBIN_URL}"),
                conn.record(f"{k} apply -n default -f {_HTTPBIN_URL}"),
                conn.record(f"{k} run -n {LAB_INJECTED_NAMESPACE} sleep --image=nginx:alpine -- sleep 1d")]
    created, existing, changed = [], [], []
    for obj in objects:
        kind, ns, name = identity(obj)
        if kind == "Namespace":
            outcome = _ensure_namespace(session, obj, dry_run_first)
        else:
            outcome = _create_core(session, kind, ns, obj, dry_run_first)
        label = f"{kind} {name}" if kind == "Namespace" else f"{kind} {ns}/{name}"
        {"created": created, "existing": existing, "changed": changed}[outcome].append(label)
    return DeployResult(tuple(created), tuple(existing), tuple(changed), tuple(commands))


def _ensure_namespace(session: Session, obj: dict, dry_run_first: bool) -> str:
    conn = session.conn
    name = obj["metadata"]["name"]
    labels = dict((obj.get("metadata") or {}).get("labels") or {})
    try:
        current = conn.json("get", "namespaces", None, conn.core.read_namespace, name)
    except ApiError as exc:
        if exc.status != 404:
            raise
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": {**labels, MANAGED_BY: MANAGER}}}
        if dry_run_first:
            conn.json("create", "namespaces", None, conn.core.create_namespace, body, dry_run="All")
        conn.json("create", "namespaces", None, conn.core.create_namespace, body)
        session.ledger.note_created(Ref("Namespace", "", name))
        return "created"
    have = (current.get("metadata") or {}).get("labels") or {}
    missing = {k: v for k, v in labels.items() if have.get(k) != v}
    if not missing:
        return "existing"
    answer = conn.json("patch", "namespaces", None, conn.core.patch_namespace, name, {"metadata": {"labels": missing}},
                       _content_type="application/merge-patch+json")
    session.ledger.note_changed(Ref("Namespace", "", name), None, answer)
    return "changed"


def _create_core(session: Session, kind: str, namespace: str, obj: dict, dry_run_first: bool) -> str:
    conn = session.conn
    plural, create, _, _ = core_api(session, kind)
    body = write_body(obj)
    body["metadata"]["namespace"] = namespace
    body["metadata"].setdefault("labels", {})[MANAGED_BY] = MANAGER
    if kind == "Service":  # the seed's made-up cluster IPs may be outside this cluster's range
        (body.get("spec") or {}).pop("clusterIP", None)
        (body.get("spec") or {}).pop("clusterIPs", None)
    try:
        if dry_run_first:
            conn.json("create", plural, namespace, create, namespace, body, dry_run="All")
        conn.json("create", plural, namespace, create, namespace, body)
    except ApiError as exc:
        if exc.status == 409:
            return "existing"
        raise
    session.ledger.note_created(Ref(kind, namespace, body["metadata"]["name"]))
    return "created"
