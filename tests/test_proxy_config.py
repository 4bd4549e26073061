"""`sidecar-lab proxy-config`: a proxy's configuration from the simulator's model, in istioctl's columns.

The view lays out scale.sizing.outbound, which takes everything from core.envoy (the configuration
`check` walks and `size` counts; tests/test_three_faces.py holds the three together).
"""

from __future__ import annotations

import json

import pytest
import yaml

from builders import ns, pod, se, sidecar, sim, svc
from sidecar_lab import UsageError
from sidecar_lab.cli import main
from sidecar_lab.core.traffic import check
from sidecar_lab.scale.proxyconfig import (
    _describe_domains, _tabwrite, istioctl_command, proxy_view, section_json, section_table,
)

CLIENT = pod("client", "app", {"app": "client"}, ip="10.244.0.2")
MESH = (ns("app"), ns("data"), CLIENT,
        svc("web", "app", ports=((8080, "http"),), cluster_ip="10.96.0.20"),
        pod("web-0", "app", {"app": "web"}, ip="10.244.0.3"), pod("web-1", "app", {"app": "web"}, ip="10.244.0.4"),
        svc("db", "data", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"), pod("db-0", "data", {"app": "db"}, ip="10.244.1.1"),
        svc("raw", "data", ports=((7000, None),), cluster_ip="10.96.0.40"), pod("raw-0", "data", {"app": "raw"}, ip="10.244.1.2"),
        se("ext", "app", hosts=("api.example.com",), ports=((443, "TLS"),)))
SCOPED = MESH + (sidecar("default", "app", egress=[{"hosts": ["./*"]}], otp={"mode": "REGISTRY_ONLY"}),)


# -- with and without the Sidecar ------------------------------------------------------------------

def test_without_its_sidecar_the_proxy_sees_the_whole_mesh_buildSidecarOutboundListeners():
    s = sim(*SCOPED)
    scoped, unscoped = proxy_view(s, "app/client"), proxy_view(s, "app/client", without_sidecar=True)
    assert (scoped.scope, scoped.sidecar, scoped.mode) == ("namespace", "app/default", "REGISTRY_ONLY")
    assert (unscoped.scope, unscoped.sidecar, unscoped.mode) == ("default", None, "ALLOW_ANY")
    assert {c.host for c in unscoped.clusters} - {c.host for c in scoped.clusters} == {
        "db.data.svc.cluster.local", "raw.data.svc.cluster.local"}


def test_a_workload_without_a_proxy_is_a_usage_error():
    s = sim(ns("plain", injected=False), pod("p", "plain"))
    with pytest.raises(UsageError, match="no proxy"):
        proxy_view(s, "plain/p")


# -- istioctl's tables -------------------------------------------------------------------------------

def test_tabwriter_pads_every_column_but_the_last_to_its_widest_cell_plus_the_padding():
    # Go's text/tabwriter, minwidth 0, padding 5: the last cell of a line is never padded.
    assert _tabwrite([("A", "BB", "C"), ("AAA", "B", "")], 5) == "A       BB     C\nAAA     B      "


def test_clusters_show_istioctls_columns_and_order_retrieveSortedClusterSlice():
    lines = section_table(proxy_view(sim(*MESH), "app/web-0"), "clusters").splitlines()
    assert lines[0].split() == ["SERVICE", "FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION", "RULE"]
    rows = [line.split() for line in lines[1:]]
    # The inbound cluster has no hostname, so it sorts first; upper case before lower case, as Go compares bytes.
    assert rows[0] == ["8080", "-", "inbound", "ORIGINAL_DST"]
    assert [r[0] for r in rows[1:4]] == ["BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster"]
    assert ["api.example.com", "443", "-", "outbound", "STRICT_DNS"] in rows
    assert ["db.data.svc.cluster.local", "5432", "-", "outbound", "EDS"] in rows


@pytest.mark.parametrize("objects, port, expected", [
    # An HTTP port: route table P, then the catch-all chain — PassthroughCluster under ALLOW_ANY ...
    (MESH, 8080, [("Trans: raw_buffer; App: http/1.1,h2c", "Route: 8080"), ("ALL", "PassthroughCluster")]),
    # ... and a tcp_proxy to BlackHoleCluster under REGISTRY_ONLY, which istioctl does not describe.
    (SCOPED, 8080, [("Trans: raw_buffer; App: http/1.1,h2c", "Route: 8080"), ("ALL", "Non-HTTP/Non-TCP")]),
    # A TCP port of a service with a VIP: its own listener, the whole connection to its cluster.
    (MESH, 5432, [("ALL", "Cluster: outbound|5432||db.data.svc.cluster.local")]),
    # A sniffed port on a VIP: route table host:port for HTTP, the cluster for the rest.
    (MESH, 7000, [("Trans: raw_buffer; App: http/1.1,h2c", "Route: raw.data.svc.cluster.local:7000"),
                  ("ALL", "Cluster: outbound|7000||raw.data.svc.cluster.local")]),
    # A VIP-less TLS ServiceEntry: matched by SNI on 0.0.0.0_443.
    (MESH, 443, [("SNI: api.example.com", "Cluster: outbound|443||api.example.com"), ("ALL", "PassthroughCluster")]),
])
def test_listener_filter_chains_as_istioctl_describes_them(objects, port, expected):
    lines = section_table(proxy_view(sim(*objects), "app/client"), "listeners", port=port).splitlines()[1:]
    # istioctl sorts a listener's chains by destination, descending (PrintListenerSummary).
    ordered = sorted(expected, key=lambda c: c[1], reverse=True)
    assert len(lines) == len(ordered)
    for line, (match, destination) in zip(lines, ordered):
        assert line.endswith(" " + destination) and f" {match} " in line and line.split()[1] == str(port)
    view = proxy_view(sim(*objects), "app/client")
    listener = next(lst for lst in view.listeners if lst.port == port)
    assert sorted((c.match, c.destination) for c in listener.all_chains) == sorted(expected)


def test_routes_list_block_all_but_not_allow_any_isPassthrough():
    allow = section_table(proxy_view(sim(*MESH), "app/client"), "routes")
    block = section_table(proxy_view(sim(*SCOPED), "app/client"), "routes")
    assert "allow_any" not in allow and "block_all" in block
    assert "web.app.svc.cluster.local:8080" in allow


@pytest.mark.parametrize("workload, domains, shown", [
    ("app/client", ["web.app.svc.cluster.local", "web", "web.app.svc", "web.app", "10.96.0.20"],
     "web, web.app + 1 more..."),
    ("data/db-0", ["web.app.svc.cluster.local", "web.app", "web.app.svc", "10.96.0.20"], "web.app, 10.96.0.20"),
])
def test_virtual_host_domains_generateVirtualHostDomains_and_describeRouteDomains(workload, domains, shown):
    # The domains are the core's (the ones check matches a Host header against), for the proxy's namespace.
    view = proxy_view(sim(*MESH), workload)
    table = next(t for t in view.routes if t.name == "8080")
    vhost = next(v for v in table.virtual_hosts if v.name == "web.app.svc.cluster.local:8080")
    assert list(vhost.domains) == domains
    assert _describe_domains(domains) == shown


WEB_RULES = (
    {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "web", "namespace": "app"},
     "spec": {"host": "web", "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                         {"name": "v2", "labels": {"version": "v2"}}]}},
    {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "web", "namespace": "app"},
     "spec": {"hosts": ["web"], "http": [
         {"name": "beta", "match": [{"uri": {"prefix": "/v2"}}], "route": [{"destination": {"host": "web", "subset": "v2"}}]},
         {"match": [{"headers": {"x-debug": {"exact": "1"}}}], "directResponse": {"status": 418}},
         {"route": [{"destination": {"host": "web", "subset": "v1"}, "weight": 80},
                    {"destination": {"host": "web", "subset": "v2"}, "weight": 20}]}]}})
VERSIONED = tuple(o for o in MESH if o["metadata"]["name"] not in ("web-0", "web-1")) + (
    pod("web-0", "app", {"app": "web", "version": "v1"}, ip="10.244.0.3"),
    pod("web-1", "app", {"app": "web", "version": "v2"}, ip="10.244.0.4"))


def test_routes_are_the_virtual_services_routes_for_this_proxy_TranslateRoute():
    # Each route of the VirtualService, in order, with its match, its action and its name in the last
    # column: the routes check takes (istioctl's describeMatch ignores headers).
    view = proxy_view(sim(*VERSIONED, *WEB_RULES), "app/client")
    rows = [line.split() for line in section_table(view, "routes", name="8080").splitlines()[1:]]
    web = [r for r in rows if r[1] == "web.app.svc.cluster.local:8080"]
    assert [(r[-2], r[-1]) for r in web] == [("/v2*", "web.app"), ("/*", "web.app"), ("/*", "web.app")]
    (table,) = section_json(view, "routes", name="8080")
    vhost = next(v for v in table["virtualHosts"] if v["name"] == "web.app.svc.cluster.local:8080")
    beta, debug, split = vhost["routes"]
    assert beta["name"] == "beta" and beta["match"] == {"prefix": "/v2", "caseSensitive": True}
    assert beta["route"] == {"cluster": "outbound|8080|v2|web.app.svc.cluster.local"}
    assert debug["match"]["headers"] == [{"name": "x-debug", "stringMatch": {"exact": "1"}}]
    assert debug["directResponse"] == {"status": 418}
    assert split["route"]["weightedClusters"]["clusters"] == [
        {"name": "outbound|8080|v1|web.app.svc.cluster.local", "weight": 80},
        {"name": "outbound|8080|v2|web.app.svc.cluster.local", "weight": 20}]
    assert check(sim(*VERSIONED, *WEB_RULES), "app/client", "http://web.app:8080/v2/x").envoy.cluster == \
        beta["route"]["cluster"]


def test_subset_clusters_show_their_destination_rule_and_only_their_pods_as_endpoints_getSubSetLabels():
    view = proxy_view(sim(*VERSIONED, *WEB_RULES), "app/client")
    rows = [line.split() for line in section_table(view, "clusters", fqdn="web.app").splitlines()[1:]]
    assert rows == [["web.app.svc.cluster.local", "8080", "-", "outbound", "EDS", "web.app"],
                    ["web.app.svc.cluster.local", "8080", "v1", "outbound", "EDS", "web.app"],
                    ["web.app.svc.cluster.local", "8080", "v2", "outbound", "EDS", "web.app"]]
    by_cluster: dict = {}
    for e in view.endpoints:
        by_cluster.setdefault(e.cluster, []).append(e.text)
    assert by_cluster["outbound|8080|v1|web.app.svc.cluster.local"] == ["10.244.0.3:8080"]
    assert by_cluster["outbound|8080|v2|web.app.svc.cluster.local"] == ["10.244.0.4:8080"]
    assert by_cluster["outbound|8080||web.app.svc.cluster.local"] == ["10.244.0.3:8080", "10.244.0.4:8080"]


def test_endpoints_are_the_pods_ips_and_target_ports_and_the_bootstraps():
    text = section_table(proxy_view(sim(*MESH), "app/client"), "endpoints")
    rows = [line.split() for line in text.splitlines()[1:]]
    assert ["10.244.0.3:8080", "HEALTHY", "OK", "outbound|8080||web.app.svc.cluster.local"] in rows
    assert ["127.0.0.1:15020", "HEALTHY", "OK", "agent"] in rows
    assert ["unix://./etc/istio/proxy/XDS", "HEALTHY", "OK", "xds-grpc"] in rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_json_is_shaped_like_envoys_config_dump():
    view = proxy_view(sim(*MESH), "app/client")
    clusters = section_json(view, "clusters", port=8080)
    assert [c["name"] for c in clusters] == ["outbound|8080||web.app.svc.cluster.local"]
    assert clusters[0]["type"] == "EDS" and clusters[0]["transportSocketMatches"][0]["name"] == "tlsMode-istio"
    listener = section_json(view, "listeners", port=5432)[0]
    assert listener["address"] == {"socketAddress": {"address": "10.96.0.30", "portValue": 5432}}
    assert listener["filterChains"][0]["filters"][0]["typedConfig"]["cluster"] == "outbound|5432||db.data.svc.cluster.local"
    route = section_json(view, "routes", name="8080")[0]
    assert route["virtualHosts"][0]["routes"][0]["route"] == {"cluster": "outbound|8080||web.app.svc.cluster.local"}
    eds = {e["clusterName"]: e for e in section_json(view, "endpoints")}
    hosts = eds["outbound|8080||web.app.svc.cluster.local"]["endpoints"][0]["lbEndpoints"]
    assert [h["endpoint"]["address"]["socketAddress"]["address"] for h in hosts] == ["10.244.0.3", "10.244.0.4"]


def test_istioctl_command_names_the_pod_or_the_controller():
    view = proxy_view(sim(*MESH), "app/client")
    assert istioctl_command(view, "clusters") == "istioctl proxy-config clusters client.app"
    assert istioctl_command(view, "routes", output="json", context="kind-lab") == \
        "istioctl --context kind-lab proxy-config routes client.app -o json"


# -- the command --------------------------------------------------------------------------------------

def _write(tmp_path, objects):
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump_all(list(objects), sort_keys=False))
    return str(path)


def test_command_prints_the_table_and_json(tmp_path, capsys):
    path = _write(tmp_path, SCOPED)
    assert main(["proxy-config", "clusters", path, "--workload", "app/client"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SERVICE FQDN") and "web.app.svc.cluster.local" in out and "db.data" not in out
    assert main(["proxy-config", "cluster", path, "--workload", "app/client", "--without-sidecar", "-o", "json"]) == 0
    names = [c["name"] for c in json.loads(capsys.readouterr().out)]
    assert "outbound|5432||db.data.svc.cluster.local" in names
    assert main(["proxy-config", "ep", path, "--workload", "app/client", "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)[0]["clusterName"]


@pytest.mark.parametrize("argv, message", [
    (["proxy-config", "secrets", "M", "--workload", "app/client"], "unknown section 'secrets'"),
    (["proxy-config", "routes", "M", "--workload", "app/client", "--fqdn", "web"], "--fqdn filters clusters"),
    (["proxy-config", "routes", "M", "--workload", "app/nope"], "unknown workload 'app/nope'"),
    (["proxy-config", "routes", "M", "--workload", "nope"], "must be written NAMESPACE/NAME"),
    (["proxy-config", "routes", "M", "--workload", "app/client", "-o", "json", "--format", "text"], "disagree"),
    (["proxy-config", "routes", "--workload", "app/client"], "MANIFEST"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys, argv, message):
    path = _write(tmp_path, SCOPED)
    argv = [path if a == "M" else a for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1 and message in captured.err
    assert captured.out == ""


def test_live_prints_the_real_istioctl_command_beside_the_table(tmp_path, capsys):
    pytest.importorskip("kubernetes")
    from fakekube import FakeKube

    with FakeKube(token="t0ken") as kube:
        kube.install_istio_crds()
        for obj in MESH:
            if obj["kind"] != "ServiceEntry":
                kube.add(obj)
        client = kube.get_object("pods", "app", "client")
        client["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.0"})
        kube.add(client)
        config = str(kube.write_kubeconfig(tmp_path / "kubeconfig"))
        assert main(["proxy-config", "routes", "--live", "--kubeconfig", config, "--workload", "app/client"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("NAME") and "$ istioctl proxy-config routes client.app" in out
        assert main(["proxy-config", "routes", "--live", "--kubeconfig", config, "--workload", "app/client",
                     "-o", "json"]) == 0
        captured = capsys.readouterr()
        json.loads(captured.out)  # the command goes to standard error, so the JSON stays whole
        assert "istioctl proxy-config routes client.app -o json" in captured.err
