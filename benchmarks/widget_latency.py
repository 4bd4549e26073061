"""Latency of the PrecedenceExplorer: a control change until the widget's outputs are updated.

Builds a PrecedenceExplorer on the seed scenario (step 01, no Sidecar), then makes 50 control
changes, cycling through the three Sidecars' toggles, modes and egress hosts and the workload
picker. Each change is timed from setting the control's ``.value`` to the end of the widget's
refresh (simulator, verdicts, figure rendered to PNG and set on the ``Image``, table, YAML).

The widget renders a figure once per distinct content (a repeated state costs no drawing), so
the cycle's first pass is reported apart: it is the cost of changes never seen before.

    python benchmarks/widget_latency.py [--changes 50] [--dpi 72]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_P95_MS = 100.0

#: (control, value): one full cycle that ends where it started, so it can repeat.
CYCLE = [
    ("root.enabled", True),                     # step 02: root REGISTRY_ONLY
    ("namespace.enabled", True),                # step 03: namespace ALLOW_ANY wins
    ("namespace.mode", "REGISTRY_ONLY"),        # step 04
    ("workload.enabled", True),                 # step 05: workload ALLOW_ANY wins
    ("workload.mode", "REGISTRY_ONLY"),
    ("workload.hosts", "istioinaction/*"),      # step 06: httpbin.default BLOCKED
    ("workload_picker", "istioinaction/httpbin"),
    ("root.mode", "ALLOW_ANY"),
    ("workload_picker", "default/httpbin"),
    ("workload_picker", "istioinaction/sleep"),
    ("workload.hosts", "istioinaction/*, default/*"),
    ("namespace.mode", ""),                     # unset: the mesh mode
    ("workload.hosts", "httpbin"),              # refused by validation: the namespace Sidecar governs
    ("workload.hosts", ""),
    ("workload.mode", "ALLOW_ANY"),
    ("workload.enabled", False),
    ("namespace.mode", "ALLOW_ANY"),
    ("namespace.enabled", False),
    ("root.mode", "REGISTRY_ONLY"),
    ("root.enabled", False),                    # back to step 01
]


def control(explorer, name: str):
    if name == "workload_picker":
        return explorer.workload_picker
    level, field = name.split(".")
    return getattr(explorer.controls[level], field)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--dpi", type=int, default=None, help="PNG resolution (default: the widget's)")
    args = parser.parse_args(argv)

    from sidecar_lab.course import widgets
    from sidecar_lab.course.scenario import Scenario

    start = time.perf_counter()
    explorer = widgets.PrecedenceExplorer(Scenario.seed("01-no-sidecar"))
    build_ms = (time.perf_counter() - start) * 1000
    if args.dpi:
        explorer.dpi = args.dpi
    assert explorer.error is None, explorer.error

    timings: list[float] = []
    first_pass: list[float] = []
    seen: set = set()
    for i in range(args.changes):
        name, value = CYCLE[i % len(CYCLE)]
        widget = control(explorer, name)
        start = time.perf_counter()
        widget.value = value                  # the observer runs the refresh synchronously
        elapsed = (time.perf_counter() - start) * 1000
        assert explorer.error is None, (name, value, explorer.error)
        assert explorer.image.value is not None and len(explorer.image.value) > 0
        timings.append(elapsed)
        state = (explorer.scenario, explorer.workload)
        if state not in seen:
            first_pass.append(elapsed)
            seen.add(state)

    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    print(f"PrecedenceExplorer on the seed scenario: {len(timings)} control changes "
          f"(build {build_ms:.0f} ms, dpi {explorer.dpi})")
    print(f"  all changes:          p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {max(timings):6.1f} ms")
    if first_pass:
        print(f"  first-seen states ({len(first_pass):2d}): p50 {percentile(first_pass, 0.5):6.1f} ms   "
              f"p95 {percentile(first_pass, 0.95):6.1f} ms   mean {statistics.mean(first_pass):6.1f} ms")
    ok = p95 < TARGET_P95_MS
    print(f"  target p95 < {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
