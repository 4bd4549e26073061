"""Live mode against a cluster that fails: fakekube's injected faults drive one test per promise.

Nothing claimed that was not seen (an exec that fails is "could not observe", exit 4), nothing lost
(cleanup never deletes what sidecar-lab did not create; a failed apply puts back what it replaced),
by-hand commands that do exactly what the tool did, secrets never printed, every server failure one
clean line naming the server, and every wait bounded by ``--request-timeout``.

Each part of ``sidecar_lab.live`` is also used alone here (``client.connect``, ``Discovery``,
``podexec``, ``snapshot_objects``), without the ``LiveCluster`` face.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from test_live import istio_ready, kube, kubeconfig, load_seed, no_token, run, seed_exec, sidecar  # noqa: F401

pytest.importorskip("kubernetes")

from sidecar_lab import ClusterError  # noqa: E402
from sidecar_lab.cli.live import _curl_args  # noqa: E402
from sidecar_lab.core.errors import UsageError  # noqa: E402
from sidecar_lab.live import podexec  # noqa: E402
from sidecar_lab.live.client import ApiError, connect, redact, redact_url  # noqa: E402
from sidecar_lab.live.cluster import MANAGED_BY, MANAGER, LiveCluster  # noqa: E402
from sidecar_lab.live.discovery import Discovery  # noqa: E402
from sidecar_lab.live.snapshot import snapshot_objects  # noqa: E402

ISTIO = "networking.istio.io"
LABELLED = {MANAGED_BY: MANAGER}
SIDECARS = f"/apis/{ISTIO}/v1/namespaces/istioinaction/sidecars"


@pytest.fixture
def live(kubeconfig):
    cluster = LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False, timeout=2, read_timeout=5)
    yield cluster
    cluster.close()
    no_token(repr(cluster), *cluster.commands)


def one_error(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err


def check_argv(kubeconfig, *extra):
    return ["live", "check", "--kubeconfig", kubeconfig, "--from", "istioinaction/sleep", "--to",
            "http://google.com", *extra]


# --- 1. an exec that fails is "could not observe", never "curl exited 0, MATCH" --------------------------


def failing_handler(namespace, pod, container, command):
    raise RuntimeError('failed to exec in container: exec: "curl": executable file not found in $PATH')


def test_an_exec_the_runtime_cannot_start_is_not_observed_and_live_check_exits_4(kube, kubeconfig, capsys):
    load_seed(kube, "02-root-registry-only")  # the prediction is BLOCKED: "prints nothing, exits 0"
    kube.exec_handler = failing_handler
    code, out, err = run(capsys, check_argv(kubeconfig))
    assert code == 4 and err == ""
    assert "result:    COULD NOT OBSERVE" in out and "MATCH" not in out and "curl exited" not in out
    assert 'not observed: the API server reported a failure instead of an exit code: Internal error occurred: ' \
           'error executing command in container: failed to exec in container: exec: "curl": executable file not ' \
           'found in $PATH' in out
    code, out, _ = run(capsys, check_argv(kubeconfig, "--format", "json"))
    data = json.loads(out)
    assert code == 4 and data["comparison"]["outcome"] == "not-observed" and data["comparison"]["match"] is False
    assert data["observed"]["exit_code"] is None and "executable file not found" in data["observed"]["error"]


def test_an_exec_stream_cut_before_the_exit_status_is_not_observed(kube, live):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = lambda ns, pod, container, command: ("", "", 0)
    kube.inject(path=".*/exec", exec_drop=True)
    observed = podexec.exec_curl(live.conn, "istioinaction", "sleep", "http://google.com")  # the part alone
    assert observed.exit_code is None and not observed.observed
    assert observed.error.startswith("the exec stream")
    _, _, comparison = live.check("istioinaction/sleep", "http://google.com")
    assert comparison.outcome == "not-observed" and not comparison.match


def test_curl_missing_from_the_image_exit_127_is_not_observed(kube, live):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = lambda ns, pod, container, command: ("", "sh: curl: not found\n", 127)
    observed = live.exec_curl("istioinaction", "sleep", "http://google.com")
    assert observed.exit_code is None
    assert observed.error == ("curl did not run in istioinaction/sleep container sleep: exit 127, the command was "
                              "not found (is it in the image?) (sh: curl: not found)")


@pytest.mark.parametrize("fault, reason", [
    (dict(status=400, message="container sleep is not valid for pod sleep"), "container sleep is not valid"),
    (dict(status=500, message='container not found ("sleep")'), 'container not found ("sleep")'),
    (dict(drop=True), "cannot create pods/exec in namespace istioinaction: Connection to remote host was lost"),
], ids=["container gone (400)", "container gone (500)", "connection dropped"])
def test_an_exec_the_api_server_refuses_is_not_observed_in_live_check(kube, kubeconfig, capsys, fault, reason):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = seed_exec(kube)
    kube.inject(path=".*/pods/sleep/exec", **fault)
    code, out, err = run(capsys, check_argv(kubeconfig, "--format", "json"))
    data = json.loads(out)
    assert code == 4 and err == "", err
    assert data["comparison"]["outcome"] == "not-observed" and reason in data["comparison"]["not_observed"]


def test_exec_forbidden_is_not_observed_with_a_can_i_line_kubectl_accepts(kube, kubeconfig, capsys):
    load_seed(kube, "02-root-registry-only")
    kube.deny("create", "pods/exec")
    code, out, _ = run(capsys, check_argv(kubeconfig))
    assert code == 4 and "forbidden by RBAC: cannot create pods/exec in namespace istioinaction" in out
    assert "(check: kubectl auth can-i create pods --subresource=exec -n istioinaction)" in out


def test_a_walkthrough_whose_curls_cannot_run_exits_4_not_0(kube, kubeconfig, capsys):
    load_seed(kube)
    kube.exec_handler = failing_handler
    code, out, _ = run(capsys, ["live", "walkthrough", "--kubeconfig", kubeconfig, "--steps", "01", "--settle", "0",
                                "--timeout", "1", "--no-deploy"])
    assert code == 4 and "0/2 requests matched the prediction; 2 could not be observed" in out


# --- 2. cleanup never deletes what sidecar-lab did not create ----------------------------------------------


def user_pod(name="mine", namespace="istioinaction", **meta):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, **meta},
            "spec": {"containers": [{"name": "app"}]}}


def test_cleanup_keeps_the_namespace_it_created_once_a_user_put_objects_in_it(kube, live):
    istio_ready(kube)
    kube._store = {k: v for k, v in kube._store.items() if k[3] != "istioinaction"}  # not there yet
    live.deploy_seed_lab()
    kube.add(user_pod())
    kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "notes", "namespace": "istioinaction"}})
    result = live.cleanup()
    assert not result.ok and "Namespace istioinaction" not in result.deleted
    assert result.refused == ("Namespace istioinaction: it holds 2 object(s) sidecar-lab did not create (ConfigMap "
                              "istioinaction/notes, Pod istioinaction/mine); move or delete them first, or pass "
                              "--force-namespaces (force_namespaces=True) to delete them with the namespace",)
    assert kube.get_object("pods", "istioinaction", "mine") is not None
    assert kube.get_object("pods", "istioinaction", "sleep") is None  # its own objects went
    assert not any(c.startswith("kubectl delete namespace") for c in live.commands)
    again = live.cleanup(force_namespaces=True)
    assert again.deleted == ("Namespace istioinaction",) and kube.get_object("pods", "istioinaction", "mine") is None


def test_objects_kubernetes_and_istio_put_in_every_namespace_are_not_foreign(kube, live):
    istio_ready(kube)
    kube._store = {k: v for k, v in kube._store.items() if k[3] != "istioinaction"}
    live.deploy_seed_lab()
    for kind, name in (("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt"),
                       ("ConfigMap", "istio-ca-root-cert")):
        kube.add({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "istioinaction"}})
    kube.add(user_pod("httpbin-7d9-x", ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                          "name": "httpbin-7d9", "uid": "u"}]))
    kube.add({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "default-token-abc", "namespace": "istioinaction",
        "annotations": {"kubernetes.io/service-account.name": "default"}}, "data": {"token": "c2VjcmV0"}})
    assert live.cleanup().deleted[-1] == "Namespace istioinaction"


def test_a_users_secret_keeps_the_namespace_and_secrets_are_only_ever_listed_as_metadata(kube, live):
    istio_ready(kube)
    kube._store = {k: v for k, v in kube._store.items() if k[3] != "istioinaction"}
    live.deploy_seed_lab()
    kube.add({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-password", "namespace": "istioinaction"},
              "data": {"password": "aHVudGVyMg=="}})
    result = live.cleanup()
    assert "Secret istioinaction/db-password" in result.refused[0]
    secret_reads = [accept for method, path, accept in kube.headers if "/secrets" in path]
    assert secret_reads and all("as=PartialObjectMetadataList" in a for a in secret_reads)
    assert "aHVudGVyMg==" not in repr(result)


def test_a_namespace_whose_content_cannot_all_be_listed_is_kept(kube, live):
    istio_ready(kube)
    kube._store = {k: v for k, v in kube._store.items() if k[3] != "istioinaction"}
    live.deploy_seed_lab()
    kube.inject(method="GET", path="/api/v1/namespaces/istioinaction/configmaps", status=500)
    result = live.cleanup()
    assert result.refused and "could not all be checked (configmaps (cannot list configmaps in namespace " \
        "istioinaction: Internal error occurred: injected fault (InternalError) (500)))" in result.refused[0]
    assert kube.get_object("namespaces", None, "istioinaction") is not None


def test_cli_cleanup_refuses_a_labelled_namespace_holding_a_users_pod(kube, kubeconfig, capsys):
    istio_ready(kube)
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istioinaction", "labels": LABELLED}})
    kube.add(sidecar("old", labels=LABELLED))
    kube.add(user_pod())
    code, out, err = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig, "--dry-run"])
    assert code == 2 and "would delete Sidecar istioinaction/old" in out and "kubectl delete" not in out
    assert kube.get_object("sidecars", "istioinaction", "old") is not None
    code, out, err = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig])
    assert code == 2 and "deleted Sidecar istioinaction/old" in out and "error" not in out
    assert one_error(err).startswith("error: not deleted: Namespace istioinaction: it holds 1 object(s) sidecar-lab "
                                     "did not create (Pod istioinaction/mine)")
    assert kube.get_object("pods", "istioinaction", "mine") is not None
    # by hand: exactly what was deleted, never a label selector that would also take the kept namespace
    assert "$ kubectl delete sidecar -n istioinaction old" in out
    assert "delete namespace" not in out and not any("delete" in line and "-l" in line for line in out.splitlines())
    code, out, err = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig, "--force-namespaces"])
    assert (code, err) == (0, "") and "deleted Namespace istioinaction" in out
    assert "$ kubectl delete namespace istioinaction" in out


def test_a_labelled_namespace_outside_the_allow_list_is_said_and_left(kube, kubeconfig, capsys):
    istio_ready(kube)
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": LABELLED}})
    code, out, _ = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig])
    assert code == 0 and "note: Namespace payments carries the label but is outside the allow-list" in out
    assert kube.get_object("namespaces", None, "payments") is not None


# --- 3. by-hand commands that do exactly what the tool did --------------------------------------------------


def test_a_denied_apply_lists_only_the_dry_run_it_ran(kube, kubeconfig, capsys, tmp_path):
    istio_ready(kube)
    kube.admission = lambda obj, dry_run: ["egress host must be of form namespace/dnsName"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(sidecar("bad", hosts=["nope"])))
    code, out, err = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, str(path)])
    assert code == 2 and f"$ kubectl apply --dry-run=server -f {path}" in out
    assert f"$ kubectl apply -f {path}" not in out


def test_one_denial_writes_nothing_of_the_same_apply(kube, live):
    istio_ready(kube)
    kube.admission = lambda obj, dry_run: ["no"] if obj["metadata"]["name"] == "bad" else None
    results = live.apply([sidecar("good"), sidecar("bad")])
    assert [(r.name, r.action) for r in results] == [("good", "not applied"), ("bad", "denied")]
    assert kube.list_objects("sidecars") == [] and not any(r.method == "POST" and not r.query for r in kube.requests)


def test_a_denial_the_dry_run_did_not_see_undoes_the_writes_before_it(kube, live):
    istio_ready(kube)
    kube.admission = lambda obj, dry_run: None if dry_run or obj["metadata"]["name"] != "b" else ["changed its mind"]
    results = live.apply([sidecar("a"), sidecar("b")])
    assert [(r.name, r.action, r.ok) for r in results] == [("a", "rolled back", False), ("b", "denied", False)]
    assert results[0].messages == ("undone: deleted Sidecar istioinaction/a",)
    assert kube.list_objects("sidecars") == [] and live.created == []


def test_a_dry_run_of_unchanged_objects_records_no_real_apply(kube, live, tmp_path):
    istio_ready(kube)
    live.apply_sidecar(sidecar("a"))
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(sidecar("a")))
    before = list(live.commands)
    results = live.apply(path, dry_run_only=True)
    assert [(r.action, r.dry_run) for r in results] == [("unchanged", True)]
    assert live.commands == before


@pytest.mark.parametrize("path, hint", [
    ("/version", "kubectl auth can-i get /version"),
    ("/apis", "kubectl auth can-i get /apis"),
])
def test_a_forbidden_discovery_call_gives_a_can_i_line_kubectl_accepts(kube, kubeconfig, capsys, path, hint):
    load_seed(kube)
    kube.inject(path=f"{path}/?", status=403, message=f'forbidden: User "fake" cannot get path "{path}"')
    code, _, err = run(capsys, ["resolve", "--live", "--kubeconfig", kubeconfig, "--all"])
    assert code == 2 and one_error(err).rstrip().endswith(f"(check: {hint})")


def test_a_forbidden_list_across_namespaces_checks_it_across_namespaces(kube, live):
    load_seed(kube)
    kube.deny("list", "services")
    with pytest.raises(ClusterError, match=r"\(check: kubectl auth can-i list services --all-namespaces\)$"):
        live.snapshot()


# --- 4. secrets: URL userinfo redacted everywhere, a failing exec plugin folded into one line -------------------


def test_a_password_in_the_server_url_is_never_printed(kube, tmp_path, capsys):
    load_seed(kube)
    config = kube.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = kube.url.replace("http://", "http://admin:pw-s3cret@")
    path = tmp_path / "userinfo"
    path.write_text(yaml.safe_dump(config))
    outputs = []
    for argv in (["live", "preflight"], ["live", "snapshot"], ["resolve", "--live", "--all"],
                 ["live", "check", "--from", "istioinaction/sleep", "--to", "http://google.com"]):
        code, out, err = run(capsys, [*argv, "--kubeconfig", str(path)])
        outputs += [out, err]
    assert any("http://***@127.0.0.1" in o for o in outputs)
    assert not any("pw-s3cret" in o or "admin:" in o for o in outputs)
    kube.stop()  # and in an error message about the server
    code, _, err = run(capsys, ["live", "preflight", "--kubeconfig", str(path)])
    assert code == 2 and "pw-s3cret" not in err and "http://***@127.0.0.1" in one_error(err)


def test_a_failing_exec_credential_plugin_is_one_error_line(kube, tmp_path, capsys):
    config = kube.kubeconfig()
    config["users"][0]["user"] = {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
        "args": ["-c", "import sys; sys.stderr.write('token expired for Bearer abc123secret: run login'); "
                       "sys.exit(1)"]}}
    path = tmp_path / "plugin"
    path.write_text(yaml.safe_dump(config))
    code, out, err = run(capsys, ["live", "preflight", "--kubeconfig", str(path)])
    assert (code, out) == (2, "")
    assert one_error(err).startswith("error: cannot get credentials for context 'fake': its exec credential plugin "
                                     "failed (exec: process returned 1. token expired for Bearer *** run login)")
    assert "abc123secret" not in err and kube.requests == []


@settings(max_examples=80, deadline=None)
@given(user=st.text(alphabet="abcXYZ019-._~!$&'()*+,;=%", min_size=1, max_size=12),
       password=st.text(alphabet="abcXYZ019-._~!$&'()*+,;=%:", min_size=1, max_size=12),
       port=st.integers(min_value=1, max_value=65535))
def test_userinfo_never_survives_redaction(user, password, port):
    url = f"https://{user}:{password}@kube.example:{port}/api"
    for text in (redact_url(url), redact(f"cannot reach {url}: refused")):
        assert f"{user}:{password}@" not in text and "https://***@kube.example" in text


# --- 5. truncated and HTML answers, bad --curl-args, cleanup errors on stderr ------------------------------------


@pytest.mark.parametrize("fault, words", [
    (dict(truncate=True), "was cut off mid-body"),
    (dict(html=True), "with an HTML page (text/html), not the Kubernetes API"),
    (dict(drop=True), "the connection to the Kubernetes API server at"),
], ids=["truncated body", "HTML login page", "connection dropped mid-request"])
def test_a_broken_answer_to_a_list_is_one_clean_error_naming_the_server(kube, kubeconfig, capsys, fault, words):
    load_seed(kube)
    kube.inject(method="GET", path="/api/v1/pods", **fault)
    code, out, err = run(capsys, ["resolve", "--live", "--kubeconfig", kubeconfig, "--all"])
    assert (code, out) == (2, "")
    assert words in one_error(err) and kube.url in err


def test_an_html_answer_to_the_first_call_is_one_clean_error(kube, kubeconfig, capsys):
    kube.inject(path="/version/?", html=True)
    code, _, err = run(capsys, ["live", "preflight", "--kubeconfig", kubeconfig])
    assert code == 2 and "a proxy's login or error page?" in one_error(err)


def test_a_truncated_answer_read_by_the_snapshot_part_alone_is_an_api_error(kube, kubeconfig):
    load_seed(kube)
    conn = connect(kubeconfig)
    try:
        kube.inject(method="GET", path=f"/apis/{ISTIO}/v1/sidecars", truncate=True)
        with pytest.raises(ApiError, match="cut off"):
            snapshot_objects(conn, Discovery(conn))
    finally:
        conn.close()


def test_unbalanced_curl_args_are_a_usage_error_before_any_request(kube, kubeconfig, capsys):
    code, out, err = run(capsys, check_argv(kubeconfig, "--curl-args", "'x"))
    assert (code, out) == (2, "")
    assert one_error(err) == "error: --curl-args \"'x\": No closing quotation (quote the way a shell would, e.g. " \
                             "--curl-args '-s -m 5')\n"
    assert kube.requests == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab -'\"\\$", max_size=12))
def test_any_curl_args_either_split_or_are_a_usage_error(text):
    try:
        assert isinstance(_curl_args(text), list)
    except UsageError as exc:
        assert str(exc).startswith("--curl-args")


def test_a_failed_cleanup_prints_its_errors_on_stderr(kube, kubeconfig, capsys):
    istio_ready(kube)
    kube.add(sidecar("old", labels=LABELLED))
    kube.inject(method="DELETE", path=f"{SIDECARS}/old", status=500)
    code, out, err = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig])
    assert code == 2 and "error" not in out
    assert err == "error: Sidecar istioinaction/old: cannot delete sidecars in namespace istioinaction: Internal " \
                  "error occurred: injected fault (InternalError) (500)\n"


# --- 6. a kind discovery advertises but will not list is an error, not "no CRD" -------------------------------------


def test_a_404_listing_sidecars_while_discovery_advertises_them_is_an_error(kube, kubeconfig, capsys):
    load_seed(kube, "04-namespace-registry-only")
    kube.inject(method="GET", path=f"/apis/{ISTIO}/v1/sidecars", status=404)
    code, out, err = run(capsys, ["check", "--live", "--kubeconfig", kubeconfig, "--from", "istioinaction/sleep",
                                  "--to", "http://google.com"])
    assert (code, out) == (2, "")
    assert one_error(err).startswith(f"error: the Kubernetes API server at {kube.url} (context fake) advertises "
                                     "sidecars.networking.istio.io (v1, v1beta1, v1alpha3) but answered 404 Not Found "
                                     "to listing them")


def test_without_the_crd_the_snapshot_still_says_not_installed(kube, kubeconfig):
    load_seed(kube, crds=False)
    conn = connect(kubeconfig)
    try:
        objects, notes = snapshot_objects(conn, Discovery(conn))
    finally:
        conn.close()
    assert not any(o["kind"] == "Sidecar" for o in objects)
    assert "the Sidecar CRD (sidecars.networking.istio.io) is not installed: no Sidecars read" in notes


def test_a_404_getting_one_sidecar_without_naming_it_is_not_taken_for_absent(kube, live):
    istio_ready(kube)
    kube.inject(method="GET", path=f"{SIDECARS}/default", status=404)  # "the server could not find the resource"
    with pytest.raises(ApiError, match="advertises sidecars.networking.istio.io"):
        live.apply_sidecar(sidecar("default"))
    assert not any(r.method == "POST" for r in kube.requests)  # nothing created over what may exist


# --- 7. an apply that fails midway puts back what it replaced ------------------------------------------------------


def theirs():
    obj = sidecar("a", mode="ALLOW_ANY", labels={"team": "payments"})
    obj["metadata"]["annotations"] = {"owner": "payments"}
    return obj


@pytest.mark.parametrize("fault", [dict(status=500), dict(status=409, message="Operation cannot be fulfilled"),
                                   dict(drop=True)], ids=["500", "409", "connection dropped"])
def test_an_apply_failing_midway_restores_the_sidecar_it_replaced(kube, kubeconfig, capsys, tmp_path, fault):
    istio_ready(kube)
    kube.add(theirs())
    before = kube.get_object("sidecars", "istioinaction", "a")
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump_all([sidecar("a", mode="REGISTRY_ONLY"), sidecar("b")]))
    kube.inject(method="POST", path=SIDECARS, dry_run=False, **fault)  # the second object's real create
    code, out, err = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, str(path)])
    assert (code, out) == (2, "")
    assert one_error(err).rstrip().endswith("; undone: restored Sidecar istioinaction/a")
    after = kube.get_object("sidecars", "istioinaction", "a")
    assert after["spec"] == before["spec"] and after["metadata"]["labels"] == {"team": "payments"}
    assert after["metadata"]["annotations"] == {"owner": "payments"}
    assert kube.get_object("sidecars", "istioinaction", "b") is None


def test_an_apply_failing_midway_deletes_what_it_created_and_records_the_undo(kube, live):
    istio_ready(kube)
    kube.inject(method="PUT", path=f"{SIDECARS}/a", dry_run=False, status=500)  # b is created, then a fails
    kube.add(theirs())
    with pytest.raises(ApiError, match=r"; undone: deleted Sidecar istioinaction/b$"):
        live.apply([sidecar("b"), sidecar("a")])
    assert kube.get_object("sidecars", "istioinaction", "b") is None
    assert "kubectl delete sidecar -n istioinaction b" in live.commands
    assert live.created == []


def test_rollback_puts_back_a_replaced_sidecar_unless_someone_changed_it_since(kube, live):
    istio_ready(kube)
    kube.add(theirs())
    kube.add(sidecar("c", mode="ALLOW_ANY"))
    live.apply([sidecar("a"), sidecar("c")])
    edited = kube.get_object("sidecars", "istioinaction", "c")
    edited["spec"]["outboundTrafficPolicy"]["mode"] = "ALLOW_ANY"
    kube.add(edited)  # someone else's change after sidecar-lab's
    result = live.rollback()
    assert result.restored == ("restored Sidecar istioinaction/a",
                               "Sidecar istioinaction/c not restored: it was changed since sidecar-lab's write "
                               "(by someone else?)")
    assert kube.get_object("sidecars", "istioinaction", "a")["spec"]["outboundTrafficPolicy"]["mode"] == "ALLOW_ANY"
    assert any(c.startswith("kubectl replace -f - <<'EOF'") for c in live.commands)


def test_leaving_a_with_block_on_an_error_rolls_back_what_was_replaced(kube, kubeconfig):
    istio_ready(kube)
    kube.add(theirs())
    with pytest.raises(RuntimeError):
        with LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False) as live:
            live.apply_sidecar(sidecar("a"))
            raise RuntimeError("the notebook cell failed")
    assert kube.get_object("sidecars", "istioinaction", "a")["spec"]["outboundTrafficPolicy"]["mode"] == "ALLOW_ANY"


# --- 8. every wait follows --request-timeout --------------------------------------------------------------------------


def test_a_slow_list_times_out_after_the_request_timeout(kube, kubeconfig, capsys):
    load_seed(kube)
    kube.inject(method="GET", path="/api/v1/pods", delay=2.5)
    start = time.monotonic()
    code, _, err = run(capsys, ["resolve", "--live", "--kubeconfig", kubeconfig, "--all", "--request-timeout", "0.4"])
    assert time.monotonic() - start < 2.0
    assert code == 2 and "did not answer list pods within 0.4 s" in one_error(err)


def test_the_request_timeout_sets_both_limits_and_defaults_stay_5_and_30(kube, kubeconfig):
    from sidecar_lab.cli.live import _connect
    import argparse

    for given_, expected in ((None, (5.0, 30.0)), (7.0, (7.0, 7.0))):
        live = _connect(argparse.Namespace(kubeconfig=kubeconfig, context=None, in_cluster=False,
                                           request_timeout=given_))
        try:
            assert (live.timeout, live.read_timeout) == expected
        finally:
            live.close()


@pytest.mark.parametrize("text", ["0", "-3", "soon", "inf"])
def test_a_request_timeout_that_is_not_a_positive_number_is_a_usage_error(kubeconfig, capsys, text):
    code, _, err = run(capsys, ["live", "preflight", "--kubeconfig", kubeconfig, "--request-timeout", text])
    assert code == 2 and "invalid number of seconds" in one_error(err)


def test_help_documents_the_could_not_observe_exit_code(capsys):
    for argv in (["--help"], ["live", "--help"], ["live", "check", "--help"], ["live", "walkthrough", "--help"]):
        with pytest.raises(SystemExit):
            from sidecar_lab.cli import main

            main(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert "4 live: could not observe" in out or "4 could not observe" in out, argv
