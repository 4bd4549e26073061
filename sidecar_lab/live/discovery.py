"""Discovery: which Istio and Gateway API kinds (and versions) the API server serves, and every
namespaced resource type.

The kinds the simulator reads from custom resources (:data:`READ_KINDS`: Istio's Sidecar,
ServiceEntry, VirtualService and DestinationRule; the Gateway API's HTTPRoute) exist only once
their CRDs are installed. Discovery says which are served; a kind that is advertised but answers
404 when listed is *not* taken for a missing CRD: that would make every prediction run without the
cluster's Sidecars (or DestinationRules, or HTTPRoutes) and look fine. It is an error naming the
kind and the server (:meth:`Discovery.list_kind`).

:meth:`Discovery.namespaced_types` lists every resource type a namespace can hold, so cleanup can
see what is inside a namespace before it deletes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import ApiError, Connection

__all__ = ["Discovery", "ResourceType", "ReadKind", "ISTIO_GROUP", "ISTIO_VERSIONS", "ISTIO_KINDS", "READ_KINDS",
           "GATEWAY_GROUP", "GATEWAY_VERSIONS", "INSTALL_ISTIO", "INSTALL_GATEWAY_API"]

ISTIO_GROUP = "networking.istio.io"
ISTIO_VERSIONS = ("v1", "v1beta1", "v1alpha3")
#: The Istio kinds ``apply`` may write (and cleanup looks for), by plural.
ISTIO_KINDS = {"Sidecar": "sidecars", "ServiceEntry": "serviceentries", "VirtualService": "virtualservices"}
GATEWAY_GROUP = "gateway.networking.k8s.io"
#: The Gateway API versions the loader reads (``core.loader.KNOWN_API_VERSIONS``), preferred first.
GATEWAY_VERSIONS = ("v1", "v1beta1")
INSTALL_ISTIO = "istioctl install --set profile=default -y"
INSTALL_GATEWAY_API = ("kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/download/"
                       "v1.3.0/standard-install.yaml")


@dataclass(frozen=True)
class ReadKind:
    """A custom resource kind the snapshot reads: its group, plural and the versions the loader knows."""

    kind: str
    group: str
    plural: str
    versions: tuple[str, ...]
    #: The line that installs its CRD.
    install: str

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}"


def _istio(kind: str, plural: str) -> ReadKind:
    return ReadKind(kind, ISTIO_GROUP, plural, ISTIO_VERSIONS, INSTALL_ISTIO)


#: Every custom resource kind the simulator reads from a cluster, by kind.
READ_KINDS: dict[str, ReadKind] = {
    **{kind: _istio(kind, plural) for kind, plural in ISTIO_KINDS.items()},
    "DestinationRule": _istio("DestinationRule", "destinationrules"),
    "HTTPRoute": ReadKind("HTTPRoute", GATEWAY_GROUP, "httproutes", GATEWAY_VERSIONS, INSTALL_GATEWAY_API),
}
#: Resource types that are derived from others or hold no user objects; cleanup does not look at them.
#: Secrets are never read by sidecar-lab: they are listed as metadata only (see cleanup).
_DERIVED = frozenset({"events", "endpoints", "endpointslices", "bindings", "controllerrevisions", "leases",
                      "pods/status"})
_SKIPPED_GROUPS = frozenset({"metrics.k8s.io", "events.k8s.io"})


@dataclass(frozen=True)
class ResourceType:
    """One namespaced resource type the server serves (its preferred version)."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str

    @property
    def qualified(self) -> str:
        """``pods`` or ``deployments.apps`` (how kubectl names it unambiguously)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _not_installed(kind: str) -> ApiError:
    rk = READ_KINDS[kind]
    first = "install Istio first" if rk.group == ISTIO_GROUP else "install the Gateway API CRDs"
    return ApiError(f"the {kind} CRD ({rk.qualified}) is not installed: {first} ({rk.install})", 404)


class Discovery:
    """What one API server serves, read once and refreshed when a surprise calls for it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._served: dict[str, dict[str, list[str]]] = {}

    def istio_served(self, refresh: bool = False) -> dict[str, list[str]]:
        """``{plural: [served versions, preferred first]}`` of the networking.istio.io kinds the server knows."""
        return self.served(ISTIO_GROUP, refresh)

    def served(self, group: str, refresh: bool = False) -> dict[str, list[str]]:
        """``{plural: [served versions, preferred first]}`` of one API group (empty when it is not served).

        The versions the loader knows come first, in its order (``ISTIO_VERSIONS``, ``GATEWAY_VERSIONS``).
        """
        if group in self._served and not refresh:
            return self._served[group]
        conn = self.conn
        groups = conn.json("get", "/apis", None, conn.api("ApisApi").get_api_versions)
        versions: list[str] = []
        for entry in groups.get("groups") or []:
            if isinstance(entry, dict) and entry.get("name") == group:
                versions = [v.get("version") for v in entry.get("versions") or [] if isinstance(v, dict)]
        known = next((rk.versions for rk in READ_KINDS.values() if rk.group == group), ())
        order = [v for v in known if v in versions] + [v for v in versions if v not in known]
        served: dict[str, list[str]] = {}
        for version in order:
            found = conn.json("get", f"/apis/{group}/{version}", None, conn.custom.get_api_resources, group, version)
            for resource in found.get("resources") or []:
                name = resource.get("name") if isinstance(resource, dict) else None
                if name and "/" not in name:
                    served.setdefault(name, []).append(version)
        self._served[group] = served
        return served

    def version_for(self, kind: str, wanted: str | None = None) -> str:
        """The version to read or write ``kind`` with (``wanted`` when served); an ApiError when not installed."""
        plural = ISTIO_KINDS[kind]
        versions = self.istio_served().get(plural) or self.istio_served(refresh=True).get(plural)
        if not versions:
            raise _not_installed(kind)
        return wanted if wanted in versions else versions[0]

    def _advertised_but_404(self, kind: str, verb: str, exc: ApiError) -> ApiError | None:
        """A 404 from a kind discovery advertised: the error to raise, or None when a fresh discovery
        says the kind is gone now (its CRD was removed meanwhile, so it really is not there)."""
        rk = READ_KINDS[kind]
        served = self.served(rk.group, refresh=True).get(rk.plural)
        if not served:
            return None
        return ApiError(f"{self.conn.target} advertises {rk.qualified} ({', '.join(served)}) but answered "
                        f"404 Not Found to {verb} them ({exc}): the {kind}s cannot be read, so nothing is predicted "
                        "from a cluster that may have some (an API server being upgraded, or a broken CRD?) — retry, "
                        f"or check: {self.conn.kubectl} get {rk.qualified} -A", 404)

    def get_istio(self, kind: str, namespace: str, name: str) -> dict | None:
        """One Istio object, or None when it does not exist."""
        version = self.version_for(kind)
        conn, plural = self.conn, ISTIO_KINDS[kind]
        try:
            return conn.json("get", plural, namespace, conn.custom.get_namespaced_custom_object,
                             ISTIO_GROUP, version, namespace, plural, name)
        except ApiError as exc:
            if exc.status != 404:
                raise
            if exc.details.get("name") == name or f'"{name}" not found' in str(exc):
                return None
            raise self._advertised_but_404(kind, "getting", exc) or _not_installed(kind) from None

    def list_istio(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict] | None:
        """The objects of an Istio kind (in one namespace or all); None when its CRD is not installed."""
        return self.list_kind(kind, namespace, label_selector)

    def unreadable_versions(self, kind: str) -> list[str]:
        """The versions ``kind`` is served in when none of them is one the loader reads (else ``[]``)."""
        rk = READ_KINDS[kind]
        versions = self.served(rk.group).get(rk.plural) or []
        return [] if any(v in rk.versions for v in versions) else versions

    def list_kind(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict] | None:
        """The objects of a kind of :data:`READ_KINDS` (in one namespace or all), read in the first served
        version the loader knows; None when its CRD is not installed (or serves no such version: see
        :meth:`unreadable_versions`). Any other failure, a 403 included, is an ApiError."""
        rk = READ_KINDS[kind]
        versions = [v for v in self.served(rk.group).get(rk.plural) or [] if v in rk.versions]
        if not versions:
            return None
        conn, plural, group = self.conn, rk.plural, rk.group
        options = {"label_selector": label_selector} if label_selector else {}
        try:
            if namespace is None:
                data = conn.json("list", plural, None, conn.custom.list_cluster_custom_object, group,
                                 versions[0], plural, **options)
            else:
                data = conn.json("list", plural, namespace, conn.custom.list_namespaced_custom_object, group,
                                 versions[0], namespace, plural, **options)
        except ApiError as exc:
            if exc.status != 404:
                raise
            error = self._advertised_but_404(kind, "listing", exc)
            if error is None:
                return None  # the CRD was removed meanwhile: it really is not there now
            raise error from None
        items = []
        for item in data.get("items") or []:
            if isinstance(item, dict):
                item = dict(item)
                item.setdefault("apiVersion", f"{group}/{versions[0]}")
                item.setdefault("kind", kind)
                items.append(item)
        return items

    def namespaced_types(self) -> tuple[list[ResourceType], list[str]]:
        """Every namespaced resource type that can be listed (preferred versions), and the groups that
        could not be read (each with the reason)."""
        conn = self.conn
        types: list[ResourceType] = []
        problems: list[str] = []

        def add(group: str, version: str, listing: dict) -> None:
            for r in listing.get("resources") or []:
                if not isinstance(r, dict) or "/" in str(r.get("name")) or not r.get("namespaced"):
                    continue
                if "list" not in (r.get("verbs") or []) or r.get("name") in _DERIVED:
                    continue
                types.append(ResourceType(group, version, str(r["name"]), str(r.get("kind") or "")))

        add("", "v1", conn.json("get", "/api/v1", None, conn.core.get_api_resources))
        groups = conn.json("get", "/apis", None, conn.api("ApisApi").get_api_versions)
        for group in groups.get("groups") or []:
            name = group.get("name") if isinstance(group, dict) else None
            preferred = (group.get("preferredVersion") or {}).get("version") if name else None
            if not name or not preferred or name in _SKIPPED_GROUPS:
                continue
            try:
                add(name, preferred, conn.json("get", f"/apis/{name}/{preferred}", None,
                                               conn.custom.get_api_resources, name, preferred))
            except ApiError as exc:
                problems.append(f"{name}/{preferred}: {exc}")
        return types, problems

    def list_in_namespace(self, rtype: ResourceType, namespace: str, *, metadata_only: bool = True) -> list[dict]:
        """The objects of one type in a namespace (metadata only, so a Secret's data is never read)."""
        conn = self.conn
        options: dict[str, Any] = {}
        if metadata_only:
            options["_headers"] = {"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"}
        if rtype.group:
            fn, args = conn.custom.list_namespaced_custom_object, (rtype.group, rtype.version, namespace, rtype.plural)
        else:
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in rtype.kind).lstrip("_")
            fn = getattr(conn.core, f"list_namespaced_{snake}", None)
            if fn is None:
                raise ApiError(f"this kubernetes client cannot list {rtype.plural}", None)
            args = (namespace,)
        data = conn.json("list", rtype.qualified, namespace, fn, *args, **options)
        if metadata_only and data.get("kind") not in ("PartialObjectMetadataList", None):
            raise ApiError(f"{conn.target} did not answer a metadata-only list of {rtype.qualified}", None)
        return [i for i in data.get("items") or [] if isinstance(i, dict)]
