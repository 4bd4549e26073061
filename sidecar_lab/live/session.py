"""Session: one connection's work on a cluster, and the ledger of what it created and changed.

The ledger is what makes cleanup and rollback exact: what this session *created* (cleanup deletes
it), what it *changed* but did not create (left in place, or put back as it was), and for each
changed object its state before the first change and the ``resourceVersion`` of the session's own
last write (so a later change by someone else is never overwritten).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .client import Connection, WriteRefused
from .discovery import Discovery

__all__ = ["Ref", "Ledger", "Session", "MANAGED_BY", "MANAGER", "MANAGED_SELECTOR", "DEFAULT_ALLOWED_NAMESPACES"]

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "sidecar-lab"
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"
DEFAULT_ALLOWED_NAMESPACES = ("istioinaction", "default", "istio-system")


@dataclass(frozen=True)
class Ref:
    kind: str
    namespace: str  # "" for namespaces
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass
class Ledger:
    """What this session did to the cluster."""

    #: Objects this session created, in creation order (what cleanup deletes).
    created: list[Ref] = field(default_factory=list)
    #: Objects this session changed but did not create (left in place by cleanup, or restored).
    modified: list[Ref] = field(default_factory=list)
    #: A changed object as it was before this session first changed it.
    before: dict[Ref, dict] = field(default_factory=dict)
    #: The resourceVersion the session's last write of a changed object returned.
    last_write: dict[Ref, str] = field(default_factory=dict)

    def note_created(self, ref: Ref) -> None:
        if ref not in self.created:
            self.created.append(ref)

    def note_changed(self, ref: Ref, previous: dict | None, written: dict | None) -> None:
        if ref in self.created:
            return
        if ref not in self.modified:
            self.modified.append(ref)
        if previous is not None:
            self.before.setdefault(ref, previous)
        version = ((written or {}).get("metadata") or {}).get("resourceVersion")
        if version:
            self.last_write[ref] = str(version)

    def forget(self, ref: Ref) -> None:
        for table in (self.created, self.modified):
            if ref in table:
                table.remove(ref)
        self.before.pop(ref, None)
        self.last_write.pop(ref, None)


@dataclass
class Session:
    """A connection, what it knows of the server, the allow-list, and the ledger of its writes."""

    conn: Connection
    discovery: Discovery
    allowed_namespaces: tuple[str, ...] = DEFAULT_ALLOWED_NAMESPACES
    istio_namespace: str = "istio-system"
    ledger: Ledger = field(default_factory=Ledger)

    @classmethod
    def of(cls, conn: Connection, allowed_namespaces: Sequence[str] = DEFAULT_ALLOWED_NAMESPACES,
           istio_namespace: str = "istio-system") -> "Session":
        return cls(conn, Discovery(conn), tuple(allowed_namespaces), istio_namespace)

    def check_allowed(self, kind: str, namespace: str, name: str) -> None:
        """Refuse (before any request) a write outside the allow-listed namespaces."""
        if namespace not in self.allowed_namespaces:
            raise WriteRefused(f"refusing to write {kind} {namespace}/{name}: namespace {namespace!r} is not in "
                               f"the allow-list ({', '.join(self.allowed_namespaces)}); pass "
                               "allowed_namespaces=... (--allow-namespace NS) to widen it")
