"""DestinationRules as istiod picks them for a proxy: ``exportTo`` (and the mesh default), merging,
the most specific host, the proxy's namespace first, then the service's, then the root namespace,
and ``workloadSelector``.

Follows ``pilot/pkg/model/push_context.go`` (``setDestinationRules``, ``destinationRule``,
``getExportedDestinationRuleFromNamespace``), ``destination_rule.go`` (``mergeDestinationRule``),
``config.go`` (``MostSpecificHostMatch``) and ``sidecar.go`` (``SidecarScope.DestinationRule``)
of Istio 1.26. Subsets become clusters ``outbound|P|subset|host`` (``cluster_builder.go``
``applyDestinationRule``).

>>> from sidecar_lab.core.model import DestinationRule, Subset, MeshConfig
>>> idx = DestinationRuleIndex([DestinationRule("app", "r", "reviews", (Subset("v1"),))], MeshConfig())
>>> [r.name for r in idx.for_service("other", "reviews.app.svc.cluster.local", "app")[0].sources]
['r']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .model import DestinationRule, MeshConfig, ObjectRef, Subset
from .vsindex import resolve_short_name

__all__ = ["ConsolidatedRule", "DestinationRuleIndex", "most_specific_host_match", "more_specific",
           "destination_rule_for_proxy", "selector_subset"]


@dataclass(slots=True)
class ConsolidatedRule:
    """Istio's ``ConsolidatedDestRule``: one or more DestinationRules for one host, merged."""

    host: str
    namespace: str
    export_to: frozenset
    workload_selector: Mapping[str, str] | None
    subsets: list[Subset] = field(default_factory=list)
    has_traffic_policy: bool = False
    sources: list[ObjectRef] = field(default_factory=list)

    @property
    def ref(self) -> ObjectRef:
        return self.sources[0]

    def subset_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subsets)


def more_specific(a: str, b: str) -> bool:
    """``host.MoreSpecific``: exact names before wildcards, longer first, then alphabetical."""
    aw, bw = a.startswith("*"), b.startswith("*")
    if aw != bw:
        return not aw
    if len(a) == len(b):
        return a < b
    return len(a) > len(b)


def most_specific_host_match(needle: str, specific: Mapping[str, object], wildcard: Mapping[str, object]):
    """``MostSpecificHostMatch``: the exact host, else the most specific wildcard covering it; None."""
    if needle.startswith("*"):
        if needle in wildcard:
            return needle
        needle = needle[1:]
    elif needle in specific:
        return needle
    best = None
    for h in wildcard:
        if needle.endswith(h[1:]) and (best is None or more_specific(h, best)):
            best = h
    return best


class _Rules:
    """``consolidatedDestRules``: the merged rules of one index, by host."""

    __slots__ = ("specific", "wildcard", "by_export", "export_of")

    def __init__(self, by_export: bool = True) -> None:
        self.specific: dict[str, list[ConsolidatedRule]] = {}
        self.wildcard: dict[str, list[ConsolidatedRule]] = {}
        #: Istio 1.24+ (``ENABLE_ENHANCED_DESTINATIONRULE_MERGE``): rules with different exportTo stay apart.
        self.by_export = by_export
        #: Up to 1.23, ``consolidatedDestRules.exportTo``: one exportTo per host, for all its rules.
        self.export_of: dict[str, frozenset] = {}

    def match_host(self, hostname: str) -> tuple[str, list[ConsolidatedRule]] | None:
        """(the host written in the rules, its rules) most specific for ``hostname``, or None."""
        hit = most_specific_host_match(hostname, self.specific, self.wildcard)
        if hit is None:
            return None
        return hit, (self.wildcard if hit.startswith("*") else self.specific)[hit]

    def match(self, hostname: str) -> list[ConsolidatedRule] | None:
        found = self.match_host(hostname)
        return found[1] if found is not None else None

    def merge(self, rule: DestinationRule, host: str, export_to: frozenset) -> None:
        """``mergeDestinationRule``: from 1.24 with ``ENABLE_ENHANCED_DESTINATIONRULE_MERGE`` (on by default),
        up to 1.23 without it (every rule merges, the host keeps the first non-empty exportTo)."""
        table = self.wildcard if host.startswith("*") else self.specific
        existing = table.get(host)
        if existing is None:
            table[host] = [_consolidated(rule, host, export_to)]
            self.export_of[host] = export_to
            return
        append_separately = True
        for mdr in existing:
            if not self.by_export:
                pass
            elif export_to == mdr.export_to:
                append_separately = False
            elif mdr.export_to and export_to >= mdr.export_to:
                append_separately = True
            else:
                append_separately = True
                continue
            both_without = rule.workload_selector is None and mdr.workload_selector is None
            both_with = rule.workload_selector is not None and mdr.workload_selector is not None
            selectors_match = dict(rule.workload_selector or {}) == dict(mdr.workload_selector or {})
            if both_with and not selectors_match:
                append_separately = True
                continue
            if both_without or (both_with and selectors_match):
                append_separately = False
            mdr.sources.append(rule.ref)
            names = {s.name for s in mdr.subsets}
            mdr.subsets.extend(s for s in rule.subsets if s.name not in names)
            if not mdr.has_traffic_policy and rule.has_traffic_policy:
                mdr.has_traffic_policy = True
            if not self.export_of.get(host) and export_to:
                self.export_of[host] = export_to
        if append_separately:
            existing.append(_consolidated(rule, host, export_to))


def _consolidated(rule: DestinationRule, host: str, export_to: frozenset) -> ConsolidatedRule:
    return ConsolidatedRule(host, rule.namespace, export_to, rule.workload_selector, list(rule.subsets),
                            rule.has_traffic_policy, [rule.ref])


class DestinationRuleIndex:
    """``setDestinationRules``: per namespace the rules its proxies look at first (private and
    public), the rules each namespace exports, and the root namespace's private ones.

    ``order_key(created, name, namespace)`` is the release's tie-break for rules created in the same
    second (``sortConfigBySelectorAndCreationTime``: selector rules first, then by age; name, then
    namespace by default; ``resolver.creation_order``); ``merge_by_export_to`` is
    ``Rules.destination_rule_merge_by_export_to`` (1.24).
    """

    def __init__(self, rules: Iterable[DestinationRule], mesh_config: MeshConfig, order_key=None,
                 merge_by_export_to: bool = True) -> None:
        self.root = mesh_config.root_namespace
        domain = mesh_config.domain
        default = mesh_config.default_destination_rule_export_to
        self.merge_by_export_to = merge_by_export_to
        self.namespace_local: dict[str, _Rules] = {}
        self.exported: dict[str, _Rules] = {}
        self.root_local = _Rules(merge_by_export_to)
        self.count = 0
        key = order_key or (lambda created, name, namespace: (created, name, namespace))
        ordered = sorted(rules, key=lambda r: (r.workload_selector is None, key(r.created, r.name, r.namespace)))
        for rule in ordered:
            self.count += 1
            host = resolve_short_name(rule.host, rule.namespace, domain)
            ns = rule.namespace
            export = frozenset(rule.export_to) if rule.workload_selector is None else frozenset({"."})
            if not export or "*" in export or "." in export or ns in export:
                self.namespace_local.setdefault(ns, _Rules(merge_by_export_to)).merge(rule, host, export)
            private_only = (not export and default is not None and "." in default) or (
                len(export) == 1 and ("." in export or ns in export))
            if not private_only:
                self.exported.setdefault(ns, _Rules(merge_by_export_to)).merge(rule, host, export)
            elif ns == self.root:
                self.root_local.merge(rule, host, export)

    def __bool__(self) -> bool:
        return self.count > 0

    def for_service(self, proxy_namespace: str, hostname: str, service_namespace: str) -> list[ConsolidatedRule]:
        """``PushContext.destinationRule``: the proxy's namespace (the root's private rules for a proxy
        of the root namespace), then the rules the service's namespace exports to the proxy, then
        those the root namespace exports."""
        if proxy_namespace != self.root:
            local = self.namespace_local.get(proxy_namespace)
            if local is not None:
                hit = local.match(hostname)
                if hit is not None:
                    return hit
        else:
            hit = self.root_local.match(hostname)
            if hit is not None:
                return hit
        for owner in (service_namespace, self.root):
            if not owner:
                continue
            out = self._exported_from(owner, hostname, proxy_namespace)
            if out:
                return out
        return []

    def _exported_from(self, owner: str, hostname: str, client: str) -> list[ConsolidatedRule]:
        """``getExportedDestinationRuleFromNamespace``: each merged rule's exportTo decides (1.24+);
        up to 1.23 the host's one exportTo decides for all of them."""
        rules = self.exported.get(owner)
        if rules is None:
            return []
        found = rules.match_host(hostname)
        if found is None:
            return []
        host, hit = found
        if not self.merge_by_export_to:
            export = rules.export_of.get(host, frozenset())
            return list(hit) if not export or "*" in export or client in export else []
        return [r for r in hit if not r.export_to or "*" in r.export_to or client in r.export_to]


def destination_rule_for_proxy(rules: Sequence[ConsolidatedRule], scope_namespace: str,
                               labels: Mapping[str, str]) -> ConsolidatedRule | None:
    """``SidecarScope.DestinationRule``: a rule of the scope's namespace whose ``workloadSelector``
    matches the proxy, else the (last) rule without a selector."""
    catch_all = None
    for rule in rules:
        if rule.workload_selector is None:
            catch_all = rule
        elif rule.namespace == scope_namespace and selector_subset(rule.workload_selector, labels):
            return rule
    return catch_all


def selector_subset(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())
