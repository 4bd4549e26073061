"""The ``sidecar-lab`` command: it parses arguments, calls the core, and prints.

This is the top layer: it may import every subpackage (core, course, live, scale), always
inside the command that needs it, so ``sidecar-lab --help`` imports none of the heavy ones.
The live commands live in :mod:`sidecar_lab.cli.live`.

Exit codes: 0 done; 2 bad usage or bad input (one ``error:`` line, never a
traceback); 3 and 4 for the live commands (:mod:`sidecar_lab.cli.live`: the cluster differs from
the prediction; could not observe); 5 ``suggest`` could not prove every call ROUTED with the
Sidecar it wrote; 79 ``analyze`` found an Error-level message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from ..core.errors import SidecarLabError
from ..core.messages import LANGUAGES, label, using_language

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_USAGE, EXIT_NOT_PROVED, EXIT_ANALYZE_ERRORS = 0, 2, 5, 79


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, as every other error
        raise SidecarLabError(f"{message} (see '{self.prog} --help')")


class _LabParser(_Parser):
    """``sidecar-lab lab``'s parser: everything after ``--`` goes to JupyterLab as it is (``jupyter_args``)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        extra: list[str] = []
        if "--" in args:
            at = args.index("--")
            args, extra = args[:at], args[at + 1:]
        parsed, rest = super().parse_known_args(args, namespace)
        parsed.jupyter_args = extra
        return parsed, rest


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sidecar-lab",
                     description="Simulate how Istio applies Sidecar resources: which Sidecar governs a workload, "
                                 "what its proxy sees, and what happens to a request — offline, with the reason.",
                     epilog="Exit codes: 0 done; 2 bad usage or bad input (one error: line), or a cluster error; "
                            "3 live: the cluster differs from the prediction (or preflight found it not ready); "
                            "4 live: could not observe (the curl did not run to the end, nothing was verified); "
                            "5 suggest could not prove every call ROUTED; "
                            "79 analyze found an Error-level message.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("manifests", nargs="+", metavar="MANIFEST",
                       help="YAML files or directories of Kubernetes/Istio manifests; - reads standard input")
        p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
        p.add_argument("--lang", choices=LANGUAGES, default=None,
                       help="language of the text output's explanations (default: $SIDECAR_LAB_LANG, else en); "
                            "codes, JSON field names and exit codes do not change")
        add_max_file_size(p)
        add_istio_version(p)

    def compare(p: argparse.ArgumentParser) -> None:
        p.add_argument("--compare-versions", metavar="X.Y,X.Y", default=None,
                       help="answer the same question with each of these Istio releases, side by side, the "
                            "differences marked and the rules that make them named (e.g. 1.26,1.31)")

    p = sub.add_parser("resolve", help="which Sidecar governs a workload, why, and what its proxy sees")
    common(p)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--workload", metavar="NS/NAME", help="a Pod or controller, as NAMESPACE/NAME")
    group.add_argument("--all", action="store_true", help="every workload, sorted by namespace then name")
    compare(p)

    p = sub.add_parser("check", help="what happens when a workload sends one request (like kubectl exec ... curl)")
    common(p)
    compare(p)
    p.add_argument("--from", dest="source", required=True, metavar="NS/NAME", help="the client workload")
    p.add_argument("--to", dest="target", required=True, metavar="TARGET",
                   help="like a curl argument: http://httpbin.istioinaction:8000/ip, https://google.com, "
                        "tcp://db.default:5432, or HOST[:PORT]")

    p = sub.add_parser("matrix", help="every workload x every destination, each cell a check verdict")
    common(p)
    p.add_argument("--to", dest="targets", action="append", default=[], metavar="TARGET",
                   help="an extra destination (repeatable); every Service port is always included")

    p = sub.add_parser("analyze", help="istioctl analyze and Kiali's Sidecar checks, plus what they miss")
    common(p)
    levels = ("Info", "Warning", "Error")
    p.add_argument("--failure-threshold", choices=levels, default="Error",
                   help="exit 79 when a message is at or above this level (default: Error)")
    p.add_argument("--output-threshold", choices=levels, default="Info",
                   help="show only messages at or above this level (default: Info)")
    p.add_argument("--suppress", action="append", default=[], metavar="CODE=GLOB",
                   help="drop messages of CODE whose resource ('Kind ns/name') matches GLOB, e.g. "
                        "'IST0110=Sidecar default/dupe-*' (repeatable)")

    p = sub.add_parser("size", help="what a proxy receives (clusters, listeners, routes, endpoints) and its "
                                    "estimated size, with and without its Sidecar")
    common(p)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--workload", metavar="NS/NAME", help="a Pod or controller, as NAMESPACE/NAME")
    group.add_argument("--all", action="store_true", help="every proxy, and the mesh totals with and without Sidecars")

    p = sub.add_parser("suggest", help="write the minimal Sidecar for a workload's calls, show the saving, "
                                       "and prove with check that every call stays ROUTED",
                       description="Write the minimal Sidecar for a workload's calls (targets, or its istio-proxy "
                                   "access log, text or JSON), show what it saves, and prove with check that every "
                                   "call stays ROUTED. Exit codes: 0 every call proved ROUTED; 5 some call is not "
                                   "(the Sidecar is still printed, with why); 2 bad usage or bad input.")
    common(p)
    p.add_argument("--workload", required=True, metavar="NS/NAME", help="the workload the Sidecar is for")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--call", dest="calls", action="append", metavar="TARGET",
                       help="a call it makes (repeatable): http://api.web:8080/v1, tcp://db.default:5432, "
                            "db.default:5432, api.web, or an Envoy access-log line (text or JSON)")
    group.add_argument("--access-log", metavar="FILE",
                       help="the workload's istio-proxy access log (- for stdin): Istio's text or JSON format, or "
                            "any JSON objects with upstream_cluster/authority/upstream_host, mixed")
    p.add_argument("--mode", choices=("REGISTRY_ONLY", "ALLOW_ANY"), default="REGISTRY_ONLY",
                   help="the suggested outboundTrafficPolicy mode (default: REGISTRY_ONLY)")
    p.add_argument("--name", help="the Sidecar's name (default: the workload's app label, or its name)")
    p.add_argument("--no-istio-system", dest="istio_system", action="store_false",
                   help="leave istio-system/* out of the egress hosts (kept by default, as Istio's own Sidecar "
                        "examples keep it)")

    sub._parser_class = _LabParser  # `sidecar-lab lab ... -- JUPYTER-OPTIONS`
    p = sub.add_parser("lab", help="open JupyterLab on your own copy of the course (offline)",
                       description="Copy the course into a workspace of yours (once; later runs reuse it as you left "
                                   "it) and open JupyterLab there, on 127.0.0.1 with a token. Options after -- go to "
                                   "JupyterLab as they are, e.g. sidecar-lab lab -- --ServerApp.port_retries=0.")
    p.add_argument("path", nargs="?", metavar="PATH",
                   help="a notebook or folder of your own to open instead of the course")
    p.add_argument("--workspace", metavar="DIR",
                   help="where your copy of the course lives (default: ./sidecar-lab-course, "
                        "./sidecar-lab-course-ko for --lang ko)")
    p.add_argument("--lang", choices=LANGUAGES,
                   help="the edition of the course (default: $SIDECAR_LAB_LANG, else en)")
    p.add_argument("--reset", action="store_true",
                   help="restore the pristine notebooks; your edited copies are moved to edited-DATE/ in the workspace")
    p.add_argument("--port", type=int, help="the port JupyterLab listens on")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--print-command", action="store_true",
                   help="prepare the workspace and print the JupyterLab command instead of running it")
    sub._parser_class = _Parser

    from .proxy_config import add_proxy_config_arguments  # `sidecar-lab proxy-config SECTION ...`

    add_proxy_config_arguments(sub)
    add_istio_version(sub.choices["proxy-config"])

    from .live import add_live_arguments  # `sidecar-lab live ...`, and --live on the commands above

    add_live_arguments(sub)
    return parser


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_size(text: str) -> int:
    """``64M`` → 67108864; a number with an optional unit (B, K, M, G; KiB, MiB, GiB), a plain number is bytes."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text or "")
    if not m or m.group(2).lower() not in _UNITS or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (a number with an optional unit: 500K, 64M, 1G)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def add_max_file_size(p: Any) -> None:
    """``--max-file-size``: the largest manifest file (or standard input) read."""
    from ..core.yamlio import MAX_FILE_BYTES, size_text

    p.add_argument("--max-file-size", type=parse_size, default=MAX_FILE_BYTES, metavar="SIZE",
                   help=f"refuse a manifest file (or standard input) larger than SIZE, e.g. 200M "
                        f"(default: {size_text(MAX_FILE_BYTES).replace(' ', '')})")


def add_istio_version(p: Any) -> None:
    """``--istio-version``: the Istio release whose rules answer."""
    p.add_argument("--istio-version", metavar="X.Y[.Z]", type=_istio_version, default=None,
                   help="answer with the rules of this Istio release, 1.22 to 1.31 (default: 1.26, the lab's; "
                        "X.Y means its newest patch); docs/versions.md lists what differs")


def _istio_version(text: str) -> str:
    """argparse type of ``--istio-version``: a release the simulator models, normalized."""
    from ..core.versions import parse_version

    try:
        return str(parse_version(text))
    except SidecarLabError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _comparing(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The releases of ``--compare-versions``, or None; it replaces ``--istio-version``, never joins it."""
    if getattr(args, "compare_versions", None) is None:
        return None
    from ..core.version_compare import parse_versions

    if args.istio_version is not None:
        raise SidecarLabError("give --istio-version or --compare-versions, not both")
    return parse_versions(args.compare_versions)


def _answered(version: str) -> str:
    return label("text.answered", version=version)


def _dump(value: Any, compact: bool = False) -> str:
    if compact:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, indent=2)


def _load(paths: Sequence[str], max_file_size: int | None = None):
    if hasattr(paths, "live_snapshot"):  # --live: a snapshot of the cluster instead of files (live_cli)
        return paths.live_snapshot()
    import gc

    from ..core.loader import load

    mesh = load(paths, max_file_size=max_file_size)
    # The model never changes once read: keep the collector from rescanning it on every pass
    # (on a 20,000-pod mesh this is what keeps the run linear in the mesh size).
    gc.freeze()
    return mesh


def _cmd_resolve(args: argparse.Namespace) -> int:
    from ..core.render import resolution_text
    from ..core.resolver import Simulator

    versions = _comparing(args)
    if versions is not None:
        if args.all:
            raise SidecarLabError("--compare-versions answers for one workload: use --workload NS/NAME, not --all")
        from ..core.version_compare import compare_resolve

        result = compare_resolve(_load(args.manifests, args.max_file_size), args.workload, versions)
        print(_dump(result.to_json()) if args.format == "json" else result.text())
        return EXIT_OK
    sim = Simulator(_load(args.manifests, args.max_file_size), args.istio_version)
    if args.all:
        workloads = sim.workloads()
        progress = sys.stderr.isatty() and len(workloads) > 2000
        results = []
        for i, w in enumerate(workloads):
            if progress and i % 1000 == 0:
                print(f"\rresolving {i}/{len(workloads)} workloads...", end="", file=sys.stderr, flush=True)
            results.append(sim.resolve(w))
        if progress:
            print("\r" + " " * 50 + "\r", end="", file=sys.stderr)
        if args.format == "json":
            sys.stdout.write(_dump([r.to_json() for r in results], compact=True) + "\n")
        else:
            print("\n\n".join(resolution_text(r) for r in results))
        return EXIT_OK
    result = sim.resolve(args.workload)
    print(_dump(result.to_json()) if args.format == "json" else resolution_text(result))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from ..core.render import check_text
    from ..core.resolver import Simulator
    from ..core.traffic import check, parse_target

    parse_target(args.target)  # a malformed target is a usage error before any file is read
    versions = _comparing(args)
    if versions is not None:
        from ..core.version_compare import compare_check

        comparison = compare_check(_load(args.manifests, args.max_file_size), args.source, args.target, versions)
        print(_dump(comparison.to_json()) if args.format == "json" else comparison.text())
        return EXIT_OK
    sim = Simulator(_load(args.manifests, args.max_file_size), args.istio_version)
    result = check(sim, args.source, args.target)
    print(_dump(result.to_json()) if args.format == "json" else check_text(result))
    return EXIT_OK


def _cmd_matrix(args: argparse.Namespace) -> int:
    from ..core.render import matrix_text
    from ..core.resolver import Simulator
    from ..core.traffic import check, matrix_targets, parse_target

    for t in args.targets:
        parse_target(t)
    sim = Simulator(_load(args.manifests, args.max_file_size), args.istio_version)
    targets = matrix_targets(sim) + [t for t in args.targets]
    sources = sim.workloads()
    cells = []
    for w in sources:
        row = []
        for t in targets:
            r = check(sim, w, t)
            row.append({"verdict": r.verdict.value, "cluster": r.envoy.cluster, "route": r.envoy.route,
                        "listener": r.envoy.listener})
        cells.append(row)
    names = [f"{w.namespace}/{w.name}" for w in sources]
    if args.format == "json":
        print(_dump({"sources": [{"namespace": w.namespace, "name": w.name, "kind": w.kind} for w in sources],
                     "targets": targets, "cells": cells, "istio_version": sim.istio_version}))
    else:
        print(matrix_text(names, targets, cells, istio_version=sim.istio_version))
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    from ..core.analyze import CODES, analyze, exit_code, filter_messages
    from ..core.resolver import Simulator

    for item in args.suppress:
        code = item.partition("=")[0].strip()
        if code != "*" and code not in CODES:
            raise SidecarLabError(f"--suppress {item!r}: unknown code {code!r}")
    mesh = _load(args.manifests, args.max_file_size)
    sim = Simulator(mesh, args.istio_version)
    messages = filter_messages(analyze(sim), mesh, output_threshold=args.output_threshold,
                               suppress=args.suppress)
    if args.format == "json":
        print(_dump({"messages": [m.to_json() for m in messages], "istio_version": sim.istio_version}))
    else:
        if not messages:
            print("\u2714 No validation issues found when analyzing the given manifests.")
        for m in messages:  # the course's own findings say why, in the language of --lang
            print(m.explained() if m.code.startswith("SL") else m.line())
        print(_answered(sim.istio_version))
    return exit_code(messages, args.failure_threshold)


def _cmd_size(args: argparse.Namespace) -> int:
    import dataclasses

    from ..core.resolver import Simulator
    from ..scale.sizing import comparison_text, compare, mesh_totals, proxy_configs, totals_text

    mesh = _load(args.manifests, args.max_file_size)
    sim = Simulator(mesh, args.istio_version)
    if args.all:
        configs = proxy_configs(sim)
        with_totals = mesh_totals(sim, configs)
        without_totals = mesh_totals(Simulator(dataclasses.replace(mesh, sidecars=()), sim.rules))
        if args.format == "json":
            saving = {k: round(without_totals[k] - with_totals[k], 1) for k in
                      ("visible_services", "clusters", "mtls_clusters", "listeners", "routes", "virtual_hosts",
                       "endpoints", "xds_bytes", "memory_mib", "memory_mb")}
            sys.stdout.write(_dump({"proxies": [c.to_json() for c in configs],
                                    "totals": {"with_sidecars": with_totals, "without_sidecars": without_totals,
                                               "saving": saving}, "istio_version": sim.istio_version},
                                   compact=True) + "\n")
        else:
            print(totals_text(configs, with_totals, without_totals))
            print(_answered(sim.istio_version))
        return EXIT_OK
    result = compare(sim, args.workload)
    if args.format == "json":
        print(_dump({**result.to_json(), "istio_version": sim.istio_version}))
    else:
        print(comparison_text(result))
        print(_answered(sim.istio_version))
    return EXIT_OK


def _cmd_suggest(args: argparse.Namespace) -> int:
    from ..core.resolver import Simulator
    from ..scale.suggest import parse_access_log, read_access_log, suggest_sidecar, suggestion_text

    ignored: list = []
    if args.access_log is not None:
        found, ignored = parse_access_log(read_access_log(args.access_log))
        calls = [c.line for c in found]
        if not calls:
            from ..core.errors import UsageError

            first = f"; line {ignored[0].number}: {ignored[0].reason}" if ignored else ""
            raise UsageError(f"no outbound call found in the access log {args.access_log!r} "
                             f"({len(ignored)} line(s) ignored{first})")
    else:
        calls = args.calls
    sim = Simulator(_load(args.manifests, args.max_file_size), args.istio_version)
    result = suggest_sidecar(sim, args.workload, calls, mode=args.mode, name=args.name, ignored=ignored,
                             istio_system=args.istio_system)
    if args.format == "json":
        print(_dump({**result.to_json(), "istio_version": sim.istio_version}))
    else:
        print(suggestion_text(result))
        print(_answered(sim.istio_version))
    return EXIT_OK if result.proved else EXIT_NOT_PROVED


def _cmd_proxy_config(args: argparse.Namespace) -> int:
    from .proxy_config import cmd_proxy_config

    return cmd_proxy_config(args, _load)


def _cmd_lab(args: argparse.Namespace) -> int:
    from ..course.lab import run_lab

    return run_lab(args.path, jupyter_args=args.jupyter_args, workspace=args.workspace, lang=args.lang, port=args.port,
                   browser=not args.no_browser, dry_run=args.print_command, reset=args.reset)


_COMMANDS = {"resolve": _cmd_resolve, "check": _cmd_check, "matrix": _cmd_matrix, "analyze": _cmd_analyze,
             "size": _cmd_size, "suggest": _cmd_suggest, "proxy-config": _cmd_proxy_config, "lab": _cmd_lab}

# A live cluster (sidecar_lab.cli.live): with --live, MANIFEST becomes a snapshot; `sidecar-lab live ACTION`.
from .live import cmd_live as _cmd_live, live_aware as _live_aware  # noqa: E402

_COMMANDS = {name: _live_aware(handler) for name, handler in _COMMANDS.items()}
_COMMANDS["live"] = _cmd_live


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:  # bad usage: one error line on stderr, like every other one
            raise SidecarLabError(f"a command is required: {', '.join(_COMMANDS)} (see '{parser.prog} --help')")
        with using_language(getattr(args, "lang", None)):
            return _COMMANDS[args.command](args)
    except SidecarLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:  # pragma: no cover
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, with a way to see the traceback
        if os.environ.get("SIDECAR_LAB_DEBUG"):
            raise
        print(f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in sidecar-lab — "
              "rerun with SIDECAR_LAB_DEBUG=1 for the traceback and please report it", file=sys.stderr)
        return 1
