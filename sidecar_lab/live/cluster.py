"""A real cluster with Istio, in one object: :class:`LiveCluster`, the face notebooks and the command use.

It holds one :class:`~sidecar_lab.live.session.Session` (a connection, what the server serves, the
allow-list and the ledger of what was written) and hands each call to the module that does it:

================  =====================================================================
``client``        connecting, bounded requests, one-line errors, redaction
``discovery``     which Istio and Gateway API kinds are served; every namespaced type
``snapshot``      the objects the simulator reads, through the core's loader
``preflight``     what the cluster has and lacks, with fix-it lines
``actions``       apply (all or nothing), patch, delete, deploy the seed's lab
``cleanup``       delete what sidecar-lab created, never what it did not
``podexec``       curl in a pod: what was seen, or why nothing could be
``verify``        waiting for the proxies, prediction beside observation, the walkthrough
================  =====================================================================

::

    from sidecar_lab.live.cluster import LiveCluster

    with LiveCluster.connect(context="kind-istio") as live:   # cleans up on exit, rolls back on error
        print(live.preflight().text())
        live.deploy_seed_lab()
        live.apply_sidecar(open("data/seed/steps/02-root-registry-only/sidecars.yaml").read())
        mesh = live.snapshot()                                # a Mesh, as from files
        print(live.exec_curl("istioinaction", "sleep", "http://google.com").stdout)

Safety
------
* Read-only unless an action is asked for (``apply*``, ``patch_sidecar``, ``delete_*``,
  ``deploy_seed_lab``, ``exec_*``, ``cleanup*``).
* Writes only in the allow-listed namespaces (``istioinaction``, ``default`` and ``istio-system``
  unless ``allowed_namespaces=`` says otherwise); anything else is refused (:class:`WriteRefused`)
  before any request is sent.
* Every object it creates carries ``app.kubernetes.io/managed-by: sidecar-lab``;
  :meth:`LiveCluster.cleanup` deletes exactly what this session created and
  :meth:`LiveCluster.cleanup_labelled` whatever carries the label, but a namespace only when nothing
  it did not create is inside. Leaving a ``with`` block on an error also puts back what the session
  changed (:meth:`LiveCluster.rollback`).
* Tokens, passwords, the userinfo of the server URL and kubeconfig contents are never printed.
* Every request has a timeout (5 s to connect, 30 s to answer by default); every failure is a
  :class:`~sidecar_lab.core.errors.ClusterError` with a one-line message.

Every action appends the equivalent ``kubectl`` / ``istioctl`` command to
:attr:`LiveCluster.commands`, so a learner can repeat exactly what it did by hand.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Sequence

from . import actions, cleanup as _cleanup, podexec, verify
from .actions import ApplyResult, DeleteResult, DeployResult
from .cleanup import CleanupResult
from .client import DEFAULT_READ_TIMEOUT, DEFAULT_TIMEOUT, ApiError, Connection, WriteRefused, connect
from .discovery import ISTIO_GROUP, ISTIO_KINDS
from .podexec import ExecResult, ProxyMark
from .preflight import Preflight, PreflightItem, preflight
from .session import DEFAULT_ALLOWED_NAMESPACES, MANAGED_BY, MANAGER, Ledger, Ref, Session
from .snapshot import mesh_from_objects, snapshot_objects, snapshot_yaml
from .verify import Progress, StepReport, WaitResult, WalkRow
from ..core.errors import ClusterError

__all__ = [
    "LiveCluster", "Preflight", "PreflightItem", "ApplyResult", "DeleteResult", "ExecResult", "WaitResult",
    "ProxyMark", "CleanupResult", "DeployResult", "StepReport", "WalkRow", "WriteRefused", "ApiError",
    "MANAGED_BY", "MANAGER", "DEFAULT_ALLOWED_NAMESPACES", "ISTIO_GROUP", "ISTIO_KINDS", "snapshot_yaml",
    "mesh_from_objects",
]


class LiveCluster:
    """One connection to a cluster, with what this session created (for cleanup) and the commands it ran."""

    def __init__(self, conn: Connection, *, allowed_namespaces: Sequence[str] = DEFAULT_ALLOWED_NAMESPACES,
                 istio_namespace: str = "istio-system", cleanup_on_exit: bool = True) -> None:
        self.session = Session.of(conn, allowed_namespaces, istio_namespace)
        self.cleanup_on_exit = cleanup_on_exit
        self.last_snapshot: list[dict] = []

    @classmethod
    def connect(cls, kubeconfig: str | os.PathLike | None = None, context: str | None = None,
                in_cluster: bool = False, *, allowed_namespaces: Sequence[str] = DEFAULT_ALLOWED_NAMESPACES,
                timeout: float = DEFAULT_TIMEOUT, read_timeout: float = DEFAULT_READ_TIMEOUT,
                istio_namespace: str = "istio-system", cleanup_on_exit: bool = True) -> "LiveCluster":
        """Connect through a kubeconfig (``KUBECONFIG`` or ``~/.kube/config`` by default) or the pod's
        service account, and check that the API server answers (within ``timeout`` seconds)."""
        conn = connect(kubeconfig, context, in_cluster, timeout=timeout, read_timeout=read_timeout)
        return cls(conn, allowed_namespaces=allowed_namespaces, istio_namespace=istio_namespace,
                   cleanup_on_exit=cleanup_on_exit)

    def __repr__(self) -> str:
        return f"LiveCluster(context={self.context!r}, server={self.server!r}, created={len(self.created)})"

    # -- what the session is --------------------------------------------------------------
    @property
    def conn(self) -> Connection:
        return self.session.conn

    @property
    def api_client(self) -> Any:
        return self.conn.api_client

    @property
    def context(self) -> str:
        return self.conn.context

    @property
    def server(self) -> str:
        """The API server's URL (its userinfo redacted)."""
        return self.conn.server

    @property
    def server_version(self) -> str | None:
        return self.conn.server_version

    @property
    def timeout(self) -> float:
        return self.conn.timeout

    @property
    def read_timeout(self) -> float:
        return self.conn.read_timeout

    @property
    def allowed_namespaces(self) -> tuple[str, ...]:
        return self.session.allowed_namespaces

    @property
    def istio_namespace(self) -> str:
        return self.session.istio_namespace

    @property
    def commands(self) -> list[str]:
        """Equivalent kubectl / istioctl commands of everything done so far, in order."""
        return self.conn.commands

    @property
    def ledger(self) -> Ledger:
        return self.session.ledger

    @property
    def created(self) -> list[Ref]:
        """Objects this session created, in creation order (what :meth:`cleanup` deletes)."""
        return self.session.ledger.created

    @property
    def modified(self) -> list[Ref]:
        """Objects this session changed but did not create."""
        return self.session.ledger.modified

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "LiveCluster":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:  # an error: delete what was created and put back what was changed
                try:
                    self.rollback()
                except ClusterError:
                    pass
            elif self.cleanup_on_exit:
                self.cleanup()
        finally:
            self.close()

    # -- reading -------------------------------------------------------------------------------
    def istio_served(self, refresh: bool = False) -> dict[str, list[str]]:
        """``{plural: [served versions, preferred first]}`` of the networking.istio.io kinds the server knows."""
        return self.session.discovery.istio_served(refresh)

    def preflight(self) -> Preflight:
        """What is there and what is missing, each missing piece with a line that fixes it."""
        return preflight(self.conn, self.session.discovery, self.istio_namespace)

    def snapshot_objects(self) -> tuple[list[dict], list[str]]:
        """The objects the simulator reads, pruned to the fields it uses, and notes on what is missing."""
        objects, notes = snapshot_objects(self.conn, self.session.discovery, self.istio_namespace)
        self.last_snapshot = objects
        return objects, notes

    def snapshot(self) -> Any:
        """A :class:`~sidecar_lab.core.model.Mesh` of the cluster, as :func:`sidecar_lab.load` makes from files."""
        objects, notes = self.snapshot_objects()
        return mesh_from_objects(objects, f"cluster {self.context}", notes)

    def snapshot_yaml(self) -> str:
        """The last snapshot (or a new one) as YAML manifests that ``sidecar-lab resolve/check/matrix`` load."""
        objects = self.last_snapshot or self.snapshot_objects()[0]
        return snapshot_yaml(objects, self.context, self.server)

    def managed_istio_objects(self, kind: str = "Sidecar") -> list[tuple[str, str]]:
        """``(namespace, name)`` of the objects of ``kind`` labelled managed-by sidecar-lab in allowed namespaces."""
        from .session import MANAGED_SELECTOR

        return [(ns, item["metadata"]["name"]) for ns in self.allowed_namespaces
                for item in self.session.discovery.list_istio(kind, ns, MANAGED_SELECTOR) or []]

    # -- lab actions ------------------------------------------------------------------------------
    def apply(self, source: Any, *, dry_run_first: bool = True, dry_run_only: bool = False,
              max_file_size: int | None = None) -> list[ApplyResult]:
        """Apply every Istio networking object of a dict, a list, YAML text or a file path, all or nothing
        (see :func:`sidecar_lab.live.actions.apply`)."""
        return actions.apply(self.session, source, dry_run_first=dry_run_first, dry_run_only=dry_run_only,
                             max_file_size=max_file_size)

    def apply_sidecar(self, obj_or_yaml: Any, *, dry_run_first: bool = True,
                      dry_run_only: bool = False) -> ApplyResult:
        """Create or replace one Sidecar: a server-side dry run first, then the real write.

        An admission denial is not an exception: ``ApplyResult(ok=False, messages=[webhook text])``.
        """
        from ..core.errors import UsageError

        objects, _ = actions.objects_from(obj_or_yaml)
        if len(objects) != 1 or objects[0].get("kind") != "Sidecar":
            kinds = ", ".join(str(o.get("kind")) for o in objects) or "nothing"
            raise UsageError(f"apply_sidecar takes exactly one Sidecar, got {kinds} (use apply() for several)")
        return self.apply(obj_or_yaml, dry_run_first=dry_run_first, dry_run_only=dry_run_only)[0]

    def patch_sidecar(self, namespace: str, name: str, patch: Any, *, dry_run_first: bool = True) -> ApplyResult:
        """A JSON merge patch of one Sidecar (``{"spec": {"outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}}``)."""
        return actions.patch_sidecar(self.session, namespace, name, patch, dry_run_first=dry_run_first)

    def delete_sidecar(self, namespace: str, name: str) -> DeleteResult:
        return self.delete_istio("Sidecar", namespace, name)

    def delete_istio(self, kind: str, namespace: str, name: str) -> DeleteResult:
        """Delete one Sidecar (ServiceEntry, VirtualService); a missing one is ``action="absent"``."""
        return actions.delete_istio(self.session, kind, namespace, name)

    def deploy_seed_lab(self, *, dry_run_first: bool = True) -> DeployResult:
        """Create the seed's lab: namespace istioinaction (injected), httpbin in istioinaction and default,
        the sleep pod. Never Istio itself (``istio-system`` is left alone)."""
        return actions.deploy_seed_lab(self.session, dry_run_first=dry_run_first)

    def cleanup(self, *, restore: bool = False, dry_run: bool = False, force_namespaces: bool = False) -> CleanupResult:
        """Delete everything this session created, newest first (a namespace only when nothing foreign is inside);
        with ``restore``, also put back what it changed."""
        return _cleanup.cleanup(self.session, restore_changed=restore, dry_run=dry_run,
                                force_namespaces=force_namespaces)

    def forget(self) -> None:
        """Keep what the session did: forget its ledger, so neither cleanup nor rollback undoes it."""
        self.session.ledger = Ledger()

    def rollback(self) -> CleanupResult:
        """Undo the session: delete what it created and put back what it changed."""
        return self.cleanup(restore=True)

    def cleanup_labelled(self, *, dry_run: bool = False, force_namespaces: bool = False) -> CleanupResult:
        """Delete every object labelled ``app.kubernetes.io/managed-by=sidecar-lab`` in the allowed namespaces
        (and those namespaces themselves when sidecar-lab created them and nothing foreign is inside)."""
        return _cleanup.cleanup_labelled(self.session, dry_run=dry_run, force_namespaces=force_namespaces)

    # -- exec -------------------------------------------------------------------------------------
    def exec_command(self, namespace: str, pod: str, command: Sequence[str], *, container: str | None = None,
                     timeout: float = 15.0, pod_object: dict | None = None) -> ExecResult:
        """Run a command in a pod; stdout, stderr and the exit code seen (or, in ``error``, why none was)."""
        return podexec.exec_command(self.conn, namespace, pod, command, container=container, timeout=timeout,
                                    pod_object=pod_object)

    def exec_curl(self, namespace: str, pod: str, url: str, container: str | None = None,
                  args: Sequence[str] = ("-s",), timeout: float = 15.0) -> ExecResult:
        """``kubectl exec -n NS POD -c CONTAINER -- curl ARGS URL``: what curl printed and its exit code."""
        return podexec.exec_curl(self.conn, namespace, pod, url, container=container, args=args, timeout=timeout)

    def proxy_mark(self, pod: str) -> ProxyMark | None:
        """Envoy's xDS update counters of ``NS/POD`` now, or None when they cannot be read."""
        return podexec.proxy_mark(self.conn, pod)

    # -- verification -------------------------------------------------------------------------------
    def wait_for_lab(self, *, timeout: float = 180.0, poll: float = 2.0, progress: Progress | None = None) -> WaitResult:
        """Wait (bounded) until the sleep pod and an httpbin pod in each namespace are Running and ready."""
        return verify.wait_for_lab(self.session, timeout=timeout, poll=poll, progress=progress)

    def wait_for_config(self, changes: Iterable[Any] = (), *, pod: str | None = None, since: ProxyMark | None = None,
                        timeout: float = 30.0, settle: float = 2.0, poll: float = 0.5,
                        progress: Progress | None = None) -> WaitResult:
        """Wait, bounded by ``timeout`` seconds, until the changes have most likely reached the proxies
        (see :func:`sidecar_lab.live.verify.wait_for_config`)."""
        return verify.wait_for_config(self.session, changes, pod=pod, since=since, timeout=timeout, settle=settle,
                                      poll=poll, progress=progress)

    def check(self, source: str, target: str, *, args: Sequence[str] = ("-s",), container: str | None = None,
              timeout: float = 15.0, mesh: Any = None) -> tuple[Any, ExecResult, Any]:
        """Predict ``source`` → ``target`` on a snapshot, run the real curl, and compare."""
        return verify.check(self.session, source, target, args=args, container=container, timeout=timeout, mesh=mesh)

    def walk(self, steps: Sequence[str] | None = None, *, timeout: float = 30.0, settle: float = 2.0,
             exec_timeout: float = 15.0, progress: Progress | None = None) -> Iterator[StepReport]:
        """Run the seed walkthrough step by step (see :func:`sidecar_lab.live.verify.walk`)."""
        return verify.walk(self.session, steps, timeout=timeout, settle=settle, exec_timeout=exec_timeout,
                           progress=progress)

    def run_walkthrough(self, steps: Sequence[str] | None = None, **kwargs: Any) -> list[StepReport]:
        return list(self.walk(steps, **kwargs))
