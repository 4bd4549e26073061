"""Deterministic synthetic meshes, for benchmarks and for notebooks that need a big cluster.

A mesh is described by a :class:`SyntheticMeshSpec`; the same spec always gives the
same documents, byte for byte. Everything is derived from indexes (names, cluster
IPs, pod IPs, timestamps) except the call graph, which comes from
``random.Random(spec.seed)``.

What a mesh holds:

- ``istio-system``: its Namespace, the ConfigMap ``istio`` (no outbound policy, so
  ``ALLOW_ANY``), and ``istiod`` (a Service and a Deployment; a Deployment so that the
  Pod count stays exact).
- ``ns-0001`` … : Namespaces labelled ``istio-injection: enabled``, each with
  ``services_per_namespace`` Services ``svc-0001-01`` … (port 8080 ``http``; every 5th
  service also 9090 ``grpc``) and ``pods_per_service`` Pods per Service (labels
  ``app: <service>``, ``version: v1``, a ``status.podIP``).
- Sidecars, by ``spec.sidecars``: ``"none"``; ``"namespace"`` — one namespace-wide
  Sidecar ``default`` per namespace with egress ``["./*", "istio-system/*"]``;
  ``"mixed"`` — the same, plus, in every 10th namespace, a workload Sidecar for its
  first service whose egress lists exactly that service's declared calls (and
  ``istio-system/*``).

>>> spec = SyntheticMeshSpec(namespaces=2, services_per_namespace=2, pods_per_service=1, fan_out=1)
>>> counts(spec)
{'namespaces': 2, 'services': 4, 'pods': 4, 'sidecars': 2}
>>> [d["metadata"]["name"] for d in generate_documents(spec) if d["kind"] == "Service"]
['istiod', 'svc-0001-01', 'svc-0001-02', 'svc-0002-01', 'svc-0002-02']
>>> sorted(call_graph(spec))
['ns-0001/svc-0001-01', 'ns-0001/svc-0001-02', 'ns-0002/svc-0002-01', 'ns-0002/svc-0002-02']

From the shell::

    python -m sidecar_lab.scale.synthetic --namespaces 100 --sidecars mixed -o mesh.yaml
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any, Iterator, Sequence

import yaml

__all__ = [
    "SyntheticMeshSpec", "SIDECAR_MODES", "generate_documents", "call_graph", "counts",
    "write_yaml", "main",
]

try:  # libyaml's emitter when PyYAML was built with it
    _BaseDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseDumper = yaml.SafeDumper


class _Block(str):
    """A string written as a YAML literal block (``|-``), as kubectl shows ConfigMap data."""


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    pass


_Dumper.add_representer(
    _Block, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|"))

SIDECAR_MODES = ("none", "namespace", "mixed")

#: Service cluster IPs: 10.96.0.0/12; the first 1,024 addresses are left to istio-system.
_SERVICE_BASE = (10 << 24) | (96 << 16)
_SERVICE_FIRST = 1024
_SERVICE_LAST = _SERVICE_BASE + (1 << 20) - 2
#: Pod IPs: 10.128.0.0/9.
_POD_BASE = (10 << 24) | (128 << 16)
_POD_LAST = _POD_BASE + (1 << 23) - 2
_ISTIOD_IP = "10.96.0.10"

#: Sidecars are created one minute apart per namespace, from this instant.
_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
#: A workload Sidecar every this many namespaces in "mixed" mode.
_WORKLOAD_SIDECAR_EVERY = 10
#: A grpc port on every this-many-th service.
_GRPC_EVERY = 5

_MESH_CONFIG = """\
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
defaultProviders:
  metrics:
  - prometheus
enablePrometheusMerge: true
rootNamespace: istio-system
trustDomain: cluster.local"""


@dataclass(frozen=True, slots=True)
class SyntheticMeshSpec:
    """The shape of a synthetic mesh. The defaults give 1,000 namespaces, 10,000 Services,
    20,000 Pods and 1,000 Sidecars."""

    namespaces: int = 1000
    services_per_namespace: int = 10
    pods_per_service: int = 2
    #: ``"none"``, ``"namespace"`` or ``"mixed"`` (see the module docstring).
    sidecars: str = "namespace"
    #: How many other services each service calls.
    fan_out: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        if self.namespaces < 1 or self.services_per_namespace < 1:
            raise ValueError("a synthetic mesh needs at least one namespace and one service per namespace")
        if self.pods_per_service < 0:
            raise ValueError("pods_per_service must not be negative")
        if self.sidecars not in SIDECAR_MODES:
            raise ValueError(f"sidecars must be one of {', '.join(SIDECAR_MODES)}, not {self.sidecars!r}")
        total = self.namespaces * self.services_per_namespace
        if not 0 <= self.fan_out <= total - 1:
            raise ValueError(f"fan_out must be between 0 and {total - 1} (the number of other services)")
        if _SERVICE_BASE + _SERVICE_FIRST + total - 1 > _SERVICE_LAST:
            raise ValueError(f"{total} services do not fit in 10.96.0.0/12")
        if _POD_BASE + total * self.pods_per_service > _POD_LAST:
            raise ValueError(f"{total * self.pods_per_service} pods do not fit in 10.128.0.0/9")


def _ipv4(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


class _Names:
    """Zero-padded names; the width grows only when the counts need it."""

    def __init__(self, spec: SyntheticMeshSpec) -> None:
        self.ns_width = max(4, len(str(spec.namespaces)))
        self.svc_width = max(2, len(str(spec.services_per_namespace)))

    def namespace(self, n: int) -> str:
        return f"ns-{n:0{self.ns_width}d}"

    def service(self, n: int, s: int) -> str:
        return f"svc-{n:0{self.ns_width}d}-{s:0{self.svc_width}d}"


def _services(spec: SyntheticMeshSpec) -> list[tuple[str, str]]:
    """Every (namespace, service) in generation order."""
    names = _Names(spec)
    return [(names.namespace(n), names.service(n, s))
            for n in range(1, spec.namespaces + 1)
            for s in range(1, spec.services_per_namespace + 1)]


def call_graph(spec: SyntheticMeshSpec) -> dict[str, list[str]]:
    """The declared calls: ``"ns/svc"`` → the ``fan_out`` services it calls, sorted.

    Callees are drawn uniformly from all other services of the mesh with
    ``random.Random(spec.seed)``, in generation order, so a seed always gives the
    same graph; a service never calls itself and never lists a callee twice.

    >>> call_graph(SyntheticMeshSpec(namespaces=1, services_per_namespace=2, fan_out=1))
    {'ns-0001/svc-0001-01': ['ns-0001/svc-0001-02'], 'ns-0001/svc-0001-02': ['ns-0001/svc-0001-01']}
    """
    keys = [f"{ns}/{svc}" for ns, svc in _services(spec)]
    rng = random.Random(spec.seed)
    others = range(len(keys) - 1)
    graph: dict[str, list[str]] = {}
    for i, key in enumerate(keys):
        # Sample among the other services: indexes at or past i shift by one to skip i.
        picks = sorted(j + 1 if j >= i else j for j in rng.sample(others, spec.fan_out))
        graph[key] = [keys[j] for j in picks]
    return graph


def counts(spec: SyntheticMeshSpec) -> dict[str, int]:
    """How many namespaces (not counting istio-system), Services, Pods and Sidecars
    :func:`generate_documents` yields (istiod's Service is not counted)."""
    services = spec.namespaces * spec.services_per_namespace
    sidecars = 0 if spec.sidecars == "none" else spec.namespaces
    if spec.sidecars == "mixed":
        sidecars += spec.namespaces // _WORKLOAD_SIDECAR_EVERY
    return {"namespaces": spec.namespaces, "services": services,
            "pods": services * spec.pods_per_service, "sidecars": sidecars}


def _istio_system() -> Iterator[dict]:
    yield {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}
    yield {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "istio", "namespace": "istio-system"},
           "data": {"mesh": _Block(_MESH_CONFIG), "meshNetworks": "networks: {}"}}
    yield {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "istiod", "namespace": "istio-system",
                        "labels": {"app": "istiod", "istio": "pilot"}},
           "spec": {"clusterIP": _ISTIOD_IP,
                    "ports": [{"name": "grpc-xds", "port": 15010, "protocol": "TCP"},
                              {"name": "https-dns", "port": 15012, "protocol": "TCP"},
                              {"name": "https-webhook", "port": 443, "protocol": "TCP",
                               "targetPort": 15017},
                              {"name": "http-monitoring", "port": 15014, "protocol": "TCP"}],
                    "selector": {"app": "istiod", "istio": "pilot"}}}
    yield {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "istiod", "namespace": "istio-system",
                        "labels": {"app": "istiod", "istio": "pilot"}},
           "spec": {"replicas": 1,
                    "selector": {"matchLabels": {"istio": "pilot"}},
                    "template": {
                        "metadata": {"labels": {"app": "istiod", "istio": "pilot",
                                                "sidecar.istio.io/inject": "false"}},
                        "spec": {"containers": [{
                            "name": "discovery", "image": "docker.io/istio/pilot:1.26.0",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"},
                                      {"containerPort": 15010, "protocol": "TCP"},
                                      {"containerPort": 15017, "protocol": "TCP"}]}]}}}}


def _timestamp(minutes: int, seconds: int = 0) -> str:
    return (_EPOCH + timedelta(minutes=minutes, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_documents(spec: SyntheticMeshSpec) -> Iterator[dict]:
    """Yield the mesh's objects as plain dicts, in a fixed order: istio-system first,
    then each namespace with its Services, Pods and Sidecars.

    Every document is a fresh tree (no shared sub-objects), so a YAML dump has no
    anchors or aliases.
    """
    names = _Names(spec)
    graph = call_graph(spec) if spec.sidecars == "mixed" else {}
    yield from _istio_system()
    index = 0  # global service index
    for n in range(1, spec.namespaces + 1):
        ns = names.namespace(n)
        yield {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": ns, "labels": {"istio-injection": "enabled"}}}
        for s in range(1, spec.services_per_namespace + 1):
            svc = names.service(n, s)
            grpc = (index + 1) % _GRPC_EVERY == 0
            ports = [{"name": "http", "port": 8080, "targetPort": 8080}]
            if grpc:
                ports.append({"name": "grpc", "port": 9090, "targetPort": 9090})
            yield {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": svc, "namespace": ns, "labels": {"app": svc}},
                   "spec": {"clusterIP": _ipv4(_SERVICE_BASE + _SERVICE_FIRST + index),
                            "ports": ports, "selector": {"app": svc}}}
            for p in range(spec.pods_per_service):
                container_ports = [{"name": "http", "containerPort": 8080}]
                if grpc:
                    container_ports.append({"name": "grpc", "containerPort": 9090})
                pod_ip = _ipv4(_POD_BASE + 1 + index * spec.pods_per_service + p)
                yield {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"{svc}-{p}", "namespace": ns,
                                    "labels": {"app": svc, "version": "v1"}},
                       "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                                                "ports": container_ports}]},
                       "status": {"podIP": pod_ip}}
            index += 1
        if spec.sidecars == "none":
            continue
        yield {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
               "metadata": {"name": "default", "namespace": ns,
                            "creationTimestamp": _timestamp(n)},
               "spec": {"egress": [{"hosts": ["./*", "istio-system/*"]}]}}
        if spec.sidecars == "mixed" and n % _WORKLOAD_SIDECAR_EVERY == 0:
            svc = names.service(n, 1)
            hosts = []
            for callee in graph[f"{ns}/{svc}"]:
                callee_ns, callee_svc = callee.split("/")
                hosts.append(f"{callee_ns}/{callee_svc}.{callee_ns}.svc.cluster.local")
            hosts.append("istio-system/*")
            yield {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                   "metadata": {"name": svc, "namespace": ns,
                                "creationTimestamp": _timestamp(n, 30)},
                   "spec": {"workloadSelector": {"labels": {"app": svc}},
                            "egress": [{"hosts": hosts}]}}


def _dump(spec: SyntheticMeshSpec, stream: IO[str]) -> None:
    yaml.dump_all(generate_documents(spec), stream, Dumper=_Dumper, sort_keys=False,
                  explicit_start=True, default_flow_style=False, allow_unicode=True)


def write_yaml(spec: SyntheticMeshSpec, path: str | os.PathLike[str]) -> int:
    """Write the whole mesh to ``path`` as one multi-document YAML file; return its size in bytes."""
    with open(path, "w", encoding="utf-8", newline="\n") as stream:
        _dump(spec, stream)
    return os.path.getsize(path)


def main(argv: Sequence[str] | None = None) -> int:
    defaults = SyntheticMeshSpec()
    parser = argparse.ArgumentParser(
        prog="python -m sidecar_lab.scale.synthetic",
        description="Write a deterministic synthetic mesh as one multi-document YAML file.")
    parser.add_argument("--namespaces", type=int, default=defaults.namespaces)
    parser.add_argument("--services-per-namespace", type=int, default=defaults.services_per_namespace)
    parser.add_argument("--pods-per-service", type=int, default=defaults.pods_per_service)
    parser.add_argument("--sidecars", choices=SIDECAR_MODES, default=defaults.sidecars)
    parser.add_argument("--fan-out", type=int, default=defaults.fan_out)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        spec = SyntheticMeshSpec(namespaces=args.namespaces,
                                 services_per_namespace=args.services_per_namespace,
                                 pods_per_service=args.pods_per_service, sidecars=args.sidecars,
                                 fan_out=args.fan_out, seed=args.seed)
    except ValueError as exc:
        parser.exit(2, f"error: {exc}\n")
    started = time.perf_counter()
    if args.output == "-":
        _dump(spec, sys.stdout)
        return 0
    size = write_yaml(spec, args.output)
    n = counts(spec)
    print(f"wrote {args.output}: {size:,} bytes, {n['namespaces']:,} namespaces, "
          f"{n['services']:,} services, {n['pods']:,} pods, {n['sidecars']:,} sidecars "
          f"in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
