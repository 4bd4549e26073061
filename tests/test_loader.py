"""Reading manifests into the model, and every kind of bad input the loader must refuse.

Each bad input must raise ``ManifestError`` whose text names the file, the exact line
and (where there is one) the field path, as ``file:line: field: message``.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from sidecar_lab.core.errors import ManifestError
from sidecar_lab.core.loader import load, load_objects, load_text, manifest_files
from sidecar_lab.core.model import ALLOW_ANY, REGISTRY_ONLY, Source

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"

SIDECAR_HEAD = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n  namespace: ns\n"


def _raises(text: str, file: str = "bad.yaml") -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_text(text, file)
    return info.value


def _assert_names(err: ManifestError, file: str, line: int | None, field: str | None, words: str) -> None:
    text = str(err)
    assert err.file == file
    assert err.line == line, text
    assert err.field == field, text
    where = file if line is None else f"{file}:{line}"
    assert text.startswith(where + ": "), text
    if field is not None:
        assert text.startswith(f"{where}: {field}: "), text
    assert words in text, text
    assert "\n" not in text


# ---------------------------------------------------------------------------
# Bad input: each case is (text, line, field, words in the message)
# ---------------------------------------------------------------------------

RECURSIVE_ALIAS = "apiVersion: v1\nkind: Pod\nmetadata: &m\n  name: a\n  self: *m\n"

BAD_DOCUMENTS = [
    pytest.param(RECURSIVE_ALIAS, 3, None, "recursive YAML alias", id="recursive alias"),
    pytest.param("- apiVersion: v1\n  kind: Pod\n", 1, None, "must be a mapping, got a list",
                 id="a document that is a list"),
    pytest.param("# a comment\n---\njust a string\n", 3, None, "must be a mapping, got a string",
                 id="a document that is a scalar, after a comment and a separator"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n42\n", 5, None,
                 "must be a mapping, got an integer", id="the second document is an integer"),
    pytest.param("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n"
                 "- not-a-mapping\n", 7, "items[1]", "a list item must be a mapping, got a string",
                 id="kind List with a non-mapping item"),
    pytest.param("apiVersion: v1\nkind: List\nitems: {a: 1}\n", 3, "items", "expected a list, got a mapping",
                 id="kind List whose items is a mapping"),
    pytest.param(SIDECAR_HEAD + "spec:\n  egress: '*/*'\n", 7, "spec.egress", "expected a list, got a string",
                 id="Sidecar egress is a string"),
    pytest.param(SIDECAR_HEAD + "spec:\n  egress:\n  - port:\n      number: 80\n    hosts: '*/*'\n", 10,
                 "spec.egress[0].hosts", "expected a list, got a string", id="Sidecar egress hosts is a string"),
    pytest.param(SIDECAR_HEAD + "spec:\n  egress:\n  - port:\n      number: '80'\n      protocol: HTTP\n"
                 "    hosts: ['*/*']\n", 9, "spec.egress[0].port.number", "expected an integer, got a string",
                 id="Sidecar egress port number given as a quoted string"),
    pytest.param(SIDECAR_HEAD + "spec:\n  ingress:\n  - port: {number: 8080, protocol: HTTP}\n"
                 "    defaultEndpoint: 127.0.0.1:8080\n  - port:\n      number: '80'\n", 11,
                 "spec.ingress[1].port.number", "expected an integer, got a string",
                 id="Sidecar second ingress port number given as a string"),
    pytest.param(SIDECAR_HEAD + "spec:\n  workloadSelector:\n    labels:\n      version: 1\n", 9,
                 "spec.workloadSelector.labels.version", "expected a string, got an integer",
                 id="Sidecar selector label value is an integer"),
    pytest.param(SIDECAR_HEAD + "spec:\n  outboundTrafficPolicy: ALLOW_ANY\n", 7, "spec.outboundTrafficPolicy",
                 "expected a mapping, got a string", id="Sidecar outboundTrafficPolicy is a string"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    app: a\n    version: 1\n", 7,
                 "metadata.labels.version", "expected a string value, got an integer",
                 id="Pod label with an integer value"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    ready: true\n", 6,
                 "metadata.annotations.ready", "expected a string value, got a boolean",
                 id="Pod annotation with a boolean value"),
    pytest.param("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
                 "    metadata:\n      labels:\n        version: 2\n", 8, "spec.template.metadata.labels.version",
                 "expected a string value, got an integer", id="Deployment pod template label with an integer value"),
    pytest.param("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n    istio-injection: yes\n",
                 6, "metadata.labels.istio-injection", "expected a string value, got a boolean",
                 id="Namespace label yes read as a boolean"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n- name: a\n", 3, "metadata",
                 "expected a mapping, got a list", id="metadata is a list"),
    pytest.param("apiVersion: v1\nkind: Service\nmetadata: just-a-name\n", 3, "metadata",
                 "expected a mapping, got a string", id="metadata is a string"),
    pytest.param(SIDECAR_HEAD + "spec:\n- egress: []\n", 6, "spec", "expected a mapping, got a list",
                 id="Sidecar spec is a list"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: 5\n", 4, "spec",
                 "expected a mapping, got an integer", id="Pod spec is an integer"),
    pytest.param("apiVersion: networking.istio.io/v2\nkind: Sidecar\nmetadata: {name: s}\n", 1, "apiVersion",
                 "unknown apiVersion 'networking.istio.io/v2' for kind Sidecar", id="Sidecar with unknown apiVersion v2"),
    pytest.param("kind: Deployment\napiVersion: apps/v2\nmetadata: {name: d}\n", 2, "apiVersion",
                 "unknown apiVersion 'apps/v2' for kind Deployment", id="Deployment with unknown apiVersion"),
    pytest.param("kind: Sidecar\nmetadata: {name: s}\n", 1, "apiVersion", "unknown apiVersion None",
                 id="Sidecar without apiVersion"),
    pytest.param("apiVersion: v1\nmetadata: {name: a}\n", 1, "kind", "needs a kind", id="no kind at all"),
    pytest.param("apiVersion: v1\nkind: [Pod]\nmetadata: {name: a}\n", 2, "kind", "expected a string, got a list",
                 id="kind is a list"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\n", 3, "metadata.name",
                 "metadata.name is required", id="missing metadata.name points at metadata"),
    pytest.param("apiVersion: v1\nkind: Service\n", 1, "metadata.name", "metadata.name is required",
                 id="missing metadata altogether points at the document"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ''\n", 4, "metadata.name",
                 "metadata.name is required", id="empty metadata.name"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: 7\n", 4, "metadata.name",
                 "expected a string, got an integer", id="metadata.name is an integer"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: [x]\n", 5, "metadata.namespace",
                 "expected a string, got a list", id="metadata.namespace is a list"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: yesterday\n", 5,
                 "metadata.creationTimestamp", "invalid timestamp 'yesterday'", id="invalid creationTimestamp"),
    pytest.param(SIDECAR_HEAD + "  creationTimestamp: '2025-13-01T10:00:00Z'\n", 6, "metadata.creationTimestamp",
                 "invalid timestamp", id="Sidecar creationTimestamp with month 13"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: '2025-06-01'\n", 5,
                 "metadata.creationTimestamp", "invalid timestamp '2025-06-01'", id="creationTimestamp date only"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: 2025-06-01 10:00:00\n",
                 5, "metadata.creationTimestamp", "invalid timestamp", id="creationTimestamp without a time zone"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: '20250601T100000Z'\n",
                 5, "metadata.creationTimestamp", "invalid timestamp", id="creationTimestamp in ISO basic format"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: '2025-06-01T24:00:00Z'\n",
                 5, "metadata.creationTimestamp", "invalid timestamp", id="creationTimestamp hour 24"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: 12\n", 5,
                 "metadata.creationTimestamp", "got an integer", id="creationTimestamp is a number"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n", 5, None, "duplicate key 'name'",
                 id="duplicate key in metadata"),
    pytest.param("apiVersion: v1\nkind: Pod\nkind: Service\nmetadata: {name: a}\n", 3, None, "duplicate key 'kind'",
                 id="duplicate top-level key"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: !!python/object:os.system {name: a}\n", 3, None,
                 "unsupported YAML tag", id="python object tag refused"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: !!python/name:os.system ''\n", 4, None,
                 "unsupported YAML tag", id="python name tag refused"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: !custom a\n", 4, None, "unsupported YAML tag",
                 id="local custom tag refused"),
    pytest.param("base: &b {name: a}\napiVersion: v1\nkind: Pod\nmetadata:\n  <<: *b\n", 5, None, "merge keys",
                 id="YAML merge key refused"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: [\n", 6, None, "invalid YAML",
                 id="unclosed flow sequence at end of file"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: indent\n", 5, None, "invalid YAML",
                 id="bad indentation"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", 4, None, "invalid YAML",
                 id="tab used for indentation"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: *nope}\n", 3, None, "invalid YAML",
                 id="undefined alias"),
    pytest.param("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - name: http\n"
                 "    port: '80'\n", 7, "spec.ports[0].port", "expected an integer, got a string",
                 id="Service port number given as a string"),
    pytest.param("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - name: http\n", 6,
                 "spec.ports[0]", "missing field: port", id="Service port without a number"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n"
                 "    ports:\n    - containerPort: http\n", 8, "spec.containers[0].ports[0].containerPort",
                 "expected an integer, got a string", id="Pod containerPort is a name"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se}\nspec:\n"
                 "  hosts: example.com\n", 5, "spec.hosts", "expected a list, got a string",
                 id="ServiceEntry hosts is a string"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n"
                 "  hosts: [a]\n  http:\n  - route:\n    - destination:\n        host: 5\n", 9,
                 "spec.http[0].route[0].destination.host", "expected a string, got an integer",
                 id="VirtualService destination host is a number"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n"
                 "  hosts: [a]\n  http:\n  - match:\n    - /api\n", 8, "spec.http[0].match[0]",
                 "expected a mapping, got a string", id="VirtualService match is a string"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n"
                 "  hosts: [a]\n  http:\n  - directResponse: {body: {string: x}}\n", 7,
                 "spec.http[0].directResponse", "missing field: status", id="VirtualService directResponse without status"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr}\nspec:\n"
                 "  subsets: []\n", 4, "spec.host", "a DestinationRule needs a host",
                 id="DestinationRule without a host"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr}\nspec:\n"
                 "  host: a\n  subsets:\n  - labels: {version: v1}\n", 7, "spec.subsets[0]", "missing field: name",
                 id="DestinationRule subset without a name"),
    pytest.param("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
                 "  parentRefs:\n  - cart\n", 6, "spec.parentRefs[0]", "expected a mapping, got a string",
                 id="HTTPRoute parentRef is a string"),
    pytest.param("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
                 "  rules:\n  - backendRefs:\n    - {name: cart, port: http}\n", 7, "spec.rules[0].backendRefs[0].port",
                 "expected an integer, got a string", id="HTTPRoute backend port is a name"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
                 "  mesh: |\n    outboundTrafficPolicy:\n      mode: SOMETIMES\n", 5, "data.mesh",
                 "unknown outbound traffic mode 'SOMETIMES'", id="mesh config with an unknown outbound mode"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
                 "  mesh: '[unclosed'\n", 5, "data.mesh", "invalid mesh config", id="mesh config that is not YAML"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
                 "  mesh: |\n    outboundTrafficPolicy: [REGISTRY_ONLY]\n", 5, "data.mesh",
                 "expected a mapping, got a list", id="mesh config outboundTrafficPolicy is a list"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
                 "  mesh: |\n    outboundTrafficPolicy: []\n", 5, "data.mesh", "expected a mapping, got a list",
                 id="mesh config outboundTrafficPolicy is an empty list"),
    pytest.param("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: op}\nspec:\n"
                 "  meshConfig:\n    outboundTrafficPolicy: false\n", 6, "spec.meshConfig.outboundTrafficPolicy",
                 "expected a mapping, got a boolean", id="IstioOperator outboundTrafficPolicy is false"),
    pytest.param("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n"
                 "    targetPort: true\n", 7, "spec.ports[0].targetPort", "expected an integer or a string, got a boolean",
                 id="Service targetPort is a boolean"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
                 "  mesh: |\n    rootNamespace: 5\n", 5, "data.mesh", "rootNamespace: expected a string",
                 id="mesh config rootNamespace is a number"),
    pytest.param("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: op}\nspec:\n"
                 "  meshConfig:\n    outboundTrafficPolicy:\n      mode: allow_any\n", 7,
                 "spec.meshConfig.outboundTrafficPolicy.mode", "unknown outbound traffic mode 'allow_any'",
                 id="IstioOperator meshConfig with a lowercase mode"),
]


@pytest.mark.parametrize("text, line, field, words", BAD_DOCUMENTS)
def test_bad_document_names_file_line_and_field(text, line, field, words):
    err = _raises(text, "bad.yaml")
    _assert_names(err, "bad.yaml", line, field, words)


def test_bad_document_in_a_file_names_the_path(tmp_path):
    path = tmp_path / "sidecars.yaml"
    path.write_text(SIDECAR_HEAD + "spec:\n  egress:\n  - hosts: '*/*'\n", encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load([str(path)])
    _assert_names(info.value, str(path), 8, "spec.egress[0].hosts", "expected a list, got a string")


def test_bad_document_inside_a_list_points_at_the_item_field():
    text = ("apiVersion: v1\nkind: List\nitems:\n"
            "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n"
            "- apiVersion: networking.istio.io/v1\n  kind: Sidecar\n  metadata: {name: s}\n"
            "  spec:\n    egress:\n    - hosts: '*/*'\n")
    err = _raises(text)
    _assert_names(err, "bad.yaml", 12, "items[1].spec.egress[0].hosts", "expected a list, got a string")


# ---------------------------------------------------------------------------
# Alias bombs
# ---------------------------------------------------------------------------

def _laughs(levels: int, width: int = 9) -> str:
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly():
    text = _laughs(9)  # 9**9 (387 million) strings once expanded
    start = time.perf_counter()
    err = _raises(text, "bomb.yaml")
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"took {elapsed:.2f}s to refuse an alias bomb"
    # l6 (line 7) expands to 9**6 = 531,441 nodes; l7 (line 8) passes 1,000,000 at its second alias of l6.
    # An alias is the anchored node itself in PyYAML, so the error may name either line: the anchor or its user.
    err_line = err.line
    assert err_line in (7, 8), str(err)
    _assert_names(err, "bomb.yaml", err_line, None, "alias bomb")


def test_billion_laughs_inside_a_manifest_is_refused():
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n" + "".join(
        "    " + line + "\n" for line in _laughs(9).splitlines())
    err = _raises(text)
    assert err.file == "bad.yaml" and err.line in (12, 13) and "alias" in err.message  # l6 or l7, as above


def test_moderate_alias_use_is_accepted():
    # 9**4 = 6,561 nodes: well inside the budget, and aliases of mappings are legitimate YAML.
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n"
            "    labels: &labels {app: a}\n  spec:\n    x: &x [1, 2]\n    y: [*x, *x]\n"
            "- apiVersion: v1\n  kind: Pod\n  metadata: {name: b, labels: *labels}\n---\n"
            + _laughs(4) + "kind: NotARealKind\n")
    mesh = load_text(text)
    assert {w.name: dict(w.labels) for w in mesh.workloads} == {"a": {"app": "a"}, "b": {"app": "a"}}


# ---------------------------------------------------------------------------
# Files, directories, standard input
# ---------------------------------------------------------------------------



def _pod(name: str, label: str) -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: n\n  labels:\n    from: {label}\n"


def test_missing_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ManifestError) as info:
        load([str(path)])
    err = info.value
    assert err.file == str(path) and err.line is None
    assert str(err) == f"{path}: no such file"


@pytest.mark.parametrize("raw, line, words", [
    pytest.param(b"apiVersion: v1\nkind: Pod\n\x00\x01\x02binary", None, "binary file",
                 id="NUL bytes: a binary file"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "binary file", id="a PNG image"),
    pytest.param(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n", 4, "not UTF-8",
                 id="Latin-1 text, not UTF-8, on line 4"),
    pytest.param(b"\xff\xfea\x00p\x00i\x00", None, "binary file", id="UTF-16 text"),
    pytest.param(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\x1b[31m\n", 4, "control characters",
                 id="terminal escape codes on line 4"),
])
def test_unreadable_file_is_an_error(tmp_path, raw, line, words):
    path = tmp_path / "blob.yaml"
    path.write_bytes(raw)
    with pytest.raises(ManifestError) as info:
        load([str(path)])
    _assert_names(info.value, str(path), line, None, words)


def test_utf8_with_bom_and_crlf_line_ends_is_read(tmp_path):
    path = tmp_path / "windows.yaml"
    path.write_bytes("\ufeffapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: café\r\n".encode("utf-8"))
    mesh = load([str(path)])
    assert [w.name for w in mesh.workloads] == ["café"]
    assert mesh.workloads[0].source.line == 4


def test_directory_reads_yaml_and_json_files_in_sorted_order_and_ignores_others(tmp_path):
    d = tmp_path / "manifests"
    (d / "sub").mkdir(parents=True)
    (d / "b.yml").write_text(_pod("a", "b-yml"), encoding="utf-8")
    (d / "a.yaml").write_text(_pod("a", "a-yaml") + "---\n" + _pod("only-a", "x"), encoding="utf-8")
    (d / "sub" / "c.yaml").write_text(_pod("a", "sub-c"), encoding="utf-8")
    # kubectl apply -f DIR reads *.json too
    (d / "c.json").write_text('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "from-json", '
                              '"namespace": "n"}}', encoding="utf-8")
    (d / "notes.txt").write_text(": not yaml [", encoding="utf-8")
    (d / "README.md").write_text("# readme\n", encoding="utf-8")
    (d / "x.yaml.bak").write_bytes(b"\x00\x01")
    expected = [str(d / "a.yaml"), str(d / "b.yml"), str(d / "c.json"), str(d / "sub" / "c.yaml")]
    assert manifest_files([str(d)]) == expected
    mesh = load([str(d)])
    assert list(mesh.origins) == expected
    # The same Pod three times: the last file in sorted order wins, and each replacement is noted.
    pods = {w.name: w for w in mesh.workloads}
    assert set(pods) == {"a", "only-a", "from-json"}
    assert pods["a"].labels["from"] == "sub-c"
    assert pods["a"].source.file == str(d / "sub" / "c.yaml")
    assert pods["from-json"].source == Source(str(d / "c.json"), 2)
    assert len(mesh.notes) == 2 and all("Pod n/a is defined twice" in n for n in mesh.notes)


def test_directory_and_files_keep_the_order_given(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.yaml").write_text(_pod("a", "dir"), encoding="utf-8")
    (tmp_path / "later.yaml").write_text(_pod("a", "file"), encoding="utf-8")
    mesh = load([str(tmp_path / "later.yaml"), str(tmp_path / "d")])
    assert mesh.workloads[0].labels["from"] == "dir"
    mesh = load([str(tmp_path / "d"), str(tmp_path / "later.yaml")])
    assert mesh.workloads[0].labels["from"] == "file"


def test_a_comment_only_file_gives_an_empty_mesh(tmp_path):
    (tmp_path / "comments.yaml").write_text("# nothing here\n---\n# nor here\n", encoding="utf-8")
    mesh = load([str(tmp_path / "comments.yaml")])
    assert (mesh.namespaces, mesh.workloads, mesh.services, mesh.sidecars) == ((), (), (), ())


def test_bad_file_inside_a_directory_is_named(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a", "ok"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n", encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load([str(tmp_path)])
    assert info.value.file == str(tmp_path / "b.yaml")
    assert str(info.value).startswith(f"{tmp_path / 'b.yaml'}:")


@pytest.mark.parametrize("stream", [
    pytest.param(lambda t: io.StringIO(t), id="text stream"),
    pytest.param(lambda t: io.BytesIO(t.encode("utf-8")), id="bytes stream"),
    pytest.param(lambda t: io.TextIOWrapper(io.BytesIO(t.encode("utf-8")), encoding="utf-8"),
                 id="text wrapper over bytes, like sys.stdin"),
])
def test_stdin_is_read_for_dash(stream):
    mesh = load(["-"], stdin=stream(_pod("from-stdin", "stdin")))
    assert [w.name for w in mesh.workloads] == ["from-stdin"]
    assert mesh.workloads[0].source.file == "<stdin>"
    assert mesh.origins == ("<stdin>",)


@pytest.mark.parametrize("stream, line, words", [
    pytest.param(io.StringIO("apiVersion: v1\nkind: Pod\nmetadata: [\n"), 4, "invalid YAML", id="bad YAML as text"),
    pytest.param(io.BytesIO(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xff\n"), 4, "not UTF-8",
                 id="non-UTF-8 bytes"),
    pytest.param(io.BytesIO(b"\x00\x00binary"), None, "binary file", id="binary bytes"),
])
def test_bad_stdin_is_named_stdin(stream, line, words):
    with pytest.raises(ManifestError) as info:
        load(["-"], stdin=stream)
    _assert_names(info.value, "<stdin>", line, None, words)


def test_stdin_combines_with_files(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a", "file"), encoding="utf-8")
    mesh = load([str(tmp_path / "a.yaml"), "-"], stdin=io.StringIO(_pod("b", "stdin")))
    assert sorted(w.name for w in mesh.workloads) == ["a", "b"]


def test_a_single_path_string_is_accepted(tmp_path):
    (tmp_path / "a.yaml").write_text(_pod("a", "file"), encoding="utf-8")
    assert [w.name for w in load(str(tmp_path / "a.yaml")).workloads] == ["a"]
    assert [w.name for w in load(tmp_path / "a.yaml").workloads] == ["a"]


# ---------------------------------------------------------------------------
# Good input: what ends up in the model
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    pytest.param("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: n}\n", id="ServiceAccount"),
    pytest.param("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr}\n"
                 "spec:\n  host: a\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n", id="DestinationRule"),
    pytest.param("apiVersion: something/v9\nkind: Widget\nmetadata: [not, a, mapping]\nspec: 5\n",
                 id="an unknown kind whose metadata and spec are malformed"),
    pytest.param("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: dmFsdWU=}\n", id="Secret"),
    pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-istio}\ndata:\n  mesh: '[broken'\n",
                 id="a ConfigMap not named istio, even with a broken mesh key"),
])
def test_unknown_kinds_are_skipped_silently(text):
    mesh = load_text(text)
    assert (mesh.namespaces, mesh.workloads, mesh.services, mesh.service_entries, mesh.virtual_services,
            mesh.sidecars, mesh.notes) == ((), (), (), (), (), (), ())
    assert mesh.mesh_config.outbound_mode == ALLOW_ANY


def test_list_with_items_is_read_like_separate_documents():
    text = ("apiVersion: v1\nkind: List\nitems:\n"
            "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: n}\n"
            "- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: sa}\n"
            "- apiVersion: v1\n  kind: Service\n  metadata: {name: s, namespace: n}\n"
            "  spec: {ports: [{port: 80, name: http}]}\n"
            "- apiVersion: networking.istio.io/v1beta1\n  kind: Sidecar\n  metadata: {name: sc, namespace: n}\n"
            "  spec:\n    egress:\n    - hosts:\n      - ./*\n")
    mesh = load_text(text, "list.yaml")
    assert [(w.namespace, w.name) for w in mesh.workloads] == [("n", "p")]
    assert [(s.namespace, s.name) for s in mesh.services] == [("n", "s")]
    (sidecar,) = mesh.sidecars
    assert sidecar.api_version == "networking.istio.io/v1beta1"
    assert sidecar.source.file == "list.yaml" and sidecar.source.line == 16
    # Positions inside a List item are relative to the object: the path starts at spec.
    assert sidecar.line_of(("spec", "egress", 0, "hosts", 0)) == 20


@pytest.mark.parametrize("text", [
    pytest.param("apiVersion: v1\nkind: List\nitems: []\n", id="empty items"),
    pytest.param("apiVersion: v1\nkind: List\n", id="no items"),
    pytest.param("apiVersion: v1\nkind: PodList\nitems: []\n", id="a typed list"),
])
def test_empty_lists_are_fine(text):
    assert load_text(text).workloads == ()


@pytest.mark.parametrize("metadata, namespace", [
    pytest.param("{name: a}", "default", id="missing namespace is default"),
    pytest.param("{name: a, namespace: null}", "default", id="null namespace is default"),
    pytest.param("{name: a, namespace: team}", "team", id="namespace as written"),
])
def test_namespace_defaults_to_default(metadata, namespace):
    text = (f"apiVersion: v1\nkind: Pod\nmetadata: {metadata}\n---\n"
            f"apiVersion: v1\nkind: Service\nmetadata: {metadata}\n---\n"
            f"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {metadata}\n")
    mesh = load_text(text)
    assert {mesh.workloads[0].namespace, mesh.services[0].namespace, mesh.sidecars[0].namespace} == {namespace}


def test_namespace_objects_are_cluster_scoped():
    mesh = load_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istioinaction\n  namespace: ignored\n"
                     "  labels: {istio-injection: enabled, istio.io/rev: canary}\n")
    (ns,) = mesh.namespaces
    assert (ns.name, ns.injection_label, ns.revision, ns.ambient) == ("istioinaction", "enabled", "canary", False)


@pytest.mark.parametrize("written, seconds", [
    pytest.param("'2025-06-01T10:00:00Z'", 1748772000.0, id="UTC with Z"),
    pytest.param("'2025-06-01T10:00:00.999Z'", 1748772000.0, id="fraction dropped, not rounded"),
    pytest.param("2025-06-01T10:00:00.5Z", 1748772000.0, id="unquoted YAML timestamp"),
    pytest.param("'2025-06-01T19:00:00+09:00'", 1748772000.0, id="offset +09:00"),
    pytest.param("'2025-06-01t10:00:00z'", 1748772000.0, id="lowercase t and z"),
    pytest.param("'2025-06-01T10:00:00.123456789Z'", 1748772000.0, id="nanoseconds"),
    pytest.param("'1969-12-31T23:59:59Z'", -1.0, id="before the epoch"),
    pytest.param("null", 0.0, id="null is the shared default instant"),
])
def test_creation_timestamp_is_whole_seconds(written, seconds):
    text = (f"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
            f"  creationTimestamp: {written}\n---\n"
            f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: {written}\n")
    mesh = load_text(text)
    assert mesh.sidecars[0].created == seconds
    assert mesh.workloads[0].created == seconds


def test_missing_creation_timestamp_is_the_same_instant_for_all():
    text = "\n---\n".join(f"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: {n}}}"
                          for n in ("b", "a"))
    mesh = load_text(text)
    assert [s.created for s in mesh.sidecars] == [0.0, 0.0]
    assert [s.created_text for s in mesh.sidecars] == [None, None]
    assert sorted(mesh.sidecars, key=lambda s: s.order_key())[0].name == "a"


def test_sidecar_keeps_the_timestamp_as_written():
    mesh = load_text(SIDECAR_HEAD + "  creationTimestamp: '2025-06-01T10:08:00Z'\n")
    assert mesh.sidecars[0].created_text == "2025-06-01T10:08:00Z"
    assert mesh.sidecars[0].created == 1748772480.0


MESH_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n"


@pytest.mark.parametrize("mesh_text, mode, root, from_default", [
    pytest.param("    outboundTrafficPolicy:\n      mode: REGISTRY_ONLY\n", REGISTRY_ONLY, "istio-system", False,
                 id="REGISTRY_ONLY"),
    pytest.param("    outboundTrafficPolicy:\n      mode: ALLOW_ANY\n", ALLOW_ANY, "istio-system", False,
                 id="ALLOW_ANY written out"),
    pytest.param("    outboundTrafficPolicy: {}\n", REGISTRY_ONLY, "istio-system", False,
                 id="empty outboundTrafficPolicy is the protobuf zero, REGISTRY_ONLY"),
    pytest.param("    trustDomain: cluster.local\n", ALLOW_ANY, "istio-system", True,
                 id="no outboundTrafficPolicy is ALLOW_ANY"),
    pytest.param("    rootNamespace: istio-config\n    outboundTrafficPolicy:\n      mode: REGISTRY_ONLY\n",
                 REGISTRY_ONLY, "istio-config", False, id="rootNamespace"),
    pytest.param("    # only a comment\n", ALLOW_ANY, "istio-system", True, id="comment-only mesh config"),
])
def test_mesh_config_from_the_istio_configmap(mesh_text, mode, root, from_default):
    mesh = load_text(MESH_CM + mesh_text, "cm.yaml")
    assert mesh.mesh_config.outbound_mode == mode
    assert mesh.mesh_config.root_namespace == root
    if from_default:
        assert mesh.mesh_config.outbound_mode_from == "default"
    else:
        assert "ConfigMap istio-system/istio" in mesh.mesh_config.outbound_mode_from
        assert "cm.yaml:4" in mesh.mesh_config.outbound_mode_from


@pytest.mark.parametrize("mesh_config, mode, root", [
    pytest.param("{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}", REGISTRY_ONLY, "istio-system",
                 id="REGISTRY_ONLY"),
    pytest.param("{rootNamespace: cfg, outboundTrafficPolicy: {}}", REGISTRY_ONLY, "cfg", id="empty policy and root"),
    pytest.param("{accessLogFile: /dev/stdout}", ALLOW_ANY, "istio-system", id="no policy"),
])
def test_mesh_config_from_an_istio_operator(mesh_config, mode, root):
    text = ("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n"
            f"metadata: {{name: installed, namespace: istio-system}}\nspec:\n  meshConfig: {mesh_config}\n")
    mesh = load_text(text)
    assert (mesh.mesh_config.outbound_mode, mesh.mesh_config.root_namespace) == (mode, root)


def test_configmap_wins_over_istio_operator_with_a_note():
    text = (MESH_CM + "    outboundTrafficPolicy: {mode: ALLOW_ANY}\n---\n"
            "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: op}\n"
            "spec: {meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}}\n")
    mesh = load_text(text)
    assert mesh.mesh_config.outbound_mode == ALLOW_ANY
    assert any("ConfigMap" in n and "IstioOperator" in n for n in mesh.notes)


CONTROLLER = """apiVersion: {api}
kind: {kind}
metadata:
  name: web
  namespace: shop
  labels: {{owner: team-a}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web, version: v2}}
      annotations: {{sidecar.istio.io/inject: "true"}}
    spec:
      containers:
      - name: web
        ports:
        - {{containerPort: 8080, name: http}}
"""


@pytest.mark.parametrize("kind, api", [
    pytest.param("Deployment", "apps/v1", id="Deployment"),
    pytest.param("StatefulSet", "apps/v1", id="StatefulSet"),
    pytest.param("DaemonSet", "apps/v1", id="DaemonSet"),
    pytest.param("ReplicaSet", "apps/v1", id="ReplicaSet"),
])
def test_controllers_are_workloads_with_the_pod_template_labels(kind, api):
    mesh = load_text(CONTROLLER.format(kind=kind, api=api), "ctl.yaml")
    (w,) = mesh.workloads
    assert (w.kind, w.namespace, w.name) == (kind, "shop", "web")
    assert dict(w.labels) == {"app": "web", "version": "v2"}
    assert dict(w.object_labels) == {"owner": "team-a"}
    assert dict(w.annotations) == {"sidecar.istio.io/inject": "true"}
    assert [(p.container_port, p.name) for p in w.ports] == [(8080, "http")]
    assert w.source.file == "ctl.yaml" and w.source.line == 4


def test_pod_fields():
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: sleep\n  namespace: istioinaction\n"
            "  labels: {run: sleep}\n  annotations: {a: b}\nspec:\n  containers:\n  - name: sleep\n"
            "  - name: istio-proxy\nstatus:\n  podIP: 10.10.0.14\n")
    (w,) = load_text(text).workloads
    assert (w.kind, dict(w.labels), dict(w.annotations), w.pod_ip) == ("Pod", {"run": "sleep"}, {"a": "b"},
                                                                       "10.10.0.14")
    assert w.has_proxy_container is True


def test_service_fields():
    text = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: data\n"
            "  annotations: {networking.istio.io/exportTo: '., istio-system'}\n"
            "spec:\n  clusterIP: None\n  selector: {app: db}\n  ports:\n"
            "  - {name: tcp-pg, port: 5432, targetPort: pg, appProtocol: postgresql}\n")
    (s,) = load_text(text).services
    assert s.headless and dict(s.selector) == {"app": "db"} and s.export_to == (".", "istio-system")
    assert [(p.port, p.name, p.target_port, p.app_protocol) for p in s.ports] == [
        (5432, "tcp-pg", "pg", "postgresql")]


@pytest.mark.parametrize("kind, api, table", [
    pytest.param("Pod", "v1", "workloads", id="Pod"),
    pytest.param("Service", "v1", "services", id="Service"),
    pytest.param("Sidecar", "networking.istio.io/v1", "sidecars", id="Sidecar"),
    pytest.param("ServiceEntry", "networking.istio.io/v1", "service_entries", id="ServiceEntry"),
    pytest.param("VirtualService", "networking.istio.io/v1", "virtual_services", id="VirtualService"),
])
def test_same_object_twice_later_wins_with_a_note(kind, api, table):
    first = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n  namespace: n\n  annotations: {{v: first}}\n"
    second = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n  namespace: n\n  annotations: {{v: second}}\n"
    mesh = load_text(first + "---\n" + second, "dup.yaml")
    objects = getattr(mesh, table)
    assert len(objects) == 1
    assert objects[0].source.line == 11  # the second object's metadata.name
    (note,) = mesh.notes
    assert f"{kind} n/x is defined twice" in note
    assert "dup.yaml:4" in note and "dup.yaml:11" in note


def test_same_name_in_other_namespaces_or_kinds_is_not_a_duplicate():
    text = "\n---\n".join([
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: a}",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: b}",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: a}",
    ])
    mesh = load_text(text)
    assert len(mesh.workloads) == 3 and mesh.notes == ()


SIDECAR_WITH_POSITIONS = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: workload
  namespace: istioinaction
spec:
  workloadSelector:
    labels:
      run: sleep
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
  egress:
  - port:
      number: 8000
      protocol: HTTP
    hosts:
    - "istioinaction/*"
    - "./httpbin.default.svc.cluster.local"
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
    connectionPool:
      tcp: {maxConnections: 10}
"""


@pytest.mark.parametrize("path, line", [
    pytest.param(("spec",), 6, id="spec"),
    pytest.param(("spec", "workloadSelector", "labels", "run"), 9, id="selector label"),
    pytest.param(("spec", "outboundTrafficPolicy", "mode"), 11, id="mode"),
    pytest.param(("spec", "egress", 0), 13, id="first egress entry"),
    pytest.param(("spec", "egress", 0, "port", "number"), 14, id="egress port number"),
    pytest.param(("spec", "egress", 0, "hosts", 0), 17, id="first host"),
    pytest.param(("spec", "egress", 0, "hosts", 1), 18, id="second host"),
    pytest.param(("spec", "ingress", 0, "defaultEndpoint"), 21, id="ingress defaultEndpoint"),
    pytest.param(("spec", "ingress", 0, "connectionPool", "tcp", "maxConnections"), 23, id="flow mapping field"),
    pytest.param(("spec", "egress", 0, "hosts", 7), 16, id="a missing index falls back to its parent"),
    pytest.param(("spec", "nothing"), 6, id="a missing field falls back to spec"),
])
def test_sidecar_keeps_its_raw_spec_and_positions(path, line):
    (sidecar,) = load_text(SIDECAR_WITH_POSITIONS, "sc.yaml").sidecars
    assert sidecar.line_of(path) == line
    assert sidecar.source.file == "sc.yaml" and sidecar.source.line == 4


def test_sidecar_raw_spec_and_typed_spec():
    (sidecar,) = load_text(SIDECAR_WITH_POSITIONS).sidecars
    assert sidecar.raw_spec["egress"][0]["hosts"] == ["istioinaction/*", "./httpbin.default.svc.cluster.local"]
    assert sidecar.raw_spec["ingress"][0]["connectionPool"] == {"tcp": {"maxConnections": 10}}
    spec = sidecar.spec
    assert dict(spec.workload_selector) == {"run": "sleep"}
    assert spec.outbound_traffic_policy.mode == REGISTRY_ONLY
    assert spec.egress[0].hosts == ("istioinaction/*", "./httpbin.default.svc.cluster.local")
    assert (spec.egress[0].port.number, spec.egress[0].port.protocol) == (8000, "HTTP")
    assert spec.ingress[0].default_endpoint == "127.0.0.1:8080"
    assert sidecar.api_version == "networking.istio.io/v1"


@pytest.mark.parametrize("spec_text, selector, egress, otp_mode", [
    pytest.param("", None, None, None, id="no spec at all"),
    pytest.param("spec:\n", None, None, None, id="null spec counts as empty"),
    pytest.param("spec: {}\n", None, None, None, id="empty spec"),
    pytest.param("spec:\n  workloadSelector: {}\n", {}, None, None, id="empty selector is still a selector"),
    pytest.param("spec:\n  egress: []\n", None, (), None, id="empty egress list is not absent"),
    pytest.param("spec:\n  outboundTrafficPolicy: {}\n", None, None, REGISTRY_ONLY,
                 id="empty outboundTrafficPolicy means REGISTRY_ONLY"),
])
def test_sidecar_spec_shapes(spec_text, selector, egress, otp_mode):
    (sidecar,) = load_text(SIDECAR_HEAD + spec_text).sidecars
    spec = sidecar.spec
    assert (None if spec.workload_selector is None else dict(spec.workload_selector)) == selector
    assert spec.egress == egress
    assert (spec.outbound_traffic_policy.effective_mode if spec.outbound_traffic_policy else None) == otp_mode


@pytest.mark.parametrize("api", ["networking.istio.io/v1", "networking.istio.io/v1beta1",
                                 "networking.istio.io/v1alpha3"])
def test_every_served_sidecar_version_is_read(api):
    (sidecar,) = load_text(f"apiVersion: {api}\nkind: Sidecar\nmetadata: {{name: s}}\n").sidecars
    assert sidecar.api_version == api


# ---------------------------------------------------------------------------
# The seed lab
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("step, sidecars", [
    pytest.param("01-no-sidecar", [], id="01 no sidecar"),
    pytest.param("02-root-registry-only", ["istio-system/default"], id="02 root registry only"),
    pytest.param("03-namespace-allow-any", ["istio-system/default", "istioinaction/default"],
                 id="03 namespace allow any"),
    pytest.param("04-namespace-registry-only", ["istio-system/default", "istioinaction/default"],
                 id="04 namespace registry only"),
    pytest.param("05-workload-allow-any", ["istio-system/default", "istioinaction/default",
                                           "istioinaction/workload"], id="05 workload allow any"),
    pytest.param("06-workload-hosts", ["istio-system/default", "istioinaction/default", "istioinaction/workload"],
                 id="06 workload hosts"),
])
def test_seed_cluster_with_each_step(step, sidecars):
    mesh = load([str(SEED / "cluster"), str(SEED / "steps" / step)])
    assert sorted(ns.name for ns in mesh.namespaces) == ["default", "istio-system", "istioinaction"]
    assert sorted(f"{w.kind}:{w.namespace}/{w.name}" for w in mesh.workloads) == [
        "Deployment:default/httpbin", "Deployment:istio-system/istio-ingressgateway",
        "Deployment:istio-system/istiod", "Deployment:istioinaction/httpbin", "Pod:istioinaction/sleep"]
    assert sorted(f"{s.namespace}/{s.name}" for s in mesh.services) == [
        "default/httpbin", "istio-system/istio-ingressgateway", "istio-system/istiod", "istioinaction/httpbin"]
    assert sorted(f"{s.namespace}/{s.name}" for s in mesh.sidecars) == sidecars
    assert mesh.mesh_config.outbound_mode == ALLOW_ANY and mesh.mesh_config.root_namespace == "istio-system"
    assert mesh.notes == ()
    assert all(s.api_version == "networking.istio.io/v1alpha3" for s in mesh.sidecars)


def test_seed_step_06_workload_sidecar_in_detail():
    mesh = load([str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")])
    sidecar = {(s.namespace, s.name): s for s in mesh.sidecars}[("istioinaction", "workload")]
    assert sidecar.spec.egress[0].hosts == ("istioinaction/*",)
    assert dict(sidecar.spec.workload_selector) == {"run": "sleep"}
    assert sidecar.created == 1748772960.0  # 2025-06-01T10:16:00Z
    assert sidecar.source.file == os.path.join(str(SEED / "steps" / "06-workload-hosts"), "sidecars.yaml")
    assert sidecar.line_of(("spec", "egress", 0, "hosts", 0)) == 37
    sleep = mesh.workload("istioinaction", "sleep")
    assert sleep.pod_ip == "10.10.0.14" and dict(sleep.labels) == {"run": "sleep"}
    gateway = mesh.workload("istio-system", "istio-ingressgateway")
    assert gateway.is_gateway and gateway.kind == "Deployment"


@pytest.mark.parametrize("text", [
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n", id="a trailing document separator"),
    pytest.param("---\n# Source: chart/templates/empty.yaml\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
                 id="a document holding only a comment, as helm template writes"),
    pytest.param("---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n...\n", id="separators and an end marker"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nnull\n", id="an explicit null document"),
    pytest.param("--- ~\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n--- ~\n", id="--- ~ documents"),
    pytest.param("--- !!null\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n--- Null\n", id="tagged and capitalised nulls"),
])
def test_empty_and_null_documents_are_skipped_as_kubectl_StreamVisitor(text):
    assert [w.name for w in load_text(text).workloads] == ["a"]


@pytest.mark.parametrize("text, line", [
    pytest.param("---\n''\n", 2, id="an empty quoted string document"),
    pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n'~'\n", 5, id="a quoted tilde is a string"),
    pytest.param("---\n[]\n", 2, id="an empty list document"),
])
def test_written_non_mapping_documents_are_still_refused(text, line):
    err = _raises(text)
    _assert_names(err, "bad.yaml", line, None, "a manifest must be a mapping")


def test_a_str_subclass_is_read_like_a_str():
    class Block(str):
        pass

    mesh = load_objects([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio",
                          "namespace": "istio-system"},
                          "data": {"mesh": Block("outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n")}}])
    assert mesh.mesh_config.outbound_mode == "REGISTRY_ONLY"
