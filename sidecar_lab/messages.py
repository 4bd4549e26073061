"""The message catalog: every reason, note and explanation step, by key, in English and Korean.

Results carry keys and parameters (:class:`sidecar_lab.results.Step`); text is
made here, so the command, the notebooks and the figures say the same thing.

>>> reason_text("candidate.shadowed-older", {"winner": "ns/a"})
'ns/a also matches and is older; istiod takes the oldest, this one is ignored'
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["CATALOG", "reason_text", "LANGUAGES"]

LANGUAGES = ("en", "ko")

CATALOG: dict[str, dict[str, str]] = {"en": {
    # Does the workload have a proxy, and of which kind?
    "proxy.gateway": "a gateway proxy (labels {labels}): gateways ignore every Sidecar resource",
    "proxy.ignored-namespace": "namespace {namespace} is never injected",
    "proxy.live-has-proxy": "the pod runs an istio-proxy container",
    "proxy.live-no-proxy": "the pod runs no istio-proxy container (injection did not happen when it started)",
    "proxy.has-proxy-container": "the pod spec already lists an istio-proxy container",
    "proxy.pod-opt-out": "the pod opts out with sidecar.istio.io/inject=\"false\" ({how})",
    "proxy.namespace-assumed": "no Namespace manifest for {namespace}: assumed injected, as in the lab",
    "proxy.namespace-disabled": "namespace {namespace} is labelled istio-injection=disabled",
    "proxy.namespace-injected": "namespace {namespace} is injected ({label})",
    "proxy.pod-opt-in": "the pod opts in with the label sidecar.istio.io/inject=\"true\"",
    "proxy.ambient": "namespace {namespace} is ambient: no sidecar, Sidecar resources have no effect",
    "proxy.namespace-not-injected": "namespace {namespace} has no injection label: the pod has no sidecar",
    # Candidates
    "candidate.gateway": "gateways ignore Sidecar resources",
    "candidate.no-proxy": "the pod has no sidecar proxy, so no Sidecar applies",
    "candidate.rejected": "fails admission validation ({error}); the API server would not have admitted it",
    "candidate.no-match": "its workloadSelector {selector} does not match the pod's labels {labels}",
    "candidate.selected-namespace": "the namespace-wide Sidecar of {namespace} (no workloadSelector)",
    "candidate.selected-empty-selector": ("workloadSelector: {{}} is a selector that matches every pod, "
                                          "so it outranks the namespace-wide Sidecar"),
    "candidate.selected-selector": "its workloadSelector {selector} matches the pod's labels",
    "candidate.shadowed-by-namespace": "{winner} in the workload's own namespace takes precedence over the root default",
    "candidate.shadowed-by-selector": "{winner} has a workloadSelector that matches, and selector Sidecars come first",
    "candidate.shadowed-older": "{winner} also matches and is older; istiod takes the oldest, this one is ignored",
    "candidate.shadowed-same-age-name": ("{winner} also matches and has the same creation second; "
                                         "the name decides (alphabetical), this one is ignored"),
    "candidate.root-selector": ("a Sidecar with a workloadSelector in the root namespace {root} applies only to "
                                "pods in {root}, never to pods in {namespace}"),
    "candidate.selected-root": "no Sidecar of {namespace} applies, so the root namespace's default ({root}) does, "
                               "evaluated as if it lived in {namespace}",
    # Scope
    "scope.none": "no proxy: requests leave the pod directly",
    "scope.default": "no Sidecar applies: the built-in default (egress */*, mesh mode {mode})",
    "scope.gateway": "a gateway gets every service exported to its namespace and the mesh mode",
    "scope.workload": "{sidecar} selects this workload",
    "scope.namespace": "{sidecar} is the namespace-wide Sidecar",
    "scope.root": "{sidecar} is the mesh-wide default from the root namespace",
    # Notes
    "note.namespace-assumed": "namespace {namespace} has no Namespace manifest; it is treated as injected",
    "note.egress-implicit": ("{sidecar} has no egress: it gets */* (implicit), NOT the egress of the namespace "
                             "or root Sidecar — nothing is inherited"),
    "note.mode-from-mesh": ("{sidecar} sets no outboundTrafficPolicy: the mesh mode {mode} applies ({origin}), "
                            "NOT the namespace or root Sidecar's mode — nothing is inherited"),
    "note.empty-policy": "{sidecar} has outboundTrafficPolicy with no mode: that is REGISTRY_ONLY (enum zero)",
    # A request
    "traffic.dns-failure": "DNS cannot resolve {host} (tried {tried})",
    "traffic.dns-service": "DNS resolves {host} to the Service {fqdn}",
    "traffic.dns-service-entry": "{host} is a host of the ServiceEntry {entry}",
    "traffic.dns-external": "{host} is not a service of the mesh: an external name that DNS resolves",
    "traffic.no-proxy": "the source has no sidecar: the request goes out directly",
    "traffic.gateway-source": "a gateway pod does not capture its outbound traffic: the request goes out directly",
    "traffic.port-missing": "{service} has no port {port}",
    "traffic.mode": "outbound mode {mode} (from the {source}: {detail})",
    "traffic.not-exported": "{service} is not exported to {namespace} (exportTo: {export_to})",
    "traffic.other-namespace-won": "the proxy sees {service} as defined in {winner}, not this one",
    "traffic.port-not-imported": "{service} is imported, but not on port {port} (a port-specific egress listener)",
    "traffic.not-imported": "{service} (namespace {svc_namespace}) is not imported by the egress hosts [{hosts}]",
    "traffic.dest-sidecar": "{workload} has a sidecar: its Envoy forwards to the app from 127.0.0.6",
    "traffic.dest-no-sidecar": "{workload} has no sidecar: it sees the client pod's address {ip}",
    "traffic.egress-proxy": "egressProxy is set: unknown traffic goes to {cluster}",
    "traffic.passthrough": "PassthroughCluster forwards it to the original destination",
    "traffic.routed": "routed to {cluster}",
    "traffic.captured-by-other": "traffic meant for {meant} is taken by {got}",
    "traffic.block-all": ("no virtual host of route {port} matches: the catch-all route block_all "
                          "answers 502 itself (REGISTRY_ONLY)"),
    "traffic.allow-any": "no virtual host of route {port} matches: the catch-all route allow_any (ALLOW_ANY)",
    "traffic.no-listener": "no listener for port {port}: the request falls through to virtualOutbound",
    "traffic.passthrough-chain": "{listener} has no filter chain for this traffic: its passthrough chain takes it",
    "traffic.blackhole": "BlackHoleCluster: the connection is accepted, then closed (REGISTRY_ONLY)",
    "traffic.not-a-firewall": ("{service} is in the registry but not visible to this proxy; under ALLOW_ANY it is "
                               "still reached, as plaintext passthrough without mTLS: egress hosts are not a firewall"),
    "traffic.listener-vip": "listener {listener} (the service's VIP and port) takes it for {service}",
    "traffic.listener-http": "listener {listener}, route table {port}",
    "traffic.virtual-host": "virtual host {vhost} matches the Host header",
    "traffic.via-virtual-service": "VirtualService {vs} routes it to {host}",
    "traffic.listener-sni": "listener {listener} matches SNI {sni} for {service}",
    "traffic.listener-whole-port": ("listener {listener} belongs to {service}, a service without a VIP: "
                                    "it captures the whole port, whatever the destination"),
}, "ko": {}}


def reason_text(key: str, params: Mapping[str, Any] | None = None, lang: str = "en") -> str:
    """The sentence for ``key`` in ``lang`` (English when the key has no translation)."""
    template = CATALOG.get(lang, {}).get(key) or CATALOG["en"].get(key)
    if template is None:
        return key
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template
