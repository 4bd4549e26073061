"""How `sidecar-lab analyze` scales on the synthetic mesh of benchmarks/scale.py.

Builds the model once per mesh size (loading is measured by scale.py) and times
`analyze` alone, best of --repeat runs, at 1x and 2x the mesh, with the model frozen and the collector
paused as the command does; the floor is a Simulator with its registry and workloads indexed. Target: linear
growth (2x the mesh costs at most 2.2x the time). A report, not a test: exits 0.

    python benchmarks/analyze.py                  # 1,000 and 2,000 namespaces ("mixed" Sidecars)
    python benchmarks/analyze.py --namespaces 100
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sidecar_lab import Simulator, load_objects  # noqa: E402
from sidecar_lab.core.analyze import analyze  # noqa: E402
from sidecar_lab.scale.synthetic import SyntheticMeshSpec, generate_documents  # noqa: E402

DOUBLING_TARGET = 2.2


def measure(namespaces: int, repeat: int) -> tuple[float, int, int, float]:
    mesh = load_objects(list(generate_documents(SyntheticMeshSpec(namespaces=namespaces, sidecars="mixed"))),
                        "synthetic")
    # As the command run from the shell does after loading (sidecar_lab/cli/__init__.py, _load): the model
    # frozen, the collector paused while it answers.
    gc.collect()
    gc.freeze()
    gc.disable()
    best = floor = float("inf")
    count = 0
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            sim = Simulator(mesh)  # the floor: the registry and the workloads indexed once (they are built lazily)
            sim.registry, sim.workloads()
            floor = min(floor, time.perf_counter() - start)
            start = time.perf_counter()
            count = len(analyze(Simulator(mesh)))
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
        gc.unfreeze()
    return best, len(mesh.workloads), count, floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for n in (args.namespaces, 2 * args.namespaces):
        seconds, pods, messages, floor = measure(n, args.repeat)
        rows.append(seconds)
        print(f"{n:>6} namespaces {pods:>7} pods  analyze {seconds:7.2f} s  ({messages} messages); floor "
              f"(a Simulator, its registry and workloads indexed) {floor:.2f} s: {seconds / floor:.1f}x", flush=True)
    ratio = rows[1] / rows[0]
    verdict = "met" if ratio <= DOUBLING_TARGET else "NOT met"
    print(f"doubling ratio {ratio:.2f} (target <= {DOUBLING_TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
