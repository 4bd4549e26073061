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


_CACHE_HELP = ("Every command that reads manifests keeps the model it built in a cache, so that the next question "
               "about the same manifests is answered without reading them again. The cache is keyed by each "
               "input's name and content, the package and its code, and the language: it is never stale, and "
               "deleting it is always safe. It lives in $SIDECAR_LAB_CACHE_DIR, else $XDG_CACHE_HOME/sidecar-lab, "
               "else ~/.cache/sidecar-lab. Turn it off with --no-cache or SIDECAR_LAB_NO_CACHE=1; clear it with "
               "'sidecar-lab cache --clear' (or by deleting the folder).")


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
                       help="YAML or JSON files (kubectl get -o json), or directories of them, of Kubernetes/Istio "
                            "manifests; - reads standard input")
        p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
        p.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the cache of loaded manifests (also: SIDECAR_LAB_NO_CACHE=1); "
                            "see 'sidecar-lab cache'")
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
    p.add_argument("--shared-scopes", action="store_true",
                   help="with --all --format json: write each distinct scope (egress listeners, visible services) "
                        "once and let each workload refer to it by 'scope_ref', so the output stays linear in the "
                        "mesh: {\"scopes\": [...], \"workloads\": [...]}")
    compare(p)

    p = sub.add_parser("check", help="what happens when a workload sends one request (like kubectl exec ... curl)")
    common(p)
    compare(p)
    p.add_argument("--from", dest="source", required=True, metavar="NS/NAME", help="the client workload")
    p.add_argument("--to", dest="target", required=True, metavar="TARGET",
                   help="like a curl argument: http://httpbin.istioinaction:8000/ip, https://google.com, "
                        "tcp://db.default:5432, or HOST[:PORT]")
    p.add_argument("-H", "--header", dest="headers", action="append", default=[], metavar="'NAME: VALUE'",
                   help="a request header, as curl's -H (repeatable): 'x-user: a'; 'Host: ...' replaces the Host "
                        "header. VirtualService matches on headers see it")
    p.add_argument("-X", "--method", default="GET", metavar="METHOD",
                   help="the request method, as curl's -X (default: GET)")

    p = sub.add_parser("matrix", help="every workload x every destination, each cell a check verdict")
    common(p)
    p.add_argument("--to", dest="targets", action="append", default=[], metavar="TARGET",
                   help="an extra destination (repeatable); every Service port is always included")
    p.add_argument("--summary", action="store_true",
                   help="one line per group of workloads that share a scope (namespace, proxy, Sidecar): how many "
                        "destinations each verdict covers; readable for meshes of any size")

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

    p = sub.add_parser("cache", help="where the cache of loaded manifests is, and how to clear it",
                       description=_CACHE_HELP)
    p.add_argument("--clear", action="store_true", help="delete every cache file")

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


def _load(args: argparse.Namespace):
    """The mesh the command's MANIFEST arguments name: from the cache when it holds them (see
    :mod:`sidecar_lab.core.cache`), else read (and then cached)."""
    paths = args.manifests
    if hasattr(paths, "live_snapshot"):  # --live: a snapshot of the cluster instead of files (live_cli)
        return paths.live_snapshot()
    import gc

    from ..core.cache import cache_disabled_by_env, cached_mesh
    from ..core.loader import load_inputs, read_inputs

    inputs = read_inputs(paths, max_file_size=getattr(args, "max_file_size", None))
    enabled = not getattr(args, "no_cache", False) and not cache_disabled_by_env()
    # A command run from the shell writes the cache after its answer is out (cache.cached_mesh);
    # main() called from Python (tests, scripts) writes it at once, so the next call finds it.
    mesh, _ = cached_mesh(inputs, lambda: load_inputs(inputs), key_options=cache_key_options(args),
                          enabled=enabled, write_at_exit=getattr(args, "from_shell", False))
    # The model never changes once read: keep the collector from rescanning it on every pass
    # (on a 20,000-pod mesh this is what keeps the run linear in the mesh size).
    gc.freeze()
    if getattr(args, "from_shell", False):
        # A command from the shell answers and exits: what it builds from here (the Simulator's indexes,
        # 20,000 resolutions) holds no garbage cycles worth a collector pass over all of it, and the memory
        # is the process's until it ends. resolve --all on the 20,000-pod mesh: about 10% less CPU, same peak.
        # (main() called from Python keeps its collector.)
        gc.disable()
    return mesh


def cache_key_options(args: argparse.Namespace) -> dict:
    """What besides the inputs' content keys the cache of loaded meshes.

    The cache holds the model read from the manifests, not answers, so only what could change
    the model needs to be here; the language and the Istio version are here anyway, so that no
    text or rule read with one can be served for another. An option that changes what is read
    joins this dict (its value must be JSON-like or have a stable repr).
    """
    from ..core.messages import get_language

    return {"language": get_language(), "istio_version": getattr(args, "istio_version", None)}


def _cmd_resolve(args: argparse.Namespace) -> int:
    from ..core.output import write_resolutions_by_scope, write_resolutions_json
    from ..core.render import resolution_text
    from ..core.resolver import Simulator

    if args.shared_scopes and not (args.all and args.format == "json"):
        raise SidecarLabError("--shared-scopes goes with --all --format json")
    versions = _comparing(args)
    if versions is not None:
        if args.all:
            raise SidecarLabError("--compare-versions answers for one workload: use --workload NS/NAME, not --all")
        from ..core.version_compare import compare_resolve

        result = compare_resolve(_load(args), args.workload, versions)
        print(_dump(result.to_json()) if args.format == "json" else result.text())
        return EXIT_OK
    sim = Simulator(_load(args), args.istio_version)
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
        # Written record by record, each shared scope part encoded once (core.output).
        if args.format == "json" and args.shared_scopes:
            write_resolutions_by_scope(results, sys.stdout)
        elif args.format == "json":
            write_resolutions_json(results, sys.stdout)
        else:
            for i, r in enumerate(results):
                sys.stdout.write(("\n\n" if i else "") + resolution_text(r))
            sys.stdout.write("\n")
        return EXIT_OK
    result = sim.resolve(args.workload)
    print(_dump(result.to_json()) if args.format == "json" else resolution_text(result))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from ..core.render import check_text
    from ..core.resolver import Simulator
    from ..core.traffic import check, parse_headers, parse_target

    parse_target(args.target)  # a malformed target is a usage error before any file is read
    parse_headers(args.headers)
    versions = _comparing(args)
    if versions is not None:
        from ..core.version_compare import compare_check

        comparison = compare_check(_load(args), args.source, args.target, versions,
                                   headers=args.headers, method=args.method)
        print(_dump(comparison.to_json()) if args.format == "json" else comparison.text())
        return EXIT_OK
    sim = Simulator(_load(args), args.istio_version)
    result = check(sim, args.source, args.target, headers=args.headers, method=args.method)
    print(_dump(result.to_json()) if args.format == "json" else check_text(result))
    return EXIT_OK


def _cmd_matrix(args: argparse.Namespace) -> int:
    from ..core.output import write_matrix_json, write_matrix_summary_json
    from ..core.render import matrix_summary_text, matrix_text
    from ..core.resolver import Simulator
    from ..core.traffic import matrix_cells, matrix_targets, parse_target

    for t in args.targets:
        parse_target(t)
    sim = Simulator(_load(args), args.istio_version)
    targets = matrix_targets(sim) + [t for t in args.targets]
    sources = sim.workloads()
    cells, keys = matrix_cells(sim, sources, targets)  # sources that share a scope share their row
    if args.summary:
        if args.format == "json":
            write_matrix_summary_json(sources, keys, targets, cells, sys.stdout,
                                      extra={"istio_version": sim.istio_version})
        else:
            sys.stdout.write(matrix_summary_text(sources, keys, targets, cells,
                                                 istio_version=sim.istio_version) + "\n")
        return EXIT_OK
    if args.format == "json":
        write_matrix_json([{"namespace": w.namespace, "name": w.name, "kind": w.kind} for w in sources], targets,
                          cells, sys.stdout, extra={"istio_version": sim.istio_version})
    else:
        print(matrix_text([f"{w.namespace}/{w.name}" for w in sources], targets, cells,
                          istio_version=sim.istio_version))
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    from ..core.analyze import CODES, analyze, exit_code, filter_messages
    from ..core.resolver import Simulator

    for item in args.suppress:
        code = item.partition("=")[0].strip()
        if code != "*" and code not in CODES:
            raise SidecarLabError(f"--suppress {item!r}: unknown code {code!r}")
    mesh = _load(args)
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

    mesh = _load(args)
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
    sim = Simulator(_load(args), args.istio_version)
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


def _cmd_cache(args: argparse.Namespace) -> int:
    from ..core.cache import KEEP, cache_dir, cache_disabled_by_env, clear_cache

    if args.clear:
        print(f"removed {clear_cache()} cache file(s) from {cache_dir()}")
        return EXIT_OK
    directory = cache_dir()
    files = sorted(directory.glob("mesh-*.pickle")) if directory.is_dir() else []
    size = sum(f.stat().st_size for f in files if f.exists())
    state = "off (SIDECAR_LAB_NO_CACHE is set)" if cache_disabled_by_env() else "on"
    print(f"cache of loaded manifests: {directory}\n  {state}; {len(files)} file(s), {size / 1e6:.1f} MB "
          f"(the {KEEP} most recently used are kept)\n  clear it with 'sidecar-lab cache --clear'; "
          "skip it with --no-cache")
    return EXIT_OK


def _cmd_lab(args: argparse.Namespace) -> int:
    from ..course.lab import run_lab

    return run_lab(args.path, jupyter_args=args.jupyter_args, workspace=args.workspace, lang=args.lang, port=args.port,
                   browser=not args.no_browser, dry_run=args.print_command, reset=args.reset)


_COMMANDS = {"resolve": _cmd_resolve, "check": _cmd_check, "matrix": _cmd_matrix, "analyze": _cmd_analyze,
             "size": _cmd_size, "suggest": _cmd_suggest, "proxy-config": _cmd_proxy_config, "lab": _cmd_lab,
             "cache": _cmd_cache}

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
        args.from_shell = argv is None  # the console script and python -m sidecar_lab
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
