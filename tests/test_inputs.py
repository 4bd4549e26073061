"""Inputs that cannot lie: hostile files, nested Lists, metadata types, null documents, bounded messages.

Each rule is tested as a table and, where it has a shape worth searching, as a property.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecar_lab.cli import main
from sidecar_lab.core.analyze import FEW, analyze
from sidecar_lab.core.errors import ManifestError
from sidecar_lab.core.loader import KNOWN_API_VERSIONS, load, load_text
from sidecar_lab.core.yamlio import read_manifest_bytes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def sidecar(name: str, namespace: str = "default", **meta) -> dict:
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
            "metadata": {"name": name, "namespace": namespace, **meta},
            "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}}


def a_list(*items) -> dict:
    return {"apiVersion": "v1", "kind": "List", "items": list(items)}


def run_cli(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_process(argv, timeout=20):
    """The command in its own process, bounded: a file that blocks must not hang the suite."""
    return subprocess.run([sys.executable, "-m", "sidecar_lab", *argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def one_error_line(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


# --- nested Lists ------------------------------------------------------------------------------


def test_a_sidecar_in_a_list_in_a_list_is_read_FlattenListVisitor():
    text = yaml.safe_dump(a_list(a_list(sidecar("deep")), sidecar("top")))
    assert sorted(s.name for s in load_text(text).sidecars) == ["deep", "top"]


def test_nested_list_items_come_breadth_first_so_the_later_definition_wins_FlattenListVisitor():
    # kubectl visits a List's own items before those of a List nested in it: outer "dup" (ALLOW_ANY) is
    # visited first, the nested one (REGISTRY_ONLY) last, and the later definition is the one applied.
    outer = sidecar("dup")
    outer["spec"]["outboundTrafficPolicy"]["mode"] = "ALLOW_ANY"
    text = yaml.safe_dump(a_list(a_list(sidecar("dup")), outer))
    mesh = load_text(text)
    assert [s.spec.outbound_traffic_policy.mode for s in mesh.sidecars] == ["REGISTRY_ONLY"]
    assert any("defined twice" in n for n in mesh.notes)


def test_a_nested_list_item_that_is_not_a_mapping_names_its_path():
    text = yaml.safe_dump(a_list(a_list("oops")))
    with pytest.raises(ManifestError) as caught:
        load_text(text, "lists.yaml")
    assert caught.value.field == "items[0].items[0]" and caught.value.file == "lists.yaml"


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8))
def test_every_sidecar_is_read_whatever_the_list_nesting(depths):
    """Each Sidecar wrapped in its own number of Lists: none is ever dropped."""
    items = []
    for i, depth in enumerate(depths):
        obj = sidecar(f"s{i}")
        for _ in range(depth):
            obj = a_list(obj)
        items.append(obj)
    text = yaml.safe_dump(a_list(*items))
    assert sorted(s.name for s in load_text(text).sidecars) == sorted(f"s{i}" for i in range(len(depths)))


# --- metadata types, for every kind ---------------------------------------------------------------


def manifest_of(kind: str, **meta) -> dict:
    obj = {"apiVersion": KNOWN_API_VERSIONS[kind][0], "kind": kind,
           "metadata": {"name": "istio" if kind == "ConfigMap" else "x", **meta}}
    if kind == "ConfigMap":
        obj["data"] = {"mesh": "rootNamespace: istio-system\n"}
    if kind == "DestinationRule":  # spec.host is required (the API server refuses a rule without it)
        obj["spec"] = {"host": "x"}
    return obj


BAD_MAPS = [("a string", "x", None), ("an integer value", {"a": 1}, "a"), ("a null value", {"a": None}, "a"),
            ("a boolean value", {"a": True}, "a"), ("a list", ["a"], None)]


@pytest.mark.parametrize("kind", sorted(KNOWN_API_VERSIONS))
@pytest.mark.parametrize("field", ["labels", "annotations"])
@pytest.mark.parametrize("what, value, key", BAD_MAPS, ids=[b[0] for b in BAD_MAPS])
def test_labels_and_annotations_are_type_checked_for_every_kind_check_metadata(kind, field, what, value, key):
    text = yaml.safe_dump(manifest_of(kind, **{field: value}), sort_keys=False)
    with pytest.raises(ManifestError) as caught:
        load_text(text, "m.yaml")
    assert caught.value.file == "m.yaml" and caught.value.line is not None
    assert caught.value.field == f"metadata.{field}" + (f".{key}" if key else "")


@pytest.mark.parametrize("kind", sorted(KNOWN_API_VERSIONS))
def test_string_labels_and_null_metadata_maps_are_accepted_for_every_kind(kind):
    load_text(yaml.safe_dump(manifest_of(kind, labels={"app": "web", "v": "1"}, annotations=None)))


SCALARS = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.lists(st.text(max_size=3), max_size=2))


@SETTINGS
@given(kind=st.sampled_from(sorted(KNOWN_API_VERSIONS)), field=st.sampled_from(["labels", "annotations"]),
       key=st.text(alphabet="abcxyz-./", min_size=1, max_size=8), value=SCALARS)
def test_a_label_or_annotation_that_is_not_a_string_is_always_refused_with_its_path(kind, field, key, value):
    text = yaml.safe_dump(manifest_of(kind, **{field: {key: value}}), sort_keys=False)
    with pytest.raises(ManifestError) as caught:
        load_text(text, "m.yaml")
    assert caught.value.field.startswith(f"metadata.{field}")


# --- null documents, as kubectl -----------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.sampled_from(["", "~", "null", "Null", "NULL", "!!null", "# a comment"]), min_size=1, max_size=6))
def test_null_and_empty_documents_never_change_the_mesh_StreamVisitor(nulls):
    docs = [yaml.safe_dump(sidecar("a")), yaml.safe_dump(sidecar("b"))]
    mixed = []
    for i, null in enumerate(nulls):
        mixed.append(null + "\n")
        if i < len(docs):
            mixed.append(docs[i])
    mixed += docs[len(nulls):]
    text = "---\n".join(mixed)
    assert sorted(s.name for s in load_text(text).sidecars) == ["a", "b"]


# --- what may be read as a manifest ------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_among_the_manifests_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done = run_process(["resolve", str(fifo), "--all"])
    assert done.returncode == 2 and done.stdout == ""
    assert one_error_line(done.stderr) == f"error: {fifo}: not a regular file: it is a named pipe (FIFO); " \
        "only regular files are read as manifests (pipe it to standard input with - instead)\n"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_dev_zero_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    done = run_process(["analyze", str(tmp_path)])  # found while walking a directory, too
    assert done.returncode == 2
    assert one_error_line(done.stderr).startswith(f"error: {link}: not a regular file: it is a character device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_is_refused_by_the_reader_itself_read_manifest_bytes(tmp_path):
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(ManifestError, match="named pipe"):
        read_manifest_bytes(str(fifo))


def test_a_file_over_the_size_limit_is_refused_and_the_flag_raises_it(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(sidecar("a")) + "#" * 2048 + "\n")
    code, out, err = run_cli(capsys, ["resolve", str(path), "--all", "--max-file-size", "1K"])
    assert code == 2 and out == ""
    assert one_error_line(err).startswith(f"error: {path}: too large: 2.1 KiB, over the limit of 1 KiB")
    assert "--max-file-size raises it" in err
    code, _, err = run_cli(capsys, ["resolve", str(path), "--all", "--max-file-size", "4K"])
    assert code == 0, err


def test_standard_input_over_the_size_limit_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"# padding\n" * 500)))
    code, _, err = run_cli(capsys, ["resolve", "-", "--all", "--max-file-size", "1K"])
    assert code == 2 and one_error_line(err).startswith("error: <stdin>: too large")


@pytest.mark.parametrize("text", ["0", "-1", "12Q", "lots", ""])
def test_a_malformed_size_is_a_usage_error(capsys, text):
    code, _, err = run_cli(capsys, ["resolve", "x.yaml", "--all", "--max-file-size", text])
    assert code == 2 and "invalid size" in one_error_line(err)


@SETTINGS
@given(size=st.integers(min_value=0, max_value=3000), limit=st.integers(min_value=1, max_value=3000))
def test_a_file_is_read_exactly_when_it_fits_the_limit(tmp_path_factory, size, limit):
    path = tmp_path_factory.mktemp("size") / "f.yaml"
    path.write_bytes(b"#" * size)
    if size <= limit:
        assert len(read_manifest_bytes(str(path), limit)) == size
    else:
        with pytest.raises(ManifestError, match="too large"):
            read_manifest_bytes(str(path), limit)


def test_a_directory_holding_no_manifests_is_an_error_naming_it(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a manifest")
    code, out, err = run_cli(capsys, ["resolve", str(tmp_path), "--all"])
    assert (code, out) == (2, "")
    assert one_error_line(err) == f"error: {tmp_path}: no manifests here: the directory holds no *.yaml, *.yml or *.json file\n"


def test_an_unreadable_subdirectory_is_an_error_naming_it(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(sidecar("a")))
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.yaml").write_text(yaml.safe_dump(sidecar("b")))
    if IS_ROOT:  # root reads any directory: make the operating system refuse it instead
        real = os.scandir

        def scandir(path="."):
            if os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied", str(locked))
            return real(path)
        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        code, out, err = run_cli(capsys, ["analyze", str(tmp_path)])
    finally:
        locked.chmod(0o755)
    assert (code, out) == (2, "")
    assert one_error_line(err) == f"error: {locked}: cannot read this directory: Permission denied\n"


# --- analyze: every message bounded ---------------------------------------------------------------------


def test_analyze_on_many_sidecars_sharing_a_selector_names_a_few_then_counts_the_rest_IST0110():
    n = 60
    docs = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default",
                                                             "labels": {"app": "web"}}}]
    for i in range(n):
        s = sidecar(f"dupe-{i:03d}")
        s["spec"]["workloadSelector"] = {"labels": {"app": "web"}}
        docs.append(s)
    messages = [m for m in analyze(load_text(yaml.safe_dump_all(docs))) if m.code == "IST0110"]
    assert len(messages) == n and {m.level for m in messages} == {"Error"}
    names = " ".join(f"dupe-{i:03d}" for i in range(FEW))
    assert messages[0].message == (f'The Sidecars [{names} and {n - FEW} more] in namespace "default" select the '
                                   'same workload pod "web", which can lead to undefined behavior.')


@SETTINGS
@given(st.integers(min_value=2, max_value=40), st.booleans())
def test_every_analyze_message_stays_short_whatever_the_number_of_sidecars(n, with_selector):
    docs = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default",
                                                             "labels": {"app": "web"}}}]
    for i in range(n):
        s = sidecar(f"s-{i}")
        if with_selector:
            s["spec"]["workloadSelector"] = {"labels": {"app": "web"}}
        docs.append(s)
    messages = analyze(load_text(yaml.safe_dump_all(docs)))
    assert messages and max(len(m.message) for m in messages) < 400
    assert {m.code for m in messages} >= {"IST0110" if with_selector else "IST0111"}


def test_the_seed_still_loads(tmp_path):
    seed = Path(__file__).resolve().parent.parent / "data" / "seed" / "cluster"
    assert load([str(seed)]).workloads
