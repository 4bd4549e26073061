"""Cleanup: delete what sidecar-lab created, and nothing else.

Two ways to find it: what this session created (:func:`cleanup`, the ledger), or whatever carries
the label ``app.kubernetes.io/managed-by=sidecar-lab`` in the allow-listed namespaces
(:func:`cleanup_labelled`, for ``sidecar-lab live cleanup``). Either way:

* a namespace sidecar-lab created is deleted only when nothing else is inside: every namespaced
  resource type the server serves is listed (metadata only, so a Secret's data is never read); an
  object that is not sidecar-lab's (not labelled, not owned by another object, not one Kubernetes or
  Istio puts in every namespace) makes cleanup refuse to delete the namespace, naming the objects,
  unless ``force_namespaces`` says they may go with it. What could not be checked counts as foreign;
* ``dry_run`` says what would go and deletes nothing;
* the by-hand commands are exactly the deletions done (``kubectl delete sidecar -n NS a b``,
  ``kubectl delete namespace NAME``), never a label selector that could reach more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .actions import core_api, restore
from .client import ApiError
from .discovery import ISTIO_GROUP, ISTIO_KINDS
from .session import MANAGED_BY, MANAGED_SELECTOR, MANAGER, Ref, Session
from ..core.analyze import few
from ..core.errors import ClusterError

__all__ = ["CleanupResult", "cleanup", "cleanup_labelled", "foreign_objects"]

#: Objects Kubernetes (or Istio) puts in every namespace by itself: they go with the namespace.
_AUTOMATIC = frozenset({("serviceaccounts", "default"), ("configmaps", "kube-root-ca.crt"),
                        ("configmaps", "istio-ca-root-cert")})
_CORE_KINDS = ("Deployment", "Service", "ServiceAccount", "Pod")


@dataclass(frozen=True)
class CleanupResult:
    #: What was deleted (with ``dry_run``: what would be).
    deleted: tuple[str, ...] = ()
    #: Objects this session changed but did not create: left in place.
    kept: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    #: What was not deleted on purpose, each with the reason (a namespace holding foreign objects).
    refused: tuple[str, ...] = ()
    #: Objects this session changed, put back as they were.
    restored: tuple[str, ...] = ()
    dry_run: bool = False
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused

    def text(self, *, problems: bool = True) -> str:
        """What was done; with ``problems`` also the refusals and errors (the command prints those on stderr)."""
        verb = "would delete" if self.dry_run else "deleted"
        lines = [f"{verb} {d}" for d in self.deleted]
        lines += [r if r.startswith("restored") else f"not restored: {r}" for r in self.restored]
        if not lines:
            lines = ["nothing to delete"]
        lines += [f"left in place (changed, not created, by sidecar-lab): {k}" for k in self.kept]
        lines += [f"note: {n}" for n in self.notes]
        if problems:
            lines += [f"not deleted: {r}" for r in self.refused]
            lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"deleted": list(self.deleted), "errors": list(self.errors), "refused": list(self.refused),
                "kept": list(self.kept), "restored": list(self.restored), "dry_run": self.dry_run,
                "notes": list(self.notes)}


def _is_ours(meta: dict) -> bool:
    return ((meta.get("labels") or {}).get(MANAGED_BY)) == MANAGER


def foreign_objects(session: Session, namespace: str, ours: Iterable[Ref] = ()) -> tuple[list[str], list[str]]:
    """What a namespace holds that sidecar-lab did not create (``Kind ns/name``), and what could not be checked.

    Objects owned by another object (a ReplicaSet's pods, a Service's endpoints) are judged by their
    owner; ``ours`` are objects about to be deleted anyway (for a dry run).
    """
    discovery = session.discovery
    mine = {(r.kind, r.name) for r in ours if r.namespace == namespace}
    try:
        types, unchecked = discovery.namespaced_types()
    except ClusterError as exc:
        return [], [f"the server's resource types ({exc})"]
    foreign: list[str] = []
    for rtype in types:
        try:
            items = discovery.list_in_namespace(rtype, namespace)
        except ClusterError as exc:
            unchecked.append(f"{rtype.qualified} ({exc})")
            continue
        for item in items:
            meta = item.get("metadata") or {}
            name = str(meta.get("name"))
            if _is_ours(meta) or meta.get("ownerReferences") or (rtype.plural, name) in _AUTOMATIC \
                    or (rtype.kind, name) in mine \
                    or (rtype.plural == "secrets" and "kubernetes.io/service-account.name" in
                        (meta.get("annotations") or {})):
                continue
            foreign.append(f"{rtype.kind} {namespace}/{name}")
    return sorted(foreign), unchecked


def _namespace_refusal(session: Session, name: str, ours: Iterable[Ref]) -> str | None:
    """Why a namespace sidecar-lab created must not be deleted now (None: nothing foreign is inside)."""
    foreign, unchecked = foreign_objects(session, name, ours)
    if foreign:
        return (f"Namespace {name}: it holds {len(foreign)} object(s) sidecar-lab did not create "
                f"({few(foreign)}); move or delete them first, or pass --force-namespaces "
                "(force_namespaces=True) to delete them with the namespace")
    if unchecked:
        return (f"Namespace {name}: what it holds could not all be checked ({few(unchecked)}); "
                "pass --force-namespaces (force_namespaces=True) to delete it anyway")
    return None


def _delete(session: Session, ref: Ref) -> bool:
    """Delete one object; False when it was already gone."""
    conn = session.conn
    try:
        if ref.kind in ISTIO_KINDS:
            version = session.discovery.version_for(ref.kind)
            conn.json("delete", ISTIO_KINDS[ref.kind], ref.namespace, conn.custom.delete_namespaced_custom_object,
                      ISTIO_GROUP, version, ref.namespace, ISTIO_KINDS[ref.kind], ref.name)
        elif ref.kind == "Namespace":
            conn.json("delete", "namespaces", None, conn.core.delete_namespace, ref.name)
        else:
            plural, _, delete, _ = core_api(session, ref.kind)
            conn.json("delete", plural, ref.namespace, delete, ref.name, ref.namespace)
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _delete_commands(kubectl: str, refs: Iterable[Ref]) -> list[str]:
    """``kubectl delete KIND -n NS a b`` per kind and namespace, ``kubectl delete namespace NAME`` each."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        grouped.setdefault((ref.kind, ref.namespace), []).append(ref.name)
    out = []
    for (kind, ns), names in grouped.items():
        where = f" -n {ns}" if ns else ""
        out.append(f"{kubectl} delete {kind.lower()}{where} {' '.join(names)}")
    return out


class _Run:
    """The bookkeeping of one cleanup: what went, what was refused, what failed."""

    def __init__(self, session: Session, dry_run: bool, force_namespaces: bool) -> None:
        self.session, self.dry_run, self.force = session, dry_run, force_namespaces
        self.deleted: list[Ref] = []
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.failed: list[Ref] = []
        self.notes: list[str] = []

    def delete(self, refs: list[Ref]) -> None:
        """Objects first (newest first as given), namespaces last, each after the check of what is inside."""
        for ref in sorted(refs, key=lambda r: r.kind == "Namespace"):
            if ref.kind == "Namespace" and not self.force:
                try:
                    why = _namespace_refusal(self.session, ref.name, refs)
                except ClusterError as exc:
                    why = f"Namespace {ref.name}: what it holds could not be checked ({exc})"
                if why:
                    self.refused.append(why)
                    self.failed.append(ref)
                    continue
            if self.dry_run:
                self.deleted.append(ref)
                continue
            try:
                if _delete(self.session, ref):
                    self.deleted.append(ref)
            except ClusterError as exc:
                self.errors.append(f"{ref}: {exc}")
                self.failed.append(ref)
                if getattr(exc, "status", 0) is None:  # the cluster is gone: do not try every object
                    break

    def result(self, commands: list[str], kept: tuple[str, ...] = (), restored: tuple[str, ...] = ()
               ) -> CleanupResult:
        conn = self.session.conn
        if not self.dry_run:
            for command in _delete_commands(conn.kubectl, self.deleted):
                commands.append(conn.record(command))
        return CleanupResult(tuple(str(r) for r in self.deleted), kept, tuple(self.errors), tuple(commands),
                             tuple(self.refused), restored, self.dry_run, tuple(self.notes))


def cleanup(session: Session, *, restore_changed: bool = False, dry_run: bool = False,
            force_namespaces: bool = False) -> CleanupResult:
    """Delete everything this session created, newest first (namespaces last, if nothing foreign is inside).

    With ``restore_changed``, objects it changed but did not create get their previous spec back
    (a rollback); otherwise they are left in place and listed as kept.
    """
    ledger = session.ledger
    run = _Run(session, dry_run, force_namespaces)
    run.delete(list(reversed(ledger.created)))
    restored: list[str] = []
    if restore_changed and not dry_run:
        for ref in list(ledger.modified):
            if ref in ledger.before:
                try:
                    restored.append(restore(session, ref))
                except ClusterError as exc:
                    run.errors.append(f"{ref}: not restored: {exc}")
    if not dry_run:
        ledger.created = [r for r in ledger.created if r in run.failed]
    kept = tuple(str(r) for r in ledger.modified)
    return run.result([], kept, tuple(restored))


def cleanup_labelled(session: Session, *, dry_run: bool = False, force_namespaces: bool = False) -> CleanupResult:
    """Delete every object labelled ``app.kubernetes.io/managed-by=sidecar-lab`` in the allowed namespaces
    (and those namespaces themselves when they carry the label and hold nothing foreign)."""
    conn, discovery = session.conn, session.discovery
    run = _Run(session, dry_run, force_namespaces)
    commands: list[str] = []
    served = discovery.istio_served(refresh=True)
    istio = [kind for kind, plural in ISTIO_KINDS.items() if plural in served]
    kinds = ",".join([f"{ISTIO_KINDS[k]}.{ISTIO_GROUP}" for k in istio] + ["deployments", "services",
                                                                            "serviceaccounts", "pods"])
    refs: list[Ref] = []
    for ns in session.allowed_namespaces:
        commands.append(conn.record(f"{conn.kubectl} get {kinds} -n {ns} -l {MANAGED_SELECTOR}"))
        try:
            for kind in istio:
                refs += [Ref(kind, ns, i["metadata"]["name"])
                         for i in discovery.list_istio(kind, ns, MANAGED_SELECTOR) or []]
            for kind in _CORE_KINDS:
                plural, _, _, lister = core_api(session, kind)
                data = conn.json("list", plural, ns, lister, ns, label_selector=MANAGED_SELECTOR)
                refs += [Ref(kind, ns, i["metadata"]["name"]) for i in data.get("items") or []]
        except ClusterError as exc:
            run.errors.append(f"namespace {ns}: {exc}")
    commands.append(conn.record(f"{conn.kubectl} get namespaces -l {MANAGED_SELECTOR}"))
    try:
        data = conn.json("list", "namespaces", None, conn.core.list_namespace, label_selector=MANAGED_SELECTOR)
    except ClusterError as exc:
        run.errors.append(f"namespaces: {exc}")
        data = {}
    for item in data.get("items") or []:
        name = item["metadata"]["name"]
        if name in session.allowed_namespaces:
            refs.append(Ref("Namespace", "", name))
        else:  # never outside the allow-list, whatever its labels say
            run.notes.append(f"Namespace {name} carries the label but is outside the allow-list "
                             f"({', '.join(session.allowed_namespaces)}): not touched")
    run.delete(refs)
    if not dry_run:
        gone = set(run.deleted)
        session.ledger.created = [r for r in session.ledger.created if r not in gone]
    return run.result(commands)
