"""The cache of loaded meshes: it may make a command faster, never change its answer.

Every test runs with a cache folder of its own (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from sidecar_lab.cli import main
from sidecar_lab.core import cache
from sidecar_lab.core.cache import cache_dir, cached_mesh, clear_cache
from sidecar_lab.core.loader import load, load_inputs, read_inputs
from sidecar_lab.scale.synthetic import SyntheticMeshSpec, write_yaml

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
STEP = [str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]
OPTIONS = {"language": "en", "istio_version": None}


def _mesh(paths, options=OPTIONS, enabled=True):
    inputs = read_inputs(paths)
    return cached_mesh(inputs, lambda: load_inputs(inputs), key_options=options, enabled=enabled)


def _files() -> list[Path]:
    return sorted(cache_dir().glob("mesh-*.pickle"))


def _pod(name: str, label: str = "x") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: n\n  labels:\n    from: {label}\n"


# ---------------------------------------------------------------------------
# Hits give the very same model
# ---------------------------------------------------------------------------

def test_the_second_read_comes_from_the_cache_and_equals_a_fresh_read():
    first, hit1 = _mesh(STEP)
    second, hit2 = _mesh(STEP)
    assert (hit1, hit2) == (False, True)
    fresh = load(STEP)
    assert second == fresh
    assert [s.positions for s in second.sidecars] == [s.positions for s in fresh.sidecars]
    assert second.notes == fresh.notes and second.origins == fresh.origins
    assert len(_files()) == 1


def test_a_cached_synthetic_mesh_equals_a_fresh_read(tmp_path):
    path = tmp_path / "mesh.yaml"
    write_yaml(SyntheticMeshSpec(namespaces=6, sidecars="mixed"), path)
    _mesh([str(path)])
    cached, hit = _mesh([str(path)])
    fresh = load([str(path)])
    assert hit and cached == fresh
    assert len(fresh.workloads) > cache._Table.SMALLEST, "the pods are written as a table"
    assert [w.source for w in cached.workloads] == [w.source for w in fresh.workloads]
    # repeated small values are shared in the file, and read back as equal, immutable values
    ports = {id(w.ports[0]) for w in cached.workloads if w.ports}
    assert len(ports) < len([w for w in cached.workloads if w.ports])


# ---------------------------------------------------------------------------
# A mesh from the cache builds its workloads one namespace at a time (cache.LazyMesh)
# ---------------------------------------------------------------------------

_SAME_NAME = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web, from: deployment}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web, from: pod}}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: b, labels: {app: other}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
"""


def _cached_synthetic(tmp_path, namespaces=6):
    path = tmp_path / "mesh.yaml"
    write_yaml(SyntheticMeshSpec(namespaces=namespaces, sidecars="mixed"), path)
    _mesh([str(path)])
    cached, hit = _mesh([str(path)])
    assert hit and isinstance(cached, cache.LazyMesh)
    return cached, load([str(path)])


def test_a_question_about_one_workload_builds_only_the_namespaces_it_reads_Simulator_workloads_in(tmp_path):
    from sidecar_lab.core.resolver import Simulator
    from sidecar_lab.core.traffic import check

    cached, fresh = _cached_synthetic(tmp_path)
    assert cached._built == {}, "nothing is built before a question"
    sim, sim_fresh = Simulator(cached), Simulator(fresh)
    target = "http://svc-0002-01.ns-0002:8080/"
    assert check(sim, "ns-0001/svc-0001-01-0", target).to_json() == \
        check(sim_fresh, "ns-0001/svc-0001-01-0", target).to_json()
    assert set(cached._built) == {"ns-0001", "ns-0002"}, "the caller's namespace and the called Service's"
    assert sim.workloads_in("ns-0003") == sim_fresh.workloads_in("ns-0003")
    assert sim.workloads_in("no-such-namespace") == () == sim_fresh.workloads_in("no-such-namespace")
    assert sim.workload_namespaces() == sim_fresh.workload_namespaces()
    assert cached.workloads == fresh.workloads, "all of them, in the mesh's order, when asked for"


def test_a_pod_wins_over_a_controller_of_its_name_from_the_cache_too_Simulator_workload(tmp_path):
    from sidecar_lab.core.resolver import Simulator

    (tmp_path / "m.yaml").write_text(_SAME_NAME, encoding="utf-8")
    _mesh([str(tmp_path / "m.yaml")])
    cached, hit = _mesh([str(tmp_path / "m.yaml")])
    fresh = load([str(tmp_path / "m.yaml")])
    assert hit and isinstance(cached, cache.LazyMesh)
    for mesh in (cached, fresh):
        sim = Simulator(mesh)
        assert sim.workload("a/web").kind == "Pod" and sim.workload("a/web").labels["from"] == "pod"
        assert [f"{w.namespace}/{w.name}" for w in sim.workloads()] == ["a/web", "b/other"]


def test_a_mesh_made_from_a_cached_one_is_a_plain_mesh(tmp_path):
    import dataclasses

    from sidecar_lab.core.model import Mesh

    cached, fresh = _cached_synthetic(tmp_path, namespaces=3)
    replaced = dataclasses.replace(cached, sidecars=())
    assert type(replaced) is Mesh and replaced.workloads == fresh.workloads and replaced.sidecars == ()
    assert cached == fresh and fresh == cached
    cache._write("again", cached)  # written to a cache file again, it reads back the same
    again = cache._read("again")
    assert isinstance(again, cache.LazyMesh) and again == fresh and again.workloads == fresh.workloads


def test_a_damaged_namespace_in_a_cache_file_is_one_clear_error(tmp_path):
    from sidecar_lab.core.errors import SidecarLabError

    cached, _ = _cached_synthetic(tmp_path, namespaces=2)
    broken = cache._lazy_mesh(tuple(getattr(cached, n) for n in cache._FIELDS[cache.Mesh] if n != "workloads"),
                              ("ns-0001",), (b"not a pickle",), bytes(4))
    with pytest.raises(SidecarLabError, match="cache --clear"):
        broken.workloads_of("ns-0001")
    foreign = cache._lazy_mesh(tuple(getattr(cached, n) for n in cache._FIELDS[cache.Mesh] if n != "workloads"),
                               ("ns-0001",), (pickle.dumps((1, 2)),), bytes(4))
    with pytest.raises(SidecarLabError, match="not workloads"):
        foreign.workloads_of("ns-0001")
    fields = tuple(getattr(cached, n) for n in cache._FIELDS[cache.Mesh] if n != "workloads")
    for order in (bytes(4) * 99, bytes(0), b"\x07\x00\x00\x00"):  # too many, too few, a shard that is not there
        shuffled = cache._lazy_mesh(fields, tuple(cached._shards), tuple(cached._shards.values()), order)
        with pytest.raises(SidecarLabError, match="damaged"):
            shuffled.workloads


def test_an_answer_from_the_cache_does_not_import_pyyaml(tmp_path):
    """A cached answer reads no YAML, so it does not pay for importing the parser (core.yamlparse)."""
    import subprocess
    import sys

    program = ("import sys; from sidecar_lab.cli import main; "
               f"code = main(['check', {STEP[0]!r}, {STEP[1]!r}, '--from', 'istioinaction/sleep', '--to', "
               "'http://httpbin.default:8000/']); "
               "print(code, 'yaml' in sys.modules, 'sidecar_lab.core.yamlparse' in sys.modules)")
    env = {**os.environ, "SIDECAR_LAB_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SIDECAR_LAB_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
            for _ in range(2)]
    assert [r.stdout.split()[-3:] for r in runs] == [["0", "True", "True"], ["0", "False", "False"]], \
        [r.stderr for r in runs]


# ---------------------------------------------------------------------------
# Whatever could change the model misses
# ---------------------------------------------------------------------------

def test_changed_content_misses(tmp_path):
    path = tmp_path / "pods.yaml"
    path.write_text(_pod("a", "old"), encoding="utf-8")
    _mesh([str(path)])
    path.write_text(_pod("a", "new"), encoding="utf-8")
    mesh, hit = _mesh([str(path)])
    assert not hit and mesh.workloads[0].labels["from"] == "new"


def test_the_order_of_files_is_part_of_the_key(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(_pod("p", "from-a"), encoding="utf-8")
    b.write_text(_pod("p", "from-b"), encoding="utf-8")
    assert _mesh([str(a), str(b)])[0].workloads[0].labels["from"] == "from-b"
    mesh, hit = _mesh([str(b), str(a)])
    assert not hit and mesh.workloads[0].labels["from"] == "from-a"


def test_a_file_added_to_a_directory_misses(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a"), encoding="utf-8")
    _mesh([str(tmp_path)])
    (tmp_path / "b.yaml").write_text(_pod("b"), encoding="utf-8")
    mesh, hit = _mesh([str(tmp_path)])
    assert not hit and {w.name for w in mesh.workloads} == {"a", "b"}


def test_the_same_content_under_another_name_misses(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(_pod("a"), encoding="utf-8")
    _mesh([str(tmp_path / "a.yaml")])
    mesh, hit = _mesh([str(tmp_path / "b.yaml")])
    assert not hit and mesh.workloads[0].source.file == str(tmp_path / "b.yaml")


@pytest.mark.parametrize("change", [
    pytest.param({"language": "ko"}, id="another language"),
    pytest.param({"istio_version": "1.24"}, id="an option that did not exist"),
    pytest.param({"a_future_option": True}, id="a new option joining the key"),
])
def test_a_changed_option_misses(change):
    _mesh(STEP)
    assert not _mesh(STEP, {**OPTIONS, **change})[1]
    assert _mesh(STEP)[1], "the first entry is still there"


def test_a_new_package_version_misses(monkeypatch):
    import sidecar_lab.core

    _mesh(STEP)
    monkeypatch.setattr(sidecar_lab.core, "__version__", "99.0")
    assert not _mesh(STEP)[1]


def test_changed_code_misses(monkeypatch):
    _mesh(STEP)
    monkeypatch.setattr(cache, "_CODE_DIGEST", "an edited loader")
    assert not _mesh(STEP)[1]


def test_the_code_digest_covers_the_core_sources():
    digest = cache._code_digest()
    assert len(digest) == 64
    core = Path(cache.__file__).parent
    assert {"loader.py", "model.py", "jsonio.py", "yamlio.py"} <= {p.name for p in core.glob("*.py")}


def test_stdin_is_keyed_by_its_content(monkeypatch):
    import io

    def run(text):
        inputs = read_inputs(["-"], stdin=io.BytesIO(text.encode()))
        return cached_mesh(inputs, lambda: load_inputs(inputs), key_options=OPTIONS)

    assert not run(_pod("a"))[1]
    assert run(_pod("a"))[1]
    mesh, hit = run(_pod("b"))
    assert not hit and mesh.workloads[0].name == "b"


# ---------------------------------------------------------------------------
# A bad cache file is ignored and replaced, never trusted
# ---------------------------------------------------------------------------

def _only_file() -> Path:
    _mesh(STEP)
    (path,) = _files()
    return path


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


class _TableOfAFunction:
    """A table (the layout of the mesh's long tuples) whose class is one of the file's own functions."""

    def __reduce__(self):
        return (cache._table, (cache._same, (("echo pwned > /dev/null",),)))


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(b"not a pickle at all", id="garbage"),
    pytest.param(None, id="truncated"),
    pytest.param(pickle.dumps(("sidecar-lab mesh cache", "another key", None)), id="a tuple with the wrong key"),
    pytest.param(pickle.dumps(_Boom()), id="a foreign pickle that would run a command"),
    pytest.param(pickle.dumps({"a": 1}), id="a foreign value"),
    pytest.param(pickle.dumps(("sidecar-lab mesh cache", "k", _TableOfAFunction())), id="a table of no model class"),
])
def test_a_corrupt_or_foreign_cache_file_falls_back_to_reading(content, monkeypatch):
    path = _only_file()
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2] if content is None else content)
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a) or 0)
    mesh, hit = _mesh(STEP)
    assert not hit and not called
    assert mesh == load(STEP)
    assert _mesh(STEP)[1], "the bad file was replaced by a good one"


def test_a_file_under_another_key_is_not_used(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(_pod("b"), encoding="utf-8")
    _mesh([str(tmp_path / "a.yaml")])
    (a_file,) = _files()
    inputs = read_inputs([str(tmp_path / "b.yaml")])
    b_path = cache._path(cache.cache_key(inputs, OPTIONS))
    b_path.write_bytes(a_file.read_bytes())  # a's model where b's would be
    mesh, hit = _mesh([str(tmp_path / "b.yaml")])
    assert not hit and mesh.workloads[0].name == "b"


def test_an_unwritable_cache_folder_still_answers(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SIDECAR_LAB_CACHE_DIR", str(blocker / "cache"))
    mesh, hit = _mesh(STEP)
    assert not hit and mesh == load(STEP)


def test_writes_leave_no_temporary_files_and_keep_the_most_recent(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 3)
    for i in range(5):
        (tmp_path / "p.yaml").write_text(_pod(f"p{i}"), encoding="utf-8")
        _mesh([str(tmp_path / "p.yaml")])
    assert len(_files()) == 3
    assert not list(cache_dir().glob(".tmp-*"))
    assert _mesh([str(tmp_path / "p.yaml")])[1], "the most recent is kept"


def test_a_table_in_a_cache_file_builds_only_the_models_classes():
    from sidecar_lab.core.model import Source

    assert cache._table(Source, (("a.yaml", "b.yaml"), (1, 2))) == (Source("a.yaml", 1), Source("b.yaml", 2))
    with pytest.raises(pickle.UnpicklingError):
        cache._table(list, (("not", "a model"),))


def test_a_file_read_is_marked_used_unless_it_was_a_moment_ago():
    path = _only_file()
    long_ago = path.stat().st_mtime - 3600
    os.utime(path, (long_ago, long_ago))
    assert _mesh(STEP)[1]
    marked = path.stat().st_mtime
    assert marked > long_ago + 3000, "read an hour after its last use: now the most recently used"
    assert _mesh(STEP)[1]
    assert path.stat().st_mtime == marked, "read again at once: its time is left as it is"


def test_disabled_reads_and_writes_nothing():
    mesh, hit = _mesh(STEP, enabled=False)
    assert not hit and mesh == load(STEP) and _files() == []


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["resolve", *STEP, "--all", "--format", "json"],
    ["resolve", *STEP, "--workload", "istioinaction/sleep"],
    ["check", *STEP, "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip", "--format", "json"],
    ["analyze", *STEP, "--format", "json"],
    ["matrix", *STEP],
])
def test_the_command_answers_the_same_from_the_cache(capsys, argv):
    assert main([*argv, "--no-cache"]) in (0, 79)
    fresh = capsys.readouterr()
    assert _files() == []
    for _ in range(2):  # the first run writes the cache, the second reads it
        assert main(argv) in (0, 79)
        assert capsys.readouterr() == fresh
    assert len(_files()) == 1


def test_the_environment_variable_turns_the_cache_off(capsys, monkeypatch):
    monkeypatch.setenv("SIDECAR_LAB_NO_CACHE", "1")
    assert main(["resolve", *STEP, "--workload", "istioinaction/sleep"]) == 0
    assert _files() == []


def test_bad_input_is_never_cached(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [a]}\n", encoding="utf-8")
    for _ in range(2):
        assert main(["resolve", str(bad), "--all"]) == 2
        assert capsys.readouterr().err.startswith(f"error: {bad}:3: metadata.name: ")
    assert _files() == []


def test_cache_command_says_where_and_clears(capsys):
    main(["resolve", *STEP, "--workload", "istioinaction/sleep"])
    capsys.readouterr()
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(cache_dir()) in out and "1 file(s)" in out and "--clear" in out
    assert main(["cache", "--clear"]) == 0
    assert "removed 1 cache file(s)" in capsys.readouterr().out
    assert _files() == [] and clear_cache() == 0


@pytest.mark.parametrize("env, expected", [
    pytest.param({"SIDECAR_LAB_CACHE_DIR": "/x/y"}, "/x/y", id="explicit"),
    pytest.param({"XDG_CACHE_HOME": "/xdg"}, "/xdg/sidecar-lab", id="XDG_CACHE_HOME"),
    pytest.param({"XDG_CACHE_HOME": "relative"}, "~/.cache/sidecar-lab", id="a relative XDG_CACHE_HOME is ignored"),
    pytest.param({}, "~/.cache/sidecar-lab", id="default"),
])
def test_where_the_cache_lives(monkeypatch, env, expected):
    monkeypatch.delenv("SIDECAR_LAB_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert cache_dir() == Path(os.path.expanduser(expected))


def test_help_says_where_the_cache_is(capsys):
    with pytest.raises(SystemExit):
        main(["cache", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "XDG_CACHE_HOME/sidecar-lab" in out and "--no-cache" in out and "SIDECAR_LAB_NO_CACHE" in out


def test_a_command_from_the_shell_writes_the_cache_after_its_answer(tmp_path):
    """The first answer is not delayed by the writing: a child writes the file once the command exits.
    The answer is printed once (the child writes nothing to the command's output), and the next
    command finds the file."""
    import subprocess
    import sys
    import time

    env = {**os.environ, "SIDECAR_LAB_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "sidecar_lab", "resolve", *STEP, "--workload", "istioinaction/sleep"]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and first.stderr == ""
    deadline = time.monotonic() + 60
    while not list((tmp_path / "cache").glob("mesh-*.pickle")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list((tmp_path / "cache").glob("mesh-*.pickle"))) == 1
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout == first.stdout and first.stdout.count("istioinaction/sleep (Pod)") == 1
