"""Small builders of Kubernetes/Istio manifests for table-driven tests.

Each returns a plain dict; :func:`mesh` serialises them to YAML and loads them
through the real loader, so every test also goes through parsing.
"""

from __future__ import annotations

import yaml

from sidecar_lab import Simulator, load_text


def ns(name, injected=True, labels=None):
    labels = dict(labels or {})
    if injected is True:
        labels.setdefault("istio-injection", "enabled")
    elif injected == "disabled":
        labels["istio-injection"] = "disabled"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(name, namespace="default", labels=None, ip=None, annotations=None):
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {"app": name})},
           "spec": {"containers": [{"name": name, "image": "example"}]}}
    if annotations:
        obj["metadata"]["annotations"] = dict(annotations)
    if ip:
        obj["status"] = {"podIP": ip}
    return obj


def deployment(name, namespace="default", labels=None, kind="Deployment"):
    labels = dict(labels or {"app": name})
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": "example",
                                                           "ports": [{"containerPort": 8080, "name": "http"}]}]}}}}


def svc(name, namespace="default", ports=((80, "http"),), selector=None, cluster_ip=None, export_to=None,
        headless=False, created=None, target=None):
    port_list = []
    for p in ports:
        number, pname = p[0], p[1]
        entry = {"port": number}
        if pname:
            entry["name"] = pname
        if len(p) > 2:
            entry["targetPort"] = p[2]
        port_list.append(entry)
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
           "spec": {"ports": port_list, "selector": dict(selector or {"app": name})}}
    if cluster_ip:
        obj["spec"]["clusterIP"] = cluster_ip
    if headless:
        obj["spec"]["clusterIP"] = "None"
    if export_to:
        obj["metadata"]["annotations"] = {"networking.istio.io/exportTo": export_to}
    if created:
        obj["metadata"]["creationTimestamp"] = created
    return obj


def se(name, namespace="default", hosts=("example.com",), ports=((80, "HTTP"),), addresses=None, export_to=None,
       resolution="DNS", created=None):
    obj = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"hosts": list(hosts), "resolution": resolution, "location": "MESH_EXTERNAL",
                    "ports": [{"number": n, "protocol": p, "name": f"{p.lower()}-{n}"} for n, p in ports]}}
    if addresses:
        obj["spec"]["addresses"] = list(addresses)
    if export_to is not None:
        obj["spec"]["exportTo"] = list(export_to)
    if created:
        obj["metadata"]["creationTimestamp"] = created
    return obj


def vs(name, namespace="default", hosts=("example.com",), dests=(), export_to=None):
    obj = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"hosts": list(hosts),
                    "http": [{"route": [{"destination": ({"host": d} if isinstance(d, str)
                                                         else {"host": d[0], "port": {"number": d[1]}})}
                                        for d in dests]}]}}
    if export_to is not None:
        obj["spec"]["exportTo"] = list(export_to)
    return obj


def sidecar(name, namespace="default", created=None, **spec):
    meta = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    fields = {"selector": "workloadSelector", "otp": "outboundTrafficPolicy", "pool": "inboundConnectionPool"}
    body = {}
    for key, value in spec.items():
        if key == "selector":
            value = {"labels": value} if value is not None else {}
        body[fields.get(key, key)] = value
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": meta, "spec": body}


def mesh_config(mode=None, root=None, empty_policy=False):
    mesh = {}
    if mode:
        mesh["outboundTrafficPolicy"] = {"mode": mode}
    if empty_policy:
        mesh["outboundTrafficPolicy"] = {}
    if root:
        mesh["rootNamespace"] = root
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": yaml.safe_dump(mesh)}}


def mesh(*objects):
    return load_text(yaml.safe_dump_all(list(objects), sort_keys=False), "test.yaml")


def sim(*objects):
    return Simulator(mesh(*objects))
