"""One simulator, the rules of each Istio release: every switch of core/versions.py, both sides.

Each case of SWITCH_CASES names the switch, the Istio function it follows, and what the simulator
answers in the last release without the change and in the first release with it. The answers are
read from the simulator's own output (verdicts, listeners, visible services, validation rules and
messages), never from the switch itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sidecar_lab as sl
from sidecar_lab.cli import main
from sidecar_lab.core.analyze import analyze
from sidecar_lab.core.errors import ManifestError, UsageError
from sidecar_lab.core.loader import load_text
from sidecar_lab.core.resolver import Simulator
from sidecar_lab.core.traffic import check
from sidecar_lab.core.validation import validate_sidecar
from sidecar_lab.core.version_compare import compare_check, compare_resolve, parse_versions
from sidecar_lab.core.versions import (DEFAULT_VERSION, LATEST_PATCH, Rules, parse_version, rules_for, switches,
                                       switches_between)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "versions.md"
T0 = "2025-06-01T10:00:00Z"


def yaml_docs(*docs: str) -> str:
    return "\n---\n".join(docs)


def pod(ns: str, name: str = "sleep", labels: str = "{app: sleep}") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}"


def sidecar(ns: str, name: str, spec: str, created: str = T0) -> str:
    return (f"apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
            f"metadata: {{name: {name}, namespace: {ns}, creationTimestamp: '{created}'}}\nspec: {spec}")


def service(ns: str, name: str, ports: str = "[{name: http, port: 80}]", created: str = T0) -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}, creationTimestamp: '{created}'}}"
            f"\nspec: {{clusterIP: 10.0.0.9, selector: {{app: {name}}}, ports: {ports}}}")


def service_entry(ns: str, name: str, host: str, created: str = T0, resolution: str = "DNS",
                  ports: str = "[{number: 443, name: tls, protocol: TLS}]", labels: str = "{}") -> str:
    return (f"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
            f"metadata: {{name: {name}, namespace: {ns}, creationTimestamp: '{created}', labels: {labels}}}\n"
            f"spec: {{hosts: [{host}], location: MESH_EXTERNAL, resolution: {resolution}, ports: {ports}}}")


def virtual_service(ns: str, name: str, hosts: str, http: str, created: str = T0, extra: str = "") -> str:
    return (f"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
            f"metadata: {{name: {name}, namespace: {ns}, creationTimestamp: '{created}'}}\n"
            f"spec: {{hosts: {hosts}, http: {http}{extra}}}")


def destination_rule(ns: str, name: str, host: str, subsets: str, export: str | None = None,
                     created: str = T0) -> str:
    export_to = f", exportTo: {export}" if export is not None else ""
    return (f"apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
            f"metadata: {{name: {name}, namespace: {ns}, creationTimestamp: '{created}'}}\n"
            f"spec: {{host: {host}, subsets: {subsets}{export_to}}}")


def mesh_config(body: str) -> str:
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
            + "\n".join("    " + line for line in body.splitlines()))


def rules_of(spec: dict, release: str) -> list[tuple[str, str]]:
    """(rule, message) of every validation finding for a Sidecar spec in namespace shop."""
    return [(m.rule, m.message) for m in validate_sidecar(spec, "shop", release=release)]


def visible(text: str, release: str, workload: str = "shop/sleep") -> list[tuple[str, str]]:
    r = Simulator(load_text(text), release).resolve(workload)
    return [(v.host, v.namespace) for v in r.visible_services]


def request(text: str, release: str, target: str, workload: str = "shop/sleep") -> tuple:
    r = check(Simulator(load_text(text), release), workload, target)
    return r.verdict.value, r.envoy.listener, r.envoy.route, r.envoy.cluster


# -- the probes: what the simulator answers, for one release ------------------------------------------

def same_second_sidecars(release: str) -> str:
    text = yaml_docs(sidecar("shop", "a", "{egress: [{hosts: ['./*']}]}"),
                     sidecar("shop", "a-b", "{egress: [{hosts: ['*/*']}]}"), pod("shop"))
    return Simulator(load_text(text), release).resolve("shop/sleep").sidecar.name


def duplicate_host_without_sidecar(release: str) -> list:
    # the same host defined in shop (newer) and in other (older); the proxy in shop has no Sidecar
    text = yaml_docs(service_entry("other", "old", "api.example.com", "2025-01-01T00:00:00Z"),
                     service_entry("shop", "new", "api.example.com", "2025-06-01T00:00:00Z"), pod("shop"))
    return visible(text, release)


def duplicate_kubernetes_host_with_sidecar(release: str) -> list:
    # an older ServiceEntry in squat claims the hostname of the Service web/api; the proxy's Sidecar says */*
    text = yaml_docs(service_entry("squat", "claim", "api.web.svc.cluster.local", "2025-01-01T00:00:00Z",
                                   ports="[{number: 80, name: http, protocol: HTTP}]"),
                     service("web", "api", created="2025-06-01T00:00:00Z"),
                     sidecar("shop", "all", "{egress: [{hosts: ['*/*']}]}"), pod("shop"))
    return [ns for host, ns in visible(text, release) if host == "api.web.svc.cluster.local"]


DNS_CAPTURE = mesh_config('defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"')


def auto_allocated_listener(release: str, extra: str = "", labels: str = "{}") -> str | None:
    text = yaml_docs(mesh_config('defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"' + extra),
                     service_entry("shop", "db", "db.example.com", ports="[{number: 5432, name: tcp, protocol: TCP}]",
                                   labels=labels), pod("shop"))
    return request(text, release, "tcp://db.example.com:5432")[1]


SEED = sl.scenario_paths("seed/cluster", "seed/steps/02-root-registry-only")


def trailing_dot(release: str) -> tuple:
    r = check(Simulator(sl.load(SEED), release), "istioinaction/sleep",
              "http://httpbin.default.svc.cluster.local.:8000/ip")
    return r.verdict.value, r.envoy.route, r.http_status


def dynamic_dns_mesh(release: str) -> tuple | str:
    text = yaml_docs(mesh_config("outboundTrafficPolicy:\n  mode: ALLOW_ANY_DYNAMIC_DNS"),
                     service("web", "api"), pod("shop"))
    try:
        sim = Simulator(load_text(text, "mesh.yaml"), release)
    except ManifestError as exc:
        return f"ManifestError at {exc.file}:{exc.line} {exc.field}"
    http = check(sim, "shop/sleep", "http://example.com/")
    port = check(sim, "shop/sleep", "http://example.com:80/")  # port 80 has the Service's HTTP listener
    tls = check(sim, "shop/sleep", "https://example.com/")
    return ((http.envoy.route, http.envoy.cluster), (port.envoy.listener, port.envoy.route, port.envoy.cluster),
            tls.envoy.cluster)


def mesh_default_pool(release: str, sidecar_pool: bool = False) -> list:
    docs = [mesh_config("defaultTrafficPolicy:\n  connectionPool:\n    tcp: {maxConnections: 50}"),
            service("shop", "sleep"), pod("shop")]
    if sidecar_pool:
        docs.append(sidecar("shop", "pool", "{inboundConnectionPool: {tcp: {maxConnections: 5}}}"))
    r = Simulator(load_text(yaml_docs(*docs)), release).resolve("shop/sleep")
    return [(i.port["number"], i.connection_pool_from) for i in r.ingress]


def tilde_all(release: str) -> int:
    text = yaml_docs(service("web", "api"), sidecar("shop", "none", "{egress: [{hosts: ['*/*', '~/*']}]}"),
                     pod("shop"))
    return len(visible(text, release))


def tilde_namespace(release: str) -> tuple:
    text = yaml_docs(service("web", "api"), service("legacy", "old"),
                     sidecar("shop", "some", "{egress: [{hosts: ['*/*', '~legacy/*']}]}"), pod("shop"))
    sim = Simulator(load_text(text), release)
    return sim.admitted[sim.mesh.sidecars[0].ref], sorted(ns for _, ns in visible(text, release))


def analyzer_tilde_warning(release: str) -> list:
    text = yaml_docs(sidecar("shop", "none", "{egress: [{hosts: ['*/*', '~/*']}]}"), pod("shop"))
    return [m.code for m in analyze(load_text(text), release) if m.code.startswith("IST")]


def ist0111_names(release: str) -> list:
    text = yaml_docs(sidecar("shop", "b", "{egress: [{hosts: ['./*']}]}"),
                     sidecar("shop", "a", "{egress: [{hosts: ['./*']}]}"), pod("shop"))
    return sorted({re.search(r"\[.*?\]", m.message).group(0) for m in analyze(load_text(text), release)
                   if m.code == "IST0111"})


OLD, NEW = "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z"
API = "api.web.svc.cluster.local"
HTTP_80 = "[{number: 80, name: http, protocol: HTTP}]"


def source_namespace_route_destination(release: str) -> list:
    # the route of web/api that only clients of ns other take goes to extra.example.com; shop imports only web/*
    text = yaml_docs(service("web", "api"),
                     service_entry("ext", "extra", "extra.example.com", ports=HTTP_80),
                     virtual_service("web", "api", f"[{API}]",
                                     "[{match: [{sourceNamespace: other}], route: [{destination: {host: extra.example.com}}]},"
                                     f" {{route: [{{destination: {{host: {API}}}}}]}}]"),
                     sidecar("shop", "web-only", "{egress: [{hosts: ['web/*']}]}"), pod("shop"))
    return sorted(host for host, _ in visible(text, release))


def inferred_destination_text(old: str = OLD, kubernetes: bool = False) -> tuple[str, str]:
    """(manifests, host): a VirtualService of shop routes to a host defined in zulu (``old``) and alpha
    (newer), not in shop; or, with ``kubernetes``, to web/api, whose name an older ServiceEntry of squat claims."""
    if kubernetes:
        host, docs = API, [service_entry("squat", "claim", API, OLD, ports=HTTP_80), service("web", "api", created=NEW)]
    else:
        host, docs = "api.example.com", [service_entry("zulu", "z", "api.example.com", old, ports=HTTP_80),
                                         service_entry("alpha", "a", "api.example.com", NEW, ports=HTTP_80)]
    text = yaml_docs(*docs, service("shop", "local"),  # shop's own Service gives the proxy an HTTP listener on 80
                     virtual_service("shop", "front", "[front.example.com]",
                                            f"[{{route: [{{destination: {{host: {host}}}}}]}}]"),
                     sidecar("shop", "own", "{egress: [{hosts: ['./*']}]}"), pod("shop"))
    return text, host


def inferred_destination(release: str, kubernetes: bool = False) -> list:
    text, host = inferred_destination_text(kubernetes=kubernetes)
    return [ns for h, ns in visible(text, release) if h == host]


def default_export(release: str, default: str) -> list:
    text = yaml_docs(mesh_config(f"defaultServiceExportTo: {default}"), service("web", "api"), pod("shop"))
    return [ns for host, ns in visible(text, release) if host == API]


def default_virtual_service_export(release: str) -> str:
    # the Service is public; web's VirtualService has no exportTo and the mesh default is [".", shop]
    text = yaml_docs(mesh_config("defaultVirtualServiceExportTo: ['.', shop]"),
                     service("web", "api").replace("metadata: {",
                                                   "metadata: {annotations: {networking.istio.io/exportTo: '*'}, "),
                     virtual_service("web", "teapot", f"[{API}]", "[{directResponse: {status: 418}}]"), pod("shop"))
    return request(text, release, f"http://{API}/")[0]


def gateway_duplicate_host(release: str) -> list:
    # the gateway's namespace has a private entry for api.example.com (newer); b exports an older one to gw
    text = yaml_docs(
        service_entry("gw", "mine", "api.example.com", NEW, ports=HTTP_80).replace("hosts:", "exportTo: ['.'], hosts:"),
        service_entry("b", "theirs", "api.example.com", OLD, ports=HTTP_80).replace("hosts:", "exportTo: [gw], hosts:"),
        pod("gw", "ingress", "{istio: ingressgateway}"))
    return [ns for host, ns in visible(text, release, "gw/ingress") if host == "api.example.com"]


def destination_rule_subsets(release: str, client: str) -> list:
    # web's rule a (older) is private with subset v1, rule b (newer) public with v2
    text = yaml_docs(service("web", "api"),
                     destination_rule("web", "a", API, "[{name: v1, labels: {v: '1'}}]", "['.']", OLD),
                     destination_rule("web", "b", API, "[{name: v2, labels: {v: '2'}}]", "['*']", NEW),
                     pod(client))
    return [v.subsets for v in Simulator(load_text(text), release).resolve(f"{client}/sleep").visible_services
            if v.host == API]


def destination_rule_exported_by_name(release: str) -> list:
    # web's rule a (older) is exported to shop with v1, rule b (newer) to other with v2; the proxy is in other
    text = yaml_docs(service("web", "api"),
                     destination_rule("web", "a", API, "[{name: v1, labels: {v: '1'}}]", "[shop]", OLD),
                     destination_rule("web", "b", API, "[{name: v2, labels: {v: '2'}}]", "[other]", NEW),
                     pod("other"))
    return [(str(v.destination_rule), v.subsets) for v in
            Simulator(load_text(text), release).resolve("other/sleep").visible_services if v.host == API]


def same_second_destination_rules(release: str) -> list:
    text = yaml_docs(service("web", "api"), destination_rule("web", "a", API, "[{name: v1, labels: {v: '1'}}]"),
                     destination_rule("web", "a-b", API, "[{name: v1, labels: {v: 'b'}}]"), pod("web"))
    return [str(v.destination_rule) for v in Simulator(load_text(text), release).resolve("web/sleep").visible_services
            if v.host == API]


def pool(**sections) -> dict:
    return {"inboundConnectionPool": sections}


def https_tls(**tls) -> dict:
    return {"ingress": [{"port": {"number": 8443, "protocol": "HTTPS", "name": "https"},
                         "tls": {"mode": "SIMPLE", **tls}}]}


E18 = ("I18", "sidecar: credentialNames is not currently supported")
NO_CERT = [("I22", "SIMPLE TLS requires a server certificate"), ("I22", "SIMPLE TLS requires a private key")]
CEL_1MS = 'Invalid value: "string": must be a valid duration greater than 1ms'


def unknown(field: str) -> tuple:
    return ("UNKNOWN", f'strict decoding error: unknown field "{field}"')


# (case id, switch, probe, answer before the switch's release, answer from it)
SWITCH_CASES = [
    ("same_second_sidecars_joined_name_vs_name_then_namespace_sortConfigByCreationTime",
     "tie_break_name_then_namespace", same_second_sidecars, "a-b", "a"),
    ("same_second_destination_rules_joined_name_vs_name_then_namespace_sortConfigBySelectorAndCreationTime",
     "tie_break_name_then_namespace", same_second_destination_rules,
     ["web/a-b"], ["web/a"]),
    ("source_namespace_route_imports_its_destination_or_not_virtualServiceDestinationsFilteredBySourceNamespace",
     "vs_source_namespace_filter", source_namespace_route_destination, [API, "extra.example.com"], [API]),
    ("private_and_public_rules_of_one_host_merged_or_apart_mergeDestinationRule",
     "destination_rule_merge_by_export_to", lambda v: destination_rule_subsets(v, "web"), [("v1", "v2")], [("v2",)]),
    ("rules_exported_to_two_namespaces_one_exportTo_or_each_getExportedDestinationRuleFromNamespace",
     "destination_rule_merge_by_export_to", destination_rule_exported_by_name, [("None", ())],
     [("web/b", ("v2",))]),
    ("inferred_destination_alphabetical_vs_oldest_pickBestVisibleNamespace",
     "vs_inferred_pick_best_namespace", inferred_destination, ["alpha"], ["zulu"]),
    ("inferred_destination_alphabetical_vs_kubernetes_service_pickBestVisibleNamespace",
     "vs_inferred_pick_best_namespace", lambda v: inferred_destination(v, kubernetes=True), ["squat"], ["web"]),
    ("default_service_export_to_dot_and_a_namespace_initServiceRegistry",
     "default_export_to_all_namespaces", lambda v: default_export(v, "['.', shop]"), [], ["web"]),
    ("default_service_export_to_a_namespace_alone_IsServiceVisible",
     "default_export_to_all_namespaces", lambda v: default_export(v, "[shop]"), [], ["web"]),
    ("default_service_export_to_dot_and_star_private_vs_public_initServiceRegistry",
     "default_export_to_all_namespaces", lambda v: default_export(v, "['.', '*']"), [], ["web"]),
    ("default_virtual_service_export_to_dot_and_a_namespace_initVirtualServices",
     "default_export_to_all_namespaces", default_virtual_service_export, "ROUTED", "DIRECT_RESPONSE"),
    ("gateway_takes_a_duplicate_host_private_first_vs_oldest_servicesExportedToNamespace",
     "services_exported_in_creation_order", gateway_duplicate_host, ["gw"], ["b"]),
    ("duplicate_host_no_sidecar_oldest_vs_own_namespace_DefaultSidecarScopeForNamespace",
     "unified_sidecar_scope", duplicate_host_without_sidecar,
     [("api.example.com", "other")], [("api.example.com", "shop")]),
    ("duplicate_host_with_sidecar_first_seen_vs_kubernetes_service_selectServices",
     "unified_sidecar_scope", duplicate_kubernetes_host_with_sidecar, ["squat"], ["web"]),
    ("dns_capture_allocates_a_vip_without_DNS_AUTO_ALLOCATE_nodeUsesAutoallocatedIPs",
     "ip_autoallocate_v2", auto_allocated_listener, "0.0.0.0_5432", "<auto-allocated IP of db.example.com>_5432"),
    ("trailing_dot_host_catch_all_vs_routed_GenerateAltVirtualHosts",
     "absolute_fqdn_vhost", trailing_dot, ("BLOCKED", "block_all", 502),
     ("ROUTED", "httpbin.default.svc.cluster.local:8000", None)),
    ("mesh_mode_allow_any_dynamic_dns_buildCatchAllVirtualHost",
     "allow_any_dynamic_dns", dynamic_dns_mesh, "ManifestError at mesh.yaml:3 meshConfig.outboundTrafficPolicy.mode",
     (("allow_any_dynamic_dns", "AllowAnyDynamicDNSCluster"),
      ("0.0.0.0_80", "allow_any_dynamic_dns", "AllowAnyDynamicDNSCluster"), "PassthroughCluster")),
    ("sidecar_mode_allow_any_dynamic_dns_O1_validateSidecarOutboundTrafficPolicy",
     "allow_any_dynamic_dns", lambda v: [r for r, _ in rules_of({"outboundTrafficPolicy":
                                                                 {"mode": "ALLOW_ANY_DYNAMIC_DNS"}}, v)],
     ["CRD"], ["CRD", "O1"]),
    ("mesh_default_connection_pool_applyDefaultTrafficPolicy",
     "mesh_default_traffic_policy", mesh_default_pool, [(80, "none")], [(80, "mesh")]),
    ("sidecar_pool_still_beats_the_mesh_default_buildInboundClusterForPortOrUDS",
     "mesh_default_traffic_policy", lambda v: mesh_default_pool(v, sidecar_pool=True),
     [(80, "sidecar")], [(80, "sidecar")]),
    ("star_and_tilde_import_everything_vs_nothing_hostClassification_Excluded",
     "egress_host_exclusion", tilde_all, 1, 0),
    ("tilde_namespace_refused_vs_excluded_convertIstioListenerToWrapper",
     "egress_host_exclusion", tilde_namespace, (False, ["legacy", "web"]), (True, ["web"])),
    ("tilde_namespace_E17_ValidateNamespaceSlashWildcardHostname",
     "egress_host_exclusion", lambda v: rules_of({"egress": [{"hosts": ["~shop/*"]}]}, v),
     [("E17", 'invalid namespace value "~shop" in sidecar')], []),
    ("star_and_tilde_E22_then_IST0133_ValidateSidecar",
     "egress_host_exclusion", analyzer_tilde_warning, ["IST0133"], []),
    ("tcp_connect_timeout_not_a_duration_decode_vs_cel_crd",
     "crd_duration_rules", lambda v: [r for r, _ in rules_of(pool(tcp={"connectTimeout": "soon"}), v)],
     ["DECODE"], ["CRD"]),
    ("tcp_connect_timeout_zero_webhook_only_vs_cel_crd",
     "crd_duration_rules", lambda v: rules_of(pool(tcp={"connectTimeout": "0s"}), v),
     [("C11", "duration must be greater than 1ms")],
     [("CRD", f"spec.inboundConnectionPool.tcp.connectTimeout: {CEL_1MS}"), ("C11", "duration must be greater than 1ms")]),
    ("tcp_keepalive_finer_than_ms_validateConnectionPool",
     "webhook_pool_tcp_timeouts", lambda v: rules_of(pool(tcp={"tcpKeepalive": {"time": "1.5ms"}}), v),
     [], [("C11", "only durations to ms precision are supported")]),
    ("selector_wildcard_value_webhook_only_vs_cel_crd",
     "crd_selector_label_rules", lambda v: [r for r, _ in rules_of({"workloadSelector": {"labels": {"app": "a*"}},
                                                                     "egress": [{"hosts": ["*/*"]}]}, v)],
     ["T2"], ["CRD", "T2"]),
    ("selector_value_of_64_characters_crd_maxLength",
     "crd_selector_label_rules", lambda v: rules_of({"workloadSelector": {"labels": {"app": "x" * 64}},
                                                     "egress": [{"hosts": ["*/*"]}]}, v),
     [], [("CRD", "spec.workloadSelector.labels.app: Too long: may not be more than 63 bytes")]),
    ("credential_names_unknown_vs_known_field_crd",
     "crd_ingress_tls_multi_cert", lambda v: rules_of(https_tls(credentialNames=["a"]), v),
     [unknown("spec.ingress[0].tls.credentialNames"), *NO_CERT], NO_CERT),
    ("tcp_idle_timeout_zero_refused_vs_allowed_validateConnectionPool",
     "tcp_idle_timeout_zero_allowed", lambda v: [r for r, _ in rules_of(pool(tcp={"idleTimeout": "0s"}), v)],
     ["CRD", "C12"], []),
    ("credential_names_in_sidecar_ingress_tls_ValidateSidecar",
     "webhook_ingress_tls_multi_cert", lambda v: rules_of(https_tls(credentialNames=["a"]), v), NO_CERT, [E18]),
    ("ca_cert_credential_name_unknown_vs_known_crd",
     "crd_ca_cert_credential_name", lambda v: rules_of(https_tls(credentialName="c", caCertCredentialName="ca"), v),
     [unknown("spec.ingress[0].tls.caCertCredentialName"), ("I17", "sidecar: credentialName is not currently supported")],
     [("I17", "sidecar: credentialName is not currently supported")]),
    ("http2_keepalive_unknown_vs_validated_validateConnectionPool",
     "http2_keepalive", lambda v: rules_of(pool(http={"http2KeepAlive": {"interval": "10s"}}), v),
     [unknown("spec.inboundConnectionPool.http.http2KeepAlive")], [("C9", "http2 keepalive timeout is required")]),
    ("insecure_skip_verify_unknown_vs_known_crd",
     "crd_insecure_skip_verify", lambda v: rules_of(https_tls(credentialName="c", insecureSkipVerify=True), v),
     [unknown("spec.ingress[0].tls.insecureSkipVerify"), ("I17", "sidecar: credentialName is not currently supported")],
     [("I17", "sidecar: credentialName is not currently supported")]),
    ("ist0111_names_as_read_vs_sorted_getNames",
     "analyzer_sorted_names", ist0111_names, ["[b a]"], ["[a b]"]),
]


def _before(switch_name: str) -> str:
    """The last release without the switch: the line before its first (or the patch before a patch switch)."""
    major, minor, patch = getattr(Rules, switch_name).since.key
    return f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{minor - 1}"


@pytest.mark.parametrize("switch_name, probe, before, after", [c[1:] for c in SWITCH_CASES],
                         ids=[c[0] for c in SWITCH_CASES])
def test_switch_changes_the_answer_at_its_release(switch_name, probe, before, after):
    since = str(getattr(Rules, switch_name).since)
    old = _before(switch_name)
    assert getattr(rules_for(old), switch_name) is False and getattr(rules_for(since), switch_name) is True
    assert probe(old) == before
    assert probe(since) == after


def test_every_modelled_switch_has_a_case_and_the_others_say_so():
    cased = {c[1] for c in SWITCH_CASES}
    modelled = {s.name for s in switches() if s.modelled}
    assert modelled == cased
    assert {s.name for s in switches() if not s.modelled} == {"native_sidecars_auto"}


NOT_DETERMINISTIC = "note.vs-destination-not-deterministic"


@pytest.mark.parametrize("release, old, kubernetes, noted", [
    ("1.30", NEW, False, True),   # same second, no Kubernetes Service: istiod's pick is random
    ("1.29", NEW, False, False),  # alphabetical: deterministic
    ("1.30", OLD, False, False),  # one is older
    ("1.31", OLD, True, False),   # the Kubernetes Service wins
], ids=["same_second_1_30", "same_second_1_29_alphabetical", "older_one_1_30", "kubernetes_service_1_31"])
def test_a_same_second_inferred_destination_is_said_not_deterministic_pickBestVisibleNamespace(
        release, old, kubernetes, noted):
    text, host = inferred_destination_text(old, kubernetes)
    sim = Simulator(load_text(text), release)
    notes = [n for n in sim.resolve("shop/sleep").notes if n.key == NOT_DETERMINISTIC]
    result = check(sim, "shop/sleep", "http://front.example.com/")
    assert result.verdict.value == "ROUTED" and result.envoy.cluster == f"outbound|80||{host}"
    assert bool(notes) == noted
    assert (NOT_DETERMINISTIC in [s.key for s in result.steps]) == noted
    if noted:
        assert notes[0].params["namespaces"] == "alpha, zulu" and notes[0].params["chosen"] == "alpha"
        assert "takes any one of them" in notes[0].text("en") and "아무 것이나" in notes[0].text("ko")


def test_resolve_text_says_the_pick_is_not_deterministic(tmp_path, capsys):
    path = tmp_path / "mesh.yaml"
    path.write_text(inferred_destination_text(NEW)[0])
    assert main(["resolve", str(path), "--workload", "shop/sleep", "--istio-version", "1.30"]) == 0
    out = capsys.readouterr().out
    assert "api.example.com, a destination of VirtualService shop/front, is defined in namespaces alpha, zulu" in out


def test_an_excluded_short_name_suggests_the_fqdn_of_its_namespace_in_1_31():
    message = validate_sidecar({"egress": [{"hosts": ["*/*", "~legacy/api"]}]}, "shop", release="1.31")[0]
    assert message.rule == "E18" and message.hint == 'did you mean "~legacy/api.legacy.svc.cluster.local"?'


def test_old_dns_auto_allocate_knob_before_1_25_nodeUsesAutoallocatedIPs():
    knob = '\n    ISTIO_META_DNS_AUTO_ALLOCATE: "true"'
    assert auto_allocated_listener("1.24", extra=knob) == "<auto-allocated IP of db.example.com>_5432"


def test_service_entry_opts_out_of_auto_allocation_shouldV2AutoAllocateIPFromPieces():
    label = '{networking.istio.io/enable-autoallocate-ip: "false"}'
    assert auto_allocated_listener("1.25", labels=label) == "0.0.0.0_5432"


def test_a_trailing_dot_skips_the_search_list_in_every_release():
    for release in ("1.22", "1.26", "1.31"):
        r = check(Simulator(sl.load(SEED), release), "istioinaction/sleep", "http://httpbin.default.:8000/ip")
        assert r.verdict.value == "DNS_FAILURE"


def test_same_second_shadow_reason_names_the_joined_strings_in_1_22():
    text = yaml_docs(sidecar("shop", "a", "{egress: [{hosts: ['./*']}]}"),
                     sidecar("shop", "a-b", "{egress: [{hosts: ['*/*']}]}"), pod("shop"))
    loser = [c for c in Simulator(load_text(text), "1.22").resolve("shop/sleep").candidates if c.outcome == "shadowed"]
    assert loser[0].reason.key == "candidate.shadowed-same-age-joined-name"
    assert '"a-b.shop" sorts before "a.shop"' in loser[0].reason.text("en")


# -- the switchboard -----------------------------------------------------------------------------------

VERSIONS = [
    ("1.26", (1, 26, LATEST_PATCH[26]), "1.26"),
    ("1.30.2", (1, 30, 2), "1.30.2"),
    ("v1.31.0-rc.0", (1, 31, 0), "1.31.0"),
    (" 1.22 ", (1, 22, LATEST_PATCH[22]), "1.22"),
]


@pytest.mark.parametrize("text, key, written", VERSIONS, ids=[v[0].strip() for v in VERSIONS])
def test_parse_version(text, key, written):
    version = parse_version(text)
    assert version.key == key and str(version) == written


@pytest.mark.parametrize("text", ["1.21", "1.32", "2.0", "latest", "1", "", "1.26.x", "0.26"])
def test_a_release_outside_1_22_to_1_31_is_refused(text):
    with pytest.raises(UsageError):
        parse_version(text)


def test_the_default_is_the_lab_release():
    assert DEFAULT_VERSION == "1.26"
    assert Simulator(load_text(pod("shop"))).istio_version == "1.26"
    assert rules_for(None) == rules_for("1.26")


def test_a_line_means_its_newest_patch_and_a_patch_switch_follows_the_patch():
    assert rules_for("1.30").default_export_to_all_namespaces is True
    assert rules_for("1.30.2").default_export_to_all_namespaces is False
    assert rules_for("1.30.0").vs_inferred_pick_best_namespace is True


def test_every_switch_names_its_release_and_istio_source():
    for s in switches():
        assert s.name and s.summary and re.search(r"\.go|crd-all|release note", s.reference), s.name
        assert s.__doc__.startswith(f"Istio {s.since} and later")
        assert parse_version("1.22").key < s.since.key <= parse_version("1.31").key


def test_switches_between_is_symmetric_and_empty_for_one_release():
    assert switches_between("1.26", "1.31") == switches_between("1.31", "1.26")
    assert switches_between("1.26", "1.26.3") == []


def test_a_forced_switch_overrides_the_release():
    forced = rules_for("1.26").with_switch("absolute_fqdn_vhost", True)
    assert forced.absolute_fqdn_vhost is True and forced.version == rules_for("1.26").version
    assert trailing_dot(forced) == ("ROUTED", "httpbin.default.svc.cluster.local:8000", None)
    with pytest.raises(UsageError):
        rules_for("1.26").with_switch("no_such_switch", True)


def test_the_docs_list_every_switch():
    text = DOCS.read_text(encoding="utf-8")
    for s in switches():
        assert f"`{s.name}`" in text, s.name


# -- output says which release answered ---------------------------------------------------------------

def test_results_carry_the_release_in_json():
    mesh = sl.load(SEED)
    assert sl.resolve(mesh, "istioinaction/sleep").to_json()["istio_version"] == "1.26"
    assert sl.check(mesh, "istioinaction/sleep", "http://google.com", istio_version="1.31").to_json()[
        "istio_version"] == "1.31"


@pytest.mark.parametrize("argv", [
    ["resolve", "--workload", "istioinaction/sleep"],
    ["check", "--from", "istioinaction/sleep", "--to", "http://google.com"],
    ["matrix"],
    ["analyze"],
    ["size", "--workload", "istioinaction/sleep"],
    ["suggest", "--workload", "istioinaction/sleep", "--call", "http://httpbin.default:8000/"],
], ids=lambda a: a[0])
def test_every_command_takes_istio_version_and_says_it(argv, capsys):
    paths = [str(p) for p in SEED]
    code = main([argv[0], *paths, *argv[1:], "--istio-version", "1.24", "--format", "json"])
    assert code in (0, 79)
    assert json.loads(capsys.readouterr().out)["istio_version"] == "1.24"
    code = main([argv[0], *paths, *argv[1:], "--istio-version", "1.24"])
    assert code in (0, 79)
    assert re.search(r"(istio: +1\.24|rules of Istio 1\.24)", capsys.readouterr().out)


def test_an_unknown_release_is_one_error_line(capsys):
    code = main(["check", *map(str, SEED), "--from", "istioinaction/sleep", "--to", "http://x",
                 "--istio-version", "1.21"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ") and "1.22 to 1.31" in err


def test_a_1_31_mesh_mode_under_1_30_is_one_error_line(tmp_path, capsys):
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml_docs(mesh_config("outboundTrafficPolicy:\n  mode: ALLOW_ANY_DYNAMIC_DNS"), pod("shop")))
    code = main(["resolve", str(path), "--workload", "shop/sleep", "--istio-version", "1.30"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {path}:3: meshConfig.outboundTrafficPolicy.mode: ALLOW_ANY_DYNAMIC_DNS is a mode "
                          "of Istio 1.31")


# -- the teaching view ------------------------------------------------------------------------------------

def test_compare_check_marks_the_difference_and_names_the_switch():
    c = compare_check(sl.load(SEED), "istioinaction/sleep", "http://httpbin.default.svc.cluster.local.:8000/ip",
                      ["1.26", "1.31"])
    assert c.value("verdict") == ("BLOCKED", "ROUTED") and c.differs
    assert [n.name for n in c.switches if n.relevant] == ["absolute_fqdn_vhost"]
    assert {r.field for r in c.rows if not r.differs} >= {"sidecar", "mode", "listener"}
    text = c.text("en")
    assert "* verdict" in text and "absolute_fqdn_vhost" in text and "why (Istio 1.31):" in text
    assert 'class="sidecar-lab-differs"' in c._repr_html_()
    korean = c.text("ko")
    assert "차이를 만드는 규칙" in korean and "가상 호스트가 끝에 점을 붙인" in korean


def test_compare_resolve_with_nothing_different():
    c = compare_resolve(sl.load(SEED), "istioinaction/sleep", ["1.26", "1.26.3"])
    assert not c.differs and c.switches == ()
    assert "no rule the simulator models differs" in c.text("en")


def test_compare_shows_a_release_that_refuses_the_input():
    text = yaml_docs(mesh_config("outboundTrafficPolicy:\n  mode: ALLOW_ANY_DYNAMIC_DNS"), pod("shop"))
    c = compare_check(load_text(text), "shop/sleep", "http://example.com/", ["1.30", "1.31"])
    assert c.value("verdict") == ("error", "PASSTHROUGH") and c.errors[0] and c.errors[1] is None
    assert [n.name for n in c.switches if n.relevant] == ["allow_any_dynamic_dns"]


@pytest.mark.parametrize("text", ["1.26", "1.26,1.26.8", "1.26,1.40"])
def test_compare_versions_needs_two_different_modelled_releases(text):
    with pytest.raises(UsageError):
        parse_versions(text)


def test_check_compare_versions_command(capsys):
    target = "http://httpbin.default.svc.cluster.local.:8000/ip"
    code = main(["check", *map(str, SEED), "--from", "istioinaction/sleep", "--to", target,
                 "--compare-versions", "1.26,1.31", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["versions"] == ["1.26", "1.31"] and out["differs"] is True
    assert [r["istio_version"] for r in out["results"]] == ["1.26", "1.31"]
    code = main(["resolve", *map(str, SEED), "--workload", "istioinaction/sleep", "--compare-versions", "1.22,1.31"])
    assert code == 0 and "Istio 1.22 vs 1.31" in capsys.readouterr().out


def test_the_notebook_function_picks_check_or_resolve():
    mesh = sl.load(SEED)
    assert sl.compare_versions(mesh, "istioinaction/sleep").kind == "resolve"
    assert sl.compare_versions(mesh, "istioinaction/sleep", "http://google.com", "1.22,1.31").kind == "check"


# -- the notebooks' explorers ---------------------------------------------------------------------------

TRAILING_DOT = "http://httpbin.default.svc.cluster.local.:8000/ip"


def test_precedence_explorer_answers_for_its_release():
    from sidecar_lab.course.widgets import PrecedenceExplorer

    lab = PrecedenceExplorer("02-root-registry-only", targets=[TRAILING_DOT])
    later = PrecedenceExplorer("02-root-registry-only", targets=[TRAILING_DOT], istio_version="1.27")
    assert [r.verdict.value for r in lab.results] == ["BLOCKED"] and "(Istio 1.26)" in lab.title.value
    assert [r.verdict.value for r in later.results] == ["ROUTED"] and "(Istio 1.27)" in later.title.value
    later.controls["workload"].enabled.value = True  # a change keeps the release
    assert later.error is None and {r.resolution.istio_version for r in later.results} == {"1.27"}


def test_reachability_explorer_and_playground_take_a_release():
    from sidecar_lab.course.widgets import ReachabilityExplorer, YamlPlayground

    matrix = ReachabilityExplorer("02-root-registry-only", istio_version="1.31")
    assert matrix.error is None and {r.resolution.istio_version for r in matrix.results} == {"1.31"}
    playground = YamlPlayground("apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
                                "metadata: {name: x, namespace: istioinaction}\n"
                                "spec: {egress: [{hosts: ['~legacy/*']}]}\n", istio_version="1.30")
    assert playground.resolution.istio_version == "1.30"
    assert [m.rule for _, msgs in playground.validation for m in msgs] == ["E17"]


def test_an_explorer_refuses_an_unknown_release():
    from sidecar_lab.course.widgets import PrecedenceExplorer

    with pytest.raises(UsageError):
        PrecedenceExplorer(istio_version="1.21")


# -- the mesh config fields a release reads --------------------------------------------------------------

BAD_MESH = [
    ("default_config_not_a_mapping", "defaultConfig: 3", "defaultConfig: expected a mapping, got an integer"),
    ("proxy_metadata_a_list", "defaultConfig: {proxyMetadata: [1]}",
     "defaultConfig.proxyMetadata: expected a mapping, got a list"),
    ("proxy_metadata_value_unquoted", "defaultConfig: {proxyMetadata: {ISTIO_META_DNS_CAPTURE: true}}",
     "defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: expected a string value, got a boolean (quote it)"),
    ("default_pool_not_a_mapping", "defaultTrafficPolicy: {connectionPool: x}",
     "defaultTrafficPolicy.connectionPool: expected a mapping, got a string"),
    ("unknown_mode", "outboundTrafficPolicy: {mode: ALLOW_SOME}", "outboundTrafficPolicy.mode: unknown outbound"),
]


@pytest.mark.parametrize("body, message", [c[1:] for c in BAD_MESH], ids=[c[0] for c in BAD_MESH])
def test_a_malformed_mesh_config_field_is_a_manifest_error(body, message):
    with pytest.raises(ManifestError) as caught:
        load_text(mesh_config(body), "mesh.yaml")
    assert f"data.mesh: {message}" in str(caught.value) and str(caught.value).startswith("mesh.yaml:")


def test_proxy_config_takes_istio_version_and_says_it_on_stderr(capsys):
    code = main(["proxy-config", "clusters", *map(str, SEED), "--workload", "istioinaction/sleep",
                 "--istio-version", "1.23"])
    captured = capsys.readouterr()
    assert code == 0 and "# answered with the rules of Istio 1.23" in captured.err
    assert "Istio" not in captured.out  # istioctl's table, unchanged
