"""The Sidecar CRD schema: wrong JSON types and unknown fields, one situation per case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar_lab.core.schema import (LIST, MAP, OBJECT, SIDECAR_SPEC, active, sidecar_type_errors,
                                sidecar_unknown_fields)
from sidecar_lab.core.versions import rules_for

# (situation, spec, expected type errors)
TYPE_CASES = [
    ("spec_is_a_list", ["egress"], [(("spec",), "expected a mapping, got a list")]),
    ("spec_is_a_string", "egress", [(("spec",), "expected a mapping, got a string")]),
    ("egress_is_a_string", {"egress": "*/*"},
     [(("spec", "egress"), "expected a list, got a string")]),
    ("hosts_is_a_string_not_a_list", {"egress": [{"hosts": "*/*"}]},
     [(("spec", "egress", 0, "hosts"), "expected a list, got a string")]),
    ("host_is_a_number", {"egress": [{"hosts": ["*/*", 42]}]},
     [(("spec", "egress", 0, "hosts", 1), "expected a string, got an integer")]),
    ("host_is_null", {"egress": [{"hosts": [None]}]},
     [(("spec", "egress", 0, "hosts", 0), "expected a string, got null")]),
    ("port_number_quoted_in_yaml", {"ingress": [{"port": {"number": "80"}}]},
     [(("spec", "ingress", 0, "port", "number"), "expected an integer, got a string")]),
    ("port_number_is_a_bool", {"egress": [{"port": {"number": True}, "hosts": ["*/*"]}]},
     [(("spec", "egress", 0, "port", "number"), "expected an integer, got a boolean")]),
    ("port_number_is_a_float", {"egress": [{"port": {"number": 80.5}, "hosts": ["*/*"]}]},
     [(("spec", "egress", 0, "port", "number"), "expected an integer, got a number")]),
    ("duration_written_as_a_number", {"inboundConnectionPool": {"tcp": {"connectTimeout": 5}}},
     [(("spec", "inboundConnectionPool", "tcp", "connectTimeout"), "expected a string, got an integer")]),
    ("label_value_is_a_number", {"workloadSelector": {"labels": {"version": 1}}},
     [(("spec", "workloadSelector", "labels", "version"), "expected a string, got an integer")]),
    ("label_value_is_null", {"workloadSelector": {"labels": {"app": None}}},
     [(("spec", "workloadSelector", "labels", "app"), "expected a string, got null")]),
    ("label_key_is_a_number", {"workloadSelector": {"labels": {1: "a"}}},
     [(("spec", "workloadSelector", "labels", "1"), "expected a string key, got an integer")]),
    ("use_client_protocol_is_a_string", {"inboundConnectionPool": {"http": {"useClientProtocol": "yes"}}},
     [(("spec", "inboundConnectionPool", "http", "useClientProtocol"), "expected a boolean, got a string")]),
    ("tls_is_a_list", {"ingress": [{"port": {"number": 443}, "tls": ["SIMPLE"]}]},
     [(("spec", "ingress", 0, "tls"), "expected a mapping, got a list")]),
    ("outbound_policy_is_a_string", {"outboundTrafficPolicy": "REGISTRY_ONLY"},
     [(("spec", "outboundTrafficPolicy"), "expected a mapping, got a string")]),
    ("two_errors_in_document_order",
     {"egress": [{"hosts": "a"}, {"hosts": [1]}], "ingress": "x"},
     [(("spec", "egress", 0, "hosts"), "expected a list, got a string"),
      (("spec", "egress", 1, "hosts", 0), "expected a string, got an integer"),
      (("spec", "ingress"), "expected a list, got a string")]),
]

# Situations that are not type errors at all.
NOT_TYPE_ERRORS = [
    ("null_egress_entry_is_left_to_istio_rule_e1", {"egress": [None]}),
    ("null_ingress_entry_is_left_to_istio_rule_i1", {"ingress": [None]}),
    ("null_optional_field_means_absent", {"egress": [{"hosts": ["*/*"], "port": None, "bind": None}]}),
    ("unknown_field_of_any_type_is_not_a_type_error", {"egres": 12, "egress": [{"hostz": {"a": 1}}]}),
    ("empty_spec", {}),
    ("every_field_of_the_sidecar_with_its_type", {
        "workloadSelector": {"labels": {"app": "a"}},
        "ingress": [{
            "port": {"number": 443, "protocol": "HTTPS", "name": "https", "targetPort": 0},
            "bind": "0.0.0.0", "captureMode": "NONE", "defaultEndpoint": "127.0.0.1:8443",
            "tls": {"httpsRedirect": False, "mode": "SIMPLE", "serverCertificate": "c", "privateKey": "k",
                    "caCertificates": "ca", "caCrl": "crl", "credentialName": "s", "credentialNames": ["s"],
                    "tlsCertificates": [{"serverCertificate": "c", "privateKey": "k", "caCertificates": "ca"}],
                    "subjectAltNames": ["a"], "verifyCertificateSpki": ["x"], "verifyCertificateHash": ["y"],
                    "minProtocolVersion": "TLSV1_2", "maxProtocolVersion": "TLSV1_3",
                    "cipherSuites": ["AES128-SHA"]},
            "connectionPool": {
                "tcp": {"maxConnections": 1, "connectTimeout": "1s", "tcpNoDelay": True,
                        "tcpKeepalive": {"probes": 3, "time": "1s", "interval": "1s"},
                        "maxConnectionDuration": "1h", "idleTimeout": "0s"},
                "http": {"http1MaxPendingRequests": 1, "http2MaxRequests": 1, "maxRequestsPerConnection": 1,
                         "maxRetries": 1, "idleTimeout": "1s", "h2UpgradePolicy": "UPGRADE",
                         "useClientProtocol": False, "maxConcurrentStreams": 1,
                         "http2KeepAlive": {"interval": "1s", "timeout": "1s"}}}}],
        "egress": [{"port": {"number": 80, "protocol": "HTTP", "name": "http", "targetPort": 0},
                    "bind": "127.0.0.1", "captureMode": "IPTABLES", "hosts": ["*/*"]}],
        "outboundTrafficPolicy": {"mode": "ALLOW_ANY",
                                  "egressProxy": {"host": "proxy.example.com", "subset": "v1",
                                                  "port": {"number": 3128}}},
        "inboundConnectionPool": {"tcp": {"maxConnections": 1}},
    }),
]

# (situation, spec, expected unknown fields with their suggestion)
UNKNOWN_CASES = [
    ("typo_egres_at_top_level", {"egres": []}, [(("spec", "egres"), "egress")]),
    ("typo_in_a_listener", {"egress": [{"hosts": ["*/*"]}, {"hostz": ["*/*"]}]},
     [(("spec", "egress", 1, "hostz"), "hosts")]),
    ("wrong_case_of_a_field", {"workloadselector": {"labels": {}}},
     [(("spec", "workloadselector"), "workloadSelector")]),
    ("label_instead_of_labels", {"workloadSelector": {"label": {"app": "a"}}},
     [(("spec", "workloadSelector", "label"), "labels")]),
    ("nothing_close_enough", {"zzzzzz": 1}, [(("spec", "zzzzzz"), None)]),
    ("numeric_key_is_a_field_name", {1: "x"}, [(("spec", "1"), None)]),
    ("deep_in_a_connection_pool", {"ingress": [{"connectionPool": {"tcp": {"maxConnection": 5}}}]},
     [(("spec", "ingress", 0, "connectionPool", "tcp", "maxConnection"), "maxConnections")]),
    ("egress_proxy_port_typo", {"outboundTrafficPolicy": {"egressProxy": {"port": {"numbr": 1}}}},
     [(("spec", "outboundTrafficPolicy", "egressProxy", "port", "numbr"), "number")]),
    ("selector_labels_may_have_any_key", {"workloadSelector": {"labels": {"anything": "goes"}}}, []),
    ("unknown_fields_under_a_wrong_type_are_not_walked", {"egress": "x", "ingress": [{"prot": 1}]},
     [(("spec", "ingress", 0, "prot"), "port")]),
    ("spec_not_a_mapping_has_no_unknown_fields", ["egres"], []),
]


@pytest.mark.parametrize("spec, expected", [c[1:] for c in TYPE_CASES], ids=[c[0] for c in TYPE_CASES])
def test_type_errors(spec, expected):
    assert sidecar_type_errors(spec) == expected


@pytest.mark.parametrize("spec", [c[1] for c in NOT_TYPE_ERRORS], ids=[c[0] for c in NOT_TYPE_ERRORS])
def test_not_type_errors(spec):
    assert sidecar_type_errors(spec) == []


@pytest.mark.parametrize("spec, expected", [c[1:] for c in UNKNOWN_CASES], ids=[c[0] for c in UNKNOWN_CASES])
def test_unknown_fields(spec, expected):
    assert sidecar_unknown_fields(spec) == expected


def test_every_field_of_the_sidecar_is_known():
    full = dict(NOT_TYPE_ERRORS)["every_field_of_the_sidecar_with_its_type"]
    assert sidecar_unknown_fields(full) == []


def test_connection_pools_share_one_schema():
    ingress = SIDECAR_SPEC.fields["ingress"].items
    assert ingress.fields["connectionPool"] is SIDECAR_SPEC.fields["inboundConnectionPool"]


def test_crd_constraints_are_written_in_the_schema():
    egress = SIDECAR_SPEC.fields["egress"].items
    ingress = SIDECAR_SPEC.fields["ingress"].items
    tcp = SIDECAR_SPEC.fields["inboundConnectionPool"].fields["tcp"]
    assert egress.required == ("hosts",) and ingress.required == ("port",)
    assert egress.fields["captureMode"].enum == ("DEFAULT", "IPTABLES", "NONE")
    assert egress.fields["port"].fields["number"].maximum == 4294967295
    lab = rules_for("1.26")  # the lab's release: tcp.idleTimeout has had no 1ms rule since 1.26
    assert [active(r.when, lab) for r in tcp.fields["connectTimeout"].rules] == [True]
    assert [active(r.when, lab) for r in tcp.fields["idleTimeout"].rules] == [False]


# -- properties ---------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["egress", "hosts", "port", "number", "labels", "tls", "mode", "x"])
                      | st.text(max_size=6) | st.integers(), children, max_size=4),
    max_leaves=25,
)


def _paths_of(node, prefix=()):
    """Every key path the schema knows, for building specs that reach deep into it."""
    yield prefix
    if node.kind == OBJECT:
        for name, child in node.fields.items():
            yield from _paths_of(child, prefix + (name,))
    elif node.kind in (LIST, MAP) and node.items is not None and node.items.kind in (OBJECT, LIST, MAP):
        yield from _paths_of(node.items, prefix + ("*",))


SCHEMA_PATHS = [p for p in _paths_of(SIDECAR_SPEC) if p]


@st.composite
def deep_specs(draw):
    """A spec with random values planted at known schema paths (and the odd wrong type)."""
    spec: dict = {}
    for path in draw(st.lists(st.sampled_from(SCHEMA_PATHS), max_size=5)):
        here = spec
        for i, part in enumerate(path):
            last = i == len(path) - 1
            key = 0 if part == "*" else part
            if not isinstance(here, list if isinstance(key, int) else dict):
                break  # an earlier path planted another type here
            if isinstance(here, list):
                while len(here) <= key:
                    here.append({})
                if last:
                    here[key] = draw(json_values)
                elif not isinstance(here[key], (dict, list)):
                    break
                here = here[key]
                continue
            nxt = path[i + 1] if not last else None
            if last:
                here[key] = draw(json_values)
            else:
                here = here.setdefault(key, [] if nxt == "*" else {})
    return spec


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, deep_specs()))
def test_schema_walks_never_raise_on_any_yaml_value(spec):
    errors = sidecar_type_errors(spec)
    unknown = sidecar_unknown_fields(spec)
    assert all(path[0] == "spec" and isinstance(message, str) for path, message in errors)
    assert all(path[0] == "spec" and (hint is None or isinstance(hint, str)) for path, hint in unknown)
