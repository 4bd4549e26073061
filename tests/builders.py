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


def vs_spec(name, namespace="default", created=None, **spec):
    """A VirtualService with its spec written out (http, tcp, tls, hosts, exportTo, gateways)."""
    meta = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta, "spec": spec}


def dr(name, namespace="default", host="example.com", subsets=(), export_to=None, selector=None, created=None,
       traffic_policy=None):
    """A DestinationRule; ``subsets`` is a list of names (label version=<name>) or (name, labels) pairs."""
    meta = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    spec = {"host": host}
    if subsets:
        spec["subsets"] = [{"name": s, "labels": {"version": s}} if isinstance(s, str) else
                           {"name": s[0], "labels": dict(s[1])} for s in subsets]
    if export_to is not None:
        spec["exportTo"] = list(export_to)
    if selector is not None:
        spec["workloadSelector"] = {"matchLabels": dict(selector)}
    if traffic_policy is not None:
        spec["trafficPolicy"] = traffic_policy
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta, "spec": spec}


def httproute(name, namespace="default", parents=(), rules=(), created=None, hostnames=None):
    """A Gateway API HTTPRoute; ``parents`` are (service, namespace[, port]) of Service parents."""
    meta = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    refs = []
    for p in parents:
        ref = {"group": "", "kind": "Service", "name": p[0], "namespace": p[1]}
        if len(p) > 2 and p[2] is not None:
            ref["port"] = p[2]
        refs.append(ref)
    spec = {"parentRefs": refs, "rules": list(rules)}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta, "spec": spec}


def external_name(name, namespace="default", target="example.com", ports=()):
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
           "spec": {"type": "ExternalName", "externalName": target}}
    if ports:
        obj["spec"]["ports"] = [{"port": n, "name": pname} for n, pname in ports]
    return obj


def mesh_config_data(**mesh):
    """The istio ConfigMap with any mesh config fields (camelCase keys as in meshConfig)."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": yaml.safe_dump(mesh)}}


def route_domains(simulator, workload, route_name):
    """xdstest.ExtractVirtualHosts for one route table of ``workload``'s proxy: domain -> sorted clusters
    of its single-cluster routes; None when the proxy has no such route table (no listener uses it)."""
    from sidecar_lab.core.envoy import Proxy, build_listeners, route_table

    w = simulator.workload(workload)
    res = simulator.resolve(w)
    scope = simulator.scope_for(simulator.sidecar(res.sidecar), w.namespace)
    proxy = Proxy.of(scope, w)
    names = {rds for listener in build_listeners(simulator, proxy).values() for rds in listener.route_names}
    if route_name not in names:
        return None
    out = {}
    table = route_table(simulator, proxy, route_name)
    for vh in table.virtual_hosts:
        dests = sorted(c for r in vh.routes if r.action == "cluster" for c, _ in r.clusters)
        for d in vh.domains:
            out[d] = dests
    return out
