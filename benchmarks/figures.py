"""How long each figure takes for the seed lab (data/seed, step 06 unless --step).

For every figure function, prints the median of --repeat runs (default 20), in milliseconds, of

  build   the function call alone (result in, Figure out)
  +png    the call plus rendering it to PNG bytes with Agg (what a widget shows)
  cpu     the same, in CPU time of this process (steadier on a busy machine)

after one warm-up run (the first call pays for importing matplotlib and loading fonts).
The inputs (resolution, checks) are computed once, outside the timing.
Target: +png under 100 ms for each figure. This is a report, not a test: it always exits 0.

    python benchmarks/figures.py
    python benchmarks/figures.py --step 02-root-registry-only --lang ko --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sidecar_lab import Simulator, load  # noqa: E402
from sidecar_lab.course import figures  # noqa: E402
from sidecar_lab.core.traffic import check, matrix_targets  # noqa: E402

TARGET_MS = 100.0


def _median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time of ``fn``, in ms."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", default="06-workload-hosts")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)

    seed = REPO / "data" / "seed"
    sim = Simulator(load([str(seed / "cluster"), str(seed / "steps" / args.step)]))
    res = sim.resolve("istioinaction/sleep")
    sources = [f"{w.namespace}/{w.name}" for w in sim.workloads()]
    targets = matrix_targets(sim) + ["http://google.com"]
    cells = [[check(sim, s, t) for t in targets] for s in sources]
    request = check(sim, "istioinaction/sleep", "http://httpbin.default:8000/ip")
    lang = args.lang
    cases = {
        "precedence_ladder": lambda: figures.precedence_ladder(res, lang=lang),
        f"reachability_matrix ({len(sources)}x{len(targets)})":
            lambda: figures.reachability_matrix(sources, targets, cells, lang=lang),
        "scope_map": lambda: figures.scope_map(res, sim, lang=lang),
        "request_path": lambda: figures.request_path(request, lang=lang),
    }
    print(f"seed step {args.step}, lang {lang} (Hangul font: {figures.hangul_font() or 'none'}), "
          f"median of {args.repeat}, ms")
    import matplotlib

    print(f"matplotlib {matplotlib.__version__}")
    from matplotlib.figure import Figure

    floor, _ = _median_ms(lambda: figures.to_png(Figure(figsize=(10.5, 4.25))), args.repeat)
    print(f"floor: an empty figure of the ladder's size to PNG, {floor:.1f} ms")
    print(f"{'figure':<34} {'build':>8} {'+png':>8} {'cpu':>8} {'x floor':>8}")
    for name, make in cases.items():
        build, _ = _median_ms(make, args.repeat)
        full, cpu = _median_ms(lambda: figures.to_png(make()), args.repeat)
        flag = "" if full < TARGET_MS else f"  over {TARGET_MS:.0f} ms"
        print(f"{name:<34} {build:>8.1f} {full:>8.1f} {cpu:>8.1f} {full / floor:>8.1f}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
