"""How `sidecar-lab resolve --all` scales, next to a bare libyaml parse of the same file.

Generates two synthetic meshes (the default 1,000 namespaces, and twice that), then for
each one times, best of --repeat runs, in fresh child processes:

  parse    python -c "list(yaml.load_all(f, Loader=yaml.CSafeLoader))" FILE
  resolve  python -m sidecar_lab resolve FILE --all --format json   (stdout to /dev/null)

Each measured child is started by a tiny wrapper process that times it and reports the
child's own peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of the wrapper, which has
no other child). Both columns therefore include interpreter start-up.

Targets: resolve ≤ 2.0 × parse at each size, and resolve(2×) ≤ 2.2 × resolve(1×).
This is a report, not a test: it always exits 0.

    python benchmarks/scale.py                      # 1,000 and 2,000 namespaces
    python benchmarks/scale.py --namespaces 20 --no-resolve
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sidecar_lab.scale.synthetic import SIDECAR_MODES, SyntheticMeshSpec, counts, write_yaml  # noqa: E402

PARSE_TARGET = 2.0
DOUBLING_TARGET = 2.2

# Runs one command, then prints {"rc", "seconds", "maxrss_kb", "stderr"} as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
stdout = subprocess.DEVNULL
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=stdout, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if sys.platform == "darwin":
    rss //= 1024  # bytes there, kilobytes on Linux
print(json.dumps({"rc": done.returncode, "seconds": seconds, "maxrss_kb": rss,
                  "stderr": done.stderr.decode("utf-8", "replace")[-2000:]}))
"""

_PARSE = "import sys, yaml; list(yaml.load_all(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader))"


@dataclass
class Run:
    seconds: float | None = None  # best of the runs; None when the command failed
    peak_mb: float | None = None  # the largest peak RSS seen
    error: str | None = None


def measure(command: list[str], repeat: int, timeout: float) -> Run:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    best: float | None = None
    peak = 0.0
    for _ in range(repeat):
        try:
            out = subprocess.run([sys.executable, "-c", _WRAPPER, str(timeout), *command], cwd=REPO,
                                 env=env, capture_output=True, text=True, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            return Run(error=f"timed out after {timeout:.0f} s")
        if out.returncode != 0:  # the wrapper itself failed (e.g. the child timed out)
            return Run(error=(out.stderr.strip().splitlines() or ["wrapper failed"])[-1])
        report = json.loads(out.stdout)
        if report["rc"] != 0:
            lines = report["stderr"].strip().splitlines() or [f"exit code {report['rc']}"]
            return Run(error=f"exit {report['rc']}: {lines[-1]}")
        best = report["seconds"] if best is None else min(best, report["seconds"])
        peak = max(peak, report["maxrss_kb"] / 1024)
    return Run(seconds=best, peak_mb=peak)


@dataclass
class Row:
    spec: SyntheticMeshSpec
    size: int
    generate_s: float
    parse: Run
    resolve: Run | None


def bench(spec: SyntheticMeshSpec, directory: Path, args: argparse.Namespace) -> Row:
    path = directory / f"mesh-{spec.namespaces}ns-{spec.sidecars}.yaml"
    started = time.perf_counter()
    size = write_yaml(spec, path)
    generate_s = time.perf_counter() - started
    print(f"  generated {path.name}: {size / 1e6:.1f} MB in {generate_s:.2f} s", flush=True)
    parse = measure([sys.executable, "-c", _PARSE, str(path)], args.repeat, args.timeout)
    print(f"  parse:   {fmt_s(parse)}", flush=True)
    resolve = None
    if not args.no_resolve:
        resolve = measure([sys.executable, "-m", "sidecar_lab", "resolve", str(path), "--all",
                           "--format", "json"], args.repeat, args.timeout)
        print(f"  resolve: {fmt_s(resolve)}", flush=True)
    return Row(spec, size, generate_s, parse, resolve)


def fmt_s(run: Run | None) -> str:
    if run is None:
        return "skipped"
    if run.error:
        return f"failed ({run.error})"
    return f"{run.seconds:.3f} s, peak {run.peak_mb:.0f} MB"


def cell(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=SyntheticMeshSpec().namespaces,
                        help="size of the smaller mesh; the larger one has twice as many (default 1000)")
    parser.add_argument("--sidecars", choices=SIDECAR_MODES, default=SyntheticMeshSpec().sidecars)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    parser.add_argument("--no-resolve", action="store_true", help="only generate and parse")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per run (default 600)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the meshes (default: a temporary directory, removed after)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.namespaces < 1:
        parser.error("--repeat and --namespaces must be at least 1")

    specs = [SyntheticMeshSpec(namespaces=n, sidecars=args.sidecars)
             for n in (args.namespaces, 2 * args.namespaces)]
    with tempfile.TemporaryDirectory(prefix="sidecar-lab-scale-") as tmp:
        directory = args.out or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        rows = []
        for spec in specs:
            print(f"mesh of {spec.namespaces} namespaces:", flush=True)
            rows.append(bench(spec, directory, args))

    print()
    print(f"best of {args.repeat}; sidecars={args.sidecars}; times include interpreter start-up")
    header = ("namespaces", "services", "pods", "sidecars", "file MB", "parse s", "resolve s",
              "ratio", "parse MB", "resolve MB")
    print(" | ".join(f"{h:>10}" for h in header))
    print("-+-".join("-" * 10 for _ in header))
    for row in rows:
        n = counts(row.spec)
        resolve_s = row.resolve.seconds if row.resolve else None
        ratio = resolve_s / row.parse.seconds if resolve_s and row.parse.seconds else None
        values = (f"{n['namespaces']:,}", f"{n['services']:,}", f"{n['pods']:,}", f"{n['sidecars']:,}",
                  f"{row.size / 1e6:.1f}", cell(row.parse.seconds, ".3f"), cell(resolve_s, ".3f"),
                  cell(ratio, ".2f"), cell(row.parse.peak_mb, ".0f"),
                  cell(row.resolve.peak_mb if row.resolve else None, ".0f"))
        print(" | ".join(f"{v:>10}" for v in values))

    print()
    small, large = rows
    if args.no_resolve:
        print("resolve not run (--no-resolve): no targets checked")
        if small.parse.seconds and large.parse.seconds:
            print(f"parse doubling ratio: {large.parse.seconds / small.parse.seconds:.2f} (for reference)")
        return 0
    for row in rows:
        if row.resolve and row.resolve.error:
            print(f"resolve failed at {row.spec.namespaces} namespaces: {row.resolve.error}")
        elif row.resolve and row.parse.seconds:
            ratio = row.resolve.seconds / row.parse.seconds
            print(f"resolve/parse at {row.spec.namespaces:,} namespaces: {ratio:.2f} "
                  f"(target <= {PARSE_TARGET}) -> {verdict(ratio, PARSE_TARGET)}")
    if small.resolve and large.resolve and small.resolve.seconds and large.resolve.seconds:
        doubling = large.resolve.seconds / small.resolve.seconds
        print(f"resolve doubling ratio {large.spec.namespaces:,}/{small.spec.namespaces:,} namespaces: "
              f"{doubling:.2f} (target <= {DOUBLING_TARGET}) -> {verdict(doubling, DOUBLING_TARGET)}")
    else:
        print("resolve doubling ratio: not available (resolve failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
