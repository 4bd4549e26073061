"""`sidecar-lab matrix` on the synthetic mesh: each (scope, destination) pair checked once.

Generates the synthetic mesh (40 namespaces by default: 801 workloads x 484 Service ports), then
times, best of --repeat runs:

  floor      python -m sidecar_lab --help (the interpreter and the package's imports)
  command    python -m sidecar_lab matrix FILE --format json --no-cache (and --summary)
  per cell   in this process, after loading: check() for every (workload, target) cell, the way the
             matrix was computed before (each cell its own check), against matrix_cells (shared rows)

Target: the command at least 10x faster than before (--baseline main times the command as it was;
without it, the per-cell loop with today's check stands in for it).
A report, not a test: it always exits 0.

    python benchmarks/matrix.py
    python benchmarks/matrix.py --namespaces 20 --baseline main
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import baseline_tree, command, environment, machine, measure, temporary_directory  # noqa: E402

from sidecar_lab import Simulator, load  # noqa: E402
from sidecar_lab.core.traffic import check, matrix_cells, matrix_targets  # noqa: E402
from sidecar_lab.scale.synthetic import SyntheticMeshSpec, write_yaml  # noqa: E402

TARGET = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF", help="also time the command with the package at git REF")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    with temporary_directory("sidecar-lab-matrix-") as tmp:
        path = Path(tmp) / "mesh.yaml"
        write_yaml(SyntheticMeshSpec(namespaces=args.namespaces), path)
        env = environment()
        floor = measure(command("--help"), args.repeat, env=env)
        print(f"  floor (sidecar-lab --help)   {floor}", flush=True)
        now = measure(command("matrix", str(path), "--format", "json", "--no-cache"), args.repeat, env=env)
        print(f"  matrix --format json         {now}", flush=True)
        summary = measure(command("matrix", str(path), "--summary", "--no-cache"), args.repeat, env=env)
        print(f"  matrix --summary             {summary}", flush=True)
        before = None
        if args.baseline:
            tree = baseline_tree(args.baseline, Path(tmp) / "baseline")
            if tree is not None:
                before = measure(command("matrix", str(path), "--format", "json"), 1, env=environment(tree),
                                 timeout=3600)
                print(f"  matrix at {args.baseline:<18} {before}", flush=True)

        mesh = load([str(path)])
        sim = Simulator(mesh)
        targets = matrix_targets(sim)
        sources = sim.workloads()
        for w in sources:
            sim.resolve(w)
        started = time.perf_counter()
        cells, keys = matrix_cells(sim, sources, targets)
        shared_s = time.perf_counter() - started
        sim = Simulator(mesh)
        for w in sources:
            sim.resolve(w)
        started = time.perf_counter()
        naive = [[check(sim, w, t).verdict for t in targets] for w in sources]
        naive_s = time.perf_counter() - started
        assert [[c["verdict"] for c in row] for row in cells] == [[v.value for v in row] for row in naive]

    n_cells = len(sources) * len(targets)
    print()
    print(f"{len(sources):,} workloads x {len(targets):,} targets = {n_cells:,} cells in {len(set(keys)):,} groups; "
          f"best of {args.repeat}; machine: {machine()}")
    print(f"in process: every cell its own check {naive_s:.2f} s ({naive_s / n_cells * 1e6:.1f} us a cell); "
          f"shared rows {shared_s:.2f} s: {naive_s / shared_s:.1f}x")
    if now.seconds:
        print(f"command: {now.seconds:.2f} s ({now.seconds / floor.seconds:.1f}x the floor of {floor.seconds:.2f} s); "
              f"--summary {summary.seconds:.2f} s")
        reference = before.seconds if before is not None and before.seconds else None
        label = f"the command at {args.baseline}" if reference else "the per-cell loop (today's check) + floor"
        reference = reference or (naive_s + floor.seconds)
        speedup = reference / now.seconds
        print(f"against {label} ({reference:.2f} s): {speedup:.1f}x faster (target >= {TARGET:.0f}x) -> "
              f"{'met' if speedup >= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
