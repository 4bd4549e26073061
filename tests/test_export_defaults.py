"""Mesh-wide export defaults (``push_context.go`` ``initDefaultExportMaps``).

``defaultServiceExportTo`` and ``defaultVirtualServiceExportTo`` apply to objects without
``exportTo`` (``initServiceRegistry``, ``initVirtualServices``), and istiod honours only ``.`` (checked
first) and ``*`` in them: any other default leaves such an object exported nowhere.
``defaultDestinationRuleExportTo`` (``setDestinationRules``) makes a rule private only when it holds
``.``; any other default leaves it exported everywhere.
"""

import pytest

from builders import dr, mesh_config_data, ns, pod, se, sim, svc, vs_spec
from sidecar_lab.core.traffic import check

BASE = (ns("app"), ns("web"), pod("client", "app", {"app": "client"}), pod("peer", "web", {"app": "peer"}),
        svc("api", "web", ports=((8080, "http"),), cluster_ip="10.96.1.1", selector={"app": "api"}),
        pod("api-v1", "web", {"app": "api", "version": "v1"}))
API = "api.web.svc.cluster.local"


def visible(s, workload):
    return {v.host for v in s.resolve(workload).visible_services}


# (situation, mesh config fields, extra objects, visible from app?, visible from web?)
SERVICE_CASES = [
    ("no_default_is_public_initDefaultExportMaps", {}, [], True, True),
    ("default_dot_keeps_services_in_their_namespace_initServiceRegistry", {"defaultServiceExportTo": ["."]}, [],
     False, True),
    ("default_star_is_public_initServiceRegistry", {"defaultServiceExportTo": ["*"]}, [], True, True),
    ("dot_wins_over_star_in_the_default_initServiceRegistry", {"defaultServiceExportTo": ["*", "."]}, [],
     False, True),
    ("a_namespace_name_in_the_default_is_not_honoured_initServiceRegistry", {"defaultServiceExportTo": ["app"]}, [],
     False, False),
    ("tilde_default_exports_nothing_initServiceRegistry", {"defaultServiceExportTo": ["~"]}, [], False, False),
]


@pytest.mark.parametrize("mesh, extra, from_app, from_web", [c[1:] for c in SERVICE_CASES],
                         ids=[c[0] for c in SERVICE_CASES])
def test_default_service_export_to(mesh, extra, from_app, from_web):
    s = sim(*BASE, mesh_config_data(**mesh), *extra)
    assert (API in visible(s, "app/client"), API in visible(s, "web/peer")) == (from_app, from_web)


def test_explicit_export_to_beats_the_default_initServiceRegistry():
    explicit = svc("api", "web", ports=((8080, "http"),), cluster_ip="10.96.1.1", export_to="*")
    s = sim(*BASE[:4], explicit, mesh_config_data(defaultServiceExportTo=["."]))
    assert API in visible(s, "app/client")


def test_service_entries_follow_default_service_export_to_initServiceRegistry():
    entry = se("ext", "web", hosts=["ext.example.com"], ports=((443, "TLS"),))
    s = sim(*BASE, entry, mesh_config_data(defaultServiceExportTo=["."]))
    assert "ext.example.com" not in visible(s, "app/client") and "ext.example.com" in visible(s, "web/peer")


ROUTE = vs_spec("api-route", "web", hosts=[API], http=[{"route": [{"destination": {"host": API, "subset": "v1"}}]}])
RULE = dr("api-rule", "web", host=API, subsets=["v1"])


# (situation, mesh config fields, from workload, expected verdict, expected cluster)
ROUTE_CASES = [
    ("virtual_service_without_default_applies_everywhere_initVirtualServices", {}, "app/client", "ROUTED",
     f"outbound|8080|v1|{API}"),
    ("default_dot_keeps_a_virtual_service_in_its_namespace_initVirtualServices",
     {"defaultVirtualServiceExportTo": ["."]}, "app/client", "ROUTED", f"outbound|8080||{API}"),
    ("default_dot_virtual_service_still_applies_in_its_namespace_initVirtualServices",
     {"defaultVirtualServiceExportTo": ["."]}, "web/peer", "ROUTED", f"outbound|8080|v1|{API}"),
    ("default_dot_keeps_a_destination_rule_in_its_namespace_setDestinationRules",
     {"defaultDestinationRuleExportTo": ["."]}, "app/client", "CLUSTER_NOT_FOUND", f"outbound|8080|v1|{API}"),
    ("default_dot_destination_rule_still_applies_in_its_namespace_setDestinationRules",
     {"defaultDestinationRuleExportTo": ["."]}, "web/peer", "ROUTED", f"outbound|8080|v1|{API}"),
    ("a_tilde_default_does_not_hide_destination_rules_setDestinationRules",
     {"defaultDestinationRuleExportTo": ["~"]}, "app/client", "ROUTED", f"outbound|8080|v1|{API}"),
]


@pytest.mark.parametrize("mesh, source, verdict, cluster", [c[1:] for c in ROUTE_CASES],
                         ids=[c[0] for c in ROUTE_CASES])
def test_default_virtual_service_and_destination_rule_export_to(mesh, source, verdict, cluster):
    s = sim(*BASE, ROUTE, RULE, mesh_config_data(**mesh))
    r = check(s, source, f"http://{API}:8080/")
    assert (r.verdict.value, r.envoy.cluster) == (verdict, cluster), r.explanation()


def test_mesh_config_rejects_a_default_that_is_not_a_list():
    from sidecar_lab import ManifestError

    with pytest.raises(ManifestError, match="defaultServiceExportTo: expected a list of strings"):
        sim(*BASE, mesh_config_data(defaultServiceExportTo="."))
