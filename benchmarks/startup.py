"""Start-up cost: `import sidecar_lab` and `sidecar-lab --help`, in fresh processes (target: under 0.3 s).

Prints the median of --repeat runs of each, and whether any heavy library
(matplotlib, ipywidgets, IPython, kubernetes) was imported. The children keep bytecode as an installed
package has it (``_common.environment``). A report: exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, machine  # noqa: E402

TARGET = 0.3
HEAVY = ("matplotlib", "ipywidgets", "IPython", "kubernetes")


ENV = environment()


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=ENV["PYTHONPATH"].split(os.pathsep)[0])
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    py = sys.executable
    print(f"machine: {machine()}")
    bare = statistics.median(timed([py, "-c", "pass"]) for _ in range(args.repeat))
    for label, cmd in (("import sidecar_lab", [py, "-c", "import sidecar_lab"]),
                       ("sidecar-lab --help", [py, "-m", "sidecar_lab", "--help"])):
        t = statistics.median(timed(cmd) for _ in range(args.repeat))
        print(f"{label:<20} {t * 1000:7.1f} ms  (interpreter alone {bare * 1000:.1f} ms; target < {TARGET * 1000:.0f} ms: "
              f"{'met' if t < TARGET else 'NOT met'})")
    loaded = subprocess.run([py, "-c", "import sys, sidecar_lab, sidecar_lab.cli; "
                             f"print([m for m in {HEAVY!r} if m in sys.modules])"],
                            capture_output=True, text=True, check=True, env=ENV).stdout.strip()
    print(f"heavy libraries imported at start-up: {loaded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
