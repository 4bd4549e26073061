"""A live cluster, for real: the official ``kubernetes`` client over real HTTP (and exec over a real
WebSocket) against fakekube, a local server that speaks the Kubernetes REST API.

Every test uses a bearer token that must never appear in any output or error message.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from fakekube import FakeKube

pytest.importorskip("kubernetes")

from sidecar_lab import ClusterError, Simulator, UsageError, load, load_text  # noqa: E402
from sidecar_lab.cli import main  # noqa: E402
from sidecar_lab.live.compare import (  # noqa: E402
    Observation, blog_agrees, classify, compare, observed_vocabulary, predict, walkthrough_steps,
)
from sidecar_lab.live.cluster import MANAGED_BY, MANAGER, LiveCluster, WriteRefused  # noqa: E402
from sidecar_lab.core.traffic import check  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed"
TOKEN = "s3cr3t-token-never-print-me"
ISTIO = "networking.istio.io"
GOOGLE_301 = ('<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n'
              "<TITLE>301 Moved</TITLE></HEAD><BODY>\n<H1>301 Moved</H1>\nThe document has moved\n"
              '<A HREF="http://www.google.com/">here</A>.\r\n</BODY></HTML>\r\n')
OBSERVATIONS = yaml.safe_load((SEED / "observations.yaml").read_text(encoding="utf-8"))
REQUESTS = [o for o in OBSERVATIONS if o["kind"] == "request"]


def no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in str(text)


def sidecar(name, namespace="istioinaction", mode="REGISTRY_ONLY", hosts=None, **meta):
    spec = {"outboundTrafficPolicy": {"mode": mode}}
    if hosts is not None:
        spec["egress"] = [{"hosts": list(hosts)}]
    return {"apiVersion": f"{ISTIO}/v1", "kind": "Sidecar",
            "metadata": {"name": name, "namespace": namespace, **meta}, "spec": spec}


def istio_ready(kube: FakeKube) -> None:
    """The Istio CRDs and the lab's namespaces, nothing else."""
    kube.install_istio_crds()
    for name in ("istio-system", "istioinaction"):
        kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def load_seed(kube: FakeKube, step: str | None = None, *, inject: bool = True, crds: bool = True) -> None:
    """The seed's cluster/ (and a step's Sidecars) in the fake server; the sleep pod injected."""
    if crds:
        kube.install_istio_crds()
    for path in sorted((SEED / "cluster").glob("*.yaml")):
        kube.load(path.read_text(encoding="utf-8"))
    if step:
        kube.load((SEED / "steps" / step / "sidecars.yaml").read_text(encoding="utf-8"))
    if inject:
        pod = kube.get_object("pods", "istioinaction", "sleep")
        pod["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.0"})
        kube.add(pod)


def curl_reply(command: list, stdout: str, status: int, redirect_url: str = "", stderr: str = "", code: int = 0):
    """What curl run as ``command`` prints: ``stdout``, then its ``-w``/``--write-out`` format filled in
    (``%{http_code}``, ``%{redirect_url}``, ``\\n``) as curl does, when the command has one."""
    values = {"http_code": f"{status:03d}", "redirect_url": redirect_url, "size_download": str(len(stdout))}
    out = stdout
    for i, arg in enumerate(command[:-1]):
        if arg in ("-w", "--write-out"):
            out = stdout + re.sub(r"%\{(\w+)\}", lambda m: values.get(m.group(1), ""),
                                  command[i + 1]).replace("\\n", "\n")
    return out, stderr, code


def seed_exec(kube: FakeKube):
    """An exec handler that answers like the seed's cluster: httpbin's /ip, Google's 301 unless the
    governing Sidecar is REGISTRY_ONLY (then block_all's empty 502), and growing xDS counters for pilot-agent."""
    pushes = {"n": 0}

    def handler(namespace, pod, container, command):
        if command[0] == "pilot-agent":
            pushes["n"] += 1
            return (f"listener_manager.lds.update_success: {pushes['n']}\n"
                    f"cluster_manager.cds.update_success: {pushes['n']}\n"), "", 0
        url = command[-1]
        if "httpbin.istioinaction" in url:
            return curl_reply(command, '{\n  "origin": "127.0.0.6:4321"\n}\n', 200)
        if "httpbin.default" in url:
            return curl_reply(command, '{\n  "origin": "10.10.0.14:51234"\n}\n', 200)
        if "google.com" in url:  # the workload's, else the namespace's, else the root Sidecar decides
            governing = (kube.get_object("sidecars", "istioinaction", "workload")
                         or kube.get_object("sidecars", "istioinaction", "default")
                         or kube.get_object("sidecars", "istio-system", "default") or {})
            blocked = (governing.get("spec") or {}).get("outboundTrafficPolicy", {}).get("mode") == "REGISTRY_ONLY"
            return curl_reply(command, "", 502) if blocked else \
                curl_reply(command, GOOGLE_301, 301, "http://www.google.com/")
        return curl_reply(command, "", 0, stderr="curl: (6) Could not resolve host\n", code=6)

    return handler


@pytest.fixture
def kube():
    with FakeKube(token=TOKEN) as server:
        yield server
    assert not server.errors, "fakekube failed internally:\n" + "\n".join(server.errors)


@pytest.fixture
def kubeconfig(kube, tmp_path):
    return str(kube.write_kubeconfig(tmp_path / "kubeconfig"))


@pytest.fixture
def live(kubeconfig):
    cluster = LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False)
    yield cluster
    cluster.close()
    no_token(repr(cluster), *cluster.commands)


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    no_token(out, err)
    return code, out, err


def writes(kube):
    return [(r.method, r.path, r.query) for r in kube.requests if r.method not in ("GET",)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- connecting ----------------------------------------------------------------------------------


def test_importing_live_does_not_import_kubernetes():
    code = ("import sys, pkgutil, importlib, sidecar_lab.live, sidecar_lab.cli\n"
            "for m in pkgutil.iter_modules(sidecar_lab.live.__path__): importlib.import_module('sidecar_lab.live.' + m.name)\n"
            "print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_connect_through_a_written_kubeconfig_reads_the_server_version(kube, kubeconfig):
    kube.set_version("1", "30", "v1.30.2")
    with LiveCluster.connect(kubeconfig=kubeconfig, context="fake") as live:
        assert (live.server_version, live.context, live.server) == ("v1.30.2", "fake", kube.url)
        assert "Bearer" not in repr(live) and TOKEN not in repr(live)
    assert [r.path.rstrip("/") for r in kube.requests] == ["/version"]


def test_connect_to_an_unknown_context_names_the_known_ones(kubeconfig):
    with pytest.raises(ClusterError) as caught:
        LiveCluster.connect(kubeconfig=kubeconfig, context="prod")
    assert "no context 'prod'" in str(caught.value) and "fake" in str(caught.value)


def test_connect_without_any_kubeconfig_says_how_to_get_a_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with pytest.raises(ClusterError) as caught:
        LiveCluster.connect()
    assert "no kubeconfig" in str(caught.value) and "kind create cluster" in str(caught.value)


def test_connect_in_cluster_outside_a_pod_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ClusterError, match="no in-cluster configuration"):
        LiveCluster.connect(in_cluster=True)


def test_connection_refused_is_one_clear_error_within_a_second(kube, tmp_path):
    config = kube.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{free_port()}"
    path = tmp_path / "dead"
    path.write_text(yaml.safe_dump(config))
    start = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        LiveCluster.connect(kubeconfig=str(path))
    assert time.monotonic() - start < 1.5
    message = str(caught.value)
    assert "connection refused" in message and "\n" not in message
    no_token(message)


def test_expired_credentials_are_a_401_error_without_the_token(kube, kubeconfig):
    kube.token = "rotated-token"
    with pytest.raises(ClusterError) as caught:
        LiveCluster.connect(kubeconfig=kubeconfig)
    assert "401 Unauthorized" in str(caught.value)
    no_token(str(caught.value))


# --- preflight ---------------------------------------------------------------------------------------


def test_preflight_of_the_seed_cluster_is_ready_and_reads_istios_version(kube, live):
    load_seed(kube)
    report = live.preflight()
    assert report.ok, report.text()
    assert report.istio_version == "1.26.0"
    assert "ALLOW_ANY" in report.item("mesh config").detail
    assert "istioinaction (istio-injection=enabled)" in report.item("injection").detail
    assert report.item("sleep pod").ok
    assert "istioctl version" in report.commands and any("get crd sidecars" in c for c in report.commands)


def test_preflight_without_the_sidecar_crd_gives_the_install_fix_line(kube, live):
    report = live.preflight()
    crd = report.item("Sidecar CRD")
    assert not crd.ok and crd.fix == "istioctl install --set profile=default -y"
    assert not report.ok and "fix: istioctl install" in report.text()


def test_preflight_without_istiod_says_to_install_istio(kube, live):
    kube.install_istio_crds()
    report = live.preflight()
    assert report.item("Sidecar CRD").ok
    istiod = report.item("istiod")
    assert not istiod.ok and "no istiod deployment" in istiod.detail and istiod.fix.startswith("istioctl install")
    assert not report.item("Istio version").ok and not report.item("mesh config").ok


@pytest.mark.parametrize("labels, image, version", [
    ({"app": "istiod"}, "docker.io/istio/pilot:1.24.3-distroless", "1.24.3"),
    ({"app": "istiod", "operator.istio.io/version": "1.22.1"}, "gcr.io/istio-release/pilot", "1.22.1"),
    ({"app": "istiod", "istio.io/rev": "canary"}, "example.com/pilot@sha256:abc", "revision canary"),
])
def test_preflight_reads_istios_version_from_istiods_labels_or_image(kube, live, labels, image, version):
    kube.install_istio_crds()
    kube.add({"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "istiod", "namespace": "istio-system", "labels": labels},
              "spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": image}]}}}})
    assert live.preflight().istio_version == version


def test_preflight_flags_an_uninjected_lab_namespace_with_the_label_command(kube, live):
    load_seed(kube)
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istioinaction"}})
    report = live.preflight()
    item = report.item("lab namespace")
    assert not item.ok and item.fix == "kubectl label namespace istioinaction istio-injection=enabled"
    assert not report.item("injection").ok
    assert report.ok  # the cluster itself can still be snapshotted


def test_preflight_says_when_the_sleep_pod_was_never_injected(kube, live):
    load_seed(kube, inject=False)
    item = live.preflight().item("sleep pod")
    assert not item.ok and "no istio-proxy" in item.detail and "delete pod -n istioinaction sleep" in item.fix


def test_preflight_under_rbac_reports_the_denied_read(kube, live):
    load_seed(kube)
    kube.deny("list", "deployments", "istio-system")
    item = live.preflight().item("istiod")
    assert not item.ok and "cannot list deployments" in item.detail
    no_token(item.detail)


# --- snapshot ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(p.name for p in (SEED / "steps").iterdir()))
def test_snapshot_of_the_seed_predicts_exactly_like_the_files(kube, live, step):
    load_seed(kube, step)
    files = Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / step)]))
    cluster = Simulator(live.snapshot())
    assert sorted((s.namespace, s.name) for s in cluster.mesh.sidecars) == \
        sorted((s.namespace, s.name) for s in files.mesh.sidecars)
    a, b = files.resolve("istioinaction/sleep"), cluster.resolve("istioinaction/sleep")
    assert (a.proxy, a.scope, a.sidecar, a.mode) == (b.proxy, b.scope, b.sidecar, b.mode)
    targets = {o["to"] for o in REQUESTS} | {"http://httpbin.default:8000/headers", "https://google.com"}
    for target in sorted(targets):
        p, q = check(files, "istioinaction/sleep", target), check(cluster, "istioinaction/sleep", target)
        assert (p.verdict, p.envoy, p.curl_exit, p.destination_sees_source) == \
            (q.verdict, q.envoy, q.curl_exit, q.destination_sees_source), target


def test_snapshot_keeps_only_what_the_simulator_reads(kube, live):
    load_seed(kube)
    kube.add({"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "web", "namespace": "default", "managedFields": [{"manager": "kubectl"}],
                           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "a": "b"}},
              "spec": {"containers": [{"name": "app", "image": "web", "env": [{"name": "PASSWORD", "value": "pw"}],
                                       "ports": [{"containerPort": 80, "name": "http"}]}]}})
    objects, _ = live.snapshot_objects()
    web = next(o for o in objects if o["kind"] == "Pod" and o["metadata"]["name"] == "web")
    assert "managedFields" not in web["metadata"] and web["metadata"]["annotations"] == {"a": "b"}
    assert web["spec"] == {"containers": [{"name": "app", "image": "web",
                                           "ports": [{"name": "http", "containerPort": 80}]}]}
    assert "PASSWORD" not in live.snapshot_yaml()


def test_snapshot_without_istio_crds_notes_it_and_still_resolves(kube, live):
    load_seed(kube, crds=False)
    mesh = live.snapshot()
    assert mesh.sidecars == ()
    assert any("Sidecar CRD" in n and "not installed" in n for n in mesh.notes)
    assert Simulator(mesh).resolve("istioinaction/sleep").scope == "default"


def test_snapshot_yaml_loads_back_into_the_same_predictions(kube, live):
    load_seed(kube, "06-workload-hosts")
    text = live.snapshot_yaml()
    assert text.startswith("# A snapshot of cluster fake")
    again, direct = Simulator(load_text(text, "snap.yaml")), Simulator(live.snapshot())
    for target in ("http://httpbin.default:8000/ip", "http://httpbin.istioinaction:8000/ip", "http://google.com"):
        assert check(again, "istioinaction/sleep", target).verdict == check(direct, "istioinaction/sleep", target).verdict


def test_snapshot_forbidden_to_list_pods_names_verb_and_resource_without_the_token(kube, live):
    load_seed(kube)
    kube.deny("list", "pods")
    with pytest.raises(ClusterError) as caught:
        live.snapshot()
    message = str(caught.value)
    assert message.startswith("forbidden by RBAC: cannot list pods") and "kubectl auth can-i list pods" in message
    no_token(message)


# --- apply, patch, delete --------------------------------------------------------------------------------


def test_apply_runs_a_server_dry_run_before_the_real_create(kube, live):
    istio_ready(kube)
    result = live.apply_sidecar(sidecar("default"))
    assert result.ok and result.action == "created" and result.generation == 1
    posts = [(r.path, r.query) for r in kube.requests if r.method == "POST"]
    path = f"/apis/{ISTIO}/v1/namespaces/istioinaction/sidecars"
    assert posts == [(path, {"dryRun": ["All"]}), (path, {})]
    assert "kubectl apply --dry-run=server -f -" in live.commands[-2] and "kubectl apply -f -" in result.command


def test_created_objects_carry_the_managed_by_label(kube, live):
    istio_ready(kube)
    live.apply_sidecar(sidecar("default", labels={"team": "lab"}))
    stored = kube.get_object("sidecars", "istioinaction", "default")
    assert stored["metadata"]["labels"] == {"team": "lab", MANAGED_BY: MANAGER}


def test_apply_of_the_seed_file_keeps_its_version_and_drops_its_timestamp(kube, live):
    istio_ready(kube)
    path = SEED / "steps" / "03-namespace-allow-any" / "sidecars.yaml"
    results = live.apply(path)
    assert [(r.ref, r.action) for r in results] == [("istio-system/default", "created"),
                                                    ("istioinaction/default", "created")]
    assert results[0].command == f"kubectl apply -f {path}"
    assert live.commands == [f"kubectl apply --dry-run=server -f {path}", f"kubectl apply -f {path}"]
    assert all(r.path.startswith(f"/apis/{ISTIO}/v1alpha3/") for r in kube.requests if r.method == "POST")
    assert kube.get_object("sidecars", "istio-system", "default")["metadata"]["creationTimestamp"] != \
        "2025-06-01T10:00:00Z"


def test_reapplying_an_edited_sidecar_replaces_it_after_a_dry_run(kube, live):
    istio_ready(kube)
    live.apply_sidecar(sidecar("default", mode="ALLOW_ANY"))
    again = live.apply_sidecar(sidecar("default", mode="ALLOW_ANY"))
    assert again.action == "unchanged"
    edited = live.apply_sidecar(sidecar("default", mode="REGISTRY_ONLY"))
    assert (edited.action, edited.generation) == ("configured", 2)
    puts = [r.query for r in kube.requests if r.method == "PUT"]
    assert puts == [{"dryRun": ["All"]}, {}]
    stored = kube.get_object("sidecars", "istioinaction", "default")
    assert stored["spec"]["outboundTrafficPolicy"]["mode"] == "REGISTRY_ONLY"
    assert stored["metadata"]["labels"][MANAGED_BY] == MANAGER
    assert [str(r) for r in live.created] == ["Sidecar istioinaction/default"]


@pytest.mark.parametrize("errors", [
    ["sidecar: egress host must be of form namespace/dnsName: nope"],
    ["first problem", "second problem"],
])
def test_admission_denial_comes_back_as_validation_messages_and_stores_nothing(kube, live, errors):
    istio_ready(kube)
    seen = []
    kube.admission = lambda obj, dry_run: seen.append(dry_run) or errors
    result = live.apply_sidecar(sidecar("bad", hosts=["nope"]))
    assert not result.ok and result.action == "denied" and result.dry_run
    assert list(result.messages) == [
        f'admission webhook "validation.istio.io" denied the request: configuration is invalid: {e}' for e in errors]
    assert result.predicted_messages  # sidecar-lab's own validation also rejects "nope"
    assert seen == [True]  # only the dry run reached the webhook
    assert kube.get_object("sidecars", "istioinaction", "bad") is None and live.created == []
    assert "denied" in result.text() and errors[0] in result.text()


def test_writes_outside_the_allow_list_are_refused_without_any_request(kube, live):
    istio_ready(kube)
    before = len(kube.requests)
    with pytest.raises(WriteRefused, match="not in the allow-list"):
        live.apply_sidecar(sidecar("x", namespace="kube-system"))
    with pytest.raises(WriteRefused):
        live.apply([sidecar("ok"), sidecar("x", namespace="payments")])
    with pytest.raises(WriteRefused):
        live.delete_sidecar("payments", "x")
    with pytest.raises(WriteRefused):
        live.patch_sidecar("kube-system", "x", {"spec": {}})
    assert len(kube.requests) == before


def test_apply_forbidden_by_rbac_names_the_verb_and_resource_and_hides_the_token(kube, live):
    istio_ready(kube)
    kube.deny("create", "sidecars", "istioinaction")
    with pytest.raises(ClusterError) as caught:
        live.apply_sidecar(sidecar("default"))
    message = str(caught.value)
    assert message.startswith("forbidden by RBAC: cannot create sidecars in namespace istioinaction")
    assert 'cannot create resource "sidecars"' in message
    no_token(message)


def test_apply_without_the_sidecar_crd_says_to_install_istio(kube, live):
    with pytest.raises(ClusterError, match=r"Sidecar CRD \(sidecars.networking.istio.io\) is not installed"):
        live.apply_sidecar(sidecar("default"))


def test_patch_merges_into_the_sidecar_and_delete_removes_it(kube, live):
    istio_ready(kube)
    live.apply_sidecar(sidecar("default", mode="ALLOW_ANY"))
    patched = live.patch_sidecar("istioinaction", "default", {"spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}})
    assert patched.ok and patched.generation == 2
    assert [r.query for r in kube.requests if r.method == "PATCH"] == [{"dryRun": ["All"]}, {}]
    assert "kubectl patch sidecar -n istioinaction default --type merge -p" in patched.command
    gone = live.delete_sidecar("istioinaction", "default")
    assert (gone.action, gone.command) == ("deleted", "kubectl delete sidecar -n istioinaction default")
    assert live.delete_sidecar("istioinaction", "default").action == "absent"
    assert kube.get_object("sidecars", "istioinaction", "default") is None and live.created == []


# --- cleanup and the seed lab ------------------------------------------------------------------------------


def test_cleanup_deletes_exactly_what_the_session_created(kube, live):
    istio_ready(kube)
    kube.add(sidecar("theirs", namespace="default"))
    live.apply_sidecar(sidecar("default"))
    live.apply_sidecar(sidecar("default", namespace="istio-system"))
    live.apply_sidecar(sidecar("theirs", namespace="default", mode="ALLOW_ANY"))  # changed, not created
    result = live.cleanup()
    assert result.deleted == ("Sidecar istio-system/default", "Sidecar istioinaction/default")
    assert result.kept == ("Sidecar default/theirs",)
    assert [s["metadata"]["name"] for s in kube.list_objects("sidecars")] == ["theirs"]
    assert live.cleanup().deleted == ()


def test_cleanup_runs_when_the_with_block_raises(kube, kubeconfig):
    istio_ready(kube)
    with pytest.raises(RuntimeError):
        with LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False) as live:
            live.apply_sidecar(sidecar("default"))
            assert kube.get_object("sidecars", "istioinaction", "default") is not None
            raise RuntimeError("the notebook cell failed")
    assert kube.list_objects("sidecars") == []


def test_leaving_the_with_block_cleans_up_by_default(kube, kubeconfig):
    istio_ready(kube)
    with LiveCluster.connect(kubeconfig=kubeconfig) as live:
        live.apply_sidecar(sidecar("default"))
    assert kube.list_objects("sidecars") == []


def test_deploy_seed_lab_creates_the_lab_labelled_and_never_touches_istio(kube, live):
    kube.install_istio_crds()
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}})
    result = live.deploy_seed_lab()
    assert set(result.created) == {
        "Namespace istioinaction", "ServiceAccount istioinaction/httpbin", "Service istioinaction/httpbin",
        "Deployment istioinaction/httpbin", "ServiceAccount default/httpbin", "Service default/httpbin",
        "Deployment default/httpbin", "Pod istioinaction/sleep"}
    ns = kube.get_object("namespaces", None, "istioinaction")
    assert ns["metadata"]["labels"] == {"istio-injection": "enabled", MANAGED_BY: MANAGER}
    svc = kube.get_object("services", "istioinaction", "httpbin")
    assert svc["metadata"]["labels"][MANAGED_BY] == MANAGER and svc["spec"]["clusterIP"] != "10.96.100.10"
    assert not any("istio-system" in path for _, path, _ in writes(kube))
    assert any(c.startswith("kubectl run -n istioinaction sleep --image=nginx:alpine") for c in result.commands)
    again = live.deploy_seed_lab()
    assert again.created == () and "Pod istioinaction/sleep" in again.existing
    cleaned = live.cleanup()
    assert cleaned.deleted[-1] == "Namespace istioinaction"
    assert kube.get_object("services", "default", "httpbin") is None
    assert kube.get_object("namespaces", None, "default") is not None


def test_waiting_for_the_lab_is_bounded_and_ends_when_its_pods_are_ready(kube, live):
    load_seed(kube)
    result = live.wait_for_lab(timeout=0.2, poll=0.05)
    assert not result.ok and "not ready: istioinaction app=httpbin, default app=httpbin" in result.message
    for ns in ("istioinaction", "default"):
        kube.add({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "httpbin-1", "namespace": ns, "labels": {"app": "httpbin"}},
                  "spec": {"containers": [{"name": "httpbin"}]},
                  "status": {"phase": "Running", "containerStatuses": [{"name": "httpbin", "ready": True}]}})
    assert live.wait_for_lab(timeout=1).ok


def test_cleanup_labelled_deletes_only_labelled_objects_in_allowed_namespaces(kube, kubeconfig):
    istio_ready(kube)
    labelled = {MANAGED_BY: MANAGER}
    kube.add(sidecar("old-run", labels=labelled))
    kube.add(sidecar("hand-made"))
    kube.add(sidecar("elsewhere", namespace="payments", labels=labelled))
    kube.add({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sleep", "namespace": "istioinaction",
                                                            "labels": labelled}, "spec": {"containers": [{"name": "s"}]}})
    with LiveCluster.connect(kubeconfig=kubeconfig) as live:
        result = live.cleanup_labelled()
    assert set(result.deleted) == {"Sidecar istioinaction/old-run", "Pod istioinaction/sleep"}
    names = sorted(s["metadata"]["name"] for s in kube.list_objects("sidecars"))
    assert names == ["elsewhere", "hand-made"]


# --- exec -----------------------------------------------------------------------------------------------


def test_exec_curl_returns_what_curl_printed_and_its_exit_code(kube, live):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = seed_exec(kube)
    ok = live.exec_curl("istioinaction", "sleep", "http://httpbin.istioinaction:8000/ip")
    assert (classify(ok), observed_vocabulary(ok), ok.exit_code, ok.timed_out) == (
        "origin", {"prints": "origin", "origin": "127.0.0.6"}, 0, False)
    assert ok.source_has_proxy is True and ok.container == "sleep"
    assert ok.command == ("kubectl exec -n istioinaction sleep -c sleep -- curl -s -w "
                          "'\\n[sidecar-lab] %{http_code} %{redirect_url}\\n' http://httpbin.istioinaction:8000/ip")
    assert (ok.stdout, ok.http_status, ok.redirect_url) == ('{\n  "origin": "127.0.0.6:4321"\n}\n', 200, None)
    blocked = live.exec_curl("istioinaction", "sleep", "http://google.com", args=())
    assert (blocked.stdout, blocked.exit_code, blocked.http_status) == ("", 0, 502)
    failed = live.exec_curl("istioinaction", "sleep", "http://nowhere.invalid")
    assert (failed.exit_code, failed.stderr, failed.http_status) == (6, "curl: (6) Could not resolve host\n", 0)
    own = live.exec_curl("istioinaction", "sleep", "http://google.com", args=("-s", "-w", "%{http_code}"))
    assert (own.stdout, own.http_status) == ("502", None)  # the user's write-out is theirs: not read as a status
    write_out = ["-w", "\\n[sidecar-lab] %{http_code} %{redirect_url}\\n"]
    assert [e.command for e in kube.execs] == [
        ["curl", "-s", *write_out, "http://httpbin.istioinaction:8000/ip"], ["curl", *write_out, "http://google.com"],
        ["curl", "-s", *write_out, "http://nowhere.invalid"], ["curl", "-s", "-w", "%{http_code}", "http://google.com"]]


def test_exec_picks_the_default_container_annotation(kube, live):
    kube.add({"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "web", "namespace": "default",
                           "annotations": {"kubectl.kubernetes.io/default-container": "app"}},
              "spec": {"containers": [{"name": "istio-proxy"}, {"name": "app"}]}})
    kube.exec_handler = lambda ns, pod, container, command: (container, "", 0)
    assert live.exec_curl("default", "web", "http://x").stdout == "app"


def test_exec_forbidden_by_rbac_is_a_cluster_error(kube, live):
    load_seed(kube)
    kube.deny("create", "pods/exec")
    with pytest.raises(ClusterError) as caught:
        live.exec_curl("istioinaction", "sleep", "http://google.com")
    assert "forbidden by RBAC: cannot create pods/exec in namespace istioinaction" in str(caught.value)
    no_token(str(caught.value))


def test_exec_into_a_missing_pod_names_it(kube, live):
    with pytest.raises(ClusterError, match="no pod istioinaction/sleep"):
        live.exec_curl("istioinaction", "sleep", "http://google.com")


# --- waiting for the configuration ---------------------------------------------------------------------------


def test_wait_for_config_sees_the_generation_and_the_proxys_counters_with_progress(kube, live):
    load_seed(kube)
    kube.exec_handler = seed_exec(kube)
    mark = live.proxy_mark("istioinaction/sleep")
    assert mark is not None and mark.total == 2
    applied = live.apply_sidecar(sidecar("default"))
    seen = []
    result = live.wait_for_config([applied], pod="istioinaction/sleep", since=mark, timeout=5, settle=0.3,
                                  poll=0.05, progress=lambda message, elapsed: seen.append(message))
    assert result.ok and result.proxy_updated is True
    assert result.stages[0] == "the API server has Sidecar istioinaction/default (generation 1)"
    assert "accepted 2 new xDS update(s)" in result.stages[1]
    assert any("observedGeneration is absent" in n for n in result.notes)
    assert any("settle" in m for m in seen)
    assert "istioctl proxy-status" in result.commands


def test_wait_for_config_follows_istiods_status_when_it_reports_one(kube, live):
    istio_ready(kube)
    applied = live.apply_sidecar(sidecar("default"))
    stored = kube.get_object("sidecars", "istioinaction", "default")
    kube.add({**stored, "status": {"observedGeneration": "1"}})
    result = live.wait_for_config([applied], timeout=2, settle=0)
    assert result.ok and "istiod reports it has processed istioinaction/default" in result.stages


def test_wait_for_config_is_bounded_when_the_change_never_shows(kube, live):
    istio_ready(kube)
    applied = live.apply_sidecar(sidecar("default"))
    start = time.monotonic()
    result = live.wait_for_config([("Sidecar", "istioinaction", "default", applied.generation + 5, False)],
                                  timeout=0.3, poll=0.05, settle=0)
    assert not result.ok and "timed out after 0.3 s" in result.message
    assert time.monotonic() - start < 2


def test_wait_for_a_deletion_waits_until_the_object_is_gone(kube, live):
    istio_ready(kube)
    live.apply_sidecar(sidecar("default"))
    deleted = live.delete_sidecar("istioinaction", "default")
    assert live.wait_for_config([deleted], timeout=1, settle=0).ok


# --- predict vs observe ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stdout, kind, origin", [
    ('{"origin": "127.0.0.6:4321"}', "origin", "127.0.0.6"),
    ('{\n  "origin": "10.10.0.14"\n}', "origin", "10.10.0.14"),
    ('{"origin": "[fd00::14]:5555"}', "origin", "fd00::14"),
    (GOOGLE_301, "google-301", None),
    ("", "nothing", None),
    ("\n", "nothing", None),
    ("upstream connect error or disconnect/reset before headers", "other", None),
])
def test_classify_reads_curl_output_in_the_observation_vocabulary(stdout, kind, origin):
    obs = Observation(stdout)
    assert classify(obs) == kind
    assert observed_vocabulary(obs).get("origin") == origin


def seed_result(step, target):
    return check(Simulator(load([str(SEED / "cluster"), str(SEED / "steps" / step)])), "istioinaction/sleep", target)


@pytest.mark.parametrize("obs", REQUESTS, ids=[o["id"] for o in REQUESTS])
def test_what_the_blog_observed_matches_the_prediction(obs):
    observed = obs["observed"]
    stdout = {"origin": f'{{"origin": "{observed.get("origin")}:40000"}}', "google-301": GOOGLE_301,
              "nothing": ""}[observed["prints"]]
    comparison = compare(seed_result(obs["step"], obs["to"]), Observation(stdout, exit_code=0, source_has_proxy=True))
    assert comparison.match, comparison.text()
    assert comparison.likely_causes == ()
    assert blog_agrees(Observation(stdout), observed)


def test_blocked_prediction_but_google_answered_suggests_the_push_is_late():
    comparison = compare(seed_result("02-root-registry-only", "http://google.com"), Observation(GOOGLE_301))
    assert not comparison.match
    assert comparison.predicted_summary == "BLOCKED: HTTP 502, prints nothing, curl exits 0"
    assert comparison.observed_summary == "prints Google's 301 Moved page, curl exited 0"
    assert comparison.likely_causes[0].startswith("configuration not pushed yet")
    assert comparison.likely_causes[-1].startswith("another Istio version")


def test_a_source_pod_without_istio_proxy_is_named_as_missing_injection():
    comparison = compare(seed_result("02-root-registry-only", "http://google.com"),
                         Observation(GOOGLE_301, source_has_proxy=False))
    assert comparison.likely_causes[0].startswith("injection missing: the pod istioinaction/sleep has no istio-proxy")


@pytest.mark.parametrize("origin, cause", [
    ("10.244.1.7", "injection missing at the destination"),
    ("127.0.0.1", "another Istio version: before Istio 1.10"),
])
def test_a_different_origin_names_its_likely_cause(origin, cause):
    result = seed_result("01-no-sidecar", "http://httpbin.istioinaction:8000/ip")
    comparison = compare(result, Observation(f'{{"origin": "{origin}:1234"}}'))
    assert not comparison.match and comparison.likely_causes[0].startswith(cause)


@pytest.mark.parametrize("exit_code, cause", [(6, "DNS: curl could not resolve"), (7, "curl could not connect"),
                                              (52, "configuration not pushed yet")])
def test_nothing_printed_where_a_response_was_predicted_names_the_curl_failure(exit_code, cause):
    comparison = compare(seed_result("01-no-sidecar", "http://google.com"), Observation("", exit_code=exit_code))
    assert not comparison.match and cause in comparison.likely_causes[0]


def test_an_answer_from_another_destination_points_at_routing():
    comparison = compare(seed_result("01-no-sidecar", "http://httpbin.default:8000/ip"), Observation(GOOGLE_301))
    assert not comparison.match
    assert comparison.likely_causes[0].startswith("the answer came from another destination than predicted "
                                                  "(google-301 instead of origin)")


def test_a_blocked_curl_that_exits_52_means_no_http_listener_on_the_port():
    comparison = compare(seed_result("02-root-registry-only", "http://google.com"), Observation("", exit_code=52))
    assert not comparison.match
    assert comparison.likely_causes[0].startswith("the proxy has no HTTP listener on port 80")


def test_a_curl_still_running_is_a_mismatch_that_says_so():
    comparison = compare(seed_result("01-no-sidecar", "http://google.com"), Observation("", exit_code=None,
                                                                                        timed_out=True))
    assert not comparison.match and "still running" in comparison.likely_causes[0]
    assert predict(seed_result("01-no-sidecar", "http://google.com")).prints == "google-301"


def test_walkthrough_steps_follow_the_seed():
    steps = list(walkthrough_steps())
    assert [s.number for s in steps] == ["01", "02", "03", "04", "05", "06"]
    assert [len(s.sidecars) for s in steps] == [0, 1, 2, 2, 3, 3]
    assert [len(s.requests) for s in steps] == [2, 2, 1, 1, 3, 2]
    google = steps[1].requests[1]
    assert (google.source, google.target, google.curl_args, google.container) == (
        "istioinaction/sleep", "http://google.com", (), "sleep")
    assert steps[2].listings[0]["observed"]["sidecars"] == ["istio-system/default", "istioinaction/default"]
    assert [s.name for s in walkthrough_steps(["2", "06-workload-hosts"])] == [
        "02-root-registry-only", "06-workload-hosts"]
    with pytest.raises(UsageError, match="unknown step 09"):
        list(walkthrough_steps(["09"]))


def test_live_check_runs_curl_and_puts_the_prediction_beside_it(kube, live):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = seed_exec(kube)
    predicted, observed, comparison = live.check("istioinaction/sleep", "http://google.com")
    assert predicted.verdict.value == "BLOCKED" and observed.stdout == "" and comparison.match


def test_walking_the_first_steps_applies_waits_curls_and_matches(kube, live):
    load_seed(kube)
    kube.exec_handler = seed_exec(kube)
    reports = list(live.walk(["01", "02", "03"], timeout=2, settle=0))
    assert [r.step.number for r in reports] == ["01", "02", "03"]
    assert all(r.match for r in reports), "\n".join(r.text() for r in reports)
    assert reports[1].applied[0].ref == "istio-system/default" and reports[1].wait.proxy_updated is True
    assert [row.comparison.observed["prints"] for row in reports[1].rows] == ["origin", "nothing"]
    assert reports[2].listings[0]["match"] and "MATCH" in reports[2].text()
    assert all(row.blog_agrees for r in reports for row in r.rows)
    back = list(live.walk(["01"], timeout=1, settle=0))[0]
    assert {d.ref for d in back.deleted} == {"istio-system/default", "istioinaction/default"}
    assert kube.list_objects("sidecars") == []


# --- the command line ------------------------------------------------------------------------------------


def test_cli_live_preflight_prints_each_item_and_the_commands_to_repeat(kube, kubeconfig, capsys):
    load_seed(kube)
    code, out, err = run(capsys, ["live", "preflight", "--kubeconfig", kubeconfig])
    assert code == 0 and err == ""
    assert "ok   Sidecar CRD" in out and "Istio version     1.26.0" in out and "\nready\n" in out
    assert "$ kubectl get crd sidecars.networking.istio.io" in out and "$ istioctl version" in out


def test_cli_live_preflight_exits_3_with_fix_lines_when_istio_is_missing(kube, kubeconfig, capsys):
    code, out, _ = run(capsys, ["live", "preflight", "--kubeconfig", kubeconfig, "--format", "json"])
    data = json.loads(out)
    assert code == 3 and not data["ok"]
    crd = next(i for i in data["items"] if i["name"] == "Sidecar CRD")
    assert crd["fix"] == "istioctl install --set profile=default -y"


def test_cli_live_check_prints_the_prediction_beside_the_real_curl(kube, kubeconfig, capsys):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = seed_exec(kube)
    code, out, _ = run(capsys, ["live", "check", "--kubeconfig", kubeconfig, "--from", "istioinaction/sleep",
                                "--to", "http://google.com"])
    assert code == 0
    assert "verdict: BLOCKED" in out and "predicted: BLOCKED: HTTP 502, prints nothing, curl exits 0" in out
    assert "observed:  HTTP 502, prints nothing, curl exited 0" in out and "result:    MATCH" in out
    assert "$ kubectl exec -n istioinaction sleep -c sleep -- curl -s -w '\\n[sidecar-lab] %{http_code} " \
           "%{redirect_url}\\n' http://google.com" in out
    assert "istioctl proxy-config listener sleep.istioinaction --port 80" in out


def test_cli_live_check_exits_3_on_a_mismatch_with_its_causes(kube, kubeconfig, capsys):
    load_seed(kube, "02-root-registry-only")
    kube.exec_handler = lambda ns, pod, container, command: (GOOGLE_301, "", 0)
    code, out, _ = run(capsys, ["live", "check", "--kubeconfig", kubeconfig, "--from", "istioinaction/sleep",
                                "--to", "http://google.com", "--format", "json"])
    data = json.loads(out)
    assert code == 3 and data["comparison"]["match"] is False
    assert data["comparison"]["likely_causes"][0].startswith("configuration not pushed yet")


@pytest.mark.parametrize("argv", [
    ["resolve", "--workload", "istioinaction/sleep"],
    ["check", "--from", "istioinaction/sleep", "--to", "http://httpbin.default:8000/ip"],
    ["matrix"],
])
def test_cli_commands_with_live_read_the_cluster_like_the_files(kube, kubeconfig, capsys, argv):
    load_seed(kube, "06-workload-hosts")
    files = [str(SEED / "cluster"), str(SEED / "steps" / "06-workload-hosts")]
    code, from_files, _ = run(capsys, [argv[0], *files, *argv[1:], "--format", "json"])
    assert code == 0
    code, from_cluster, err = run(capsys, [argv[0], "--live", "--kubeconfig", kubeconfig, *argv[1:], "--format", "json"])
    assert code == 0
    assert "# live snapshot of cluster fake" in err and "kubectl get namespaces,pods,services" in err
    a, b = json.loads(from_files), json.loads(from_cluster)
    if argv[0] == "resolve":
        assert (a["scope"], a["sidecar"], a["outbound_traffic_policy"]["mode"]) == \
            (b["scope"], b["sidecar"], b["outbound_traffic_policy"]["mode"])
    elif argv[0] == "check":
        assert (a["verdict"], a["envoy"], a["destination_sees_source"]) == \
            (b["verdict"], b["envoy"], b["destination_sees_source"])
    else:
        assert (a["targets"], a["cells"]) == (b["targets"], b["cells"])


def test_cli_manifests_or_live_but_not_neither_nor_both(capsys, kubeconfig):
    code, _, err = run(capsys, ["resolve", "--all"])
    assert code == 2 and err == "error: the following arguments are required: MANIFEST (or --live to read a cluster)\n"
    code, _, err = run(capsys, ["resolve", str(SEED / "cluster"), "--live", "--kubeconfig", kubeconfig, "--all"])
    assert code == 2 and "not both" in err


def test_cli_live_apply_dry_run_then_create_and_a_denial_exits_2(kube, kubeconfig, capsys, tmp_path):
    istio_ready(kube)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(sidecar("default")))
    code, out, _ = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, str(good)])
    assert code == 0 and "sidecar.networking.istio.io/default created (namespace istioinaction)" in out
    assert f"$ kubectl apply --dry-run=server -f {good}" in out and f"$ kubectl apply -f {good}" in out
    assert kube.get_object("sidecars", "istioinaction", "default")["metadata"]["labels"][MANAGED_BY] == MANAGER
    kube.admission = lambda obj, dry_run: ["egress host must be of form namespace/dnsName"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(sidecar("bad", hosts=["nope"])))
    code, out, err = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, str(bad)])
    assert code == 2 and "error: sidecar.networking.istio.io/bad denied" in err
    assert "configuration is invalid: egress host must be of form namespace/dnsName" in err


def test_cli_live_apply_outside_the_allow_list_is_refused(kube, kubeconfig, capsys, tmp_path):
    istio_ready(kube)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sidecar("x", namespace="payments")))
    code, _, err = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, str(path)])
    assert code == 2 and "not in the allow-list" in err
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}})
    code, out, _ = run(capsys, ["live", "apply", "--kubeconfig", kubeconfig, "--allow-namespace", "payments",
                                str(path)])
    assert code == 0 and "created" in out


def test_cli_live_snapshot_writes_yaml_the_other_commands_load(kube, kubeconfig, capsys, tmp_path):
    load_seed(kube, "04-namespace-registry-only")
    target = tmp_path / "snap.yaml"
    code, out, _ = run(capsys, ["live", "snapshot", "--kubeconfig", kubeconfig, "-o", str(target)])
    assert code == 0 and f"objects to {target}" in out and "2 sidecars" in out
    code, out, _ = run(capsys, ["check", str(target), "--from", "istioinaction/sleep", "--to", "http://google.com"])
    assert code == 0 and "verdict: BLOCKED" in out


def test_cli_live_cleanup_deletes_the_labelled_objects(kube, kubeconfig, capsys):
    istio_ready(kube)
    kube.add(sidecar("old", labels={MANAGED_BY: MANAGER}))
    code, out, _ = run(capsys, ["live", "cleanup", "--kubeconfig", kubeconfig])
    assert code == 0 and "deleted Sidecar istioinaction/old" in out
    assert "-l app.kubernetes.io/managed-by=sidecar-lab" in out and kube.list_objects("sidecars") == []


def test_cli_live_walkthrough_runs_the_steps_and_cleans_up_its_sidecars(kube, kubeconfig, capsys):
    load_seed(kube)  # the lab is already deployed
    kube.exec_handler = seed_exec(kube)
    code, out, _ = run(capsys, ["live", "walkthrough", "--kubeconfig", kubeconfig, "--steps", "01,02", "--settle", "0",
                                "--timeout", "2", "--no-deploy"])
    assert code == 0, out
    assert "step 02-root-registry-only" in out and "4/4 requests matched the prediction" in out
    assert "deleted Sidecar istio-system/default" in out and kube.list_objects("sidecars") == []
    assert kube.get_object("pods", "istioinaction", "sleep") is not None


def test_cli_connection_refused_is_one_error_line_and_exit_2(kube, capsys, tmp_path):
    config = kube.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{free_port()}"
    path = tmp_path / "dead"
    path.write_text(yaml.safe_dump(config))
    for argv in (["live", "preflight"], ["resolve", "--live", "--all"], ["live", "check", "--from", "a/b", "--to", "x"]):
        start = time.monotonic()
        code, out, err = run(capsys, [*argv, "--kubeconfig", str(path)])
        assert (code, out) == (2, "") and time.monotonic() - start < 1.5
        assert err.startswith("error: cannot reach the Kubernetes API server at http://127.0.0.1:")
        assert err.count("\n") == 1


def test_snapshot_counts_a_deployment_with_running_pods_once():
    from sidecar_lab.live.snapshot import without_controllers_of_listed_pods as _without_controllers_of_listed_pods

    deploy = {"kind": "Deployment", "metadata": {"name": "httpbin", "namespace": "a"},
              "spec": {"template": {"metadata": {"labels": {"app": "httpbin"}}}}}
    idle = {"kind": "Deployment", "metadata": {"name": "idle", "namespace": "a"},
            "spec": {"template": {"metadata": {"labels": {"app": "idle"}}}}}
    pod = {"kind": "Pod", "metadata": {"name": "httpbin-1", "namespace": "a",
                                       "labels": {"app": "httpbin", "pod-template-hash": "x"}}}
    notes: list = []
    kept = _without_controllers_of_listed_pods([deploy, idle, pod], notes)
    assert [o["metadata"]["name"] for o in kept] == ["idle", "httpbin-1"]
    assert notes and "1 controller" in notes[0]
