"""The real ``kubernetes`` client, over real HTTP and WebSocket, against fakekube."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakekube import FakeKube  # noqa: E402

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, dynamic  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402
from kubernetes.stream import stream  # noqa: E402

ISTIO = "networking.istio.io"


def pod(name, namespace="default", labels=None, containers=("app",), phase="Running"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers]},
            "status": {"phase": phase}}


def sidecar(name, hosts=("./*",), api_version="networking.istio.io/v1"):
    return {"apiVersion": api_version, "kind": "Sidecar", "metadata": {"name": name},
            "spec": {"egress": [{"hosts": list(hosts)}]}}


def status_of(error: ApiException) -> dict:
    return json.loads(error.body)


@pytest.fixture
def kube():
    with FakeKube() as server:
        yield server
    assert not server.errors, "fakekube failed internally:\n" + "\n".join(server.errors)


@pytest.fixture
def api(kube, tmp_path):
    """An ApiClient built the way users build one: from a kubeconfig file."""
    path = kube.write_kubeconfig(tmp_path / "kubeconfig")
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture
def custom(api):
    return client.CustomObjectsApi(api)


# --- configuration and discovery -------------------------------------------


def test_kubeconfig_names_the_server_the_context_and_its_namespace(kube, tmp_path):
    path = kube.write_kubeconfig(tmp_path / "cfg", context="lab", namespace="mesh")
    contexts, active = config.list_kube_config_contexts(config_file=str(path))
    assert active["name"] == "lab" and active["context"]["namespace"] == "mesh"
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    assert configuration.host == kube.url


def test_api_client_helper_lists_the_preloaded_namespaces(kube):
    names = [ns.metadata.name for ns in client.CoreV1Api(kube.api_client()).list_namespace().items]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


def test_version_api_reports_the_version_that_was_set(kube, api):
    kube.set_version("1", "29+", "v1.29.3-eks-1234")
    info = client.VersionApi(api).get_code()
    assert (info.major, info.minor, info.git_version) == ("1", "29+", "v1.29.3-eks-1234")


def test_wrong_bearer_token_is_unauthorized(kube):
    configuration = client.Configuration(host=kube.url)
    configuration.api_key = {"BearerToken": "Bearer wrong"}
    with client.ApiClient(configuration) as api_client, pytest.raises(ApiException) as caught:
        client.CoreV1Api(api_client).list_namespace()
    assert caught.value.status == 401


def test_istio_group_is_discovered_only_once_its_crd_exists(kube, api):
    groups = lambda: [g.name for g in client.ApisApi(api).get_api_versions().groups]
    crds = client.ApiextensionsV1Api(api)
    assert ISTIO not in groups()
    with pytest.raises(ApiException) as caught:
        crds.read_custom_resource_definition("sidecars.networking.istio.io")
    assert caught.value.status == 404

    kube.install_istio_crds("sidecars")
    assert ISTIO in groups()
    assert crds.read_custom_resource_definition("sidecars.networking.istio.io").spec.names.kind == "Sidecar"
    resources = client.CustomObjectsApi(api).get_api_resources(ISTIO, "v1beta1")
    assert [r.name for r in resources.resources] == ["sidecars", "sidecars/status"]


@pytest.mark.parametrize("verb", ["list", "get", "create"])
def test_sidecars_answer_404_while_their_crd_is_missing(custom, verb):
    calls = {
        "list": lambda: custom.list_namespaced_custom_object(ISTIO, "v1", "default", "sidecars"),
        "get": lambda: custom.get_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", "s"),
        "create": lambda: custom.create_namespaced_custom_object(ISTIO, "v1", "default", "sidecars",
                                                                 sidecar("s")),
    }
    with pytest.raises(ApiException) as caught:
        calls[verb]()
    assert caught.value.status == 404
    assert status_of(caught.value)["message"] == "the server could not find the requested resource"


def test_deleting_a_crd_takes_its_objects_and_its_api_away(kube, api, custom):
    kube.install_istio_crds()
    kube.add({**sidecar("s"), "metadata": {"name": "s", "namespace": "default"}})
    client.ApiextensionsV1Api(api).delete_custom_resource_definition("sidecars.networking.istio.io")
    assert kube.list_objects("sidecars.networking.istio.io") == []
    with pytest.raises(ApiException) as caught:
        custom.list_namespaced_custom_object(ISTIO, "v1", "default", "sidecars")
    assert caught.value.status == 404
    assert custom.list_namespaced_custom_object(ISTIO, "v1", "default", "virtualservices")["items"] == []


def test_dynamic_client_discovers_and_reads_istio_objects(kube, api):
    kube.install_istio_crds()
    kube.add({**sidecar("s"), "metadata": {"name": "s", "namespace": "mesh"}})
    sidecars = dynamic.DynamicClient(api).resources.get(api_version=f"{ISTIO}/v1", kind="Sidecar")
    assert [item.metadata.name for item in sidecars.get(namespace="mesh").items] == ["s"]


# --- core objects ------------------------------------------------------------


def test_create_sets_uid_resource_version_timestamp_and_namespace(core):
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}, "data": {"a": "1"}})
    assert created.metadata.namespace == "default"
    assert re.fullmatch(r"[0-9a-f-]{36}", created.metadata.uid)
    assert created.metadata.resource_version.isdigit()
    assert created.metadata.creation_timestamp.microsecond == 0
    read = core.read_namespaced_config_map("cm", "default")
    assert (read.metadata.uid, read.data) == (created.metadata.uid, {"a": "1"})
    generated = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cm-"}})
    assert re.fullmatch(r"cm-[a-z0-9]{5}", generated.metadata.name)


def test_namespace_lifecycle_and_deletion_removes_its_objects(kube, core):
    created = core.create_namespace({"metadata": {"name": "shop"}})
    assert created.status.phase == "Active"
    assert core.read_namespace_status("shop").status.phase == "Active"
    core.create_namespaced_service("shop", {"metadata": {"name": "cart"},
                                            "spec": {"ports": [{"port": 80}]}})
    assert "shop" in [ns.metadata.name for ns in core.list_namespace().items]
    core.delete_namespace("shop")
    with pytest.raises(ApiException) as caught:
        core.read_namespace("shop")
    assert caught.value.status == 404
    assert kube.get_object("services", "shop", "cart") is None


def test_pods_listed_across_namespaces_with_label_and_field_selectors(kube, core):
    kube.add(pod("web-1", "shop", {"app": "web", "tier": "front"}))
    kube.add(pod("web-2", "blog", {"app": "web"}))
    kube.add(pod("db-1", "shop", {"app": "db"}))
    names = lambda pods: sorted(p.metadata.name for p in pods.items)
    assert names(core.list_pod_for_all_namespaces()) == ["db-1", "web-1", "web-2"]
    assert names(core.list_pod_for_all_namespaces(label_selector="app=web")) == ["web-1", "web-2"]
    assert names(core.list_pod_for_all_namespaces(label_selector="app=web,tier=front")) == ["web-1"]
    assert names(core.list_namespaced_pod("shop", field_selector="metadata.name=db-1")) == ["db-1"]
    assert names(core.list_namespaced_pod("blog", label_selector="app=db")) == []


def test_service_create_gets_a_cluster_ip(core):
    svc = core.create_namespaced_service("default", {"metadata": {"name": "web"},
                                                     "spec": {"ports": [{"port": 80}]}})
    assert svc.spec.cluster_ip.startswith("10.96.") and svc.spec.ports[0].protocol == "TCP"


@pytest.mark.parametrize("kind, make", [
    ("namespaces", lambda core: core.create_namespace({"metadata": {"name": "default"}})),
    ("configmaps", lambda core: core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}})),
])
def test_duplicate_create_answers_409_already_exists(core, kind, make):
    if kind == "configmaps":
        make(core)
    with pytest.raises(ApiException) as caught:
        make(core)
    assert caught.value.status == 409
    assert status_of(caught.value)["reason"] == "AlreadyExists"


@pytest.mark.parametrize("call, message", [
    (lambda core: core.read_namespaced_pod("ghost", "default"), 'pods "ghost" not found'),
    (lambda core: core.read_namespace("ghost"), 'namespaces "ghost" not found'),
    (lambda core: core.delete_namespaced_service("ghost", "default"), 'services "ghost" not found'),
    (lambda core: core.create_namespaced_config_map("ghost", {"metadata": {"name": "cm"}}),
     'namespaces "ghost" not found'),
])
def test_missing_objects_answer_404_not_found(core, call, message):
    with pytest.raises(ApiException) as caught:
        call(core)
    assert caught.value.status == 404
    body = status_of(caught.value)
    assert (body["kind"], body["status"], body["reason"], body["message"]) == (
        "Status", "Failure", "NotFound", message)


def test_invalid_name_answers_422_invalid(core):
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("default", {"metadata": {"name": "Not_Valid"}})
    assert caught.value.status == 422 and status_of(caught.value)["reason"] == "Invalid"


def test_replace_with_a_stale_resource_version_conflicts(kube, core):
    kube.add(pod("web"))
    stale = core.read_namespaced_pod("web", "default")
    core.patch_namespaced_pod("web", "default", {"metadata": {"labels": {"v": "2"}}})
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_pod("web", "default", stale)
    assert caught.value.status == 409 and status_of(caught.value)["reason"] == "Conflict"


@pytest.mark.parametrize("content_type, body", [
    (None, {"metadata": {"labels": {"team": "a"}}}),  # the client sends a strategic merge patch
    ("application/merge-patch+json", {"metadata": {"labels": {"team": "a"}}}),
    ("application/strategic-merge-patch+json", {"metadata": {"labels": {"team": "a"}}}),
    ("application/json-patch+json", [{"op": "add", "path": "/metadata/labels/team", "value": "a"}]),
])
def test_pod_patch_of_each_type_adds_a_label(kube, core, content_type, body):
    kube.add(pod("web", labels={"app": "web"}))
    extra = {"_content_type": content_type} if content_type else {}
    patched = core.patch_namespaced_pod("web", "default", body, **extra)
    assert patched.metadata.labels == {"app": "web", "team": "a"}
    assert kube.get_object("pods", "default", "web")["metadata"]["labels"]["team"] == "a"


def test_json_patch_remove_and_replace_then_a_failing_test_op(kube, core):
    kube.add(pod("web", labels={"app": "web", "old": "x"}))
    patched = core.patch_namespaced_pod("web", "default", [
        {"op": "remove", "path": "/metadata/labels/old"},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx"},
    ])
    assert patched.metadata.labels == {"app": "web"} and patched.spec.containers[0].image == "nginx"
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_pod("web", "default", [{"op": "test", "path": "/metadata/name", "value": "x"}])
    assert caught.value.status == 422


def test_patch_cannot_change_status_through_the_main_resource(kube, core):
    kube.add(pod("web", phase="Running"))
    patched = core.patch_namespaced_pod("web", "default", {"status": {"phase": "Failed"}},
                                        _content_type="application/merge-patch+json")
    assert patched.status.phase == "Running"
    patched = core.patch_namespaced_pod_status("web", "default", {"status": {"phase": "Failed"}},
                                               _content_type="application/merge-patch+json")
    assert patched.status.phase == "Failed"


def test_delete_answers_the_object_or_a_status_like_the_real_server(kube, core):
    kube.add(pod("web"))
    kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"}})
    assert core.delete_namespaced_pod("web", "default").metadata.deletion_timestamp is not None
    assert core.delete_namespaced_config_map("cm", "default")["status"] == "Success"
    assert kube.list_objects("pods") == [] and kube.list_objects("configmaps") == []


def test_dry_run_writes_answer_but_store_nothing(kube, core):
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}}, dry_run="All")
    assert created.metadata.name == "cm" and kube.get_object("configmaps", "default", "cm") is None
    kube.add(pod("web"))
    before = kube.get_object("pods", "default", "web")
    patched = core.patch_namespaced_pod("web", "default", {"metadata": {"labels": {"x": "y"}}},
                                        dry_run="All")
    assert patched.metadata.labels == {"x": "y"}
    core.delete_namespaced_pod("web", "default", dry_run="All")
    assert kube.get_object("pods", "default", "web") == before


def test_requests_are_recorded_with_their_query(kube, core):
    core.list_namespaced_pod("default", label_selector="app=web")
    assert ("GET", "/api/v1/namespaces/default/pods", {"labelSelector": ["app=web"]}) in kube.requests


# --- authorization and admission --------------------------------------------


def test_denied_create_answers_403_forbidden_only_where_denied(kube, custom):
    kube.install_istio_crds()
    kube.deny("create", "sidecars", namespace="x")
    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object(ISTIO, "v1", "x", "sidecars", sidecar("s"))
    assert caught.value.status == 403
    body = status_of(caught.value)
    assert body["reason"] == "Forbidden"
    assert body["message"] == (
        'sidecars.networking.istio.io is forbidden: User "system:serviceaccount:default:fake" '
        'cannot create resource "sidecars" in API group "networking.istio.io" in the namespace "x"')
    custom.create_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", sidecar("s"))
    assert custom.list_namespaced_custom_object(ISTIO, "v1", "x", "sidecars")["items"] == []


def test_denied_cluster_scoped_list_says_at_the_cluster_scope(kube, core):
    kube.deny("list", "namespaces")
    with pytest.raises(ApiException) as caught:
        core.list_namespace()
    assert caught.value.status == 403
    assert status_of(caught.value)["message"].endswith('in API group "" at the cluster scope')


def test_admission_denial_surfaces_the_webhook_message_and_stores_nothing(kube, custom):
    kube.install_istio_crds()
    seen = []

    def admission(obj, dry_run):
        seen.append((obj["kind"], dry_run))
        hosts = obj["spec"]["egress"][0]["hosts"]
        return [f"invalid host {h!r}" for h in hosts if "/" not in h] or None

    kube.admission = admission
    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object(ISTIO, "v1", "default", "sidecars",
                                               sidecar("bad", hosts=["nope"]), dry_run="All")
    assert caught.value.status == 400
    assert status_of(caught.value)["message"] == (
        'admission webhook "validation.istio.io" denied the request: '
        "configuration is invalid: invalid host 'nope'")
    assert seen == [("Sidecar", True)]
    custom.create_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", sidecar("good"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", "good",
                                              {"spec": {"egress": [{"hosts": ["a", "b"]}]}})
    assert "2 errors occurred" in status_of(caught.value)["message"]
    assert kube.get_object("sidecars", "default", "good")["spec"]["egress"][0]["hosts"] == ["./*"]
    assert kube.get_object("sidecars", "default", "bad") is None


# --- Istio custom objects ------------------------------------------------------


def test_istio_objects_share_one_store_across_served_versions(kube, custom):
    kube.install_istio_crds()
    custom.create_namespaced_custom_object(ISTIO, "v1beta1", "default", "sidecars",
                                           sidecar("s", api_version=f"{ISTIO}/v1beta1"))
    for version in ("v1", "v1beta1", "v1alpha3"):
        got = custom.get_namespaced_custom_object(ISTIO, version, "default", "sidecars", "s")
        assert got["apiVersion"] == f"{ISTIO}/{version}"
    listed = custom.list_cluster_custom_object(ISTIO, "v1", "sidecars")["items"]
    assert [(i["kind"], i["metadata"]["name"]) for i in listed] == [("Sidecar", "s")]


@pytest.mark.parametrize("content_type, body", [
    (None, {"spec": {"workloadSelector": {"labels": {"app": "web"}}}}),  # merge patch by default
    ("application/strategic-merge-patch+json", {"spec": {"workloadSelector": {"labels": {"app": "web"}}}}),
    ("application/json-patch+json",
     [{"op": "add", "path": "/spec/workloadSelector", "value": {"labels": {"app": "web"}}}]),
])
def test_sidecar_patch_of_each_type_sets_the_workload_selector(kube, custom, content_type, body):
    kube.install_istio_crds()
    custom.create_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", sidecar("s"))
    extra = {"_content_type": content_type} if content_type else {}
    patched = custom.patch_namespaced_custom_object(ISTIO, "v1", "default", "sidecars", "s", body, **extra)
    assert patched["spec"]["workloadSelector"] == {"labels": {"app": "web"}}
    assert patched["spec"]["egress"] == [{"hosts": ["./*"]}]
    assert patched["metadata"]["generation"] == 2


def test_istio_crud_for_every_networking_kind(kube, custom):
    kube.install_istio_crds()
    for plural, kind in [("serviceentries", "ServiceEntry"), ("virtualservices", "VirtualService"),
                         ("destinationrules", "DestinationRule")]:
        obj = {"apiVersion": f"{ISTIO}/v1", "kind": kind, "metadata": {"name": "x"},
               "spec": {"hosts": ["a.example.com"]}}
        custom.create_namespaced_custom_object(ISTIO, "v1", "default", plural, obj)
        custom.delete_namespaced_custom_object(ISTIO, "v1", "default", plural, "x")
        with pytest.raises(ApiException) as caught:
            custom.get_namespaced_custom_object(ISTIO, "v1", "default", plural, "x")
        assert caught.value.status == 404


GATEWAY = "gateway.networking.k8s.io"


@pytest.mark.parametrize("versions, served", [(None, ["v1", "v1beta1"]), (("v1alpha2",), ["v1alpha2"])],
                         ids=["default_versions", "an_old_release"])
def test_gateway_api_routes_are_served_once_their_crds_exist(kube, api, custom, versions, served):
    groups = lambda: {g.name: [v.version for v in g.versions] for g in client.ApisApi(api).get_api_versions().groups}
    assert GATEWAY not in groups()
    with pytest.raises(ValueError, match="install_gateway_api_crds"):
        kube.add({"apiVersion": f"{GATEWAY}/v1", "kind": "HTTPRoute", "metadata": {"name": "r"}})
    kube.install_gateway_api_crds("httproutes", versions=versions)
    assert groups()[GATEWAY] == served
    route = {"apiVersion": f"{GATEWAY}/{served[-1]}", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "web"}]}}
    kube.add(route)
    for version in served:  # one store, every served version
        items = custom.list_cluster_custom_object(GATEWAY, version, "httproutes")["items"]
        assert [(i["metadata"]["name"], i["spec"]) for i in items] == [("r", route["spec"])]
    with pytest.raises(ApiException) as caught:
        custom.list_cluster_custom_object(GATEWAY, "v1", "gateways")  # only httproutes were installed
    assert caught.value.status == 404


def test_istio_operator_is_served_by_install_group(kube, custom):
    kube.install_istio_crds("IstioOperator")
    kube.add({"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
              "metadata": {"name": "installed-state", "namespace": "istio-system"},
              "spec": {"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}}})
    items = custom.list_namespaced_custom_object("install.istio.io", "v1alpha1", "istio-system",
                                                 "istiooperators")["items"]
    assert items[0]["spec"]["meshConfig"]["outboundTrafficPolicy"]["mode"] == "REGISTRY_ONLY"


# --- pod exec ----------------------------------------------------------------------


def exec_stream(core, command, preload=False, container=None, name="web"):
    extra = {"container": container} if container else {}
    return stream(core.connect_get_namespaced_pod_exec, name, "default", command=command,
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=preload, **extra)


@pytest.fixture
def shell(kube):
    """A pod whose containers answer ``sh -c 'echo ...; exit N'`` style commands."""
    kube.add(pod("web", containers=("app", "istio-proxy")))

    def handler(namespace, pod_name, container, command):
        script = command[-1]
        code = int(re.search(r"exit (\d+)", script).group(1)) if "exit" in script else 0
        return f"{container} says hi\n", ("boom\n" if code else ""), code

    kube.exec_handler = handler
    return kube


@pytest.mark.parametrize("script, code, stderr", [("echo hi", 0, ""), ("echo hi; exit 7", 7, "boom\n")])
def test_exec_streams_stdout_stderr_and_exit_code(shell, core, script, code, stderr):
    resp = exec_stream(core, ["sh", "-c", script], container="istio-proxy")
    resp.run_forever(timeout=5)
    assert resp.read_stdout() == "istio-proxy says hi\n"
    assert resp.read_stderr() == stderr
    assert resp.returncode == code
    record = shell.execs[-1]
    assert (record.container, record.command, record.protocol) == (
        "istio-proxy", ["sh", "-c", script], "v5.channel.k8s.io")


def test_exec_with_preloaded_content_returns_the_output_text(shell, core):
    assert exec_stream(core, ["sh", "-c", "echo hi"], preload=True, container="app") == "app says hi\n"


def test_exec_negotiates_v4_when_the_server_lacks_v5(shell, core):
    shell.exec_protocols = ["v4.channel.k8s.io", "channel.k8s.io"]
    resp = exec_stream(core, ["sh", "-c", "exit 3"], container="app")
    resp.run_forever(timeout=5)
    assert resp.returncode == 3 and shell.execs[-1].protocol == "v4.channel.k8s.io"


@pytest.mark.parametrize("name, container, expected", [
    ("ghost", "app", "404"),
    ("web", "nope", "container nope is not valid for pod web"),
    ("web", None, "a container name must be specified for pod web, choose one of: [app istio-proxy]"),
])
def test_exec_into_missing_pod_or_container_fails_the_handshake(shell, core, name, container, expected):
    with pytest.raises(ApiException) as caught:
        exec_stream(core, ["true"], container=container, name=name)
    assert expected in caught.value.reason
    assert shell.execs == []


def test_exec_denied_by_rbac_fails_the_handshake_with_403(shell, core):
    shell.deny("create", "pods/exec")
    with pytest.raises(ApiException) as caught:
        exec_stream(core, ["true"], container="app")
    assert "403" in caught.value.reason and 'cannot create resource \\"pods/exec\\"' in caught.value.reason


# --- as a script -----------------------------------------------------------------------


def test_running_as_a_script_serves_the_kubeconfig_it_writes(tmp_path):
    path = tmp_path / "kubeconfig"
    server = subprocess.Popen([sys.executable, str(Path(__file__).parent / "fakekube.py"),
                               "--port", "0", "--kubeconfig", str(path), "--istio"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().startswith("fakekube: serving http://127.0.0.1:")
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(path), client_configuration=configuration)
        with client.ApiClient(configuration) as api_client:
            crd = client.ApiextensionsV1Api(api_client).read_custom_resource_definition(
                "sidecars.networking.istio.io")
        assert crd.spec.group == ISTIO
    finally:
        server.terminate()
        server.wait(timeout=5)
