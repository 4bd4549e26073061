"""Admission validation of a Sidecar, one situation per rule, with Istio's exact messages.

Each case lists *every* message the Sidecar gets, as (level, rule, field, message), so a rule
that fires where it should not makes a case fail too.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar_lab.core.schema import (BOOLEAN, INTEGER, LIST, MAP, OBJECT, SIDECAR_SPEC, STRING,
                                sidecar_type_errors, sidecar_unknown_fields)
from sidecar_lab.core.errors import UsageError
from sidecar_lab.core.validation import (ERROR, MESSAGES, WARNING, ValidationMessage, is_admitted,
                                    parse_go_duration, validate_sidecar)
from sidecar_lab.core.versions import rules_for

E, W = ERROR, WARNING
NS = "shop"  # the Sidecar's namespace in every case
ALL = {"egress": [{"hosts": ["*/*"]}]}  # something valid, so T4 stays quiet


def ingress(**entry):
    """One HTTP ingress listener on port 8080, with fields replaced or added."""
    base = {"port": {"number": 8080, "protocol": "HTTP", "name": "http"}}
    base.update(entry)
    return {"ingress": [base]}


def https(**tls):
    """An HTTPS ingress listener with SIMPLE TLS from files, with TLS fields replaced or added."""
    settings_ = {"mode": "SIMPLE", "serverCertificate": "/etc/certs/cert.pem", "privateKey": "/etc/certs/key.pem"}
    settings_.update(tls)
    settings_ = {k: v for k, v in settings_.items() if v is not None}
    return {"ingress": [{"port": {"number": 8443, "protocol": "HTTPS", "name": "https"}, "tls": settings_}]}


def pool(**sections):
    return {"inboundConnectionPool": sections}


def egress(*listeners):
    return {"egress": list(listeners)}


def hosts(*names):
    return {"egress": [{"hosts": list(names)}]}


def proxy(mode="ALLOW_ANY", **fields):
    policy = {"egressProxy": fields}
    if mode is not None:
        policy["mode"] = mode
    return {"outboundTrafficPolicy": policy}


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def P(field: str) -> tuple:
    """``spec.egress[0].hosts`` -> ``("spec", "egress", 0, "hosts")``."""
    return tuple(name if name else int(index) for name, index in _TOKEN.findall(field))


POOL_IDLE = "spec.inboundConnectionPool.http.idleTimeout"
POOL_CONNECT = "spec.inboundConnectionPool.tcp.connectTimeout"

# The tables follow Istio 1.30 (docs/VALIDATION rules and messages of 1.27-1.30, identical in those
# releases); what other releases do differently is in RELEASE_131 below and in tests/test_versions.py.
TABLE_RELEASE = "1.30"

# (situation, spec, [(level, rule, field or path tuple, message)])
CASES = [
    # ---- unknown fields: strict decoding -------------------------------------------------
    ("typo_egres_is_unknown_and_leaves_the_sidecar_empty", {"egres": [{"hosts": ["*/*"]}]}, [
        (E, "UNKNOWN", "spec.egres", 'strict decoding error: unknown field "spec.egres"'),
        (E, "T4", "spec", "sidecar: empty configuration provided")]),
    ("typo_hostz_inside_a_listener", {"egress": [{"hostz": ["*/*"]}]}, [
        (E, "UNKNOWN", "spec.egress[0].hostz", 'strict decoding error: unknown field "spec.egress[0].hostz"'),
        (E, "CRD", "spec.egress[0].hosts", "spec.egress[0].hosts: Required value"),
        (E, "E14", "spec.egress[0].hosts", "sidecar: egress listener must contain at least one host")]),
    ("typo_label_turns_the_selector_into_select_all",
     {"workloadSelector": {"label": {"app": "sleep"}}, **ALL}, [
        (E, "UNKNOWN", "spec.workloadSelector.label",
         'strict decoding error: unknown field "spec.workloadSelector.label"'),
        (W, "T3", "spec.workloadSelector", "sidecar: workload selector specified without labels, "
                                           "will be applied to all services in namespace")]),

    # ---- CRD schema ----------------------------------------------------------------------
    ("crd_capture_mode_not_in_enum", {"egress": [{"captureMode": "FOO", "hosts": ["*/*"]}]}, [
        (E, "CRD", "spec.egress[0].captureMode",
         'spec.egress[0].captureMode: Unsupported value: "FOO": supported values: "DEFAULT", "IPTABLES", "NONE"')]),
    ("crd_outbound_mode_is_case_sensitive", {"outboundTrafficPolicy": {"mode": "allow_any"}}, [
        (E, "CRD", "spec.outboundTrafficPolicy.mode", 'spec.outboundTrafficPolicy.mode: Unsupported value: '
                                                      '"allow_any": supported values: "REGISTRY_ONLY", "ALLOW_ANY"')]),
    ("crd_h2_upgrade_policy_not_in_enum", pool(http={"h2UpgradePolicy": "ALWAYS"}), [
        (E, "CRD", "spec.inboundConnectionPool.http.h2UpgradePolicy",
         'spec.inboundConnectionPool.http.h2UpgradePolicy: Unsupported value: "ALWAYS": '
         'supported values: "DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"')]),
    ("crd_tls_mode_not_in_enum", https(mode="STRICT"), [
        (E, "CRD", "spec.ingress[0].tls.mode", 'spec.ingress[0].tls.mode: Unsupported value: "STRICT": supported '
         'values: "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"'),
        # the webhook would read the unknown mode as the zero value, PASSTHROUGH
        (W, "I28", "spec.ingress[0].tls", "PASSTHROUGH mode does not use certificates, they will be ignored")]),
    ("crd_tls_version_not_in_enum", https(maxProtocolVersion="TLSV1_4"), [
        (E, "CRD", "spec.ingress[0].tls.maxProtocolVersion", 'spec.ingress[0].tls.maxProtocolVersion: Unsupported '
         'value: "TLSV1_4": supported values: "TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"')]),
    ("crd_negative_port_number", egress({"port": {"number": -1}, "hosts": ["*/*"]}), [
        (E, "CRD", "spec.egress[0].port.number", "spec.egress[0].port.number: Invalid value: -1: "
         "spec.egress[0].port.number in body should be greater than or equal to 0"),
        (E, "E10", "spec.egress[0].port.number", "port number -1 must be in the range 1..65535")]),
    ("crd_port_number_beyond_uint32", egress({"port": {"number": 4294967296}, "hosts": ["*/*"]}), [
        (E, "CRD", "spec.egress[0].port.number", "spec.egress[0].port.number: Invalid value: 4294967296: "
         "spec.egress[0].port.number in body should be less than or equal to 4294967295"),
        (E, "E10", "spec.egress[0].port.number", "port number 4294967296 must be in the range 1..65535")]),
    ("crd_negative_keepalive_probes", pool(tcp={"tcpKeepalive": {"probes": -3}}), [
        (E, "CRD", "spec.inboundConnectionPool.tcp.tcpKeepalive.probes",
         "spec.inboundConnectionPool.tcp.tcpKeepalive.probes: Invalid value: -3: "
         "spec.inboundConnectionPool.tcp.tcpKeepalive.probes in body should be greater than or equal to 0")]),
    ("crd_label_value_longer_than_63", {"workloadSelector": {"labels": {"app": "a" * 64}}, **ALL}, [
        (E, "CRD", "spec.workloadSelector.labels.app",
         "spec.workloadSelector.labels.app: Too long: may not be more than 63 bytes")]),
    ("crd_more_than_256_labels",
     {"workloadSelector": {"labels": {f"k{i}": "v" for i in range(257)}}, **ALL}, [
        (E, "CRD", "spec.workloadSelector.labels",
         "spec.workloadSelector.labels: Too many: 257: must have at most 256 items")]),
    ("crd_egress_proxy_without_host", proxy(port={"number": 3128}), [
        (E, "CRD", "spec.outboundTrafficPolicy.egressProxy.host",
         "spec.outboundTrafficPolicy.egressProxy.host: Required value"),
        (E, "O3", "spec.outboundTrafficPolicy.egressProxy.host", "empty domain name not allowed"),
        (E, "O5", "spec.outboundTrafficPolicy.egressProxy.host", "empty domain name not allowed")]),
    ("crd_connect_timeout_under_1ms", pool(tcp={"connectTimeout": "500us"}), [
        (E, "CRD", POOL_CONNECT, f'{POOL_CONNECT}: Invalid value: "string": must be a valid duration greater than 1ms'),
        (E, "C11", POOL_CONNECT, "duration must be greater than 1ms")]),
    ("crd_connect_timeout_not_a_duration", pool(tcp={"connectTimeout": "5 seconds"}), [
        (E, "CRD", POOL_CONNECT, f"{POOL_CONNECT}: Invalid value: \"string\": type conversion error from 'string' "
         "to 'google.protobuf.Duration' evaluating rule: must be a valid duration greater than 1ms")]),
    ("crd_three_credential_names", https(serverCertificate=None, privateKey=None, credentialNames=["a", "b", "c"]), [
        (E, "CRD", "spec.ingress[0].tls.credentialNames",
         "spec.ingress[0].tls.credentialNames: Too many: 3: must have at most 2 items"),
        (E, "I18", "spec.ingress[0].tls.credentialNames", "sidecar: credentialNames is not currently supported")]),
    ("crd_credential_names_and_tls_certificates_trip_two_cel_rules",
     https(serverCertificate=None, privateKey=None, credentialNames=["a"],
           tlsCertificates=[{"serverCertificate": "c", "privateKey": "k"}]), [
        (E, "CRD", "spec.ingress[0].tls", 'spec.ingress[0].tls: Invalid value: "object": '
                                          "only one of credentialNames or tlsCertificates can be set"),
        # the CRD's third rule is worded for credentialName but tests credentialNames
        (E, "CRD", "spec.ingress[0].tls", 'spec.ingress[0].tls: Invalid value: "object": '
                                          "only one of credentialName or tlsCertificates can be set"),
        (E, "I18", "spec.ingress[0].tls.credentialNames", "sidecar: credentialNames is not currently supported"),
        (E, "I19", "spec.ingress[0].tls.tlsCertificates", "sidecar: tls_certificates is not currently supported"),
        (E, "I24", "spec.ingress[0].tls", "only one of credential_name, credential_names, "
                                          "server_certificate/private_key, tls_certificates should be specified")]),

    # ---- T: top level --------------------------------------------------------------------
    ("t1_selector_label_with_empty_key", {"workloadSelector": {"labels": {"": "x"}}, **ALL}, [
        (E, "T1", ("spec", "workloadSelector", "labels", ""), 'empty key is not supported in selector: "=x"')]),
    ("t2_selector_value_with_wildcard", {"workloadSelector": {"labels": {"app": "prod*"}}, **ALL}, [
        (E, "CRD", "spec.workloadSelector.labels.app",
         'spec.workloadSelector.labels[app]: Invalid value: "string": wildcard is not supported in selector'),
        (E, "T2", "spec.workloadSelector.labels.app", 'wildcard is not supported in selector: "app=prod*"')]),
    ("t2_selector_key_with_wildcard_only_go_sees_it", {"workloadSelector": {"labels": {"app*": "x"}}, **ALL}, [
        (E, "T2", ("spec", "workloadSelector", "labels", "app*"), 'wildcard is not supported in selector: "app*=x"')]),
    ("t1_t2_return_at_once_so_egress_errors_are_not_reported",
     {"workloadSelector": {"labels": {"b": "*", "a": "*"}}, "egress": [{"hosts": ["httpbin"]}]}, [
        (E, "CRD", "spec.workloadSelector.labels.b",
         'spec.workloadSelector.labels[b]: Invalid value: "string": wildcard is not supported in selector'),
        (E, "CRD", "spec.workloadSelector.labels.a",
         'spec.workloadSelector.labels[a]: Invalid value: "string": wildcard is not supported in selector'),
        (E, "T2", "spec.workloadSelector.labels.a", 'wildcard is not supported in selector: "a=*"'),
        (E, "T2", "spec.workloadSelector.labels.b", 'wildcard is not supported in selector: "b=*"')]),
    ("t3_selector_without_labels_selects_every_pod", {"workloadSelector": {}, **ALL}, [
        (W, "T3", "spec.workloadSelector", "sidecar: workload selector specified without labels, "
                                           "will be applied to all services in namespace")]),
    ("t3_selector_with_empty_labels", {"workloadSelector": {"labels": {}}, "outboundTrafficPolicy": {}}, [
        (W, "T3", "spec.workloadSelector", "sidecar: workload selector specified without labels, "
                                           "will be applied to all services in namespace")]),
    ("t4_empty_spec", {}, [(E, "T4", "spec", "sidecar: empty configuration provided")]),
    ("t4_selector_alone_and_t3_warning_is_lost", {"workloadSelector": {}}, [
        (E, "T4", "spec", "sidecar: empty configuration provided")]),
    ("t4_empty_lists_count_as_missing", {"egress": [], "ingress": []}, [
        (E, "T4", "spec", "sidecar: empty configuration provided")]),

    # ---- I: ingress ----------------------------------------------------------------------
    ("i1_null_ingress_entry", {"ingress": [None]}, [(E, "I1", "spec.ingress[0]", "sidecar: ingress may not be null")]),
    ("i2_ingress_without_port", {"ingress": [{"bind": "0.0.0.0"}]}, [
        (E, "CRD", "spec.ingress[0].port", "spec.ingress[0].port: Required value"),
        (E, "I2", "spec.ingress[0].port", "sidecar: port is required for ingress listeners")]),
    ("i3_ingress_target_port", ingress(port={"number": 8080, "protocol": "HTTP", "targetPort": 9080}), [
        (E, "I3", "spec.ingress[0].port.targetPort", "targetPort has no impact on Sidecars")]),
    ("i4_ingress_port_name_not_dns_label", ingress(port={"number": 8080, "name": "http_web"}), [
        (E, "I4", "spec.ingress[0].port.name", "invalid port name: http_web")]),
    ("i5_ingress_unknown_protocol", ingress(port={"number": 8080, "protocol": "QUIC"}), [
        (E, "I5", "spec.ingress[0].port.protocol", "unsupported protocol: QUIC")]),
    ("i6_ingress_port_zero", ingress(port={"number": 0, "protocol": "HTTP"}), [
        (E, "I6", "spec.ingress[0].port.number", "port number 0 must be in the range 1..65535")]),
    ("i6_ingress_port_above_65535", ingress(port={"number": 70000, "protocol": "HTTP"}), [
        (E, "I6", "spec.ingress[0].port.number", "port number 70000 must be in the range 1..65535")]),
    ("i7_ingress_bind_is_a_hostname", ingress(bind="localhost"), [
        (E, "I7", "spec.ingress[0].bind", "localhost is not a valid IP")]),
    ("i8_two_ingress_listeners_on_one_port",
     {"ingress": [{"port": {"number": 80, "protocol": "HTTP"}},
                  {"port": {"number": 80, "protocol": "HTTP"}, "bind": "10.0.0.1"}]}, [
        (E, "I8", "spec.ingress[1].port.number", "sidecar: ports on IP bound listeners must be unique")]),
    ("i9_default_endpoint_unix_without_path", ingress(defaultEndpoint="unix://"), [
        (E, "I9", "spec.ingress[0].defaultEndpoint", "unix address must not be empty")]),
    ("i10_default_endpoint_unix_relative_path", ingress(defaultEndpoint="unix://var/run/app.sock"), [
        (E, "I10", "spec.ingress[0].defaultEndpoint", "var/run/app.sock is not an absolute path to a file")]),
    ("i10_default_endpoint_unix_directory", ingress(defaultEndpoint="unix:///var/run/"), [
        (E, "I10", "spec.ingress[0].defaultEndpoint", "/var/run/ is not an absolute path to a file")]),
    ("i11_default_endpoint_without_port", ingress(defaultEndpoint="127.0.0.1"), [
        (E, "I11", "spec.ingress[0].defaultEndpoint", "address 127.0.0.1: missing port in address"),
        (E, "I13", "spec.ingress[0].defaultEndpoint",
         'sidecar: defaultEndpoint port () is not a number: strconv.Atoi: parsing "": invalid syntax')]),
    ("i11_default_endpoint_ipv6_without_brackets", ingress(defaultEndpoint="::1:8080"), [
        (E, "I11", "spec.ingress[0].defaultEndpoint", "address ::1:8080: too many colons in address"),
        (E, "I13", "spec.ingress[0].defaultEndpoint",
         'sidecar: defaultEndpoint port () is not a number: strconv.Atoi: parsing "": invalid syntax')]),
    ("i12_default_endpoint_pod_ip", ingress(defaultEndpoint="10.0.0.1:8080"), [
        (E, "I12", "spec.ingress[0].defaultEndpoint", "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,"
                                                      "0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset")]),
    ("i13_default_endpoint_named_port", ingress(defaultEndpoint="127.0.0.1:http"), [
        (E, "I13", "spec.ingress[0].defaultEndpoint",
         'sidecar: defaultEndpoint port (http) is not a number: strconv.Atoi: parsing "http": invalid syntax')]),
    ("i14_default_endpoint_port_zero", ingress(defaultEndpoint="127.0.0.1:0"), [
        (E, "I14", "spec.ingress[0].defaultEndpoint", "port number 0 must be in the range 1..65535")]),
    ("i15_tls_subject_alt_names", https(subjectAltNames=["spiffe://cluster.local/ns/a/sa/b"]), [
        (E, "I15", "spec.ingress[0].tls.subjectAltNames", "sidecar: subjectAltNames is not supported in ingress tls")]),
    ("i16_tls_https_redirect", https(httpsRedirect=True), [
        (E, "I16", "spec.ingress[0].tls.httpsRedirect", "sidecar: httpsRedirect is not supported")]),
    ("i17_tls_credential_name", https(serverCertificate=None, privateKey=None, credentialName="shop-cert"), [
        (E, "I17", "spec.ingress[0].tls.credentialName", "sidecar: credentialName is not currently supported")]),
    ("i18_tls_credential_names", https(serverCertificate=None, privateKey=None, credentialNames=["a"]), [
        (E, "I18", "spec.ingress[0].tls.credentialNames", "sidecar: credentialNames is not currently supported")]),
    ("i19_tls_certificates", https(serverCertificate=None, privateKey=None,
                                   tlsCertificates=[{"serverCertificate": "c", "privateKey": "k"}]), [
        (E, "I19", "spec.ingress[0].tls.tlsCertificates", "sidecar: tls_certificates is not currently supported")]),
    ("i20_tls_mode_istio_mutual", https(mode="ISTIO_MUTUAL", serverCertificate=None, privateKey=None), [
        (E, "I20", "spec.ingress[0].tls.mode",
         "configuration is invalid: cannot set mode to ISTIO_MUTUAL in sidecar ingress tls")]),
    ("i20_tls_mode_istio_mutual_with_files", https(mode="ISTIO_MUTUAL"), [
        (E, "I20", "spec.ingress[0].tls.mode",
         "configuration is invalid: cannot set mode to ISTIO_MUTUAL in sidecar ingress tls"),
        (E, "I20", "spec.ingress[0].tls.serverCertificate",
         "ISTIO_MUTUAL TLS cannot have associated server certificate"),
        (E, "I20", "spec.ingress[0].tls.privateKey", "ISTIO_MUTUAL TLS cannot have associated private key")]),
    ("i20_tls_mode_auto_passthrough", https(mode="AUTO_PASSTHROUGH", serverCertificate=None, privateKey=None), [
        (E, "I20", "spec.ingress[0].tls.mode",
         "configuration is invalid: cannot set mode to AUTO_PASSTHROUGH in sidecar ingress tls")]),
    ("i21_tls_on_an_http_port",
     {"ingress": [{"port": {"number": 8080, "protocol": "HTTP"}, "tls": https()["ingress"][0]["tls"]}]}, [
        (E, "I21", "spec.ingress[0].tls", "server cannot have TLS settings for non HTTPS/TLS ports")]),
    ("i22_simple_tls_without_files", https(serverCertificate=None, privateKey=None), [
        (E, "I22", "spec.ingress[0].tls.serverCertificate", "SIMPLE TLS requires a server certificate"),
        (E, "I22", "spec.ingress[0].tls.privateKey", "SIMPLE TLS requires a private key")]),
    ("i22_tls_certificates_entry_without_key",
     https(serverCertificate=None, privateKey=None, tlsCertificates=[{"serverCertificate": "c"}]), [
        (E, "I19", "spec.ingress[0].tls.tlsCertificates", "sidecar: tls_certificates is not currently supported"),
        (E, "I22", "spec.ingress[0].tls.tlsCertificates[0].privateKey", "SIMPLE TLS requires a private key")]),
    ("i23_mutual_tls_without_ca", https(mode="MUTUAL"), [
        (E, "I23", "spec.ingress[0].tls.caCertificates", "MUTUAL TLS requires a client CA bundle")]),
    ("i23_optional_mutual_tls_without_ca", https(mode="OPTIONAL_MUTUAL"), [
        (E, "I23", "spec.ingress[0].tls.caCertificates", "MUTUAL TLS requires a client CA bundle")]),
    ("i24_files_and_credential_name", https(credentialName="shop-cert"), [
        (E, "I17", "spec.ingress[0].tls.credentialName", "sidecar: credentialName is not currently supported"),
        (E, "I24", "spec.ingress[0].tls", "only one of credential_name, credential_names, "
                                          "server_certificate/private_key, tls_certificates should be specified")]),
    ("i25_crl_with_simple_tls", https(caCrl="/etc/certs/crl.pem"), [
        (E, "I25", "spec.ingress[0].tls.caCrl", "CRL is not supported with SIMPLE TLS")]),
    ("i26_tls_1_1_without_ciphers", https(minProtocolVersion="TLSV1_1"), [
        (W, "I26", "spec.ingress[0].tls.minProtocolVersion", "TLS version below TLSV1_2 require setting "
         "compatible ciphers as by default they no longer include compatible ciphers.")]),
    ("i27_unknown_and_repeated_ciphers",
     https(cipherSuites=["ECDHE-RSA-AES128-GCM-SHA256", "NOT-A-CIPHER", "ECDHE-RSA-AES128-GCM-SHA256",
                         "-RC4", "ALL"]), [
        (W, "I27", "spec.ingress[0].tls.cipherSuites", "ignoring invalid cipher suites: [NOT-A-CIPHER]"),
        (W, "I27", "spec.ingress[0].tls.cipherSuites",
         "ignoring duplicate cipher suites: [ECDHE-RSA-AES128-GCM-SHA256]")]),
    ("i28_passthrough_is_the_default_mode_and_ignores_files", https(mode=None, caCertificates="/etc/ca.pem"), [
        (W, "I28", "spec.ingress[0].tls", "PASSTHROUGH mode does not use certificates, they will be ignored")]),
    ("i29_empty_ingress_connection_pool", ingress(connectionPool={}), [
        (E, "C1", "spec.ingress[0].connectionPool", "connection pool must have at least one field")]),
    ("i29_negative_ingress_pool_value", ingress(connectionPool={"tcp": {"maxConnections": -1}}), [
        (E, "C10", "spec.ingress[0].connectionPool.tcp.maxConnections", "max connections must be non-negative")]),
    ("i30_http_pool_on_a_tcp_port",
     {"ingress": [{"port": {"number": 5432, "protocol": "TCP", "name": "tcp-db"},
                   "connectionPool": {"http": {"maxRetries": 3}}}]}, [
        (W, "I30", "spec.ingress[0].connectionPool.http",
         'sidecar: HTTP connection pool settings are configured for port 5432 ("tcp-db") but its protocol is not '
         "HTTP (TCP); only TCP settings will apply")]),
    ("i30_http_pool_on_a_sniffed_port",
     {"ingress": [{"port": {"number": 9080}, "connectionPool": {"http": {"maxRetries": 3}}}]}, [
        (W, "I30", "spec.ingress[0].connectionPool.http",
         'sidecar: HTTP connection pool settings are configured for port 9080 ("") but its protocol is not '
         "HTTP (); only TCP settings will apply")]),

    # ---- P and C: connection pools -------------------------------------------------------
    ("p1_c1_empty_inbound_connection_pool", pool(), [
        (E, "C1", "spec.inboundConnectionPool", "connection pool must have at least one field")]),
    ("c2_negative_http1_max_pending", pool(http={"http1MaxPendingRequests": -1}), [
        (E, "C2", "spec.inboundConnectionPool.http.http1MaxPendingRequests",
         "http1 max pending requests must be non-negative")]),
    ("c3_negative_http2_max_requests", pool(http={"http2MaxRequests": -1}), [
        (E, "C3", "spec.inboundConnectionPool.http.http2MaxRequests", "http2 max requests must be non-negative")]),
    ("c4_negative_max_requests_per_connection", pool(http={"maxRequestsPerConnection": -1}), [
        (E, "C4", "spec.inboundConnectionPool.http.maxRequestsPerConnection",
         "max requests per connection must be non-negative")]),
    ("c5_negative_max_retries", pool(http={"maxRetries": -1}), [
        (E, "C5", "spec.inboundConnectionPool.http.maxRetries", "max retries must be non-negative")]),
    ("c6_http_idle_timeout_under_1ms", pool(http={"idleTimeout": "0.5ms"}), [
        (E, "CRD", POOL_IDLE, f'{POOL_IDLE}: Invalid value: "string": must be a valid duration greater than 1ms'),
        (E, "C6", POOL_IDLE, "duration must be greater than 1ms")]),
    ("c6_http_idle_timeout_finer_than_ms", pool(http={"idleTimeout": "1.5ms"}), [
        (E, "C6", POOL_IDLE, "only durations to ms precision are supported")]),
    ("c7_upgrade_with_client_protocol", pool(http={"h2UpgradePolicy": "UPGRADE", "useClientProtocol": True}), [
        (E, "C7", "spec.inboundConnectionPool.http.useClientProtocol",
         "use client protocol must not be true when H2UpgradePolicy is UPGRADE")]),
    ("c8_negative_max_concurrent_streams", pool(http={"maxConcurrentStreams": -1}), [
        (E, "C8", "spec.inboundConnectionPool.http.maxConcurrentStreams",
         "max concurrent streams must be non-negative")]),
    ("c9_http2_keepalive_is_an_unknown_field_in_1_30", pool(http={"http2KeepAlive": {"interval": "10s"}}), [
        (E, "UNKNOWN", "spec.inboundConnectionPool.http.http2KeepAlive",
         'strict decoding error: unknown field "spec.inboundConnectionPool.http.http2KeepAlive"')]),
    ("c10_negative_max_connections", pool(tcp={"maxConnections": -5}), [
        (E, "C10", "spec.inboundConnectionPool.tcp.maxConnections", "max connections must be non-negative")]),
    ("c11_connect_timeout_finer_than_ms", pool(tcp={"connectTimeout": "1.0005s"}), [
        (E, "C11", POOL_CONNECT, "only durations to ms precision are supported")]),
    ("c11_connect_timeout_zero", pool(tcp={"connectTimeout": "0s"}), [
        (E, "CRD", POOL_CONNECT, f'{POOL_CONNECT}: Invalid value: "string": must be a valid duration greater than 1ms'),
        (E, "C11", POOL_CONNECT, "duration must be greater than 1ms")]),
    ("c11_max_connection_duration_finer_than_ms", pool(tcp={"maxConnectionDuration": "100us"}), [
        (E, "CRD", "spec.inboundConnectionPool.tcp.maxConnectionDuration",
         'spec.inboundConnectionPool.tcp.maxConnectionDuration: Invalid value: "string": '
         "must be a valid duration greater than 1ms"),
        (E, "C11", "spec.inboundConnectionPool.tcp.maxConnectionDuration", "duration must be greater than 1ms")]),
    ("c11_keepalive_interval_finer_than_ms", pool(tcp={"tcpKeepalive": {"time": "7200s", "interval": "75.0001s"}}), [
        (E, "C11", "spec.inboundConnectionPool.tcp.tcpKeepalive.interval",
         "only durations to ms precision are supported")]),
    ("c12_tcp_idle_timeout_finer_than_ms_has_no_crd_rule", pool(tcp={"idleTimeout": "1.0005s"}), [
        (E, "C12", "spec.inboundConnectionPool.tcp.idleTimeout", "only durations to ms precision are supported")]),
    ("c12_tcp_idle_timeout_negative", pool(tcp={"idleTimeout": "-1s"}), [
        (E, "C12", "spec.inboundConnectionPool.tcp.idleTimeout", "duration must be greater than 1ms")]),
    ("decode_tcp_idle_timeout_not_a_duration", pool(tcp={"idleTimeout": "forever"}), [
        (E, "DECODE", "spec.inboundConnectionPool.tcp.idleTimeout",
         'bad Duration: time: invalid duration "forever"')]),

    # ---- E: egress -----------------------------------------------------------------------
    ("e1_null_egress_entry", {"egress": [None]}, [(E, "E1", "spec.egress[0]", "egress listener may not be null")]),
    ("e2_port_less_listener_not_last",
     egress({"hosts": ["./*"]}, {"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["*/*"]}), [
        (E, "E2", "spec.egress[0]", "sidecar: the egress listener with empty port should be the last listener "
                                    "in the list")]),
    ("e2_three_catch_alls_give_e2_twice_and_never_e3",
     egress({"hosts": ["a/*"]}, {"hosts": ["b/*"]}, {"hosts": ["c/*"]}), [
        (E, "E2", "spec.egress[0]", "sidecar: the egress listener with empty port should be the last listener "
                                    "in the list"),
        (E, "E2", "spec.egress[1]", "sidecar: the egress listener with empty port should be the last listener "
                                    "in the list")]),
    ("e4_egress_target_port", egress({"port": {"number": 80, "targetPort": 8080}, "hosts": ["*/*"]}), [
        (E, "E4", "spec.egress[0].port.targetPort", "targetPort has no impact on Sidecars")]),
    ("e5_egress_port_name_not_dns_label", egress({"port": {"number": 80, "name": "-http"}, "hosts": ["*/*"]}), [
        (E, "E5", "spec.egress[0].port.name", "invalid port name: -http")]),
    ("e6_egress_unknown_protocol", egress({"port": {"number": 80, "protocol": "HTTP3"}, "hosts": ["*/*"]}), [
        (E, "E6", "spec.egress[0].port.protocol", "unsupported protocol: HTTP3")]),
    ("e6_unknown_protocol_on_a_socket_listener",
     egress({"port": {"number": 0, "protocol": "FTP"}, "bind": "unix:///var/run/out.sock", "hosts": ["*/*"]}), [
        (E, "E6", "spec.egress[0].port.protocol", "unsupported protocol: FTP")]),
    ("e7_port_zero_without_socket_bind", egress({"port": {"number": 0}, "hosts": ["*/*"]}), [
        (E, "E7", "spec.egress[0].port.number",
         "sidecar: ports with 0 value must have a unix domain socket bind address")]),
    ("e7_port_object_without_number_is_port_zero", egress({"port": {"protocol": "HTTP"}, "hosts": ["*/*"]}), [
        (E, "E7", "spec.egress[0].port.number",
         "sidecar: ports with 0 value must have a unix domain socket bind address")]),
    ("e8_socket_bind_without_path", egress({"port": {"number": 0}, "bind": "unix://", "hosts": ["*/*"]}), [
        (E, "E8", "spec.egress[0].bind", "unix address must not be empty")]),
    ("e8_socket_bind_relative_path", egress({"port": {"number": 0}, "bind": "unix://out.sock", "hosts": ["*/*"]}), [
        (E, "E8", "spec.egress[0].bind", "out.sock is not an absolute path to a file")]),
    ("e9_socket_listener_with_iptables_capture",
     egress({"port": {"number": 0}, "bind": "unix:///var/run/out.sock", "captureMode": "IPTABLES", "hosts": ["*/*"]}), [
        (E, "E9", "spec.egress[0].captureMode",
         "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners")]),
    ("e10_egress_port_above_65535", egress({"port": {"number": 65536}, "hosts": ["*/*"]}), [
        (E, "E10", "spec.egress[0].port.number", "port number 65536 must be in the range 1..65535")]),
    ("e11_socket_bind_with_a_port_number",
     egress({"port": {"number": 8080}, "bind": "unix:///var/run/out.sock", "hosts": ["*/*"]}), [
        (E, "E11", "spec.egress[0].bind", "unix:///var/run/out.sock is not a valid IP")]),
    ("e12_two_listeners_on_one_socket",
     egress({"port": {"number": 0}, "bind": "unix:///var/run/out.sock", "hosts": ["a/*"]},
            {"port": {"number": 0}, "bind": "unix:///var/run/out.sock", "hosts": ["b/*"]}), [
        (E, "E12", "spec.egress[1].bind", "sidecar: unix domain socket values for listeners must be unique")]),
    ("e13_same_port_on_two_binds_is_still_a_duplicate",
     egress({"port": {"number": 80}, "bind": "127.0.0.1", "hosts": ["a/*"]},
            {"port": {"number": 80}, "bind": "127.0.0.2", "hosts": ["b/*"]}), [
        (E, "E13", "spec.egress[1].port.number", "sidecar: ports on IP bound listeners must be unique")]),
    ("e14_empty_hosts_list", hosts(), [
        (E, "E14", "spec.egress[0].hosts", "sidecar: egress listener must contain at least one host")]),
    ("e15_host_without_namespace", hosts("httpbin.default.svc.cluster.local"), [
        (E, "E15", "spec.egress[0].hosts[0]", "host must be of form namespace/dnsName")]),
    ("e16_empty_dns_name", hosts("default/"), [
        (E, "E16", "spec.egress[0].hosts[0]", "config namespace and dnsName in host entry cannot be empty"),
        (E, "E18", "spec.egress[0].hosts[0]", "short names (non FQDN) are not allowed"),
        (E, "E19", "spec.egress[0].hosts[0]", "empty domain name not allowed"),
        (E, "E19", "spec.egress[0].hosts[0]", "empty domain name not allowed")]),
    ("e16_empty_namespace_is_also_an_invalid_namespace", hosts("/httpbin.default.svc.cluster.local"), [
        (E, "E16", "spec.egress[0].hosts[0]", "config namespace and dnsName in host entry cannot be empty"),
        (E, "E17", "spec.egress[0].hosts[0]", 'invalid namespace value "" in sidecar')]),
    ("e17_namespace_not_dns_label", hosts("Shop_NS/*"), [
        (E, "E17", "spec.egress[0].hosts[0]", 'invalid namespace value "Shop_NS" in sidecar')]),
    ("e17_tilde_prefix_is_not_a_namespace_in_1_30", hosts("~shop/*"), [
        (E, "E17", "spec.egress[0].hosts[0]", 'invalid namespace value "~shop" in sidecar')]),
    ("e18_short_name", hosts("default/httpbin"), [
        (E, "E18", "spec.egress[0].hosts[0]", "short names (non FQDN) are not allowed")]),
    ("e19_bad_label_reported_twice", hosts("default/my_svc.example.com"), [
        (E, "E19", "spec.egress[0].hosts[0]", 'domain name "my_svc.example.com" invalid (label "my_svc" invalid)'),
        (E, "E19", "spec.egress[0].hosts[0]", 'domain name "my_svc.example.com" invalid (label "my_svc" invalid)')]),
    ("e19_numeric_tld_names_the_rest_of_the_domain", hosts("default/db.123"), [
        (E, "E19", "spec.egress[0].hosts[0]",
         'domain name "123" invalid (top level domain "123" cannot be all-numeric)'),
        (E, "E19", "spec.egress[0].hosts[0]",
         'domain name "123" invalid (top level domain "123" cannot be all-numeric)')]),
    ("e19_ip_address_reported_once", hosts("default/10.0.0.1"), [
        (E, "E19", "spec.egress[0].hosts[0]",
         'domain name "0.0.1" invalid (top level domain "1" cannot be all-numeric)')]),
    ("e19_domain_longer_than_255", hosts("default/" + "a." * 128), [
        (E, "E19", "spec.egress[0].hosts[0]", f'domain name "{"a." * 128}" too long (max 255)'),
        (E, "E19", "spec.egress[0].hosts[0]", f'domain name "{"a." * 128}" too long (max 255)')]),
    ("e20_partial_wildcard_in_first_label", hosts("default/*foo.example.com"), [
        (E, "E20", "spec.egress[0].hosts[0]", 'partial wildcard "*foo.example.com" not allowed')]),
    ("e19_e20_wildcard_not_first", hosts("default/foo.*.com"), [
        (E, "E19", "spec.egress[0].hosts[0]", 'domain name "*.com" invalid (label "*" invalid)'),
        (E, "E19", "spec.egress[0].hosts[0]", 'domain name "*.com" invalid (label "*" invalid)'),
        (E, "E20", "spec.egress[0].hosts[0]", 'partial wildcard "foo.*.com" not allowed')]),
    ("e21_same_host_twice", hosts("default/a.example.com", "default/a.example.com"), [
        (W, "E21", "spec.egress[0].hosts[1]", "duplicated egress host: default/a.example.com")]),
    ("e21_host_after_namespace_wildcard", hosts("default/*", "default/a.example.com"), [
        (W, "E21", "spec.egress[0].hosts[1]", "duplicated egress host: default/a.example.com")]),
    ("e21_namespace_wildcard_after_a_host", hosts("default/a.example.com", "default/*"), [
        (W, "E21", "spec.egress[0].hosts[1]", "duplicated egress host: default/*")]),
    ("e21_dot_is_the_sidecar_namespace", hosts(f"{NS}/*", "./*"), [
        (W, "E21", "spec.egress[0].hosts[1]", "duplicated egress host: ./*")]),
    ("e22_everything_and_more", hosts("*/*", "istio-system/*"), [
        (W, "E22", "spec.egress[0].hosts", "`*/*` host select all resources, no other hosts can be added")]),

    # ---- O: outboundTrafficPolicy --------------------------------------------------------
    ("o1_dynamic_dns_is_only_a_crd_error_in_1_30", {"outboundTrafficPolicy": {"mode": "ALLOW_ANY_DYNAMIC_DNS"}}, [
        (E, "CRD", "spec.outboundTrafficPolicy.mode", 'spec.outboundTrafficPolicy.mode: Unsupported value: '
         '"ALLOW_ANY_DYNAMIC_DNS": supported values: "REGISTRY_ONLY", "ALLOW_ANY"')]),
    ("o2_egress_proxy_without_mode_means_registry_only",
     proxy(mode=None, host="proxy.example.com", port={"number": 3128}), [
        (E, "O2", "spec.outboundTrafficPolicy.egressProxy",
         "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode")]),
    ("o2_egress_proxy_with_registry_only",
     proxy(mode="REGISTRY_ONLY", host="proxy.example.com", port={"number": 3128}), [
        (E, "O2", "spec.outboundTrafficPolicy.egressProxy",
         "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode")]),
    ("o3_egress_proxy_host_bad_label", proxy(host="my_proxy.example.com", port={"number": 3128}), [
        (E, "O3", "spec.outboundTrafficPolicy.egressProxy.host",
         'domain name "my_proxy.example.com" invalid (label "my_proxy" invalid)'),
        (E, "O5", "spec.outboundTrafficPolicy.egressProxy.host",
         'domain name "my_proxy.example.com" invalid (label "my_proxy" invalid)')]),
    ("o3_egress_proxy_host_wildcard", proxy(host="*.example.com", port={"number": 3128}), [
        (E, "O3", "spec.outboundTrafficPolicy.egressProxy.host",
         'domain name "*.example.com" invalid (label "*" invalid)')]),
    ("o4_egress_proxy_without_port", proxy(host="proxy.example.com"), [
        (E, "O4", "spec.outboundTrafficPolicy.egressProxy.port", "sidecar: egress_proxy port must be non-nil")]),
    ("o5_egress_proxy_host_star", proxy(host="*", port={"number": 3128}), [
        (E, "O3", "spec.outboundTrafficPolicy.egressProxy.host", 'domain name "*" invalid (label "*" invalid)'),
        (E, "O5", "spec.outboundTrafficPolicy.egressProxy.host", "invalid destination host *")]),
    ("o5_egress_proxy_bad_subset", proxy(host="proxy.example.com", subset="v1_0", port={"number": 3128}), [
        (E, "O5", "spec.outboundTrafficPolicy.egressProxy.subset", "subset name is invalid: v1_0")]),
    ("o5_egress_proxy_port_without_number", proxy(host="proxy.example.com", port={}), [
        (E, "O5", "spec.outboundTrafficPolicy.egressProxy.port.number",
         "port number 0 must be in the range 1..65535")]),
]

# Situations that must not produce a single message.
VALID = [
    ("seed_a_productpage_connection_pools", {
        "workloadSelector": {"labels": {"app": "productpage"}},
        "inboundConnectionPool": {"http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": 1024,
                                           "maxRequestsPerConnection": 1024, "maxRetries": 100}},
        "ingress": [{"port": {"number": 80, "protocol": "HTTP", "name": "somename"},
                     "connectionPool": {"http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": 1024,
                                                 "maxRequestsPerConnection": 1024, "maxRetries": 100},
                                        "tcp": {"maxConnections": 100}}}]}),
    ("seed_b_root_registry_only", {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}),
    ("seed_c_sleep_sees_only_istioinaction", {
        "workloadSelector": {"labels": {"run": "sleep"}}, "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
        "egress": [{"hosts": ["istioinaction/*"]}]}),
    ("seed_d_capture_mode_none_with_default_endpoint", {
        "workloadSelector": {"labels": {"app": "productpage"}},
        "ingress": [{"bind": "172.16.1.32", "port": {"number": 80, "protocol": "HTTP", "name": "somename"},
                     "defaultEndpoint": "127.0.0.1:8080", "captureMode": "NONE"}],
        "egress": [{"captureMode": "IPTABLES", "hosts": ["*/*"]}]}),
    ("tilde_alone_imports_nothing_and_is_valid", hosts("~/*")),
    ("wildcard_subdomain_host", hosts("*/*.example.com")),
    ("dot_namespace", hosts("./*")),
    ("fqdn_with_trailing_dot", hosts("default/httpbin.default.svc.cluster.local.")),
    ("same_name_in_two_namespaces_is_no_duplicate", hosts("a/x.example.com", "b/x.example.com")),
    ("port_less_listener_last", egress({"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["./*"]},
                                       {"hosts": ["istio-system/*"]})),
    ("outbound_policy_empty_means_registry_only", {"outboundTrafficPolicy": {}}),
    ("egress_proxy_with_allow_any", proxy(host="proxy.example.com", subset="v1", port={"number": 3128})),
    ("tcp_idle_timeout_zero_turns_it_off", pool(tcp={"idleTimeout": "0s"})),
    ("tcp_idle_timeout_under_1ms_is_skipped_like_zero", pool(tcp={"idleTimeout": "0.5ms"})),
    ("go_duration_syntax", pool(tcp={"connectTimeout": "300ms", "maxConnectionDuration": "2h45m",
                                     "tcpKeepalive": {"time": "1.5h", "interval": "75s"}},
                                http={"idleTimeout": "1m"})),
    ("default_endpoints_loopback_and_any", {"ingress": [
        {"port": {"number": 1, "protocol": "HTTP"}, "defaultEndpoint": "[::1]:8080"},
        {"port": {"number": 2, "protocol": "HTTP"}, "defaultEndpoint": "0.0.0.0:8080"},
        {"port": {"number": 3, "protocol": "HTTP"}, "defaultEndpoint": "[::]:8080"},
        {"port": {"number": 4, "protocol": "HTTP"}, "defaultEndpoint": ":8080"},
        {"port": {"number": 5, "protocol": "HTTP"}, "defaultEndpoint": "unix:///var/run/app.sock"},
        {"port": {"number": 6, "protocol": "HTTP"}, "defaultEndpoint": "unix://@abstract"}]}),
    ("socket_listeners_with_abstract_and_file_paths", egress(
        {"port": {"number": 0}, "bind": "unix://@egress", "captureMode": "NONE", "hosts": ["a/*"]},
        {"port": {"number": 0}, "bind": "unix:///var/run/egress.sock", "captureMode": "DEFAULT", "hosts": ["b/*"]})),
    ("http_pool_on_grpc_port", {"ingress": [{"port": {"number": 9090, "protocol": "grpc"},
                                             "connectionPool": {"http": {"maxRetries": 1}}}]}),
    ("mutual_tls_from_files", https(mode="MUTUAL", caCertificates="/etc/certs/ca.pem")),
    ("simple_tls_on_a_tls_port", {"ingress": [{"port": {"number": 9443, "protocol": "tls"},
                                               "tls": https()["ingress"][0]["tls"]}]}),
    ("ipv6_bind", ingress(bind="::1")),
    ("uppercase_port_name_is_a_dns_label_for_istio", ingress(port={"number": 80, "protocol": "HTTP", "name": "HTTP"})),
]

# Istio 1.31 changes, behind release="1.31".
RELEASE_131 = [
    ("c9_http2_keepalive_needs_a_timeout", pool(http={"http2KeepAlive": {"interval": "10s"}}), [
        (E, "C9", "spec.inboundConnectionPool.http.http2KeepAlive.timeout", "http2 keepalive timeout is required")]),
    ("c9_http2_keepalive_needs_an_interval", pool(http={"http2KeepAlive": {"timeout": "10s"}}), [
        (E, "C9", "spec.inboundConnectionPool.http.http2KeepAlive.interval", "http2 keepalive interval is required")]),
    ("c9_http2_keepalive_finer_than_ms", pool(http={"http2KeepAlive": {"interval": "10s", "timeout": "1.0001s"}}), [
        (E, "C9", "spec.inboundConnectionPool.http.http2KeepAlive.timeout",
         "only durations to ms precision are supported")]),
    ("o1_dynamic_dns_in_a_sidecar", {"outboundTrafficPolicy": {"mode": "ALLOW_ANY_DYNAMIC_DNS"}}, [
        (E, "CRD", "spec.outboundTrafficPolicy.mode", 'spec.outboundTrafficPolicy.mode: Unsupported value: '
         '"ALLOW_ANY_DYNAMIC_DNS": supported values: "REGISTRY_ONLY", "ALLOW_ANY"'),
        (E, "O1", "spec.outboundTrafficPolicy.mode",
         "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource")]),
    ("e17_tilde_prefix_excludes_a_namespace", hosts("~shop/*"), []),
    ("e17_tilde_prefix_still_needs_a_dns_label", hosts("~Shop_NS/*"), [
        (E, "E17", "spec.egress[0].hosts[0]", 'invalid namespace value "~Shop_NS" in sidecar')]),
]


def _as_rows(messages):
    return [(m.level, m.rule, m.path, m.message) for m in messages]


def _expected_rows(expected):
    return [(level, rule, P(field) if isinstance(field, str) else field, message)
            for level, rule, field, message in expected]


@pytest.mark.parametrize("spec, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(spec, expected):
    assert sidecar_type_errors(spec) == []  # every case is well typed, as the loader guarantees
    assert _as_rows(validate_sidecar(spec, NS, release=TABLE_RELEASE)) == _expected_rows(expected)


@pytest.mark.parametrize("spec", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_sidecar_gets_no_message(spec):
    assert sidecar_type_errors(spec) == []
    messages = validate_sidecar(spec, NS, release=TABLE_RELEASE)
    assert messages == ()
    assert is_admitted(messages)


@pytest.mark.parametrize("spec, expected", [c[1:] for c in RELEASE_131], ids=[c[0] for c in RELEASE_131])
def test_rule_in_istio_1_31(spec, expected):
    assert _as_rows(validate_sidecar(spec, NS, release="1.31")) == _expected_rows(expected)


# (situation, spec, index of the message, its hint)
HINTS = [
    ("unknown_field_names_the_field_meant", {"egres": []}, 0, 'did you mean "egress"?'),
    ("short_name_suggests_the_service_fqdn", hosts("default/httpbin"), 0,
     'did you mean "default/httpbin.default.svc.cluster.local"?'),
    ("short_name_in_dot_namespace_uses_the_sidecar_namespace", hosts("./reviews"), 0,
     f'did you mean "./reviews.{NS}.svc.cluster.local"?'),
    ("host_without_slash_suggests_any_namespace", hosts("httpbin.default.svc.cluster.local"), 0,
     'did you mean "*/httpbin.default.svc.cluster.local"?'),
    # A suggestion must itself be admitted: "*/httpbin" would be refused as a short name (E18).
    ("bare_short_name_suggests_its_fqdn_in_the_sidecar_namespace", hosts("httpbin"), 0,
     f'did you mean "./httpbin.{NS}.svc.cluster.local"?'),
    ("name_dot_namespace_suggests_that_namespace_and_the_fqdn", hosts("httpbin.default"), 0,
     'did you mean "default/httpbin.default.svc.cluster.local"?'),
    ("tilde_prefix_explains_1_30", hosts("~shop/*"), 0,
     'Istio 1.30 accepts "~" only as the whole namespace ("~/*" imports nothing); "~" excludes a namespace '
     'from Istio 1.31'),
    ("second_copy_of_e19_says_it_is_a_duplicate", hosts("default/my_svc.example.com"), 1,
     "Istio reports this error twice for Sidecar hosts"),
    ("i20_explains_the_doubled_prefix", https(mode="ISTIO_MUTUAL", serverCertificate=None, privateKey=None), 0,
     'kubectl prints "configuration is invalid: configuration is invalid: ...": the webhook adds its own '
     "prefix to Istio's text"),
    ("egress_proxy_without_mode", proxy(mode=None, host="proxy.example.com", port={"number": 3128}), 0,
     "outboundTrafficPolicy without mode means REGISTRY_ONLY"),
]


@pytest.mark.parametrize("spec, index, hint", [c[1:] for c in HINTS], ids=[c[0] for c in HINTS])
def test_hint(spec, index, hint):
    assert validate_sidecar(spec, NS, release=TABLE_RELEASE)[index].hint == hint
    suggested = re.search(r'did you mean "([^"]+)"', hint)
    if suggested and "/" in suggested[1]:  # a suggested host is admitted as it stands
        assert is_admitted(validate_sidecar(hosts(suggested[1]), NS, release=TABLE_RELEASE)), suggested[1]


def test_warnings_alone_admit_the_sidecar():
    messages = validate_sidecar(hosts("*/*", "istio-system/*"), NS)
    assert [m.level for m in messages] == [W] and is_admitted(messages)


def test_an_unknown_field_is_enough_to_refuse_it():
    messages = validate_sidecar({"outboundTrafficPolicy": {"mode": "ALLOW_ANY", "egresProxy": {}}}, NS)
    assert [m.rule for m in messages] == ["UNKNOWN"] and not is_admitted(messages)


def test_message_field_prints_the_path_and_the_message_is_frozen():
    message = validate_sidecar(hosts("default/httpbin"), NS)[0]
    assert message.field == "spec.egress[0].hosts[0]"
    assert message.path == ("spec", "egress", 0, "hosts", 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.level = WARNING  # type: ignore[misc]


def test_null_spec_is_an_empty_sidecar():
    assert _as_rows(validate_sidecar(None, NS)) == [(E, "T4", ("spec",), "sidecar: empty configuration provided")]


@pytest.mark.parametrize("release", ["latest", "1.21", "1.32", "2.0", "1"])
def test_release_must_be_a_modelled_istio_release(release):
    with pytest.raises(UsageError):
        validate_sidecar({}, NS, release=release)


def test_every_rule_of_the_table_is_covered_by_a_case():
    rules = {rule for rule, _, _ in MESSAGES.values() if rule} | {"C6", "C11", "C12"}
    seen = {row[1] for _, _, expected in CASES + RELEASE_131 for row in expected}
    # E3 is unreachable in Istio: the flag it needs is only set at the last listener
    assert rules - seen == {"E3"}


DURATIONS = [
    ("300ms", 300_000_000), ("1.5s", 1_500_000_000), ("2h45m", 9_900_000_000_000), ("1m", 60_000_000_000),
    ("-1.5h", -5_400_000_000_000), ("+0", 0), ("0", 0), (".5s", 500_000_000), ("1µs", 1_000), ("1μs", 1_000),
    ("1h1m1s1ms1us1ns", 3_661_001_001_001), ("9223372036854775807ns", 9_223_372_036_854_775_807),
]
BAD_DURATIONS = [
    ("", 'time: invalid duration ""'), ("1", 'time: missing unit in duration "1"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'), (".s", 'time: invalid duration ".s"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ("1 s", 'time: unknown unit " s" in duration "1 s"'),
    ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
]


@pytest.mark.parametrize("text, nanoseconds", DURATIONS, ids=[d[0] or "empty" for d in DURATIONS])
def test_go_duration(text, nanoseconds):
    assert parse_go_duration(text) == nanoseconds


@pytest.mark.parametrize("text, message", BAD_DURATIONS, ids=[d[0] or "empty" for d in BAD_DURATIONS])
def test_go_duration_error(text, message):
    with pytest.raises(ValueError) as caught:
        parse_go_duration(text)
    assert str(caught.value) == message


# -- properties ---------------------------------------------------------------------------
TRICKY_STRINGS = [
    "", "*", "*/*", "./*", "~/*", "~x/*", "/", "a/", "/b", "ns/a", "ns/a.b", "ns/*.b", "ns/*x.b", "ns/a.*.b",
    "ns/10.0.0.1", "1s", "0s", "0.5ms", "1.0005s", "-1s", "abc", "0", "unix://", "unix:///x", "unix://x",
    "unix://@a", "127.0.0.1:80", "127.0.0.1", "[::1]:80", "[::1]", "::1", "a:b:c", "HTTP", "tcp", "GRPC-Web",
    "HTTPS", "UPGRADE", "ISTIO_MUTUAL", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "TLSV1_0", "ALLOW_ANY",
    "REGISTRY_ONLY", "ALLOW_ANY_DYNAMIC_DNS", "IPTABLES", "NONE", "DEFAULT", "µs", "1µs", "ALL", "-x",
    "AES128-SHA", "é", "a\nb", "\x00",
]
strings = st.sampled_from(TRICKY_STRINGS) | st.text(max_size=10)
integers = st.integers(min_value=-3, max_value=70000) | st.sampled_from([-(2 ** 40), 4294967296, 2 ** 70])


def typed(node):
    """Values of the right JSON type for a schema node: what the loader lets through."""
    if node.kind == OBJECT:
        optional = {name: st.none() | typed(child) for name, child in node.fields.items()}
        known = st.fixed_dictionaries({}, optional=optional)
        unknown = st.dictionaries(st.sampled_from(["egres", "hostz", "prot"]), st.integers(), max_size=1)
        return st.builds(lambda a, b: {**a, **b}, known, unknown)
    if node.kind == MAP:
        return st.dictionaries(strings, typed(node.items), max_size=3)
    if node.kind == LIST:
        item = typed(node.items)
        return st.lists(st.none() | item if node.nullable_items else item, max_size=3)
    if node.kind == STRING:
        return strings
    if node.kind == INTEGER:
        return integers
    assert node.kind == BOOLEAN
    return st.booleans()


KNOWN_RULES = {rule for rule, _, _ in MESSAGES.values() if rule} | {"C6", "C9", "C11", "C12", "CRD", "UNKNOWN"}


@settings(max_examples=400, deadline=None)
@given(typed(SIDECAR_SPEC), st.sampled_from(["1.22", "1.23", "1.24", "1.26", "1.27", "1.30", "1.31"]))
def test_validation_never_raises_on_a_well_typed_spec(spec, release):
    assert sidecar_type_errors(spec) == []
    messages = validate_sidecar(spec, NS, release=release)
    assert all(isinstance(m, ValidationMessage) for m in messages)
    assert all(m.level in (ERROR, WARNING) and m.path[0] == "spec" and m.rule in KNOWN_RULES for m in messages)
    unknown = sidecar_unknown_fields(spec, rules_for(release))
    assert [m for m in messages if m.rule == "UNKNOWN"] == [m for m in messages[:len(unknown)]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["egress", "ingress", "hosts", "port", "number", "workloadSelector",
                                       "labels", "tls", "mode", "outboundTrafficPolicy"]) | strings,
                      children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_yaml_value_is_either_refused_by_type_or_validated(spec):
    if sidecar_type_errors(spec):
        return
    validate_sidecar(spec, NS)
