"""Property tests: Istio's host-name rules, and a loader that never fails with anything but ManifestError."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sidecar_lab.core.errors import ManifestError
from sidecar_lab.core.hosts import matches, subset_of
from sidecar_lab.core.loader import KNOWN_API_VERSIONS, load, load_text
from sidecar_lab.core.model import Mesh

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------
# (a) Host names: Name.SubsetOf and Name.Matches of istio/pkg/config/host
# ---------------------------------------------------------------------------

# A few fixed labels make collisions (equal hosts, shared suffixes) common; random ones keep it honest.
LABELS = st.one_of(st.sampled_from(["a", "b", "c", "ab", "svc", "default", "cluster", "local", "com", "example"]),
                   st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True))
EXACT = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
WILDCARD = st.one_of(st.just("*"), EXACT.map(lambda h: "*." + h))
HOST = st.one_of(EXACT, WILDCARD)


def reference_subset_of(host: str, pattern: str) -> bool:
    """Istio's rule, written from its description rather than from our code.

    ``*`` matches every name. ``*.suffix`` matches the names that end in ``.suffix``
    (at least one more label in front) and the wildcards at least as narrow as it
    (``*.x.suffix`` or ``*.suffix`` itself). An exact name matches only itself.
    """
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        suffix_labels = pattern[2:].split(".")
        if host == "*":
            return False
        if host.startswith("*."):
            labels = host[2:].split(".")
            return len(labels) >= len(suffix_labels) and labels[len(labels) - len(suffix_labels):] == suffix_labels
        labels = host.split(".")
        return len(labels) > len(suffix_labels) and labels[len(labels) - len(suffix_labels):] == suffix_labels
    return host == pattern


@SETTINGS
@given(HOST)
def test_a_host_is_a_subset_of_itself(h):
    assert subset_of(h, h)


@SETTINGS
@given(HOST)
def test_every_host_is_a_subset_of_star(h):
    assert subset_of(h, "*")


@SETTINGS
@given(EXACT, EXACT)
@example("a.b", "a.b")
@example("a.b", "b")
def test_exact_hosts_are_subsets_only_when_equal(a, b):
    assert subset_of(a, b) == (a == b)


@SETTINGS
@given(LABELS, EXACT)
def test_a_name_under_a_suffix_is_in_its_wildcard(x, rest):
    suffix = "." + rest
    assert subset_of(x + suffix, "*" + suffix)
    assert not subset_of(rest, "*" + suffix), "the wildcard needs at least one more label"


@pytest.mark.parametrize("host, pattern, expected", [
    pytest.param("*.a.b", "*.b", True, id="narrower wildcard is a subset"),
    pytest.param("*.b", "*.a.b", False, id="wider wildcard is not a subset"),
    pytest.param("*", "*.b", False, id="star is not a subset of a wildcard"),
    pytest.param("b", "*.b", False, id="the bare suffix is not in its wildcard"),
    pytest.param("ab", "*.b", False, id="a label ending in the suffix text is not under it"),
    pytest.param("x.ab", "*.b", False, id="a parent label ending in the suffix text is not under it"),
    pytest.param("*.b", "b", False, id="a wildcard is never a subset of an exact name"),
    pytest.param("httpbin.default", "httpbin.default.svc.cluster.local", False, id="no short-name expansion"),
])
def test_subset_of_known_cases(host, pattern, expected):
    assert subset_of(host, pattern) is expected
    assert reference_subset_of(host, pattern) is expected


@SETTINGS
@given(HOST, HOST)
@example("*.a.b", "*.b")
@example("*.b", "*.a.b")
@example("x.ab", "*.b")
@example("*.xb", "*.b")
def test_subset_of_agrees_with_the_reference(host, pattern):
    assert subset_of(host, pattern) == reference_subset_of(host, pattern)


@SETTINGS
@given(HOST, HOST)
def test_matches_is_symmetric(a, b):
    assert matches(a, b) == matches(b, a)


@SETTINGS
@given(HOST, HOST)
def test_matches_is_subset_of_either_way(a, b):
    # Name.Matches: the two names share at least one host, i.e. one is a subset of the other.
    assert matches(a, b) == (reference_subset_of(a, b) or reference_subset_of(b, a))


@SETTINGS
@given(HOST, HOST, HOST)
def test_subset_of_is_transitive(a, b, c):
    if subset_of(a, b) and subset_of(b, c):
        assert subset_of(a, c)


# ---------------------------------------------------------------------------
# (b) The loader: Mesh or ManifestError, never another exception
# ---------------------------------------------------------------------------

FIELD_NAMES = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status",
               "podIP", "creationTimestamp", "items", "data", "mesh", "template", "containers", "ports", "port",
               "number", "protocol", "targetPort", "containerPort", "selector", "clusterIP", "type", "hosts",
               "egress", "ingress", "workloadSelector", "outboundTrafficPolicy", "mode", "egressProxy", "host",
               "bind", "captureMode", "defaultEndpoint", "connectionPool", "inboundConnectionPool", "tcp", "http",
               "route", "destination", "subset", "exportTo", "addresses", "resolution", "location", "meshConfig",
               "rootNamespace", "tls"]

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), TEXT,
                    st.sampled_from(["REGISTRY_ONLY", "ALLOW_ANY", "*/*", "./*", "80", "2025-06-01T10:00:00Z",
                                     "yesterday", "None", "istio-system", "default", ""]))
KEYS = st.one_of(st.sampled_from(FIELD_NAMES), TEXT, st.integers(-3, 3), st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=16)

KINDS = sorted(KNOWN_API_VERSIONS) + ["List", "ServiceAccount", "DestinationRule", "PodList"]


@st.composite
def spec_shapes(draw):
    """Either anything, or a mapping made of the fields a kind reads, with random values."""
    if draw(st.booleans()):
        return draw(VALUES)
    keys = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=6, unique=True))
    out = {}
    for k in keys:
        out[k] = draw(st.one_of(VALUES, st.lists(st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=4),
                                                 max_size=3)))
    return out


@st.composite
def manifests(draw, depth=0):
    kind = draw(st.sampled_from(KINDS))
    doc: dict = {}
    if draw(st.integers(0, 9)):
        doc["kind"] = kind
    versions = KNOWN_API_VERSIONS.get(kind, ("v1",))
    doc["apiVersion"] = draw(st.one_of(st.sampled_from(versions), st.sampled_from(versions), VALUES))
    if draw(st.integers(0, 4)):
        metadata = {}
        metadata["name"] = draw(st.one_of(st.sampled_from(["istio", "default", "a"]), TEXT, VALUES))
        if draw(st.booleans()):
            metadata["namespace"] = draw(st.one_of(st.sampled_from(["istio-system", "default"]), VALUES))
        if draw(st.booleans()):
            metadata["labels"] = draw(st.dictionaries(st.one_of(TEXT, KEYS), st.one_of(TEXT, VALUES), max_size=3))
        if draw(st.booleans()):
            moment = draw(st.datetimes(timezones=st.just(timezone.utc)))
            metadata["creationTimestamp"] = draw(st.one_of(st.just(moment.isoformat()),
                                                           st.just(moment.strftime("%Y-%m-%dT%H:%M:%SZ")), VALUES))
        doc["metadata"] = metadata
    else:
        doc["metadata"] = draw(VALUES)
    if draw(st.integers(0, 3)):
        doc["spec"] = draw(spec_shapes())
    if kind == "ConfigMap" and draw(st.booleans()):
        mesh = draw(st.one_of(spec_shapes(), VALUES))
        doc["data"] = {"mesh": draw(st.one_of(st.just(yaml.safe_dump(mesh)), TEXT))}
    if kind == "Pod" and draw(st.booleans()):
        doc["status"] = draw(st.one_of(st.fixed_dictionaries({"podIP": VALUES}), VALUES))
    if kind in ("List", "PodList"):
        doc["items"] = draw(st.one_of(st.lists(manifests(depth + 1), max_size=3) if depth < 1 else st.just([]),
                                      VALUES))
    return doc


DOCUMENTS = st.lists(st.one_of(manifests(), manifests(), VALUES), min_size=1, max_size=4)


def _load_or_refuse(text: str) -> Mesh | ManifestError:
    try:
        mesh = load_text(text, "fuzz.yaml")
    except ManifestError as exc:
        assert str(exc).startswith("fuzz.yaml"), str(exc)
        assert "\n" not in str(exc), f"the command must print one error line: {str(exc)!r}"
        return exc
    assert isinstance(mesh, Mesh)
    return mesh


@SETTINGS
@given(DOCUMENTS)
@example([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio"},
           "data": {"mesh": "outboundTrafficPolicy: []\n"}}])
@example([{"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "s"},
           "spec": {"egress": [None, {"hosts": None, "port": {"number": None}}]}}])
@example([{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "apiVersion": "v1",
                                                          "metadata": {"name": "p", "creationTimestamp": True}}]}])
def test_random_manifests_load_or_raise_manifest_error(docs):
    _load_or_refuse(yaml.safe_dump_all(docs))


@SETTINGS
@given(DOCUMENTS)
def test_random_manifests_as_flow_yaml(docs):
    _load_or_refuse(yaml.safe_dump_all(docs, default_flow_style=True, width=40))


@SETTINGS
@given(st.text(st.sampled_from(list("ab:-[]{}&*!|>'\"#,?%@` \n\t.01~") + ["\u00e9", "\x00", "\x85", "\ufeff"]),
               max_size=60))
def test_random_yaml_ish_text_loads_or_raises_manifest_error(text):
    _load_or_refuse(text)


@SETTINGS
@given(st.binary(max_size=200))
@example(b"\xff\xfe")
@example(b"a: \x80\n")
@example(b"\xef\xbb\xbfkind: Pod\n")
@example(b"a: \xc2\x85b\n")
def test_random_bytes_load_or_raise_manifest_error(raw):
    try:
        mesh = load(["-"], stdin=io.BytesIO(raw))
    except ManifestError as exc:
        assert str(exc).startswith("<stdin>"), str(exc)
        return
    assert isinstance(mesh, Mesh)


@SETTINGS
@given(st.binary(max_size=120))
def test_random_bytes_from_a_file(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "blob.yaml"
    path.write_bytes(raw)
    try:
        assert isinstance(load([str(path)]), Mesh)
    except ManifestError as exc:
        assert str(exc).startswith(str(path)), str(exc)


@SETTINGS
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)),
       st.sampled_from(["Z", "+00:00", "-00:00"]), st.booleans())
@example(datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=timezone.utc), "Z", True)
@example(datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=timezone.utc), "Z", True)
def test_any_rfc3339_creation_timestamp_is_whole_seconds(moment, zone, fraction):
    written = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
               f"{moment.second:02d}" + (f".{moment.microsecond:06d}" if fraction else "") + zone)
    text = ("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: s\n"
            f"  creationTimestamp: '{written}'\n")
    (sidecar,) = load_text(text).sidecars
    whole = moment.replace(microsecond=0).timestamp()
    assert sidecar.created == whole


# ---------------------------------------------------------------------------
# (c) The service registry, converted a namespace at a time (core.registry.ServiceRegistry), is the registry
#     istiod builds whole: PushContext.ServiceIndex, HostnameAndNamespace, resolveServiceAliases
# ---------------------------------------------------------------------------

_NS = st.sampled_from(["a", "b", "c", "b.c"])  # "b.c": a dotted namespace makes NAME.NAMESPACE ambiguous
_SVC_NAME = st.sampled_from(["web", "db", "x.b", "api"])
_SECOND = st.sampled_from(["00", "01"])  # ties in creation are common


def _service_yaml(name, namespace, second, kind, target, export):
    spec = {"ports": [{"name": "http", "port": 80}]}
    if kind == "external":
        spec = {"type": "ExternalName", "externalName": target}
    elif kind == "headless":
        spec["clusterIP"] = "None"
    meta = {"name": name, "namespace": namespace, "creationTimestamp": f"2025-01-01T00:00:{second}Z"}
    if export is not None:
        meta["annotations"] = {"networking.istio.io/exportTo": export}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


_TARGETS = st.sampled_from(["web.a.svc.cluster.local", "db.b.svc.cluster.local", "x.b.c.svc.cluster.local",
                            "api.example.com", "web.b.c.svc.cluster.local."])
SERVICES = st.lists(st.tuples(_SVC_NAME, _NS, _SECOND, st.sampled_from(["plain", "plain", "external", "headless"]),
                              _TARGETS, st.sampled_from([None, ".", "*", "a"])), max_size=10)
ENTRIES = st.lists(st.tuples(st.sampled_from(["se1", "se2"]), _NS, _SECOND,
                             st.lists(_TARGETS.map(lambda h: h.rstrip(".")), min_size=1, max_size=2, unique=True),
                             st.sampled_from([None, ["."], ["*"]])), max_size=4)


def _reference_indexes(registry):
    """istiod's ServiceIndex from the whole registry: per hostname and namespace the first service in the
    registry's order, a Kubernetes Service over a ServiceEntry; per namespace its services in that order."""
    by_host, by_ns = {}, {}
    for svc in registry:
        per = by_host.setdefault(svc.hostname, {})
        if svc.namespace not in per or (per[svc.namespace].kind != "Service" and svc.kind == "Service"):
            per[svc.namespace] = svc
        by_ns.setdefault(svc.namespace, []).append(svc)
    return by_host, by_ns


@SETTINGS
@given(SERVICES, ENTRIES, st.lists(st.one_of(_TARGETS, _NS, st.just("nowhere.svc.cluster.local")), max_size=6),
       st.sampled_from(["1.22", "1.26", "1.31"]))
def test_the_registry_built_a_namespace_at_a_time_is_the_whole_registry_ServiceIndex(services, entries, asked,
                                                                                     version):
    from sidecar_lab.core.resolver import Simulator

    docs = [_service_yaml(*s) for s in services]
    for name, ns, second, hosts, export in entries:
        spec = {"hosts": hosts, "ports": [{"number": 80, "name": "http", "protocol": "HTTP"}],
                "resolution": "DNS"}
        if export is not None:
            spec["exportTo"] = export
        docs.append({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                     "metadata": {"name": name, "namespace": ns, "creationTimestamp": f"2025-01-01T00:00:{second}Z"},
                     "spec": spec})
    mesh = load_text(yaml.safe_dump_all(docs), "gen.yaml")
    lazy, whole = Simulator(mesh, version), Simulator(mesh, version)
    # the lazy one answers look-ups first (what a question does), the other lists the registry first
    early_hosts = {h: lazy.by_hostname.get(h.rstrip(".")) for h in asked}
    early_namespaces = {n: lazy.by_namespace.get(n) for n in asked}
    registry = whole.registry
    assert lazy.registry == registry
    assert [s.order for s in registry] == sorted(s.order for s in registry)
    by_host, by_ns = _reference_indexes(registry)
    for host, got in early_hosts.items():
        assert got == by_host.get(host.rstrip("."))
    for ns, got in early_namespaces.items():
        assert got == by_ns.get(ns)
    assert dict(lazy.by_hostname) == by_host and dict(lazy.by_namespace) == by_ns
    assert list(lazy.by_hostname) == list(by_host) and list(lazy.by_namespace) == list(by_ns)
    # one object per service, whichever way it was reached
    ids = {id(s) for s in lazy.registry}
    assert all(id(s) in ids for per in lazy.by_hostname.values() for s in per.values())
    assert all(id(s) in ids for listed in lazy.by_namespace.values() for s in listed)
    assert lazy.service_entries == [s for s in registry if s.kind == "ServiceEntry"]
