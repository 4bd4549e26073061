"""How `sidecar-lab resolve --all` scales, beside the floors of reading the same file, for YAML and JSON.

Generates two synthetic meshes (the default 1,000 namespaces, and twice that), writes each as
YAML and as the JSON ``kubectl get ... -o json`` prints (one ``List``, keys sorted, 4-space indent),
then times, best of --repeat runs, each in a fresh child process (interpreter start-up included):

  read      reading the file's bytes                                     (floor)
  events    libyaml's own event parse (yaml.parse with the C parser)     (floor, YAML)
  load_all  PyYAML's yaml.load_all with CSafeLoader                      (for reference, YAML)
  loads     json.loads of the file                                       (floor, JSON)
  resolve   python -m sidecar_lab resolve FILE --all --format json --no-cache   (stdout to /dev/null)
  shared    the same with --shared-scopes (each scope written once)

and the resident memory of a process holding only the loaded model, to compare with resolve's peak.

Targets: resolve(YAML) <= 2.0 x load_all; resolve(2x) <= 2.2 x resolve(1x); resolve of the JSON
at least 3x faster than of the YAML; resolve's peak memory <= 2x the loaded model.
--baseline REF also times resolve with the package as it was at git REF (e.g. main), for a before/after.
This is a report, not a test: it always exits 0.

    python benchmarks/scale.py                      # 1,000 and 2,000 namespaces
    python benchmarks/scale.py --namespaces 100 --repeat 1 --baseline main
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (EVENTS, JSON_LOADS, LOAD_ALL, READ, Run, baseline_tree, command, environment,  # noqa: E402
                     machine, measure, model_mb, python, temporary_directory)

from sidecar_lab.scale.synthetic import SIDECAR_MODES, SyntheticMeshSpec, counts, generate_documents, write_yaml  # noqa: E402

PARSE_TARGET = 2.0
DOUBLING_TARGET = 2.2
JSON_TARGET = 3.0
MEMORY_TARGET = 2.0


def write_kubectl_json(spec: SyntheticMeshSpec, path: Path) -> int:
    """The mesh as ``kubectl get ... -o json`` prints it."""
    text = json.dumps({"apiVersion": "v1", "items": list(generate_documents(spec)), "kind": "List",
                       "metadata": {"resourceVersion": ""}}, indent=4, sort_keys=True, ensure_ascii=False,
                      default=str)
    path.write_text(text + "\n", encoding="utf-8")
    return len(text) + 1


def fmt(value: float | None, pattern: str = ".2f") -> str:
    return "-" if value is None else format(value, pattern)


def ratio(a: Run | None, b: Run | None) -> float | None:
    if a is None or b is None or a.seconds is None or b.seconds is None or not b.seconds:
        return None
    return a.seconds / b.seconds


def cpu_ratio(a: Run | None, b: Run | None) -> float | None:
    """The same ratio in CPU time: on a shared machine a run also waits for the CPU, the CPU time does not."""
    if a is None or b is None or not a.cpu or not b.cpu:
        return None
    return a.cpu / b.cpu


def verdict(value: float | None, target: float, at_most: bool = True) -> str:
    if value is None:
        return "not measured"
    return "met" if (value <= target if at_most else value >= target) else "NOT met"


def bench(spec: SyntheticMeshSpec, directory: Path, args: argparse.Namespace, baseline_env: dict | None) -> dict:
    row: dict = {"spec": spec}
    yaml_path = directory / f"mesh-{spec.namespaces}ns.yaml"
    json_path = directory / f"mesh-{spec.namespaces}ns.json"
    started = time.perf_counter()
    row["yaml_bytes"] = write_yaml(spec, yaml_path)
    row["json_bytes"] = write_kubectl_json(spec, json_path)
    print(f"  generated {yaml_path.name} ({row['yaml_bytes'] / 1e6:.1f} MB) and {json_path.name} "
          f"({row['json_bytes'] / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s", flush=True)
    r = args.repeat
    steps = [
        ("yaml read", python(READ, str(yaml_path))),
        ("yaml events", python(EVENTS, str(yaml_path))),
        ("yaml load_all", python(LOAD_ALL, str(yaml_path))),
        ("yaml resolve", command("resolve", str(yaml_path), "--all", "--format", "json", "--no-cache")),
        ("json read", python(READ, str(json_path))),
        ("json loads", python(JSON_LOADS, str(json_path))),
        ("json resolve", command("resolve", str(json_path), "--all", "--format", "json", "--no-cache")),
        ("yaml shared", command("resolve", str(yaml_path), "--all", "--format", "json", "--no-cache",
                                "--shared-scopes")),
    ]
    for name, cmd in steps:
        row[name] = measure(cmd, r, args.timeout)
        print(f"  {name:<14} {row[name]}", flush=True)
    if baseline_env is not None:
        for name, path in (("yaml baseline", yaml_path), ("json baseline", json_path)):
            row[name] = measure(command("resolve", str(path), "--all", "--format", "json"), 1, args.timeout,
                                env=baseline_env)
            print(f"  {name:<14} {row[name]}  ({args.baseline})", flush=True)
    row["model_mb"] = model_mb([str(yaml_path)])
    print(f"  model          {fmt(row['model_mb'], '.0f')} MB resident with only the loaded model", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=SyntheticMeshSpec().namespaces,
                        help="size of the smaller mesh; the larger one has twice as many (default 1000)")
    parser.add_argument("--sidecars", choices=SIDECAR_MODES, default=SyntheticMeshSpec().sidecars)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per run (default 900)")
    parser.add_argument("--baseline", metavar="REF", help="also time resolve with the package at git REF (e.g. main)")
    parser.add_argument("--only-small", action="store_true", help="only the smaller mesh (no doubling ratio)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.namespaces < 1:
        parser.error("--repeat and --namespaces must be at least 1")

    print(f"machine: {machine()}")
    sizes = (args.namespaces,) if args.only_small else (args.namespaces, 2 * args.namespaces)
    with temporary_directory("sidecar-lab-scale-") as tmp:
        directory = Path(tmp)
        baseline_env = None
        if args.baseline:
            tree = baseline_tree(args.baseline, directory / "baseline")
            baseline_env = environment(tree) if tree else None
            if tree is None:
                print(f"--baseline {args.baseline}: no git history here; skipped")
        rows = []
        for n in sizes:
            spec = SyntheticMeshSpec(namespaces=n, sidecars=args.sidecars)
            c = counts(spec)
            print(f"mesh of {c['namespaces']:,} namespaces, {c['services']:,} services, {c['pods']:,} pods, "
                  f"{c['sidecars']:,} sidecars:", flush=True)
            rows.append(bench(spec, directory, args, baseline_env))

    print()
    print(f"best of {args.repeat}; sidecars={args.sidecars}; every time includes interpreter start-up; "
          f"machine: {machine()}")
    header = ("namespaces", "input", "MB", "read s", "floor s", "resolve s", "x read", "x floor", "peak MB",
              "x model")
    print(" | ".join(f"{h:>10}" for h in header))
    print("-+-".join("-" * 10 for _ in header))
    for row in rows:
        model = row["model_mb"]
        for kind, floor in (("yaml", "yaml events"), ("json", "json loads")):
            resolve = row[f"{kind} resolve"]
            values = (f"{row['spec'].namespaces:,}", kind.upper(), f"{row[f'{kind}_bytes'] / 1e6:.1f}",
                      fmt(row[f"{kind} read"].seconds, ".3f"), fmt(row[floor].seconds, ".3f"),
                      fmt(resolve.seconds, ".3f"), fmt(ratio(resolve, row[f"{kind} read"]), ".1f"),
                      fmt(ratio(resolve, row[floor]), ".2f"), fmt(resolve.peak_mb, ".0f"),
                      fmt(resolve.peak_mb / model if resolve.peak_mb and model else None, ".2f"))
            print(" | ".join(f"{v:>10}" for v in values))
    print("(floor: libyaml's event parse for YAML, json.loads for JSON; x model: resolve's peak over the "
          "resident size of a process holding only the loaded model)")
    print()
    for row in rows:
        n = f"{row['spec'].namespaces:,} namespaces"
        yaml_resolve, json_resolve = row["yaml resolve"], row["json resolve"]
        r = ratio(yaml_resolve, row["yaml load_all"])
        print(f"{n}: resolve/PyYAML load_all {fmt(r)} (target <= {PARSE_TARGET}) -> {verdict(r, PARSE_TARGET)}; "
              f"resolve/libyaml events {fmt(ratio(yaml_resolve, row['yaml events']))}; "
              f"resolve/read {fmt(ratio(yaml_resolve, row['yaml read']), '.1f')}")
        speedup = ratio(yaml_resolve, json_resolve)
        print(f"{n}: JSON input {fmt(speedup)}x faster than YAML (target >= {JSON_TARGET}) -> "
              f"{verdict(speedup, JSON_TARGET, at_most=False)}; in CPU time {fmt(cpu_ratio(yaml_resolve, json_resolve))}x; "
              f"JSON resolve/json.loads {fmt(ratio(json_resolve, row['json loads']))}")
        for kind in ("yaml", "json"):
            peak = row[f"{kind} resolve"].peak_mb
            m = peak / row["model_mb"] if peak and row["model_mb"] else None
            print(f"{n}: {kind.upper()} resolve peak {fmt(peak, '.0f')} MB = {fmt(m)}x the loaded model "
                  f"({fmt(row['model_mb'], '.0f')} MB) (target <= {MEMORY_TARGET}) -> {verdict(m, MEMORY_TARGET)}")
        shared = row["yaml shared"]
        print(f"{n}: --shared-scopes {shared} against {yaml_resolve}")
        if "yaml baseline" in row:
            for kind in ("yaml", "json"):
                before, after = row[f"{kind} baseline"], row[f"{kind} resolve"]
                print(f"{n}: {kind.upper()} resolve at {args.baseline}: {before}; now {after} "
                      f"({fmt(ratio(before, after))}x faster; in CPU time {fmt(cpu_ratio(before, after))}x)")
    if len(rows) == 2 and all(r["yaml resolve"].seconds for r in rows):
        doubling = rows[1]["yaml resolve"].seconds / rows[0]["yaml resolve"].seconds
        print(f"resolve doubling ratio: {doubling:.2f} (target <= {DOUBLING_TARGET}) -> "
              f"{verdict(doubling, DOUBLING_TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
