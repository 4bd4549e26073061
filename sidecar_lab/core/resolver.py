"""Which Sidecar governs a proxy, and what that proxy can see.

Follows istiod: ``push_context.go`` (``initSidecarScopes``, ``getSidecarScope``)
for selection and ``sidecar.go`` (``convertToSidecarScope``, ``selectServices``,
``appendSidecarServices``, ``collectImportedServices``) for visibility.

>>> from sidecar_lab.core.loader import load_text
>>> mesh = load_text('''
... apiVersion: networking.istio.io/v1
... kind: Sidecar
... metadata: {name: default, namespace: istio-system}
... spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: sleep, namespace: istioinaction, labels: {run: sleep}}
... ''')
>>> r = Simulator(mesh).resolve("istioinaction/sleep")
>>> r.scope, r.sidecar.name, r.policy.mode
('root', 'default', 'REGISTRY_ONLY')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from typing import Iterable, Mapping

from .destinationrules import ConsolidatedRule, DestinationRuleIndex, destination_rule_for_proxy
from .errors import ManifestError, UsageError
from .hosts import HostImports, exported_to
from .injection import IGNORED_NAMESPACES, decide as injection_decision
from .model import (
    ALLOW_ANY_DYNAMIC_DNS, EMPTY, EgressListener, Mesh, ObjectRef, Service, Sidecar, VirtualService, Workload,
)
from .protocol import parse as parse_protocol
from .protocol import service_port_protocol
from .registry import RegistryPort, RegistryService, ServiceRegistry
from .results import (
    Candidate, EffectiveEgress, EffectiveIngress, EffectivePolicy, Resolution, Step, VisibleService,
)
from .versions import IstioVersion, Rules, rules_for
from .vsindex import VirtualServiceIndex, mesh_virtual_services, virtual_service_destinations

__all__ = ["Simulator", "RegistryPort", "RegistryService", "Scope", "ScopeListener",
           "IGNORED_NAMESPACES", "selector_matches", "creation_order"]



def creation_order(rules: Rules):
    """istiod's sort key for objects: creation second, then the release's tie-break.

    From 1.23 (``Rules.tie_break_name_then_namespace``) the name, then the namespace; Istio 1.22
    compares ``name + "." + namespace`` as one string, so ``a-b`` comes before ``a`` ("-" < ".").

    >>> from sidecar_lab.core.versions import rules_for
    >>> sorted(["a", "a-b"], key=lambda n: creation_order(rules_for("1.23"))(0.0, n, "ns"))
    ['a', 'a-b']
    >>> sorted(["a", "a-b"], key=lambda n: creation_order(rules_for("1.22"))(0.0, n, "ns"))
    ['a-b', 'a']
    """
    if rules.tie_break_name_then_namespace:
        return lambda created, name, namespace: (created, name, namespace)
    return lambda created, name, namespace: (created, f"{name}.{namespace}")


def selector_matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Subset match: every selector label present with an equal value (``{}`` matches everything)."""
    for key, value in selector.items():
        if labels.get(key) != value:
            return False
    return True


@dataclass(frozen=True, slots=True)
class ScopeListener:
    """One egress listener of a Sidecar scope with what it imports."""

    listener: EgressListener
    implicit: bool
    #: Port number when the listener imports only services with that port (Istio's ``matchPort``).
    match_port: int | None
    services: tuple[RegistryService, ...]
    #: hostname → the host entry that imported it.
    via: Mapping[str, str]
    virtual_services: tuple[VirtualService, ...]


@dataclass(frozen=True, slots=True)
class Scope:
    """Istio's SidecarScope: the chosen Sidecar evaluated in a namespace."""

    sidecar: Sidecar | None
    config_namespace: str
    listeners: tuple[ScopeListener, ...]
    #: Union over the listeners, one service per hostname.
    services: tuple[RegistryService, ...]
    via: Mapping[str, str]
    policy: EffectivePolicy
    #: ``SidecarScope.destinationRules``: hostname -> the merged DestinationRules istiod selected for it.
    destination_rules: Mapping[str, tuple[ConsolidatedRule, ...]] = field(default_factory=lambda: EMPTY)
    #: What istiod does not decide the same way every time for this scope (``note.*`` steps).
    notes: tuple[Step, ...] = ()

    def service(self, hostname: str) -> RegistryService | None:
        for s in self.services:
            if s.hostname == hostname:
                return s
        return None

    def destination_rule(self, hostname: str, labels: Mapping[str, str]) -> ConsolidatedRule | None:
        """``SidecarScope.DestinationRule`` for a proxy with ``labels``."""
        rules = self.destination_rules.get(hostname)
        if not rules:
            return None
        return destination_rule_for_proxy(rules, self.config_namespace, labels)


class PerSidecar(Mapping):
    """A read-only mapping from each Sidecar's ref to a value computed the first time it is asked for."""

    def __init__(self, sidecars: Mapping[ObjectRef, Sidecar], compute) -> None:
        self._sidecars, self._compute, self._values = sidecars, compute, {}

    def __getitem__(self, ref: ObjectRef):
        try:
            return self._values[ref]
        except KeyError:
            value = self._values[ref] = self._compute(self._sidecars[ref])
            return value

    def __iter__(self):
        return iter(self._sidecars)

    def __len__(self) -> int:
        return len(self._sidecars)


class Simulator(ServiceRegistry):
    """The simulator for one set of manifests and one Istio release; it indexes them when first asked (its
    service registry is :class:`sidecar_lab.core.registry.ServiceRegistry`) and caches scopes.

    ``istio_version`` (``"1.26"``, ``"1.30.2"``) picks the rules every answer follows
    (:class:`sidecar_lab.core.versions.Rules`); without it, the release the mesh was read from
    (``Mesh.istio_version``, a live cluster's istiod), else the lab's 1.26. The :class:`Mesh`
    itself does not depend on it: one loaded mesh serves a Simulator per release.
    """

    def __init__(self, mesh: Mesh, istio_version: "str | IstioVersion | Rules | None" = None) -> None:
        from .validation import validate_sidecar

        self.mesh = mesh
        self.rules = rules_for(istio_version if istio_version is not None else mesh.istio_version)
        #: The release that answers, as written (``"1.26"``): every result says it.
        self.istio_version = str(self.rules.version)
        self.domain = mesh.mesh_config.domain
        self.root = mesh.mesh_config.root_namespace
        self._check_mesh_config()
        self.namespaces = {ns.name: ns for ns in mesh.namespaces}
        # Workloads are indexed per namespace when first asked for (workloads_in): a question about one
        # workload reads one namespace's, and a mesh from the cache builds only those (cache.LazyMesh).
        self._workloads_by_ns: dict[str, tuple[Workload, ...]] | None = None
        self._named: dict[str, dict[str, Workload]] = {}
        by_ref = {s.ref: s for s in mesh.sidecars}
        # Validated when first asked for: a question about one workload looks at a few Sidecars only.
        self.validation: Mapping[ObjectRef, list] = PerSidecar(
            by_ref, lambda s: validate_sidecar(dict(s.raw_spec), s.namespace, release=self.rules))
        self.admitted: Mapping[ObjectRef, bool] = PerSidecar(
            by_ref, lambda s: not any(m.level == "Error" for m in self.validation[s.ref]))
        #: istiod's order of objects: creation second, then the release's tie-break (name, namespace).
        self.order_key = creation_order(self.rules)
        # Sidecars of each namespace in istiod's order: selector ones first, then by age, name, namespace.
        self.sidecars_by_ns: dict[str, list[Sidecar]] = {}
        for s in sorted(mesh.sidecars, key=lambda s: (not s.spec.has_selector, self._sidecar_order(s))):
            self.sidecars_by_ns.setdefault(s.namespace, []).append(s)
        self._start_registry()
        vses, self.delegates = mesh_virtual_services(mesh, self.domain, self.order_key)
        self.vs_index = VirtualServiceIndex(vses, mesh.mesh_config.default_virtual_service_export_to,
                                            whole_default=self.rules.default_export_to_all_namespaces)
        #: The VirtualServices sidecars use (mesh gateway), effective exportTo filled in, in creation order.
        self.mesh_virtual_services = self.vs_index.all
        self.destination_rules = DestinationRuleIndex(
            mesh.destination_rules, mesh.mesh_config, order_key=self.order_key,
            merge_by_export_to=self.rules.destination_rule_merge_by_export_to)
        self._sidecars = {s.ref: s for s in mesh.sidecars}
        self._scope_views: dict[int, tuple] = {}
        self._scopes: dict[tuple, Scope] = {}
        self._resolutions: dict[tuple[str, str], Resolution] = {}
        self._resolution_kinds: dict[tuple, Resolution] = {}  # see resolve: what pods of one template share
        self._selections: dict[tuple, tuple] = {}
        self._selector_namespaces: dict[str, bool] = {}
        self._selectors_by_label: dict[str, dict[tuple[str, str], list[tuple[int, Service]]]] = {}
        self._ingresses: dict[tuple, tuple] = {}
        #: Outbound Envoy listeners per scope, filled by :mod:`sidecar_lab.core.traffic`.
        self.listener_cache: dict[int, tuple] = {}

    def sidecar(self, ref: ObjectRef | None) -> Sidecar | None:
        return self._sidecars.get(ref) if ref is not None else None

    def _sidecar_order(self, s: Sidecar) -> tuple:
        return self.order_key(s.created, s.name, s.namespace)

    def _check_mesh_config(self) -> None:
        """A mesh config this release's istiod cannot read is bad input (one error line), not a guess."""
        mc = self.mesh.mesh_config
        if mc.outbound_mode == ALLOW_ANY_DYNAMIC_DNS and not self.rules.allow_any_dynamic_dns:
            source = mc.source
            raise ManifestError(
                f"ALLOW_ANY_DYNAMIC_DNS is a mode of Istio {Rules.allow_any_dynamic_dns.since} and later; the istiod "
                f"of Istio {self.istio_version} cannot decode this mesh config (choose --istio-version 1.31, or "
                "REGISTRY_ONLY or ALLOW_ANY)", file=source.file if source else None,
                line=source.line if source else None, field="meshConfig.outboundTrafficPolicy.mode")

    # -- workloads -----------------------------------------------------------
    def workloads_in(self, namespace: str) -> tuple[Workload, ...]:
        """The workloads (Pods and controllers) of ``namespace``, in the mesh's order."""
        shard = getattr(self.mesh, "workloads_of", None)
        if shard is not None:  # a mesh from the cache reads one namespace's workloads when asked
            return shard(namespace)
        return self._grouped_workloads().get(namespace, ())

    def workload_namespaces(self) -> frozenset[str]:
        """The namespaces that have a workload."""
        names = getattr(self.mesh, "workload_namespaces", None)
        return names() if names is not None else frozenset(self._grouped_workloads())

    def _grouped_workloads(self) -> dict[str, tuple[Workload, ...]]:
        if self._workloads_by_ns is None:
            grouped: dict[str, list[Workload]] = {}
            for w in self.mesh.workloads:
                grouped.setdefault(w.namespace, []).append(w)
            self._workloads_by_ns = {ns: tuple(ws) for ns, ws in grouped.items()}
        return self._workloads_by_ns

    def _named_in(self, namespace: str) -> dict[str, Workload]:
        """The workloads of ``namespace`` by name: a Pod wins over a controller of the same name."""
        named = self._named.get(namespace)
        if named is None:
            named = self._named[namespace] = {}
            for w in self.workloads_in(namespace):
                if w.name not in named or w.kind == "Pod":
                    named[w.name] = w
        return named

    def workload(self, ref: str | Workload) -> Workload:
        if isinstance(ref, Workload):
            return ref
        if "/" not in ref:
            raise UsageError(f"workload {ref!r} must be written NAMESPACE/NAME")
        ns, name = ref.split("/", 1)
        found = self._named_in(ns).get(name)
        if found is None:
            known = sorted(f"{w.namespace}/{w.name}" for w in self.workloads())
            hint = f" (known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})" if known else ""
            raise UsageError(f"unknown workload {ref!r}{hint}")
        return found

    def workloads(self) -> list[Workload]:
        """Every workload (a Pod over a controller of the same name), by namespace and name."""
        return sorted((w for ns in self.workload_namespaces() for w in self._named_in(ns).values()),
                      key=lambda w: (w.namespace, w.name))

    def proxy_kind(self, w: Workload) -> tuple[str, Step]:
        """``sidecar``, ``gateway`` or ``none``, and why."""
        if w.is_gateway:
            return "gateway", Step("proxy.gateway", {"labels": _labels_text(w.labels)})
        if w.namespace in IGNORED_NAMESPACES:
            return "none", Step("proxy.ignored-namespace", {"namespace": w.namespace})
        if w.live and w.has_proxy_container is not None:
            if w.has_proxy_container:
                return "sidecar", Step("proxy.live-has-proxy", {})
            return "none", Step("proxy.live-no-proxy", {})
        if w.has_proxy_container:
            return "sidecar", Step("proxy.has-proxy-container", {})
        injected, why = injection_decision(w, self.namespaces.get(w.namespace))
        return ("sidecar" if injected else "none"), why

    # -- selection -----------------------------------------------------------
    def select(self, w: Workload, proxy: str) -> tuple[Sidecar | None, str, list[Candidate]]:
        """Walk the Sidecars as istiod does; return the chosen one, the scope, and every candidate.

        The walk reads only the workload's namespace and labels (and the proxy kind), so pods of one
        Deployment, which share both, share its answer.
        """
        # Without a workloadSelector among the Sidecars it walks, the walk does not read the labels at all.
        key = (w.namespace, proxy, tuple(w.labels.items()) if self._selectors_matter(w.namespace) else None)
        hit = self._selections.get(key)
        if hit is None:
            hit = self._selections[key] = self._select(w, proxy)
        return hit[0], hit[1], list(hit[2])

    def _selectors_matter(self, ns: str) -> bool:
        """Does a Sidecar of ``ns`` or of the root namespace have a workloadSelector?"""
        hit = self._selector_namespaces.get(ns)
        if hit is None:
            hit = self._selector_namespaces[ns] = any(
                s.spec.workload_selector is not None
                for s in self.sidecars_by_ns.get(ns, []) + self.sidecars_by_ns.get(self.root, []))
        return hit

    def _select(self, w: Workload, proxy: str) -> tuple[Sidecar | None, str, list[Candidate]]:
        ns = w.namespace
        local = self.sidecars_by_ns.get(ns, [])
        root_defaults = [] if ns == self.root else [
            s for s in sorted(self.sidecars_by_ns.get(self.root, []), key=self._sidecar_order)
            if not s.spec.has_selector]
        root_selectors = [] if ns == self.root else [
            s for s in self.sidecars_by_ns.get(self.root, [])
            if s.spec.has_selector and selector_matches(s.spec.workload_selector, w.labels)]
        out: list[Candidate] = []

        def add(s: Sidecar, level: str, outcome: str, key: str, **params: object) -> None:
            out.append(Candidate(s.ref, level, outcome, Step(key, params), str(s.source)))

        if proxy != "sidecar":
            key = "candidate.gateway" if proxy == "gateway" else "candidate.no-proxy"
            for s in local:
                if not s.spec.has_selector or selector_matches(s.spec.workload_selector, w.labels):
                    add(s, _level(s, ns), "not-applicable", key)
            for s in root_defaults + root_selectors:
                add(s, "root", "not-applicable", key)
            return None, ("gateway" if proxy == "gateway" else "none"), out

        chosen: Sidecar | None = None
        for s in local:
            level = _level(s, ns)
            if not self.admitted[s.ref]:
                add(s, level, "rejected", "candidate.rejected", error=self._first_error(s))
                continue
            selector = s.spec.workload_selector
            if selector is not None and not selector_matches(selector, w.labels):
                add(s, level, "no-match", "candidate.no-match", selector=_labels_text(selector),
                    labels=_labels_text(w.labels))
                continue
            if chosen is None:
                chosen = s
                if selector is None:
                    add(s, level, "selected", "candidate.selected-namespace", namespace=ns)
                elif not selector:
                    add(s, level, "selected", "candidate.selected-empty-selector")
                else:
                    add(s, level, "selected", "candidate.selected-selector", selector=_labels_text(selector))
                continue
            key, params = self._shadow_reason(s, chosen)
            add(s, level, "shadowed", key, **params)
        scope = _level(chosen, ns) if chosen is not None else "default"
        if chosen is not None and ns == self.root:
            scope = "workload" if chosen.spec.has_selector else "namespace"
        for s in root_selectors:
            add(s, "root", "not-applicable", "candidate.root-selector", root=self.root, namespace=ns)
        for s in root_defaults:
            if not self.admitted[s.ref]:
                add(s, "root", "rejected", "candidate.rejected", error=self._first_error(s))
            elif chosen is None:
                chosen, scope = s, "root"
                add(s, "root", "selected", "candidate.selected-root", root=self.root, namespace=ns)
            else:
                key, params = self._shadow_reason(s, chosen)
                add(s, "root", "shadowed", key, **params)
        return chosen, scope, out

    def _shadow_reason(self, s: Sidecar, winner: Sidecar) -> tuple[str, dict]:
        params = {"winner": str(winner.ref)}
        if winner.namespace != s.namespace:
            return "candidate.shadowed-by-namespace", params
        if winner.spec.has_selector and not s.spec.has_selector:
            return "candidate.shadowed-by-selector", params
        if winner.created < s.created:
            return "candidate.shadowed-older", params
        if not self.rules.tie_break_name_then_namespace:
            params.update(first=f"{winner.name}.{winner.namespace}", second=f"{s.name}.{s.namespace}",
                          version=self.istio_version)
            return "candidate.shadowed-same-age-joined-name", params
        return "candidate.shadowed-same-age-name", params

    def _first_error(self, s: Sidecar) -> str:
        for m in self.validation[s.ref]:
            if m.level == "Error":
                return f"{m.field}: {m.message}"
        return ""

    # -- scopes --------------------------------------------------------------
    def scope_for(self, sidecar: Sidecar | None, config_namespace: str, gateway: bool = False) -> Scope:
        key = (sidecar.ref if sidecar else None, config_namespace, gateway)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = self._compute_scope(sidecar, config_namespace, gateway)
        return scope

    def _policy(self, sidecar: Sidecar | None) -> EffectivePolicy:
        otp = sidecar.spec.outbound_traffic_policy if sidecar is not None else None
        if otp is not None:
            proxy = None
            if otp.egress_proxy is not None:
                proxy = {"host": otp.egress_proxy.host, "port": otp.egress_proxy.port,
                         "subset": otp.egress_proxy.subset}
            return EffectivePolicy(otp.effective_mode, "sidecar", proxy, str(sidecar.ref))
        mc = self.mesh.mesh_config
        return EffectivePolicy(mc.outbound_mode, "mesh", None, mc.outbound_mode_from)

    def _compute_scope(self, sidecar: Sidecar | None, ns: str, gateway: bool) -> Scope:
        policy = self._policy(None if gateway else sidecar)
        if gateway or (sidecar is None and not self.rules.unified_sidecar_scope):
            return self._exported_scope(ns, policy)
        egress = sidecar.spec.egress if (sidecar is not None and not gateway) else None
        implicit = not egress
        listeners_spec = egress if egress else (EgressListener(hosts=("*/*",)),)
        listeners: list[ScopeListener] = []
        for spec in listeners_spec:
            listeners.append(self._scope_listener(spec, ns, implicit))
        services, via, notes = self._merge_services(listeners, ns)
        return Scope(sidecar, ns, tuple(listeners), tuple(services), via, policy,
                     self._select_destination_rules(services, ns), tuple(notes))

    def _exported_scope(self, ns: str, policy: EffectivePolicy) -> Scope:
        """Every service exported to ``ns``, one per hostname as ``appendSidecarServices`` keeps them.

        istiod's ``DefaultSidecarScopeForGateway`` in every release, and its
        ``DefaultSidecarScopeForNamespace`` for a sidecar without a Sidecar before 1.24
        (``Rules.unified_sidecar_scope``): the services in ``servicesExportedToNamespace`` order, the
        first service of a hostname wins, a Kubernetes Service over a ServiceEntry; the proxy's own
        namespace has no say.
        """
        exported = self._candidates(HostImports(("*/*",), ns), ns)
        services, via, _ = self._merge_services([], ns, exported)
        vses = tuple(vs for vs in self.mesh_virtual_services if exported_to(vs.export_to, vs.namespace, ns))
        listener = ScopeListener(EgressListener(hosts=("*/*",)), True, None, tuple(services), dict(via), vses)
        return Scope(None, ns, (listener,), tuple(services), via, policy, self._select_destination_rules(services, ns))

    def _select_destination_rules(self, services: list[RegistryService], ns: str) -> Mapping[str, tuple]:
        """``SidecarScope.selectDestinationRules``: the DestinationRules each visible service needs."""
        if not self.destination_rules:
            return EMPTY
        out = {}
        for svc in services:
            rules = self.destination_rules.for_service(ns, svc.hostname, svc.namespace)
            if rules:
                out[svc.hostname] = tuple(rules)
        return out

    def _candidates(self, imports: HostImports, ns: str) -> list[RegistryService]:
        """The services an egress listener looks at, in ``servicesExportedToNamespace`` order: the
        namespace's private ones, those exported to it by name, then the public ones (each by age); from
        1.30.3 (``Rules.services_exported_in_creation_order``) the first two in one list by age."""
        star = imports.by_namespace.get("*")
        if star is not None and any(name.startswith("*") for name, _ in star.all):
            pool: Iterable[RegistryService] = self.registry
        else:
            found: dict[int, RegistryService] = {}
            for key in imports.by_namespace:
                if key != "*":
                    for svc in self.by_namespace.get(key, ()):
                        found[id(svc)] = svc
            if star is not None:
                for name in star.exact:
                    for svc in self.by_hostname.get(name, {}).values():
                        found[id(svc)] = svc
            pool = sorted(found.values(), key=lambda s: s.order)
        if self._all_public:
            return pool  # type: ignore[return-value]
        visible = [svc for svc in pool if self.exported(svc, ns)]
        if self.rules.services_exported_in_creation_order:  # 1.30.3: private and exported-by-name in one list
            return sorted(visible, key=lambda s: (1 if "*" in s.export_to else 0, s.order))
        return sorted(visible, key=lambda s: (2 if "*" in s.export_to else 0 if s.namespace == ns else 1, s.order))

    def _scope_listener(self, spec: EgressListener, ns: str, implicit: bool) -> ScopeListener:
        """``convertIstioListenerToWrapper``: the services (``selectServices``) and VirtualServices
        (``SelectVirtualServices``) one egress listener imports."""
        imports = HostImports(spec.hosts, ns, exclusions=self.rules.egress_host_exclusion)
        match_port = None
        if spec.port is not None and spec.port.number and parse_protocol(spec.port.protocol) != "HTTP_PROXY":
            match_port = spec.port.number
        imported: list[RegistryService] = []
        via: dict[tuple[str, str], str] = {}
        for svc in self._candidates(imports, ns):
            hit = imports.import_key(svc.hostname, svc.namespace)
            if hit is None:
                continue
            if match_port is not None:
                trimmed = svc.trimmed(match_port)
                if trimmed is None:
                    continue
                svc = trimmed
            if svc.aliases:  # matchingAliasService: keep only the aliases these hosts import too
                kept = tuple(a for a in svc.aliases if imports.imports_in(hit[0], a[0]))
                if kept != svc.aliases:
                    svc = replace(svc, aliases=kept)
            imported.append(svc)
            via[(svc.hostname, svc.namespace)] = hit[1]
        # One namespace per hostname: the config namespace, then (from 1.24) a Kubernetes Service, then the
        # first seen (selectServices).
        kubernetes_first = self.rules.unified_sidecar_scope
        chosen: dict[str, tuple[str, bool]] = {}
        for svc in imported:
            seen = chosen.get(svc.hostname)
            if seen is None or svc.namespace == ns or (
                    kubernetes_first and not seen[1] and svc.kubernetes and seen[0] != ns):
                chosen[svc.hostname] = (svc.namespace, svc.kubernetes)
        services = tuple(s for s in imported if chosen[s.hostname][0] == s.namespace)
        vses = self.vs_index.select(ns, imports) if self.vs_index.all else ()
        return ScopeListener(spec, implicit, match_port, services,
                             {s.hostname: via[(s.hostname, s.namespace)] for s in services}, vses)

    def _merge_services(self, listeners: list[ScopeListener], ns: str,
                        exported: Iterable[RegistryService] = ()) -> tuple[list[RegistryService], dict, list[Step]]:
        """Istio's ``collectImportedServices``: ``appendSidecarServices`` over every listener (or every
        ``exported`` service, imported by ``*/*``), then the destinations of its VirtualServices
        (``virtualServiceDestinationsFilteredBySourceNamespace`` from 1.24, ``virtualServiceDestinations``
        before). Also returns notes on what istiod does not decide the same way every time."""
        services: list[RegistryService] = []
        index: dict[str, int] = {}
        via: dict[str, str] = {}
        notes: list[Step] = []

        def append(svc: RegistryService, how: str) -> bool:
            """``appendSidecarServices``; True when ``svc`` is the first service of its hostname."""
            at = index.get(svc.hostname)
            if at is None:
                index[svc.hostname] = len(services)
                services.append(svc)
                via[svc.hostname] = how
                return True
            existing = services[at]
            if existing is svc or (existing.kubernetes and not svc.kubernetes):
                return False
            if not existing.kubernetes and svc.kubernetes:
                services[at] = svc
                via[svc.hostname] = how
                return False
            if existing.ports == svc.ports:
                return False
            if (existing.namespace != svc.namespace or existing.kind != svc.kind
                    or existing.resolution != svc.resolution or existing.export_to != svc.export_to):
                return False
            extra = tuple(p for p in svc.ports if existing.port(p.port) is None)
            if extra:
                services[at] = replace(existing, ports=existing.ports + extra)
            return False

        for svc in exported:
            append(svc, "*/*")
        by_source_namespace = ns if self.rules.vs_source_namespace_filter else ""
        for listener in listeners:
            for svc in listener.services:
                append(svc, listener.via[svc.hostname])
            for vs in listener.virtual_services:
                for host, ports in virtual_service_destinations(vs, by_source_namespace).items():
                    svc, tied = self.pick_virtual_service_destination(host, ns)
                    if svc is None:
                        continue
                    if listener.match_port is not None:
                        svc = svc.trimmed(listener.match_port)
                    elif ports and 0 not in ports:
                        kept = tuple(p for p in svc.ports if p.port in ports)
                        if not kept:
                            continue
                        if len(kept) != len(svc.ports):
                            svc = replace(svc, ports=kept)
                    if svc is not None and append(svc, f"VirtualService {vs.namespace}/{vs.name}") and tied:
                        notes.append(Step("note.vs-destination-not-deterministic", {
                            "host": host, "namespaces": ", ".join(tied), "chosen": svc.namespace,
                            "vs": f"{vs.namespace}/{vs.name}", "version": self.istio_version}))
        return services, via, notes

    def virtual_service_destination(self, host: str, ns: str) -> RegistryService | None:
        """The service a VirtualService destination ``host`` names for a scope of namespace ``ns``
        (``collectImportedServices``), or None; see :meth:`pick_virtual_service_destination`."""
        return self.pick_virtual_service_destination(host, ns)[0]

    def pick_virtual_service_destination(self, host: str, ns: str) -> tuple[RegistryService | None, tuple[str, ...]]:
        """(the service a VirtualService destination ``host`` names for a scope of namespace ``ns``, the
        namespaces istiod chooses among at random).

        The service of ``ns`` itself; else, among the namespaces that export ``host`` to ``ns``: from
        1.30 (``Rules.vs_inferred_pick_best_namespace``, ``pickBestVisibleNamespace``) the one with a
        Kubernetes Service, else the oldest service — istiod walks a Go map and keeps the first of
        those created in the same second, so when several tie the pick is not deterministic: the
        first in istiod's own service order stands in for it and the tied namespaces are returned;
        up to 1.29 the alphabetically first namespace (``pickFirstVisibleNamespace``).
        """
        by_ns = self.by_hostname.get(host)
        if not by_ns:
            return None, ()
        svc = by_ns.get(ns)
        if svc is not None:
            return svc, ()
        visible = [s for n, s in sorted(by_ns.items()) if self.exported(s, ns)]
        if not visible:
            return None, ()
        if not self.rules.vs_inferred_pick_best_namespace:
            return visible[0], ()
        tied = [s for s in visible if s.kubernetes]  # istiod returns the first it meets
        if not tied:
            oldest = min(s.obj.created for s in visible)
            tied = [s for s in visible if s.obj.created == oldest]
        tied.sort(key=lambda s: s.order)
        return tied[0], (tuple(sorted(s.namespace for s in tied)) if len(tied) > 1 else ())

    # -- resolve -------------------------------------------------------------
    def resolve(self, workload: str | Workload) -> Resolution:
        w = self.workload(workload)
        key = (w.namespace, w.name)
        cached = self._resolutions.get(key)
        if cached is not None and cached.workload is w:
            return cached
        # Pods of one Deployment differ in name, IP, age and file position only, and the answer reads none of
        # them: one is computed, its siblings share it (the same objects, so a writer encodes them once).
        kind = _workload_kind(w)
        shared = self._resolution_kinds.get(kind)
        if shared is None:
            res = self._resolve(w)
            self._resolution_kinds[kind] = res
        else:
            res = Resolution(w, *_resolution_rest(shared))
        self._resolutions[key] = res
        return res

    def _resolve(self, w: Workload) -> Resolution:
        proxy, proxy_reason = self.proxy_kind(w)
        chosen, scope_name, candidates = self.select(w, proxy)
        notes: list[Step] = []
        if proxy == "sidecar" and w.namespace not in self.namespaces:
            notes.append(Step("note.namespace-assumed", {"namespace": w.namespace}))
        if proxy == "none":
            res = Resolution(w, proxy, "none", None, tuple(candidates), None, (), (), (), w.namespace,
                             proxy_reason, Step("scope.none", {}), tuple(notes), self.istio_version)
        else:
            gateway = proxy == "gateway"
            scope = self.scope_for(chosen, w.namespace, gateway)
            egress, visible = self._scope_view(scope, w.labels)
            ingress = () if gateway else self.ingress(w, chosen)
            if chosen is None and not gateway:
                scope_reason = Step("scope.default", {"mode": scope.policy.mode})
            elif gateway:
                scope_reason = Step("scope.gateway", {})
            else:
                scope_reason = Step(f"scope.{scope_name}", {"sidecar": str(chosen.ref), "namespace": w.namespace})
            if chosen is not None and not gateway:
                notes.extend(self._no_merge_notes(chosen, w.namespace, scope.policy))
            notes.extend(scope.notes)
            res = Resolution(w, proxy, scope_name, chosen.ref if (chosen is not None and not gateway) else None,
                             tuple(candidates), scope.policy, egress, visible, ingress, w.namespace,
                             proxy_reason, scope_reason, tuple(notes), self.istio_version)
        return res

    def _scope_view(self, scope: Scope, labels: Mapping[str, str] = EMPTY) -> tuple:
        """The egress listeners and visible services of a scope, as results (shared by its workloads,
        unless a DestinationRule's workloadSelector picks this proxy)."""
        chosen = proxy_destination_rules(scope, labels)
        key: object = id(scope)
        if any(r.workload_selector is not None for r in chosen.values()):
            key = (id(scope), tuple(sorted((h, id(r)) for h, r in chosen.items() if r.workload_selector is not None)))
        view = self._scope_views.get(key)
        if view is None:
            egress = tuple(EffectiveEgress(
                _port_json(sl.listener.port), sl.listener.bind, sl.listener.capture_mode or "DEFAULT",
                sl.listener.hosts, sl.implicit) for sl in scope.listeners)
            visible = tuple(sorted((_visible_service(scope, s, chosen.get(s.hostname)) for s in scope.services),
                                   key=lambda v: (v.host, v.namespace)))
            view = self._scope_views[key] = (egress, visible)
        return view

    def resolve_all(self) -> list[Resolution]:
        return [self.resolve(w) for w in self.workloads()]

    def _no_merge_notes(self, chosen: Sidecar, ns: str, policy: EffectivePolicy) -> list[Step]:
        """Say what an unset field became, and that nothing was inherited from a lower level."""
        notes = []
        if chosen.spec.egress is None:
            notes.append(Step("note.egress-implicit", {"sidecar": str(chosen.ref)}))
        if chosen.spec.outbound_traffic_policy is None:
            notes.append(Step("note.mode-from-mesh", {"sidecar": str(chosen.ref), "mode": policy.mode,
                                                      "origin": policy.detail}))
        elif chosen.spec.outbound_traffic_policy.mode is None:
            notes.append(Step("note.empty-policy", {"sidecar": str(chosen.ref)}))
        return notes

    def _selecting(self, namespace: str, labels: Mapping[str, str]) -> list[Service]:
        """The Services of ``namespace`` whose selector selects ``labels``, in the mesh's order (looked up by
        one label of each selector, so a pod is not compared with every Service of its namespace)."""
        index = self._selectors_by_label.get(namespace)
        if index is None:
            index = self._selectors_by_label[namespace] = {}
            for position, svc in enumerate(self.services_by_ns.get(namespace, ())):
                if svc.selector:
                    first = next(iter(svc.selector.items()))
                    index.setdefault(first, []).append((position, svc))
        if not index:
            return []
        found = [hit for item in labels.items() for hit in index.get(item, ())
                 if selector_matches(hit[1].selector, labels)]
        if len(found) > 1:
            found.sort(key=_first)
        return [svc for _, svc in found]

    def ingress(self, w: Workload, sidecar: Sidecar | None) -> tuple[EffectiveIngress, ...]:
        """The workload's inbound listeners: they read its namespace, labels and container ports and
        the Sidecar, so pods of one Deployment share them."""
        key = (w.namespace, tuple(w.labels.items()), w.ports, id(sidecar))  # the value keeps the Sidecar alive
        hit = self._ingresses.get(key)
        if hit is None:
            hit = self._ingresses[key] = (sidecar, self._ingress(w, sidecar))
        return hit[1]

    def _ingress(self, w: Workload, sidecar: Sidecar | None) -> tuple[EffectiveIngress, ...]:
        pool = sidecar.spec.inbound_connection_pool if sidecar is not None else None
        pool_from = "sidecar"
        mesh_pool = self.mesh.mesh_config.default_connection_pool
        if pool is None and mesh_pool is not None and self.rules.mesh_default_traffic_policy:
            pool, pool_from = mesh_pool, "mesh"  # the 1.31 baseline, below the Sidecar's pools
        if sidecar is not None and sidecar.spec.ingress:
            out = []
            for entry in sidecar.spec.ingress:
                if entry.connection_pool is not None:
                    effective, origin = entry.connection_pool, "port"
                elif pool is not None:
                    effective, origin = pool, pool_from
                else:
                    effective, origin = None, "none"
                out.append(EffectiveIngress(_port_json(entry.port) or {}, entry.bind, entry.capture_mode or "DEFAULT",
                                            entry.default_endpoint, False, effective, origin))
            return tuple(out)
        by_port: dict[int, EffectiveIngress] = {}
        for svc in self._selecting(w.namespace, w.labels):
            for p in svc.ports:
                protocol = service_port_protocol(name=p.name, app_protocol=p.app_protocol, protocol=p.protocol)
                if protocol == "UDP":
                    continue
                number = _container_port(p.target_port, p.port, w)
                if number is None:
                    continue
                if number in by_port:
                    prev = by_port[number]
                    by_port[number] = EffectiveIngress(prev.port, None, "DEFAULT", None, True, prev.connection_pool,
                                                       prev.connection_pool_from,
                                                       prev.services + (f"{svc.namespace}/{svc.name}:{p.port}",))
                    continue
                by_port[number] = EffectiveIngress(
                    {"number": number, "protocol": protocol if protocol != "AUTO" else None, "name": p.name},
                    None, "DEFAULT", None, True, pool, pool_from if pool is not None else "none",
                    (f"{svc.namespace}/{svc.name}:{p.port}",))
        return tuple(by_port[k] for k in sorted(by_port))


def proxy_destination_rules(scope: Scope, labels: Mapping[str, str]) -> dict[str, ConsolidatedRule]:
    """hostname -> the DestinationRule a proxy with ``labels`` uses (``SidecarScope.DestinationRule``)."""
    if not scope.destination_rules:
        return {}
    out = {}
    for hostname in scope.destination_rules:
        rule = scope.destination_rule(hostname, labels)
        if rule is not None:
            out[hostname] = rule
    return out


def _visible_service(scope: Scope, s: RegistryService, rule: ConsolidatedRule | None) -> VisibleService:
    return VisibleService(s.namespace, s.hostname, s.kind, s.name, tuple(sorted(p.port for p in s.ports)),
                          scope.via[s.hostname], s.alias_for, rule.ref if rule is not None else None,
                          rule.subset_names() if rule is not None else (),
                          tuple(h for h, _ in s.aliases))


def _first(pair: tuple):
    return pair[0]


def _workload_kind(w: Workload) -> tuple:
    """Everything of a workload that :meth:`Simulator.resolve` reads: all but its name, IP, age and source."""
    return (w.kind, w.namespace, tuple(w.labels.items()), tuple(w.annotations.items()), w.ports,
            w.has_proxy_container, w.live, w.host_network, tuple(w.object_labels.items()),
            tuple(w.object_annotations.items()))


_RESOLUTION_REST = tuple(f.name for f in dataclass_fields(Resolution))[1:]
assert dataclass_fields(Resolution)[0].name == "workload"


def _resolution_rest(r: Resolution) -> tuple:
    """The fields of a Resolution after its workload."""
    return tuple([getattr(r, name) for name in _RESOLUTION_REST])


def _container_port(target: int | str | None, port: int, w: Workload) -> int | None:
    if target is None:
        return port
    if isinstance(target, int):
        return target
    if target.isdigit():
        return int(target)
    for cp in w.ports:
        if cp.name == target:
            return cp.container_port
    return None


def _level(s: Sidecar | None, ns: str) -> str:
    if s is None:
        return "default"
    if s.namespace != ns:
        return "root"
    return "workload" if s.spec.has_selector else "namespace"


def _labels_text(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "{}"


def _port_json(port) -> dict | None:
    if port is None:
        return None
    return {"number": port.number, "protocol": port.protocol, "name": port.name}

