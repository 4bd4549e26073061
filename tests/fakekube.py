#!/usr/bin/env python3
"""fakekube: a small local Kubernetes API server for testing real clients.

``FakeKube`` serves enough of the Kubernetes REST API over real HTTP (and pod
exec over a real WebSocket) that the official ``kubernetes`` Python client can
be pointed at it through an ordinary kubeconfig::

    with FakeKube() as kube:
        kube.install_istio_crds()
        kube.add({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "web-0", "namespace": "default"},
                  "spec": {"containers": [{"name": "app"}]}})
        kube.exec_handler = lambda ns, pod, container, cmd: ("hi\\n", "", 0)
        path = kube.write_kubeconfig(tmp_path / "kubeconfig")
        # ... kubernetes.config.load_kube_config(config_file=str(path)) ...

Run as a script it serves until killed, for trying a command-line tool
against it by hand::

    python tests/fakekube.py --port 8001 --kubeconfig /tmp/fake.kubeconfig --istio --gateway-api

What it supports
----------------
* Resources (one in-memory store keyed by group, plural, namespace, name, so
  every served version of a group reads and writes the same objects):
  core v1 ``namespaces`` (cluster-scoped), ``pods``, ``services``,
  ``configmaps``, ``serviceaccounts``; apps/v1 ``deployments``,
  ``replicasets``, ``statefulsets``, ``daemonsets``; apiextensions.k8s.io/v1
  ``customresourcedefinitions`` (cluster-scoped); and every resource that a
  stored CRD defines. The Istio types (networking.istio.io v1, v1beta1 and
  v1alpha3 ``sidecars``, ``serviceentries``, ``virtualservices``,
  ``destinationrules``; install.istio.io/v1alpha1 ``istiooperators``) and the
  Gateway API types (gateway.networking.k8s.io ``httproutes`` and ``gateways``,
  v1 and v1beta1, or the versions asked for) exist only once their CRD is
  stored (``install_istio_crds()``, ``install_gateway_api_crds()`` or
  ``add(crd)``): until then they answer 404 like a real server does for an
  unknown resource, and they vanish from discovery. Deleting a CRD deletes its
  objects.
* Discovery: ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>``
  and ``/apis/<group>/<version>`` (enough for ``kubernetes.dynamic``).
* Verbs: list (namespaced and across all namespaces, ``labelSelector`` with
  ``=``, ``==``, ``!=``, ``in``, ``notin``, ``key`` and ``!key``;
  ``fieldSelector`` on ``metadata.name`` and ``metadata.namespace``, plus
  ``status.phase``, ``spec.nodeName`` and ``spec.serviceAccountName`` for
  pods), get, create (POST), replace (PUT, with resourceVersion conflict
  detection), patch (``application/merge-patch+json``,
  ``application/strategic-merge-patch+json`` treated as a JSON merge patch,
  ``application/json-patch+json`` with all RFC 6902 operations), delete
  (one object or a collection; deleting a namespace deletes its objects) and
  the ``status`` subresource (get, replace, patch). ``?dryRun=All`` on every
  write validates and admits the request, answers with the would-be object and
  stores nothing.
* Server-set fields: ``metadata.uid``, ``resourceVersion`` (one global
  counter), ``creationTimestamp`` (RFC 3339, one-second resolution),
  ``generation`` (non-core groups, bumped when anything but metadata and
  status changes), ``namespace``, names from ``generateName``; status is reset
  on create (namespaces become Active, pods Pending) and kept on updates of
  the main resource, as with a status subresource; services get a ClusterIP.
* Failures are ``Status`` objects with the reasons and codes a real server
  uses (NotFound 404, AlreadyExists 409, Conflict 409, Forbidden 403,
  Unauthorized 401, Invalid 422, BadRequest 400, MethodNotAllowed 405,
  UnsupportedMediaType 415, InternalError 500), so the client raises
  ``ApiException`` with the right ``.status``.
* Authentication: a bearer token (``fake-token`` unless ``token=`` says
  otherwise; ``token=None`` accepts anything). Authorization:
  ``deny(verb, plural, namespace)`` answers 403 with RBAC's wording.
* Admission: ``admission(obj, dry_run)`` runs on create, replace and patch of
  objects in the Istio config groups (``admission_groups``); error strings
  become the denial ``admission webhook "validation.istio.io" denied the
  request: configuration is invalid: ...`` (400, like a real webhook denial);
  an exception in the hook becomes a 500 "failed calling webhook".
* Pod exec over WebSocket (RFC 6455, server side, written here on the raw
  socket): subprotocols ``v5.channel.k8s.io``, ``v4.channel.k8s.io`` and
  ``channel.k8s.io`` (``exec_protocols``; the first one the client offers that
  the server supports wins, as on a real server), stdout on channel 1, stderr
  on channel 2, the v4 status on channel 3, then a close handshake. The
  command's result comes from ``exec_handler(namespace, pod, container,
  command) -> (stdout, stderr, exit_code)``.
* Metadata-only lists: a list asked for with ``Accept: application/json;as=PartialObjectMetadataList;
  g=meta.k8s.io;v=v1`` answers ``PartialObjectMetadata`` items (metadata only, as a real server
  does, so a Secret's data is not sent). ``headers`` records each request's ``Accept`` header.
* Fault injection: ``inject(method=, path=, times=, dry_run=, status=, message=, html=, truncate=,
  drop=, delay=, exec_drop=)`` makes the matching requests fail as real clusters and the proxies in front
  of them do: a ``Status`` with any code (403, 404, 409, 500, ...), a 200 answer in text/html (a
  proxy's login page), a JSON body cut off halfway (``truncate``), a connection closed without an
  answer (``drop``), a slow answer (``delay`` seconds first), or an exec stream that sends its
  output and is cut before the exit status (``exec_drop``). ``faults`` lists them, each with its
  ``hits``; ``clear_faults()`` removes them.
* Every socket operation has a timeout (``SOCKET_TIMEOUT``).

What it does not do
-------------------
watch (not advertised in discovery either), server-side apply
(``application/apply-patch+yaml`` answers 415), strategic merge semantics
(lists are replaced, ``$patch`` directives are dropped), schema validation of
object bodies (only names are checked) and OpenAPI endpoints, field managers
and ``managedFields``, ``limit``/``continue`` paging (lists are always
complete), finalizers and graceful deletion (objects vanish at once; pods and
namespaces are answered with a ``deletionTimestamp``), controllers (a
Deployment never makes pods), subresources other than ``status`` and
``pods/exec`` (no ``log``, ``scale``, ``attach``, ``portforward``), exec stdin
and terminal resizing (stdin frames are read and ignored), SPDY, TLS, and
any authorization beyond ``deny``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import dataclasses
import hashlib
import ipaddress
import json
import random
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

SOCKET_TIMEOUT = 5.0
CLOSE_HANDSHAKE_TIMEOUT = 2.0
MAX_BODY = 16 * 1024 * 1024
DEFAULT_TOKEN = "fake-token"
DEFAULT_USER = "system:serviceaccount:default:fake"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io")
ISTIO_ADMISSION_GROUPS = frozenset(
    {"networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"}
)
ISTIO_WEBHOOK = "validation.istio.io"

ExecHandler = Callable[[str, str, str, list], tuple]
AdmissionHook = Callable[[dict, bool], "list[str] | None"]


# --------------------------------------------------------------------------
# Resource catalogue
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives and how it behaves."""

    group: str  # "" for the core group
    versions: tuple  # served versions, preferred first
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple = ()
    categories: tuple = ()
    has_status: bool = True  # status is a subresource: kept on main-resource updates
    delete_returns_object: bool = True  # otherwise DELETE answers a Status
    from_crd: bool = False

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``pods`` or ``sidecars.networking.istio.io`` (how errors name it)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Pod`` or ``Sidecar.networking.istio.io`` (how Invalid errors name it)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def names(self) -> set:
        return {self.plural, self.singular, self.kind.lower(), self.qualified, *self.short_names}


BUILTIN_TYPES = (
    ResourceType("", ("v1",), "namespaces", "Namespace", namespaced=False, short_names=("ns",)),
    ResourceType("", ("v1",), "pods", "Pod", short_names=("po",), categories=("all",)),
    ResourceType("", ("v1",), "services", "Service", short_names=("svc",), categories=("all",)),
    ResourceType("", ("v1",), "configmaps", "ConfigMap", short_names=("cm",),
                 has_status=False, delete_returns_object=False),
    ResourceType("", ("v1",), "serviceaccounts", "ServiceAccount", short_names=("sa",),
                 has_status=False, delete_returns_object=False),
    ResourceType("", ("v1",), "secrets", "Secret", has_status=False, delete_returns_object=False),
    ResourceType("apps", ("v1",), "deployments", "Deployment", short_names=("deploy",),
                 categories=("all",), delete_returns_object=False),
    ResourceType("apps", ("v1",), "replicasets", "ReplicaSet", short_names=("rs",),
                 categories=("all",), delete_returns_object=False),
    ResourceType("apps", ("v1",), "statefulsets", "StatefulSet", short_names=("sts",),
                 categories=("all",), delete_returns_object=False),
    ResourceType("apps", ("v1",), "daemonsets", "DaemonSet", short_names=("ds",),
                 categories=("all",), delete_returns_object=False),
    ResourceType("apiextensions.k8s.io", ("v1",), "customresourcedefinitions",
                 "CustomResourceDefinition", namespaced=False, short_names=("crd", "crds")),
)
BUILTIN_GROUPS = ("apps", "apiextensions.k8s.io")  # besides core, in /apis order
NAMESPACES = BUILTIN_TYPES[0]
PODS = BUILTIN_TYPES[1]
CRDS = BUILTIN_TYPES[-1]

_ISTIO_NETWORKING = ("v1", "v1beta1", "v1alpha3")
_ISTIO_NETWORKING_CATEGORIES = ("istio-io", "networking-istio-io")
ISTIO_TYPES = (
    ResourceType("networking.istio.io", _ISTIO_NETWORKING, "sidecars", "Sidecar",
                 categories=_ISTIO_NETWORKING_CATEGORIES, from_crd=True),
    ResourceType("networking.istio.io", _ISTIO_NETWORKING, "serviceentries", "ServiceEntry",
                 short_names=("se",), categories=_ISTIO_NETWORKING_CATEGORIES, from_crd=True),
    ResourceType("networking.istio.io", _ISTIO_NETWORKING, "virtualservices", "VirtualService",
                 short_names=("vs",), categories=_ISTIO_NETWORKING_CATEGORIES, from_crd=True),
    ResourceType("networking.istio.io", _ISTIO_NETWORKING, "destinationrules", "DestinationRule",
                 short_names=("dr",), categories=_ISTIO_NETWORKING_CATEGORIES, from_crd=True),
    ResourceType("install.istio.io", ("v1alpha1",), "istiooperators", "IstioOperator",
                 short_names=("iop", "io"), from_crd=True),
)


_GATEWAY_API = ("v1", "v1beta1")
GATEWAY_API_TYPES = (
    ResourceType("gateway.networking.k8s.io", _GATEWAY_API, "httproutes", "HTTPRoute",
                 categories=("gateway-api",), from_crd=True),
    ResourceType("gateway.networking.k8s.io", _GATEWAY_API, "gateways", "Gateway", short_names=("gtw",),
                 categories=("gateway-api",), from_crd=True),
)
CRD_TYPES = ISTIO_TYPES + GATEWAY_API_TYPES  # every type fakekube knows a CRD for


def version_priority(version: str) -> tuple:
    """Sort key for Kubernetes' version order: v1 > v1beta2 > v1beta1 > v1alpha1 > other."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = m.groups()
    return ({None: 0, "beta": 1, "alpha": 2}[stage], -int(major), -int(minor or 0), version)


def crd_manifest(rtype: ResourceType) -> dict:
    """A CustomResourceDefinition that makes ``rtype`` served."""
    storage = sorted(rtype.versions, key=version_priority)[0]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": rtype.qualified},
        "spec": {
            "group": rtype.group,
            "names": {
                "plural": rtype.plural,
                "singular": rtype.singular,
                "kind": rtype.kind,
                "listKind": rtype.kind + "List",
                "shortNames": list(rtype.short_names),
                "categories": list(rtype.categories),
            },
            "scope": "Namespaced" if rtype.namespaced else "Cluster",
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": version == storage,
                    "schema": {"openAPIV3Schema": {"type": "object",
                                                   "x-kubernetes-preserve-unknown-fields": True}},
                    "subresources": {"status": {}},
                }
                for version in rtype.versions
            ],
        },
    }


def istio_crd(name: str) -> dict:
    """The CRD for an Istio type named by plural, kind, short or qualified name."""
    for rtype in ISTIO_TYPES:
        if name.lower() in rtype.names():
            return crd_manifest(rtype)
    raise KeyError(f"not an Istio type fakekube knows: {name}")


def type_from_crd(crd: dict) -> ResourceType | None:
    """The resource a stored CRD serves, or None when it serves no version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = [v for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]
    if not (spec.get("group") and names.get("plural") and names.get("kind") and served):
        return None
    return ResourceType(
        group=spec["group"],
        versions=tuple(sorted((v["name"] for v in served), key=version_priority)),
        plural=names["plural"],
        kind=names["kind"],
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        has_status=any("status" in (v.get("subresources") or {}) for v in served),
        from_crd=True,
    )


# --------------------------------------------------------------------------
# Errors: every failure is answered as a Kubernetes Status
# --------------------------------------------------------------------------


class KubeError(Exception):
    """A failure to answer as a ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(rtype: ResourceType, name: str | None) -> dict:
    details = {"name": name} if name else {}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.plural
    return details


def no_route() -> KubeError:
    return KubeError(404, "NotFound", "the server could not find the requested resource", {})


def not_found(rtype: ResourceType, name: str) -> KubeError:
    return KubeError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def already_exists(rtype: ResourceType, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists',
                     _details(rtype, name))


def conflict(rtype: ResourceType, name: str) -> KubeError:
    return KubeError(409, "Conflict",
                     f'Operation cannot be fulfilled on {rtype.qualified} "{name}": the object has '
                     "been modified; please apply your changes to the latest version and try again",
                     _details(rtype, name))


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def invalid(rtype: ResourceType, name: str, field: str, cause: str) -> KubeError:
    details = _details(rtype, name)
    details["kind"] = rtype.kind
    details["causes"] = [{"reason": "FieldValueInvalid", "message": cause, "field": field}]
    return KubeError(422, "Invalid", f'{rtype.qualified_kind} "{name}" is invalid: {field}: {cause}',
                     details)


def webhook_denied(errors: list) -> KubeError:
    if len(errors) == 1:
        detail = str(errors[0])
    else:  # hashicorp/go-multierror, as Istio's webhook prints several errors
        detail = f"{len(errors)} errors occurred:\n" + "".join(f"\t* {e}\n" for e in errors) + "\n"
    return KubeError(400, "", f'admission webhook "{ISTIO_WEBHOOK}" denied the request: '
                              f"configuration is invalid: {detail}")


_FAULT_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                  410: "Gone", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
                  503: "ServiceUnavailable", 504: "Timeout"}
LOGIN_PAGE = ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
              "<h1>Sign in to continue</h1><form method=\"post\" action=\"/login\">"
              "<input name=\"user\"><input name=\"password\" type=\"password\"></form>\n</body></html>\n")


@dataclass
class Fault:
    """A failure injected into the requests it matches (see ``FakeKube.inject``)."""

    method: str | None = None  # GET, POST, PUT, PATCH, DELETE (None: any)
    path: str = ".*"  # a regex the request path must match in full
    times: int | None = None  # how many requests it hits (None: every one)
    status: int | None = None  # answer a Status with this code
    message: str = ""
    html: bool = False  # answer 200 with an HTML page
    truncate: bool = False  # answer as usual, cut the body off halfway, close the connection
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # wait this many seconds first
    exec_drop: bool = False  # exec: send the output, then cut the stream before the exit status
    dry_run: bool | None = None  # only server dry runs (True), only real requests (False), or both (None)
    hits: int = 0

    def matches(self, method: str, path: str, query: dict, exec_stream: bool) -> bool:
        if self.exec_drop != exec_stream or (self.times is not None and self.hits >= self.times):
            return False
        if self.dry_run is not None and ("dryRun" in query) != self.dry_run:
            return False
        return (self.method is None or self.method == method) and re.fullmatch(self.path, path) is not None

    def status_body(self) -> dict:
        reason = _FAULT_REASONS.get(self.status, "InternalError")
        default = ("the server could not find the requested resource" if self.status == 404
                   else f"Internal error occurred: injected fault ({reason})" if self.status == 500
                   else f"injected fault: {reason}")
        return KubeError(self.status, reason, self.message or default, {} if self.status == 404 else None).status()


# --------------------------------------------------------------------------
# Pure helpers: names, selectors, patches
# --------------------------------------------------------------------------

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*"
_DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_NAME_RULES = {  # plural -> (regex, max length, explanation)
    "namespaces": (_DNS1123_LABEL, 63, "a lowercase RFC 1123 label must consist of lower case "
                   "alphanumeric characters or '-', and must start and end with an alphanumeric "
                   "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                   f"'{_DNS1123_LABEL}')"),
    "services": (_DNS1035_LABEL, 63, "a DNS-1035 label must consist of lower case alphanumeric "
                 "characters or '-', start with an alphabetic character, and end with an "
                 "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                 f"validation is '{_DNS1035_LABEL}')"),
}
_SUBDOMAIN_RULE = (_DNS1123_SUBDOMAIN, 253, "a lowercase RFC 1123 subdomain must consist of lower "
                   "case alphanumeric characters, '-' or '.', and must start and end with an "
                   "alphanumeric character (e.g. 'example.com', regex used for validation is "
                   f"'{_DNS1123_SUBDOMAIN}')")


def check_name(rtype: ResourceType, name: str) -> None:
    pattern, limit, explanation = _NAME_RULES.get(rtype.plural, _SUBDOMAIN_RULE)
    if len(name) > limit:
        raise invalid(rtype, name, "metadata.name",
                      f'Invalid value: "{name}": must be no more than {limit} characters')
    if not re.fullmatch(pattern, name):
        raise invalid(rtype, name, "metadata.name", f'Invalid value: "{name}": {explanation}')


def generated_name(prefix: str) -> str:
    return prefix + "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SELECTOR_TERMS = re.compile(r",(?![^(]*\))")  # commas outside "in (a,b)"
_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[-A-Za-z0-9_.]*"


def label_selector(text: str) -> Callable[[dict], bool]:
    """A predicate over a labels dict for a label selector string."""
    tests = []
    for term in (t.strip() for t in _SELECTOR_TERMS.split(text or "")):
        if not term:
            continue
        if m := re.fullmatch(rf"({_KEY})\s+(in|notin)\s+\(([^)]*)\)", term):
            key, op = m[1], m[2]
            values = {v.strip() for v in m[3].split(",") if v.strip()}
            if op == "in":
                tests.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                tests.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif m := re.fullmatch(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})", term):
            key, op, value = m[1], m[2], m[3]
            if op == "!=":
                tests.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                tests.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif m := re.fullmatch(rf"(!?)\s*({_KEY})", term):
            negate, key = m[1] == "!", m[2]
            tests.append(lambda labels, k=key, n=negate: (k in labels) != n)
        else:
            raise bad_request(f"unable to parse requirement: {term!r}")
    return lambda labels: all(test(labels) for test in tests)


_FIELDS = {"metadata.name", "metadata.namespace"}
_POD_FIELDS = _FIELDS | {"status.phase", "spec.nodeName", "spec.serviceAccountName"}


def field_selector(rtype: ResourceType, text: str) -> Callable[[dict], bool]:
    """A predicate over an object for the few field selectors fakekube knows."""
    tests = []
    for term in (t.strip() for t in (text or "").split(",")):
        if not term:
            continue
        m = re.fullmatch(r"([A-Za-z.]+)\s*(==|=|!=)\s*(.*)", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        path, op, value = m.groups()
        if path not in (_POD_FIELDS if rtype is PODS else _FIELDS):
            raise bad_request(f'field label not supported: {path}')

        def test(obj, path=path, op=op, value=value):
            found = obj
            for part in path.split("."):
                found = found.get(part) if isinstance(found, dict) else None
            return ((found or "") == value) != (op == "!=")
        tests.append(test)
    return lambda obj: all(test(obj) for test in tests)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def drop_directives(patch: Any) -> Any:
    """Strategic-merge-patch directives (``$patch``, ``$setElementOrder/..``) removed."""
    if isinstance(patch, dict):
        return {k: drop_directives(v) for k, v in patch.items() if not k.startswith("$")}
    if isinstance(patch, list):
        return [drop_directives(v) for v in patch if not (isinstance(v, dict) and "$patch" in v)]
    return patch


class JsonPatchError(Exception):
    pass


def _pointer(path: Any) -> list:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise JsonPatchError(f"invalid JSON pointer: {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def _index(container: list, token: str, *, append_ok: bool = False) -> int:
    if append_ok and token == "-":
        return len(container)
    if not re.fullmatch(r"0|[1-9][0-9]*", token):
        raise JsonPatchError(f"invalid array index: {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not append_ok):
        raise JsonPatchError(f"array index out of bounds: {index}")
    return index


def _resolve(doc: Any, tokens: list) -> Any:
    for token in tokens:
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list):
            doc = doc[_index(doc, token)]
        else:
            raise JsonPatchError(f"path not found: /{'/'.join(tokens)}")
    return doc


def _add(doc: Any, tokens: list, value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1])
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], append_ok=True), value)
    else:
        raise JsonPatchError(f"cannot add to a {type(parent).__name__}")
    return doc


def _remove(doc: Any, tokens: list) -> tuple:
    """(document, removed value)."""
    if not tokens:
        raise JsonPatchError("cannot remove the whole document")
    parent = _resolve(doc, tokens[:-1])
    if isinstance(parent, dict) and tokens[-1] in parent:
        return doc, parent.pop(tokens[-1])
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, tokens[-1]))
    raise JsonPatchError(f"path not found: /{'/'.join(tokens)}")


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    if not isinstance(operations, list):
        raise JsonPatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise JsonPatchError(f"malformed operation: {op!r}")
        kind, path = op["op"], _pointer(op["path"])
        if kind in ("add", "replace", "test") and "value" not in op:
            raise JsonPatchError(f"operation {kind} needs a value")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            doc, _ = _remove(doc, path) if path else (doc, None)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "move":
            doc, value = _remove(doc, _pointer(op.get("from")))
            doc = _add(doc, path, value)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_resolve(doc, _pointer(op.get("from")))))
        elif kind == "test":
            if _resolve(doc, path) != op["value"]:
                raise JsonPatchError(f"test failed at {op['path']}")
        else:
            raise JsonPatchError(f"unknown operation: {kind!r}")
    return doc


# --------------------------------------------------------------------------
# WebSocket (RFC 6455, server side, on an http.server connection)
# --------------------------------------------------------------------------


class WebSocket:
    """Just enough of RFC 6455 to serve a Kubernetes exec stream."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

    def __init__(self, handler: BaseHTTPRequestHandler, protocol: str | None):
        self.handler, self.protocol = handler, protocol
        self._closed_by_peer = False

    @staticmethod
    def offered_protocols(headers) -> list:
        offered = []
        for value in headers.get_all("Sec-WebSocket-Protocol") or []:
            offered += [p.strip() for p in value.split(",") if p.strip()]
        return offered

    @classmethod
    def choose_protocol(cls, headers, supported) -> str | None:
        """The first protocol the client offers that the server supports (as
        apimachinery's wsstream does); None when the client offers none."""
        offered = cls.offered_protocols(headers)
        if not offered:
            return None
        for protocol in offered:
            if protocol in supported:
                return protocol
        raise bad_request(f"requested protocol(s) are not supported: {offered}; "
                          f"supports {list(supported)}")

    @classmethod
    def accept(cls, handler: BaseHTTPRequestHandler, supported) -> "WebSocket":
        """Check the upgrade request, answer 101 and return the connection."""
        headers = handler.headers
        upgrade = (headers.get("Upgrade") or "").lower()
        connection = [t.strip().lower() for t in (headers.get("Connection") or "").split(",")]
        key = headers.get("Sec-WebSocket-Key")
        if upgrade != "websocket" or "upgrade" not in connection or not key:
            raise bad_request("Upgrade request required")
        if headers.get("Sec-WebSocket-Version") != "13":
            raise bad_request("unsupported WebSocket version; only 13 is supported")
        protocol = cls.choose_protocol(headers, supported)
        accept = base64.b64encode(hashlib.sha1((key + cls.GUID).encode()).digest()).decode()
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        if protocol:
            handler.send_header("Sec-WebSocket-Protocol", protocol)
        handler.end_headers()
        handler.wfile.flush()
        handler.close_connection = True
        return cls(handler, protocol)

    def send(self, opcode: int, payload: bytes = b"") -> None:
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        self.handler.wfile.write(header + payload)  # server frames are never masked

    def _read_exactly(self, count: int) -> bytes:
        data = self.handler.rfile.read(count)
        if len(data) != count:
            raise ConnectionError("WebSocket peer went away")
        return data

    def recv(self) -> tuple:
        """(opcode, payload) of the next complete client message."""
        message, message_opcode = b"", None
        while True:
            first, second = self._read_exactly(2)
            fin, opcode = first & 0x80, first & 0x0F
            if not second & 0x80:
                raise ConnectionError("client frames must be masked")
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read_exactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read_exactly(8))
            if length > MAX_BODY:
                raise ConnectionError("WebSocket frame too large")
            mask = self._read_exactly(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exactly(length)))
            if opcode >= self.CLOSE:  # control frames may arrive between fragments
                if opcode == self.PING:
                    self.send(self.PONG, payload)
                    continue
                if opcode == self.CLOSE:
                    self._closed_by_peer = True
                return opcode, payload
            if opcode != self.CONTINUATION:
                message_opcode = opcode
            message += payload
            if fin:
                return message_opcode, message

    def send_channel(self, channel: int, data: bytes, chunk: int = 32 * 1024) -> None:
        for start in range(0, max(len(data), 1), chunk):
            self.send(self.BINARY, bytes([channel]) + data[start:start + chunk])

    def close(self, code: int = 1000) -> None:
        """Send a close frame, then wait (bounded) for the client's."""
        try:
            self.send(self.CLOSE, struct.pack("!H", code))
            self.handler.connection.settimeout(CLOSE_HANDSHAKE_TIMEOUT)
            while not self._closed_by_peer:
                self.recv()  # stdin and resize frames are read and ignored
        except (OSError, ConnectionError, ValueError):
            pass


# --------------------------------------------------------------------------
# Requests and the router
# --------------------------------------------------------------------------


class RequestRecord(NamedTuple):
    method: str
    path: str
    query: dict  # name -> list of values, as parse_qs gives them


class ExecRecord(NamedTuple):
    namespace: str
    pod: str
    container: str
    command: list
    protocol: str | None


@dataclass
class ApiRequest:
    method: str
    path: str
    query: dict
    headers: Any  # http.client.HTTPMessage
    body: bytes
    handler: BaseHTTPRequestHandler | None = None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("true", "1")

    @property
    def dry_run(self) -> bool:
        values = self.query.get("dryRun", [])
        for value in values:
            if value != "All":
                raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return bool(values)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()

    def json(self) -> Any:
        if not self.body:
            raise bad_request("the request body is empty")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise bad_request(f"the body of the request could not be decoded: {exc}")

    def json_object(self) -> dict:
        body = self.json()
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        return body


_CORE = r"/api/(?P<version>v1)"
_GROUP = r"/apis/(?P<group>[^/]+)/(?P<version>[^/]+)"
_IN_NS = r"(?:/namespaces/(?P<namespace>[^/]+))?"
_COLLECTION = _IN_NS + r"/(?P<plural>[^/]+)"
_ITEM = _COLLECTION + r"/(?P<name>[^/]+)"
_STATUS = _ITEM + r"/(?P<subresource>status)"


def _routes() -> list:
    """(methods, path regex, FakeKube handler method). The first match wins;
    a path that matches only with other methods answers 405."""
    table = [
        ("GET", r"/version/?", "serve_version"),
        ("GET", r"/api/?", "serve_core_versions"),
        ("GET", r"/api/v1/?", "serve_core_resources"),
        ("GET", r"/apis/?", "serve_group_list"),
        ("GET", r"/apis/(?P<group>[^/]+)/?", "serve_group"),
        ("GET", r"/apis/(?P<group>[^/]+)/(?P<version>[^/]+)/?", "serve_group_resources"),
        ("GET POST", r"/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<name>[^/]+)/exec",
         "serve_exec"),
    ]
    for prefix in (_CORE, _GROUP):
        table += [  # status first: /namespaces/x/status is the namespace's status
            ("GET", prefix + _STATUS, "serve_get"),
            ("PUT", prefix + _STATUS, "serve_replace"),
            ("PATCH", prefix + _STATUS, "serve_patch"),
            ("GET", prefix + _COLLECTION, "serve_list"),
            ("POST", prefix + _COLLECTION, "serve_create"),
            ("DELETE", prefix + _COLLECTION, "serve_delete_collection"),
            ("GET", prefix + _ITEM, "serve_get"),
            ("PUT", prefix + _ITEM, "serve_replace"),
            ("PATCH", prefix + _ITEM, "serve_patch"),
            ("DELETE", prefix + _ITEM, "serve_delete"),
        ]
    return [(frozenset(methods.split()), re.compile(path), handler) for methods, path, handler in table]


ROUTES = _routes()

# Kubernetes verb (for deny) per handler; list vs get is decided by the path.
_VERBS = {"serve_list": "list", "serve_create": "create", "serve_delete_collection": "deletecollection",
          "serve_get": "get", "serve_replace": "update", "serve_patch": "patch",
          "serve_delete": "delete", "serve_exec": "create"}


class _Target(NamedTuple):
    """The resource a request addresses."""

    rtype: ResourceType
    version: str
    namespace: str  # "" for cluster-scoped resources or all namespaces
    name: str | None
    subresource: str | None


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class FakeKube:
    """An in-memory Kubernetes API server on 127.0.0.1, for ``with`` blocks.

    Public attributes: ``url``, ``requests`` (RequestRecords seen), ``execs``
    (ExecRecords run), ``errors`` (tracebacks of fakekube's own bugs),
    ``exec_handler``, ``admission``, ``admission_groups``, ``exec_protocols``,
    ``token``, ``user``.
    """

    def __init__(self, *, port: int = 0, token: str | None = DEFAULT_TOKEN,
                 namespaces=DEFAULT_NAMESPACES, istio: bool = False):
        self.token = token
        self.user = DEFAULT_USER
        self.exec_handler: ExecHandler | None = None
        self.admission: AdmissionHook | None = None
        self.admission_groups = ISTIO_ADMISSION_GROUPS
        self.exec_protocols = list(EXEC_PROTOCOLS)
        self.requests: list = []
        self.headers: list = []  # (method, path, Accept header) of each request
        self.execs: list = []
        self.errors: list = []
        self.faults: list = []
        self._port = port
        self._lock = threading.RLock()
        self._store: dict = {}  # (group, plural, namespace, name) -> object
        self._revision = 0
        self._next_cluster_ip = 10
        self._denials: list = []
        self._version = {}
        self.set_version("1", "31", "v1.31.0")
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._clients: list = []
        for namespace in namespaces:
            self.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        if istio:
            self.install_istio_crds()
            self.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}})

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "FakeKube":
        self._server = _Server(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"fakekube:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for api_client in self._clients:
            try:
                api_client.close()
            except Exception:
                pass
        self._clients.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(timeout=SOCKET_TIMEOUT)
            self._server = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> "FakeKube":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- client configuration ------------------------------------------------

    def kubeconfig(self, context: str = "fake", namespace: str = "default") -> dict:
        user = {"token": self.token} if self.token else {}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url,
                                                       "insecure-skip-tls-verify": True}}],
            "users": [{"name": context, "user": user}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context,
                                                       "namespace": namespace}}],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(self, path, context: str = "fake", namespace: str = "default") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import yaml
            text = yaml.safe_dump(self.kubeconfig(context, namespace), sort_keys=False)
        except ImportError:  # JSON is YAML too
            text = json.dumps(self.kubeconfig(context, namespace), indent=2)
        path.write_text(text)
        return path

    def api_client(self, context: str = "fake", namespace: str = "default"):
        """A ``kubernetes.client.ApiClient`` configured through the kubeconfig loader."""
        from kubernetes import client, config

        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="fakekube-")
        path = self.write_kubeconfig(Path(self._tmpdir) / f"{context}.kubeconfig", context, namespace)
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(path), client_configuration=configuration,
                                persist_config=False)
        api_client = client.ApiClient(configuration)
        self._clients.append(api_client)
        return api_client

    def set_version(self, major: str, minor: str, git_version: str | None = None) -> None:
        self._version = {
            "major": str(major), "minor": str(minor),
            "gitVersion": git_version or f"v{major}.{minor.rstrip('+')}.0",
            "gitCommit": "0" * 40, "gitTreeState": "clean",
            "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.0",
            "compiler": "gc", "platform": "linux/amd64",
        }

    # -- state for tests -----------------------------------------------------

    def add(self, obj: dict) -> dict:
        """Store (or overwrite) an object as given, status included.

        A namespaced object's namespace (default ``default``) is created when
        missing. Custom resources need their CRD stored first.
        """
        obj = copy.deepcopy(obj)
        rtype = self._type_for_manifest(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError(f"{rtype.kind} needs metadata.name")
        with self._lock:
            if rtype.namespaced:
                meta.setdefault("namespace", "default")
                if not self._get(NAMESPACES, "", meta["namespace"]):
                    self.add({"apiVersion": "v1", "kind": "Namespace",
                              "metadata": {"name": meta["namespace"]}})
            else:
                meta.pop("namespace", None)
            old = self._get(rtype, meta.get("namespace", ""), meta["name"])
            meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
            meta.setdefault("creationTimestamp",
                            old["metadata"]["creationTimestamp"] if old else now_rfc3339())
            if rtype is NAMESPACES:
                obj.setdefault("status", {"phase": "Active"})
            self._put(rtype, obj)
            return copy.deepcopy(obj)

    def load(self, manifests) -> list:
        """``add`` every object of a YAML/JSON text or a list of dicts (CRDs and
        namespaces first)."""
        if isinstance(manifests, str):
            import yaml
            manifests = [doc for doc in yaml.safe_load_all(manifests) if doc]
        flat = []
        for doc in manifests:
            flat += doc.get("items", []) if doc.get("kind", "").endswith("List") else [doc]
        first = ("CustomResourceDefinition", "Namespace")
        flat.sort(key=lambda doc: 0 if doc.get("kind") in first else 1)
        return [self.add(doc) for doc in flat]

    def install_istio_crds(self, *names: str) -> None:
        """Store the CRDs of the named Istio types (all of them by default)."""
        for rtype in ISTIO_TYPES:
            if not names or any(name.lower() in rtype.names() for name in names):
                self.add(crd_manifest(rtype))

    def install_gateway_api_crds(self, *names: str, versions: tuple | None = None) -> None:
        """Store the CRDs of the named Gateway API types (all of them by default), serving ``versions``
        (v1 and v1beta1 by default; e.g. ``("v1alpha2",)`` for an old Gateway API release)."""
        for rtype in GATEWAY_API_TYPES:
            if not names or any(name.lower() in rtype.names() for name in names):
                if versions is not None:
                    rtype = dataclasses.replace(rtype, versions=tuple(sorted(versions, key=version_priority)))
                self.add(crd_manifest(rtype))

    def get_object(self, kind: str, namespace: str | None, name: str) -> dict | None:
        """A copy of a stored object (by plural, kind, short or qualified name), or None."""
        rtype = self._type_named(kind)
        with self._lock:
            obj = self._get(rtype, (namespace or "") if rtype.namespaced else "", name)
            return copy.deepcopy(obj) if obj else None

    def list_objects(self, kind: str, namespace: str | None = None) -> list:
        """Copies of the stored objects of a type, in one namespace or all."""
        rtype = self._type_named(kind)
        with self._lock:
            return [copy.deepcopy(obj) for (group, plural, ns, _), obj in sorted(self._store.items())
                    if (group, plural) == (rtype.group, rtype.plural)
                    and (namespace is None or ns == namespace)]

    def deny(self, verb: str, plural: str, namespace: str | None = None) -> None:
        """Answer 403 to ``verb`` (or ``*``) on ``plural`` (``sidecars``,
        ``sidecars.networking.istio.io``, ``pods/exec`` or ``*``), in one
        namespace or everywhere."""
        self._denials.append((verb, plural, namespace))

    def allow_all(self) -> None:
        self._denials.clear()

    def inject(self, **fault) -> Fault:
        """Make matching requests fail (see :class:`Fault` for the keywords); the first match wins."""
        added = Fault(**fault)
        with self._lock:
            self.faults.append(added)
        return added

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str, query: dict | None = None, *,
                   exec_stream: bool = False) -> Fault | None:
        """The fault a request meets (its hit counted), or None."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, query or {}, exec_stream):
                    fault.hits += 1
                    return fault
        return None

    # -- store ---------------------------------------------------------------

    def _get(self, rtype: ResourceType, namespace: str, name: str) -> dict | None:
        return self._store.get((rtype.group, rtype.plural, namespace, name))

    def _put(self, rtype: ResourceType, obj: dict) -> None:
        self._revision += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self._revision)
        self._store[(rtype.group, rtype.plural, meta.get("namespace", ""), meta["name"])] = obj

    def _delete(self, rtype: ResourceType, namespace: str, name: str) -> None:
        self._revision += 1
        obj = self._store.pop((rtype.group, rtype.plural, namespace, name))
        if rtype is NAMESPACES:  # a namespace takes its objects with it
            doomed = {key for key in self._store if key[2] == name}
        elif rtype is CRDS and (served := type_from_crd(obj)):  # and a CRD its custom resources
            builtin = {(t.group, t.plural) for t in BUILTIN_TYPES}
            pair = (served.group, served.plural)
            doomed = {key for key in self._store if key[:2] == pair and pair not in builtin}
        else:
            doomed = set()
        for key in doomed:
            del self._store[key]

    # -- types ---------------------------------------------------------------

    def _crd_types(self) -> list:
        crds = [obj for (group, plural, _, _), obj in self._store.items()
                if (group, plural) == (CRDS.group, CRDS.plural)]
        return [t for t in map(type_from_crd, crds) if t is not None]

    def _all_types(self) -> list:
        builtin = {(t.group, t.plural) for t in BUILTIN_TYPES}
        return list(BUILTIN_TYPES) + [t for t in self._crd_types() if (t.group, t.plural) not in builtin]

    def _served_type(self, group: str, version: str, plural: str) -> ResourceType:
        for rtype in self._all_types():
            if (rtype.group, rtype.plural) == (group, plural) and version in rtype.versions:
                return rtype
        raise no_route()

    def _type_named(self, name: str) -> ResourceType:
        with self._lock:
            matches = [t for t in self._all_types() + list(CRD_TYPES) if name.lower() in t.names()]
        if not matches:
            raise KeyError(f"fakekube does not serve a resource named {name!r}")
        return matches[0]

    def _type_for_manifest(self, obj: dict) -> ResourceType:
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        group = api_version.rpartition("/")[0]
        with self._lock:
            for rtype in self._all_types():
                if rtype.group == group and rtype.kind == kind:
                    return rtype
        if any(t.group == group and t.kind == kind for t in CRD_TYPES):
            raise ValueError(f"{kind} needs its CRD first: call install_istio_crds(), install_gateway_api_crds() "
                             "or add() the CRD")
        raise ValueError(f"fakekube does not serve {api_version} {kind}")

    # -- request handling ----------------------------------------------------

    def handle(self, request: ApiRequest) -> tuple | None:
        """(code, JSON body) for a request, or None if the handler already answered."""
        self.record(request)
        try:
            self._authenticate(request)
            for methods, pattern, handler_name in ROUTES:
                match = pattern.fullmatch(request.path)
                if match is None:
                    continue
                if request.method not in methods:
                    continue
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                return getattr(self, handler_name)(request, handler_name, **params)
            if any(pattern.fullmatch(request.path) for _, pattern, _ in ROUTES):
                raise KubeError(405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource")
            raise no_route()
        except KubeError as error:
            return error.code, error.status()
        except Exception as exc:  # a bug in fakekube: answer 500 and keep the traceback
            self.errors.append(traceback.format_exc())
            return 500, KubeError(500, "InternalError", f"Internal error occurred: {exc!r}").status()

    def record(self, request: ApiRequest) -> None:
        self.requests.append(RequestRecord(request.method, request.path, request.query))
        self.headers.append((request.method, request.path, request.headers.get("Accept") or ""))

    def _authenticate(self, request: ApiRequest) -> None:
        if self.token is None:
            return
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise KubeError(401, "Unauthorized", "Unauthorized")

    def _authorize(self, verb: str, group: str, plural: str, namespace: str, name: str | None) -> None:
        qualified = f"{plural}.{group}" if group else plural
        for denied_verb, denied_plural, denied_namespace in self._denials:
            if (denied_verb in ("*", verb) and denied_plural in ("*", plural, qualified)
                    and denied_namespace in (None, namespace)):
                base = plural.split("/")[0]
                subject = (f"{base}.{group}" if group else base) + (f' "{name}"' if name else "")
                scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
                details = {"name": name} if name else {}
                details.update({"group": group, "kind": base} if group else {"kind": base})
                raise KubeError(403, "Forbidden",
                                f'{subject} is forbidden: User "{self.user}" cannot {verb} resource '
                                f'"{plural}" in API group "{group}" {scope}', details)

    def _target(self, handler_name: str, request: ApiRequest, version: str, plural: str,
                group: str = "", namespace: str = "", name: str | None = None,
                subresource: str | None = None) -> _Target:
        """Authorize the request and find the resource type it addresses."""
        verb = _VERBS[handler_name]
        if verb == "get" and name is None:
            verb = "list"
        self._authorize(verb, group, plural + (f"/{subresource}" if subresource else ""),
                        namespace, name)
        with self._lock:
            rtype = self._served_type(group, version, plural)
        if namespace and not rtype.namespaced:
            raise no_route()
        if rtype.namespaced and not namespace and name is not None:
            raise no_route()
        if subresource and not rtype.has_status:
            raise no_route()
        return _Target(rtype, version, namespace if rtype.namespaced else "", name, subresource)

    # -- discovery -----------------------------------------------------------

    def serve_version(self, request, _):
        return 200, dict(self._version)

    def serve_core_versions(self, request, _):
        return 200, {"kind": "APIVersions", "versions": ["v1"],
                     "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                     "serverAddress": f"127.0.0.1:{self.port}"}]}

    def _groups(self) -> dict:
        """group -> served versions, preferred first, in discovery order."""
        groups = {}
        with self._lock:
            for rtype in self._all_types():
                if rtype.group:
                    groups.setdefault(rtype.group, set()).update(rtype.versions)
        order = list(BUILTIN_GROUPS) + sorted(g for g in groups if g not in BUILTIN_GROUPS)
        return {g: sorted(groups[g], key=version_priority) for g in order if g in groups}

    @staticmethod
    def _group_doc(group: str, versions: list) -> dict:
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def serve_group_list(self, request, _):
        groups = [self._group_doc(g, vs) for g, vs in self._groups().items()]
        return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def serve_group(self, request, _, group):
        versions = self._groups().get(group)
        if not versions:
            raise no_route()
        return 200, {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(group, versions)}

    def _resource_list(self, group: str, version: str) -> dict:
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update"]
        resources = []
        with self._lock:
            types = [t for t in self._all_types() if t.group == group and version in t.versions]
        if not types:
            raise no_route()
        for rtype in types:
            entry = {"name": rtype.plural, "singularName": rtype.singular,
                     "namespaced": rtype.namespaced, "kind": rtype.kind, "verbs": verbs}
            if rtype.short_names:
                entry["shortNames"] = list(rtype.short_names)
            if rtype.categories:
                entry["categories"] = list(rtype.categories)
            resources.append(entry)
            if rtype.has_status:
                resources.append({"name": f"{rtype.plural}/status", "singularName": "",
                                  "namespaced": rtype.namespaced, "kind": rtype.kind,
                                  "verbs": ["get", "patch", "update"]})
            if rtype is PODS:
                resources.append({"name": "pods/exec", "singularName": "", "namespaced": True,
                                  "kind": "PodExecOptions", "verbs": ["create", "get"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": resources}

    def serve_core_resources(self, request, _):
        return 200, self._resource_list("", "v1")

    def serve_group_resources(self, request, _, group, version):
        return 200, self._resource_list(group, version)

    # -- objects as the API shows them ---------------------------------------

    @staticmethod
    def _present(target: _Target, obj: dict, in_list: bool = False) -> dict:
        """The object at the requested version. Built-in list items carry no
        apiVersion/kind, as on a real server; custom resources always do."""
        shown = {"apiVersion": target.rtype.api_version(target.version), "kind": target.rtype.kind}
        shown.update({k: copy.deepcopy(v) for k, v in obj.items() if k not in ("apiVersion", "kind")})
        if in_list and not target.rtype.from_crd:
            del shown["apiVersion"], shown["kind"]
        return shown

    def _check_type_meta(self, target: _Target, obj: dict) -> None:
        expected = target.rtype.api_version(target.version)
        if obj.get("apiVersion") and obj["apiVersion"] != expected:
            raise bad_request(f"the API version in the data ({obj['apiVersion']}) does not match "
                              f"the expected API version ({expected})")
        if obj.get("kind") and obj["kind"] != target.rtype.kind:
            raise bad_request(f"the kind in the data ({obj['kind']}) does not match the expected "
                              f"kind ({target.rtype.kind})")
        if not isinstance(obj.get("metadata", {}), dict):
            raise bad_request("metadata must be an object")

    def _check_namespace(self, target: _Target, obj: dict) -> None:
        meta = obj.setdefault("metadata", {})
        if not target.rtype.namespaced:
            meta.pop("namespace", None)
            return
        if meta.get("namespace") and meta["namespace"] != target.namespace:
            raise bad_request("the namespace of the provided object does not match the namespace "
                              "sent on the request")
        meta["namespace"] = target.namespace

    def _defaults_on_create(self, rtype: ResourceType, obj: dict) -> None:
        """Server-side defaults and a fresh status, as the real registries set them."""
        if rtype.has_status:
            obj.pop("status", None)
        if rtype is NAMESPACES:
            obj["status"] = {"phase": "Active"}
        elif rtype is PODS:
            obj["status"] = {"phase": "Pending"}
        elif rtype.plural == "services" and not rtype.group:
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
                ip = str(ipaddress.ip_address("10.96.0.0") + self._next_cluster_ip)
                self._next_cluster_ip += 1
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            obj["status"] = {"loadBalancer": {}}
        elif rtype.plural == "deployments" and rtype.group == "apps":
            obj.setdefault("spec", {}).setdefault("replicas", 1)

    def _admit(self, target: _Target, obj: dict, dry_run: bool) -> None:
        if self.admission is None or target.rtype.group not in self.admission_groups:
            return
        try:
            errors = self.admission(copy.deepcopy(obj), dry_run)
        except Exception as exc:
            raise KubeError(500, "InternalError", f'Internal error occurred: failed calling webhook '
                                                  f'"{ISTIO_WEBHOOK}": {exc}')
        if errors:
            raise webhook_denied(list(errors))

    def _check_crd(self, target: _Target, obj: dict) -> None:
        if target.rtype is not CRDS:
            return
        rtype = type_from_crd(obj)
        name = obj["metadata"]["name"]
        if rtype is None:
            raise invalid(CRDS, name, "spec", "Required value: spec.group, spec.names.plural, "
                                              "spec.names.kind and a served version are required")
        if name != rtype.qualified:
            raise invalid(CRDS, name, "metadata.name",
                          f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group')

    # -- verbs -----------------------------------------------------------------

    def serve_list(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        labels = label_selector(request.param("labelSelector", ""))
        fields = field_selector(target.rtype, request.param("fieldSelector", ""))
        rtype = target.rtype
        with self._lock:
            items = [obj for (group, plural, namespace, _), obj in sorted(self._store.items())
                     if (group, plural) == (rtype.group, rtype.plural)
                     and (not target.namespace or namespace == target.namespace)]
            items = [obj for obj in items if labels(obj["metadata"].get("labels") or {}) and fields(obj)]
            revision = str(self._revision)
            if "as=PartialObjectMetadataList" in (request.headers.get("Accept") or ""):
                return 200, {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                             "metadata": {"resourceVersion": revision},
                             "items": [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                                        "metadata": copy.deepcopy(obj["metadata"])} for obj in items]}
            items = [self._present(target, obj, in_list=True) for obj in items]
        return 200, {"kind": rtype.kind + "List", "apiVersion": rtype.api_version(target.version),
                     "metadata": {"resourceVersion": revision}, "items": items}

    def serve_get(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        with self._lock:
            obj = self._get(target.rtype, target.namespace, target.name)
            if obj is None:
                raise not_found(target.rtype, target.name)
            return 200, self._present(target, obj)

    def serve_create(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        rtype = target.rtype
        if rtype.namespaced and not target.namespace:
            raise KubeError(405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource")
        dry_run = request.dry_run
        obj = request.json_object()
        self._check_type_meta(target, obj)
        obj = self._present(target, obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise invalid(rtype, "", "metadata.name",
                              "Required value: name or generateName is required")
            meta["name"] = generated_name(meta["generateName"])
        check_name(rtype, meta["name"])
        self._check_namespace(target, obj)
        with self._lock:
            if rtype.namespaced and not self._get(NAMESPACES, "", target.namespace):
                raise not_found(NAMESPACES, target.namespace)
            if self._get(rtype, target.namespace, meta["name"]):
                raise already_exists(rtype, meta["name"])
            for field in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
                meta.pop(field, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            if rtype.group:
                meta["generation"] = 1
            self._defaults_on_create(rtype, obj)
            self._check_crd(target, obj)
            self._admit(target, obj, dry_run)
            if not dry_run:
                self._put(rtype, obj)
            return 201, self._present(target, obj)

    def _update(self, target: _Target, old: dict, new: dict, dry_run: bool) -> tuple:
        """Shared end of replace and patch: keep what the server owns, admit, store."""
        rtype = target.rtype
        self._check_type_meta(target, new)
        new = self._present(target, new)
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        if meta.get("name", target.name) != target.name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on "
                              f"the URL ({target.name})")
        meta["name"] = target.name
        self._check_namespace(target, new)
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(rtype, target.name)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise KubeError(409, "Conflict", f"Precondition failed: UID in precondition: "
                                             f"{meta['uid']}, UID in object meta: {old_meta['uid']}")
        if target.subresource == "status":  # only status changes
            status = new.get("status")
            new = copy.deepcopy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
            meta = new["metadata"]
        elif rtype.has_status:  # status changes through the subresource only
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        for field in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        changed = {k: v for k, v in new.items() if k not in ("metadata", "status", "apiVersion", "kind")}
        before = {k: v for k, v in old.items() if k not in ("metadata", "status", "apiVersion", "kind")}
        if rtype.group and changed != before:
            meta["generation"] = old_meta.get("generation", 1) + 1
        self._check_crd(target, new)
        self._admit(target, new, dry_run)
        if dry_run:
            meta["resourceVersion"] = old_meta["resourceVersion"]
        else:
            self._put(rtype, new)
        return 200, self._present(target, new)

    def serve_replace(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        dry_run = request.dry_run
        obj = request.json_object()
        with self._lock:
            old = self._get(target.rtype, target.namespace, target.name)
            if old is None:
                raise not_found(target.rtype, target.name)
            return self._update(target, old, obj, dry_run)

    def serve_patch(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        dry_run = request.dry_run
        content_type = request.content_type
        patch = request.json()
        with self._lock:
            old = self._get(target.rtype, target.namespace, target.name)
            if old is None:
                raise not_found(target.rtype, target.name)
            current = self._present(target, old)
            if content_type == "application/json-patch+json":
                try:
                    patched = json_patch(current, patch)
                except JsonPatchError as exc:
                    raise KubeError(422, "Invalid", f"the server rejected our request due to an "
                                                    f"error in our request: {exc}")
            elif content_type in ("application/merge-patch+json",
                                  "application/strategic-merge-patch+json"):
                if not isinstance(patch, dict):
                    raise bad_request("a merge patch must be a JSON object")
                if content_type == "application/strategic-merge-patch+json":
                    patch = drop_directives(patch)
                patched = merge_patch(current, patch)
            else:
                raise KubeError(415, "UnsupportedMediaType",
                                f"the body of the request was in an unknown format - accepted media "
                                f"types include: application/json-patch+json, "
                                f"application/merge-patch+json, application/strategic-merge-patch+json")
            if not isinstance(patched, dict):
                raise bad_request("the patched object is not a JSON object")
            return self._update(target, old, patched, dry_run)

    def _delete_options(self, request: ApiRequest) -> dict:
        if not request.body:
            return {}
        options = request.json()
        return options if isinstance(options, dict) else {}

    def _deleted_answer(self, target: _Target, obj: dict) -> dict:
        rtype = target.rtype
        if rtype is NAMESPACES or rtype is PODS:
            obj = copy.deepcopy(obj)
            obj["metadata"]["deletionTimestamp"] = now_rfc3339()
            if rtype is NAMESPACES:
                obj["status"] = {"phase": "Terminating"}
            else:
                obj["metadata"]["deletionGracePeriodSeconds"] = 30
        if rtype.delete_returns_object:
            return self._present(target, obj)
        details = _details(rtype, obj["metadata"]["name"])
        details["uid"] = obj["metadata"]["uid"]
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": details}

    def serve_delete(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        dry_run = request.dry_run
        preconditions = self._delete_options(request).get("preconditions") or {}
        with self._lock:
            obj = self._get(target.rtype, target.namespace, target.name)
            if obj is None:
                raise not_found(target.rtype, target.name)
            for field in ("uid", "resourceVersion"):
                if preconditions.get(field) and preconditions[field] != obj["metadata"][field]:
                    raise KubeError(409, "Conflict",
                                    f"Precondition failed: {field.upper() if field == 'uid' else field}"
                                    f" in precondition: {preconditions[field]}, {field} in object "
                                    f"meta: {obj['metadata'][field]}", _details(target.rtype, target.name))
            answer = self._deleted_answer(target, obj)
            if not dry_run:
                self._delete(target.rtype, target.namespace, target.name)
            return 200, answer

    def serve_delete_collection(self, request, handler_name, **params):
        target = self._target(handler_name, request, **params)
        rtype = target.rtype
        if rtype.namespaced and not target.namespace:
            raise KubeError(405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource")
        dry_run = request.dry_run
        labels = label_selector(request.param("labelSelector", ""))
        fields = field_selector(rtype, request.param("fieldSelector", ""))
        with self._lock:
            doomed = [obj for (group, plural, namespace, _), obj in sorted(self._store.items())
                      if (group, plural) == (rtype.group, rtype.plural)
                      and namespace == target.namespace
                      and labels(obj["metadata"].get("labels") or {}) and fields(obj)]
            items = [self._present(target, obj, in_list=True) for obj in doomed]
            if not dry_run:
                for obj in doomed:
                    self._delete(rtype, target.namespace, obj["metadata"]["name"])
            revision = str(self._revision)
        return 200, {"kind": rtype.kind + "List", "apiVersion": rtype.api_version(target.version),
                     "metadata": {"resourceVersion": revision}, "items": items}

    # -- pod exec ---------------------------------------------------------------

    def serve_exec(self, request, handler_name, namespace, name):
        self._authorize("create", "", "pods/exec", namespace, name)
        with self._lock:
            pod = copy.deepcopy(self._get(PODS, namespace, name))
        if pod is None:
            raise not_found(PODS, name)
        command = request.query.get("command", [])
        if not command:
            raise bad_request("you must specify at least 1 command")
        if not any(request.flag(stream) for stream in ("stdin", "stdout", "stderr")):
            raise bad_request("you must specify at least one of stdin, stdout, stderr")
        container = self._exec_container(pod, request.param("container"))
        if request.handler is None:
            raise bad_request("Upgrade request required")
        ws = WebSocket.accept(request.handler, self.exec_protocols)
        self.execs.append(ExecRecord(namespace, name, container, list(command), ws.protocol))
        try:
            stdout, stderr, code, failure = self._run_exec(namespace, name, container, list(command))
            tty = request.flag("tty")
            # Like wsstream: an empty frame on the lowest writable channel first.
            ws.send_channel(1 if request.flag("stdout") else 2 if request.flag("stderr") else 3, b"")
            out = stdout + stderr if tty else stdout  # a terminal has one output stream
            if request.flag("stdout") and out:
                ws.send_channel(1, out)
            if self.take_fault(request.method, request.path, request.query, exec_stream=True) is not None:
                request.handler.wfile.flush()
                request.handler.connection.shutdown(socket.SHUT_RDWR)  # cut: no status, no close frame
                return None
            if request.flag("stderr") and stderr and not tty:
                ws.send_channel(2, stderr)
            status = self._exec_status(ws.protocol, command, code, failure)
            if status:
                ws.send_channel(3, status)
            ws.close()
        except (OSError, ConnectionError):
            pass  # the client went away; nothing more to say
        return None

    @staticmethod
    def _exec_container(pod: dict, container: str | None) -> str:
        spec = pod.get("spec") or {}
        name = pod["metadata"]["name"]
        containers = [c.get("name") for c in spec.get("containers") or []]
        others = [c.get("name") for key in ("initContainers", "ephemeralContainers")
                  for c in spec.get(key) or []]
        if not container:
            if len(containers) == 1:
                return containers[0]
            if not containers:
                raise bad_request(f"a container name must be specified for pod {name}")
            message = (f"a container name must be specified for pod {name}, "
                       f"choose one of: [{' '.join(containers)}]")
            init = [c.get("name") for c in spec.get("initContainers") or []]
            if init:
                message += f" or one of the init containers: [{' '.join(init)}]"
            raise bad_request(message)
        if container not in containers + others:
            raise bad_request(f"container {container} is not valid for pod {name}")
        return container

    def _run_exec(self, namespace: str, pod: str, container: str, command: list) -> tuple:
        """(stdout bytes, stderr bytes, exit code, internal failure message or None)."""
        if self.exec_handler is None:
            return b"", b"fakekube: no exec_handler is set\n", 126, None
        try:
            stdout, stderr, code = self.exec_handler(namespace, pod, container, command)
        except Exception as exc:
            return b"", b"", None, f"error executing command in container: {exc}"
        encode = lambda data: data.encode() if isinstance(data, str) else bytes(data or b"")
        return encode(stdout), encode(stderr), int(code), None

    @staticmethod
    def _exec_status(protocol: str | None, command: list, code: int | None,
                     failure: str | None) -> bytes:
        """What goes on the error channel once the command is done."""
        if failure is not None:
            status = {"metadata": {}, "status": "Failure",
                      "message": f"Internal error occurred: {failure}", "reason": "InternalError",
                      "details": {"causes": [{"message": failure}]}, "code": 500}
        elif code == 0:
            status = {"metadata": {}, "status": "Success"}
        else:
            status = {"metadata": {}, "status": "Failure",
                      "message": f"command terminated with non-zero exit code: error executing "
                                 f"command [{' '.join(command)}], exit code {code}",
                      "reason": "NonZeroExitCode",
                      "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        if protocol in ("v4.channel.k8s.io", "v5.channel.k8s.io"):
            return json.dumps(status).encode()
        # Older protocols carry only an error message, and nothing on success.
        return status["message"].encode() if status["status"] == "Failure" else b""


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has a Content-Length
    timeout = SOCKET_TIMEOUT  # bounds every read and write on the connection
    server_version = "fakekube/1"
    server: "_Server"

    def _serve(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except KubeError as error:
            self._send_json(error.code, error.status())
            self.close_connection = True
            return
        request = ApiRequest(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                             self.headers, body, self)
        kube = self.server.kube
        fault = kube.take_fault(self.command, url.path, request.query)
        try:
            if fault is not None and self._injected(fault, request):
                return
            answer = kube.handle(request)
            if answer is not None:
                self._send_json(*answer)
        except OSError:  # the client went away (it stopped waiting for a slow answer)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _injected(self, fault: Fault, request: ApiRequest) -> bool:
        """Answer as the fault says; False when only a delay was asked for (then the request goes on)."""
        kube = self.server.kube
        if fault.delay:
            time.sleep(fault.delay)
        if not (fault.drop or fault.html or fault.status or fault.truncate):
            return False
        if fault.truncate:
            answer = kube.handle(request) or (200, {})
            data = json.dumps(answer[1]).encode()
            self.send_response(answer[0])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
        elif fault.drop:
            kube.record(request)
        else:
            kube.record(request)
            if fault.html:
                data = LOGIN_PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._send_json(fault.status, fault.status_body())
            return True  # a complete answer: the connection stays usable
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)  # cut mid-answer, or closed without a word
        return True

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                if sum(map(len, chunks)) + size > MAX_BODY:
                    raise KubeError(413, "RequestEntityTooLarge", "the request body is too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise KubeError(413, "RequestEntityTooLarge", "the request body is too large")
        return self.rfile.read(length) if length else b""

    def _send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # quiet: tests read kube.requests instead
        pass


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, so that
    stopping it also ends idle keep-alive connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, kube: FakeKube):
        super().__init__(address, _Handler)
        self.kube = kube
        self._connections: set = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Kubernetes API server until killed.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig pointing at the server here")
    parser.add_argument("--context", default="fake", help="context name in the kubeconfig")
    parser.add_argument("--namespace", default="default", help="the context's namespace")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token the server accepts")
    parser.add_argument("--istio", action="store_true",
                        help="install the Istio CRDs and the istio-system namespace")
    parser.add_argument("--gateway-api", action="store_true", help="install the Gateway API CRDs")
    parser.add_argument("--load", action="append", default=[], metavar="FILE",
                        help="preload the objects of a YAML or JSON manifest (repeatable)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeKube(port=args.port, token=args.token, istio=args.istio) as kube:
        kube.exec_handler = lambda ns, pod, container, command: (
            f"fakekube exec in {ns}/{pod}/{container}: {' '.join(command)}\n", "", 0)
        if args.gateway_api:
            kube.install_gateway_api_crds()
        for path in args.load:
            kube.load(Path(path).read_text())
        if args.kubeconfig:
            kube.write_kubeconfig(args.kubeconfig, args.context, args.namespace)
        print(f"fakekube: serving {kube.url}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
