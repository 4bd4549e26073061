"""Host names as Istio compares them (``pkg/config/host/name.go``) and Sidecar host entries.

>>> subset_of("a.b.example.com", "*.example.com"), subset_of("example.com", "*.example.com")
(True, False)
>>> parse_host_entry("./*", "istioinaction")
('istioinaction', '*')
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["subset_of", "matches", "is_wildcard", "parse_host_entry", "HostImports", "exported_to",
           "default_export_to", "service_export_to", "virtual_service_export_to"]


def is_wildcard(host: str) -> bool:
    return host.startswith("*")


def subset_of(host: str, pattern: str) -> bool:
    """Istio's ``Name.SubsetOf``: every name ``host`` stands for is also matched by ``pattern``.

    Literal comparison only: no short-name expansion, so ``httpbin.default`` is not
    a subset of ``httpbin.default.svc.cluster.local``.
    """
    if host.startswith("*") and pattern.startswith("*"):
        return host[1:].endswith(pattern[1:])
    if pattern.startswith("*"):
        return host.endswith(pattern[1:])
    return host == pattern


def matches(a: str, b: str) -> bool:
    """Istio's bidirectional ``Name.Matches`` (used for VirtualService hosts)."""
    if a.startswith("*"):
        if b.startswith("*"):
            return a[1:].endswith(b[1:]) or b[1:].endswith(a[1:])
        return b.endswith(a[1:])
    if b.startswith("*"):
        return a.endswith(b[1:])
    return a == b


def parse_host_entry(entry: str, config_namespace: str) -> tuple[str, str] | None:
    """``namespace/dnsName`` with ``.`` replaced by the config namespace; None when malformed."""
    if entry.count("/") != 1:
        return None
    ns, name = entry.split("/", 1)
    if ns == ".":
        ns = config_namespace
    return ns, name


@dataclass(slots=True)
class _Patterns:
    exact: set = field(default_factory=set)
    all: list = field(default_factory=list)  # (dnsName, entry as written)

    def match(self, host: str, compare=None) -> str | None:
        """The entry that imports ``host``, or None (exact names first, as Istio looks them up).

        ``compare`` is the wildcard rule: :func:`subset_of` for services, :func:`matches`
        (bidirectional) for VirtualService hosts.
        """
        if host in self.exact:
            for name, entry in self.all:
                if name == host:
                    return entry
        compare = compare or subset_of
        wild = is_wildcard(host)
        for name, entry in self.all:
            if not wild and not is_wildcard(name):
                continue  # two exact names match only through the exact lookup above
            if compare(host, name):
                return entry
        return None


class HostImports:
    """The hosts of one egress listener, grouped by namespace (Istio's ``hostClassification``).

    With ``exclusions`` (Istio 1.31, ``Rules.egress_host_exclusion``), an entry whose namespace
    starts with ``~`` excludes what it matches instead of importing it: ``~/x`` and ``~*/x`` in
    every namespace, ``~./x`` in the config namespace, ``~ns/x`` in ``ns``. Without it, ``~`` is a
    namespace like any other, where nothing is defined.

    >>> HostImports(["*/*", "~/*"], "shop", exclusions=True).import_entry("a.b.svc.cluster.local", "b") is None
    True
    >>> HostImports(["*/*", "~/*"], "shop").import_entry("a.b.svc.cluster.local", "b")
    '*/*'
    """

    __slots__ = ("by_namespace", "excluded")

    def __init__(self, hosts: tuple[str, ...] | list[str], config_namespace: str, *, exclusions: bool = False) -> None:
        self.by_namespace: dict[str, _Patterns] = {}
        #: namespace (or ``*``) -> dnsNames excluded there (1.31).
        self.excluded: dict[str, list[str]] = {}
        for entry in hosts:
            if exclusions and entry.startswith("~") and entry.count("/") == 1:
                ns, name = entry[1:].split("/", 1)
                ns = "*" if ns == "" else config_namespace if ns == "." else ns
                self.excluded.setdefault(ns, []).append(name)
                continue
            parsed = parse_host_entry(entry, config_namespace)
            if parsed is None:
                continue
            ns, name = parsed
            patterns = self.by_namespace.setdefault(ns, _Patterns())
            if not is_wildcard(name):
                patterns.exact.add(name)
            patterns.all.append((name, entry))

    def is_excluded(self, host: str, namespace: str) -> bool:
        """``hostClassification.Excluded``: ``host`` is a subset of an exclusion of ``namespace`` or of ``*``."""
        for key in (namespace, "*"):
            for name in self.excluded.get(key, ()):
                if subset_of(host, name):
                    return True
        return False

    def import_entry(self, host: str, namespace: str) -> str | None:
        """The host entry that imports a service ``host`` defined in ``namespace``.

        An exclusion wins; then the entry for the service's own namespace is checked, then the ``*`` one.
        """
        hit = self.import_key(host, namespace)
        return hit[1] if hit is not None else None

    def import_key(self, host: str, namespace: str) -> tuple[str, str] | None:
        """(namespace key, entry) that imports ``host`` of ``namespace``: an exclusion wins, then its own
        namespace's entries, then ``*``."""
        if self.excluded and self.is_excluded(host, namespace):
            return None
        own = self.by_namespace.get(namespace)
        if own is not None:
            hit = own.match(host)
            if hit is not None:
                return namespace, hit
        star = self.by_namespace.get("*")
        if star is not None:
            hit = star.match(host)
            if hit is not None:
                return "*", hit
        return None

    def imports_in(self, key: str, host: str) -> bool:
        """Do the entries of namespace ``key`` match ``host`` (``hostClassification.Matches``, which
        does not look at exclusions)?"""
        patterns = self.by_namespace.get(key)
        return patterns is not None and patterns.match(host) is not None

    def import_vs_entry(self, hosts: tuple[str, ...], namespace: str, gateway_semantics: bool = False) -> str | None:
        """The entry that imports a VirtualService of ``namespace`` with these hosts (``SelectVirtualServices``,
        ``hostClassification.VSMatches``): wildcards match both ways, except for Gateway API routes, which
        match as services do. A host an exclusion covers is skipped; another host of the same
        VirtualService may still import it.
        """
        compare = subset_of if gateway_semantics else matches
        for key in (namespace, "*"):
            patterns = self.by_namespace.get(key)
            if patterns is None:
                continue
            for h in hosts:
                if self.excluded and self.is_excluded(h, namespace):
                    continue
                hit = patterns.match(h, compare)
                if hit is not None:
                    return hit
        return None


def exported_to(export_to: tuple[str, ...], own_namespace: str, namespace: str) -> bool:
    """Does an object of ``own_namespace`` with this (effective) ``exportTo`` reach ``namespace``?

    As ``initServiceRegistry`` and ``initVirtualServices`` index it: ``*`` makes it public whatever
    else is listed; otherwise ``~`` hides it from everyone; ``.`` (or its own namespace) keeps it
    in its namespace; any other entry exports it to that namespace.

    >>> exported_to(("~", "web"), "app", "web"), exported_to(("*", "~"), "app", "web")
    (False, True)
    """
    if "*" in export_to:
        return True
    if "~" in export_to:
        return False
    for item in export_to:
        if item == namespace or (item == "." and own_namespace == namespace):
            return True
    return False


def default_export_to(default: tuple[str, ...] | None, whole: bool = False) -> tuple[str, ...]:
    """What an object without ``exportTo`` gets from the mesh default (``initDefaultExportMaps``).

    Up to Istio 1.30.2 istiod honours only ``.`` and ``*`` in ``defaultServiceExportTo`` and
    ``defaultVirtualServiceExportTo`` (``.`` first): any other default leaves such an object
    exported nowhere. From 1.30.3 (``whole``, ``Rules.default_export_to_all_namespaces``) the
    default is read as a whole ``exportTo``: ``*`` public, ``~`` nowhere, ``.`` and names
    each. Unset, the default is ``*``; an empty list exports nowhere in every release.

    >>> default_export_to(None), default_export_to([".", "*"]), default_export_to(["team-a"])
    (('*',), ('.',), ('~',))
    >>> default_export_to([".", "team-a"], whole=True), default_export_to([".", "*"], whole=True)
    (('.', 'team-a'), ('.', '*'))
    """
    if default is None:
        return ("*",)
    if whole:
        return tuple(dict.fromkeys(default)) or ("~",)
    if "." in default:
        return (".",)
    if "*" in default:
        return ("*",)
    return ("~",)


def service_export_to(written: tuple[str, ...], mesh_default: tuple[str, ...] | None,
                      whole_default: bool = False) -> tuple[str, ...]:
    """A Service's or ServiceEntry's effective ``exportTo``: as written, else ``defaultServiceExportTo``
    (``push_context.go`` ``initServiceRegistry`` with ``initDefaultExportMaps``; ``whole_default``:
    :func:`default_export_to`)."""
    return written if written else default_export_to(mesh_default, whole_default)


def virtual_service_export_to(written: tuple[str, ...], mesh_default: tuple[str, ...] | None,
                              whole_default: bool = False) -> tuple[str, ...]:
    """A VirtualService's effective ``exportTo``: as written, else ``defaultVirtualServiceExportTo``
    (``push_context.go`` ``initVirtualServices``; ``whole_default``: :func:`default_export_to`)."""
    return written if written else default_export_to(mesh_default, whole_default)
