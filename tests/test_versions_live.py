"""The Istio release of a live cluster: read from istiod, used unless --istio-version says otherwise.

Against the fake Kubernetes API (tests/fakekube.py), as tests/test_live.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakekube import FakeKube

from sidecar_lab.cli import main
from sidecar_lab.core.resolver import Simulator
from sidecar_lab.live.cluster import LiveCluster
from sidecar_lab.live.snapshot import istio_release_of

SEED = Path(__file__).resolve().parent.parent / "data" / "seed"
TOKEN = "versions-live-token"


@pytest.fixture
def kube():
    with FakeKube(token=TOKEN) as server:
        yield server
    assert not server.errors, "fakekube failed internally:\n" + "\n".join(server.errors)


@pytest.fixture
def kubeconfig(kube, tmp_path):
    return str(kube.write_kubeconfig(tmp_path / "kubeconfig"))


def seed_with_istiod(kube: FakeKube, image: str) -> None:
    """The seed's cluster in the fake server, istiod running ``image``."""
    kube.install_istio_crds()
    for path in sorted((SEED / "cluster").glob("*.yaml")):
        kube.load(path.read_text(encoding="utf-8"))
    istiod = kube.get_object("deployments", "istio-system", "istiod")
    for c in istiod["spec"]["template"]["spec"]["containers"]:
        c["image"] = image
    kube.add(istiod)


@pytest.mark.parametrize("image, answered, note", [
    ("docker.io/istio/pilot:1.24.3-distroless", "1.24.3", "istiod runs Istio 1.24.3: the answers follow its rules"),
    ("docker.io/istio/pilot:1.31.0", "1.31.0", "istiod runs Istio 1.31.0"),
    ("docker.io/istio/pilot:1.21.6", "1.26", "istiod runs Istio 1.21.6, a release sidecar-lab does not model"),
    ("example.com/pilot@sha256:abc", "1.26", None),
], ids=["1.24.3", "1.31.0", "outside-the-range", "no-tag"])
def test_live_answers_follow_the_clusters_istiod(kube, kubeconfig, capsys, image, answered, note):
    seed_with_istiod(kube, image)
    code = main(["resolve", "--live", "--kubeconfig", kubeconfig, "--workload", "istioinaction/sleep",
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["istio_version"] == answered
    assert (note in err) if note else ("istiod runs Istio" not in err)


def test_istio_version_overrides_the_cluster(kube, kubeconfig, capsys):
    seed_with_istiod(kube, "docker.io/istio/pilot:1.24.3")
    code = main(["check", "--live", "--kubeconfig", kubeconfig, "--from", "istioinaction/sleep",
                 "--to", "http://google.com", "--istio-version", "1.31", "--format", "json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["istio_version"] == "1.31"


def test_a_snapshot_remembers_the_release_for_every_simulator(kube, kubeconfig):
    seed_with_istiod(kube, "docker.io/istio/pilot:1.27.2")
    with LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False) as live:
        mesh = live.snapshot()
    assert mesh.istio_version == "1.27.2"
    assert Simulator(mesh).rules.absolute_fqdn_vhost and not Simulator(mesh, "1.26").rules.absolute_fqdn_vhost


def test_istiods_pod_tells_the_release_when_its_deployment_was_left_out():
    pod = {"kind": "Pod", "metadata": {"name": "istiod-abc", "namespace": "istio-system", "labels": {"app": "istiod"}},
           "spec": {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.29.1"}]}}
    assert istio_release_of([pod]) == "1.29.1"
    assert istio_release_of([dict(pod, kind="Service")]) is None


def test_preflight_finds_istio_proxy_as_a_native_sidecar_DetectNativeSidecar(kube, kubeconfig):
    seed_with_istiod(kube, "docker.io/istio/pilot:1.27.0")
    pod = kube.get_object("pods", "istioinaction", "sleep")
    pod["spec"].setdefault("initContainers", []).append(
        {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.27.0", "restartPolicy": "Always"})
    kube.add(pod)
    with LiveCluster.connect(kubeconfig=kubeconfig, cleanup_on_exit=False) as live:
        item = live.preflight().item("sleep pod")
        assert "no istio-proxy" not in item.detail and "istio-proxy" in item.detail
        res = Simulator(live.snapshot()).resolve("istioinaction/sleep")
    assert res.proxy == "sidecar" and res.proxy_reason.key == "proxy.live-has-proxy"
