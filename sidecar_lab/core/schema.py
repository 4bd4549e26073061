"""The Sidecar CRD's structural schema, written as data, and the two walks the loader needs.

``networking.istio.io`` serves ``v1``, ``v1beta1`` and ``v1alpha3`` Sidecars with one
identical schema (the Go types of v1 and v1beta1 are aliases of v1alpha3), so there is
one :data:`SIDECAR_SPEC` here. Every :class:`Node` carries the OpenAPI constraints the API
server enforces (enums, uint32 ranges, ``required``, lengths and the CEL rules);
:mod:`sidecar_lab.core.validation` evaluates them, this module only answers two questions:

* :func:`sidecar_type_errors` — where the JSON type is wrong (the loader refuses those);
* :func:`sidecar_unknown_fields` — which fields the schema does not know, with the
  closest known name at that level (``kubectl apply`` rejects them).

The schema is the union of Istio 1.22–1.31. A field or a constraint that only some releases
have names its switch of :class:`sidecar_lab.core.versions.Rules` in ``when`` (``"name"``: on,
``"!name"``: off): types are checked against the union, so the loader stays the same for every
release; unknown fields and constraints are read for one release (:func:`active`).

>>> sidecar_type_errors({"egress": [{"hosts": "*/*"}]})
[(('spec', 'egress', 0, 'hosts'), 'expected a list, got a string')]
>>> sidecar_unknown_fields({"egres": [{"hosts": ["*/*"]}]})
[(('spec', 'egres'), 'egress')]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "Node", "Cel", "SIDECAR_SPEC", "CONNECTION_POOL", "SERVER_TLS",
    "OBJECT", "MAP", "LIST", "STRING", "INTEGER", "BOOLEAN", "UINT32_MAX",
    "sidecar_type_errors", "sidecar_unknown_fields", "unknown_fields", "active", "type_name", "key_text",
]

OBJECT, MAP, LIST, STRING, INTEGER, BOOLEAN = "object", "map", "list", "string", "integer", "boolean"
UINT32_MAX = 4294967295

#: Cel.kind values: the three shapes of x-kubernetes-validations rule a Sidecar has.
MIN_DURATION_1MS = "duration(self) >= duration('1ms')"
NO_WILDCARD = '!self.contains("*")'
AT_MOST_ONE = "at most one of the fields is set"


@dataclass(frozen=True, slots=True)
class Cel:
    """One ``x-kubernetes-validations`` rule: its kind (evaluated in validation), message and fields."""

    kind: str
    message: str
    fields: tuple[str, ...] = ()
    #: Switches this rule needs (see :func:`active`); empty: every release has it.
    when: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    """One schema node: its JSON kind and the constraints the CRD puts on it."""

    kind: str
    fields: Mapping[str, Node] = field(default_factory=lambda: MappingProxyType({}))
    items: Node | None = None           # list items, map values
    required: tuple[str, ...] = ()
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    max_properties: int | None = None
    nullable_items: bool = False       # egress/ingress: a null entry is Istio's own error (E1/I1)
    duration: bool = False             # a protobuf Duration written as a Go duration string
    rules: tuple[Cel, ...] = ()
    #: Switches the field needs to exist at all (an unknown field before); see :func:`active`.
    when: tuple[str, ...] = ()
    #: Switches ``max_length``, ``max_properties`` and ``rules`` need.
    constraints_when: tuple[str, ...] = ()


def active(when: tuple[str, ...], rules: Any) -> bool:
    """Do the switches in ``when`` hold for ``rules`` (a :class:`~sidecar_lab.core.versions.Rules`)?

    ``"name"`` needs the switch on, ``"!name"`` needs it off; ``rules=None`` means the union
    (every field known, every constraint on).

    >>> from sidecar_lab.core.versions import rules_for
    >>> active(("http2_keepalive",), rules_for("1.30")), active(("!http2_keepalive",), rules_for("1.30"))
    (False, True)
    """
    if rules is None or not when:
        return True
    for name in when:
        if name.startswith("!"):
            if getattr(rules, name[1:]):
                return False
        elif not getattr(rules, name):
            return False
    return True


def _obj(fields: dict[str, Node], **constraints: Any) -> Node:
    return Node(OBJECT, fields=MappingProxyType(fields), **constraints)


def _list(items: Node, **constraints: Any) -> Node:
    return Node(LIST, items=items, **constraints)


def _enum(*values: str) -> Node:
    return Node(STRING, enum=values)


_STR = Node(STRING)
_BOOL = Node(BOOLEAN)
_INT32 = Node(INTEGER)  # format: int32 without a minimum: Go rules C2-C10 catch negatives
_UINT32 = Node(INTEGER, minimum=0, maximum=UINT32_MAX)
_DURATION_CEL = Cel(MIN_DURATION_1MS, "must be a valid duration greater than 1ms", when=("crd_duration_rules",))
_DURATION = Node(STRING, duration=True, rules=(_DURATION_CEL,))
# tcp.idleTimeout: "0s" turns the timeout off, so 1.26 dropped its rule.
_DURATION_IDLE = Node(STRING, duration=True, rules=(
    Cel(MIN_DURATION_1MS, _DURATION_CEL.message, when=("crd_duration_rules", "!tcp_idle_timeout_zero_allowed")),))
_CAPTURE_MODE = _enum("DEFAULT", "IPTABLES", "NONE")
_TLS_VERSION = _enum("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")

CONNECTION_POOL = _obj({
    "tcp": _obj({
        "maxConnections": _INT32,
        "connectTimeout": _DURATION,
        "tcpNoDelay": _BOOL,
        "tcpKeepalive": _obj({"probes": _UINT32, "time": _DURATION, "interval": _DURATION}),
        "maxConnectionDuration": _DURATION,
        "idleTimeout": _DURATION_IDLE,
    }),
    "http": _obj({
        "http1MaxPendingRequests": _INT32,
        "http2MaxRequests": _INT32,
        "maxRequestsPerConnection": _INT32,
        "maxRetries": _INT32,
        "idleTimeout": _DURATION,
        "h2UpgradePolicy": _enum("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"),
        "useClientProtocol": _BOOL,
        "maxConcurrentStreams": _INT32,
        "http2KeepAlive": _obj({"interval": _DURATION, "timeout": _DURATION}, when=("http2_keepalive",)),
    }),
})

_MULTI_CERT = ("crd_ingress_tls_multi_cert",)

SERVER_TLS = _obj(
    {
        "httpsRedirect": _BOOL,
        "mode": _enum("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL",
                      "OPTIONAL_MUTUAL"),
        "serverCertificate": _STR,
        "privateKey": _STR,
        "caCertificates": _STR,
        "caCrl": _STR,
        "credentialName": _STR,
        "credentialNames": _list(_STR, min_items=1, max_items=2, when=_MULTI_CERT),
        "tlsCertificates": _list(_obj({"serverCertificate": _STR, "privateKey": _STR,
                                       "caCertificates": _STR}), min_items=1, max_items=2, when=_MULTI_CERT),
        "caCertCredentialName": Node(STRING, when=("crd_ca_cert_credential_name",)),
        "insecureSkipVerify": Node(BOOLEAN, when=("crd_insecure_skip_verify",)),
        "subjectAltNames": _list(_STR),
        "verifyCertificateSpki": _list(_STR),
        "verifyCertificateHash": _list(_STR),
        "minProtocolVersion": _TLS_VERSION,
        "maxProtocolVersion": _TLS_VERSION,
        "cipherSuites": _list(_STR),
    },
    rules=(
        Cel(AT_MOST_ONE, "only one of credentialNames or tlsCertificates can be set",
            ("tlsCertificates", "credentialNames"), _MULTI_CERT),
        Cel(AT_MOST_ONE, "only one of credentialName or credentialNames can be set",
            ("credentialName", "credentialNames"), _MULTI_CERT),
        # The CRD's third rule says credentialName but tests credentialNames: kept as shipped.
        Cel(AT_MOST_ONE, "only one of credentialName or tlsCertificates can be set",
            ("credentialNames", "tlsCertificates"), _MULTI_CERT),
    ),
)

_SIDECAR_PORT = _obj({"number": _UINT32, "protocol": _STR, "name": _STR, "targetPort": _UINT32})

_INGRESS = _obj({
    "port": _SIDECAR_PORT,
    "bind": _STR,
    "captureMode": _CAPTURE_MODE,
    "defaultEndpoint": _STR,
    "tls": SERVER_TLS,
    "connectionPool": CONNECTION_POOL,
}, required=("port",))

_EGRESS = _obj({
    "port": _SIDECAR_PORT,
    "bind": _STR,
    "captureMode": _CAPTURE_MODE,
    "hosts": _list(_STR),
}, required=("hosts",))

_SELECTOR_RULES = ("crd_selector_label_rules",)

SIDECAR_SPEC = _obj({
    "workloadSelector": _obj({
        "labels": Node(MAP, items=Node(STRING, max_length=63,
                                       rules=(Cel(NO_WILDCARD, "wildcard is not supported in selector"),),
                                       constraints_when=_SELECTOR_RULES),
                       max_properties=256, constraints_when=_SELECTOR_RULES),
    }),
    "ingress": _list(_INGRESS, nullable_items=True),
    "egress": _list(_EGRESS, nullable_items=True),
    "outboundTrafficPolicy": _obj({
        "mode": _enum("REGISTRY_ONLY", "ALLOW_ANY"),
        "egressProxy": _obj({"host": _STR, "subset": _STR, "port": _obj({"number": _UINT32})},
                            required=("host",)),
    }),
    "inboundConnectionPool": CONNECTION_POOL,
})

_EXPECTED = {OBJECT: "a mapping", MAP: "a mapping", LIST: "a list", STRING: "a string",
             INTEGER: "an integer", BOOLEAN: "a boolean"}


def type_name(value: Any) -> str:
    """How a YAML value's JSON type is named in messages.

    >>> type_name([1]), type_name(True), type_name(None)
    ('a list', 'a boolean', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def key_text(key: Any) -> str:
    """A mapping key as the JSON field name Kubernetes sees (YAML ``true:`` becomes ``"true"``)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _has_type(value: Any, kind: str) -> bool:
    if kind in (OBJECT, MAP):
        return isinstance(value, dict)
    if kind == LIST:
        return isinstance(value, list)
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:  # YAML true is a bool, and bool is an int subclass in Python
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool)


def sidecar_type_errors(spec: Any) -> list[tuple[tuple, str]]:
    """Every place where the JSON type of ``spec`` disagrees with the schema, in document order.

    Unknown fields are not type errors, and ``null`` for an optional field means "absent";
    a null *entry* of ``egress``/``ingress`` is left to Istio's own rules (E1/I1).

    >>> sidecar_type_errors({"ingress": [{"port": {"number": "80"}}]})
    [(('spec', 'ingress', 0, 'port', 'number'), 'expected an integer, got a string')]
    >>> sidecar_type_errors(["not", "a", "mapping"])
    [(('spec',), 'expected a mapping, got a list')]
    """
    errors: list[tuple[tuple, str]] = []
    if not isinstance(spec, dict):
        return [(("spec",), f"expected a mapping, got {type_name(spec)}")]
    stack: list[tuple[Any, Node, tuple]] = [(spec, SIDECAR_SPEC, ("spec",))]
    while stack:
        value, node, path = stack.pop()
        if not _has_type(value, node.kind):
            errors.append((path, f"expected {_EXPECTED[node.kind]}, got {type_name(value)}"))
            continue
        children: list[tuple[Any, Node, tuple]] = []
        if node.kind == OBJECT:
            for key, child in value.items():
                sub = node.fields.get(key) if isinstance(key, str) else None
                if sub is not None and child is not None:
                    children.append((child, sub, path + (key,)))
        elif node.kind == MAP:
            for key, child in value.items():
                if not isinstance(key, str):
                    errors.append((path + (key_text(key),), f"expected a string key, got {type_name(key)}"))
                    continue
                children.append((child, node.items, path + (key,)))
        elif node.kind == LIST:
            for i, child in enumerate(value):
                if child is None and node.nullable_items:
                    continue
                children.append((child, node.items, path + (i,)))
        stack.extend(reversed(children))  # reversed: the stack pops them in document order
    return errors


def sidecar_unknown_fields(spec: Any, rules: Any = None) -> list[tuple[tuple, str | None]]:
    """Every field the schema does not know, with the closest known name at that level (or None).

    Only parts whose type is right are walked: a wrong type is a type error, not a typo. With
    ``rules`` (a :class:`~sidecar_lab.core.versions.Rules`), a field that release does not have
    yet is unknown too.

    >>> sidecar_unknown_fields({"egress": [{"hostz": ["*/*"]}], "outboundTrafficPolicy": {"mod": "ALLOW_ANY"}})
    [(('spec', 'egress', 0, 'hostz'), 'hosts'), (('spec', 'outboundTrafficPolicy', 'mod'), 'mode')]
    """
    return [(path, suggestion) for path, suggestion, _ in unknown_fields(spec, rules)]


def unknown_fields(spec: Any, rules: Any = None) -> list[tuple[tuple, str | None, str | None]]:
    """:func:`sidecar_unknown_fields` with, for a field a later release adds, the switch that adds it.

    >>> from sidecar_lab.core.versions import rules_for
    >>> unknown_fields({"inboundConnectionPool": {"http": {"http2KeepAlive": {}}}}, rules_for("1.30"))
    [(('spec', 'inboundConnectionPool', 'http', 'http2KeepAlive'), None, 'http2_keepalive')]
    """
    found: list[tuple[tuple, str | None, str | None]] = []
    if not isinstance(spec, dict):
        return found
    stack: list[tuple[Any, Node, tuple]] = [(spec, SIDECAR_SPEC, ("spec",))]
    while stack:
        value, node, path = stack.pop()
        children: list[tuple[Any, Node, tuple]] = []
        if node.kind == OBJECT and isinstance(value, dict):
            for key, child in value.items():
                sub = node.fields.get(key) if isinstance(key, str) else None
                if sub is None:
                    name = key_text(key)
                    found.append((path + (name,), _closest(name, node, rules), None))
                elif not active(sub.when, rules):
                    found.append((path + (key,), None, next(w for w in sub.when if not w.startswith("!"))))
                elif child is not None:
                    children.append((child, sub, path + (key,)))
        elif node.kind == LIST and isinstance(value, list):
            children = [(child, node.items, path + (i,)) for i, child in enumerate(value)
                        if child is not None]
        elif node.kind == MAP and isinstance(value, dict) and node.items.kind in (OBJECT, LIST, MAP):
            children = [(child, node.items, path + (key_text(k),)) for k, child in value.items()]
        stack.extend(reversed(children))
    return found


def _closest(name: str, node: Node, rules: Any = None) -> str | None:
    """The known field ``name`` was most likely meant to be, compared without case."""
    known = _LOWERED.get(id(node))
    if known is None:
        known = {k.lower(): k for k in node.fields}
        _LOWERED[id(node)] = known
    if rules is not None:
        known = {low: k for low, k in known.items() if active(node.fields[k].when, rules)}
    match = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    return known[match[0]] if match else None


_LOWERED: dict[int, dict[str, str]] = {}  # node id -> lowercased field names (nodes live forever)
