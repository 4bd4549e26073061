"""The command line of the live cluster: ``sidecar-lab live ...`` and ``--live`` on the other commands.

:mod:`sidecar_lab.cli` calls three hooks from here: :func:`add_live_arguments` while it
builds its parser, :func:`live_aware` around the commands that read manifests (with
``--live`` their ``MANIFEST`` arguments become a snapshot of the cluster), and
:func:`cmd_live` for the ``live`` group. Nothing here imports ``kubernetes``
until a command needs a cluster.

Every live command prints the equivalent ``kubectl`` / ``istioctl`` commands, so a
learner can repeat by hand exactly what it did. Exit codes: 0 done (and, for ``check`` and
``walkthrough``, reality matched the prediction); 2 bad usage, a refused object, a cleanup
that refused or failed, or a cluster error (``error:`` lines on standard error); 3 the cluster
differs from the prediction, or ``preflight`` found something missing; 4 could not observe: the
curl the prediction is compared with did not run to the end (the exec failed, its stream broke,
curl is missing), so nothing was verified.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from typing import Any, Callable, Sequence

from ..core.errors import ClusterError, UsageError

__all__ = ["add_live_arguments", "live_aware", "cmd_live", "LiveManifests", "EXIT_DIFFERS", "EXIT_NOT_OBSERVED"]

EXIT_OK, EXIT_USAGE, EXIT_DIFFERS, EXIT_NOT_OBSERVED = 0, 2, 3, 4
_EXITS = ("exit codes: 0 done (and the cluster matched the prediction), 2 bad usage or input, a refused object, "
          "a cleanup that refused or failed, or a cluster error, 3 the cluster differs from the prediction (or "
          "preflight found something missing), 4 could not observe (the curl did not run to the end: nothing was "
          "verified)")
_ACTIONS = ("preflight", "snapshot", "deploy", "apply", "delete", "check", "walkthrough", "cleanup")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r} (a positive number, e.g. 10)")
    return value


def _connection_options(p: argparse.ArgumentParser | Any, *, writes: bool = False) -> None:
    have = {s for a in getattr(p, "_actions", []) for s in a.option_strings}

    def add(flag: str, **kwargs: Any) -> None:
        if flag not in have:
            p.add_argument(flag, **kwargs)

    add("--context", metavar="NAME", help="the kubeconfig context (default: the current one)")
    add("--kubeconfig", metavar="FILE", help="the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    add("--in-cluster", action="store_true", help="use the pod's service account instead of a kubeconfig")
    add("--request-timeout", type=_seconds, default=None, metavar="SECONDS",
        help="the longest wait for the API server, to connect and to answer each request (default: 5 s to "
             "connect, 30 s to answer)")
    if writes:
        add("--allow-namespace", dest="allow_namespaces", action="append", default=[], metavar="NS",
            help="also allow writes in NS (the allow-list is istioinaction, default, istio-system)")


def add_live_arguments(sub: Any) -> None:
    """``--live`` (and the connection options) on every command that reads manifests, and the ``live`` group."""
    for name, p in list(sub.choices.items()):
        action = next((a for a in p._actions if a.dest == "manifests"), None)
        if action is None:
            continue
        action.nargs = "*"
        action.required = False
        action.help = (action.help or "") + " (none with --live)"
        group = p.add_argument_group("live cluster")
        group.add_argument("--live", action="store_true",
                           help="read the cluster's state through the kubeconfig instead of manifest files")
        _connection_options(group)

    live = sub.add_parser(
        "live", help="drive a real cluster with Istio: preflight, snapshot, deploy the lab, apply Sidecars, "
                     "curl from a pod beside the prediction, clean up",
        description="Drive a real cluster with Istio. Read-only unless an action is asked for; writes only in "
                    "the lab's namespaces; every object created is labelled app.kubernetes.io/managed-by="
                    f"sidecar-lab. {_EXITS[0].upper()}{_EXITS[1:]}.")
    actions = live.add_subparsers(dest="live_command", metavar="ACTION", parser_class=type(live))

    def action(name: str, help: str, writes: bool = False) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help, description=f"{help}. {_EXITS[0].upper()}{_EXITS[1:]}.")
        _connection_options(p, writes=writes)
        p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
        return p

    action("preflight", "what the cluster has and lacks for the lab (API, Sidecar CRD, istiod, Istio's version, "
                        "mesh config, injected namespaces), each missing piece with a fix-it line")
    p = action("snapshot", "write the cluster's state as YAML manifests the other commands load")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p = action("deploy", "deploy the seed lab: namespace istioinaction (injected), httpbin in istioinaction and "
                         "default, the sleep pod (never Istio itself)", writes=True)
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="then wait up to SECONDS for the pods to be ready")
    p = action("apply", "apply Sidecars (and ServiceEntries, VirtualServices): a server-side dry run first, "
                        "admission errors shown as validation messages", writes=True)
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML files or directories; - reads standard input")
    p.add_argument("--dry-run", action="store_true", help="only the server-side dry run")
    from . import add_max_file_size

    add_max_file_size(p)
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="then wait up to SECONDS until the proxies most likely have the change")
    p = action("delete", "delete one Sidecar (or ServiceEntry, VirtualService)", writes=True)
    p.add_argument("ref", metavar="NS/NAME")
    p.add_argument("--kind", choices=("Sidecar", "ServiceEntry", "VirtualService"), default="Sidecar")
    p = action("check", "run curl in the source pod and print the simulator's prediction beside it")
    p.add_argument("--from", dest="source", required=True, metavar="NS/NAME", help="the client pod (or controller)")
    p.add_argument("--to", dest="target", required=True, metavar="URL", help="the URL curl is given")
    p.add_argument("--container", metavar="NAME", help="the container curl runs in (default: the app container)")
    p.add_argument("--curl-args", default="-s", metavar="ARGS",
                   help="curl's options (default: -s; write it --curl-args='-s -m 5'); a --write-out that prints "
                        "the HTTP status is added unless these have their own")
    p.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS", help="how long curl may run")
    p = action("walkthrough", "run the seed walkthrough on the cluster: each step's Sidecars, each curl of the "
                              "post, the prediction beside what really happened", writes=True)
    p.add_argument("--steps", metavar="NN,NN", help="only these steps, e.g. 02,03 (default: all)")
    p.add_argument("--no-deploy", action="store_true", help="the lab is already deployed")
    p.add_argument("--keep", action="store_true", help="leave what was created in place (default: clean up)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="the longest wait for a change to reach the proxy (default: 30)")
    p.add_argument("--settle", type=float, default=3.0, metavar="SECONDS",
                   help="extra time after a change before curl runs (default: 3)")
    p.add_argument("--pods-timeout", type=float, default=180.0, metavar="SECONDS",
                   help="the longest wait for the lab's pods after deploying (default: 180)")
    p = action("cleanup", "delete every object labelled app.kubernetes.io/managed-by=sidecar-lab in the lab's "
                          "namespaces, and a labelled namespace only when it holds nothing sidecar-lab did not "
                          "create", writes=True)
    p.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    p.add_argument("--force-namespaces", action="store_true",
                   help="also delete a labelled namespace that holds objects sidecar-lab did not create "
                        "(they are deleted with it)")


# -- --live on resolve, check, matrix, analyze, ... ------------------------------------------


class LiveManifests(list):
    """Stands for the ``MANIFEST`` arguments when ``--live`` is given: ``cli._load`` asks it for the mesh."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__()
        self.args = args

    def live_snapshot(self) -> Any:
        live = _connect(self.args)
        try:
            mesh = live.snapshot()
        finally:
            live.close()
        err = sys.stderr
        print(f"# live snapshot of cluster {live.context} ({live.server}); by hand:", file=err)
        for c in live.commands:
            print(f"#   {c}", file=err)
        for note in mesh.notes:
            print(f"# note: {note}", file=err)
        return mesh


def live_aware(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """With ``--live``, the command reads a snapshot of the cluster instead of manifest files."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        if getattr(args, "live", False):
            if args.manifests:
                raise UsageError("give MANIFEST files or --live, not both")
            args.manifests = LiveManifests(args)
        elif hasattr(args, "live") and not args.manifests:
            raise UsageError("the following arguments are required: MANIFEST (or --live to read a cluster)")
        return handler(args)

    return run


# -- sidecar-lab live ACTION ----------------------------------------------------------------------


def _connect(args: argparse.Namespace, *, writes: bool = False, cleanup_on_exit: bool = False) -> Any:
    from ..live.client import DEFAULT_READ_TIMEOUT, DEFAULT_TIMEOUT
    from ..live.cluster import DEFAULT_ALLOWED_NAMESPACES, LiveCluster

    allowed = tuple(DEFAULT_ALLOWED_NAMESPACES) + tuple(getattr(args, "allow_namespaces", None) or ())
    limit = getattr(args, "request_timeout", None)  # one limit for both, as kubectl's --request-timeout
    return LiveCluster.connect(kubeconfig=getattr(args, "kubeconfig", None), context=getattr(args, "context", None),
                               in_cluster=getattr(args, "in_cluster", False), allowed_namespaces=allowed,
                               timeout=limit or DEFAULT_TIMEOUT, read_timeout=limit or DEFAULT_READ_TIMEOUT,
                               cleanup_on_exit=cleanup_on_exit)


class _Progress:
    """Progress on standard error, at most one line every two seconds (or when the message changes)."""

    def __init__(self) -> None:
        self.last = ("", 0.0)

    def __call__(self, message: str, elapsed: float) -> None:
        now = time.monotonic()
        if message != self.last[0] or now - self.last[1] >= 2.0:
            print(f"  ... {message} ({elapsed:.0f} s)", file=sys.stderr, flush=True)
            self.last = (message, now)


def _commands_text(commands: Sequence[str]) -> str:
    lines = ["equivalent commands:"]
    previous = None
    for c in commands:
        if c != previous:  # a poll repeated in a row is shown once
            lines.append("  $ " + c.replace("\n", "\n    "))
        previous = c
    return "\n".join(lines)


def _emit(args: argparse.Namespace, text: str, data: dict, commands: Sequence[str]) -> None:
    if args.format == "json":
        print(json.dumps({**data, "commands": list(commands)}, ensure_ascii=False, indent=2))
    else:
        print(text)
        if commands:
            print(_commands_text(commands))


def cmd_live(args: argparse.Namespace) -> int:
    if not getattr(args, "live_command", None):
        raise UsageError(f"an action is required: {', '.join(_ACTIONS)} (see 'sidecar-lab live --help')")
    return globals()[f"_live_{args.live_command}"](args)


def _live_preflight(args: argparse.Namespace) -> int:
    live = _connect(args)
    try:
        report = live.preflight()
    finally:
        live.close()
    _emit(args, report.text(), report.to_json(), report.commands)
    return EXIT_OK if report.ok else EXIT_DIFFERS


def _live_snapshot(args: argparse.Namespace) -> int:
    from ..live.cluster import mesh_from_objects, snapshot_yaml

    live = _connect(args)
    try:
        objects, notes = live.snapshot_objects()
    finally:
        live.close()
    mesh = mesh_from_objects(objects, f"cluster {live.context}", notes)  # proves the snapshot loads
    text = snapshot_yaml(objects, live.context, live.server)
    summary = (f"{len(mesh.namespaces)} namespaces, {len(mesh.workloads)} workloads, {len(mesh.services)} services, "
               f"{len(mesh.service_entries)} service entries, {len(mesh.virtual_services)} virtual services, "
               f"{len(mesh.sidecars)} sidecars")
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        data = {"output": args.output, "objects": len(objects), "notes": list(mesh.notes)}
        lines = [f"wrote {len(objects)} objects to {args.output}: {summary}"]
        lines += [f"note: {n}" for n in mesh.notes]
        lines.append(f"load it like any manifests: sidecar-lab resolve {args.output} --all")
        _emit(args, "\n".join(lines), data, live.commands)
    else:
        sys.stdout.write(text)
        print(f"# {len(objects)} objects: {summary}", file=sys.stderr)
        for n in mesh.notes:
            print(f"# note: {n}", file=sys.stderr)
        print("\n".join("# " + line for line in _commands_text(live.commands).splitlines()), file=sys.stderr)
    return EXIT_OK


def _live_deploy(args: argparse.Namespace) -> int:
    with _connect(args, writes=True) as live:  # cleans up what it created if anything fails
        result = live.deploy_seed_lab()
        lines = [result.text() or "nothing to do"]
        wait = None
        if args.wait:
            wait = live.wait_for_lab(timeout=args.wait, progress=_Progress())
            lines.append("pods: " + wait.text())
        _emit(args, "\n".join(lines), {"created": list(result.created), "existing": list(result.existing),
                                       "changed": list(result.changed),
                                       "ready": wait.ok if wait else None}, live.commands)
        return EXIT_OK if wait is None or wait.ok else EXIT_DIFFERS


def _read_files(paths: Sequence[str], max_file_size: int | None = None) -> list[tuple[Any, str | None]]:
    from ..core.loader import manifest_files
    from ..core.yamlio import decode_text, read_limited

    out: list[tuple[Any, str | None]] = []
    for path in manifest_files(list(paths)):
        if path == "-":
            raw = read_limited(sys.stdin, "<stdin>", max_file_size)
            out.append((decode_text(raw, "<stdin>") if isinstance(raw, bytes) else raw, None))
        else:
            out.append((path, path))
    return out


def _live_apply(args: argparse.Namespace) -> int:
    sources = _read_files(args.files, args.max_file_size)
    with _connect(args, writes=True) as live:  # leaving it on an error rolls back whatever was written
        # all files are one apply: every object dry-run before any is written, undone if one write fails
        results = live.apply([source for source, _ in sources], dry_run_only=args.dry_run,
                             max_file_size=args.max_file_size)
        denied = [r for r in results if not r.ok]
        wait = None
        if args.wait and not args.dry_run and not denied:
            wait = live.wait_for_config([r for r in results if r.ok], timeout=args.wait, progress=_Progress())
        lines = [r.text() for r in results if r.ok or r.action != "denied"]
        if wait is not None:
            lines.append("wait: " + wait.text())
        data = {"results": [r.to_json() for r in results],
                "wait": {"ok": wait.ok, "stages": list(wait.stages), "notes": list(wait.notes)} if wait else None}
        _emit(args, "\n".join(lines), data, live.commands)
        for r in denied:
            if r.action == "denied":
                print("error: " + r.text(), file=sys.stderr)
        live.forget()  # applied on purpose: `sidecar-lab live cleanup` removes them
        return EXIT_USAGE if denied else EXIT_OK


def _live_delete(args: argparse.Namespace) -> int:
    if "/" not in args.ref:
        raise UsageError(f"{args.ref!r} must be written NAMESPACE/NAME")
    ns, name = args.ref.split("/", 1)
    live = _connect(args, writes=True)
    try:
        result = live.delete_istio(args.kind, ns, name)
    finally:
        live.close()
    _emit(args, result.text(), {"kind": result.kind, "namespace": ns, "name": name, "action": result.action},
          live.commands)
    return EXIT_OK


def _curl_args(text: str) -> list[str]:
    import shlex

    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"--curl-args {text!r}: {exc} (quote the way a shell would, e.g. --curl-args '-s -m 5')") \
            from None


def _live_check(args: argparse.Namespace) -> int:
    from ..core.render import check_text
    from ..core.traffic import parse_target

    parse_target(args.target)
    curl_args = _curl_args(args.curl_args)  # a usage error before anything is asked of the cluster
    live = _connect(args)
    try:
        predicted, observed, comparison = live.check(args.source, args.target, args=curl_args,
                                                     container=args.container, timeout=args.timeout)
    finally:
        live.close()
    out = observed.stdout.rstrip("\n")
    lines = [check_text(predicted), "", f"on the cluster ({live.context}):", f"  $ {observed.command}"]
    if out:
        shown = out.splitlines()
        lines += [f"  | {line}" for line in shown[:12]] + (["  | ..."] if len(shown) > 12 else [])
    elif observed.error is None:
        lines.append("  (nothing on standard output)")
    lines.append(comparison.text())
    data = {"prediction": predicted.to_json(), "observed": observed.to_json(), "comparison": comparison.to_json()}
    _emit(args, "\n".join(lines), data, live.commands)
    return {"match": EXIT_OK, "mismatch": EXIT_DIFFERS, "not-observed": EXIT_NOT_OBSERVED}[comparison.outcome]


def _live_walkthrough(args: argparse.Namespace) -> int:
    steps = [s for s in (args.steps or "").split(",") if s.strip()] or None
    from ..live.compare import walkthrough_steps

    list(walkthrough_steps(steps))  # an unknown step is a usage error before anything is written
    progress = _Progress()
    reports = []
    with _connect(args, writes=True, cleanup_on_exit=not args.keep) as live:
        if not args.no_deploy:
            deployed = live.deploy_seed_lab()
            if args.format == "text":
                print(deployed.text() or "the lab is already deployed", flush=True)
            wait = live.wait_for_lab(timeout=args.pods_timeout, progress=progress)
            if not wait.ok:
                raise ClusterError(f"the lab is not ready: {wait.message}")
        for report in live.walk(steps, timeout=args.timeout, settle=args.settle, progress=progress):
            reports.append(report)
            if args.format == "text":
                print(report.text(), flush=True)
        rows = [r for rep in reports for r in rep.rows]
        matched = sum(1 for r in rows if r.comparison.match)
        unobserved = sum(1 for r in rows if r.comparison.outcome == "not-observed")
        summary = f"{matched}/{len(rows)} requests matched the prediction"
        if unobserved:
            summary += f"; {unobserved} could not be observed"
        if not args.keep:  # leave the cluster as it was found: delete what was created, put back what was changed
            cleaned = live.cleanup(restore=True)
            summary += "\ncleanup:\n  " + cleaned.text().replace("\n", "\n  ")
        if args.format == "json":
            _emit(args, "", {"steps": [r.to_json() for r in reports], "matched": matched, "requests": len(rows)},
                  live.commands)
        else:
            print(summary)
            print(_commands_text(live.commands))
        return _walk_exit(reports)


def _walk_exit(reports: Sequence[Any]) -> int:
    """3 when something observed differs (a difference seen outranks one not seen), else 4 when a request
    could not be observed, else 0."""
    outcomes = {row.comparison.outcome for report in reports for row in report.rows}
    step_differs = any(not all(a.ok for a in r.applied) or not all(l["match"] for l in r.listings) for r in reports)
    if "mismatch" in outcomes or step_differs:
        return EXIT_DIFFERS
    return EXIT_NOT_OBSERVED if "not-observed" in outcomes else EXIT_OK


def _live_cleanup(args: argparse.Namespace) -> int:
    live = _connect(args, writes=True)
    try:
        result = live.cleanup_labelled(dry_run=args.dry_run, force_namespaces=args.force_namespaces)
    finally:
        live.close()
    _emit(args, result.text(problems=False), result.to_json(), result.commands)
    for refusal in result.refused:  # what was not done goes where errors go, one line each
        print(f"error: not deleted: {refusal}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_USAGE
