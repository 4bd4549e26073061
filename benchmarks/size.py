"""What every proxy of the synthetic mesh receives, with and without its Sidecars, and how the
estimate scales.

Generates the default synthetic mesh (1,000 namespaces, 10,000 Services, 20,000 Pods, one
namespace Sidecar ``./*`` + ``istio-system/*`` per namespace) and the mesh twice that size, then
for each one times, best of --repeat runs:

  load      the generated documents into the model (sidecar_lab.load_objects; --via-yaml writes
            the YAML file and reads it back with sidecar_lab.load instead)
  with      a Simulator, then sidecar_lab.scale.sizing.mesh_totals (proxy_configs for ALL pods), as the
            mesh is
  without   the same with every Sidecar removed (dataclasses.replace(mesh, sidecars=()))

Both estimates are computed per distinct scope (a Sidecar evaluated in a namespace), so their cost
grows with the number of pods plus the configuration of each distinct scope. Target: the time of
``with`` at twice the size is at most 2.2 times the time at the base size (linear).
Memory figures are estimates in MiB/GiB of a linear model calibrated to published measurements
(sidecar_lab.scale.sizing, docs/sizing.md), not measurements.
This is a report, not a test: it always exits 0.

    python benchmarks/size.py                       # 1,000 and 2,000 namespaces
    python benchmarks/size.py --namespaces 100
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sidecar_lab import Simulator, load, load_objects  # noqa: E402
from sidecar_lab.scale.sizing import ESTIMATE_NOTE, mesh_totals  # noqa: E402
from sidecar_lab.scale.synthetic import SIDECAR_MODES, SyntheticMeshSpec, counts, generate_documents, write_yaml  # noqa: E402

DOUBLING_TARGET = 2.2


def timed(fn, repeat: int):
    best, value = None, None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, value


def estimate(mesh, without: bool) -> dict:
    sim = Simulator(dataclasses.replace(mesh, sidecars=()) if without else mesh)
    return mesh_totals(sim)  # proxy_configs for every pod, per distinct scope, then the sums


def bench(spec: SyntheticMeshSpec, args: argparse.Namespace, directory: Path) -> dict:
    n = counts(spec)
    print(f"mesh of {n['namespaces']:,} namespaces, {n['services']:,} services, {n['pods']:,} pods, "
          f"{n['sidecars']:,} sidecars:", flush=True)
    started = time.perf_counter()
    docs = list(generate_documents(spec))
    print(f"  generated {len(docs):,} documents in {time.perf_counter() - started:.2f} s", flush=True)
    if args.via_yaml:
        path = directory / f"mesh-{spec.namespaces}ns.yaml"
        write_yaml(spec, path)
        load_s, mesh = timed(lambda: load([str(path)]), 1)
    else:
        load_s, mesh = timed(lambda: load_objects(docs, origin="<synthetic>"), 1)
    print(f"  load:    {load_s:.2f} s", flush=True)
    floor_s, _ = timed(lambda: _indexed(Simulator(mesh)), args.repeat)
    print(f"  floor:   {floor_s:.2f} s  (a Simulator with its registry and workloads indexed once)", flush=True)
    with_s, with_totals = timed(lambda: estimate(mesh, False), args.repeat)
    print(f"  with:    {with_s:.2f} s  ({with_totals['proxies']:,} proxies, "
          f"{with_totals.get('distinct_scopes', '?')} distinct scopes; {with_s / floor_s:.1f}x the floor)", flush=True)
    without_s, without_totals = timed(lambda: estimate(mesh, True), args.repeat)
    print(f"  without: {without_s:.2f} s  ({without_totals['distinct_scopes']} distinct scope(s): every "
          f"namespace sees the same */*)", flush=True)
    return {"spec": spec, "counts": n, "load_s": load_s, "with_s": with_s, "without_s": without_s,
            "with": with_totals, "without": without_totals}


def _indexed(sim: Simulator) -> Simulator:
    """A Simulator builds its registry and workload indexes when first asked for: ask for them."""
    sim.registry, sim.workloads()
    return sim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=SyntheticMeshSpec().namespaces,
                        help="size of the smaller mesh; the larger one has twice as many (default 1000)")
    parser.add_argument("--sidecars", choices=SIDECAR_MODES, default=SyntheticMeshSpec().sidecars)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    parser.add_argument("--via-yaml", action="store_true", help="write the YAML and read it with sidecar_lab.load")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.namespaces < 1:
        parser.error("--repeat and --namespaces must be at least 1")

    specs = [SyntheticMeshSpec(namespaces=n, sidecars=args.sidecars) for n in (args.namespaces, 2 * args.namespaces)]
    with tempfile.TemporaryDirectory(prefix="sidecar-lab-size-") as tmp:
        rows = [bench(spec, args, Path(tmp)) for spec in specs]

    print()
    print(f"best of {args.repeat}; sidecars={args.sidecars}; estimate for every pod of the mesh")
    header = ("namespaces", "pods", "with s", "without s", "clusters w/", "clusters w/o", "GiB w/", "GiB w/o",
              "MiB/proxy w/", "MiB/proxy w/o")
    print(" | ".join(f"{h:>12}" for h in header))
    print("-+-".join("-" * 12 for _ in header))
    for row in rows:
        w, wo = row["with"], row["without"]
        values = (f"{row['counts']['namespaces']:,}", f"{row['counts']['pods']:,}", f"{row['with_s']:.2f}",
                  f"{row['without_s']:.2f}", f"{w['clusters']:,}", f"{wo['clusters']:,}",
                  f"{w['memory_mib'] / 1024:,.1f}", f"{wo['memory_mib'] / 1024:,.1f}",
                  f"{w['mean_memory_mib']:.1f}", f"{wo['mean_memory_mib']:.1f}")
        print(" | ".join(f"{v:>12}" for v in values))
    print()
    for row in rows:
        w, wo = row["with"], row["without"]
        saved = wo["memory_mib"] - w["memory_mib"]
        print(f"{row['counts']['pods']:,} pods: the Sidecars save {wo['clusters'] - w['clusters']:,} clusters and "
              f"about {saved / 1024:,.1f} GiB of proxy memory ({100 * saved / wo['memory_mib']:.0f}%)")
    small, large = rows
    for key, label in (("with_s", "with Sidecars"), ("without_s", "without Sidecars")):
        ratio = large[key] / small[key] if small[key] else float("nan")
        verdict = "met" if ratio <= DOUBLING_TARGET else "NOT met"
        print(f"doubling ratio, estimate {label}: {ratio:.2f} (target <= {DOUBLING_TARGET}) -> {verdict}")
    print(ESTIMATE_NOTE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
