"""Prediction beside observation: what the simulator said curl would print, and what it printed.

Pure: no cluster, no ``kubernetes`` import. :mod:`sidecar_lab.live.cluster` runs curl in a
pod and hands the output here as an :class:`Observation`; a notebook can build one
by hand from a terminal session just as well.

The vocabulary is the one of ``data/seed/observations.yaml``:

``origin``      httpbin's ``/ip`` answer, ``{"origin": "IP:PORT"}`` (the IP is kept apart)
``google-301``  Google's "301 Moved" page
``nothing``     curl wrote nothing to standard output
``other``       some other output (a prediction of "the application's response" matches any)

An observation that did not happen (the exec failed, the stream broke, the API server answered an
error instead of curl's exit code) carries its reason in ``error``; :func:`compare` then says
"could not observe" (``outcome: not-observed``): it never matches, and it never mismatches either.

Where Envoy answers itself, curl exits 0 and the HTTP status is the evidence, so the observation
carries it (``http_status``; :data:`WRITE_OUT` is how ``live check`` asks curl for it, and ``-i`` or
``-v`` output shows it too). What each verdict needs to MATCH (anything else DIFFERS):

=====================  ==================================================================================
``NO_ROUTE``           HTTP 404, nothing printed (Envoy's empty body), exit 0
``CLUSTER_NOT_FOUND``  HTTP 503 (500 for a Gateway API route), nothing printed, exit 0; on a TCP or TLS
                       port the closed connection's exit code (52, 35, 56) and no HTTP response
``DIRECT_RESPONSE``    the ``directResponse`` status, its body printed as written (nothing without one), exit 0
``REDIRECT``           the redirect's 3xx, curl's ``redirect_url`` equal to the predicted ``Location``
                       (scheme, host, port, path), nothing printed, exit 0 (with ``-L`` curl follows it: DIFFERS)
=====================  ==================================================================================

When the status was not seen (the user's own ``-w``, or output without headers) and everything
else agrees, the comparison of these four is ``not-observed``: an empty answer with exit 0 does not
tell a 404 from block_all's 502. ``BLOCKED`` by block_all keeps its older rule (nothing printed, exit
0), and its status, when seen, must be 502.

>>> classify(Observation('{"origin": "127.0.0.6:4321"}'))
'origin'
>>> observed_vocabulary(Observation('{\\n  "origin": "10.10.0.14:51234"\\n}\\n'))
{'prints': 'origin', 'origin': '10.10.0.14'}
>>> classify(Observation('', exit_code=0))
'nothing'
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit

from ..core.messages import label
from ..core.results import RequestResult, Verdict

__all__ = [
    "Observation", "Prediction", "Comparison", "WalkRequest", "WalkStep", "classify", "observed_origin",
    "observed_vocabulary", "predict", "compare", "walkthrough_steps", "blog_agrees", "observed_text",
    "INBOUND_PASSTHROUGH_IP", "WRITE_OUT", "split_write_out", "seen_status", "response_body",
]

#: The source address an application behind an Istio sidecar sees (Istio 1.10 and later).
INBOUND_PASSTHROUGH_IP = "127.0.0.6"
#: The same before Istio 1.10.
_OLD_INBOUND_IP = "127.0.0.1"
_PLACEHOLDER_IP = "source-pod-ip"  # what traffic.check says when the source pod's IP is unknown
_GOOGLE_HOSTS = ("google.com",)
_ORIGIN_RE = re.compile(r'"origin"\s*:\s*"([^"]*)"')
#: curl's ``--write-out`` that ``live check`` adds (unless curl's arguments have their own): the status
#: (``000`` when no HTTP response came) and the URL a redirect points to, on a line of their own.
WRITE_OUT = "\\n[sidecar-lab] %{http_code} %{redirect_url}\\n"
_WRITE_OUT_RE = re.compile(r"\n?\[sidecar-lab\] (\d{3}) ?(\S*)\n?\Z")
_STATUS_LINE = re.compile(r"HTTP/[\d.]+ (\d{3})")
#: The verdicts whose evidence is the HTTP status Envoy answered with itself.
_STATUS_VERDICTS = ("NO_ROUTE", "CLUSTER_NOT_FOUND", "DIRECT_RESPONSE", "REDIRECT")
_CURL_EXITS = {
    6: "curl could not resolve the host (exit 6)",
    7: "curl could not connect: connection refused (exit 7)",
    28: "curl timed out (exit 28)",
    35: "the TLS handshake failed (exit 35)",
    52: "the server closed the connection without a reply (exit 52, Empty reply from server)",
    56: "the connection was reset while receiving (exit 56)",
}


@dataclass(frozen=True)
class Observation:
    """What really happened when curl ran in a pod."""

    stdout: str
    stderr: str = ""
    #: curl's exit code; None when it is unknown (the command did not finish).
    exit_code: int | None = 0
    #: True when the command was still running when the caller stopped waiting.
    timed_out: bool = False
    #: Whether the pod curl ran in has an ``istio-proxy`` container (None: not known).
    source_has_proxy: bool | None = None
    #: Why nothing could be observed (None: the command ran and its outcome is known).
    error: str | None = None
    #: The HTTP status curl reported (``0``: no HTTP response; None: not seen).
    http_status: int | None = None
    #: The URL a redirect points to, as curl reported it (None: none, or not seen).
    redirect_url: str | None = None

    @property
    def observed(self) -> bool:
        return self.error is None


def split_write_out(stdout: str) -> tuple[str, int | None, str | None]:
    """(what curl printed without :data:`WRITE_OUT`'s line, the status, the redirect URL); the status is
    None when the line is not there.

    >>> split_write_out('{"a": 1}\\n[sidecar-lab] 200 \\n')
    ('{"a": 1}', 200, None)
    >>> split_write_out('\\n[sidecar-lab] 301 https://example.com/\\n')
    ('', 301, 'https://example.com/')
    """
    match = _WRITE_OUT_RE.search(stdout)
    if match is None:
        return stdout, None, None
    return stdout[:match.start()], int(match.group(1)), match.group(2) or None


def _header_blocks(stdout: str) -> tuple[list[str], str]:
    """The header blocks ``curl -i`` printed before the body (one per response with ``-L``), and the body."""
    blocks, text = [], stdout
    while _STATUS_LINE.match(text):
        parts = re.split(r"\r?\n\r?\n", text, maxsplit=1)
        blocks.append(parts[0])
        text = parts[1] if len(parts) > 1 else ""
    return blocks, text


def response_body(stdout: str) -> str:
    """What curl printed of the response body (without the headers ``-i`` adds)."""
    return _header_blocks(stdout)[1]


def seen_status(observation: Observation) -> tuple[int | None, str | None]:
    """(HTTP status, redirect URL) as far as they were seen: from the observation itself (curl's
    write-out), else the last status line of ``-i`` output, else of ``-v`` on standard error."""
    if observation.http_status is not None:
        return observation.http_status, observation.redirect_url
    blocks, _ = _header_blocks(observation.stdout)
    lines = blocks[-1].splitlines() if blocks else [
        line[2:] for line in observation.stderr.splitlines() if line.startswith("< ")]
    status, location = None, None
    for line in lines:
        match = _STATUS_LINE.match(line)
        if match:
            status, location = int(match.group(1)), None
        elif line.lower().startswith("location:"):
            location = line.split(":", 1)[1].strip()
    return status, location


def _strip_port(address: str) -> str:
    address = address.strip()
    if address.startswith("["):  # [::1]:4321
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def observed_origin(observation: Observation) -> str | None:
    """The IP of httpbin's ``origin`` field (first address, port dropped), or None."""
    text = response_body(observation.stdout).strip()
    value = None
    try:
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("origin"), str):
            value = data["origin"]
    except ValueError:
        match = _ORIGIN_RE.search(text)
        value = match.group(1) if match else None
    if value is None:
        return None
    first = value.split(",")[0]
    return _strip_port(first) or None


def classify(observation: Observation) -> str:
    """``origin``, ``google-301``, ``nothing`` or ``other`` for what curl printed (of the body)."""
    text = response_body(observation.stdout).strip()
    if not text:
        return "nothing"
    if observed_origin(observation) is not None:
        return "origin"
    lowered = text.lower()
    if "301 moved" in lowered and "google" in lowered:
        return "google-301"
    return "other"


def observed_vocabulary(observation: Observation) -> dict:
    """The observation as an ``observed:`` entry of observations.yaml (``{prints: origin, origin: IP}``)."""
    kind = classify(observation)
    out: dict[str, Any] = {"prints": kind}
    if kind == "origin":
        out["origin"] = observed_origin(observation)
    return out


@dataclass(frozen=True)
class Prediction:
    """What the simulator expects curl to print, in the observations' vocabulary."""

    verdict: str
    prints: str  # origin | google-301 | nothing | other
    origin: str | None
    exit_code: int | None
    client_sees: str
    #: The HTTP status Envoy answers with itself (None: the application's, or no HTTP response).
    http_status: int | None = None
    #: ``REDIRECT``: the ``Location`` Envoy sends.
    location: str | None = None
    #: ``DIRECT_RESPONSE``: the body Envoy sends ("" for none).
    body: str | None = None

    @property
    def summary(self) -> str:
        """The verdict, the HTTP status Envoy answers itself, what curl prints and its exit code, in the language
        in force."""
        status = _status_text(self.http_status, self.location) if self.http_status else ""
        prints = label("live.prints.body", body=self.body) if self.body else _prints_text(self.prints, self.origin)
        return f"{self.verdict}: {status}{prints}, {_exit_text(self.exit_code, False)}"


def predict(result: RequestResult) -> Prediction:
    """Turn a :func:`sidecar_lab.core.traffic.check` result into what curl prints."""
    verdict = result.verdict
    target = result.target
    params = result.sees.params if result.sees is not None else {}
    location = params.get("location") if verdict is Verdict.REDIRECT else None
    body = (params.get("body") or "") if verdict is Verdict.DIRECT_RESPONSE else None
    if verdict is Verdict.DIRECT_RESPONSE and result.curl_exit == 0:
        prints, origin = ("other" if body else "nothing"), None
    elif verdict in (Verdict.BLOCKED, Verdict.DNS_FAILURE, Verdict.NO_ROUTE, Verdict.CLUSTER_NOT_FOUND,
                     Verdict.REDIRECT) or result.curl_exit not in (0, None):
        prints, origin = "nothing", None
    elif target.scheme == "http" and target.path.split("?")[0].rstrip("/").endswith("/ip") \
            and target.service is not None:
        prints, origin = "origin", result.destination_sees_source
    elif target.scheme == "http" and target.host in _GOOGLE_HOSTS:
        prints, origin = "google-301", None
    else:
        prints, origin = "other", None
    return Prediction(verdict.value, prints, origin, result.curl_exit, result.client_sees, result.http_status,
                      location, body)


def _prints_text(prints: str, origin: str | None) -> str:
    if prints == "origin":
        return label("live.prints.origin", origin=origin) if origin and origin != _PLACEHOLDER_IP \
            else label("live.prints.origin-client")
    if prints in ("google-301", "nothing"):
        return label(f"live.prints.{prints}")
    return label("live.prints.other")


def _exit_text(code: int | None, timed_out: bool, done: bool = False) -> str:
    """curl's exit code in words: ``done`` for one that was observed ("exited"), else a prediction ("exits")."""
    if timed_out:
        return label("live.exit.still-running")
    if code is None:
        return label("live.exit.unknown")
    return label("live.exited" if done else "live.exits", code=code)


def _status_text(status: int, location: str | None) -> str:
    """``HTTP 301 to LOCATION, `` (or ``no HTTP response, `` for curl's 000), in the language in force."""
    if not status:
        return label("live.no-http-response") + ", "
    if location:
        return label("live.http-redirect", status=status, location=location) + ", "
    return label("live.http-status", status=status) + ", "


def observed_text(observed: dict) -> str:
    """What an ``observed:`` entry of observations.yaml (``{prints: origin, origin: IP}``) says curl printed, in
    words, in the language in force."""
    return _prints_text(str(observed.get("prints")), observed.get("origin"))


@dataclass(frozen=True)
class Comparison:
    """A prediction beside an observation, and why they may differ."""

    match: bool
    predicted_summary: str
    observed_summary: str
    likely_causes: tuple[str, ...] = ()
    predicted: Prediction | None = None
    observed: dict = field(default_factory=dict)
    observed_exit: int | None = None
    #: Why nothing could be observed (None: it was).
    not_observed: str | None = None

    @property
    def outcome(self) -> str:
        """``match``, ``mismatch`` or ``not-observed``."""
        if self.not_observed is not None:
            return "not-observed"
        return "match" if self.match else "mismatch"

    def to_json(self) -> dict:
        p = self.predicted
        return {
            "match": self.match,
            "outcome": self.outcome,
            "not_observed": self.not_observed,
            "predicted": {"summary": self.predicted_summary, "verdict": p.verdict if p else None,
                          "prints": p.prints if p else None, "origin": p.origin if p else None,
                          "exit_code": p.exit_code if p else None, "http_status": p.http_status if p else None,
                          "location": p.location if p else None, "body": p.body if p else None},
            "observed": {"summary": self.observed_summary, **self.observed, "exit_code": self.observed_exit},
            "likely_causes": list(self.likely_causes),
        }

    def text(self) -> str:
        result = {"match": "MATCH", "mismatch": "MISMATCH", "not-observed": "COULD NOT OBSERVE"}[self.outcome]
        lines = ["  " + label("live.predicted", summary=self.predicted_summary),
                 "  " + label("live.observed", summary=self.observed_summary),
                 "  " + label("live.result", result=result)]
        if self.not_observed is not None and self.not_observed not in self.observed_summary:
            lines.append("  " + label("live.not-seen", reason=self.not_observed))
        if self.likely_causes:
            lines.append("  " + label("live.likely-causes"))
            lines += [f"    - {c}" for c in self.likely_causes]
        return "\n".join(lines)


def compare(predicted: RequestResult, observed: Observation) -> Comparison:
    """Does what curl really printed (its HTTP status and its exit code) agree with the prediction?

    An observation that did not happen is neither: ``outcome`` is ``not-observed``, with the reason; so
    is one whose HTTP status was not seen where only the status can tell (see the module's table).
    """
    p = predict(predicted)
    if observed.error is not None:
        return Comparison(False, p.summary, label("live.not-observed", error=observed.error), (), p, {}, None,
                          observed.error)
    kind = classify(observed)
    origin = observed_origin(observed) if kind == "origin" else None
    status, redirect_url = seen_status(observed)
    body = response_body(observed.stdout)
    seen = _status_text(status, redirect_url) if status is not None else ""
    if p.body and kind == "other":
        printed = label("live.prints.body", body=body.strip()[:80])
    else:
        printed = label("live.prints.origin", origin=origin) if kind == "origin" else _prints_text(kind, origin)
    observed_summary = f"{seen}{printed}, {_exit_text(observed.exit_code, observed.timed_out, done=True)}"
    problems: list[str] = []
    if observed.timed_out:
        problems.append("timeout")
    if p.prints == "other":
        if kind == "nothing":
            problems.append("prints")
        elif p.body and body.strip() != p.body.strip():
            problems.append("body")
    elif p.prints != kind:
        problems.append("prints")
    elif kind == "origin" and not _same_origin(p.origin, origin):
        problems.append("origin")
    if "prints" not in problems and p.exit_code is not None and observed.exit_code is not None \
            and p.exit_code != observed.exit_code:
        problems.append("exit")
    unseen = None
    if p.http_status is not None:
        if status is None:
            if p.verdict in _STATUS_VERDICTS:
                unseen = (f"curl's HTTP status was not seen, and only the status tells {p.verdict} (HTTP "
                          f"{p.http_status}) from another answer that prints the same: run curl without your own "
                          "-w/--write-out (live check adds one), or with -i")
        elif status != p.http_status:
            problems.append("status")
        elif p.location is not None and redirect_url is not None and not _same_url(redirect_url, p.location):
            problems.append("location")
    elif p.verdict == "CLUSTER_NOT_FOUND" and status:  # a TCP proxy closes the connection: no HTTP answer
        problems.append("status")
    match = not problems and unseen is None
    causes = () if not problems else tuple(_likely_causes(predicted, p, observed, kind, origin, problems, status,
                                                          redirect_url))
    vocabulary = {"prints": kind, **({"origin": origin} if kind == "origin" else {})}
    if status is not None:
        vocabulary["http_status"] = status
    if redirect_url:
        vocabulary["redirect_url"] = redirect_url
    return Comparison(match, p.summary, observed_summary, causes, p, vocabulary, observed.exit_code,
                      None if problems else unseen)


def _same_url(a: str, b: str) -> bool:
    """Two absolute URLs are the same place: scheme, host, port (the default one written or not), path, query."""
    def parts(url: str) -> tuple:
        u = urlsplit(url)
        try:
            port = u.port
        except ValueError:
            return (url,)
        default = {"http": 80, "https": 443}.get(u.scheme.lower())
        return (u.scheme.lower(), (u.hostname or "").lower(), port or default, u.path or "/", u.query)
    return parts(a) == parts(b)


def _status_causes(p: Prediction, kind: str, problems: list[str], status: int | None, redirect_url: str | None,
                   pod_ref: str, host: str, port: int) -> list[str]:
    """What an HTTP status Envoy answered with itself says, when it is not the one predicted."""
    causes: list[str] = []
    if "location" in problems:
        causes.append(f"the redirect points to {redirect_url}, not {p.location}: another redirect than the "
                      f"snapshot's (istioctl proxy-config route {pod_ref} --name {port} -o json)")
    if "body" in problems:
        causes.append(f"Envoy answered {status or p.http_status} with another body than the directResponse of the "
                      f"snapshot: the VirtualService changed since (istioctl proxy-config route {pod_ref} --name {port} "
                      "-o json)")
    if p.verdict == "REDIRECT" and status and not 300 <= status < 400:
        causes.append(f"curl answered HTTP {status}, not the redirect: with -L (--location) curl follows it and "
                      "shows the last answer — run it without -L to see the 3xx and its Location")
    if "status" not in problems or not status:
        return causes
    envoy = None if kind != "nothing" else {
        404: f"Envoy's 404 with an empty body: a virtual host matched but none of its routes (NO_ROUTE) — the "
             f"cluster's VirtualServices or HTTPRoutes differ from the snapshot (istioctl proxy-config route "
             f"{pod_ref} --name {port} -o json)",
        503: f"HTTP 503 with an empty body from Envoy: a route to a cluster the proxy does not have (CLUSTER_NOT_FOUND: "
             f"a subset no DestinationRule it sees defines?) or no healthy endpoint (the destination's pods not ready) "
             f"— istioctl proxy-config cluster {pod_ref} --fqdn {host}",
        500: "HTTP 500 with an empty body: a Gateway API route whose backend does not exist (CLUSTER_NOT_FOUND), or "
             "another error Envoy answered itself",
        502: f"HTTP 502 with an empty body: block_all, the catch-all route of REGISTRY_ONLY (BLOCKED) — the host "
             f"is not in the proxy's registry (istioctl proxy-config route {pod_ref} --name {port})",
    }.get(status)
    if envoy is None and kind == "nothing" and 300 <= status < 400:
        envoy = (f"HTTP {status} to {redirect_url or '(no Location)'}: a redirect (REDIRECT) of a VirtualService or "
                 f"an HTTPRoute the snapshot lacks, or the application's own")
    if envoy is not None:
        causes.append(envoy)
    elif p.http_status and not causes:
        causes.append(_other_status(p, status))
    return causes


def _other_status(p: Prediction, status: int) -> str:
    what = {"DIRECT_RESPONSE": "the directResponse", "REDIRECT": "the redirect", "NO_ROUTE": "Envoy's 404",
            "CLUSTER_NOT_FOUND": "Envoy's answer for a missing cluster", "BLOCKED": "block_all's 502"}
    return (f"HTTP {status} instead of {p.http_status}: another route than the snapshot's took the request, not "
            f"{what.get(p.verdict, 'the predicted answer')} — the cluster's configuration differs from the snapshot "
            "(take a new one, or wait for the push)")


def _same_origin(predicted: str | None, observed: str | None) -> bool:
    if predicted is None or predicted == _PLACEHOLDER_IP:
        # The client pod's IP was not known; anything but the sidecar's address agrees.
        return observed != INBOUND_PASSTHROUGH_IP
    return predicted == observed


def _likely_causes(result: RequestResult, p: Prediction, obs: Observation, kind: str, origin: str | None,
                   problems: list[str], status: int | None = None, redirect_url: str | None = None) -> list[str]:
    src = result.source
    pod_ref = f"{src.name}.{src.namespace}"
    host, port = result.target.host, result.target.port
    causes: list[str] = []
    if obs.timed_out:
        causes.append("the command was still running when the wait ended: curl got no answer — the destination "
                      "may be unreachable from the cluster (no internet egress, a NetworkPolicy, a firewall); "
                      "rerun with curl --max-time 5 to see curl's own error")
    proxy = result.resolution.proxy
    if obs.source_has_proxy is False and proxy == "sidecar":
        causes.append(f"injection missing: the pod {src.namespace}/{src.name} has no istio-proxy container (it was "
                      f"probably created before its namespace was labelled istio-injection=enabled) — recreate it: "
                      f"kubectl delete pod -n {src.namespace} {src.name}, then create it again")
    elif obs.source_has_proxy is True and proxy != "sidecar":
        causes.append(f"the pod {src.namespace}/{src.name} has an istio-proxy container the prediction did not "
                      "expect — take a new snapshot (sidecar-lab live snapshot)")
    causes += _status_causes(p, kind, problems, status, redirect_url, pod_ref, host, port)
    if kind == "nothing" and obs.exit_code in (6, 7, 28) and p.exit_code != obs.exit_code:
        text = _CURL_EXITS[obs.exit_code]
        if obs.exit_code == 6:
            causes.append(f"DNS: {text} — check the name (kubectl get svc -A) and the pod's resolver "
                          f"(kubectl exec -n {src.namespace} {src.name} -- nslookup {host})")
        elif obs.exit_code == 7:
            causes.append(f"{text}: nothing listens on {host}:{port} — is the destination running? "
                          "(kubectl get pods,svc -A)")
        else:
            causes.append(f"{text}: the destination did not answer — no egress from the cluster, or a NetworkPolicy")
    if "prints" in problems:
        if p.prints == "nothing" and kind != "nothing":
            causes.append("configuration not pushed yet: the proxy still runs an earlier, more permissive "
                          "configuration — wait a few seconds and retry (istioctl proxy-status shows SYNCED "
                          f"once istiod's latest push reached {pod_ref})")
        elif p.prints != "nothing" and kind == "nothing" and obs.exit_code in (0, 52, 56, None):
            causes.append("configuration not pushed yet: the proxy may still run an earlier, stricter configuration "
                          "(an empty 502 from block_all, or BlackHoleCluster) — wait a few seconds and retry "
                          f"(istioctl proxy-status; istioctl proxy-config route {pod_ref} --name {port})")
        elif p.prints not in ("nothing", "other") and kind not in ("nothing", "other"):
            causes.append(f"the answer came from another destination than predicted ({kind} instead of {p.prints}): "
                          "routing differs from the snapshot — a VirtualService, ServiceEntry or egress gateway it "
                          f"lacks? (istioctl proxy-config route {pod_ref} --name {port})")
        elif kind == "other":
            causes.append("curl printed something the vocabulary does not know (an error page from Envoy or the "
                          f"application?) — read it: {obs.stdout.strip()[:120]!r}")
    if "origin" in problems:
        if origin == _OLD_INBOUND_IP:
            causes.append("another Istio version: before Istio 1.10 an application behind a sidecar saw "
                          "127.0.0.1 as the source, since 1.10 127.0.0.6 (istioctl version)")
        elif p.origin == INBOUND_PASSTHROUGH_IP:
            svc = result.target.service
            where = f"deployment/{svc.name} -n {svc.namespace}" if svc is not None else "the destination"
            causes.append("injection missing at the destination: it has no sidecar, so it sees the client's own "
                          f"address — label its namespace istio-injection=enabled and restart it "
                          f"(kubectl rollout restart {where})")
        elif origin == INBOUND_PASSTHROUGH_IP:
            causes.append("the destination has a sidecar the prediction did not expect (its namespace or pod is "
                          "injected) — take a new snapshot")
        else:
            causes.append(f"the source address differs ({origin} instead of {p.origin}): the client pod was "
                          "recreated with a new IP, or something on the path rewrites the source (SNAT)")
    if "exit" in problems:
        if p.exit_code == 0 and obs.exit_code == 52 and p.verdict == "BLOCKED":
            causes.append(f"the proxy has no HTTP listener on port {port}: the request fell through to "
                          "BlackHoleCluster instead of the block_all route — the cluster's services differ from the "
                          f"snapshot (istioctl proxy-config listener {pod_ref} --port {port})")
        else:
            known = _CURL_EXITS.get(obs.exit_code or -1)
            causes.append(f"curl exited {obs.exit_code}, not {p.exit_code}" + (f": {known}" if known else "")
                          + " (see EXIT CODES in curl's manual)")
    causes.append("another Istio version: the simulator follows recent Istio releases; compare istioctl version "
                  f"and the proxy's own view (istioctl proxy-config listener {pod_ref} --port {port})")
    seen: list[str] = []
    for c in causes:
        if c not in seen:
            seen.append(c)
    return seen


def blog_agrees(observation: Observation, blog: dict | None) -> bool | None:
    """Does an observation agree with what the blog post showed (None when the post showed nothing)?

    Pod IPs differ from cluster to cluster, so an ``origin`` other than 127.0.0.6 only has to be
    another address, not the post's ``10.10.0.14``.
    """
    if not blog or "prints" not in blog or observation.error is not None:
        return None
    vocab = observed_vocabulary(observation)
    if vocab["prints"] != blog["prints"]:
        return False
    if blog["prints"] == "origin":
        return (vocab.get("origin") == INBOUND_PASSTHROUGH_IP) == (blog.get("origin") == INBOUND_PASSTHROUGH_IP)
    return True


# -- the walkthrough -----------------------------------------------------------


@dataclass(frozen=True)
class WalkRequest:
    """One curl of the walkthrough, as the post ran it."""

    id: str
    source: str  # NS/NAME
    target: str  # the URL
    curl_args: tuple[str, ...]  # e.g. ("-s",)
    container: str | None
    command: str
    blog: dict  # the post's ``observed`` entry
    blog_section: str = ""

    @property
    def namespace(self) -> str:
        return self.source.split("/", 1)[0]

    @property
    def pod(self) -> str:
        return self.source.split("/", 1)[1]


@dataclass(frozen=True)
class WalkStep:
    """One step of the seed walkthrough: the Sidecars in effect, the requests, the listings."""

    name: str  # 02-root-registry-only
    number: str  # 02
    title: str
    directory: str
    sidecars: tuple[dict, ...]
    requests: tuple[WalkRequest, ...]
    listings: tuple[dict, ...] = ()

    def sidecar_refs(self) -> list[tuple[str, str]]:
        return [((s.get("metadata") or {}).get("namespace") or "default", (s.get("metadata") or {}).get("name"))
                for s in self.sidecars]


def _parse_command(command: str, target: str) -> tuple[tuple[str, ...], str | None]:
    """curl's arguments (without the URL) and the ``-c`` container of a ``kubectl exec`` line."""
    words = shlex.split(command)
    container = None
    for i, word in enumerate(words):
        if word in ("-c", "--container") and i + 1 < len(words):
            container = words[i + 1]
        if word == "--":
            break
    curl = words[words.index("--") + 1:] if "--" in words else words
    if curl and curl[0] == "curl":
        curl = curl[1:]
    args = tuple(w for w in curl if w != target)
    return args, container


def walkthrough_steps(only: Sequence[str] | None = None, *, seed_dir: str | Path | None = None) -> Iterator[WalkStep]:
    """The seed's steps in order, each with its Sidecars and the requests the post ran at that step.

    ``only`` selects steps by number or name (``["02", "03"]`` or ``["02-root-registry-only"]``).
    """
    from ..core.yamlio import read_documents

    if seed_dir is None:
        from ..core.resources import data_dir

        seed_dir = data_dir() / "seed"
    seed = Path(seed_dir)
    observations = []
    for doc in read_documents((seed / "observations.yaml").read_text(encoding="utf-8"),
                              str(seed / "observations.yaml")):
        if isinstance(doc.data, list):
            observations.extend(doc.data)
    wanted = None
    if only:
        wanted = {w.strip() for w in only if w and w.strip()}
    steps_dir = seed / "steps"
    names = sorted(p.name for p in steps_dir.iterdir() if p.is_dir())
    if wanted is not None:
        unknown = [w for w in wanted if not any(n == w or n.split("-", 1)[0] == w.zfill(2) for n in names)]
        if unknown:
            from ..core.errors import UsageError

            raise UsageError(f"unknown step {', '.join(sorted(unknown))} (steps: "
                             f"{', '.join(n.split('-', 1)[0] for n in names)})")
    for name in names:
        number = name.split("-", 1)[0]
        if wanted is not None and name not in wanted and number not in {w.zfill(2) for w in wanted}:
            continue
        path = steps_dir / name / "sidecars.yaml"
        text = path.read_text(encoding="utf-8")
        sidecars = tuple(doc.data for doc in read_documents(text, str(path)) if isinstance(doc.data, dict))
        title, parts = name, None
        for line in text.splitlines():  # the "# Step NN: ..." comment paragraph
            m = re.match(r"#\s*Step\s+\d+:\s*(.*)", line)
            if parts is None and m:
                parts = [m.group(1).strip()]
            elif parts is not None and line.startswith("#") and line[1:].strip():
                parts.append(line[1:].strip())
            elif parts is not None:
                break
        if parts:
            title = " ".join(parts)
        requests, listings = [], []
        for o in observations:
            if o.get("step") != name:
                continue
            if o.get("kind") == "request":
                args, container = _parse_command(o["command"], o["to"])
                requests.append(WalkRequest(o["id"], o["from"], o["to"], args, container, o["command"],
                                            dict(o.get("observed") or {}), o.get("blog_section", "")))
            else:
                listings.append(dict(o))
        yield WalkStep(name, number, title, str(steps_dir / name), sidecars, tuple(requests), tuple(listings))
