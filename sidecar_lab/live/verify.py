"""Verification: wait (bounded) for a change to reach the proxies, then set the prediction beside reality.

:func:`check` predicts one request on a fresh snapshot, runs the real curl and compares;
:func:`walk` does it for every step of the seed walkthrough. An observation that could not be made
(the exec was refused, its stream broke, curl is not in the image) is never a match: the
comparison's outcome is ``not-observed``, with the reason (``sidecar-lab live check`` exits 4).
"""

from __future__ import annotations

import dataclasses
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .actions import LAB_INJECTED_NAMESPACE, ApplyResult, DeleteResult, apply, delete_istio
from .compare import Comparison, WalkRequest, WalkStep, blog_agrees, compare, walkthrough_steps
from .podexec import ExecResult, ProxyMark, curl_command, exec_curl, pod_ready, proxy_mark, split_ref
from .session import MANAGED_SELECTOR, Session
from .snapshot import mesh_from_objects, snapshot_objects
from .client import WriteRefused
from ..core.errors import ClusterError, UsageError

__all__ = ["WaitResult", "WalkRow", "StepReport", "wait_for_lab", "wait_for_config", "check", "walk",
           "observe_curl", "snapshot", "Progress"]

#: ``progress(message, elapsed_seconds)``: how long-running actions report what they wait for.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class WaitResult:
    ok: bool
    elapsed: float
    #: What was seen, in order (``the API server has ...``, ``istiod reports ...``, ...).
    stages: tuple[str, ...] = ()
    #: What could not be known, and why.
    notes: tuple[str, ...] = ()
    #: True when the proxy was seen accepting new configuration; None when that was not checked.
    proxy_updated: bool | None = None
    message: str = ""
    commands: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"{'ready' if self.ok else 'not ready'} after {self.elapsed:.1f} s" +
                 (f": {self.message}" if self.message else "")]
        lines += [f"  - {s}" for s in self.stages]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class WalkRow:
    """One request of a walkthrough step: the prediction, what really happened, and the post's observation."""

    request: WalkRequest
    predicted: Any  # RequestResult
    observed: ExecResult
    comparison: Comparison
    #: Does reality agree with what the blog post showed (None: the post showed nothing, or nothing was observed)?
    blog_agrees: bool | None = None

    def to_json(self) -> dict:
        return {"id": self.request.id, "from": self.request.source, "to": self.request.target,
                "command": self.observed.command, "blog": self.request.blog, "blog_agrees": self.blog_agrees,
                "stdout": self.observed.stdout, "stderr": self.observed.stderr,
                **self.comparison.to_json()}


def _vocab_text(observed: Mapping) -> str:
    prints = observed.get("prints")
    if prints == "origin":
        return f"origin {observed.get('origin')}"
    return str(prints)


@dataclass(frozen=True)
class StepReport:
    step: WalkStep
    applied: tuple[ApplyResult, ...]
    deleted: tuple[DeleteResult, ...]
    wait: WaitResult | None
    rows: tuple[WalkRow, ...]
    #: ``kubectl get sidecar -A`` listings of the post, beside the cluster's Sidecars.
    listings: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def match(self) -> bool:
        return all(r.comparison.match for r in self.rows) and all(a.ok for a in self.applied) \
            and all(l["match"] for l in self.listings)

    @property
    def observed(self) -> bool:
        """Every request of the step was really observed."""
        return all(r.comparison.outcome != "not-observed" for r in self.rows)

    def to_json(self) -> dict:
        return {"step": self.step.name, "title": self.step.title, "match": self.match, "observed": self.observed,
                "applied": [a.to_json() for a in self.applied],
                "deleted": [{"kind": d.kind, "namespace": d.namespace, "name": d.name, "action": d.action}
                            for d in self.deleted],
                "wait": dataclasses.asdict(self.wait) if self.wait else None,
                "requests": [r.to_json() for r in self.rows], "listings": list(self.listings),
                "notes": list(self.notes)}

    def text(self) -> str:
        lines = [f"step {self.step.name}: {self.step.title}"]
        lines += [f"  {d.text()}" for d in self.deleted]
        lines += ["  " + a.text().replace("\n", "\n  ") for a in self.applied]
        if self.wait is not None:
            lines.append("  wait: " + self.wait.text().replace("\n", "\n  "))
        for row in self.rows:
            lines.append(f"  {row.request.source} -> {row.request.target}")
            lines.append(f"    $ {row.observed.command}")
            lines.append("  " + row.comparison.text().replace("\n", "\n  "))
            if row.blog_agrees is not None:
                lines.append(f"    the blog post showed {_vocab_text(row.request.blog)}: "
                             f"{'agrees' if row.blog_agrees else 'DIFFERS'}")
        for listing in self.listings:
            lines.append(f"  kubectl get sidecar -A: {', '.join(listing['observed']) or 'none'} "
                         f"({'MATCH' if listing['match'] else 'MISMATCH'}; the post listed "
                         f"{', '.join(listing['blog']) or 'none'})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def snapshot(session: Session) -> Any:
    """A :class:`~sidecar_lab.core.model.Mesh` of the cluster, as :func:`sidecar_lab.load` makes from files."""
    objects, notes = snapshot_objects(session.conn, session.discovery, session.istio_namespace)
    return mesh_from_objects(objects, f"cluster {session.conn.context}", notes)


def observe_curl(session: Session, namespace: str, pod: str, url: str, *, container: str | None = None,
                 args: Sequence[str] = ("-s",), timeout: float = 15.0) -> ExecResult:
    """curl in a pod, as an observation: an exec the cluster refuses or breaks is a result saying so,
    never an exception and never an exit code that was not seen."""
    conn = session.conn
    try:
        return exec_curl(conn, namespace, pod, url, container=container, args=args, timeout=timeout)
    except (UsageError, WriteRefused):
        raise
    except ClusterError as exc:
        flag = f" -c {container}" if container else ""
        command = f"{conn.kubectl} exec -n {namespace} {pod}{flag} -- {shlex.join(curl_command(url, args))}"
        return ExecResult("", "", None, False, None, f"the exec could not run: {exc}", namespace=namespace, pod=pod,
                          container=container or "", command=command)


def wait_for_lab(session: Session, *, timeout: float = 180.0, poll: float = 2.0,
                 progress: Progress | None = None) -> WaitResult:
    """Wait (bounded) until the sleep pod and an httpbin pod in each namespace are Running and ready."""
    conn = session.conn
    start = time.monotonic()
    cmd = conn.record(f"{conn.kubectl} wait --for=condition=Ready pod -n {LAB_INJECTED_NAMESPACE} "
                      f"--all --timeout={int(timeout)}s")
    wanted = [(LAB_INJECTED_NAMESPACE, "run=sleep"), (LAB_INJECTED_NAMESPACE, "app=httpbin"),
              ("default", "app=httpbin")]
    while True:
        missing = []
        for ns, selector in wanted:
            pods = conn.json("list", "pods", ns, conn.core.list_namespaced_pod, ns,
                             label_selector=selector).get("items") or []
            if not any(pod_ready(p) for p in pods):
                missing.append(f"{ns} {selector}")
        elapsed = time.monotonic() - start
        if not missing:
            return WaitResult(True, elapsed, ("the lab's pods are Running and ready",), (), None, "", (cmd,))
        if elapsed >= timeout:
            return WaitResult(False, elapsed, (), (), None,
                              f"timed out after {timeout:g} s: not ready: {', '.join(missing)} "
                              f"(kubectl get pods -n {LAB_INJECTED_NAMESPACE}; kubectl describe pod ...)", (cmd,))
        if progress:
            progress(f"waiting for pods: {', '.join(missing)}", elapsed)
        time.sleep(min(poll, max(0.0, timeout - elapsed)))


def _observed_generation(obj: Mapping) -> int | None:
    value = (obj.get("status") or {}).get("observedGeneration")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _change(c: Any) -> tuple | None:
    """(kind, namespace, name, generation, deleted) of an ApplyResult, a DeleteResult or such a tuple."""
    if isinstance(c, ApplyResult):
        return (c.kind, c.namespace, c.name, c.generation, False) if c.ok and not c.dry_run else None
    if isinstance(c, DeleteResult):
        return (c.kind, c.namespace, c.name, None, True)
    if isinstance(c, tuple) and len(c) == 5:
        return c
    raise UsageError(f"wait_for_config takes ApplyResults and DeleteResults, not {type(c).__name__}")


def wait_for_config(session: Session, changes: Iterable[Any] = (), *, pod: str | None = None,
                    since: ProxyMark | None = None, timeout: float = 30.0, settle: float = 2.0, poll: float = 0.5,
                    progress: Progress | None = None) -> WaitResult:
    """Wait, bounded by ``timeout`` seconds, until the changes have most likely reached the proxies.

    What it checks, in order:

    1. the API server shows each applied object at the generation the write returned (and each
       deleted object gone);
    2. when istiod writes status (``status.observedGeneration``, only with ``PILOT_ENABLE_STATUS``),
       that istiod has seen that generation;
    3. with ``pod`` and a :func:`~sidecar_lab.live.podexec.proxy_mark` taken *before* the change
       (``since``), that the pod's Envoy has accepted new xDS updates since (its counters grew);
    4. then ``settle`` more seconds, for istiod's debounce (100 ms to 10 s) and Envoy's drain.

    What it cannot know without ``istioctl proxy-status``: that the update the proxy accepted is the
    one carrying this change (a push for another reason also counts), nor, without step 3, that a
    push reached the proxy at all; hence the settle time.
    """
    conn, discovery = session.conn, session.discovery
    start = time.monotonic()
    deadline = start + timeout
    stages: list[str] = []
    notes: list[str] = []
    commands = [conn.record(f"{conn.istioctl} proxy-status")]

    def report(message: str) -> None:
        if progress:
            progress(message, time.monotonic() - start)

    def result(ok: bool, message: str = "", proxy: bool | None = None) -> WaitResult:
        return WaitResult(ok, time.monotonic() - start, tuple(stages), tuple(notes), proxy, message, tuple(commands))

    pending = [c for c in (_change(c) for c in changes) if c is not None]
    seen: dict[tuple, dict] = {}
    for kind, ns, name, _, _ in pending:
        commands.append(conn.record(f"{conn.kubectl} get {kind.lower()} -n {ns} {name} "
                                    "-o jsonpath='{.metadata.generation}'"))
    while pending:
        still = []
        for change in pending:
            kind, ns, name, generation, deleted = change
            obj = discovery.get_istio(kind, ns, name)
            if deleted:
                done = obj is None
            else:
                have = (obj or {}).get("metadata", {}).get("generation")
                done = obj is not None and (generation is None or (have or 0) >= generation)
            if done:
                if obj is not None:
                    seen[(kind, ns, name)] = obj
            else:
                still.append(change)
        pending = still
        if not pending:
            break
        if time.monotonic() >= deadline:
            refs = ", ".join(f"{k} {n}/{m}" for k, n, m, _, _ in pending)
            return result(False, f"timed out after {timeout:g} s waiting for the API server to show {refs}")
        report("waiting for the API server to show " + ", ".join(f"{n}/{m}" for _, n, m, _, _ in pending))
        time.sleep(poll)
    if seen:
        stages.append("the API server has " + ", ".join(
            f"{k} {n}/{m} (generation {o.get('metadata', {}).get('generation')})" for (k, n, m), o in seen.items()))
    with_status = {key: obj for key, obj in seen.items() if _observed_generation(obj) is not None}
    if seen and not with_status:
        notes.append("istiod writes no status on these objects (status.observedGeneration is absent: it does "
                     "only with PILOT_ENABLE_STATUS=true), so the API cannot tell whether istiod processed them")
    while with_status:
        behind = {key: obj for key, obj in with_status.items()
                  if (_observed_generation(obj) or 0) < (obj.get("metadata", {}).get("generation") or 0)}
        if not behind:
            stages.append("istiod reports it has processed " + ", ".join(f"{n}/{m}" for _, n, m in with_status))
            break
        if time.monotonic() >= deadline:
            return result(False, f"timed out after {timeout:g} s waiting for istiod to process "
                          + ", ".join(f"{n}/{m}" for _, n, m in behind))
        report("waiting for istiod to process " + ", ".join(f"{n}/{m}" for _, n, m in behind))
        time.sleep(poll)
        with_status = {key: (discovery.get_istio(*key) or obj) for key, obj in with_status.items()}
    proxy_updated = None
    if pod is not None and since is not None:
        ns, name = split_ref(pod)
        commands.append(conn.record(f"{conn.kubectl} exec -n {ns} {name} -c istio-proxy -- pilot-agent request "
                                    "GET 'stats?filter=update_success'"))
        proxy_updated = False
        while True:
            now = proxy_mark(conn, pod)
            if now is None:
                notes.append(f"the xDS counters of {pod} could not be read; the settle time stands in for them")
                proxy_updated = None
                break
            if now.total > since.total:
                stages.append(f"the proxy of {pod} accepted {now.total - since.total} new xDS update(s)")
                proxy_updated = True
                break
            if time.monotonic() >= deadline:
                notes.append(f"the proxy of {pod} accepted no new configuration within {timeout:g} s: the "
                             "change may not concern it, or the push is late (istioctl proxy-status)")
                break
            report(f"waiting for the proxy of {pod} to accept the new configuration")
            time.sleep(poll)
    elif pod is not None:
        notes.append(f"no proxy_mark() of {pod} was taken before the change, so its xDS counters were not compared")
    remaining = min(settle, max(0.0, deadline - time.monotonic()))
    end = time.monotonic() + remaining
    while time.monotonic() < end:
        report(f"letting the configuration settle ({settle:g} s)")
        time.sleep(min(0.25, max(0.0, end - time.monotonic())))
    if settle:
        stages.append(f"waited {remaining:.1f} s more for istiod's debounce and the push")
    return result(True, "", proxy_updated)


def check(session: Session, source: str, target: str, *, args: Sequence[str] = ("-s",), container: str | None = None,
          timeout: float = 15.0, mesh: Any = None) -> tuple[Any, ExecResult, Comparison]:
    """Predict ``source`` → ``target`` on a snapshot, run the real curl, and compare.

    ``source`` is ``NS/NAME`` of a pod, or of a controller (one of its pods runs curl)."""
    from ..core.resolver import Simulator
    from ..core.traffic import check as predict_check, parse_target

    parse_target(target)
    sim = Simulator(mesh if mesh is not None else snapshot(session))
    predicted = predict_check(sim, source, target)
    w = predicted.source
    pod = w.name
    if w.kind != "Pod":
        pods = [p for p in sim.mesh.workloads if p.kind == "Pod" and p.namespace == w.namespace
                and w.labels and all(p.labels.get(k) == v for k, v in w.labels.items())]
        if not pods:
            raise UsageError(f"{w.kind} {w.namespace}/{w.name} has no pod to run curl in")
        pod = sorted(pods, key=lambda p: p.name)[0].name
    observed = observe_curl(session, w.namespace, pod, target, container=container, args=args, timeout=timeout)
    session.conn.record(f"{session.conn.istioctl} proxy-config listener {pod}.{w.namespace} --port "
                        f"{predicted.target.port}")
    return predicted, observed, compare(predicted, observed)


def walk(session: Session, steps: Sequence[str] | None = None, *, timeout: float = 30.0, settle: float = 2.0,
         exec_timeout: float = 15.0, progress: Progress | None = None) -> Iterator[StepReport]:
    """Run the seed walkthrough step by step (the lab must be deployed): apply the step's Sidecars,
    delete the lab's Sidecars the step no longer has, wait, run each curl of the post, compare."""
    from ..core.resolver import Simulator
    from ..core.traffic import check as predict_check

    for step in walkthrough_steps(steps):
        notes: list[str] = []
        source = step.requests[0].source if step.requests else f"{LAB_INJECTED_NAMESPACE}/sleep"
        mark = proxy_mark(session.conn, source)
        wanted = set(step.sidecar_refs())
        managed = [(ns, item["metadata"]["name"]) for ns in session.allowed_namespaces
                   for item in session.discovery.list_istio("Sidecar", ns, MANAGED_SELECTOR) or []]
        deleted = tuple(delete_istio(session, "Sidecar", ns, name) for ns, name in managed if (ns, name) not in wanted)
        applied = tuple(apply(session, Path(step.directory) / "sidecars.yaml")) if step.sidecars else ()
        changes = [a for a in applied if a.ok and a.action != "unchanged"] + \
            [d for d in deleted if d.action == "deleted"]
        wait = wait_for_config(session, changes, pod=source, since=mark, timeout=timeout, settle=settle,
                               progress=progress) if changes else None
        mesh = snapshot(session)
        sim = Simulator(mesh)
        rows = []
        for request in step.requests:
            predicted = predict_check(sim, request.source, request.target)
            observed = observe_curl(session, request.namespace, request.pod, request.target,
                                    container=request.container, args=request.curl_args, timeout=exec_timeout)
            comparison = compare(predicted, observed)
            rows.append(WalkRow(request, predicted, observed, comparison, blog_agrees(observed, request.blog)))
        listings = []
        for listing in step.listings:
            blog = list((listing.get("observed") or {}).get("sidecars") or [])
            cluster = sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars)
            listings.append({"id": listing.get("id"), "blog": blog, "observed": cluster,
                             "match": sorted(blog) == cluster})
        others = sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars if (s.namespace, s.name) not in wanted)
        if others:
            notes.append(f"Sidecars not part of this step are in the cluster and in the prediction: "
                         f"{', '.join(others)}")
        yield StepReport(step, applied, deleted, wait, tuple(rows), tuple(listings), tuple(notes))

