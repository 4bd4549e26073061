"""What Istio computes: the effect of the manifests, with its explanation as data.

Every sentence, table and figure is rendered from these objects (see
:mod:`sidecar_lab.core.messages` and :mod:`sidecar_lab.core.render`), so the command's
JSON, its text and the notebooks' figures cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Mapping

from .messages import language, reason_text
from .model import EMPTY, ObjectRef, Workload

__all__ = [
    "Verdict", "Step", "Candidate", "EffectivePolicy", "EffectiveEgress", "VisibleService",
    "EffectiveIngress", "Resolution", "EnvoyPath", "Target", "RequestResult",
]


class Verdict(str, Enum):
    ROUTED = "ROUTED"
    PASSTHROUGH = "PASSTHROUGH"
    BLOCKED = "BLOCKED"
    DIRECT = "DIRECT"
    DNS_FAILURE = "DNS_FAILURE"
    #: A route (or a TCP proxy) names a cluster this proxy does not have: 503 (500 for a Gateway
    #: API route) with an empty body, or a closed connection.
    CLUSTER_NOT_FOUND = "CLUSTER_NOT_FOUND"
    #: A virtual host matched but none of its routes: Envoy's 404 with an empty body.
    NO_ROUTE = "NO_ROUTE"
    #: A VirtualService ``directResponse``: Envoy answers itself.
    DIRECT_RESPONSE = "DIRECT_RESPONSE"
    #: A VirtualService ``redirect`` (or an HTTPRoute RequestRedirect): Envoy answers 3xx with a Location.
    REDIRECT = "REDIRECT"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an explanation: a reason key from the message catalog and its parameters."""

    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)

    def text(self, lang: str | None = None) -> str:
        lang = language(lang)
        try:
            return _cached_text(self.key, tuple(self.params.items()), lang)
        except TypeError:  # an unhashable parameter
            return reason_text(self.key, self.params, lang)


@lru_cache(maxsize=4096)
def _cached_text(key: str, params: tuple, lang: str) -> str:
    return reason_text(key, dict(params), lang)


_SHARED_JSON: dict[int, tuple] = {}
_SHARED_VALUES: dict[int, list] = {}


def _shared_json(items: tuple) -> list:
    """JSON of a tuple of results shared by many workloads (one scope), computed once."""
    hit = _SHARED_JSON.get(id(items))
    if hit is not None and hit[0] is items:
        return hit[1]
    value = [i.to_json() for i in items]
    if len(_SHARED_JSON) > 4096:
        _SHARED_JSON.clear()
        _SHARED_VALUES.clear()
    _SHARED_JSON[id(items)] = (items, value)
    _SHARED_VALUES[id(value)] = value
    return value


def is_shared_json(value: object) -> bool:
    """True when ``value`` is a JSON list that many results share (a scope's egress or visible
    services): a writer may encode it once and repeat the text (``core.output``)."""
    return _SHARED_VALUES.get(id(value)) is value


def shared_json_values() -> Mapping[int, list]:
    """``id`` → list of every JSON list :func:`is_shared_json` accepts (for writers' inner loops)."""
    return _SHARED_VALUES


def _ref_json(ref: ObjectRef | None) -> dict | None:
    return None if ref is None else {"namespace": ref.namespace, "name": ref.name}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A Sidecar that was considered for a workload, and what became of it."""

    sidecar: ObjectRef
    level: str  # workload | namespace | root
    outcome: str  # selected | shadowed | no-match | not-applicable | rejected
    reason: Step
    source: str = ""

    def to_json(self, lang: str | None = None) -> dict:
        return {"namespace": self.sidecar.namespace, "name": self.sidecar.name, "level": self.level,
                "outcome": self.outcome, "reason": self.reason.text(lang), "reason_code": self.reason.key,
                "origin": self.source}


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    mode: str
    source: str  # "sidecar" | "mesh"
    egress_proxy: Mapping[str, Any] | None = None
    #: The Sidecar that set it, or where the mesh value came from (ConfigMap, default).
    detail: str = ""

    def to_json(self) -> dict:
        return {"mode": self.mode, "from": self.source,
                "egress_proxy": dict(self.egress_proxy) if self.egress_proxy else None,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class EffectiveEgress:
    port: Mapping[str, Any] | None
    bind: str | None
    capture_mode: str
    hosts: tuple[str, ...]
    implicit: bool

    def to_json(self) -> dict:
        return {"port": dict(self.port) if self.port else None, "bind": self.bind,
                "capture_mode": self.capture_mode, "hosts": list(self.hosts), "implicit": self.implicit}


@dataclass(frozen=True, slots=True)
class VisibleService:
    namespace: str
    host: str
    kind: str  # Service | ServiceEntry
    name: str
    ports: tuple[int, ...]
    #: Why it is visible: the egress host entry, or ``VirtualService ns/name`` for an inferred destination.
    via: str
    #: For an ExternalName Service: the hostname it is an alias of (it has no cluster of its own).
    alias_for: str | None = None
    #: The DestinationRule this proxy uses for the host (the first of those istiod merged), if any.
    destination_rule: ObjectRef | None = None
    #: Its subsets: each is one more cluster ``outbound|P|subset|host`` per port.
    subsets: tuple[str, ...] = ()
    #: The ExternalName Services that are aliases of this host (their names reach its clusters).
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict:
        out = {"namespace": self.namespace, "host": self.host, "ports": list(self.ports),
               "kind": self.kind, "name": self.name, "via": self.via}
        # Present only when set: resolve --all on a large mesh prints one entry per visible service
        # of every workload, and most have none of these.
        if self.alias_for:
            out["alias_for"] = self.alias_for
        if self.aliases:
            out["aliases"] = list(self.aliases)
        if self.destination_rule is not None:
            out["destination_rule"] = _ref_json(self.destination_rule)
            out["subsets"] = list(self.subsets)
        return out


@dataclass(frozen=True, slots=True)
class EffectiveIngress:
    port: Mapping[str, Any]
    bind: str | None
    capture_mode: str
    default_endpoint: str | None
    implicit: bool
    connection_pool: Mapping[str, Any] | None
    connection_pool_from: str  # port | sidecar | mesh (Istio 1.31 meshConfig.defaultTrafficPolicy) | none
    #: For implicit listeners: the Service ports that produced it.
    services: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"port": dict(self.port), "bind": self.bind, "capture_mode": self.capture_mode,
                "default_endpoint": self.default_endpoint, "implicit": self.implicit,
                "connection_pool": _plain(self.connection_pool),
                "connection_pool_from": self.connection_pool_from, "services": list(self.services)}


def _plain(value: Any) -> Any:
    if value is None:  # most connection pools: answered before the (slow) abstract Mapping check
        return None
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Resolution:
    """Which Sidecar governs a workload, why, and what its proxy gets."""

    workload: Workload
    proxy: str  # sidecar | gateway | none
    scope: str  # workload | namespace | root | default | gateway | none
    sidecar: ObjectRef | None
    candidates: tuple[Candidate, ...]
    policy: EffectivePolicy | None
    egress: tuple[EffectiveEgress, ...]
    visible_services: tuple[VisibleService, ...]
    ingress: tuple[EffectiveIngress, ...]
    #: The namespace the chosen Sidecar is evaluated in (``.`` means this namespace).
    config_namespace: str
    proxy_reason: Step
    scope_reason: Step
    notes: tuple[Step, ...] = ()
    #: The Istio release whose rules answered (``"1.26"``).
    istio_version: str = ""

    @property
    def mode(self) -> str | None:
        return self.policy.mode if self.policy else None

    def to_json(self, lang: str | None = None) -> dict:
        lang = language(lang)  # once for the record, not once per sentence
        w = self.workload
        return {
            "workload": {"namespace": w.namespace, "name": w.name, "kind": w.kind, "labels": dict(w.labels)},
            "proxy": self.proxy,
            "scope": self.scope,
            "sidecar": _ref_json(self.sidecar),
            "candidates": [c.to_json(lang) for c in self.candidates],
            "outbound_traffic_policy": self.policy.to_json() if self.policy else None,
            "egress": _shared_json(self.egress),
            "visible_services": _shared_json(self.visible_services),
            "ingress": [i.to_json() for i in self.ingress],
            "notes": [n.text(lang) for n in self.notes],
            "explanation": [self.proxy_reason.text(lang), self.scope_reason.text(lang)],
            "istio_version": self.istio_version,
        }


@dataclass(frozen=True, slots=True)
class EnvoyPath:
    listener: str | None
    #: The virtual host (or ``allow_any``/``block_all``), None when no HTTP route is involved.
    route: str | None
    #: The cluster the request goes to (the heaviest of a weighted split).
    cluster: str | None
    #: The route table (RDS name): ``P``, or ``host:P`` for a sniffed service bound to its VIP.
    route_config: str | None = None
    #: The name of the route entry that matched (``default`` for a service's own route).
    route_entry: str | None = None
    #: A weighted split: (cluster, weight, exists) for each destination.
    weighted_clusters: tuple[tuple[str, int, bool], ...] = ()
    #: Clusters the request is mirrored to.
    mirrors: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"listener": self.listener, "route": self.route, "cluster": self.cluster,
                "route_config": self.route_config, "route_entry": self.route_entry,
                "weighted_clusters": [{"cluster": c, "weight": w, "exists": e} for c, w, e in self.weighted_clusters],
                "mirrors": list(self.mirrors)}


@dataclass(frozen=True, slots=True)
class Target:
    """A request target as written (curl-like) and what it resolved to."""

    target: str
    scheme: str  # http | https | tcp
    host: str  # as written
    port: int
    path: str = "/"
    #: The name DNS answered for (FQDN of a Service), or the host itself for an external name.
    resolved: str | None = None
    service: ObjectRef | None = None
    #: Hostname of the service in the registry, when the target is a known service.
    service_host: str | None = None
    #: The kind of address DNS returns: vip | pod | range (inside a ServiceEntry CIDR) | external | none.
    address: str = "external"
    #: Request headers given with the target (curl's ``-H``), names lower-case.
    headers: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    method: str = "GET"

    @property
    def protocol(self) -> str:
        return self.scheme

    def to_json(self) -> dict:
        service = None
        if self.service is not None:
            service = {"namespace": self.service.namespace, "host": self.service_host,
                       "kind": self.service.kind, "name": self.service.name}
        return {"target": self.target, "host": self.resolved or self.host, "port": self.port,
                "protocol": self.scheme, "service": service, "path": self.path, "method": self.method,
                "headers": dict(self.headers)}


@dataclass(frozen=True, slots=True)
class RequestResult:
    """What happens when a workload sends one request."""

    source: Workload
    target: Target
    resolution: Resolution
    verdict: Verdict
    envoy: EnvoyPath
    client_sees: str
    curl_exit: int | None
    http_status: int | None
    destination_sees_source: str | None
    steps: tuple[Step, ...]
    #: ``client_sees`` as a catalog step, to say it in another language.
    sees: Step | None = None

    def client_sees_text(self, lang: str | None = None) -> str:
        return self.sees.text(lang) if self.sees is not None else self.client_sees

    def explanation(self, lang: str | None = None) -> list[str]:
        lang = language(lang)
        return [s.text(lang) for s in self.steps]

    def to_json(self) -> dict:
        r = self.resolution
        return {
            "from": {"namespace": self.source.namespace, "name": self.source.name},
            "to": self.target.to_json(),
            "proxy": r.proxy,
            "scope": r.scope,
            "sidecar": _ref_json(r.sidecar),
            "mode": r.mode,
            "verdict": self.verdict.value,
            "envoy": self.envoy.to_json(),
            "client_sees": self.client_sees,
            "curl": {"exit_code": self.curl_exit, "http_status": self.http_status},
            "destination_sees_source": self.destination_sees_source,
            "explanation": self.explanation(),
            "explanation_codes": [s.key for s in self.steps],
            "istio_version": r.istio_version,
        }
