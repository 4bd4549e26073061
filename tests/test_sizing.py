"""What each proxy receives (sidecar_lab.scale.sizing): exact counts on hand-built meshes, the estimate's
calibration, the push fan-out, the mesh totals, the `size` command and the scale figures."""

from __future__ import annotations

import json

import pytest
import yaml

from builders import deployment, ns, pod, se, sidecar, sim, svc
from sidecar_lab import Simulator, UsageError, load_objects
from sidecar_lab.cli import main
from sidecar_lab.scale.sizing import (
    BASE_MEMORY_MIB, FIXED_CLUSTERS, FIXED_LISTENERS, GATEWAY_FIXED_CLUSTERS, GATEWAY_FIXED_LISTENERS, Cluster,
    cluster_counts, compare, estimate, mesh_totals, mib_to_mb, outbound_clusters, proxy_clusters, proxy_config,
    proxy_configs, proxy_workloads, push_fanout, push_fanout_counts, scaling_series,
)
from sidecar_lab.scale.synthetic import SyntheticMeshSpec, generate_documents

F_C, F_L = len(FIXED_CLUSTERS), len(FIXED_LISTENERS)

CLIENT = pod("client", "app", {"app": "client"})
THREE_HTTP = (ns("app"), CLIENT,
              svc("a", "app", ports=((8080, "http"),)), pod("a", "app", {"app": "a"}),
              svc("b", "app", ports=((8080, "http"),)), pod("b", "app", {"app": "b"}),
              svc("c", "app", ports=((8080, "http"),)), pod("c", "app", {"app": "c"}))
DB = (ns("data"), svc("db", "data", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"),
      pod("db-0", "data", {"app": "db"}), pod("db-1", "data", {"app": "db"}))

# (situation, objects, workload, expected counts) — derived by hand from the module docstring's rules.
COUNTS = [
    ("three_http_services_on_one_port_give_three_clusters_one_listener_one_route_table",
     THREE_HTTP, "app/client",
     {"outbound_clusters": 3, "inbound_clusters": 0, "clusters": 3 + F_C, "listeners": 1 + F_L, "routes": 1,
      "virtual_hosts": 3 + 1, "endpoints": 3, "visible_services": 3}),
    ("a_pod_its_service_selects_adds_an_inbound_cluster",
     THREE_HTTP, "app/a",
     {"outbound_clusters": 3, "inbound_clusters": 1, "clusters": 3 + 1 + F_C, "listeners": 1 + F_L}),
    ("a_tcp_service_with_a_vip_adds_a_vip_listener_and_its_pods_as_endpoints",
     THREE_HTTP + DB, "app/client",
     {"clusters": 4 + F_C, "listeners": 2 + F_L, "routes": 1, "virtual_hosts": 4, "endpoints": 3 + 2}),
    ("a_namespace_sidecar_hides_the_other_namespace",
     THREE_HTTP + DB + (sidecar("default", "app", egress=[{"hosts": ["./*"]}]),), "app/client",
     {"clusters": 3 + F_C, "listeners": 1 + F_L, "routes": 1, "virtual_hosts": 4, "endpoints": 3,
      "visible_services": 3}),
    ("a_service_whose_pods_are_not_in_the_manifests_counts_one_endpoint_per_port",
     (ns("app"), CLIENT, svc("ghost", "app", ports=((8080, "http"), (9090, "grpc")))), "app/client",
     {"clusters": 2 + F_C, "listeners": 2 + F_L, "routes": 2, "virtual_hosts": 2 + 2, "endpoints": 2}),
    ("a_sniffed_port_on_a_vip_gets_its_own_route_table_without_catch_all",
     (ns("app"), CLIENT, svc("raw", "app", ports=((7000, None),), cluster_ip="10.96.0.40"),
      pod("raw", "app", {"app": "raw"})), "app/client",
     {"clusters": 1 + F_C, "listeners": 1 + F_L, "routes": 1, "virtual_hosts": 1, "endpoints": 1}),
    ("a_headless_service_has_a_listener_per_pod_and_no_eds_endpoints",
     (ns("app"), CLIENT, svc("pg", "app", ports=((5432, "tcp"),), headless=True),
      pod("pg-0", "app", {"app": "pg"}, ip="10.244.0.11"), pod("pg-1", "app", {"app": "pg"}, ip="10.244.0.12")),
     "app/client",
     {"clusters": 1 + F_C, "listeners": 2 + F_L, "routes": 0, "virtual_hosts": 0, "endpoints": 0}),
    ("a_dns_service_entry_counts_one_endpoint",
     (ns("app"), CLIENT, se("ext", "app", hosts=("api.example.com",), ports=((443, "TLS"),))), "app/client",
     {"clusters": 1 + F_C, "listeners": 1 + F_L, "endpoints": 1}),
    ("a_controller_without_pods_counts_as_one_endpoint",
     (ns("app"), CLIENT, svc("web", "app", ports=((80, "http"),)), deployment("web", "app")), "app/client",
     {"clusters": 1 + F_C, "endpoints": 1}),
    ("a_workload_without_a_proxy_receives_nothing",
     (ns("plain", injected=False), pod("p", "plain"), svc("p", "plain")), "plain/p",
     {"clusters": 0, "listeners": 0, "routes": 0, "virtual_hosts": 0, "endpoints": 0, "memory_mib": 0.0,
      "proxy": "none"}),
    ("a_multi_port_service_gives_one_cluster_per_port_buildOutboundClusters",
     (ns("app"), CLIENT, svc("multi", "app", ports=((8080, "http"), (9090, "grpc"), (5432, "tcp")),
                             cluster_ip="10.96.0.50"), pod("multi", "app", {"app": "multi"})), "app/client",
     {"outbound_clusters": 3, "clusters": 3 + F_C, "mtls_clusters": 3, "endpoints": 3}),
    ("a_udp_port_gets_no_cluster_buildOutboundClusters",
     (ns("app"), CLIENT, svc("dns", "app", ports=((53, "dns"),), cluster_ip="10.96.0.53")), "app/client",
     {"outbound_clusters": 1}),
    ("a_mesh_external_service_entry_has_no_auto_mtls_buildAutoMtlsSettings",
     (ns("app"), CLIENT, se("ext", "app", hosts=("api.example.com",), ports=((443, "TLS"),)),
      svc("a", "app", ports=((8080, "http"),))), "app/client",
     {"outbound_clusters": 2, "mtls_clusters": 1}),
    ("a_gateway_has_no_passthrough_clusters_and_two_bootstrap_listeners_buildClusters",
     (ns("app"), svc("a", "app", ports=((8080, "http"),)), pod("gw", "istio-system", {"istio": "ingressgateway"})),
     "istio-system/gw",
     {"outbound_clusters": 1, "clusters": 1 + len(GATEWAY_FIXED_CLUSTERS), "listeners": len(GATEWAY_FIXED_LISTENERS),
      "inbound_clusters": 0, "proxy": "gateway"}),
]


@pytest.mark.parametrize("objects, workload, expected", [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS])
def test_counts_on_a_hand_built_mesh(objects, workload, expected):
    config = proxy_config(sim(*objects), workload)
    assert {k: getattr(config, k) for k in expected} == expected


def test_the_estimate_follows_the_documented_linear_model():
    config = proxy_config(sim(*THREE_HTTP), "app/client")
    xds, memory = estimate(**config.counts())
    assert (config.xds_bytes, config.memory_mib) == (xds, memory)
    assert config.memory_mb == mib_to_mb(config.memory_mib) == round(config.memory_mib * 1.048576, 3)
    assert "estimate" in config.assumptions


def test_mtls_clusters_cannot_outnumber_the_clusters():
    with pytest.raises(ValueError, match="mtls_clusters"):
        estimate(clusters=1, mtls_clusters=2, listeners=0, routes=0, virtual_hosts=0, endpoints=0)


def test_the_cluster_list_is_what_the_counts_count():
    s = sim(*(THREE_HTTP + DB))
    for w in ("app/client", "app/a"):
        listed = proxy_clusters(s, w)
        config = proxy_config(s, w)
        counted = cluster_counts(listed)
        assert counted["clusters"] == config.clusters == len(listed)
        assert (counted["outbound_clusters"], counted["inbound_clusters"], counted["fixed_clusters"],
                counted["mtls_clusters"]) == (config.outbound_clusters, config.inbound_clusters,
                                              config.fixed_clusters, config.mtls_clusters)
    assert [c.name for c in proxy_clusters(s, "app/a") if c.direction == "inbound"] == ["inbound|8080||"]


def test_subset_cluster_names_are_counted_as_outbound_subset_clusters_ParseSubsetKey():
    # The seam DestinationRule subsets will come through: a list of a proxy's cluster names.
    names = ["outbound|9080||reviews.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local",
             "outbound|9080|v2|reviews.default.svc.cluster.local", "inbound|9080||", "BlackHoleCluster"]
    assert cluster_counts(names) == {"clusters": 5, "outbound_clusters": 3, "subset_clusters": 2,
                                     "inbound_clusters": 1, "fixed_clusters": 1, "mtls_clusters": 0}
    typed = [Cluster("outbound|9080|v1|r", "outbound", 9080, "v1", "r", mtls=True)]
    assert cluster_counts(typed)["mtls_clusters"] == 1


def test_outbound_clusters_are_one_per_service_port_in_the_scopes_order():
    s = sim(*(THREE_HTTP + DB))
    scope = s.scope_for(None, "app")
    names = [c.name for c in outbound_clusters(s, scope)]
    assert names == [f"outbound|{p.port}||{svc_.hostname}" for svc_ in scope.services for p in svc_.ports]
    assert outbound_clusters(s, scope) is outbound_clusters(s, scope)  # cached per scope


def test_an_unknown_endpoint_count_is_named_as_an_assumption():
    config = proxy_config(sim(ns("app"), CLIENT, svc("ghost", "app")), "app/client")
    assert "endpoints-assumed" in config.assumptions


def test_the_fixed_clusters_and_listeners_are_named():
    assert FIXED_CLUSTERS == ("BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster", "agent",
                              "prometheus_stats", "sds-grpc", "xds-grpc")
    assert FIXED_LISTENERS == ("virtualOutbound", "virtualInbound", "0.0.0.0_15090", "0.0.0.0_15021")


def _synthetic(**kw):
    return Simulator(load_objects(list(generate_documents(SyntheticMeshSpec(**kw)))))


def test_a_namespace_scoped_sidecar_gives_fewer_clusters_than_none():
    s = _synthetic(namespaces=6, services_per_namespace=5, pods_per_service=2, sidecars="namespace")
    c = compare(s, "ns-0003/svc-0003-01-0")
    assert c.sidecar == "ns-0003/default"
    assert c.with_sidecar.clusters < c.without.clusters
    assert c.with_sidecar.memory_mib < c.without.memory_mib
    assert c.with_sidecar.xds_bytes < c.without.xds_bytes
    assert c.saving["clusters"] == c.without.clusters - c.with_sidecar.clusters > 0


def test_the_estimate_grows_with_every_visible_service():
    configs = []
    for k in range(6):
        objects = [ns("app"), CLIENT] + [svc(f"s{i}", "app", ports=((8080 + i, "http"),)) for i in range(k)]
        configs.append(proxy_config(sim(*objects), "app/client"))
    assert [c.visible_services for c in configs] == list(range(6))
    for smaller, larger in zip(configs, configs[1:]):
        assert larger.memory_mib > smaller.memory_mib
        assert larger.xds_bytes > smaller.xds_bytes


@pytest.mark.parametrize("item", ["clusters", "listeners", "routes", "virtual_hosts", "endpoints", "mtls_clusters"])
def test_the_estimate_is_monotonic_in_each_item(item):
    base = {"clusters": 10, "listeners": 10, "routes": 2, "virtual_hosts": 10, "endpoints": 10, "mtls_clusters": 5}
    xds, memory = estimate(**base)
    more_xds, more_memory = estimate(**{**base, item: base[item] + 1})
    assert more_xds > xds and more_memory > memory


def test_an_empty_proxy_is_the_base_plus_the_fixed_items():
    config = proxy_config(sim(ns("app"), CLIENT), "app/client")
    assert (config.clusters, config.listeners) == (F_C, F_L)
    assert BASE_MEMORY_MIB < config.memory_mib <= BASE_MEMORY_MIB + 1


PUSH = (ns("a"), ns("b"), ns("c"), ns("plain", injected=False),
        svc("api", "a", ports=((8080, "http"),)), pod("a1", "a", {"app": "api"}), pod("a2", "a", {"app": "other"}),
        pod("b1", "b", {"app": "b1"}), pod("c1", "c", {"app": "c1"}), pod("p1", "plain", {"app": "p1"}),
        pod("gw", "istio-system", {"istio": "ingressgateway"}),
        sidecar("default", "b", egress=[{"hosts": ["./*"]}]),
        sidecar("only-api", "c", egress=[{"hosts": ["a/api.a.svc.cluster.local"]}]))


@pytest.mark.parametrize("service", ["api.a.svc.cluster.local", "api.a", "a/api"])
def test_push_fanout_lists_exactly_the_proxies_that_see_the_service(service):
    # b1's Sidecar hides namespace a; p1 has no proxy; the gateway sees everything.
    assert push_fanout(sim(*PUSH), service) == ["a/a1", "a/a2", "c/c1", "istio-system/gw"]


def test_push_fanout_counts_agree_with_the_lists():
    s = sim(*PUSH)
    counts = push_fanout_counts(s)
    assert counts == {host: len(push_fanout(s, host)) for host in s.by_hostname}


def test_push_fanout_of_an_unknown_service_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown service"):
        push_fanout(sim(*PUSH), "nope.a")


@pytest.mark.parametrize("objects", [
    pytest.param(PUSH, id="every_service_exported_everywhere"),
    pytest.param(PUSH + (svc("private", "a", export_to="."), sidecar("d", "a")), id="a_service_exported_only_locally"),
    pytest.param(THREE_HTTP + DB + (deployment("web", "app"),), id="a_controller_without_pods"),
])
def test_mesh_totals_are_the_sum_over_every_proxy(objects):
    s = sim(*objects)
    one_by_one = [proxy_config(s, w) for w in proxy_workloads(s)]
    fresh = sim(*objects)
    assert proxy_configs(fresh) == one_by_one
    totals = mesh_totals(fresh)
    proxies = [c for c in one_by_one if c.proxy != "none"]
    assert totals["proxies"] == len(proxies)
    for key in ("clusters", "listeners", "routes", "virtual_hosts", "endpoints", "xds_bytes"):
        assert totals[key] == sum(getattr(c, key) for c in proxies)


def test_controllers_whose_pods_are_listed_are_not_counted_twice():
    s = sim(ns("app"), deployment("web", "app"), pod("web-abc", "app", {"app": "web"}))
    assert [w.name for w in proxy_workloads(s)] == ["web-abc"]


def test_the_inbound_clusters_follow_the_resolved_ingress_listeners():
    from sidecar_lab import scenario_paths
    from sidecar_lab import load

    s = Simulator(load(scenario_paths("seed/cluster", "seed/steps/06-workload-hosts")))
    for w in s.workloads():
        config = proxy_config(s, w)
        if config.proxy == "sidecar":
            assert config.inbound_clusters == len(s.resolve(w).ingress)


def test_comparing_with_a_given_sidecar_spec_adds_it_to_a_copy_of_the_mesh():
    s = sim(*(THREE_HTTP + DB))
    c = compare(s, "app/client", {"workloadSelector": {"labels": {"app": "client"}},
                                  "egress": [{"hosts": ["app/a.app.svc.cluster.local"]}]})
    assert c.sidecar == "app/suggested"
    assert (c.without.visible_services, c.with_sidecar.visible_services) == (4, 1)
    assert c.with_sidecar.scope == "workload"
    assert s.mesh.sidecars == ()  # the original mesh is untouched


def test_comparing_a_workload_without_sidecar_shows_no_saving():
    c = compare(sim(*THREE_HTTP), "app/client")
    assert c.sidecar is None and c.without == c.with_sidecar
    assert c.saving["clusters"] == 0


# -- the command ----------------------------------------------------------------------------

def _write(tmp_path, objects):
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump_all(list(objects), sort_keys=False))
    return str(path)


def test_size_workload_json_has_both_configurations_and_the_saving(tmp_path, capsys):
    path = _write(tmp_path, THREE_HTTP + DB + (sidecar("default", "app", egress=[{"hosts": ["./*"]}]),))
    assert main(["size", path, "--workload", "app/client", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["workload"] == "app/client" and out["sidecar"] == "app/default"
    assert out["without_sidecar"]["clusters"] == 4 + F_C
    assert out["with_sidecar"]["clusters"] == 3 + F_C
    assert out["saving"]["clusters"] == 1
    for key in ("listeners", "routes", "virtual_hosts", "endpoints", "xds_bytes", "memory_mib", "memory_mb",
                "mtls_clusters", "assumptions"):
        assert key in out["with_sidecar"]
    assert out["saving"]["memory_mib"] > 0


def test_size_all_json_has_every_proxy_and_the_totals(tmp_path, capsys):
    path = _write(tmp_path, THREE_HTTP + DB + (sidecar("default", "app", egress=[{"hosts": ["./*"]}]),))
    assert main(["size", path, "--all", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [p["workload"] for p in out["proxies"]] == ["app/a", "app/b", "app/c", "app/client", "data/db-0",
                                                        "data/db-1"]
    assert out["totals"]["with_sidecars"]["proxies"] == 6
    assert out["totals"]["saving"]["clusters"] == 4  # the four proxies of namespace app no longer see db


def test_size_text_says_it_is_an_estimate(tmp_path, capsys):
    path = _write(tmp_path, THREE_HTTP + (sidecar("default", "app", egress=[{"hosts": ["./*"]}]),))
    assert main(["size", path, "--workload", "app/client"]) == 0
    out = capsys.readouterr().out
    assert "no Sidecar" in out and "estimates, not measurements" in out
    assert "memory MiB (estimate)" in out and " MB" not in out


def test_size_of_an_unknown_workload_is_one_error_line(tmp_path, capsys):
    path = _write(tmp_path, THREE_HTTP)
    assert main(["size", path, "--workload", "app/nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


# -- scale --------------------------------------------------------------------------------

def test_scaling_series_grows_without_sidecar_and_stays_flat_with_one():
    points = scaling_series((2, 4), services_per_namespace=3, pods_per_service=1, fan_out=2)
    assert [p["services"] for p in points] == [6, 12]
    none = [p["per_proxy"]["none"]["clusters"] for p in points]
    scoped = [p["per_proxy"]["namespace"]["clusters"] for p in points]
    dependency = [p["per_proxy"]["dependency"]["clusters"] for p in points]
    assert none[1] > none[0] and scoped[0] == scoped[1]
    assert all(d <= s < n for d, s, n in zip(dependency, scoped, none))
    assert points[1]["push_fanout"]["none"] == points[1]["pods"]
    assert points[1]["push_fanout"]["namespace"] == 3  # the pods of its own namespace


@pytest.mark.parametrize("name", ["config_vs_mesh_size", "mesh_total", "push_fanout_figure"])
def test_scale_figures_are_figures_with_alt_text_and_a_title(name):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sidecar_lab.scale import figures as figures_scale

    points = scaling_series((2, 4), services_per_namespace=3, pods_per_service=1, fan_out=2)
    fig = getattr(figures_scale, name)(points)
    assert isinstance(fig, Figure)
    assert "services in the mesh" in fig.sidecar_lab_alt
    titles = [fig._suptitle.get_text() if fig._suptitle else ""] + [ax.get_title() for ax in fig.axes]
    assert any(titles)
    assert len(fig.axes[0].get_lines()) == 3


def test_the_sizing_core_does_not_import_plotting_or_widgets():
    import subprocess
    import sys

    code = ("import sys, sidecar_lab.scale.sizing, sidecar_lab.scale.suggest; "
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'kubernetes', 'IPython') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_a_subset_cluster_name_is_read_with_its_service_mtls_and_type_buildSubsetCluster():
    # What the one-line change will rely on when the core lists DestinationRule subsets: a subset
    # name (outbound|P|subset|host) finds its service, carries mTLS and keeps the service's type.
    from sidecar_lab.scale.sizing import _outbound_cluster

    s = sim(*THREE_HTTP)
    by_host = {svc_.hostname: svc_ for svc_ in s.scope_for(None, "app").services}
    c = _outbound_cluster("outbound|8080|v1|a.app.svc.cluster.local", by_host, False)
    assert (c.direction, c.port, c.subset, c.host, c.type, c.mtls) == (
        "outbound", 8080, "v1", "a.app.svc.cluster.local", "EDS", True)
    assert c.service is by_host["a.app.svc.cluster.local"]
    with pytest.raises(ValueError):
        _outbound_cluster("inbound|8080||", by_host, False)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_size_text_keeps_its_columns_aligned_in_every_language_counting_hangul_as_two_columns(lang, monkeypatch):
    import re
    import unicodedata

    from sidecar_lab.scale.sizing import comparison_text, compare, mesh_totals, proxy_configs, totals_text

    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    monkeypatch.setattr("sidecar_lab.core.messages._chosen", [lang])
    s = sim(*THREE_HTTP, sidecar("c", "app", selector={"app": "client"}, egress=[{"hosts": ["./a.app.svc.cluster.local"]}]))
    table = comparison_text(compare(s, "app/client")).splitlines()[1:11]  # the header and the nine rows
    assert len({columns(line) for line in table}) == 1, table
    totals = totals_text(proxy_configs(s), mesh_totals(s), mesh_totals(s)).splitlines()
    rows = totals[:totals.index("")]
    assert len({columns(line) for line in rows[1:]}) == 1 and columns(rows[0]) <= columns(rows[1]), rows
    assert bool(re.search("[가-힣]", "\n".join(table))) == (lang == "ko")


# -- the scale figures in Korean ---------------------------------------------------------------------------------

SCALE_FIGURES = ["config_vs_mesh_size", "mesh_total", "push_fanout_figure"]


def _scale_figure(name: str, lang: str | None = None):
    pytest.importorskip("matplotlib")
    from sidecar_lab.scale import figures as figures_scale

    points = scaling_series((2, 4), services_per_namespace=3, pods_per_service=1, fan_out=2)
    return getattr(figures_scale, name)(points, lang=lang)


def _texts(fig) -> list:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


def _missing_glyphs(fig) -> list[str]:
    """matplotlib's warnings about characters the chosen fonts cannot draw (a tofu box each), while rendering."""
    import io
    import warnings

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).print_png(io.BytesIO())
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("name", SCALE_FIGURES)
def test_scale_figure_in_korean_has_korean_labels_in_the_hangul_font_and_no_missing_glyph(name, monkeypatch):
    import re

    from sidecar_lab.core.messages import label
    from sidecar_lab.scale.figures import hangul_font

    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])  # the language in force decides
    fig = _scale_figure(name)
    texts = [t.get_text() for t in _texts(fig)]
    assert not _missing_glyphs(fig)
    if hangul_font() is None:  # drawn in English, and it says so
        assert label("note.no-hangul-font", "en") in texts and not any(re.search("[가-힣]", t) for t in texts)
        return
    assert label("scale.axis.services", "ko") in texts and label("scale.mode.none", "ko") in texts
    assert re.search("[가-힣]", fig.sidecar_lab_alt) and "services in the mesh" not in fig.sidecar_lab_alt
    hangul = [t for t in _texts(fig) if re.search("[가-힣]", t.get_text())]
    assert hangul and all(t.get_fontfamily()[0] == hangul_font() for t in hangul)
    assert label("note.no-hangul-font", "en") not in texts


def test_a_korean_label_in_a_latin_only_font_is_reported_as_missing_glyphs():
    # the check above can fail: the same figure drawn in DejaVu Sans alone has no Hangul glyphs
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure()
    fig.suptitle("메시의 서비스 수", family=["DejaVu Sans"])
    assert _missing_glyphs(fig)


@pytest.mark.parametrize("name", SCALE_FIGURES)
def test_scale_figure_without_a_hangul_font_is_english_and_says_why(name, monkeypatch):
    import re

    from sidecar_lab.core.messages import label

    monkeypatch.setattr("sidecar_lab.scale.figures.hangul_font", lambda: None)
    fig = _scale_figure(name, lang="ko")
    texts = [t.get_text() for t in _texts(fig)]
    assert label("scale.axis.services", "en") in texts and label("note.no-hangul-font", "en") in texts
    assert not any(re.search("[가-힣]", t) for t in texts)
    assert fig.sidecar_lab_alt.endswith(label("alt.font-fallback", "en"))
    assert not _missing_glyphs(fig)


@pytest.mark.parametrize("name", SCALE_FIGURES)
def test_scale_figure_lang_picks_english_whatever_the_language_in_force(name, monkeypatch):
    from sidecar_lab.core.messages import label

    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])
    fig = _scale_figure(name, lang="en")
    assert label("scale.axis.services", "en") in [t.get_text() for t in _texts(fig)]
    assert "services in the mesh" in fig.sidecar_lab_alt
