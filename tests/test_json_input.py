"""JSON input (``kubectl get ... -o json``): read as JSON, the same model as from YAML, errors still located.

The JSON reader (``sidecar_lab.core.jsonio``) hands the loader the same plain values that the YAML
reader gives, so every rule of the loader applies to both; what differs is only how a field's
line is found. Each bad input must name the file, the exact line and the field.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sidecar_lab.cli import main
from sidecar_lab.core.errors import ManifestError
from sidecar_lab.core.loader import KNOWN_API_VERSIONS, load, load_text
from sidecar_lab.core.model import Mesh

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"


def _kubectl_json(texts: list[str], indent: int | None = 4) -> str:
    """What ``kubectl get ... -o json`` prints for these manifests: one List, keys sorted."""
    items = [d for text in texts for d in yaml.safe_load_all(text) if d]
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                      indent=indent, sort_keys=True, ensure_ascii=False)


def _seed_texts(step: str) -> list[str]:
    files = sorted((SEED / "cluster").glob("*.yaml")) + sorted((SEED / "steps" / step).glob("*.yaml"))
    return [f.read_text(encoding="utf-8") for f in files]


def _without_places(value):
    """The model with every file name and line left out, to compare what was read, not where."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, tuple((f.name, _without_places(getattr(value, f.name)))
                                            for f in dataclasses.fields(value)
                                            if f.name not in ("source", "positions", "origins")))
    if isinstance(value, Mapping):
        return {k: _without_places(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_without_places(v) for v in value)
    if isinstance(value, str):
        return re.sub(r"[\w./<>-]+\.(?:ya?ml|json)(?::\d+)?", "FILE", value)
    return value


# ---------------------------------------------------------------------------
# The same model from JSON as from YAML
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["02-root-registry-only", "05-workload-allow-any", "06-workload-hosts"])
@pytest.mark.parametrize("indent", [4, None], ids=["kubectl", "one-line"])
def test_the_seed_as_kubectl_json_gives_the_same_model(step, indent):
    texts = _seed_texts(step)
    from_yaml = load_text("---\n".join(texts), "seed.yaml")
    from_json = load_text(_kubectl_json(texts, indent), "seed.json")
    assert _without_places(from_json) == _without_places(from_yaml)
    assert from_json.sidecars, "the step has Sidecars"
    for s_json, s_yaml in zip(sorted(from_json.sidecars, key=lambda s: s.name),
                              sorted(from_yaml.sidecars, key=lambda s: s.name)):
        assert set(s_json.positions) == set(s_yaml.positions), "every field of a Sidecar has a line"


# YAML reads NEL and the Unicode line and paragraph separators as line breaks, even where PyYAML's
# dumper wrote them raw: leave them out, they would test PyYAML's round trip rather than our reading.
JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029"),
                    max_size=10)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), JSON_TEXT,
                    st.sampled_from(["REGISTRY_ONLY", "ALLOW_ANY", "*/*", "./*", "80", "2025-06-01T10:00:00Z",
                                     "istio-system", "default", ""]))
FIELDS = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status",
          "podIP", "creationTimestamp", "items", "template", "containers", "ports", "port", "number",
          "protocol", "targetPort", "containerPort", "selector", "clusterIP", "type", "hosts", "egress",
          "ingress", "workloadSelector", "outboundTrafficPolicy", "mode", "egressProxy", "host", "bind",
          "captureMode", "defaultEndpoint", "connectionPool", "exportTo", "addresses", "meshConfig"]
KEYS = st.one_of(st.sampled_from(FIELDS), JSON_TEXT)  # JSON has string keys only
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


@st.composite
def manifest(draw):
    kind = draw(st.sampled_from(sorted(KNOWN_API_VERSIONS) + ["ServiceAccount"]))
    doc = {"apiVersion": draw(st.one_of(st.sampled_from(KNOWN_API_VERSIONS.get(kind, ("v1",))), VALUES)),
           "kind": kind}
    metadata = {"name": draw(st.one_of(st.sampled_from(["a", "b", "istio"]), VALUES))}
    if draw(st.booleans()):
        metadata["namespace"] = draw(st.sampled_from(["default", "istio-system", "ns"]))
    if draw(st.booleans()):
        metadata["labels"] = draw(st.dictionaries(KEYS, st.one_of(JSON_TEXT, VALUES), max_size=3))
    doc["metadata"] = metadata
    if draw(st.booleans()):
        doc["spec"] = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4))
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(manifest(), min_size=1, max_size=4), st.booleans(), st.sampled_from([None, 2]))
@example([{"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "s"},
           "spec": {"egress": [{"hosts": ["./*"], "port": {"number": "80"}}]}}], True, 2)
@example([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"x": 1}}}], False, None)
def test_json_and_yaml_give_the_same_model_or_the_same_error(docs, as_list, indent):
    if as_list:  # one kubectl List, or one document per manifest (as `jq -c` writes them)
        docs = [{"apiVersion": "v1", "kind": "List", "items": docs}]
    yaml_text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
    json_text = "\n".join(json.dumps(d, indent=indent, ensure_ascii=False) for d in docs)
    results = []
    for text, name in ((yaml_text, "fuzz.yaml"), (json_text, "fuzz.json")):
        try:
            results.append(_without_places(load_text(text, name)))
        except ManifestError as exc:
            assert exc.file == name and exc.line is not None, str(exc)
            results.append((exc.message, exc.field))
    assert results[0] == results[1]


# ---------------------------------------------------------------------------
# Errors name the file, the line and the field
# ---------------------------------------------------------------------------

POD_LIST = """{
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "good", "namespace": "ns"}
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "labels": {
                    "app": "x",
                    "version": 2
                },
                "name": "bad"
            }
        }
    ]
}"""

SIDECAR = """{
  "apiVersion": "networking.istio.io/v1",
  "kind": "Sidecar",
  "metadata": {"name": "s", "namespace": "ns"},
  "spec": {
    "egress": [
      {"hosts": ["./*"]},
      {
        "port": {"number": "80", "protocol": "HTTP"},
        "hosts": ["./*"]
      }
    ]
  }
}"""

JSON_ERRORS = [
    pytest.param(POD_LIST, 16, "items[1].metadata.labels.version", "expected a string value, got an integer",
                 id="a label value in the second item of a List"),
    pytest.param(SIDECAR, 9, "spec.egress[1].port.number", "expected an integer, got a string",
                 id="a Sidecar port number written as a string"),
    pytest.param('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "a"}}\n'
                 '{"apiVersion": "v9", "kind": "Service",\n "metadata": {"name": "b"}}', 3, "apiVersion",
                 "unknown apiVersion 'v9'", id="the second of two JSON values"),
    pytest.param('{"apiVersion": "v1",\n "kind": "List",\n "items": [\n  {"kind": "Pod"}\n ]}', 4,
                 "items[0].apiVersion", "unknown apiVersion None", id="an item without apiVersion"),
    pytest.param('{"apiVersion": "v1",\n "kind": "List",\n "items": [\n  {"kind": "Pod", "apiVersion": "v1",'
                 ' "metadata": {"name": "a"}},\n  7\n ]}', 5, "items[1]", "a list item must be a mapping",
                 id="an item that is a number"),
    pytest.param('[\n {"kind": "Pod"}\n]', 1, None, "a manifest must be a mapping, got a list",
                 id="a top-level array"),
    pytest.param('{"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",\n "metadata": {"name": "s"},\n'
                 ' "spec": {"egress": [{"hosts": ["./*"]}],\n          "egress": [{"hosts": ["*/*"]}]}}', 4,
                 "spec.egress", "duplicate key 'egress'", id="a key written twice in a Sidecar"),
]


@pytest.mark.parametrize("text, line, field, words", JSON_ERRORS)
def test_json_errors_name_the_file_line_and_field(text, line, field, words):
    with pytest.raises(ManifestError) as info:
        load_text(text, "in.json")
    err = info.value
    assert (err.file, err.line, err.field) == ("in.json", line, field), str(err)
    assert words in err.message, str(err)
    assert str(err).startswith(f"in.json:{line}: " + (f"{field}: " if field else ""))


@pytest.mark.parametrize("text, line, words", [
    pytest.param('{\n  "apiVersion": "v1",\n  "kind": "Pod"\n  "metadata": {}\n}', 4,
                 "Expecting ',' delimiter (column 3)", id="a missing comma"),
    pytest.param('{"apiVersion": "v1", "kind": "Pod"} ]', 1, "Expecting value (column 37)",
                 id="a stray bracket after the object, one line"),
    pytest.param('{"kind": "Pod",\n "metadata": {"name": "a\\qb"}}', 2, "Invalid \\escape",
                 id="an unknown escape inside a string"),
    pytest.param('{"kind": "List", "items": [\n{"kind": "Pod"},\n{"kind": "Pod"\n', 4, "Expecting ',' delimiter",
                 id="cut short: the end of the text is where it stops"),
])
def test_invalid_json_names_the_line_and_column(text, line, words):
    with pytest.raises(ManifestError) as info:
        load_text(text, "in.json")
    assert (info.value.file, info.value.line) == ("in.json", line), str(info.value)
    assert "invalid JSON" in info.value.message and words in str(info.value), str(info.value)


def test_flow_style_yaml_that_looks_like_json_is_still_yaml():
    mesh = load_text("{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: ns}}", "flow.yaml")
    assert [w.name for w in mesh.workloads] == ["a"]


def test_objects_from_json_record_the_line_of_their_name():
    mesh = load_text(POD_LIST.replace('"version": 2', '"version": "2"'), "pods.json")
    assert {w.name: w.source.line for w in mesh.workloads} == {"good": 8, "bad": 18}


def test_sidecar_fields_from_json_have_their_lines():
    (sidecar,) = load_text(SIDECAR.replace('"80"', "80"), "s.json").sidecars
    assert sidecar.line_of(("spec", "egress", 1, "port", "number")) == 9
    assert sidecar.line_of(("spec", "egress", 1, "hosts", 0)) == 10
    assert sidecar.source.line == 4


# ---------------------------------------------------------------------------
# The command: kubectl get ... -o json | sidecar-lab resolve - --all
# ---------------------------------------------------------------------------

def test_kubectl_json_on_stdin_answers_as_the_yaml_files(capsys, monkeypatch):
    step = "06-workload-hosts"
    paths = [str(SEED / "cluster"), str(SEED / "steps" / step)]
    assert main(["resolve", *paths, "--all", "--format", "json"]) == 0
    from_files = json.loads(capsys.readouterr().out)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(_kubectl_json(_seed_texts(step)).encode())))
    assert main(["resolve", "-", "--all", "--format", "json", "--no-cache"]) == 0
    from_json = json.loads(capsys.readouterr().out)
    strip = re.compile(r'"origin": "[^"]*"')
    assert strip.sub("", json.dumps(from_json)) == strip.sub("", json.dumps(from_files))


def test_bad_json_on_stdin_is_one_error_line(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(POD_LIST.encode())))
    assert main(["resolve", "-", "--all", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: <stdin>:16: items[1].metadata.labels.version: expected a string value, got an "
                   "integer (quote numbers and booleans in labels and annotations)\n")


def test_json_file_and_yaml_directory_together(tmp_path):
    pods = tmp_path / "pods.json"
    pods.write_text(POD_LIST.replace('"version": 2', '"version": "2"'), encoding="utf-8")
    mesh = load([str(SEED / "cluster"), str(pods)])
    assert {"good", "bad", "sleep"} <= {w.name for w in mesh.workloads}
    assert mesh.origins[-1] == str(pods)


# ---------------------------------------------------------------------------
# Output that stays linear: resolve --all --format json, streamed and --shared-scopes
# ---------------------------------------------------------------------------

def _synthetic(tmp_path, namespaces=5):
    from sidecar_lab.scale.synthetic import SyntheticMeshSpec, write_yaml

    path = tmp_path / "mesh.yaml"
    write_yaml(SyntheticMeshSpec(namespaces=namespaces, sidecars="mixed"), path)
    return [str(path), str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]


def test_streamed_resolve_all_json_is_what_json_dumps_writes(capsys, tmp_path):
    from sidecar_lab.core.resolver import Simulator

    paths = _synthetic(tmp_path)
    assert main(["resolve", *paths, "--all", "--format", "json"]) == 0
    out = capsys.readouterr().out
    sim = Simulator(load(paths))
    expected = json.dumps([r.to_json() for r in sim.resolve_all()], ensure_ascii=False, separators=(",", ":"))
    assert out == expected + "\n"


@pytest.mark.parametrize("keep", [1, 3])
def test_records_are_the_same_when_few_encoded_answers_are_kept(capsys, tmp_path, monkeypatch, keep):
    """The writer keeps the encoded rest of only the last few answers (core.output._Records.KEEP): with
    fewer kept than there are answers, every record is still what json.dumps writes."""
    from sidecar_lab.core import output
    from sidecar_lab.core.resolver import Simulator

    monkeypatch.setattr(output._Records, "KEEP", keep)
    paths = _synthetic(tmp_path, namespaces=3)
    assert main(["resolve", *paths, "--all", "--format", "json"]) == 0
    results = Simulator(load(paths)).resolve_all()
    assert len({(id(r.candidates), id(r.ingress)) for r in results}) > 3 * keep, "more answers than are kept"
    expected = json.dumps([r.to_json() for r in results], ensure_ascii=False, separators=(",", ":"))
    assert capsys.readouterr().out == expected + "\n"


def test_shared_scopes_give_back_every_record(capsys, tmp_path):
    paths = _synthetic(tmp_path)
    assert main(["resolve", *paths, "--all", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert main(["resolve", *paths, "--all", "--format", "json", "--shared-scopes"]) == 0
    shaped = json.loads(capsys.readouterr().out)
    assert set(shaped) == {"scopes", "workloads"}
    assert len(shaped["scopes"]) < len(records) / 3, "workloads share scopes"
    assert len({json.dumps(s, sort_keys=True) for s in shaped["scopes"]}) == len(shaped["scopes"]), "each once"
    rebuilt = []
    for w in shaped["workloads"]:
        scope = shaped["scopes"][w.pop("scope_ref")]
        assert "egress" not in w and "visible_services" not in w
        rebuilt.append({**w, **scope})
    assert [json.dumps(r, sort_keys=True) for r in rebuilt] == [json.dumps(r, sort_keys=True) for r in records]
    assert any(not s["egress"] and not s["visible_services"] for s in shaped["scopes"]), "workloads without a proxy"


@pytest.mark.parametrize("argv", [["--workload", "istioinaction/sleep"], ["--all"]])
def test_shared_scopes_need_all_and_json(capsys, argv):
    assert main(["resolve", str(SEED / "cluster"), *argv, "--shared-scopes"]) == 2
    assert "--shared-scopes goes with --all --format json" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# The line of an object's name: found by looking back from its one occurrence
# ---------------------------------------------------------------------------

_NAMES = st.sampled_from(["a", "web-0", "svc-0001-01-0", 'quo"te', "back\\slash", "이름", "name", "x y"])


@st.composite
def _named_lists(draw):
    """A List whose objects' names also turn up elsewhere in them (a container, a label, an annotation),
    written with any of the separators a JSON writer uses."""
    items = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(_NAMES)
        item: dict = {"kind": "Pod", "metadata": {"name": name}}
        elsewhere = draw(st.lists(st.sampled_from(["container", "label", "annotation", "port", "none"]), max_size=3))
        if "container" in elsewhere:
            item["spec"] = {"containers": [{"name": draw(st.sampled_from([name, "app"]))}]}
        if "label" in elsewhere:
            item["metadata"]["labels"] = {"name": name, "app": name}
        if "annotation" in elsewhere:
            item["metadata"]["annotations"] = {"note": f'"name": "{name}"'}
        if "port" in elsewhere:
            item.setdefault("spec", {})["ports"] = [{"name": name}, {"name": "http"}]
        if draw(st.booleans()):
            item["metadata"] = dict(reversed(list(item["metadata"].items())))
        items.append(item)
    indent = draw(st.sampled_from([None, 0, 2, 4]))
    separators = draw(st.sampled_from([None, (",", ":"), (", ", " : ")]))
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List"}, indent=indent,
                      separators=separators, ensure_ascii=draw(st.booleans()))


def _name_key_by_visiting_every_key(text: str, written: str, start: int, end: int) -> int | None:
    """The reference: visit every ``"name"`` key of ``text[start:end]`` and keep the one followed by
    ``written`` (None when none is, or more than one)."""
    found = None
    for match in re.finditer(r'"name"[ \t\n\r]*:[ \t\n\r]*', text[:end]):
        if match.start() < start:
            continue
        if text.startswith(written, match.end()) and text[match.start() - 1] != "\\":
            if found is not None:
                return None
            found = match.start()
    return found


@settings(max_examples=300, deadline=None)
@given(_named_lists())
def test_the_line_of_a_json_name_is_what_visiting_every_name_key_finds(text):
    from sidecar_lab.core.jsonio import read_json_documents

    (doc,) = read_json_documents(text, "l.json")
    located = doc._json
    for i, item in enumerate(doc.data["items"]):
        path = ("items", i, "metadata", "name")
        start = located.items[i]
        end = located.items[i + 1] if i + 1 < len(located.items) else len(text)
        name = item["metadata"]["name"]
        written = json.dumps(name, ensure_ascii=False)
        if name.isprintable() and '"' not in name and "\\" not in name:
            written = f'"{name}"'
        assert located._name_offset(path, doc.data) == _name_key_by_visiting_every_key(text, written, start, end)
        # and the line it gives is the line of the name's key (or, when unsure, of the walked path)
        line = doc.line_of(path)
        assert text.count("\n", 0, located._locate(path)[0]) + 1 == line


# ---------------------------------------------------------------------------
# A List built item by item as it is decoded: exactly what decoding the whole text first gives
# ---------------------------------------------------------------------------

def _built(text: str, name: str, as_read: bool):
    """The model (every place included) or the error, by the loader's path for JSON (``as_read``: items built as
    they are decoded) or by decoding every document first and building them after."""
    from sidecar_lab.core.loader import _Builder, read_manifest_documents

    builder = _Builder()
    try:
        if as_read:
            builder.add_text(text, name)
        else:
            builder.origins.append(name)
            for doc in read_manifest_documents(text, name):
                builder.add_document(doc, consume=True)
        return builder.build()
    except ManifestError as exc:
        return (str(exc), exc.line, exc.field)


_ODD = st.sampled_from([7, [], {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod"}]}, None])


@st.composite
def _json_texts(draw):
    """Several JSON documents: Lists (kind written before or after the items, as kubectl sorts keys), plain
    objects, an object with items that is no List, odd items (a number, a nested List), a key written twice,
    invalid JSON at the end."""
    documents = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["list", "list", "object", "not-a-list", "podlist"]))
        items = draw(st.lists(st.one_of(manifest(), manifest(), _ODD), max_size=4))
        if shape == "object":
            documents.append(json.dumps(draw(manifest()), indent=draw(st.sampled_from([None, 2]))))
            continue
        kind = {"list": "List", "podlist": "PodList", "not-a-list": "ConfigMap"}[shape]
        head = {"apiVersion": "v1", "kind": kind} if draw(st.booleans()) else {}
        body = {**head, "items": items, "metadata": {"resourceVersion": ""}}
        if not head:
            body.update(apiVersion="v1", kind=kind)
        text = json.dumps(body, indent=draw(st.sampled_from([None, 4])), ensure_ascii=False)
        if draw(st.integers(0, 9)) == 0:
            text = text[:-1] + ', "items": []}'  # items written twice: the last one is the value
        documents.append(text)
    text = "\n".join(documents)
    if draw(st.integers(0, 9)) == 0:
        text += draw(st.sampled_from(["\n{", "\n]", "\n{kind: Pod}", "x"]))
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json_texts())
def test_a_list_built_as_it_is_decoded_is_what_decoding_it_first_gives(text):
    assert _built(text, "l.json", as_read=True) == _built(text, "l.json", as_read=False)


def test_a_kubectl_list_is_built_as_it_is_decoded_and_its_items_let_go():
    from sidecar_lab.core.loader import _Builder

    kept = []
    text = _kubectl_json(_seed_texts("06-workload-hosts"))
    builder = _Builder()
    builder.origins.append("seed.json")
    assert builder._add_json_as_read(text, "seed.json")
    from sidecar_lab.core import jsonio

    for doc in jsonio.read_json_documents(text, "seed.json", lambda doc, i, item: kept.append(i)):
        assert doc.data["items"] == [None] * len(kept)  # what each_item returned is what the List keeps
    assert len(kept) > 10 and builder.build() == _built(text, "seed.json", as_read=False)
