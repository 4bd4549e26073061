"""What the manifests say: typed, frozen objects, kept apart from what Istio computes.

These mirror the Kubernetes and Istio objects the simulator reads. They hold
the *spec* as written; the effect (which Sidecar wins, what a proxy sees)
lives in :mod:`sidecar_lab.core.results`, as Istio keeps ``Sidecar`` apart from
``SidecarScope``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "EMPTY", "Source", "Namespace", "ContainerPort", "Workload", "ServicePort", "Service",
    "ServiceEntryPort", "ServiceEntry", "Destination", "VirtualService", "PortSpec",
    "StringMatch", "HTTPMatchRequest", "RouteDestination", "HTTPRedirect", "HTTPDirectResponse", "HTTPMirror",
    "HTTPRoute", "L4Match", "L4Route", "Subset", "DestinationRule", "GatewayHTTPRoute", "GATEWAY_SEMANTICS",
    "EgressListener", "IngressListener", "EgressProxy", "OutboundTrafficPolicy", "SidecarSpec",
    "Sidecar", "MeshConfig", "Mesh", "frozen_map", "ObjectRef",
    "REGISTRY_ONLY", "ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS", "GATEWAY_LABELS",
]

REGISTRY_ONLY = "REGISTRY_ONLY"
ALLOW_ANY = "ALLOW_ANY"
#: Istio 1.31's mesh-only mode (``Rules.allow_any_dynamic_dns``): unknown HTTP resolved by Envoy itself.
ALLOW_ANY_DYNAMIC_DNS = "ALLOW_ANY_DYNAMIC_DNS"

EMPTY: Mapping[str, str] = MappingProxyType({})

#: A workload is a gateway when its labels carry one of these (key, value or None = any value).
GATEWAY_LABELS = (("istio", "ingressgateway"), ("istio", "egressgateway"),
                  ("gateway.networking.k8s.io/gateway-name", None))


def frozen_map(value: Mapping | None) -> Mapping:
    """A read-only copy of a mapping (the empty one for None)."""
    if not value:
        return EMPTY
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was written: a file (or ``<stdin>``, ``<cluster>``) and a line."""

    file: str = "<memory>"
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class ObjectRef:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


#: ``ObjectRef(kind, namespace, name)``, one instance per reference while it is in use: a workload's answer
#: asks each Sidecar of its namespace for its ``ref`` several times (a lookup instead of building one).
_ref = functools.lru_cache(maxsize=16384)(ObjectRef)


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    source: Source = Source()

    @property
    def injection_label(self) -> str | None:
        return self.labels.get("istio-injection")

    @property
    def revision(self) -> str | None:
        return self.labels.get("istio.io/rev") or None

    @property
    def ambient(self) -> bool:
        return self.labels.get("istio.io/dataplane-mode") == "ambient"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Workload:
    """A Pod, or a controller (Deployment, StatefulSet, DaemonSet, ReplicaSet) through its pod template."""

    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    pod_ip: str | None = None
    created: float = 0.0
    source: Source = Source()
    #: Container ports of the pod (template), used to resolve named target ports.
    ports: tuple[ContainerPort, ...] = ()
    #: True/False when the pod spec lists containers (does it carry ``istio-proxy``?); None when unknown.
    has_proxy_container: bool | None = None
    #: True when the object was read from a cluster (it has a metadata.uid): its containers are final.
    live: bool = False
    host_network: bool = False
    #: The labels on the controller's own metadata (for analyzer checks of misplaced labels).
    object_labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    object_annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def ref(self) -> ObjectRef:
        return _ref(self.kind, self.namespace, self.name)

    @property
    def is_gateway(self) -> bool:
        for key, value in GATEWAY_LABELS:
            if key in self.labels and (value is None or self.labels[key] == value):
                return True
        return False


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    name: str | None = None
    target_port: int | str | None = None
    app_protocol: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Service:
    """A Kubernetes Service."""

    namespace: str
    name: str
    ports: tuple[ServicePort, ...] = ()
    cluster_ip: str | None = None
    type: str = "ClusterIP"
    external_name: str | None = None
    selector: Mapping[str, str] | None = None
    #: As written (annotation ``networking.istio.io/exportTo``); empty means "not set" (the mesh's
    #: ``defaultServiceExportTo`` applies).
    export_to: tuple[str, ...] = ()
    created: float = 0.0
    source: Source = Source()

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @property
    def ref(self) -> ObjectRef:
        return _ref("Service", self.namespace, self.name)

    def hostname(self, domain: str = "cluster.local") -> str:
        return f"{self.name}.{self.namespace}.svc.{domain}"


@dataclass(frozen=True, slots=True)
class ServiceEntryPort:
    number: int
    protocol: str | None = None
    name: str | None = None
    target_port: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    namespace: str
    name: str
    hosts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    ports: tuple[ServiceEntryPort, ...] = ()
    location: str = "MESH_EXTERNAL"
    resolution: str = "NONE"
    #: As written; empty means "not set" (the mesh's ``defaultServiceExportTo`` applies).
    export_to: tuple[str, ...] = ()
    workload_selector: Mapping[str, str] | None = None
    created: float = 0.0
    source: Source = Source()
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    #: ``endpoints[].address`` as written (IPs, hostnames or unix sockets).
    endpoint_addresses: tuple[str, ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return _ref("ServiceEntry", self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class Destination:
    host: str
    port: int | None = None
    subset: str | None = None


#: ``VirtualService.semantics`` of a route converted from a Gateway API ``HTTPRoute`` (istiod's
#: ``internal.istio.io/route-semantics: gateway`` annotation).
GATEWAY_SEMANTICS = "gateway"


@dataclass(frozen=True, slots=True)
class StringMatch:
    """Istio's ``StringMatch``: ``kind`` is ``exact``, ``prefix`` or ``regex``; None in a header map
    means a presence match (an empty match, or the regex ``*``)."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class HTTPMatchRequest:
    """One ``http[].match[]`` entry of a VirtualService."""

    name: str = ""
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    #: (header name, match or None for a presence match), in the order written.
    headers: tuple[tuple[str, StringMatch | None], ...] = ()
    without_headers: tuple[tuple[str, StringMatch | None], ...] = ()
    query_params: tuple[tuple[str, StringMatch | None], ...] = ()
    ignore_uri_case: bool = False
    port: int = 0
    source_labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    source_namespace: str = ""
    gateways: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteDestination:
    destination: Destination
    weight: int = 0


@dataclass(frozen=True, slots=True)
class HTTPRedirect:
    uri: str = ""
    authority: str = ""
    scheme: str = ""
    #: An explicit ``port``, or None.
    port: int | None = None
    #: ``FROM_PROTOCOL_DEFAULT`` or ``FROM_REQUEST_PORT`` (``derivePort``), or None.
    derive_port: str | None = None
    code: int = 0


@dataclass(frozen=True, slots=True)
class HTTPDirectResponse:
    status: int
    body: str | None = None


@dataclass(frozen=True, slots=True)
class HTTPMirror:
    destination: Destination
    #: ``percentage.value`` (0-100), or None when not set (all requests are mirrored).
    percent: float | None = None


@dataclass(frozen=True, slots=True)
class HTTPRoute:
    """One ``http[]`` entry of a VirtualService (Istio's ``HTTPRoute``)."""

    name: str = ""
    match: tuple[HTTPMatchRequest, ...] = ()
    route: tuple[RouteDestination, ...] = ()
    redirect: HTTPRedirect | None = None
    direct_response: HTTPDirectResponse | None = None
    #: ``(name, namespace)`` of the delegate VirtualService (namespace "" = the root's own).
    delegate: tuple[str, str] | None = None
    #: ``mirror`` (with ``mirrorPercentage``) and ``mirrors``, in that order.
    mirror: HTTPMirror | None = None
    mirrors: tuple[HTTPMirror, ...] = ()


@dataclass(frozen=True, slots=True)
class L4Match:
    """One ``tcp[].match[]`` or ``tls[].match[]`` entry."""

    port: int = 0
    source_labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    source_namespace: str = ""
    gateways: tuple[str, ...] = ()
    destination_subnets: tuple[str, ...] = ()
    sni_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class L4Route:
    """One ``tcp[]`` or ``tls[]`` entry."""

    match: tuple[L4Match, ...] = ()
    route: tuple[RouteDestination, ...] = ()


@dataclass(frozen=True, slots=True)
class VirtualService:
    namespace: str
    name: str
    hosts: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()
    #: As written; empty means "not set" (the mesh's ``defaultVirtualServiceExportTo`` applies).
    export_to: tuple[str, ...] = ()
    #: Route destinations in the order written (http, then tcp, then tls routes).
    destinations: tuple[Destination, ...] = ()
    created: float = 0.0
    source: Source = Source()
    http: tuple[HTTPRoute, ...] = ()
    tcp: tuple[L4Route, ...] = ()
    tls: tuple[L4Route, ...] = ()
    #: ``""`` for a VirtualService; :data:`GATEWAY_SEMANTICS` for one converted from an HTTPRoute.
    semantics: str = ""
    #: For a converted HTTPRoute: the HTTPRoutes it was built from.
    origin: tuple[ObjectRef, ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return _ref("VirtualService", self.namespace, self.name)

    @property
    def applies_to_mesh(self) -> bool:
        """Sidecars use a VirtualService bound to no gateway, or to the reserved ``mesh`` gateway."""
        return not self.gateways or "mesh" in self.gateways

    @property
    def gateway_semantics(self) -> bool:
        return self.semantics == GATEWAY_SEMANTICS

    @property
    def is_delegate(self) -> bool:
        """A VirtualService without hosts is a delegate: it only takes part through a root's ``delegate``."""
        return not self.hosts


@dataclass(frozen=True, slots=True)
class Subset:
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class DestinationRule:
    namespace: str
    name: str
    host: str
    subsets: tuple[Subset, ...] = ()
    #: As written; empty means "not set" (the mesh's ``defaultDestinationRuleExportTo`` applies).
    export_to: tuple[str, ...] = ()
    #: ``workloadSelector.matchLabels``; None when absent.
    workload_selector: Mapping[str, str] | None = None
    has_traffic_policy: bool = False
    created: float = 0.0
    source: Source = Source()

    @property
    def ref(self) -> ObjectRef:
        return _ref("DestinationRule", self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class GatewayHTTPRoute:
    """A Gateway API ``HTTPRoute`` as written. Only its Service (and ServiceEntry) parents matter to
    sidecars (GAMMA); :func:`sidecar_lab.core.vsindex.convert_http_routes` turns it into
    VirtualServices as istiod does."""

    namespace: str
    name: str
    #: ``(kind, namespace, name, port or None)`` of each parentRef.
    parents: tuple[tuple[str, str, str, int | None], ...] = ()
    #: Each rule as plain data: ``{"name", "matches", "filters", "backendRefs"}`` (already checked).
    rules: tuple[Mapping[str, Any], ...] = ()
    created: float = 0.0
    source: Source = Source()

    @property
    def ref(self) -> ObjectRef:
        return _ref("HTTPRoute", self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class PortSpec:
    number: int = 0
    protocol: str | None = None
    name: str | None = None
    target_port: int | None = None


@dataclass(frozen=True, slots=True)
class EgressListener:
    hosts: tuple[str, ...] = ()
    port: PortSpec | None = None
    bind: str | None = None
    capture_mode: str | None = None


@dataclass(frozen=True, slots=True)
class IngressListener:
    port: PortSpec | None = None
    bind: str | None = None
    capture_mode: str | None = None
    default_endpoint: str | None = None
    connection_pool: Mapping[str, Any] | None = None
    tls: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EgressProxy:
    host: str
    port: int | None = None
    subset: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundTrafficPolicy:
    """``mode`` is None when the field is present without a mode: protobuf's zero, REGISTRY_ONLY."""

    mode: str | None = None
    egress_proxy: EgressProxy | None = None

    @property
    def effective_mode(self) -> str:
        return self.mode or REGISTRY_ONLY


@dataclass(frozen=True, slots=True)
class SidecarSpec:
    #: The selector's labels; None when ``workloadSelector`` is absent. ``{}`` is a selector too.
    workload_selector: Mapping[str, str] | None = None
    egress: tuple[EgressListener, ...] | None = None
    ingress: tuple[IngressListener, ...] | None = None
    outbound_traffic_policy: OutboundTrafficPolicy | None = None
    inbound_connection_pool: Mapping[str, Any] | None = None

    @property
    def has_selector(self) -> bool:
        return self.workload_selector is not None


@dataclass(frozen=True, slots=True)
class Sidecar:
    namespace: str
    name: str
    spec: SidecarSpec = SidecarSpec()
    #: The spec exactly as written (plain YAML values), for validation and for showing it back.
    raw_spec: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    api_version: str = "networking.istio.io/v1"
    created: float = 0.0
    #: The creationTimestamp as written, if any.
    created_text: str | None = None
    annotations: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    source: Source = Source()
    #: Field path (tuple) → line, for messages that point into the Sidecar.
    positions: Mapping[tuple, int] = field(default_factory=lambda: EMPTY, compare=False, repr=False)

    @property
    def ref(self) -> ObjectRef:
        return _ref("Sidecar", self.namespace, self.name)

    def line_of(self, path: tuple) -> int | None:
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.source.line

    def order_key(self) -> tuple:
        """Istio's order: creation time (seconds), then name, then namespace."""
        return (self.created, self.name, self.namespace)


@dataclass(frozen=True, slots=True)
class MeshConfig:
    root_namespace: str = "istio-system"
    #: The mesh-wide outbound mode; ``outboundTrafficPolicy: {}`` in mesh config is REGISTRY_ONLY.
    outbound_mode: str = ALLOW_ANY
    #: Where the mode came from: ``default``, or the file:line of the ConfigMap / IstioOperator.
    outbound_mode_from: str = "default"
    domain: str = "cluster.local"
    source: Source | None = None
    #: ``defaultServiceExportTo``, ``defaultVirtualServiceExportTo``, ``defaultDestinationRuleExportTo``;
    #: None when not set (istiod then uses ``*``).
    default_service_export_to: tuple[str, ...] | None = None
    default_virtual_service_export_to: tuple[str, ...] | None = None
    default_destination_rule_export_to: tuple[str, ...] | None = None
    #: ``defaultConfig.proxyMetadata`` (ISTIO_META_DNS_CAPTURE, ISTIO_META_DNS_AUTO_ALLOCATE, ...).
    proxy_metadata: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    #: ``defaultTrafficPolicy.connectionPool`` (Istio 1.31), as written; None when absent.
    default_connection_pool: Mapping[str, Any] | None = None

    @property
    def dns_capture(self) -> bool:
        """Do proxies answer DNS themselves (``ISTIO_META_DNS_CAPTURE: "true"``)?"""
        return self.proxy_metadata.get("ISTIO_META_DNS_CAPTURE", "").lower() == "true"


@dataclass(frozen=True, slots=True)
class Mesh:
    """Everything read from the manifests (or a live cluster): the simulator's whole input."""

    namespaces: tuple[Namespace, ...] = ()
    workloads: tuple[Workload, ...] = ()
    services: tuple[Service, ...] = ()
    service_entries: tuple[ServiceEntry, ...] = ()
    virtual_services: tuple[VirtualService, ...] = ()
    sidecars: tuple[Sidecar, ...] = ()
    mesh_config: MeshConfig = MeshConfig()
    destination_rules: tuple[DestinationRule, ...] = ()
    http_routes: tuple[GatewayHTTPRoute, ...] = ()
    #: The files (or other origins) the objects came from, in reading order.
    origins: tuple[str, ...] = ()
    #: Things the loader decided that a reader should know (duplicates replaced, defaults assumed).
    notes: tuple[str, ...] = ()
    #: The Istio release the objects come from when known (a live cluster's istiod, ``"1.24.3"``): a
    #: Simulator given no ``istio_version`` answers with its rules. None for manifest files.
    istio_version: str | None = None

    def namespace(self, name: str) -> Namespace | None:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        return None

    def workload(self, namespace: str, name: str) -> Workload | None:
        for w in self.workloads:
            if w.namespace == namespace and w.name == name:
                return w
        return None
