"""Admission validation of a Sidecar: what ``kubectl apply`` would be told, message for message.

Three layers, reported in this order:

1. ``UNKNOWN`` — fields the CRD does not know. ``kubectl apply`` validates fields strictly by
   default (Kubernetes 1.27+) and refuses them: ``strict decoding error: unknown field "spec.egres"``.
2. ``CRD`` — the OpenAPI constraints and CEL rules of the CRD (:mod:`sidecar_lab.core.schema`), worded
   the way the API server words them.
3. Istio's ``ValidateSidecar`` (``pkg/config/validation/validation.go``), run by the validating
   webhook: every rule of the rule table (T, I, P, E, O, C ids) with Istio's exact text, its
   severity, its early returns and its quirks. ``DECODE`` marks the one value the webhook cannot
   even decode that no CEL rule catches first (a ``tcp.idleTimeout`` that is not a duration).

The API server stops at the first layer that fails, and the webhook drops its warnings once
there is an error; the simulator reports every layer (and every warning) so a learner can fix
everything in one pass. Early returns *inside* ``ValidateSidecar`` are kept: a selector error
(T1/T2) or an empty Sidecar (T4) ends the Go layer, so T4 swallows the T3 warning, as in Istio.
Each layer follows one release (``release=``, default the lab's 1.26): what changed between 1.22
and 1.31 is read from the switches of :class:`sidecar_lab.core.versions.Rules` (fields a later
release adds, the CEL rules of each CRD, I18/I19/I24 from 1.27, C9, O1 and ``~`` exclusions
from 1.31).

>>> msgs = validate_sidecar({"egress": [{"hosts": ["default/httpbin"]}]}, "default")
>>> [(m.level, m.rule, m.field, m.message) for m in msgs]
[('Error', 'E18', 'spec.egress[0].hosts[0]', 'short names (non FQDN) are not allowed')]
>>> msgs[0].hint
'did you mean "default/httpbin.default.svc.cluster.local"?'
>>> is_admitted(msgs), is_admitted(validate_sidecar({"outboundTrafficPolicy": {}}, "default"))
(False, True)
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from .schema import (AT_MOST_ONE, LIST, MAP, MIN_DURATION_1MS, NO_WILDCARD, OBJECT, SIDECAR_SPEC,
                     STRING, INTEGER, Node, active, unknown_fields)
from .versions import IstioVersion, Rules, rules_for
from .yamlio import format_path

__all__ = ["ValidationMessage", "validate_sidecar", "is_admitted", "parse_go_duration",
           "ERROR", "WARNING", "MESSAGES"]

ERROR = "Error"
WARNING = "Warning"


@dataclass(frozen=True, slots=True)
class ValidationMessage:
    """One finding: Istio's (or the API server's) text, where it points, and which rule said it."""

    level: str        # "Error" or "Warning"
    message: str      # the text kubectl would print, placeholders filled
    path: tuple       # the most specific field path, from "spec"
    rule: str         # rule id: T1..T4, I1..I30, E1..E22, O1..O5, C1..C12, CRD, UNKNOWN, DECODE
    hint: str | None = None

    @property
    def field(self) -> str:
        return format_path(self.path)


def is_admitted(messages: Iterable[ValidationMessage]) -> bool:
    """True when nothing is an Error: warnings alone still let the object in."""
    return not any(m.level == ERROR for m in messages)


# --------------------------------------------------------------------------------------------
# Istio's messages, as data: key -> (rule id, severity, text). "{}" is filled with values
# already formatted the Go way (%q -> _go_quote, %v of a []string -> "[a b]").
# --------------------------------------------------------------------------------------------
MESSAGES: dict[str, tuple[str, str, str]] = {
    "selector-empty-key": ("T1", ERROR, "empty key is not supported in selector: {}"),
    "selector-wildcard": ("T2", ERROR, "wildcard is not supported in selector: {}"),
    "selector-no-labels": ("T3", WARNING, "sidecar: workload selector specified without labels, "
                                          "will be applied to all services in namespace"),
    "empty": ("T4", ERROR, "sidecar: empty configuration provided"),

    "ingress-null": ("I1", ERROR, "sidecar: ingress may not be null"),
    "ingress-no-port": ("I2", ERROR, "sidecar: port is required for ingress listeners"),
    "ingress-target-port": ("I3", ERROR, "targetPort has no impact on Sidecars"),
    "ingress-port-name": ("I4", ERROR, "invalid port name: {}"),
    "ingress-protocol": ("I5", ERROR, "unsupported protocol: {}"),
    "ingress-port-range": ("I6", ERROR, "port number {} must be in the range 1..65535"),
    "ingress-bind": ("I7", ERROR, "{} is not a valid IP"),
    "ingress-port-dup": ("I8", ERROR, "sidecar: ports on IP bound listeners must be unique"),
    "endpoint-unix-empty": ("I9", ERROR, "unix address must not be empty"),
    "endpoint-unix-path": ("I10", ERROR, "{} is not an absolute path to a file"),
    "endpoint-split": ("I11", ERROR, "{}"),
    "endpoint-host": ("I12", ERROR, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,"
                                    "0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset"),
    "endpoint-port-nan": ("I13", ERROR, "sidecar: defaultEndpoint port ({}) is not a number: {}"),
    "endpoint-port-range": ("I14", ERROR, "port number {} must be in the range 1..65535"),
    "tls-san": ("I15", ERROR, "sidecar: subjectAltNames is not supported in ingress tls"),
    "tls-redirect": ("I16", ERROR, "sidecar: httpsRedirect is not supported"),
    "tls-credential": ("I17", ERROR, "sidecar: credentialName is not currently supported"),
    "tls-credentials": ("I18", ERROR, "sidecar: credentialNames is not currently supported"),
    "tls-certificates": ("I19", ERROR, "sidecar: tls_certificates is not currently supported"),
    "tls-mode": ("I20", ERROR, "configuration is invalid: cannot set mode to {} in sidecar ingress tls"),
    # validateTLSOptions' own ISTIO_MUTUAL checks: they only fire together with I20.
    "tls-istio-mutual-field": ("I20", ERROR, "ISTIO_MUTUAL TLS cannot have associated {}"),
    "tls-plain-port": ("I21", ERROR, "server cannot have TLS settings for non HTTPS/TLS ports"),
    "tls-need-cert": ("I22", ERROR, "{} requires a server certificate"),
    "tls-need-key": ("I22", ERROR, "{} requires a private key"),
    "tls-too-many-certs": ("I22", WARNING, "{} can support up to 2 server certificates"),
    "tls-need-ca": ("I23", ERROR, "{} requires a client CA bundle"),
    "tls-cert-sources": ("I24", ERROR, "only one of credential_name, credential_names, "
                                       "server_certificate/private_key, tls_certificates should be specified"),
    "tls-crl-simple": ("I25", ERROR, "CRL is not supported with SIMPLE TLS"),
    "tls-crl-credential": ("I25", ERROR, "CRL is not supported with credentialName. "
                                         "CRL has to be specified in the credential"),
    "tls-old-version": ("I26", WARNING, "TLS version below TLSV1_2 require setting compatible ciphers "
                                        "as by default they no longer include compatible ciphers."),
    "tls-bad-ciphers": ("I27", WARNING, "ignoring invalid cipher suites: {}"),
    "tls-dup-ciphers": ("I27", WARNING, "ignoring duplicate cipher suites: {}"),
    "tls-passthrough-certs": ("I28", WARNING, "{} mode does not use certificates, they will be ignored"),
    "ingress-http-pool": ("I30", WARNING, "sidecar: HTTP connection pool settings are configured for port "
                                          "{} ({}) but its protocol is not HTTP ({}); only TCP settings will apply"),

    "pool-empty": ("C1", ERROR, "connection pool must have at least one field"),
    "http1MaxPendingRequests": ("C2", ERROR, "http1 max pending requests must be non-negative"),
    "http2MaxRequests": ("C3", ERROR, "http2 max requests must be non-negative"),
    "maxRequestsPerConnection": ("C4", ERROR, "max requests per connection must be non-negative"),
    "maxRetries": ("C5", ERROR, "max retries must be non-negative"),
    "h2-upgrade": ("C7", ERROR, "use client protocol must not be true when H2UpgradePolicy is UPGRADE"),
    "maxConcurrentStreams": ("C8", ERROR, "max concurrent streams must be non-negative"),
    "keepalive-interval": ("C9", ERROR, "http2 keepalive interval is required"),
    "keepalive-timeout": ("C9", ERROR, "http2 keepalive timeout is required"),
    "maxConnections": ("C10", ERROR, "max connections must be non-negative"),
    "duration-short": ("", ERROR, "duration must be greater than 1ms"),          # rule id from caller
    "duration-precision": ("", ERROR, "only durations to ms precision are supported"),
    "duration-decode": ("DECODE", ERROR, "bad Duration: {}"),

    "egress-null": ("E1", ERROR, "egress listener may not be null"),
    "egress-catch-all-last": ("E2", ERROR, "sidecar: the egress listener with empty port should be "
                                           "the last listener in the list"),
    "egress-catch-all-twice": ("E3", ERROR, "sidecar: egress can have only one listener with empty port"),
    "egress-target-port": ("E4", ERROR, "targetPort has no impact on Sidecars"),
    "egress-port-name": ("E5", ERROR, "invalid port name: {}"),
    "egress-protocol": ("E6", ERROR, "unsupported protocol: {}"),
    "egress-uds-bind": ("E7", ERROR, "sidecar: ports with 0 value must have a unix domain socket bind address"),
    "egress-unix-empty": ("E8", ERROR, "unix address must not be empty"),
    "egress-unix-path": ("E8", ERROR, "{} is not an absolute path to a file"),
    "egress-uds-capture": ("E9", ERROR, "sidecar: captureMode must be DEFAULT/NONE for unix domain "
                                        "socket listeners"),
    "egress-port-range": ("E10", ERROR, "port number {} must be in the range 1..65535"),
    "egress-bind": ("E11", ERROR, "{} is not a valid IP"),
    "egress-uds-dup": ("E12", ERROR, "sidecar: unix domain socket values for listeners must be unique"),
    "egress-port-dup": ("E13", ERROR, "sidecar: ports on IP bound listeners must be unique"),
    "egress-no-hosts": ("E14", ERROR, "sidecar: egress listener must contain at least one host"),
    "host-form": ("E15", ERROR, "host must be of form namespace/dnsName"),
    "host-empty-part": ("E16", ERROR, "config namespace and dnsName in host entry cannot be empty"),
    "host-namespace": ("E17", ERROR, "invalid namespace value {} in sidecar"),
    "host-short-name": ("E18", ERROR, "short names (non FQDN) are not allowed"),
    "host-domain": ("E19", ERROR, "{}"),
    "host-partial-wildcard": ("E20", ERROR, "partial wildcard {} not allowed"),
    "host-duplicate": ("E21", WARNING, "duplicated egress host: {}"),
    "host-all-and-more": ("E22", WARNING, "`*/*` host select all resources, no other hosts can be added"),

    "otp-dynamic-dns": ("O1", ERROR, "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, "
                                     "not in Sidecar resource"),
    "otp-proxy-mode": ("O2", ERROR, "sidecar: egress_proxy must be set only with ALLOW_ANY "
                                    "outbound_traffic_policy mode"),
    "otp-proxy-fqdn": ("O3", ERROR, "{}"),
    "otp-proxy-no-port": ("O4", ERROR, "sidecar: egress_proxy port must be non-nil"),
    "otp-proxy-star": ("O5", ERROR, "invalid destination host {}"),
    "otp-proxy-domain": ("O5", ERROR, "{}"),
    "otp-proxy-subset": ("O5", ERROR, "subset name is invalid: {}"),
    "otp-proxy-port": ("O5", ERROR, "port number {} must be in the range 1..65535"),
}

_MS = 1_000_000  # nanoseconds
_UNIX = "unix://"
_HTTP_FAMILY = {"HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-Web"}
_TLS_FAMILY = {"HTTPS", "TLS"}
# protocol.Parse: case-insensitive names -> Istio's protocol constants
_PROTOCOLS = {p.lower(): p for p in ("TCP", "UDP", "GRPC", "GRPC-Web", "HTTP", "HTTP_PROXY", "HTTP2",
                                     "HTTPS", "TLS", "Mongo", "Redis", "MySQL")}
# security.ValidCipherSuites (BoringSSL names)
_CIPHERS = frozenset((
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
))
_TLS_MODES = ("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL")
_CERT_MODES = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")


def validate_sidecar(spec: Any, namespace: str, *,
                     release: "str | IstioVersion | Rules | None" = None) -> tuple[ValidationMessage, ...]:
    """Every finding for a Sidecar ``spec`` in ``namespace``: unknown fields, CRD, then Istio's rules.

    ``spec`` must already be free of type errors (:func:`sidecar_lab.core.schema.sidecar_type_errors`);
    ``None`` is read as an empty spec. ``namespace`` resolves ``.`` in egress hosts (E21) and
    names the FQDN a short host probably meant. ``release`` is the Istio release whose CRD and
    webhook answer (``"1.26"``, ``"1.30.2"`` or a :class:`~sidecar_lab.core.versions.Rules`;
    default the lab's 1.26).

    >>> [m.message for m in validate_sidecar({"egres": [{"hosts": ["*/*"]}]}, "default")]
    ['strict decoding error: unknown field "spec.egres"', 'sidecar: empty configuration provided']
    >>> keepalive = {"inboundConnectionPool": {"http": {"http2KeepAlive": {"interval": "10s"}}}}
    >>> [(m.rule, m.message) for m in validate_sidecar(keepalive, "default", release="1.31")]
    [('C9', 'http2 keepalive timeout is required')]
    >>> validate_sidecar(keepalive, "default", release="1.30")[0].hint
    'Istio 1.31 adds this field; this is Istio 1.30'
    """
    if spec is None:
        spec = {}
    rules = rules_for(release)
    report = _Report(rules)
    for path, suggestion, switch in unknown_fields(spec, rules):
        if switch is not None:
            hint = f"Istio {getattr(Rules, switch).since} adds this field; this is Istio {rules.version}"
        else:
            hint = f'did you mean "{suggestion}"?' if suggestion else None
        # the strict decoder quotes the field path with Go's %q
        report.raw("UNKNOWN", ERROR, f"strict decoding error: unknown field {_go_quote(format_path(path))}",
                   path, hint)
    _check_crd(spec, report)
    _check_sidecar(spec, namespace, report)
    return tuple(report.messages)


class _Report:
    __slots__ = ("messages", "rules")

    def __init__(self, rules: Rules) -> None:
        self.messages: list[ValidationMessage] = []
        self.rules = rules

    def add(self, key: str, path: tuple, *args: Any, hint: str | None = None, rule: str = "") -> None:
        default_rule, level, text = MESSAGES[key]
        self.messages.append(ValidationMessage(level, text.format(*args) if args else text, path,
                                               rule or default_rule, hint))

    def raw(self, rule: str, level: str, text: str, path: tuple, hint: str | None = None) -> None:
        self.messages.append(ValidationMessage(level, text, path, rule, hint))


# --------------------------------------------------------------------------------------------
# Layer 2: the CRD schema, worded like the API server (field.Error bodies).
# --------------------------------------------------------------------------------------------
def _check_crd(spec: dict, report: _Report) -> None:
    # ``shown`` is the path as CEL errors print it: map keys in brackets (field.Path.Key).
    stack: list[tuple[Any, Node, tuple, str]] = [(spec, SIDECAR_SPEC, ("spec",), "spec")]
    while stack:
        value, node, path, shown = stack.pop()
        where = format_path(path)
        children: list[tuple[Any, Node, tuple, str]] = []
        rules = report.rules
        constrained = active(node.constraints_when, rules)
        if node.kind == OBJECT:
            for name in node.required:
                if value.get(name) is None:
                    report.raw("CRD", ERROR, f"{where}.{name}: Required value", path + (name,))
            for rule in node.rules:
                if rule.kind == AT_MOST_ONE and active(rule.when, rules) and \
                        sum(value.get(f) is not None for f in rule.fields) > 1:
                    report.raw("CRD", ERROR, f'{shown}: Invalid value: "object": {rule.message}', path)
            for key, child in value.items():
                sub = node.fields.get(key) if isinstance(key, str) else None
                if sub is not None and child is not None and active(sub.when, rules):
                    children.append((child, sub, path + (key,), f"{shown}.{key}"))
        elif node.kind == MAP:
            if constrained and node.max_properties is not None and len(value) > node.max_properties:
                report.raw("CRD", ERROR, f"{where}: Too many: {len(value)}: must have at most "
                                         f"{node.max_properties} items", path)
            children = [(child, node.items, path + (key,), f"{shown}[{key}]") for key, child in value.items()]
        elif node.kind == LIST:
            if node.min_items is not None and len(value) < node.min_items:
                report.raw("CRD", ERROR, f"{where}: Invalid value: {len(value)}: {where} in body should have "
                                         f"at least {node.min_items} items", path)
            if node.max_items is not None and len(value) > node.max_items:
                report.raw("CRD", ERROR, f"{where}: Too many: {len(value)}: must have at most "
                                         f"{node.max_items} items", path)
            children = [(child, node.items, path + (i,), f"{shown}[{i}]")
                        for i, child in enumerate(value) if child is not None]
        elif node.kind == STRING:
            _check_crd_string(value, node, path, where, shown, report, constrained)
        elif node.kind == INTEGER:
            if node.minimum is not None and value < node.minimum:
                report.raw("CRD", ERROR, f"{where}: Invalid value: {value}: {where} in body should be "
                                         f"greater than or equal to {node.minimum}", path)
            if node.maximum is not None and value > node.maximum:
                report.raw("CRD", ERROR, f"{where}: Invalid value: {value}: {where} in body should be "
                                         f"less than or equal to {node.maximum}", path)
        stack.extend(reversed(children))


def _check_crd_string(value: str, node: Node, path: tuple, where: str, shown: str, report: _Report,
                      constrained: bool) -> None:
    if node.enum and value not in node.enum:
        allowed = ", ".join(_go_quote(v) for v in node.enum)
        report.raw("CRD", ERROR, f"{where}: Unsupported value: {_go_quote(value)}: supported values: {allowed}",
                   path)
    if not constrained:
        return
    if node.max_length is not None and len(value) > node.max_length:
        report.raw("CRD", ERROR, f"{where}: Too long: may not be more than {node.max_length} bytes", path)
    for rule in node.rules:
        if not active(rule.when, report.rules):
            continue
        if rule.kind == NO_WILDCARD and "*" in value:
            report.raw("CRD", ERROR, f'{shown}: Invalid value: "string": {rule.message}', path)
        elif rule.kind == MIN_DURATION_1MS:
            try:
                ok = parse_go_duration(value) >= _MS
            except ValueError:  # CEL's duration() fails to convert: an evaluation error
                report.raw("CRD", ERROR, f"{shown}: Invalid value: \"string\": type conversion error from "
                                         f"'string' to 'google.protobuf.Duration' evaluating rule: {rule.message}",
                           path)
                continue
            if not ok:
                report.raw("CRD", ERROR, f'{shown}: Invalid value: "string": {rule.message}', path)


# --------------------------------------------------------------------------------------------
# Layer 3: ValidateSidecar, in Istio's order.
# --------------------------------------------------------------------------------------------
def _check_sidecar(spec: dict, namespace: str, report: _Report) -> None:
    selector = spec.get("workloadSelector")
    no_labels = False
    if selector is not None:
        labels = selector.get("labels") or {}
        failed = False
        for key in sorted(labels):  # Go walks the map in random order; sorting keeps reports stable
            value = labels[key]
            path = ("spec", "workloadSelector", "labels", key)
            pair = _go_quote(f"{key}={value}")
            if key == "":
                report.add("selector-empty-key", path, pair)
                failed = True
            if "*" in key or "*" in value:
                report.add("selector-wildcard", path, pair)
                failed = True
        if failed:
            return  # ValidateSidecar returns the selector errors alone
        no_labels = not labels

    if not spec.get("egress") and not spec.get("ingress") and spec.get("outboundTrafficPolicy") is None \
            and spec.get("inboundConnectionPool") is None:
        report.add("empty", ("spec",), hint="a Sidecar needs egress, ingress, outboundTrafficPolicy or "
                                            "inboundConnectionPool; empty lists and a workloadSelector "
                                            "alone do not count")
        return  # returned before the T3 warning is handed back, so it is lost
    if no_labels:
        report.add("selector-no-labels", ("spec", "workloadSelector"),
                   hint="an empty selector matches every pod of the namespace and outranks the "
                        "namespace-wide Sidecar")

    _check_ingress(spec.get("ingress") or [], report)
    _check_pool(spec.get("inboundConnectionPool"), ("spec", "inboundConnectionPool"), report)
    _check_egress(spec.get("egress") or [], namespace, report)
    _check_outbound(spec.get("outboundTrafficPolicy"), report)


def _check_ingress(ingress: list, report: _Report) -> None:
    ports: set[int] = set()
    for i, entry in enumerate(ingress):
        base = ("spec", "ingress", i)
        if entry is None:
            report.add("ingress-null", base)
            continue
        port = entry.get("port")
        if port is None:
            report.add("ingress-no-port", base + ("port",))
            continue
        pbase = base + ("port",)
        number = port.get("number") or 0
        protocol = port.get("protocol") or ""
        name = port.get("name") or ""
        if (port.get("targetPort") or 0) > 0:
            report.add("ingress-target-port", pbase + ("targetPort",))
        if name and not _is_dns_label(name):
            report.add("ingress-port-name", pbase + ("name",), name)
        if protocol and protocol.lower() not in _PROTOCOLS:
            report.add("ingress-protocol", pbase + ("protocol",), protocol)
        if not 1 <= number <= 65535:
            report.add("ingress-port-range", pbase + ("number",), number)
        bind = entry.get("bind") or ""
        if bind and not _is_ip(bind):
            report.add("ingress-bind", base + ("bind",), bind)
        if number in ports:
            report.add("ingress-port-dup", pbase + ("number",))
        ports.add(number)

        endpoint = entry.get("defaultEndpoint") or ""
        if endpoint:
            _check_default_endpoint(endpoint, base + ("defaultEndpoint",), report)
        tls = entry.get("tls")
        if tls is not None:
            _check_ingress_tls(tls, protocol, base + ("tls",), report)

        pool = entry.get("connectionPool")
        _check_pool(pool, base + ("connectionPool",), report)
        if pool is not None and pool.get("http") is not None and _protocol(protocol) not in _HTTP_FAMILY:
            hint = None if protocol else "an empty (sniffed) protocol does not count as HTTP here; set port.protocol"
            report.add("ingress-http-pool", base + ("connectionPool", "http"), number, _go_quote(name), protocol,
                       hint=hint)


def _check_default_endpoint(endpoint: str, path: tuple, report: _Report) -> None:
    if endpoint.startswith(_UNIX):
        problem = _unix_address_problem(endpoint[len(_UNIX):])
        if problem == "empty":
            report.add("endpoint-unix-empty", path)
        elif problem:
            report.add("endpoint-unix-path", path, problem)
        return
    host, port_text, error = _split_host_port(endpoint)
    if error:
        report.add("endpoint-split", path, error)
    if host not in ("", "127.0.0.1", "0.0.0.0", "::1", "::"):
        report.add("endpoint-host", path)
    number, error = _atoi(port_text)
    if error:
        report.add("endpoint-port-nan", path, port_text, error)
    elif not 1 <= number <= 65535:
        report.add("endpoint-port-range", path, number)


def _check_ingress_tls(tls: dict, protocol: str, path: tuple, report: _Report) -> None:
    if tls.get("subjectAltNames"):
        report.add("tls-san", path + ("subjectAltNames",))
    if tls.get("httpsRedirect"):
        report.add("tls-redirect", path + ("httpsRedirect",))
    if tls.get("credentialName"):
        report.add("tls-credential", path + ("credentialName",))
    if report.rules.webhook_ingress_tls_multi_cert:
        if tls.get("credentialNames"):
            report.add("tls-credentials", path + ("credentialNames",))
        if tls.get("tlsCertificates"):
            report.add("tls-certificates", path + ("tlsCertificates",))
    mode = _enum_value(tls.get("mode"), _TLS_MODES)
    if mode in ("ISTIO_MUTUAL", "AUTO_PASSTHROUGH"):
        report.add("tls-mode", path + ("mode",), mode,
                   hint='kubectl prints "configuration is invalid: configuration is invalid: ...": the webhook '
                        "adds its own prefix to Istio's text")
    if _protocol(protocol) not in _TLS_FAMILY:
        report.add("tls-plain-port", path)
    _check_tls_options(tls, mode, path, report)


def _check_tls_options(tls: dict, mode: str, path: tuple, report: _Report) -> None:
    """validateTLSOptions, the ServerTLSSettings checks Gateways share."""
    ciphers = tls.get("cipherSuites") or []
    if tls.get("minProtocolVersion") in ("TLSV1_0", "TLSV1_1") and not ciphers:
        report.add("tls-old-version", path + ("minProtocolVersion",))
    invalid, valid, duplicate = set(), set(), set()
    for suite in ciphers:
        if not _is_valid_cipher(suite):
            invalid.add(suite)
        elif suite in valid:
            duplicate.add(suite)
        else:
            valid.add(suite)
    if invalid:
        report.add("tls-bad-ciphers", path + ("cipherSuites",), _go_list(invalid))
    if duplicate:
        report.add("tls-dup-ciphers", path + ("cipherSuites",), _go_list(duplicate))

    cert, key = tls.get("serverCertificate") or "", tls.get("privateKey") or ""
    ca, crl = tls.get("caCertificates") or "", tls.get("caCrl") or ""
    credential, credentials = tls.get("credentialName") or "", tls.get("credentialNames") or []
    certificates = tls.get("tlsCertificates") or []
    if not report.rules.webhook_ingress_tls_multi_cert:
        _check_tls_files_before_1_27(cert, key, ca, crl, credential, mode, path, report)
        return
    if mode == "ISTIO_MUTUAL":
        for value, what, name in ((cert, "server certificate", "serverCertificate"),
                                  (key, "private key", "privateKey"), (ca, "CA bundle", "caCertificates"),
                                  (certificates, "tlsCertificates", "tlsCertificates"),
                                  (credential, "credentialName", "credentialName"),
                                  (credentials, "credentialNames", "credentialNames")):
            if value:
                report.add("tls-istio-mutual-field", path + (name,), what)
        return
    if mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH") and \
            (crl or cert or key or ca or certificates or credential or credentials):
        report.add("tls-passthrough-certs", path, mode)
    if sum((bool(cert and key), bool(credential), bool(credentials), bool(certificates))) > 1:
        report.add("tls-cert-sources", path)
    if mode in _CERT_MODES and (credential or credentials):
        return  # credentials are fetched remotely: no files to check
    if mode in _CERT_MODES:
        prefix = "SIMPLE TLS" if mode == "SIMPLE" else "MUTUAL TLS"
        if prefix == "MUTUAL TLS" and not ca:
            report.add("tls-need-ca", path + ("caCertificates",), prefix)
        if len(certificates) > 2:
            report.add("tls-too-many-certs", path + ("tlsCertificates",), prefix)
        pairs = [(c.get("serverCertificate") or "", c.get("privateKey") or "", path + ("tlsCertificates", n))
                 for n, c in enumerate(certificates)] or [(cert, key, path)]
        for pair_cert, pair_key, where in pairs:
            if not pair_cert:
                report.add("tls-need-cert", where + ("serverCertificate",), prefix)
            if not pair_key:
                report.add("tls-need-key", where + ("privateKey",), prefix)
    if crl:
        if credential:
            report.add("tls-crl-credential", path + ("caCrl",))
        if mode == "SIMPLE":
            report.add("tls-crl-simple", path + ("caCrl",))


def _check_tls_files_before_1_27(cert: str, key: str, ca: str, crl: str, credential: str, mode: str, path: tuple,
                                 report: _Report) -> None:
    """validateTLSOptions up to 1.26: one certificate pair or credentialName; no credentialNames or tlsCertificates."""
    if mode == "ISTIO_MUTUAL":
        for value, what, name in ((cert, "server certificate", "serverCertificate"),
                                  (key, "private key", "privateKey"), (ca, "CA bundle", "caCertificates"),
                                  (credential, "credentialName", "credentialName")):
            if value:
                report.add("tls-istio-mutual-field", path + (name,), what)
        return
    if mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH") and (crl or cert or key or ca or credential):
        report.add("tls-passthrough-certs", path, mode)
    if mode in _CERT_MODES and credential:
        return
    if mode in _CERT_MODES:
        prefix = "SIMPLE TLS" if mode == "SIMPLE" else "MUTUAL TLS"
        if not cert:
            report.add("tls-need-cert", path + ("serverCertificate",), prefix)
        if not key:
            report.add("tls-need-key", path + ("privateKey",), prefix)
        if prefix == "MUTUAL TLS" and not ca:
            report.add("tls-need-ca", path + ("caCertificates",), prefix)
    if crl and mode == "SIMPLE":
        report.add("tls-crl-simple", path + ("caCrl",))


def _check_pool(pool: dict | None, path: tuple, report: _Report) -> None:
    """validateConnectionPool (C1-C12), shared with DestinationRule; I29 and P1 are its two uses."""
    if pool is None:
        return
    http, tcp = pool.get("http"), pool.get("tcp")
    if http is None and tcp is None:
        report.add("pool-empty", path)
        return
    if http is not None:
        hpath = path + ("http",)
        for name in ("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries"):
            if (http.get(name) or 0) < 0:
                report.add(name, hpath + (name,))
        rules = report.rules
        cel = rules.crd_duration_rules  # when the CRD's CEL rule checks a duration, it reports a bad string
        _check_duration(http, "idleTimeout", hpath, "C6", report, cel)
        if http.get("h2UpgradePolicy") == "UPGRADE" and http.get("useClientProtocol"):
            report.add("h2-upgrade", hpath + ("useClientProtocol",))
        if (http.get("maxConcurrentStreams") or 0) < 0:
            report.add("maxConcurrentStreams", hpath + ("maxConcurrentStreams",))
        keepalive = http.get("http2KeepAlive")
        if keepalive is not None and rules.http2_keepalive:
            kpath = hpath + ("http2KeepAlive",)
            for name in ("interval", "timeout"):
                if keepalive.get(name) is None:
                    report.add(f"keepalive-{name}", kpath + (name,))
                else:
                    _check_duration(keepalive, name, kpath, "C9", report, cel)
    if tcp is not None:
        rules = report.rules
        cel = rules.crd_duration_rules
        tpath = path + ("tcp",)
        if (tcp.get("maxConnections") or 0) < 0:
            report.add("maxConnections", tpath + ("maxConnections",))
        _check_duration(tcp, "connectTimeout", tpath, "C11", report, cel)
        _check_duration(tcp, "maxConnectionDuration", tpath, "C11", report, cel)
        checked = rules.webhook_pool_tcp_timeouts  # 1.22's webhook only decodes these three
        _check_duration(tcp, "idleTimeout", tpath, "C12", report, cel and not rules.tcp_idle_timeout_zero_allowed,
                        checked)
        keepalive = tcp.get("tcpKeepalive")
        if keepalive is not None:
            _check_duration(keepalive, "time", tpath + ("tcpKeepalive",), "C11", report, cel, checked)
            _check_duration(keepalive, "interval", tpath + ("tcpKeepalive",), "C11", report, cel, checked)


def _check_duration(obj: dict, name: str, path: tuple, rule: str, report: _Report, cel: bool,
                    checked: bool = True) -> None:
    """agent.ValidateDuration on one field (when the release's webhook ``checked`` it).

    A string that is not a duration is reported by the CRD's CEL rule when the release has one
    (``cel``); otherwise the webhook fails to decode the object. From 1.26, C12 (tcp.idleTimeout)
    lets anything under 1ms through: "0s" turns the timeout off.
    """
    text = obj.get(name)
    if text is None:
        return
    try:
        value = parse_go_duration(text)
    except ValueError as exc:
        if not cel:  # no CEL rule reports it first: the webhook fails to decode the object
            report.add("duration-decode", path + (name,), exc)
        return  # the CRD's CEL rule already reported it
    if not checked:
        return
    if rule == "C12" and abs(value) < _MS and report.rules.tcp_idle_timeout_zero_allowed:
        return  # Milliseconds() == 0: "0s" turns the idle timeout off
    if value < _MS:
        report.add("duration-short", path + (name,), rule=rule)
    elif value % _MS:
        report.add("duration-precision", path + (name,), rule=rule)


def _check_egress(egress: list, namespace: str, report: _Report) -> None:
    ports: set[int] = set()
    sockets: set[str] = set()
    catch_all_found = False
    for index, entry in enumerate(egress):
        base = ("spec", "egress", index)
        if entry is None:
            report.add("egress-null", base)
            continue
        port = entry.get("port")
        if port is None:
            if not catch_all_found:
                if index == len(egress) - 1:
                    catch_all_found = True
                else:
                    report.add("egress-catch-all-last", base,
                               hint="a listener without port catches everything else; move it to the end")
            else:  # unreachable, as in Istio: the flag is only set at the last index
                report.add("egress-catch-all-twice", base)
                continue
        else:
            _check_egress_port(entry, port, base, report)
            number = port.get("number") or 0
            bind = entry.get("bind") or ""
            if number == 0:
                if bind in sockets:
                    report.add("egress-uds-dup", base + ("bind",))
                sockets.add(bind)
            else:
                if number in ports:
                    report.add("egress-port-dup", base + ("port", "number"))
                ports.add(number)
        _check_hosts(entry.get("hosts") or [], base + ("hosts",), namespace, report)


def _check_egress_port(entry: dict, port: dict, base: tuple, report: _Report) -> None:
    pbase = base + ("port",)
    number = port.get("number") or 0
    name = port.get("name") or ""
    protocol = port.get("protocol") or ""
    bind = entry.get("bind") or ""
    if (port.get("targetPort") or 0) > 0:
        report.add("egress-target-port", pbase + ("targetPort",))
    if name and not _is_dns_label(name):
        report.add("egress-port-name", pbase + ("name",), name)
    if protocol and protocol.lower() not in _PROTOCOLS:
        report.add("egress-protocol", pbase + ("protocol",), protocol)
    if number == 0:  # port 0 means a Unix domain socket listener
        if not bind.startswith(_UNIX):
            report.add("egress-uds-bind", pbase + ("number",))
        else:
            problem = _unix_address_problem(bind[len(_UNIX):])
            if problem == "empty":
                report.add("egress-unix-empty", base + ("bind",))
            elif problem:
                report.add("egress-unix-path", base + ("bind",), problem)
        if _enum_value(entry.get("captureMode"), ("DEFAULT", "IPTABLES", "NONE")) not in ("DEFAULT", "NONE"):
            report.add("egress-uds-capture", base + ("captureMode",))
    else:
        if not 1 <= number <= 65535:
            report.add("egress-port-range", pbase + ("number",), number)
        if bind and not _is_ip(bind):
            report.add("egress-bind", base + ("bind",), bind)


def _check_hosts(hosts: list, path: tuple, namespace: str, report: _Report) -> None:
    if not hosts:
        report.add("egress-no-hosts", path)
        return
    seen: dict[str, set[str]] = {}  # resolved namespace -> dnsNames already listed
    exclusions = report.rules.egress_host_exclusion
    for j, host in enumerate(hosts):
        if "/" in host and not (exclusions and host.startswith("~")):  # 1.31 leaves exclusions out of E21/E22
            ns, name = host.split("/", 1)
            if ns == ".":
                ns = namespace
            names = seen.setdefault(ns, set())
            if (name != "*" and (name in names or "*" in names)) or (name == "*" and names):
                report.add("host-duplicate", path + (j,), host)
            names.add(name)
        _check_host(host, path + (j,), namespace, report)
    if "*" in seen.get("*", ()) and len(seen) != 1:
        report.add("host-all-and-more", path, hint='"*/*" already imports every namespace')


def _host_form_hint(host: str, namespace: str) -> str | None:
    """A suggestion for a host without "/" that is itself admitted: a short name gets its full name too."""
    if not host:
        return None
    labels = host.split(".")
    if len(labels) == 1 and _is_dns_label(host):  # "httpbin": a service of the Sidecar's own namespace
        return f'did you mean "./{host}.{namespace}.svc.cluster.local"?'
    if len(labels) == 2 and all(_is_dns_label(x) for x in labels):  # "httpbin.default": NAME.NAMESPACE
        return f'did you mean "{labels[1]}/{host}.svc.cluster.local"?'
    return f'did you mean "*/{host}"?'


def _check_host(host: str, path: tuple, namespace: str, report: _Report) -> None:
    """agent.ValidateNamespaceSlashWildcardHostname(host, isGateway=false)."""
    parts = host.split("/", 1)
    if len(parts) != 2:
        report.add("host-form", path, hint=_host_form_hint(host, namespace))
        return
    ns, name = parts
    if not ns or not name:
        report.add("host-empty-part", path)
    if report.rules.egress_host_exclusion:
        bare = ns[1:] if ns.startswith("~") else ns
        ns_ok = bare in ("*", ".", "") or _is_dns_label(bare)
    else:
        ns_ok = ns in ("*", ".", "~") or _is_dns_label(ns)
    if not ns_ok:
        hint = None
        if ns.startswith("~") and not report.rules.egress_host_exclusion:
            hint = (f'Istio {report.rules.version} accepts "~" only as the whole namespace ("~/*" imports '
                    f'nothing); "~" excludes a namespace from Istio {Rules.egress_host_exclusion.since}')
        report.add("host-namespace", path, _go_quote(ns), hint=hint)
    if name != "*" and "." not in name:
        hint = None
        if _is_dns_label(name) and ns != "~":
            bare = ns[1:] if ns.startswith("~") else ns  # "~legacy/api" (1.31) means a Service of legacy too
            svc_ns = namespace if bare in ("", ".", "*") else bare
            hint = f'did you mean "{ns}/{name}.{svc_ns}.svc.cluster.local"?'
        report.add("host-short-name", path, hint=hint)
    error = _wildcard_domain_error(name)
    if error:
        report.add("host-domain", path, error)
        if not _is_ip(name):  # appended a second time for sidecars (isGateway is false)
            report.add("host-domain", path, error, hint="Istio reports this error twice for Sidecar hosts")
    if "*" in name and name != "*" and not name.startswith("*."):
        report.add("host-partial-wildcard", path, _go_quote(name))


def _check_outbound(policy: dict | None, report: _Report) -> None:
    if policy is None:
        return
    base = ("spec", "outboundTrafficPolicy")
    if report.rules.allow_any_dynamic_dns and policy.get("mode") == "ALLOW_ANY_DYNAMIC_DNS":
        report.add("otp-dynamic-dns", base + ("mode",))
    proxy = policy.get("egressProxy")
    if proxy is None:
        return
    ppath = base + ("egressProxy",)
    if _enum_value(policy.get("mode"), ("REGISTRY_ONLY", "ALLOW_ANY")) != "ALLOW_ANY":
        hint = "outboundTrafficPolicy without mode means REGISTRY_ONLY" if policy.get("mode") is None else None
        report.add("otp-proxy-mode", ppath, hint=hint)
        return
    host = proxy.get("host") or ""
    error = _fqdn_error(host)
    if error:
        report.add("otp-proxy-fqdn", ppath + ("host",), error)
    port = proxy.get("port")
    if port is None:
        report.add("otp-proxy-no-port", ppath + ("port",))
        return
    # validateDestination(egressProxy)
    if host == "*":
        report.add("otp-proxy-star", ppath + ("host",), host)
    else:
        error = _wildcard_domain_error(host)
        if error:
            report.add("otp-proxy-domain", ppath + ("host",), error)
    subset = proxy.get("subset") or ""
    if subset and not _is_dns_label(subset):
        report.add("otp-proxy-subset", ppath + ("subset",), subset)
    number = port.get("number") or 0
    if not 1 <= number <= 65535:
        report.add("otp-proxy-port", ppath + ("port", "number"), number)


# --------------------------------------------------------------------------------------------
# Go behaviour the messages depend on: quoting, durations, addresses, DNS names.
# --------------------------------------------------------------------------------------------
_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
               '"': r"\"", "\\": r"\\"}


def _go_quote(text: str) -> str:
    """Go's %q of a string (strconv.Quote).

    >>> _go_quote('app=*'), _go_quote('a"b\\n')
    ('"app=*"', '"a\\\\"b\\\\n"')
    """
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():  # Python's printable set is Go's unicode.IsPrint (L, M, N, P, S, ' ')
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_list(values: Iterable[str]) -> str:
    """Go's %v of a sorted []string: ``[a b]``."""
    return "[" + " ".join(sorted(values)) + "]"


def _time_quote(text: str) -> str:
    """The quoting of Go's time package: non-ASCII and control bytes as \\x escapes."""
    out = ['"']
    for ch in text:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


_UNITS = {b"ns": 1, b"us": 1_000, "µs".encode(): 1_000, "μs".encode(): 1_000, b"ms": _MS,
          b"s": 1_000_000_000, b"m": 60_000_000_000, b"h": 3_600_000_000_000}
_MAX = 1 << 63


def parse_go_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` in nanoseconds; ValueError carries Go's own message.

    Kubernetes CEL ``duration()`` and Istio's JSON decoding of a protobuf Duration both use it,
    so ``"300ms"``, ``"1.5h"`` and ``"2h45m"`` are durations and ``"1"`` is not.

    >>> parse_go_duration("1.5s"), parse_go_duration("2h45m"), parse_go_duration("0")
    (1500000000, 9900000000000, 0)
    >>> parse_go_duration("10")
    Traceback (most recent call last):
    ValueError: time: missing unit in duration "10"
    """
    invalid = ValueError("time: invalid duration " + _time_quote(text))
    s = text.encode("utf-8", "surrogatepass")
    negative = False
    if s[:1] in (b"-", b"+"):
        negative, s = s[:1] == b"-", s[1:]
    if s == b"0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == 0x2E or 0x30 <= s[0] <= 0x39):  # the next byte must be [0-9.]
            raise invalid
        i, whole = 0, 0
        while i < len(s) and 0x30 <= s[i] <= 0x39:
            if whole > _MAX // 10:
                raise invalid
            whole = whole * 10 + s[i] - 0x30
            if whole > _MAX:
                raise invalid
            i += 1
        before_point, s = i > 0, s[i:]
        fraction, scale, after_point = 0, 1.0, False
        if s[:1] == b".":
            s = s[1:]
            i, overflow = 0, False
            while i < len(s) and 0x30 <= s[i] <= 0x39:
                if not overflow:  # past 63 bits Go stops adding precision, it does not fail
                    if fraction > (_MAX - 1) // 10:
                        overflow = True
                    else:
                        bigger = fraction * 10 + s[i] - 0x30
                        if bigger > _MAX:
                            overflow = True
                        else:
                            fraction, scale = bigger, scale * 10
                i += 1
            after_point, s = i > 0, s[i:]
        if not before_point and not after_point:
            raise invalid
        i = 0
        while i < len(s) and not (s[i] == 0x2E or 0x30 <= s[i] <= 0x39):
            i += 1
        if i == 0:
            raise ValueError("time: missing unit in duration " + _time_quote(text))
        unit_text, s = s[:i], s[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"time: unknown unit {_time_quote(unit_text.decode('utf-8', 'surrogatepass'))} "
                             f"in duration {_time_quote(text)}")
        if whole > _MAX // unit:
            raise invalid
        whole *= unit
        if fraction > 0:
            whole += int(float(fraction) * (float(unit) / scale))  # float64, truncated, as in Go
            if whole > _MAX:
                raise invalid
        total += whole
        if total > _MAX:
            raise invalid
    if negative:
        return -total
    if total > _MAX - 1:
        raise invalid
    return total


def _split_host_port(hostport: str) -> tuple[str, str, str | None]:
    """Go's net.SplitHostPort: (host, port, error text or None)."""
    def fail(why: str) -> tuple[str, str, str]:
        return "", "", f"address {hostport}: {why}" if hostport else why

    colon = hostport.rfind(":")
    if colon < 0:
        return fail("missing port in address")
    j = k = 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return fail("missing ']' in address")
        if end + 1 == len(hostport):
            return fail("missing port in address")
        if end + 1 != colon:
            return fail("too many colons in address" if hostport[end + 1] == ":" else "missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:colon]
        if ":" in host:
            return fail("too many colons in address")
    if "[" in hostport[j:]:
        return fail("unexpected '[' in address")
    if "]" in hostport[k:]:
        return fail("unexpected ']' in address")
    return host, hostport[colon + 1:], None


_ATOI = re.compile(r"[+-]?[0-9]+")


def _atoi(text: str) -> tuple[int, str | None]:
    """Go's strconv.Atoi: (value, error text or None)."""
    if not _ATOI.fullmatch(text):
        return 0, f"strconv.Atoi: parsing {_go_quote(text)}: invalid syntax"
    value = int(text)
    if not -_MAX <= value < _MAX:
        return 0, f"strconv.Atoi: parsing {_go_quote(text)}: value out of range"
    return value, None


def _is_ip(text: str) -> bool:
    """netip.ParseAddr: dotted IPv4 without leading zeros, or IPv6 (with an optional zone)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _unix_address_problem(address: str) -> str | None:
    """ValidateUnixAddress: "empty", the address when it is not an absolute file path, or None."""
    if not address:
        return "empty"
    if address.startswith("@"):  # an abstract socket name
        return None
    if not address.startswith("/") or address.endswith("/"):
        return address
    return None


def _protocol(name: str) -> str | None:
    """protocol.Parse, None for an unsupported (or empty) protocol."""
    return _PROTOCOLS.get(name.lower())


def _enum_value(value: str | None, allowed: tuple[str, ...]) -> str:
    """The enum as the webhook's Go struct holds it: absent or unknown (the CRD refused it) is the zero value."""
    return value if value in allowed else allowed[0]


def _is_valid_cipher(suite: str) -> bool:
    """security.IsValidCipherSuite: known names, "ALL", and expressions starting with an operator."""
    if suite in ("", "ALL"):
        return True
    first = chr(suite.encode("utf-8", "surrogatepass")[0])  # Go looks at the first byte as a rune
    if unicodedata.category(first)[0] not in "LN":
        return True
    return suite in _CIPHERS


_DNS_LABEL = re.compile(r"[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?")
_WILDCARD_LABEL = re.compile(r"\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?")


def _is_dns_label(text: str) -> bool:
    return len(text) <= 63 and _DNS_LABEL.fullmatch(text) is not None


def _domain_precondition_error(name: str) -> str | None:
    if len(name.encode("utf-8", "surrogatepass")) > 255:
        return f"domain name {_go_quote(name)} too long (max 255)"
    if not name:
        return "empty domain name not allowed"
    return None


def _dns_labels_error(domain: str) -> str | None:
    parts = domain.split(".")
    top = parts[-1]
    if _atoi(top)[1] is None:
        return f"domain name {_go_quote(domain)} invalid (top level domain {_go_quote(top)} cannot be all-numeric)"
    for i, label in enumerate(parts):
        if i == len(parts) - 1 and label == "":
            return None  # a trailing dot, as in "istio.io."
        if not _is_dns_label(label):
            return f"domain name {_go_quote(domain)} invalid (label {_go_quote(label)} invalid)"
    return None


def _wildcard_domain_error(domain: str) -> str | None:
    """agent.ValidateWildcardDomain: a wildcard is allowed in the first label only.

    The rest is checked as its own domain, so the message names the rest (``"*.com"``).
    """
    error = _domain_precondition_error(domain)
    if error:
        return error
    first, dot, rest = domain.partition(".")
    if not (len(first) <= 63 and _WILDCARD_LABEL.fullmatch(first)):
        return f"domain name {_go_quote(domain)} invalid (label {_go_quote(first)} invalid)"
    return _dns_labels_error(rest) if dot else None


def _fqdn_error(fqdn: str) -> str | None:
    """agent.ValidateFQDN: no wildcard anywhere."""
    return _domain_precondition_error(fqdn) or _dns_labels_error(fqdn)
