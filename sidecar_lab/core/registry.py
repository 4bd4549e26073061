"""Istio's service registry as a proxy's istiod sees it: Kubernetes Services (``kube.ConvertService``) and
ServiceEntry hosts (``serviceentry.convertServices``) as :class:`RegistryService`, in istiod's order
(``SortServicesByCreationTime``), indexed per namespace and per hostname (``PushContext.ServiceIndex``)
with the ExternalName aliases resolved (``resolveServiceAliases``).

:class:`ServiceRegistry` is the part of :class:`sidecar_lab.core.resolver.Simulator` that holds it. It
converts a namespace's Services when first asked for: a question whose Sidecar imports ``./*`` converts
that namespace's, not the mesh's 10,000; ``registry`` (every service), ``by_namespace`` and
``by_hostname`` hand out the same objects whichever is asked first (``tests/test_properties.py`` holds
them to the registry built whole).
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Iterable, Mapping

from .hosts import exported_to, is_wildcard, service_export_to
from .model import ObjectRef, Service, ServiceEntry
from .protocol import parse as parse_protocol
from .protocol import service_port_protocol

__all__ = ["RegistryPort", "RegistryService", "ServiceRegistry", "service_aliases"]


@dataclass(frozen=True, slots=True)
class RegistryPort:
    port: int
    protocol: str  # canonical Istio protocol (HTTP, TCP, AUTO, ...)
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryService:
    """One hostname in Istio's service registry: a Kubernetes Service or one host of a ServiceEntry."""

    hostname: str
    namespace: str
    kind: str  # Service | ServiceEntry
    name: str
    ports: tuple[RegistryPort, ...]
    #: Addresses the service listens on (a ClusterIP or the ServiceEntry's addresses); empty = no VIP.
    addresses: tuple[str, ...]
    resolution: str  # ClientSideLB | DNS | Passthrough (headless) | NONE
    #: The effective exportTo (the mesh default filled in).
    export_to: tuple[str, ...]
    order: tuple
    obj: Service | ServiceEntry
    #: For an ExternalName Service (resolution ``Alias``): the hostname it points to, chains followed.
    alias_for: str | None = None
    #: ``Attributes.Aliases``: the (hostname, namespace) of the ExternalName Services pointing here.
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name)

    @property
    def kubernetes(self) -> bool:
        return self.kind == "Service"

    @property
    def has_vip(self) -> bool:
        return bool(self.addresses)

    @property
    def is_alias(self) -> bool:
        """An ExternalName Service: no listener, no cluster, no virtual host of its own (``Resolution == Alias``)."""
        return self.resolution == "Alias"

    def port(self, number: int) -> RegistryPort | None:
        for p in self.ports:
            if p.port == number:
                return p
        return None

    def trimmed(self, number: int) -> "RegistryService | None":
        port = self.port(number)
        if port is None:
            return None
        if len(self.ports) == 1:
            return self
        return replace(self, ports=(port,))


class ServiceRegistry:
    """The registry half of a Simulator; the Simulator sets ``mesh``, ``rules``, ``domain`` and ``order_key``
    (:func:`sidecar_lab.core.resolver.creation_order`), then calls :meth:`_start_registry`."""

    @cached_property
    def services_by_ns(self) -> dict[str, list[Service]]:
        """The Kubernetes Services of each namespace, in the mesh's order."""
        out: dict[str, list[Service]] = {}
        for svc in self.mesh.services:
            out.setdefault(svc.namespace, []).append(svc)
        return out

    def _auto_allocates(self, se: ServiceEntry, host: str) -> bool:
        """Does this proxy resolve ``host`` to an address istiod allocated (240.240.0.0/16)?

        Only with DNS capture on (``ISTIO_META_DNS_CAPTURE``), for a ServiceEntry without
        addresses whose resolution is not NONE and whose host is not a wildcard; from 1.25
        without ``ISTIO_META_DNS_AUTO_ALLOCATE`` (and unless the ServiceEntry opts out with
        ``networking.istio.io/enable-autoallocate-ip: "false"``).
        """
        mc = self.mesh.mesh_config
        if not mc.dns_capture or se.addresses or se.resolution == "NONE" or is_wildcard(host):
            return False
        if self.rules.ip_autoallocate_v2:
            return se.labels.get("networking.istio.io/enable-autoallocate-ip", "").lower() != "false"
        return mc.proxy_metadata.get("ISTIO_META_DNS_AUTO_ALLOCATE", "").lower() == "true"

    def _start_registry(self) -> None:
        self._default_export = self.mesh.mesh_config.default_service_export_to
        self._whole_default = self.rules.default_export_to_all_namespaces
        self._registry_ports: dict[tuple, tuple[RegistryPort, ...]] = {}  # many Services declare the same ports
        self._exports: dict[tuple, tuple[str, ...]] = {}  # and the same exportTo
        #: ``resolveServiceAliases``: hostname -> the (hostname, namespace) of the ExternalName Services
        #: pointing to it, found by a look at the ExternalName Services only.
        self._aliases = service_aliases(
            (svc.hostname(self.domain), svc.namespace, svc.external_name.lower().rstrip("."))
            for svc in self.mesh.services if svc.type == "ExternalName" and svc.external_name and not svc.headless)
        # ServiceEntries are few: converted at once, in the mesh's order.
        self._entries = [self._with_aliases(rs) for se in self.mesh.service_entries
                         for rs in self._service_entry_services(se, self._default_export)]
        self._entries_by_host: dict[str, list[RegistryService]] = {}
        self._entries_by_ns: dict[str, list[RegistryService]] = {}
        for rs in self._entries:
            self._entries_by_host.setdefault(rs.hostname, []).append(rs)
            self._entries_by_ns.setdefault(rs.namespace, []).append(rs)
        self._converted: dict[int, RegistryService] = {}  # id(Service) -> its registry service
        self._in_namespace: dict[str, list[RegistryService]] = {}
        self._for_host: dict[str, dict[str, RegistryService]] = {}
        self.by_namespace: Mapping[str, list[RegistryService]] = _RegistryView(self._registry_in,
                                                                               self._namespaces_with_services)
        self.by_hostname: Mapping[str, dict[str, RegistryService]] = _RegistryView(self._registry_for,
                                                                                  self._hostnames)

    @cached_property
    def registry(self) -> list[RegistryService]:
        """Every service, in istiod's order (creation, then name, then namespace: ``SortServicesByCreationTime``)."""
        for ns in self.services_by_ns:
            self._registry_in(ns)
        out = [self._converted[id(svc)] for svc in self.mesh.services] + self._entries
        out.sort(key=_order)
        return out

    @cached_property
    def _all_public(self) -> bool:
        """Is every service exported to every namespace? (Then no namespace needs its own list.)"""
        export = self._export
        return all("*" in export(svc.export_to) for svc in self.mesh.services) and \
            all("*" in rs.export_to for rs in self._entries)

    def _export(self, written: tuple[str, ...]) -> tuple[str, ...]:
        export = self._exports.get(written)
        if export is None:
            export = self._exports[written] = service_export_to(written, self._default_export, self._whole_default)
        return export

    def _registry_in(self, namespace: str) -> list[RegistryService] | None:
        """The services of ``namespace`` in istiod's order (its Services converted when first asked for)."""
        hit = self._in_namespace.get(namespace)
        if hit is None:
            services = self.services_by_ns.get(namespace, ())
            entries = self._entries_by_ns.get(namespace, ())
            if not services and not entries:
                return None
            convert, converted = self._kubernetes_service, self._converted
            hit = []
            for svc in services:
                rs = converted[id(svc)] = self._with_aliases(convert(svc))
                hit.append(rs)
            hit.extend(entries)
            hit.sort(key=_order)  # stable: as the whole registry sorted, then this namespace's taken
            self._in_namespace[namespace] = hit
        return hit

    def _namespaces_with_services(self) -> list[str]:
        return list(dict.fromkeys(s.namespace for s in self.registry))

    def _registry_for(self, hostname: str) -> dict[str, RegistryService] | None:
        """``ServiceIndex.HostnameAndNamespace``: per namespace, the oldest service of ``hostname``, a
        Kubernetes Service over a ServiceEntry (namespaces in istiod's order of their services)."""
        hit = self._for_host.get(hostname)
        if hit is None:
            found = [rs for ns in self._kubernetes_namespaces(hostname) for rs in self._registry_in(ns) or ()
                     if rs.hostname == hostname and rs.kind == "Service"]
            found += self._entries_by_host.get(hostname, ())
            if not found:
                return None
            found.sort(key=_order)
            hit = {}
            for rs in found:
                existing = hit.get(rs.namespace)
                if existing is None or (not existing.kubernetes and rs.kubernetes):
                    hit[rs.namespace] = rs
            self._for_host[hostname] = hit
        return hit

    def _kubernetes_namespaces(self, hostname: str) -> list[str]:
        """The namespaces where a Kubernetes Service could have ``hostname`` (``NAME.NAMESPACE.svc.DOMAIN``:
        each way of splitting it, should a name have a dot)."""
        suffix = f".svc.{self.domain}"
        if not hostname.endswith(suffix):
            return []
        rest = hostname[: -len(suffix)]
        out, at = [], rest.find(".")
        while at > 0:
            if rest[at + 1:] in self.services_by_ns:
                out.append(rest[at + 1:])
            at = rest.find(".", at + 1)
        return out

    def _hostnames(self) -> list[str]:
        return list(dict.fromkeys(s.hostname for s in self.registry))

    def _with_aliases(self, rs: RegistryService) -> RegistryService:
        aliases = self._aliases.get(rs.hostname)
        if aliases and not rs.is_alias:
            return replace(rs, aliases=aliases)
        return rs

    def _kubernetes_service(self, svc: Service) -> RegistryService:
        """``kube.ConvertService``: ExternalName is an ``Alias``, ``clusterIP: None`` is ``Passthrough``."""
        ports = self._registry_ports.get(svc.ports)
        if ports is None:
            ports = tuple(RegistryPort(p.port, service_port_protocol(name=p.name, app_protocol=p.app_protocol,
                                                                     protocol=p.protocol), p.name)
                          for p in svc.ports)
            ports = self._registry_ports[svc.ports] = tuple(p for p in ports if p.protocol != "UDP")  # none for UDP
        alias_for = None
        if svc.headless:
            addresses, resolution = (), "Passthrough"
        elif svc.type == "ExternalName" and svc.external_name:
            addresses, resolution, alias_for = (), "Alias", svc.external_name.lower().rstrip(".")
        else:
            addresses, resolution = ((svc.cluster_ip,) if svc.cluster_ip else ("0.0.0.0",)), "ClientSideLB"
        return RegistryService(svc.hostname(self.domain), svc.namespace, "Service", svc.name, ports, addresses,
                               resolution, self._export(svc.export_to),
                               self.order_key(svc.created, svc.name, svc.namespace), svc, alias_for)

    def _service_entry_services(self, se: ServiceEntry, default_export: tuple[str, ...] | None) -> list[RegistryService]:
        """``serviceentry.convertServices``: one service per host (its ``Attributes.Name`` is the host); an
        address istiod allocated when the proxy captures DNS (:meth:`_auto_allocates`)."""
        ports = tuple(RegistryPort(p.number, parse_protocol(p.protocol), p.name) for p in se.ports)
        export = service_export_to(se.export_to, default_export, self._whole_default)
        written = tuple(_normalise_cidr(a) for a in se.addresses)
        out = []
        for host in se.hosts:
            addresses = (f"<auto-allocated IP of {host}>",) if self._auto_allocates(se, host) else written
            out.append(RegistryService(host, se.namespace, "ServiceEntry", se.name, ports, addresses, se.resolution,
                                       export, self.order_key(se.created, host, se.namespace), se))
        return out

    @cached_property
    def service_entries(self) -> list[RegistryService]:
        """The ServiceEntry hosts of the registry, in istiod's order."""
        return sorted(self._entries, key=_order)

    def exported(self, svc: RegistryService, namespace: str) -> bool:
        return exported_to(svc.export_to, svc.namespace, namespace)


def _order(s: RegistryService) -> tuple:
    return s.order


class _RegistryView(AbcMapping):
    """A read-only mapping whose values are computed when first asked for (``lookup(key)``, None when there
    is none); iterating it lists every key (``keys()``), which converts what was not converted yet."""

    __slots__ = ("_lookup", "_keys")

    def __init__(self, lookup, keys) -> None:
        self._lookup, self._keys = lookup, keys

    def __getitem__(self, key):
        value = self._lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value = self._lookup(key)
        return default if value is None else value

    def __contains__(self, key) -> bool:
        return self._lookup(key) is not None

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


def service_aliases(alias_services: Iterable[tuple[str, str, str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """``resolveServiceAliases``: for each concrete hostname, the ExternalName Services pointing to it,
    given as (hostname, namespace, the name it points to) (chains followed, loops dropped), sorted by
    namespace then hostname, as (hostname, namespace)."""
    raw = {(hostname, namespace): target for hostname, namespace, target in alias_services if target}
    concrete_of: dict[str, list[tuple[str, str]]] = {}
    by_name = {hostname: target for (hostname, _), target in raw.items()}
    for (hostname, namespace), target in raw.items():
        seen = {hostname, target}
        while target in by_name:
            nxt = by_name[target]
            if nxt in seen:
                target = None
                break
            seen.add(nxt)
            target = nxt
        if target is not None:
            concrete_of.setdefault(target, []).append((namespace, hostname))
    return {target: tuple((h, ns) for ns, h in sorted(aliases)) for target, aliases in concrete_of.items()}


def _normalise_cidr(address: str) -> str:
    """A ServiceEntry address: ``/32`` (``/128``) becomes a plain IP, as ``convertServices`` does."""
    if "/" in address:
        ip, _, bits = address.partition("/")
        if (bits == "32" and ":" not in ip) or (bits == "128" and ":" in ip):
            return ip
    return address
