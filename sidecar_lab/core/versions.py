"""Which Istio release answers: every rule that changed between Istio 1.22 and 1.31, as a named switch.

The simulator follows one release at a time. :class:`Rules` is that release's rule book: each
attribute is a :class:`Switch` that is on from the release that introduced the behaviour, with
the place in Istio's tree it was read from. The resolver, the request model, validation and the
analyzer ask a switch (``sim.rules.absolute_fqdn_vhost``); none of them compares version
numbers. What never changed in 1.22–1.31 (which Sidecar applies, the host grammar up to 1.30,
the no-merge rule, ``block_all`` and ``BlackHoleCluster``) has no switch.

>>> rules = rules_for("1.26")
>>> rules.version, rules.tie_break_name_then_namespace, rules.absolute_fqdn_vhost
(IstioVersion('1.26'), True, False)
>>> [s.name for s in switches_between("1.26", "1.27")]
['absolute_fqdn_vhost', 'webhook_ingress_tls_multi_cert', 'native_sidecars_auto']
>>> parse_version("1.21")
Traceback (most recent call last):
sidecar_lab.core.errors.UsageError: Istio 1.21 is outside what sidecar-lab models: choose a release from 1.22 to 1.31
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import UsageError

__all__ = ["IstioVersion", "Switch", "Rules", "parse_version", "rules_for", "switches", "switches_between",
           "DEFAULT_VERSION", "FIRST", "LAST", "LATEST_PATCH", "AREAS"]

#: The release the lab's manifests come from, and the answer when no version is asked for.
DEFAULT_VERSION = "1.26"
FIRST, LAST = (1, 22), (1, 31)
#: The newest patch of each line read for this table; ``1.30`` alone means ``1.30.3``.
LATEST_PATCH = {22: 8, 23: 6, 24: 6, 25: 5, 26: 8, 27: 9, 28: 10, 29: 6, 30: 3, 31: 0}
#: Where a switch acts, in the order the docs list them.
AREAS = ("selection", "visibility", "request", "validation", "analyzer", "live")

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?")


@dataclass(frozen=True, order=True)
class IstioVersion:
    """An Istio release: ``1.26`` (its newest patch) or ``1.30.2`` (that patch)."""

    key: tuple[int, int, int]
    written: str = field(compare=False)

    def __str__(self) -> str:
        return self.written

    def __repr__(self) -> str:
        return f"IstioVersion({self.written!r})"

    @property
    def line(self) -> str:
        """``major.minor``, the release line."""
        return f"{self.key[0]}.{self.key[1]}"


def parse_version(text: "str | IstioVersion") -> IstioVersion:
    """``X.Y`` or ``X.Y.Z`` (a leading ``v`` and a ``-rc.0``-like suffix are accepted, as clusters print them).

    >>> parse_version("1.30"), parse_version("v1.30.2").key, parse_version(" 1.31.0-rc.0 ")
    (IstioVersion('1.30'), (1, 30, 2), IstioVersion('1.31.0'))
    """
    if isinstance(text, IstioVersion):
        return text
    if not isinstance(text, str):
        raise UsageError(f"Istio version {text!r}: write it as X.Y or X.Y.Z, e.g. 1.26 or 1.30.3")
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"Istio version {text.strip()!r}: write it as X.Y or X.Y.Z, e.g. 1.26 or 1.30.3")
    major, minor = int(match.group(1)), int(match.group(2))
    if not FIRST <= (major, minor) <= LAST:
        raise UsageError(f"Istio {major}.{minor} is outside what sidecar-lab models: choose a release from "
                         f"{FIRST[0]}.{FIRST[1]} to {LAST[0]}.{LAST[1]}")
    if match.group(3) is None:
        return IstioVersion((major, minor, LATEST_PATCH[minor]), f"{major}.{minor}")
    patch = int(match.group(3))
    return IstioVersion((major, minor, patch), f"{major}.{minor}.{patch}")


class Switch:
    """One rule that changed: off before ``since``, on from it. Read it on a :class:`Rules`.

    ``area`` says where it acts (:data:`AREAS`), ``reference`` where in Istio it was read
    (file and function, the pull request), ``summary`` what it changes in one sentence;
    ``modelled`` is False for a rule read from Istio that the simulator does not apply yet.
    """

    def __init__(self, since: str, area: str, summary: str, reference: str, *, modelled: bool = True) -> None:
        assert area in AREAS, area
        self.name = ""
        #: False for a rule recorded from Istio's source that the simulator does not act on yet.
        self.modelled = modelled
        parsed = parse_version(since)  # a switch starts at the first patch of a line unless it names one
        self.since = parsed if since.count(".") == 2 else IstioVersion(parsed.key[:2] + (0,), parsed.written)
        self.area = area
        self.summary = summary
        self.reference = reference
        self.__doc__ = f"Istio {since} and later: {summary}\n\nIstio: {reference}" + (
            "" if modelled else "\n\nRecorded, not applied by the simulator yet.")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, rules: "Rules | None", owner: type) -> "bool | Switch":
        if rules is None:
            return self
        if rules.overrides:
            forced = rules.overrides.get(self.name)
            if forced is not None:
                return forced
        return rules.version.key >= self.since.key

    def __repr__(self) -> str:
        return f"<Switch {self.name} since {self.since}>"

    def text(self, lang: str | None = None) -> str:
        """The summary in ``lang`` (the message catalog's ``switch.<name>``; English is :attr:`summary`)."""
        from .messages import reason_text

        return reason_text("switch." + self.name, None, lang)


class Rules:
    """The rule book of one Istio release; every version-dependent rule of the simulator is an attribute.

    Build it with :func:`rules_for`. Each attribute is True when the release has the newer
    behaviour; its docstring names the release and the source it follows.
    """

    # -- selection and ordering --------------------------------------------------------------------
    tie_break_name_then_namespace = Switch(
        "1.23", "selection",
        "objects created in the same second are ordered by name, then namespace; 1.22 compares "
        "\"name.namespace\" as one string, so a-b sorts before a (\"a-b.ns\" < \"a.ns\")",
        "pilot/pkg/model/config.go sortConfigByCreationTime (Sidecars, VirtualServices), push_context.go "
        "sortConfigBySelectorAndCreationTime (DestinationRules) and SortServicesByCreationTime (services); "
        "istio/istio#51684")

    # -- what a proxy sees --------------------------------------------------------------------------
    unified_sidecar_scope = Switch(
        "1.24", "visibility",
        "no Sidecar behaves exactly like a Sidecar with egress */* (PILOT_UNIFIED_SIDECAR_SCOPE): a hostname "
        "defined in several namespaces resolves to the proxy's own namespace, then a Kubernetes Service, then "
        "the oldest; up to 1.23 a proxy without a Sidecar takes the oldest (a Kubernetes Service over a "
        "ServiceEntry) and a proxy with one takes its own namespace, then the oldest",
        "pilot/pkg/model/sidecar.go DefaultSidecarScopeForNamespace, selectServices; istio/istio#51776")
    vs_source_namespace_filter = Switch(
        "1.24", "visibility",
        "VirtualService routes restricted by sourceNamespace no longer import their destinations for proxies "
        "of other namespaces",
        "pilot/pkg/model/sidecar.go collectImportedServices, push_context.go "
        "virtualServiceDestinationsFilteredBySourceNamespace; istio/istio#52302")
    destination_rule_merge_by_export_to = Switch(
        "1.24", "visibility",
        "DestinationRules for one host with different exportTo are no longer merged: each exportTo keeps its own "
        "rule (ENABLE_ENHANCED_DESTINATIONRULE_MERGE), and a proxy of another namespace gets only those exported "
        "to it; up to 1.23 they merge into the oldest, whose exportTo (else the first non-empty one) decides for "
        "all of them",
        "pilot/pkg/model/destination_rule.go mergeDestinationRule, push_context.go "
        "getExportedDestinationRuleFromNamespace; istio/istio#52636")
    ip_autoallocate_v2 = Switch(
        "1.25", "visibility",
        "ServiceEntries without addresses (resolution other than NONE) get an address from 240.240.0.0/16 "
        "without ISTIO_META_DNS_AUTO_ALLOCATE; a proxy with DNS capture on resolves the host to it and "
        "binds a VIP listener instead of capturing the whole port",
        "pilot/pkg/features/pilot.go PILOT_ENABLE_IP_AUTOALLOCATE (default true), pilot/pkg/model/service.go "
        "nodeUsesAutoallocatedIPs; istio/istio#53661, release note ip-allocation-v2-default")
    vs_inferred_pick_best_namespace = Switch(
        "1.30", "visibility",
        "a VirtualService destination hostname defined in several namespaces (none of them the proxy's) "
        "resolves to a Kubernetes Service, else the oldest ServiceEntry; up to 1.29 to the alphabetically "
        "first namespace. Same-second ServiceEntries: istiod walks a Go map, so its pick is not deterministic",
        "pilot/pkg/model/sidecar.go collectImportedServices, pickBestVisibleNamespace "
        "(PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE); istio/istio#59486")
    default_export_to_all_namespaces = Switch(
        "1.30.3", "visibility",
        "meshConfig.defaultServiceExportTo and defaultVirtualServiceExportTo are read as a whole exportTo: "
        "[\".\", other] also exports to other, [other] exports to other, [\".\", \"*\"] is public; up to "
        "1.30.2 istiod honours only \".\" (first) and \"*\", and any other default exports such objects nowhere",
        "pilot/pkg/model/push_context.go initServiceRegistry, IsServiceVisible, initVirtualServices "
        "(exportToSet); istio/istio#60701 in #60819, release note 60560")
    services_exported_in_creation_order = Switch(
        "1.30.3", "visibility",
        "a namespace's private services no longer come before the services exported to it by name: "
        "servicesExportedToNamespace lists both in creation order (then the public ones); it decides which "
        "namespace a gateway takes a duplicated hostname from",
        "pilot/pkg/model/push_context.go initServiceRegistry, servicesExportedToNamespace (privateByNamespace "
        "removed); sidecar.go DefaultSidecarScopeForGateway; istio/istio#60726 in #60819")
    egress_host_exclusion = Switch(
        "1.31", "visibility",
        "a ~ before the namespace of an egress host excludes what it matches: [\"*/*\", \"~/*\"] imports nothing, "
        "\"~legacy/*\" hides namespace legacy; up to 1.30 \"~\" is only a namespace that imports nothing and "
        "\"~legacy/*\" is refused",
        "pilot/pkg/model/sidecar.go convertIstioListenerToWrapper, hostClassification.Excluded, selectServices; "
        "virtualservice.go SelectVirtualServices; istio/istio#60581")

    # -- what a request gets -------------------------------------------------------------------------
    absolute_fqdn_vhost = Switch(
        "1.27", "request",
        "every virtual host also lists its hostname with a trailing dot, so curl http://svc.ns.svc.cluster.local./ "
        "is routed; up to 1.26 that Host header matches no virtual host and takes the catch-all route",
        "pilot/pkg/networking/core/httproute.go GenerateAltVirtualHosts "
        "(PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN); istio/istio#56008")
    allow_any_dynamic_dns = Switch(
        "1.31", "request",
        "meshConfig.outboundTrafficPolicy.mode ALLOW_ANY_DYNAMIC_DNS: unknown plaintext HTTP goes to "
        "AllowAnyDynamicDNSCluster (Envoy resolves the Host header), other unknown traffic to "
        "PassthroughCluster; a Sidecar may not set it (O1)",
        "pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost, listener_builder.go "
        "buildOutboundCatchAllNetworkFilterChains, pkg/config/validation/validation.go "
        "validateSidecarOutboundTrafficPolicy; istio/istio#59802")
    mesh_default_traffic_policy = Switch(
        "1.31", "request",
        "meshConfig.defaultTrafficPolicy.connectionPool is a mesh-wide baseline below the DestinationRule and "
        "the Sidecar's inbound pools (and for outbound clusters and PassthroughCluster)",
        "pilot/pkg/networking/core/cluster_builder.go buildInboundClusterForPortOrUDS, "
        "cluster_traffic_policy.go applyDefaultTrafficPolicy; istio/istio#60664")

    # -- admission: the CRD schema ------------------------------------------------------------------
    crd_duration_rules = Switch(
        "1.23", "validation",
        "the CRD checks connection-pool durations with CEL (duration(self) >= duration('1ms')); in 1.22 only "
        "the webhook looks at them, and a string that is not a duration fails to decode",
        "manifests/charts/base/crds/crd-all.gen.yaml (sidecars.networking.istio.io), istio/api protoc-gen-crd "
        "+cue-gen validation markers")
    crd_selector_label_rules = Switch(
        "1.24", "validation",
        "the CRD refuses workloadSelector label values with * (CEL) or longer than 63 characters, and more than "
        "256 labels, before the webhook runs",
        "manifests/charts/base/files/crd-all.gen.yaml: workloadSelector.labels maxProperties 256, "
        "additionalProperties maxLength 63 and x-kubernetes-validations !self.contains('*')")
    crd_ingress_tls_multi_cert = Switch(
        "1.26", "validation",
        "ingress tls gains credentialNames and tlsCertificates (1 or 2 items, at most one of them with "
        "credentialName); before 1.26 they are unknown fields",
        "manifests/charts/base/files/crd-all.gen.yaml ServerTLSSettings; istio/api networking/v1alpha3/gateway.proto")
    tcp_idle_timeout_zero_allowed = Switch(
        "1.26", "validation",
        "connectionPool.tcp.idleTimeout: 0s turns the timeout off: the CRD drops its 1ms rule and the "
        "webhook skips 0s; from 1.23 to 1.25 both refuse it",
        "pkg/config/validation/validation.go validateConnectionPool; crd-all.gen.yaml; istio/istio#55410")
    crd_ca_cert_credential_name = Switch(
        "1.28", "validation",
        "ingress tls gains caCertCredentialName; before 1.28 it is an unknown field",
        "manifests/charts/base/files/crd-all.gen.yaml ServerTLSSettings.caCertCredentialName")
    http2_keepalive = Switch(
        "1.31", "validation",
        "connectionPool.http.http2KeepAlive (interval and timeout, both required, durations of at least 1ms); "
        "before 1.31 it is an unknown field",
        "pkg/config/validation/validation.go validateConnectionPool; crd-all.gen.yaml; istio/istio#60436")
    crd_insecure_skip_verify = Switch(
        "1.31", "validation",
        "ingress tls gains insecureSkipVerify; before 1.31 it is an unknown field",
        "manifests/charts/base/files/crd-all.gen.yaml ServerTLSSettings.insecureSkipVerify")

    # -- admission: Istio's webhook -----------------------------------------------------------------
    webhook_pool_tcp_timeouts = Switch(
        "1.23", "validation",
        "the webhook also checks tcp.idleTimeout and tcpKeepalive.time/interval (at least 1ms, ms precision)",
        "pkg/config/validation/validation.go validateConnectionPool; istio/istio#51946")
    webhook_ingress_tls_multi_cert = Switch(
        "1.27", "validation",
        "ingress tls: credentialNames and tlsCertificates are refused in a Sidecar (I18, I19), only one "
        "certificate source may be given (I24), and each tlsCertificates entry needs a certificate and a key",
        "pkg/config/validation/validation.go ValidateSidecar, validateTLSOptions; istio/istio#55760")

    # -- istioctl analyze ---------------------------------------------------------------------------
    analyzer_sorted_names = Switch(
        "1.23", "analyzer",
        "IST0110 and IST0111 list the Sidecars' names sorted; 1.22 lists them in the order it read them",
        "pkg/config/analysis/analyzers/sidecar/util.go getNames; istio/istio#50755")

    # -- a live cluster -----------------------------------------------------------------------------
    native_sidecars_auto = Switch(
        "1.27", "live",
        "ENABLE_NATIVE_SIDECARS=auto: on nodes whose kubelet is 1.33 or newer istio-proxy is injected as a "
        "native sidecar (an init container with restartPolicy Always); the simulator looks for it among the "
        "containers and the init containers in every release, so nothing here depends on the switch",
        "pilot/pkg/features/pilot.go EnableNativeSidecars, pkg/kube/inject/webhook.go DetectNativeSidecar; "
        "istio/istio#56918", modelled=False)

    def __init__(self, version: "str | IstioVersion" = DEFAULT_VERSION, overrides: dict[str, bool] | None = None) -> None:
        self.version = parse_version(version)
        #: Switches forced on or off, whatever the release (to ask "which rule made this difference?").
        self.overrides: dict[str, bool] = dict(overrides or {})
        for name in self.overrides:
            if not isinstance(vars(Rules).get(name), Switch):
                raise UsageError(f"unknown switch {name!r}")

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in sorted(self.overrides.items()))
        return f"Rules({str(self.version)!r}{extra})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rules) and other.version.key == self.version.key and \
            other.overrides == self.overrides

    def __hash__(self) -> int:
        return hash((self.version.key, tuple(sorted(self.overrides.items()))))

    def with_switch(self, name: str, value: bool) -> "Rules":
        """These rules with one switch forced (``Rules("1.26").with_switch("absolute_fqdn_vhost", True)``)."""
        return Rules(self.version, {**self.overrides, name: value})

    def on(self) -> list[Switch]:
        """The switches this release has turned on."""
        return [s for s in switches() if getattr(self, s.name)]


def switches(area: str | None = None) -> list[Switch]:
    """Every switch (of one area), by release then name."""
    found = [v for v in vars(Rules).values() if isinstance(v, Switch)]
    return sorted((s for s in found if area is None or s.area == area),
                  key=lambda s: (s.since.key, AREAS.index(s.area), s.name))


def switches_between(a: "str | IstioVersion", b: "str | IstioVersion") -> list[Switch]:
    """The switches whose value differs between two releases (in either order)."""
    ra, rb = rules_for(a), rules_for(b)
    return [s for s in switches() if getattr(ra, s.name) != getattr(rb, s.name)]


@lru_cache(maxsize=64)
def _rules(key: tuple[int, int, int], written: str) -> Rules:
    return Rules(IstioVersion(key, written))


def rules_for(version: "str | IstioVersion | Rules | None" = None) -> Rules:
    """The :class:`Rules` of a release (``None``: :data:`DEFAULT_VERSION`); an unknown one is a UsageError."""
    if isinstance(version, Rules):
        return version
    parsed = parse_version(DEFAULT_VERSION if version is None else version)
    return _rules(parsed.key, parsed.written)
