"""What the benchmark scripts share: timing a command in a fresh process, the floors beside each figure,
and an older version of the project to compare with (``--baseline REF``).

Every figure is printed beside a floor measured in the same run on the same machine (reading the
file, libyaml's own event parse, ``json.loads``, an interpreter that imports the package), because
on a shared machine a time alone says little: the ratio to its floor is what carries over.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs one command, then prints {"rc", "seconds", "maxrss_kb", "stderr"} as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss = usage.ru_maxrss
if sys.platform == "darwin":
    rss //= 1024  # bytes there, kilobytes on Linux
print(json.dumps({"rc": done.returncode, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": rss,
                  "stderr": done.stderr.decode("utf-8", "replace")[-2000:]}))
"""

#: Floors: what no reader of the file can avoid, each a fresh Python process.
READ = "import sys; open(sys.argv[1], 'rb').read()"
EVENTS = ("import sys, yaml\nfor _ in yaml.parse(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader): pass")
LOAD_ALL = "import sys, yaml; list(yaml.load_all(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader))"
JSON_LOADS = "import sys, json; json.loads(open(sys.argv[1], 'rb').read())"
#: The resident memory of a process that holds only the loaded model (MB), printed by the child.
MODEL_RSS = r"""
import gc, sys
from sidecar_lab import load
mesh = load(sys.argv[1:])
gc.collect()
with open("/proc/self/statm") as f:
    pages = int(f.read().split()[1])
print(pages * __import__("os").sysconf("SC_PAGE_SIZE") / 1e6)
"""


@dataclass
class Run:
    seconds: float | None = None  # best of the runs; None when the command failed
    peak_mb: float | None = None  # the largest peak RSS seen
    error: str | None = None
    cpu: float | None = None  # the CPU time (user + system) of the best run: steadier on a busy machine

    def __str__(self) -> str:
        if self.error:
            return f"failed ({self.error})"
        return f"{self.seconds:.3f} s (cpu {self.cpu:.3f} s), peak {self.peak_mb:.0f} MB"


def environment(pythonpath: Path = REPO, **extra: str) -> dict:
    """The children's environment: ``pythonpath`` first, and bytecode cached as an installed package has it.

    ``PYTHONDONTWRITEBYTECODE`` (set in some sandboxes and CI images) would make every child compile each
    module it imports from source, which no installed copy does: the children write and reuse bytecode in a
    folder of the temporary directory instead (``PYTHONPYCACHEPREFIX``), so the first of the runs warms it
    and the best of them is what a user sees."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "sidecar-lab-benchmark-bytecode"))
    env.update(extra)
    return env


def measure(command: list[str], repeat: int, timeout: float = 600, env: dict | None = None) -> Run:
    """Best wall time and largest peak RSS of ``command`` over ``repeat`` fresh runs.

    The child runs in the folder its PYTHONPATH names first, so that ``python -m`` and ``-c`` (which
    put the current folder first on the path) import that copy of the package."""
    env = env or environment()
    cwd = env["PYTHONPATH"].split(os.pathsep)[0]
    best: float | None = None
    cpu: float | None = None
    peak = 0.0
    for _ in range(repeat):
        try:
            out = subprocess.run([sys.executable, "-c", _WRAPPER, str(timeout), *command], cwd=cwd,
                                 env=env, capture_output=True, text=True, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            return Run(error=f"timed out after {timeout:.0f} s")
        if out.returncode != 0:
            return Run(error=(out.stderr.strip().splitlines() or ["wrapper failed"])[-1])
        report = json.loads(out.stdout)
        if report["rc"] not in (0, 79):
            lines = report["stderr"].strip().splitlines() or [f"exit code {report['rc']}"]
            return Run(error=f"exit {report['rc']}: {lines[-1]}")
        if best is None or report["seconds"] < best:
            best, cpu = report["seconds"], report["cpu"]
        peak = max(peak, report["maxrss_kb"] / 1024)
    return Run(seconds=best, peak_mb=peak, cpu=cpu)


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sidecar_lab", *args]


def model_mb(paths: list[str], env: dict | None = None) -> float | None:
    """Resident MB of a process that has loaded ``paths`` and nothing else (Linux)."""
    if not os.path.exists("/proc/self/statm"):
        return None
    env = env or environment()
    out = subprocess.run(python(MODEL_RSS, *paths), cwd=env["PYTHONPATH"].split(os.pathsep)[0], env=env,
                         capture_output=True,
                         text=True)
    return float(out.stdout) if out.returncode == 0 else None


def baseline_tree(ref: str, into: Path) -> Path | None:
    """The package as it was at git ``ref`` (e.g. ``main``), extracted into ``into``; None without git."""
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref, "sidecar_lab", "data"],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into)
    # the data folder is installed as sidecar_lab.data; a source tree finds it beside the package
    return into


def machine() -> str:
    """The machine and its load, to print beside the figures."""
    cpus = os.cpu_count()
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{cpus} CPUs {model}, load average (1/5/15 min) {load}, Python {sys.version.split()[0]}"


def temporary_directory(prefix: str) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=prefix)
