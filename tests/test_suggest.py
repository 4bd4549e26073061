"""The Sidecar suggester (sidecar_lab.scale.suggest): minimal hosts, proof by check, what it newly blocks,
access-log parsing, and the `suggest` command."""

from __future__ import annotations

import json

import pytest
import yaml

from builders import ns, pod, sidecar, sim, svc
from sidecar_lab import UsageError
from sidecar_lab.cli import main
from sidecar_lab.scale.suggest import (
    JSON_LOG_KEYS, parse_access_log, parse_access_log_json, parse_access_log_line, selector_for, suggest_sidecar,
)
from sidecar_lab.core.traffic import check

OBJECTS = (
    ns("web"), ns("api"), ns("data"), ns("other"), ns("istio-system", injected=False),
    pod("web-7d9f-abcde", "web", {"app": "web", "version": "v1", "pod-template-hash": "7d9f"}),
    svc("web", "web", ports=((80, "http"),), cluster_ip="10.96.0.10"),
    pod("api", "api", {"app": "api"}),
    svc("api", "api", ports=((8080, "http"), (9090, "grpc")), cluster_ip="10.96.0.20"),
    pod("db", "data", {"app": "db"}),
    svc("db", "data", ports=((5432, "tcp"),), cluster_ip="10.96.0.30"),
    pod("other", "other", {"app": "other"}),
    svc("other", "other", ports=((8000, "http"),), cluster_ip="10.96.0.40"),
    svc("istiod", "istio-system", ports=((15014, "http-monitoring"),), selector={"app": "istiod"},
        cluster_ip="10.96.0.2"),
)
WEB = "web/web-7d9f-abcde"
ALL_PORTS = {"http://web.web:80", "http://api.api:8080", "http://api.api:9090", "tcp://db.data:5432",
             "http://other.other:8000", "http://istiod.istio-system:15014"}

HTTP_LINE = ('[2025-06-01T10:00:00.123Z] "GET /v1/items?limit=5 HTTP/1.1" 200 - via_upstream - "-" 0 512 12 11 '
             '"-" "python-requests/2.31.0" "5f0c6a3e-1b7d-9f5e-8a11-3c3b1f0f6c2d" "api.api:8080" '
             '"10.244.1.7:8080" outbound|8080||api.api.svc.cluster.local 10.244.0.5:41234 10.96.0.20:8080 '
             '10.244.0.5:55320 - default')
TCP_LINE = ('[2025-06-01T10:00:01.000Z] "- - -" 0 - - - "-" 1024 2048 5000 - "-" "-" "-" "-" '
            '"10.244.2.9:5432" outbound|5432||db.data.svc.cluster.local 10.244.0.5:40000 10.96.0.30:5432 '
            '10.244.0.5:39000 - -')
BLOCK_ALL_LINE = ('[2025-06-01T10:00:02.000Z] "GET / HTTP/1.1" 502 - direct_response - "-" 0 0 0 - "-" '
                  '"curl/8.5.0" "0a7c" "other.other:8000" "-" - - 10.96.0.40:8000 10.244.0.5:1234 - block_all')
TLS_PASSTHROUGH_LINE = ('[2025-06-01T10:00:03.000Z] "- - -" 0 - - - "-" 800 5000 100 - "-" "-" "-" "-" '
                        '"142.250.1.1:443" PassthroughCluster 10.244.0.5:5000 142.250.1.1:443 10.244.0.5:4000 '
                        'www.google.com -')
INBOUND_LINE = ('[2025-06-01T10:00:04.000Z] "GET /ip HTTP/1.1" 200 - via_upstream - "-" 0 10 1 1 "-" "curl/8.5.0" '
                '"9e1d" "web.web" "10.244.0.5:80" inbound|80|| 127.0.0.6:4444 10.244.0.5:80 10.244.0.9:5555 '
                'outbound_.80_._.web.web.svc.cluster.local default')


# -- access logs ---------------------------------------------------------------------------

@pytest.mark.parametrize("line, direction, cluster, target", [
    pytest.param(HTTP_LINE, "outbound", "outbound|8080||api.api.svc.cluster.local",
                 "http://api.api.svc.cluster.local:8080/v1/items?limit=5", id="http_call_through_its_cluster"),
    pytest.param(TCP_LINE, "outbound", "outbound|5432||db.data.svc.cluster.local",
                 "tcp://db.data.svc.cluster.local:5432", id="tcp_connection_through_its_cluster"),
    pytest.param(BLOCK_ALL_LINE, "outbound", None, "http://other.other:8000/",
                 id="block_all_502_has_no_cluster_so_the_authority_names_the_destination"),
    pytest.param(TLS_PASSTHROUGH_LINE, "outbound", "PassthroughCluster", "https://www.google.com:443",
                 id="tls_to_an_external_host_is_named_by_its_sni"),
    pytest.param(INBOUND_LINE, "inbound", "inbound|80||", None, id="an_inbound_request_is_not_a_call"),
])
def test_envoy_access_log_lines_are_read(line, direction, cluster, target):
    parsed = parse_access_log_line(line)
    assert (parsed.direction, parsed.cluster, parsed.target) == (direction, cluster, target)


def test_a_line_that_is_not_an_access_log_line_is_none():
    assert parse_access_log_line("hello world") is None


def test_an_access_log_keeps_the_calls_and_says_why_it_ignored_the_rest():
    calls, ignored = parse_access_log("\n".join([HTTP_LINE, "", INBOUND_LINE, "garbage", TCP_LINE]))
    assert [c.target for c in calls] == ["http://api.api.svc.cluster.local:8080/v1/items?limit=5",
                                         "tcp://db.data.svc.cluster.local:5432"]
    assert [(i.number, i.reason.split(" ")[0]) for i in ignored] == [(3, "a"), (4, "not")]


# -- the suggestion ----------------------------------------------------------------------------

# (situation, calls, expected egress hosts, expected checked targets)
SUGGEST = [
    ("one_http_call_imports_only_that_service_and_istio_system", ["http://api.api:8080/v1"],
     ["api/api.api.svc.cluster.local", "istio-system/*"], ["http://api.api:8080/v1"]),
    ("a_target_without_scheme_takes_the_protocol_of_the_port", ["db.data:5432"],
     ["data/db.data.svc.cluster.local", "istio-system/*"], ["tcp://db.data:5432"]),
    ("a_plain_host_stands_for_every_port_of_its_service", ["api.api"],
     ["api/api.api.svc.cluster.local", "istio-system/*"], ["http://api.api:8080", "http://api.api:9090"]),
    ("a_short_name_in_the_own_namespace_is_found_as_dns_would", ["http://web/"],
     ["web/web.web.svc.cluster.local", "istio-system/*"], ["http://web:80/"]),
    ("calling_something_in_istio_system_imports_it_as_a_whole", ["http://istiod.istio-system:15014/metrics"],
     ["istio-system/*"], ["http://istiod.istio-system:15014/metrics"]),
    ("access_log_lines_give_their_clusters", [HTTP_LINE, TCP_LINE],
     ["api/api.api.svc.cluster.local", "data/db.data.svc.cluster.local", "istio-system/*"],
     ["http://api.api.svc.cluster.local:8080/v1/items?limit=5", "tcp://db.data.svc.cluster.local:5432"]),
    ("several_calls_to_one_service_give_one_host", ["http://api.api:8080/a", "http://api.api:9090/b",
                                                     "tcp://db.data:5432"],
     ["api/api.api.svc.cluster.local", "data/db.data.svc.cluster.local", "istio-system/*"],
     ["http://api.api:8080/a", "http://api.api:9090/b", "tcp://db.data:5432"]),
]
CASES = [c[1:] for c in SUGGEST]
IDS = [c[0] for c in SUGGEST]


@pytest.mark.parametrize("calls, hosts, targets", CASES, ids=IDS)
def test_the_suggested_sidecar_is_minimal(calls, hosts, targets):
    s = suggest_sidecar(sim(*OBJECTS), WEB, calls)
    assert list(s.hosts) == hosts  # nothing unrelated
    assert [c.target for c in s.calls] == targets
    assert s.manifest["spec"]["egress"] == [{"hosts": hosts}]
    assert s.manifest["spec"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}


@pytest.mark.parametrize("calls, hosts, targets", CASES, ids=IDS)
def test_every_declared_call_stays_routed_as_check_proves(calls, hosts, targets):
    s = suggest_sidecar(sim(*OBJECTS), WEB, calls)
    assert s.proved and not s.not_routed
    applied = sim(*OBJECTS, yaml.safe_load(s.yaml))  # the YAML exactly as kubectl would apply it
    assert str(applied.resolve(WEB).sidecar) == f"web/{s.name}"
    for target in targets:
        assert check(applied, WEB, target).verdict.value == "ROUTED"


@pytest.mark.parametrize("calls, hosts, targets", CASES, ids=IDS)
def test_newly_blocked_lists_exactly_the_other_service_ports(calls, hosts, targets):
    s = suggest_sidecar(sim(*OBJECTS), WEB, calls)
    imported = {h.split("/")[1].split(".")[0] for h in hosts if not h.endswith("/*")}
    if "istio-system/*" in hosts:
        imported.add("istiod")
    expected = {t for t in ALL_PORTS if t.split("//")[1].split(".")[0].split(":")[0] not in imported}
    assert {b["target"] for b in s.newly_blocked} == expected
    assert all(b["before"] == "ROUTED" and b["after"] == "BLOCKED" for b in s.newly_blocked)


def test_the_suggestion_saves_configuration():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/v1"])
    assert s.after.clusters < s.before.clusters
    assert s.saving["clusters"] == s.before.clusters - s.after.clusters
    assert s.saving["memory_mib"] > 0


def test_the_suggested_sidecar_passes_admission_validation():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/v1", "db.data:5432"])
    assert not [m for m in s.validation if m.startswith("Error")]


def test_the_yaml_is_ready_for_kubectl_apply():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/v1"])
    assert yaml.safe_load(s.yaml) == s.manifest
    assert s.yaml.startswith("apiVersion: networking.istio.io/v1\nkind: Sidecar\n")


def test_under_allow_any_nothing_is_blocked_but_routing_is_lost():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/v1"], mode="ALLOW_ANY")
    assert s.proved and s.newly_blocked == ()
    assert {e["target"] for e in s.newly_passthrough} >= {"http://other.other:8000"}


def test_a_call_outside_the_registry_cannot_be_proved_and_says_why():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/", "https://www.google.com"])
    assert not s.proved
    assert [p.call.target for p in s.not_routed] == ["https://www.google.com:443"]
    assert s.not_routed[0].after.verdict.value == "BLOCKED"
    assert any("ServiceEntry" in note for note in s.notes)
    assert list(s.hosts) == ["api/api.api.svc.cluster.local", "istio-system/*"]


@pytest.mark.parametrize("labels, expected", [
    pytest.param({"app": "web", "version": "v1"}, {"app": "web"}, id="app_label_preferred"),
    pytest.param({"app.kubernetes.io/name": "web", "tier": "front"}, {"app.kubernetes.io/name": "web"},
                 id="kubernetes_name_label_next"),
    pytest.param({"tier": "front", "pod-template-hash": "abc"}, {"tier": "front"},
                 id="else_every_stable_label"),
])
def test_the_workload_selector_uses_the_stable_labels(labels, expected):
    from sidecar_lab.core.model import Workload

    assert selector_for(Workload("Pod", "web", "x", labels)) == expected


def test_the_selector_names_other_workloads_it_also_picks():
    s = suggest_sidecar(sim(*OBJECTS, pod("web-v2", "web", {"app": "web", "version": "v2"})), WEB,
                        ["http://api.api:8080/"])
    assert s.also_selects == ("web/web-v2",)


def test_a_workload_sidecar_that_governs_it_is_replaced_under_its_own_name():
    old = sidecar("legacy", "web", created="2024-01-01T00:00:00Z", selector={"app": "web"},
                  egress=[{"hosts": ["*/*"]}])
    s = suggest_sidecar(sim(*OBJECTS, old), WEB, ["http://api.api:8080/"])
    assert s.name == "legacy"
    assert s.proved and not s.notes
    assert s.comparison.with_sidecar.sidecar == "web/legacy"


@pytest.mark.parametrize("workload, calls, message", [
    pytest.param(WEB, ["ht tp://api"], "malformed call", id="bad_call_target"),
    pytest.param(WEB, ["ftp://api.api:21"], "scheme", id="unknown_scheme"),
    pytest.param(WEB, [INBOUND_LINE], "inbound", id="an_inbound_log_line_as_a_call"),
    pytest.param(WEB, [], "no calls", id="no_calls"),
    pytest.param("data/nope", ["db.data:5432"], "unknown workload", id="unknown_workload"),
])
def test_bad_input_is_a_usage_error(workload, calls, message):
    with pytest.raises(UsageError, match=message):
        suggest_sidecar(sim(*OBJECTS), workload, calls)


def test_a_workload_without_proxy_gets_no_suggestion():
    with pytest.raises(UsageError, match="no sidecar proxy"):
        suggest_sidecar(sim(*OBJECTS, pod("plain", "istio-system", {"app": "plain"})), "istio-system/plain",
                        ["http://api.api:8080/"])


def test_an_unknown_mode_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown mode"):
        suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/"], mode="DENY")


# -- the command ----------------------------------------------------------------------------

def _write(tmp_path, objects=OBJECTS):
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump_all(list(objects), sort_keys=False))
    return str(path)


def test_suggest_json_has_the_sidecar_the_saving_the_proof_and_what_it_blocks(tmp_path, capsys):
    code = main(["suggest", _write(tmp_path), "--workload", WEB, "--call", "http://api.api:8080/v1",
                 "--call", "db.data:5432", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hosts"] == ["api/api.api.svc.cluster.local", "data/db.data.svc.cluster.local", "istio-system/*"]
    assert out["proved"] is True and out["not_routed"] == []
    assert [p["after"] for p in out["proof"]] == ["ROUTED", "ROUTED"]
    assert {b["target"] for b in out["newly_blocked"]} == {"http://web.web:80", "http://other.other:8000"}
    assert yaml.safe_load(out["yaml"]) == out["manifest"]
    assert out["saving"]["clusters"] == out["before"]["clusters"] - out["after"]["clusters"]
    for key in ("mode", "selector", "calls", "validation", "also_selects", "newly_passthrough"):
        assert key in out


def test_suggest_reads_an_access_log_file(tmp_path, capsys):
    log = tmp_path / "access.log"
    log.write_text("\n".join([HTTP_LINE, INBOUND_LINE, TCP_LINE]) + "\n")
    assert main(["suggest", _write(tmp_path), "--workload", WEB, "--access-log", str(log), "--format",
                 "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hosts"] == ["api/api.api.svc.cluster.local", "data/db.data.svc.cluster.local", "istio-system/*"]
    assert out["ignored"] == [{"number": 2, "line": INBOUND_LINE, "reason": out["ignored"][0]["reason"]}]
    assert out["proved"] is True


def test_suggest_text_shows_the_yaml_and_the_proof(tmp_path, capsys):
    assert main(["suggest", _write(tmp_path), "--workload", WEB, "--call", "http://api.api:8080/v1"]) == 0
    out = capsys.readouterr().out
    assert "kind: Sidecar" in out and "every call stays ROUTED" in out and "newly blocked" in out


@pytest.mark.parametrize("args", [
    pytest.param(["--call", "ht tp://x"], id="bad_call_target"),
    pytest.param(["--call", "http://api.api:99999"], id="port_out_of_range"),
    pytest.param(["--access-log", "/nonexistent/access.log"], id="missing_access_log"),
    pytest.param([], id="no_call_nor_access_log"),
])
def test_suggest_bad_input_exits_2_with_one_error_line(tmp_path, capsys, args):
    assert main(["suggest", _write(tmp_path), "--workload", WEB, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_an_access_log_without_outbound_calls_is_one_error_line(tmp_path, capsys):
    log = tmp_path / "access.log"
    log.write_text(INBOUND_LINE + "\n")
    assert main(["suggest", _write(tmp_path), "--workload", WEB, "--access-log", str(log)]) == 2
    err = capsys.readouterr().err
    assert "no outbound call" in err and err.count("\n") == 1


# -- JSON access logs (Istio's EnvoyJSONLogFormatIstio, and any object with its destination keys) ------

def _istio_json(**fields):
    """A record with every key of Istio's JSON format, as Envoy writes it (null where it has no value)."""
    record = {key: None for key in ("start_time", "route_name", "method", "path", "protocol", "response_code",
                                    "response_flags", "response_code_details", "connection_termination_details",
                                    "bytes_received", "bytes_sent", "duration", "upstream_service_time",
                                    "x_forwarded_for", "user_agent", "request_id", "authority", "upstream_host",
                                    "upstream_cluster", "upstream_local_address", "downstream_local_address",
                                    "downstream_remote_address", "requested_server_name",
                                    "upstream_transport_failure_reason")}
    record.update(start_time="2025-06-01T10:00:00.123Z", bytes_received=0, bytes_sent=512, duration=12)
    record.update(fields)
    return json.dumps(record)


JSON_HTTP = _istio_json(method="GET", path="/v1/items", protocol="HTTP/1.1", response_code=200,
                        authority="api.api:8080", upstream_host="10.244.1.7:8080",
                        upstream_cluster="outbound|8080||api.api.svc.cluster.local",
                        downstream_local_address="10.96.0.20:8080", route_name="default")
JSON_TCP = _istio_json(upstream_host="10.244.2.9:5432", upstream_cluster="outbound|5432||db.data.svc.cluster.local",
                       downstream_local_address="10.96.0.30:5432")
JSON_BLOCK_ALL = _istio_json(method="GET", path="/", protocol="HTTP/1.1", response_code=502,
                             authority="other.other:8000", upstream_cluster="-",
                             downstream_local_address="10.96.0.40:8000", route_name="block_all")
JSON_TLS_PASSTHROUGH = _istio_json(upstream_host="142.250.1.1:443", upstream_cluster="PassthroughCluster",
                                   downstream_local_address="142.250.1.1:443", requested_server_name="www.google.com")
JSON_INBOUND = _istio_json(method="GET", path="/ip", protocol="HTTP/1.1", authority="web.web",
                           upstream_cluster="inbound|80||", upstream_host="10.244.0.5:80")


def test_the_json_keys_read_are_keys_of_istios_json_format_EnvoyJSONLogFormatIstio():
    istio_keys = set(json.loads(_istio_json()))
    assert set(JSON_LOG_KEYS) <= istio_keys


@pytest.mark.parametrize("line, direction, target", [
    pytest.param(JSON_HTTP, "outbound", "http://api.api.svc.cluster.local:8080/v1/items", id="http_through_its_cluster"),
    pytest.param(JSON_TCP, "outbound", "tcp://db.data.svc.cluster.local:5432", id="tcp_through_its_cluster"),
    pytest.param(JSON_BLOCK_ALL, "outbound", "http://other.other:8000/", id="block_all_named_by_its_authority"),
    pytest.param(JSON_TLS_PASSTHROUGH, "outbound", "https://www.google.com:443", id="tls_named_by_its_sni"),
    pytest.param(JSON_INBOUND, "inbound", None, id="an_inbound_request_is_not_a_call"),
    pytest.param(json.dumps({"upstream_cluster": "outbound|9090||api.api.svc.cluster.local"}), "outbound",
                 "tcp://api.api.svc.cluster.local:9090", id="any_object_with_upstream_cluster"),
    pytest.param(json.dumps({"authority": "api.api:8080", "upstream_cluster": "PassthroughCluster"}), "outbound",
                 "http://api.api:8080/", id="any_object_with_an_authority"),
    pytest.param(json.dumps({"upstream_host": "10.96.0.30:5432"}), "outbound", "tcp://10.96.0.30:5432",
                 id="any_object_with_only_upstream_host"),
])
def test_json_access_log_records_are_read(line, direction, target):
    calls, ignored = parse_access_log(line)
    if direction == "inbound":
        assert calls == [] and ignored[0].reason.startswith("a request to this workload")
    else:
        assert [c.target for c in calls] == [target] and ignored == []
    assert parse_access_log_json(json.loads(line)).direction == direction


def test_a_log_may_mix_text_and_json_and_bad_lines_are_reported_with_their_number():
    text = "\n".join([HTTP_LINE, JSON_TCP, '{"upstream_cluster": ', "[1, 2]", '{"user_agent": "curl"}', "42",
                      '["not", "an", "object"]', JSON_BLOCK_ALL])
    calls, ignored = parse_access_log(text)
    assert [c.target for c in calls] == ["http://api.api.svc.cluster.local:8080/v1/items?limit=5",
                                         "tcp://db.data.svc.cluster.local:5432", "http://other.other:8000/"]
    assert [(i.number, i.reason.split(" (")[0]) for i in ignored] == [
        (3, "not valid JSON"), (4, "not an Envoy access-log line"),
        (5, "a JSON object without upstream_cluster, authority or upstream_host"),
        (6, "not an Envoy access-log line"), (7, "not an Envoy access-log line")]


def test_a_json_record_is_a_call_too():
    s = suggest_sidecar(sim(*OBJECTS), WEB, [JSON_HTTP, JSON_TCP])
    assert list(s.hosts) == ["api/api.api.svc.cluster.local", "data/db.data.svc.cluster.local", "istio-system/*"]
    assert s.proved


@pytest.mark.parametrize("call, message", [
    pytest.param('{"upstream_cluster": ', "not valid JSON", id="broken_json"),
    pytest.param(JSON_INBOUND, "inbound", id="inbound_json"),
    pytest.param('{"user_agent": "curl"}', "without upstream_cluster", id="json_without_a_destination"),
])
def test_a_bad_json_call_is_a_usage_error(call, message):
    with pytest.raises(UsageError, match=message):
        suggest_sidecar(sim(*OBJECTS), WEB, [call])


def test_suggest_reads_a_json_access_log_and_reports_bad_lines_with_their_number(tmp_path, capsys):
    log = tmp_path / "access.json"
    log.write_text("\n".join([JSON_HTTP, "{oops", JSON_TCP]) + "\n")
    assert main(["suggest", _write(tmp_path), "--workload", WEB, "--access-log", str(log)]) == 0
    out = capsys.readouterr().out
    assert "ignored: line 2: not valid JSON" in out and "every call stays ROUTED" in out


# -- istio-system/*, and the exit code when the proof fails -----------------------------------------

def test_istio_system_can_be_left_out_and_a_call_into_it_is_then_imported_by_name():
    s = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/", "http://istiod.istio-system:15014/metrics"],
                        istio_system=False)
    assert list(s.hosts) == ["api/api.api.svc.cluster.local", "istio-system/istiod.istio-system.svc.cluster.local"]
    assert s.proved
    plain = suggest_sidecar(sim(*OBJECTS), WEB, ["http://api.api:8080/"], istio_system=False)
    assert list(plain.hosts) == ["api/api.api.svc.cluster.local"]
    assert "http://istiod.istio-system:15014" in {b["target"] for b in plain.newly_blocked}


def test_suggest_no_istio_system_option(tmp_path, capsys):
    assert main(["suggest", _write(tmp_path), "--workload", WEB, "--call", "http://api.api:8080/",
                 "--no-istio-system", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["hosts"] == ["api/api.api.svc.cluster.local"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_suggest_exits_4_when_a_call_is_not_proved_routed(tmp_path, capsys, fmt):
    code = main(["suggest", _write(tmp_path), "--workload", WEB, "--call", "http://api.api:8080/",
                 "--call", "https://www.google.com", "--format", fmt])
    assert code == 5
    out = capsys.readouterr().out
    if fmt == "json":
        data = json.loads(out)
        assert data["proved"] is False and data["not_routed"] == ["https://www.google.com:443"]
    else:
        assert "1 call(s) NOT ROUTED" in out and "kind: Sidecar" in out
