"""Diagnostics: what ``istioctl analyze`` and Kiali say about Sidecars, and what they miss.

Codes, levels and wording follow Istio (``pkg/config/analysis/msg/messages.yaml``,
``analyzers/sidecar/selector.go``) and Kiali (``business/checkers/sidecars``). The
project's own teaching findings use ``SLxxxx`` codes; each says why in one line and
links the Istio issue or document behind it. The ``IST`` codes fire exactly where istioctl
fires them (IST0101 and IST0110 from Pods only); what the pod templates of controllers imply is
said under the project's own codes (SL0011, SL0013). One condition differs from istioctl on
purpose (docs/model.md): IST0103 looks only at pods read from a cluster.

>>> from sidecar_lab.core.loader import load_text
>>> mesh = load_text('''
... apiVersion: networking.istio.io/v1
... kind: Sidecar
... metadata: {name: bogus, namespace: default}
... spec: {workloadSelector: {labels: {app: bogus}}, outboundTrafficPolicy: {mode: ALLOW_ANY}}
... ''', "s.yaml")
>>> [m.line() for m in analyze(mesh) if m.code == "IST0101"]
['Error [IST0101] (Sidecar default/bogus s.yaml:5) Referenced selector not found: "app=bogus"']
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Iterable, Sequence

from .hosts import exported_to, is_wildcard, parse_host_entry, service_export_to, subset_of
from .messages import label, reason_text
from .model import REGISTRY_ONLY, Mesh, ObjectRef, Sidecar, Workload
from .resolver import IGNORED_NAMESPACES, Simulator, selector_matches
from .validation import ERROR

__all__ = ["Message", "analyze", "filter_messages", "LEVELS", "CODES", "exit_code", "few", "FEW"]

LEVELS = {"Info": 0, "Warning": 1, "Error": 2}
DOCS = "https://istio.io/latest/docs/reference/config/analysis/{}/"
SUPPRESS_ANNOTATION = "galley.istio.io/analyze-suppress"

def _why(code: str) -> str:
    """The one-line why of ``code`` in English (its sentence, in every language, is in the message catalog)."""
    return reason_text(f"analyze.why.{code}", lang="en")


#: Every code this analyzer can emit: (level, name, one-line why or None, reference). The why is English
#: here; :attr:`Message.why` says it in the language in force.
CODES: dict[str, tuple[str, str, str | None, str | None]] = {
    "IST0002": ("Warning", "Deprecated", _why("IST0002"),
                "https://istio.io/latest/docs/reference/config/analysis/ist0002/"),
    "IST0101": ("Error", "ReferencedResourceNotFound", None, None),
    "IST0102": ("Info", "NamespaceNotInjected", None, None),
    "IST0103": ("Warning", "PodMissingProxy", None, None),
    "IST0106": ("Error", "SchemaValidationError", None, None),
    "IST0110": ("Error", "ConflictingSidecarWorkloadSelectors", _why("IST0110"),
                "https://github.com/istio/istio/issues/24741"),
    "IST0111": ("Error", "MultipleSidecarsWithoutWorkloadSelectors", _why("IST0111"),
                "https://github.com/istio/istio/issues/18468"),
    "IST0133": ("Warning", "SchemaWarning", None, None),
    "IST0167": ("Warning", "IneffectivePolicy", None, None),
    "KIA0004": ("Warning", "generic.selector.workloadnotfound", None,
                "https://kiali.io/docs/features/validations/#kia0004---no-matching-workload-found-for-the-selector-in-this-namespace"),
    "KIA1004": ("Warning", "sidecar.egress.servicenotfound", None,
                "https://kiali.io/docs/features/validations/#kia1004---this-host-has-no-matching-entry-in-the-service-registry"),
    "KIA1006": ("Warning", "sidecar.global.selector", _why("KIA1006"), "https://github.com/istio/istio/issues/39989"),
    "SL0001": ("Warning", "EmptySelectorOutranksNamespaceSidecar", _why("SL0001"),
               "https://github.com/istio/istio/pull/46921"),
    "SL0002": ("Warning", "SidecarNeverUsed", _why("SL0002"), "https://github.com/istio/istio/issues/12896"),
    "SL0003": ("Warning", "NothingIsInherited", _why("SL0003"), "https://github.com/istio/istio/issues/59376"),
    "SL0004": ("Warning", "EmptyOutboundPolicyIsRegistryOnly", _why("SL0004"),
               "https://github.com/kiali/kiali/issues/5882"),
    "SL0005": ("Warning", "EgressHostsAreNotAFirewall", _why("SL0005"), "https://github.com/istio/istio/issues/15329"),
    "SL0006": ("Warning", "PartialHostName", _why("SL0006"),
               "https://istio.io/latest/docs/reference/config/networking/sidecar/#IstioEgressListener"),
    "SL0007": ("Warning", "UnknownNamespace", _why("SL0007"), "https://github.com/istio/istio/issues/30798"),
    "SL0008": ("Warning", "ImportNotExported", _why("SL0008"), "https://github.com/istio/istio/issues/36712"),
    "SL0009": ("Warning", "PortListenerImportsNothing", _why("SL0009"), "https://github.com/istio/istio/issues/16885"),
    "SL0010": ("Warning", "CaptureNoneWithoutBind", _why("SL0010"), "https://github.com/istio/istio/issues/34600"),
    "SL0011": ("Info", "MatchedByPodTemplateOnly", _why("SL0011"), "https://github.com/istio/istio/issues/51273"),
    "SL0012": ("Warning", "IngressPortNotTargeted", _why("SL0012"), "https://github.com/istio/istio/issues/40919"),
    "SL0013": ("Warning", "ConflictingSelectorsOnPodTemplate", _why("SL0013"),
               "https://github.com/istio/istio/issues/24741"),
    "SL0014": ("Warning", "EgressCaptureNoneIsASocket", _why("SL0014"), "https://github.com/istio/istio/issues/34600"),
}


@dataclass(frozen=True, slots=True)
class Message:
    code: str
    level: str
    resource: ObjectRef
    message: str
    origin: str | None = None
    field: str | None = None
    hint: str | None = None

    @property
    def why(self) -> str | None:
        """Why the rule behind the code holds, in one line, in the language in force (None for most of
        istioctl's own codes)."""
        if CODES.get(self.code, (None, None, None, None))[2] is None:
            return None
        return reason_text(f"analyze.why.{self.code}")

    @property
    def reference(self) -> str | None:
        return CODES.get(self.code, (None, None, None, None))[3]

    def friendly_name(self) -> str:
        r = self.resource
        return f"{r.kind} {r.namespace}/{r.name}" if r.namespace else f"{r.kind} {r.name}"

    def line(self) -> str:
        """istioctl's line form: ``Level [CODE] (Kind ns/name file:line) message``."""
        where = self.friendly_name() + (f" {self.origin}" if self.origin else "")
        return f"{self.level} [{self.code}] ({where}) {self.message}"

    def explained(self, reference: bool = True) -> str:
        """:meth:`line`, and under it the code's *why* (with the issue behind it) when it has one.

        The why is said in the language in force, headed as the command's text heads it ("why:").
        """
        why = self.why
        if why is None:
            return self.line()
        ref = f" ({self.reference})" if reference and self.reference else ""
        return f"{self.line()}\n    {label('text.why')} {why}{ref}"

    def to_json(self) -> dict:
        r = self.resource
        return {"code": self.code, "level": self.level,
                "resource": {"kind": r.kind, "namespace": r.namespace, "name": r.name},
                "message": self.message, "origin": self.origin, "field": self.field, "hint": self.hint,
                "why": self.why, "reference": self.reference,
                "documentation_url": DOCS.format(self.code.lower()) if self.code.startswith("IST") else self.reference}


#: How many resources (or hosts) a message names before it says "and N more".
FEW = 5


def few(items: Sequence[str], sep: str = ", ", limit: int = FEW, lang: str | None = "en") -> str:
    """The first ``limit`` items, then "and N more": every message stays short whatever the mesh holds.

    ``lang`` says "and N more" in that language: English by default, as in istioctl's own messages;
    ``None`` for the language in force (the course's own findings).

    >>> few(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    shown = sep.join(items[:limit])
    if len(items) <= limit:
        return shown
    return reason_text("analyze.more", {"shown": shown, "count": len(items) - limit}, lang)


def _names(sidecars: Iterable[Sidecar], sort: bool = True) -> str:
    """istioctl's ``[a b c]`` (a Go slice printed with %v), bounded; ``getNames`` sorts them from 1.23
    (``Rules.analyzer_sorted_names``), 1.22 lists them as read."""
    names = [s.name for s in sidecars]
    return "[" + few(sorted(names) if sort else names, " ") + "]"


def _say(key: str, **params) -> str:
    """A finding of the course's own (``SLxxxx``) in the language in force."""
    return reason_text(f"analyze.{key}", params)


def _selector_string(labels) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


class _Analyzer:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.mesh: Mesh = sim.mesh
        self.out: list[Message] = []
        self.ineffective: set[ObjectRef] = set()
        self._forms: dict | None = None
        self._se_hosts: list[str] = []
        self.known_namespaces = set(sim.namespaces) | {o.namespace for group in (
            self.mesh.workloads, self.mesh.services, self.mesh.service_entries, self.mesh.sidecars)
            for o in group}

    def emit(self, code: str, resource: ObjectRef, message: str, origin: str | None = None,
             field: str | None = None, hint: str | None = None) -> None:
        self.out.append(Message(code, CODES[code][0], resource, message, origin, field, hint))

    def origin(self, s: Sidecar, path: tuple = ()) -> str:
        line = s.line_of(path) if path else s.source.line
        return f"{s.source.file}:{line}" if line is not None else s.source.file

    # -- istioctl: sidecar.SelectorAnalyzer ------------------------------------------------------
    def selector_analyzer(self) -> None:
        """``sidecar.SelectorAnalyzer`` exactly as istioctl runs it (it reads Pods only), then what the
        pod templates of controllers say under the project's own codes (SL0011, SL0013)."""
        sort = self.sim.rules.analyzer_sorted_names
        selectorless: dict[str, list[Sidecar]] = {}
        pod_sidecars: dict[tuple, list[Sidecar]] = {}
        template_sidecars: dict[tuple, list[Sidecar]] = {}
        pods_by_ns: dict[str, list[Workload]] = {}
        for w in self.mesh.workloads:
            pods_by_ns.setdefault(w.namespace, []).append(w)
        for s in self.mesh.sidecars:
            if s.namespace in IGNORED_NAMESPACES:
                continue
            labels = s.spec.workload_selector
            if not labels:  # nil or no labels: istioctl's "no selector"
                selectorless.setdefault(s.namespace, []).append(s)
                continue
            here = pods_by_ns.get(s.namespace, ())
            pods = [w for w in here if w.kind == "Pod" and selector_matches(labels, w.labels)]
            templates = [w for w in here if w.kind != "Pod" and selector_matches(labels, w.labels)]
            first_key = sorted(labels)[0]
            if not pods:
                self.emit("IST0101", s.ref, f'Referenced selector not found: "{_selector_string(labels)}"',
                          self.origin(s, ("spec", "workloadSelector", "labels", first_key)),
                          f"spec.workloadSelector.labels.{first_key}")
                if templates:
                    names = few([f"{w.kind} {w.namespace}/{w.name}" for w in templates], lang=None)
                    self.emit("SL0011", s.ref, _say("SL0011", selector=_selector_string(labels), templates=names),
                              self.origin(s, ("spec", "workloadSelector", "labels")), "spec.workloadSelector.labels")
                else:
                    self.emit("KIA0004", s.ref, "No matching workload found for the selector in this namespace",
                              self.origin(s, ("spec", "workloadSelector", "labels")), "spec.workloadSelector.labels")
            for w in pods:
                pod_sidecars.setdefault((w.namespace, w.name), []).append(s)
            for w in templates:
                template_sidecars.setdefault((w.namespace, w.name, w.kind), []).append(s)
        pods_by_key = {(w.namespace, w.name): w for w in self.mesh.workloads if w.kind == "Pod"}
        reported: set[frozenset] = set()
        for (ns, name), sidecars in pod_sidecars.items():
            pod = pods_by_key.get((ns, name))
            if pod is not None and pod.annotations.get("ambient.istio.io/redirection") == "enabled":
                for s in sidecars:
                    self._ineffective(s, "selected workload is in ambient mode, the policy has no impact")
                continue
            if len(sidecars) > 1:
                reported.add(frozenset(s.ref for s in sidecars))
                for s in sidecars:
                    self.emit("IST0110", s.ref, f"The Sidecars {_names(sidecars, sort)} in namespace \"{ns}\" select "
                              f"the same workload pod \"{name}\", which can lead to undefined behavior.",
                              self.origin(s), "metadata.name")
        for (ns, name, kind), sidecars in template_sidecars.items():
            if len(sidecars) > 1 and frozenset(s.ref for s in sidecars) not in reported:
                oldest = min(sidecars, key=self.sim._sidecar_order)
                for s in sidecars:
                    self.emit("SL0013", s.ref, _say("SL0013", sidecars=_names(sidecars, sort), namespace=ns,
                                                    template=f"{kind} {ns}/{name}", oldest=oldest.name),
                              self.origin(s), "spec.workloadSelector")
        for ns, sidecars in selectorless.items():
            namespace = self.sim.namespaces.get(ns)
            if namespace is not None and namespace.ambient and namespace.injection_label != "enabled" \
                    and not namespace.revision:
                for s in sidecars:
                    self._ineffective(s, "namespace is in ambient mode, the policy has no impact")
                continue
            if len(sidecars) > 1:
                for s in sidecars:
                    self.emit("IST0111", s.ref, f"The Sidecars {_names(sidecars, sort)} in namespace \"{ns}\" have no "
                              "workload selector, which can lead to undefined behavior.", self.origin(s),
                              "spec.workloadSelector")

    def _ineffective(self, s: Sidecar, why: str) -> None:
        if s.ref in self.ineffective:
            return
        self.ineffective.add(s.ref)
        self.emit("IST0167", s.ref, f"The policy has no impact: {why}.", self.origin(s))

    # -- istioctl: injection, deprecation, schema ------------------------------------------------
    def injection(self) -> None:
        for ns in self.mesh.namespaces:
            if ns.name in IGNORED_NAMESPACES or ns.name == "istio-system":
                continue
            if ns.injection_label is None and not ns.revision and not ns.ambient:
                self.emit("IST0102", ObjectRef("Namespace", "", ns.name),
                          "The namespace is not enabled for Istio injection. Run 'kubectl label namespace "
                          f"{ns.name} istio-injection=enabled' to enable it, or 'kubectl label namespace {ns.name} "
                          "istio-injection=disabled' to explicitly mark it as not needing injection.",
                          str(ns.source))
        for w in self.mesh.workloads:
            if w.kind != "Pod" or not w.live or w.has_proxy_container is not False or w.host_network:
                continue
            ns = self.sim.namespaces.get(w.namespace)
            if ns is None or ns.injection_label != "enabled":
                continue
            opt = w.labels.get("sidecar.istio.io/inject", w.annotations.get("sidecar.istio.io/inject"))
            if opt is not None and opt.lower() == "false":
                continue
            self.emit("IST0103", w.ref, f"The pod {w.name} is missing the Istio proxy. This can often be resolved "
                      "by restarting or redeploying the workload.", str(w.source))

    def schema_and_deprecation(self) -> None:
        for s in self.mesh.sidecars:
            for m in self.sim.validation.get(s.ref, ()):
                code = "IST0106" if m.level == ERROR else "IST0133"
                kind = "error" if m.level == ERROR else "warning"
                self.emit(code, s.ref, f"Schema validation {kind}: {m.message}", self.origin(s, m.path), m.field,
                          m.hint)
            otp = s.spec.outbound_traffic_policy
            if otp is not None and otp.egress_proxy is not None:
                self.emit("IST0002", s.ref, "Deprecated: OutboundTrafficPolicy.EgressProxy ignored",
                          self.origin(s, ("spec", "outboundTrafficPolicy", "egressProxy")),
                          "spec.outboundTrafficPolicy.egressProxy")

    # -- Kiali -----------------------------------------------------------------------------------
    def kiali(self) -> None:
        root = self.sim.root
        domain = self.sim.domain
        for s in self.mesh.sidecars:
            if s.namespace == root and s.spec.workload_selector:
                self.emit("KIA1006", s.ref, "Global default sidecar should not have workloadSelector",
                          self.origin(s, ("spec", "workloadSelector")), "spec.workloadSelector")
            for i, listener in enumerate(s.spec.egress or ()):
                for j, host in enumerate(listener.hosts):
                    parsed = parse_host_entry(host, s.namespace)
                    if parsed is None:
                        continue
                    ns, name = parsed
                    if name == "*" or host in ("*/*", "~/*", "./*"):
                        continue
                    if name == f"*.{s.namespace}.svc.{domain}":
                        continue
                    if self._kiali_known(name, s.namespace):
                        continue
                    path = ("spec", "egress", i, "hosts", j)
                    self.emit("KIA1004", s.ref, "This host has no matching entry in the service registry",
                              self.origin(s, path), f"spec/egress[{i}]/hosts[{j}]")

    def _kiali_known(self, name: str, sidecar_ns: str) -> bool:
        """Kiali's registry lookup: a ServiceEntry host, or a Service written as FQDN, ``svc.ns.svc`` or ``svc.ns``."""
        if self._forms is None:
            domain = self.sim.domain
            self._forms = {}
            for svc in self.mesh.services:
                for form in (svc.hostname(domain), f"{svc.name}.{svc.namespace}.svc", f"{svc.name}.{svc.namespace}"):
                    self._forms.setdefault(form, []).append(svc)
            self._se_hosts = [h for se in self.mesh.service_entries for h in se.hosts]
        if any(subset_of(name, h) or subset_of(h, name) for h in self._se_hosts):
            return True
        if is_wildcard(name):
            candidates = [svc for svc in self.mesh.services if subset_of(svc.hostname(self.sim.domain), name)]
        else:
            candidates = self._forms.get(name, [])
        default = self.mesh.mesh_config.default_service_export_to
        return any(exported_to(service_export_to(svc.export_to, default), svc.namespace, sidecar_ns)
                   for svc in candidates)

    # -- teaching findings -----------------------------------------------------------------------
    def teaching(self) -> None:
        sim = self.sim
        chosen_by: dict[ObjectRef, list[Workload]] = {}
        shadowed: dict[ObjectRef, list[str]] = {}
        for r in sim.resolve_all():
            if r.sidecar is not None:
                chosen_by.setdefault(r.sidecar, []).append(r.workload)
            for c in r.candidates:
                if c.outcome == "shadowed":
                    shadowed.setdefault(c.sidecar, []).append(
                        _say("SL0002.use", workload=f"{r.workload.namespace}/{r.workload.name}", sidecar=r.sidecar))
        for s in self.mesh.sidecars:
            if not sim.admitted.get(s.ref, True):
                continue
            self._empty_selector(s)
            self._unused(s, shadowed.get(s.ref, []), chosen_by)
            self._no_merge(s)
            self._policy_and_firewall(s)
            self._hosts(s)
            self._egress_capture(s)
            self._ingress(s)

    def _empty_selector(self, s: Sidecar) -> None:
        if s.spec.workload_selector is None or s.spec.workload_selector:
            return
        others = [o for o in self.sim.sidecars_by_ns.get(s.namespace, ())
                  if o is not s and not o.spec.has_selector and self.sim.admitted.get(o.ref, True)]
        text = _say("SL0001.shadows", other=others[0].ref) if others else _say("SL0001")
        self.emit("SL0001", s.ref, text,
                  self.origin(s, ("spec", "workloadSelector")), "spec.workloadSelector")

    def _unused(self, s: Sidecar, shadowed: list[str], chosen_by) -> None:
        if s.ref in chosen_by:
            return
        if not shadowed:
            return
        self.emit("SL0002", s.ref, _say("SL0002", uses=few(shadowed, "; ", 3, lang=None)), self.origin(s))

    def _lower_levels(self, s: Sidecar) -> list[Sidecar]:
        """The Sidecars a reader expects this one to inherit from: namespace default, then root default."""
        out = []
        if s.spec.has_selector:
            out += [o for o in self.sim.sidecars_by_ns.get(s.namespace, ()) if not o.spec.has_selector
                    and self.sim.admitted.get(o.ref, True)][:1]
        if s.namespace != self.sim.root:
            out += [o for o in self.sim.sidecars_by_ns.get(self.sim.root, ()) if not o.spec.has_selector
                    and self.sim.admitted.get(o.ref, True)][:1]
        return out

    def _no_merge(self, s: Sidecar) -> None:
        lower = self._lower_levels(s)
        mesh_mode = self.mesh.mesh_config.outbound_mode
        if s.spec.outbound_traffic_policy is None:
            for o in lower:
                otp = o.spec.outbound_traffic_policy
                if otp is not None and otp.effective_mode != mesh_mode:
                    self.emit("SL0003", s.ref, _say("SL0003.mode", mesh_mode=mesh_mode, mode=otp.effective_mode,
                                                    other=o.ref),
                              self.origin(s), "spec.outboundTrafficPolicy")
                    break
        if s.spec.egress is None:
            for o in lower:
                if o.spec.egress:
                    hosts = few([h for e in o.spec.egress for h in e.hosts], lang=None)
                    self.emit("SL0003", s.ref, _say("SL0003.egress", hosts=hosts, other=o.ref), self.origin(s),
                              "spec.egress")
                    break

    def _policy_and_firewall(self, s: Sidecar) -> None:
        otp = s.spec.outbound_traffic_policy
        if otp is not None and otp.mode is None:
            self.emit("SL0004", s.ref, _say("SL0004"), self.origin(s, ("spec", "outboundTrafficPolicy")),
                      "spec.outboundTrafficPolicy")
        mode = otp.effective_mode if otp is not None else self.mesh.mesh_config.outbound_mode
        excluding = self.sim.rules.egress_host_exclusion and any(h.startswith("~") for e in s.spec.egress or ()
                                                                  for h in e.hosts)
        restricted = s.spec.egress and (excluding or not any("*/*" in e.hosts for e in s.spec.egress))
        if restricted and mode != REGISTRY_ONLY:
            self.emit("SL0005", s.ref, _say("SL0005"), self.origin(s, ("spec", "egress")), "spec.egress")

    def _hosts(self, s: Sidecar) -> None:
        domain = self.sim.domain
        for i, listener in enumerate(s.spec.egress or ()):
            imported_any = False
            for j, host in enumerate(listener.hosts):
                parsed = parse_host_entry(host, s.namespace)
                if parsed is None:
                    continue
                ns, name = parsed
                path = ("spec", "egress", i, "hosts", j)
                field = f"spec.egress[{i}].hosts[{j}]"
                if host.startswith("~") and self.sim.rules.egress_host_exclusion:
                    continue  # 1.31: an exclusion imports nothing by design
                if ns not in ("*", "~") and self.sim.namespaces and ns not in self.known_namespaces:
                    self.emit("SL0007", s.ref, _say("SL0007", host=repr(host), namespace=repr(ns)),
                              self.origin(s, path), field)
                    continue
                candidates = self.sim.registry if ns == "*" else self.sim.by_namespace.get(ns, [])
                matched = [svc for svc in candidates if subset_of(svc.hostname, name)]
                if listener.port is not None and listener.port.number:
                    matched_port = [svc for svc in matched if svc.port(listener.port.number) is not None]
                else:
                    matched_port = matched
                if any(self.sim.exported(svc, s.namespace) for svc in matched_port):
                    imported_any = True
                if matched and not any(self.sim.exported(svc, s.namespace) for svc in matched):
                    svc = matched[0]
                    self.emit("SL0008", s.ref, _say("SL0008", host=repr(host), service=svc.hostname,
                                                    namespace=s.namespace, export_to=",".join(svc.export_to)),
                              self.origin(s, path), field)
                    continue
                if not matched and not is_wildcard(name) and name != "*":
                    meant = sorted(svc.hostname for svc in candidates
                                   if svc.hostname.startswith(name + ".") and svc.hostname.endswith("." + domain))
                    if meant:
                        self.emit("SL0006", s.ref, _say("SL0006", host=repr(host), meant=f"{ns}/{meant[0]}"),
                                  self.origin(s, path), field,
                                  f"{ns if host.split('/')[0] != '.' else '.'}/{meant[0]}")
            if listener.port is not None and listener.port.number and not imported_any:
                self.emit("SL0009", s.ref, _say("SL0009", port=listener.port.number,
                                                hosts=few(list(listener.hosts), lang=None)),
                          self.origin(s, ("spec", "egress", i, "port")), f"spec.egress[{i}].port")

    def _egress_capture(self, s: Sidecar) -> None:
        """``buildSidecarOutboundListeners``: captureMode NONE makes the listener a real socket on ``bind``
        (``127.0.0.1`` without one, ``listener_address.go``), which redirected traffic never reaches."""
        for i, listener in enumerate(s.spec.egress or ()):
            if listener.capture_mode != "NONE":
                continue
            address = listener.bind or "127.0.0.1"
            port = listener.port.number if listener.port and listener.port.number else None
            where = f"{address}:{port}" if port else _say("SL0014.each-port", address=address)
            self.emit("SL0014", s.ref, _say("SL0014", index=i, where=where, address=address),
                      self.origin(s, ("spec", "egress", i, "captureMode")), f"spec.egress[{i}].captureMode")

    def _ingress(self, s: Sidecar) -> None:
        if not s.spec.ingress:
            return
        selector = s.spec.workload_selector
        workloads = [w for w in self.mesh.workloads if w.namespace == s.namespace
                     and (selector is None or selector_matches(selector, w.labels))]
        targeted: set[int] = set()
        for svc in self.sim.services_by_ns.get(s.namespace, ()):
            if not svc.selector:
                continue
            for w in workloads:
                if selector_matches(svc.selector, w.labels):
                    for p in svc.ports:
                        t = p.target_port
                        if t is None:
                            targeted.add(p.port)
                        elif isinstance(t, int) or (isinstance(t, str) and t.isdigit()):
                            targeted.add(int(t))
                        else:
                            targeted.update(cp.container_port for cp in w.ports if cp.name == t)
        for i, entry in enumerate(s.spec.ingress):
            number = entry.port.number if entry.port else None
            if entry.capture_mode == "NONE" and not entry.bind:
                self.emit("SL0010", s.ref, _say("SL0010", port=number),
                          self.origin(s, ("spec", "ingress", i, "captureMode")), f"spec.ingress[{i}].captureMode")
            if number and workloads and number not in targeted:
                self.emit("SL0012", s.ref, _say("SL0012", port=number),
                          self.origin(s, ("spec", "ingress", i, "port")), f"spec.ingress[{i}].port")


def analyze(mesh: Mesh | Simulator, istio_version: str | None = None) -> list[Message]:
    """Every finding for the manifests, in a stable order (resource, then code).

    The release is the Simulator's, or ``istio_version`` for a Mesh (default the lab's 1.26):
    its validation (IST0106, IST0133) and the analyzer's own differences (``Rules`` area analyzer).
    """
    sim = mesh if isinstance(mesh, Simulator) else Simulator(mesh, istio_version)
    a = _Analyzer(sim)
    a.schema_and_deprecation()
    a.selector_analyzer()
    a.injection()
    a.kiali()
    a.teaching()
    out = [m for m in a.out if m.resource.namespace not in IGNORED_NAMESPACES]
    out.sort(key=lambda m: (m.resource.namespace, m.resource.kind, m.resource.name, m.code, m.origin or ""))
    return out


def filter_messages(messages: Sequence[Message], mesh: Mesh, *, output_threshold: str = "Info",
                    suppress: Sequence[str] = ()) -> list[Message]:
    """Drop messages below the output threshold, suppressed by ``CODE=glob`` or by the resource's annotation."""
    rules = []
    for item in suppress:
        code, _, glob = item.partition("=")
        rules.append((code.strip(), glob.strip() or "*"))
    annotations = {s.ref: s.annotations for s in mesh.sidecars}
    annotations.update({w.ref: w.annotations for w in mesh.workloads})
    keep = []
    for m in messages:
        if LEVELS[m.level] < LEVELS[output_threshold]:
            continue
        if any((code == "*" or code == m.code) and fnmatch.fnmatchcase(m.friendly_name(), glob)
               for code, glob in rules):
            continue
        codes = annotations.get(m.resource, {}).get(SUPPRESS_ANNOTATION)
        if codes and (codes.strip() == "*" or m.code in {c.strip() for c in codes.split(",")}):
            continue
        keep.append(m)
    return keep


def exit_code(messages: Sequence[Message], failure_threshold: str = "Error") -> int:
    """79 when a message is at or above the failure threshold (as istioctl), else 0."""
    return 79 if any(LEVELS[m.level] >= LEVELS[failure_threshold] for m in messages) else 0
