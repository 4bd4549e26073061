"""The message catalog: every reason, note and explanation step, by key, in English and Korean.

Results carry keys and parameters (:class:`sidecar_lab.core.results.Step`); text is
made here, so the command, the notebooks and the figures say the same thing.

>>> reason_text("candidate.shadowed-older", {"winner": "ns/a"})
'ns/a also matches and is older; istiod takes the oldest, this one is ignored'
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from .errors import UsageError
from .korean import attach_particles

__all__ = ["CATALOG", "reason_text", "LANGUAGES", "LABELS", "label", "set_language", "get_language",
           "language", "using_language", "LANGUAGE_ENV", "fill"]

LANGUAGES = ("en", "ko")
#: The environment variable that picks the language for a whole hub or shell (``ko`` or ``en``).
LANGUAGE_ENV = "SIDECAR_LAB_LANG"
_chosen: list[str] = []  # set_language's choice, once made; else the environment, else English


def set_language(lang: str) -> str:
    """Say every later explanation, label and message in ``lang`` (``"en"`` or ``"ko"``).

    One call switches the notebooks' widgets, figures and printed explanations; the command's
    ``--lang`` and the ``SIDECAR_LAB_LANG`` environment variable set the same thing.

    >>> set_language("ko"); reason_text("scope.none")
    'ko'
    '프록시 없음: 요청이 파드에서 곧바로 나갑니다'
    >>> set_language("en")
    'en'
    """
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    _chosen[:] = [lang]
    return lang


def get_language() -> str:
    """The language in force: :func:`set_language`'s choice, else ``$SIDECAR_LAB_LANG``, else ``"en"``."""
    if _chosen:
        return _chosen[0]
    env = os.environ.get(LANGUAGE_ENV, "").strip().lower()
    return env if env in LANGUAGES else "en"


@contextmanager
def using_language(lang: str | None) -> Iterator[str]:
    """Within the block, ``lang`` is the language in force (``None``: leave it as it is); restored after."""
    saved = list(_chosen)
    try:
        yield set_language(lang) if lang is not None else get_language()
    finally:
        _chosen[:] = saved


def language(lang: str | None) -> str:
    """``lang`` itself when given (an unknown one falls back to English), else the language in force."""
    if lang is None:
        return get_language()
    return lang if lang in LANGUAGES else "en"


def fill(template: str, lang: str, /, *args: Any, **params: Any) -> str:
    """``template`` filled with the values (``str.format``); in Korean, each two-way particle
    (``{x}을(를)``) then agrees with the value before it (:func:`sidecar_lab.core.korean.attach_particles`).

    >>> fill("{pick}을(를) 골랐습니다", "ko", pick="sleep"), fill("{pick}을(를) 골랐습니다", "ko", pick="workload")
    ('sleep을 골랐습니다', 'workload를 골랐습니다')
    """
    text = template.format(*args, **params)
    return attach_particles(text) if lang == "ko" else text

CATALOG: dict[str, dict[str, str]] = {"en": {
    # What curl shows (RequestResult.client_sees)
    "curl.block-all": "HTTP 502 with an empty body from Envoy; curl prints nothing and exits 0",
    "curl.blackhole-https": ("the connection is accepted, then closed during the TLS handshake: "
                             "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL; curl exits 35"),
    "curl.blackhole-http": "the connection is accepted, then closed: curl: (52) Empty reply from server; curl exits 52",
    "curl.blackhole-tcp": "the connection is accepted, then closed at once with no data",
    "curl.dns-failure": "curl: (6) Could not resolve host: {host}",
    "curl.port-missing": "connection refused: the Service has no port {port}; curl exits 7",
    "curl.app-response": "the response of {host}'s application; curl exits 0",
    "curl.external-response": "{host}'s own response (whatever that server answers); curl exits 0",
    # Does the workload have a proxy, and of which kind?
    "proxy.gateway": "a gateway proxy (labels {labels}): gateways ignore every Sidecar resource",
    "proxy.ignored-namespace": "namespace {namespace} is never injected",
    "proxy.live-has-proxy": "the pod runs an istio-proxy container",
    "proxy.live-no-proxy": "the pod runs no istio-proxy container (injection did not happen when it started)",
    "proxy.has-proxy-container": "the pod spec already lists an istio-proxy container",
    "proxy.pod-opt-out": "the pod opts out with sidecar.istio.io/inject=\"false\" ({how})",
    "proxy.namespace-assumed": "no Namespace manifest for {namespace}: assumed injected, as in the lab",
    "proxy.namespace-disabled": "namespace {namespace} is labelled istio-injection=disabled",
    "proxy.namespace-injected": "namespace {namespace} is injected ({label})",
    "proxy.pod-opt-in": "the pod opts in with the label sidecar.istio.io/inject=\"true\"",
    "proxy.ambient": "namespace {namespace} is ambient: no sidecar, Sidecar resources have no effect",
    "proxy.namespace-not-injected": "namespace {namespace} has no injection label: the pod has no sidecar",
    # Candidates
    "candidate.gateway": "gateways ignore Sidecar resources",
    "candidate.no-proxy": "the pod has no sidecar proxy, so no Sidecar applies",
    "candidate.rejected": "fails admission validation ({error}); the API server would not have admitted it",
    "candidate.no-match": "its workloadSelector {selector} does not match the pod's labels {labels}",
    "candidate.selected-namespace": "the namespace-wide Sidecar of {namespace} (no workloadSelector)",
    "candidate.selected-empty-selector": ("workloadSelector: {{}} is a selector that matches every pod, "
                                          "so it outranks the namespace-wide Sidecar"),
    "candidate.selected-selector": "its workloadSelector {selector} matches the pod's labels",
    "candidate.shadowed-by-namespace": "{winner} in the workload's own namespace takes precedence over the root default",
    "candidate.shadowed-by-selector": "{winner} has a workloadSelector that matches, and selector Sidecars come first",
    "candidate.shadowed-older": "{winner} also matches and is older; istiod takes the oldest, this one is ignored",
    "candidate.shadowed-same-age-name": ("{winner} also matches and has the same creation second; "
                                         "the name decides (alphabetical), this one is ignored"),
    "candidate.shadowed-same-age-joined-name": ("{winner} also matches and has the same creation second; Istio "
                                                "{version} compares \"name.namespace\" as one string and "
                                                "\"{first}\" sorts before \"{second}\", so this one is ignored"),
    "candidate.root-selector": ("a Sidecar with a workloadSelector in the root namespace {root} applies only to "
                                "pods in {root}, never to pods in {namespace}"),
    "candidate.selected-root": "no Sidecar of {namespace} applies, so the root namespace's default ({root}) does, "
                               "evaluated as if it lived in {namespace}",
    # Scope
    "scope.none": "no proxy: requests leave the pod directly",
    "scope.default": "no Sidecar applies: the built-in default (egress */*, mesh mode {mode})",
    "scope.gateway": "a gateway gets every service exported to its namespace and the mesh mode",
    "scope.workload": "{sidecar} selects this workload",
    "scope.namespace": "{sidecar} is the namespace-wide Sidecar",
    "scope.root": "{sidecar} is the mesh-wide default from the root namespace",
    # Notes
    "note.namespace-assumed": "namespace {namespace} has no Namespace manifest; it is treated as injected",
    "note.egress-implicit": ("{sidecar} has no egress: it gets */* (implicit), NOT the egress of the namespace "
                             "or root Sidecar — nothing is inherited"),
    "note.mode-from-mesh": ("{sidecar} sets no outboundTrafficPolicy: the mesh mode {mode} applies ({origin}), "
                            "NOT the namespace or root Sidecar's mode — nothing is inherited"),
    "note.empty-policy": "{sidecar} has outboundTrafficPolicy with no mode: that is REGISTRY_ONLY (enum zero)",
    "note.vs-destination-not-deterministic": (
        "{host}, a destination of VirtualService {vs}, is defined in namespaces {namespaces}, created in the same "
        "second and none a Kubernetes Service: Istio {version}'s istiod takes any one of them "
        "(pickBestVisibleNamespace walks a Go map), and may take another after a restart; shown here from "
        "{chosen}, but its ports and DestinationRules may be another namespace's"),
    # A request
    "traffic.dns-failure": "DNS cannot resolve {host} (tried {tried})",
    "traffic.dns-service": "DNS resolves {host} to the Service {fqdn}",
    "traffic.dns-service-entry": "{host} is a host of the ServiceEntry {entry}",
    "traffic.dns-external": "{host} is not a service of the mesh: an external name that DNS resolves",
    "traffic.no-proxy": "the source has no sidecar: the request goes out directly",
    "traffic.gateway-source": "a gateway pod does not capture its outbound traffic: the request goes out directly",
    "traffic.port-missing": "{service} has no port {port}",
    "traffic.mode": "outbound mode {mode} (from the {source}: {detail})",
    "traffic.not-exported": "{service} is not exported to {namespace} (exportTo: {export_to})",
    "traffic.other-namespace-won": "the proxy sees {service} as defined in {winner}, not this one",
    "traffic.port-not-imported": "{service} is imported, but not on port {port} (a port-specific egress listener)",
    "traffic.not-imported": "{service} (namespace {svc_namespace}) is not imported by the egress hosts [{hosts}]",
    "traffic.dest-sidecar": "{workload} has a sidecar: its Envoy forwards to the app from 127.0.0.6",
    "traffic.dest-no-sidecar": "{workload} has no sidecar: it sees the client pod's address {ip}",
    "traffic.egress-proxy": "egressProxy is set: unknown traffic goes to {cluster}",
    "traffic.passthrough": "PassthroughCluster forwards it to the original destination",
    "traffic.routed": "routed to {cluster}",
    "traffic.captured-by-other": "traffic meant for {meant} is taken by {got}",
    "traffic.block-all": ("no virtual host of route {port} matches: the catch-all route block_all "
                          "answers 502 itself (REGISTRY_ONLY)"),
    "traffic.allow-any": "no virtual host of route {port} matches: the catch-all route allow_any (ALLOW_ANY)",
    "traffic.no-listener": "no listener for port {port}: the request falls through to virtualOutbound",
    "traffic.passthrough-chain": "{listener} has no filter chain for this traffic: its passthrough chain takes it",
    "traffic.blackhole": "BlackHoleCluster: the connection is accepted, then closed (REGISTRY_ONLY)",
    "traffic.not-a-firewall": ("{service} is in the registry but not visible to this proxy; under ALLOW_ANY it is "
                               "still reached, as plaintext passthrough without mTLS: egress hosts are not a firewall"),
    "traffic.listener-vip": "listener {listener} (the service's VIP and port) takes it for {service}",
    "traffic.listener-http": "listener {listener}, route table {port}",
    "traffic.virtual-host": "virtual host {vhost} matches the Host header",
    "traffic.via-virtual-service": "VirtualService {vs} routes it to {host}",
    "traffic.listener-sni": "listener {listener} matches SNI {sni} for {service}",
    "traffic.listener-whole-port": ("listener {listener} belongs to {service}, a service without a VIP: "
                                    "it captures the whole port, whatever the destination"),
    # Round 2: aliases, ranges, loopback, routes, clusters, injection (istiod 1.26)
    "traffic.alias": ("{alias} is an ExternalName Service: an alias of {target}, with no listener or cluster of "
                      "its own; its name is a domain of {target}'s virtual host"),
    "traffic.ip-in-range": "{ip} is inside the addresses of the ServiceEntry {entry} ({host})",
    "traffic.ip-of-service": "{ip} is the address of {service}",
    "traffic.loopback": "{ip}:{port} is a loopback address: iptables does not capture it and no Envoy listener is bound there",
    "traffic.capture-none-not-reached": ("{listener} binds a real socket (captureMode NONE): traffic iptables "
                                         "redirects never reaches it; the application must connect to that address"),
    "traffic.listener-bound": "{listener} is a real socket (captureMode NONE): the application connected to it directly",
    "traffic.not-http": "{listener} speaks HTTP only: this connection is not plaintext HTTP and is reset",
    "traffic.cluster-not-found": "cluster {cluster} does not exist in this proxy (Envoy: cluster not found)",
    "traffic.weighted": "weighted destinations, the split: {split}",
    "traffic.subset": "subset {subset} of the DestinationRule: cluster {cluster}",
    "traffic.mirror": "a copy of the request is mirrored to {clusters} (its answer is ignored)",
    "traffic.cluster-host-not-visible": "{host} is not a service this proxy sees, so it has no cluster for it",
    "traffic.subset-not-defined": ("no DestinationRule this proxy uses for {host} defines subset {subset} "
                                   "(DestinationRule: {rule})"),
    "traffic.cluster-port-missing": "{host} has no port {port}: a destination without a port takes the listener's port",
    "traffic.listener-cidr": "listener {listener} matches the destination in {cidr} for {service}",
    "traffic.l4-route": "the tcp/tls route of VirtualService {vs} decides the cluster",
    "traffic.route-table": "route table {route} (the service's own, for sniffed HTTP)",
    "traffic.no-virtual-host": "route table {route} has no virtual host for Host {host} and no catch-all",
    "traffic.no-route": "no route of virtual host {vhost} matches the request: Envoy answers 404 itself",
    "traffic.route-matched": "route {route} of {kind} {vs} matches ({where})",
    "traffic.direct-response": "the route answers itself: directResponse {status}",
    "traffic.redirect": "the route answers itself: redirect {code} to {location}",
    "curl.cluster-not-found": "HTTP {status} with an empty body from Envoy (no such cluster); curl exits 0",
    "curl.no-route": "HTTP 404 with an empty body from Envoy (no route matched); curl exits 0",
    "curl.direct-response": "HTTP {status} from Envoy itself, body: {body!r}; curl exits 0",
    "curl.redirect": "HTTP {code} from Envoy, Location: {location}; curl prints nothing unless -L; exits 0",
    "curl.loopback": "nothing listens there unless the pod itself does: usually connection refused; curl exits 7",
    "proxy.namespace-label-not-enabled": ("the namespace has istio-injection={value}: no injection webhook "
                                          "selects it, whatever the pod says"),
    "proxy.namespace-empty-revision": "the namespace has an empty istio.io/rev label: no revision's webhook selects it",
    "proxy.pod-empty-revision": "the pod has an empty istio.io/rev label: no revision's webhook selects it",
    "proxy.pod-revision": ("the pod's own label istio.io/rev={revision} selects that revision's injector "
                           "(the namespace has no injection label)"),
    "proxy.host-network": "the pod uses hostNetwork: true, and the injector never injects such pods",
    "proxy.pod-opt-out-value": ("the pod's sidecar.istio.io/inject {how} is \"{value}\": only y, yes, true or on "
                                "ask for injection, any other value refuses it"),
    "traffic.dns-absolute": "{host} ends with a dot: DNS looks it up as written, without the search list",
    "traffic.absolute-fqdn-vhost": ("the Host header {host} ends with a dot: from Istio {since} every virtual host "
                                    "also lists its name with a trailing dot, so it matches"),
    "traffic.absolute-fqdn-no-vhost": ("the Host header {host} ends with a dot, and no virtual host of Istio "
                                       "{version} lists a name with a trailing dot (they do from {since})"),
    "traffic.allow-any-dynamic-dns": ("no virtual host of route {port} matches: the catch-all route "
                                      "allow_any_dynamic_dns sends it to AllowAnyDynamicDNSCluster, where Envoy "
                                      "resolves the Host header itself (ALLOW_ANY_DYNAMIC_DNS)"),
    "traffic.dynamic-dns-chain": ("virtualOutbound's HTTP inspector sees plaintext HTTP: its allow_any_dynamic_dns "
                                  "chain sends it to AllowAnyDynamicDNSCluster (ALLOW_ANY_DYNAMIC_DNS)"),
}, "ko": {}}


def reason_text(key: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The sentence for ``key`` in ``lang`` (default: the language in force; English when the key has no
    translation)."""
    lang = language(lang)
    template = CATALOG.get(lang, {}).get(key) or CATALOG["en"].get(key)
    if template is None:
        return key
    try:
        return fill(template, lang, **(params or {}))
    except (KeyError, IndexError):
        return template


# Korean: the same keys and placeholders as English. Istio's own words (Sidecar, workloadSelector, egress,
# outboundTrafficPolicy, REGISTRY_ONLY, ...) stay as they appear in manifests and in istioctl's output.
CATALOG["ko"].update({
    "curl.block-all": "Envoy가 본문 없는 HTTP 502로 응답합니다. curl은 아무것도 출력하지 않고 0으로 종료합니다",
    "curl.blackhole-https": ("연결은 받아들여지지만 TLS 핸드셰이크 중에 닫힙니다: "
                             "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL, 종료 코드 35"),
    "curl.blackhole-http": "연결은 받아들여진 뒤 바로 닫힙니다: curl: (52) Empty reply from server, 종료 코드 52",
    "curl.blackhole-tcp": "연결은 받아들여진 뒤 데이터 없이 바로 닫힙니다",
    "curl.dns-failure": "curl: (6) Could not resolve host: {host}",
    "curl.port-missing": "연결 거부: Service에 {port} 포트가 없습니다. curl 종료 코드 7",
    "curl.app-response": "{host} 애플리케이션의 응답. curl 종료 코드 0",
    "curl.external-response": "{host} 서버 자체의 응답(그 서버가 돌려주는 그대로). curl 종료 코드 0",
    # 프록시가 있는가, 어떤 종류인가
    "proxy.gateway": "게이트웨이 프록시입니다(레이블 {labels}): 게이트웨이는 모든 Sidecar 리소스를 무시합니다",
    "proxy.ignored-namespace": "네임스페이스 {namespace}에는 사이드카가 주입되지 않습니다",
    "proxy.live-has-proxy": "파드에서 istio-proxy 컨테이너가 실행 중입니다",
    "proxy.live-no-proxy": "파드에 istio-proxy 컨테이너가 없습니다(파드가 시작될 때 주입되지 않았습니다)",
    "proxy.has-proxy-container": "파드 명세에 이미 istio-proxy 컨테이너가 들어 있습니다",
    "proxy.pod-opt-out": "파드가 sidecar.istio.io/inject=\"false\"로 주입을 거부합니다({how})",
    "proxy.namespace-assumed": "{namespace}의 Namespace 매니페스트가 없습니다: 실습처럼 주입된 것으로 가정합니다",
    "proxy.namespace-disabled": "네임스페이스 {namespace}에 istio-injection=disabled 레이블이 붙어 있습니다",
    "proxy.namespace-injected": "네임스페이스 {namespace}에는 사이드카가 주입됩니다({label})",
    "proxy.pod-opt-in": "파드가 sidecar.istio.io/inject=\"true\" 레이블로 주입을 요청합니다",
    "proxy.ambient": "네임스페이스 {namespace}: ambient 모드라 사이드카가 없고, Sidecar 리소스는 아무 효과가 없습니다",
    "proxy.namespace-not-injected": "네임스페이스 {namespace}에 주입 레이블이 없습니다: 파드에 사이드카가 없습니다",
    # 후보
    "candidate.gateway": "게이트웨이는 Sidecar 리소스를 무시합니다",
    "candidate.no-proxy": "파드에 사이드카 프록시가 없으므로 어떤 Sidecar도 적용되지 않습니다",
    "candidate.rejected": "어드미션 검증에 실패합니다({error}). API 서버가 받아들이지 않았을 리소스입니다",
    "candidate.no-match": "workloadSelector {selector} 조건이 파드 레이블 {labels}에 맞지 않습니다",
    "candidate.selected-namespace": "{namespace}의 네임스페이스 전체 Sidecar입니다(workloadSelector 없음)",
    "candidate.selected-empty-selector": ("workloadSelector: {{}} — 모든 파드에 일치하는 셀렉터이므로 "
                                          "네임스페이스 전체 Sidecar보다 우선합니다"),
    "candidate.selected-selector": "workloadSelector {selector} 조건이 파드 레이블에 맞습니다",
    "candidate.shadowed-by-namespace": ("워크로드와 같은 네임스페이스에 있는 {winner} 쪽이 "
                                        "루트 네임스페이스의 기본값보다 우선합니다"),
    "candidate.shadowed-by-selector": ("{winner}에 일치하는 workloadSelector가 있고, "
                                       "셀렉터가 있는 Sidecar가 먼저 적용됩니다"),
    "candidate.shadowed-older": ("{winner}도 일치하며 더 먼저 만들어졌습니다. istiod는 가장 오래된 것을 고르므로 "
                                 "이것은 무시됩니다"),
    "candidate.shadowed-same-age-name": ("{winner}도 일치하며 생성 시각(초 단위)이 같습니다. "
                                         "이름(알파벳순)으로 정해지며, 이것은 무시됩니다"),
    "candidate.shadowed-same-age-joined-name": ("{winner}도 일치하며 생성 시각(초 단위)이 같습니다. Istio {version}은(는) "
                                                "\"이름.네임스페이스\"를 한 문자열로 비교하는데 \"{first}\"가 "
                                                "\"{second}\"보다 앞서므로 이것은 무시됩니다"),
    "candidate.root-selector": ("루트 네임스페이스 {root}에서 workloadSelector를 가진 Sidecar는 {root}의 파드에만 "
                                "적용되고, {namespace}의 파드에는 절대 적용되지 않습니다"),
    "candidate.selected-root": ("{namespace}의 Sidecar가 하나도 적용되지 않으므로 루트 네임스페이스의 기본값({root})이 "
                                "적용되며, {namespace}에 있는 것처럼 평가됩니다"),
    # 범위
    "scope.none": "프록시 없음: 요청이 파드에서 곧바로 나갑니다",
    "scope.default": "적용되는 Sidecar가 없습니다: 내장 기본값(egress */*, 메시 모드 {mode})",
    "scope.gateway": "게이트웨이는 자기 네임스페이스로 export된 모든 서비스와 메시 모드를 받습니다",
    "scope.workload": "{sidecar}의 workloadSelector가 이 워크로드를 선택합니다",
    "scope.namespace": "{sidecar}: 네임스페이스 전체에 적용되는 Sidecar입니다",
    "scope.root": "{sidecar}: 루트 네임스페이스에서 온 메시 전체 기본값입니다",
    # 참고
    "note.namespace-assumed": "네임스페이스 {namespace}의 Namespace 매니페스트가 없어, 주입된 것으로 취급합니다",
    "note.egress-implicit": ("{sidecar}에 egress가 없습니다: 네임스페이스나 루트 Sidecar의 egress가 아니라 "
                             "*/*(암묵적)를 받습니다 — 아무것도 상속되지 않습니다"),
    "note.mode-from-mesh": ("{sidecar}에 outboundTrafficPolicy가 없습니다: 네임스페이스나 루트 Sidecar의 모드가 아니라 "
                            "메시 모드 {mode}이(가) 적용됩니다({origin}) — 아무것도 상속되지 않습니다"),
    "note.empty-policy": "{sidecar}의 outboundTrafficPolicy에 mode가 없습니다: 이는 REGISTRY_ONLY입니다(enum 값 0)",
    "note.vs-destination-not-deterministic": (
        "VirtualService {vs}의 목적지 {host}은(는) 네임스페이스 {namespaces}에 같은 초에 만들어져 있고 그중 쿠버네티스 "
        "Service는 없습니다: Istio {version}의 istiod는 이 중 아무 것이나 고르며(pickBestVisibleNamespace가 Go 맵을 "
        "순회합니다) 재시작하면 다른 것을 고를 수도 있습니다. 여기서는 {chosen}의 것으로 보여 주지만, 포트와 "
        "DestinationRule은 다른 네임스페이스의 것일 수 있습니다"),
    # 요청 하나
    "traffic.dns-failure": "DNS가 {host}의 주소를 찾지 못합니다(시도한 이름: {tried})",
    "traffic.dns-service": "DNS가 {host}에 대해 Service {fqdn}의 주소를 돌려줍니다",
    "traffic.dns-service-entry": "{host}: ServiceEntry {entry}의 호스트입니다",
    "traffic.dns-external": "{host}: 메시의 서비스가 아니라, DNS가 해석하는 외부 이름입니다",
    "traffic.no-proxy": "출발지에 사이드카가 없습니다: 요청이 곧바로 나갑니다",
    "traffic.gateway-source": "게이트웨이 파드는 자신의 아웃바운드 트래픽을 가로채지 않습니다: 요청이 곧바로 나갑니다",
    "traffic.port-missing": "{service}에는 {port}번 포트가 없습니다",
    "traffic.mode": "아웃바운드 모드 {mode}(출처 {source}: {detail})",
    "traffic.not-exported": "{service}: {namespace}에 export되지 않았습니다(exportTo: {export_to})",
    "traffic.other-namespace-won": "프록시에 보이는 {service}의 정의는 이것이 아니라 {winner}의 것입니다",
    "traffic.port-not-imported": "{service}: import되었지만 {port}번 포트로는 아닙니다(포트별 egress 리스너)",
    "traffic.not-imported": ("{service}(네임스페이스 {svc_namespace}): egress hosts [{hosts}]에 "
                             "해당하지 않아 import되지 않았습니다"),
    "traffic.dest-sidecar": "{workload}에 사이드카가 있습니다: 그 Envoy가 127.0.0.6에서 앱으로 전달합니다",
    "traffic.dest-no-sidecar": "{workload}에 사이드카가 없습니다: 클라이언트 파드의 주소가 그대로 보입니다: {ip}",
    "traffic.egress-proxy": "egressProxy가 설정되어 있습니다: 알 수 없는 트래픽은 {cluster} 클러스터로 갑니다",
    "traffic.passthrough": "PassthroughCluster가 원래 목적지로 그대로 전달합니다",
    "traffic.routed": "{cluster} 클러스터로 라우팅됩니다",
    "traffic.captured-by-other": "{meant}에 보낸 트래픽을 {got} 쪽이 가져갑니다",
    "traffic.block-all": ("라우트 {port}의 어떤 가상 호스트도 일치하지 않습니다: 나머지를 받는 block_all 라우트가 "
                          "직접 502로 응답합니다(REGISTRY_ONLY)"),
    "traffic.allow-any": ("라우트 {port}의 어떤 가상 호스트도 일치하지 않습니다: 나머지를 받는 allow_any 라우트로 "
                          "갑니다(ALLOW_ANY)"),
    "traffic.no-listener": "{port}번 포트의 리스너가 없습니다: 요청이 virtualOutbound로 넘어갑니다",
    "traffic.passthrough-chain": "{listener}에 이 트래픽에 맞는 필터 체인이 없습니다: passthrough 체인이 받습니다",
    "traffic.blackhole": "BlackHoleCluster: 연결을 받은 뒤 곧바로 닫습니다(REGISTRY_ONLY)",
    "traffic.not-a-firewall": ("{service}: 레지스트리에는 있지만 이 프록시에는 보이지 않습니다. ALLOW_ANY에서는 "
                               "mTLS 없는 평문 passthrough로 여전히 도달합니다: egress hosts는 방화벽이 아닙니다"),
    "traffic.listener-vip": "리스너 {listener}(서비스의 VIP와 포트)가 {service}의 트래픽으로 받습니다",
    "traffic.listener-http": "리스너 {listener}, 라우트 테이블 {port}",
    "traffic.virtual-host": "가상 호스트 {vhost}: Host 헤더와 일치합니다",
    "traffic.via-virtual-service": "VirtualService {vs}의 라우팅 대상: {host}",
    "traffic.listener-sni": "리스너 {listener}: SNI {sni} 일치, {service}의 트래픽으로 받습니다",
    "traffic.listener-whole-port": ("리스너 {listener}: VIP가 없는 서비스 {service}의 것으로, "
                                    "목적지와 상관없이 포트 전체를 가로챕니다"),
    "traffic.alias": ("{alias}은(는) ExternalName Service입니다: {target}의 별칭이라 자체 리스너나 클러스터가 없고, "
                      "이름이 {target} 가상 호스트의 도메인이 됩니다"),
    "traffic.ip-in-range": "{ip}은(는) ServiceEntry {entry}({host})의 addresses 범위 안에 있습니다",
    "traffic.ip-of-service": "{ip}은(는) {service}의 주소입니다",
    "traffic.loopback": ("{ip}:{port}은(는) 루프백 주소입니다: iptables가 가로채지 않고, 그 주소에 바인딩된 "
                         "Envoy 리스너도 없습니다"),
    "traffic.capture-none-not-reached": ("{listener}은(는) 실제 소켓을 여는 리스너입니다(captureMode NONE): iptables가 "
                                         "리다이렉트한 트래픽은 여기에 닿지 않으니, 앱이 그 주소로 직접 연결해야 합니다"),
    "traffic.listener-bound": "{listener}은(는) 실제 소켓입니다(captureMode NONE): 앱이 여기에 직접 연결했습니다",
    "traffic.not-http": "{listener}은(는) HTTP만 받습니다: 평문 HTTP가 아닌 이 연결은 끊깁니다",
    "traffic.cluster-not-found": "이 프록시에는 {cluster} 클러스터가 없습니다(Envoy: cluster not found)",
    "traffic.weighted": "가중치 라우팅, 나누는 비율: {split}",
    "traffic.subset": "DestinationRule의 subset {subset}: {cluster} 클러스터",
    "traffic.mirror": "요청 사본이 {clusters}(으)로 미러링됩니다(그 응답은 무시됩니다)",
    "traffic.cluster-host-not-visible": "{host}은(는) 이 프록시에 보이는 서비스가 아니라서 클러스터가 없습니다",
    "traffic.subset-not-defined": ("이 프록시가 {host}에 쓰는 DestinationRule에 subset {subset}이(가) 정의되어 있지 "
                                   "않습니다(DestinationRule: {rule})"),
    "traffic.cluster-port-missing": "{host}에는 {port}번 포트가 없습니다: 포트를 적지 않은 destination은 리스너의 포트를 씁니다",
    "traffic.listener-cidr": "리스너 {listener}: 목적지가 {cidr} 범위에 들어 {service}의 트래픽으로 받습니다",
    "traffic.l4-route": "VirtualService {vs}의 tcp/tls 라우트가 클러스터를 정합니다",
    "traffic.route-table": "라우트 테이블 {route}(프로토콜 감지된 HTTP용, 그 서비스 전용)",
    "traffic.no-virtual-host": "라우트 테이블 {route}에 Host {host}에 맞는 가상 호스트도, catch-all도 없습니다",
    "traffic.no-route": "가상 호스트 {vhost}의 어떤 라우트도 요청과 맞지 않습니다: Envoy가 직접 404로 응답합니다",
    "traffic.route-matched": "{kind} {vs}의 라우트 {route}이(가) 맞습니다({where})",
    "traffic.direct-response": "라우트가 직접 응답합니다: directResponse {status}",
    "traffic.redirect": "라우트가 직접 응답합니다: {location}(으)로 {code} 리다이렉트",
    "curl.cluster-not-found": "Envoy가 본문 없는 HTTP {status}(으)로 응답합니다(그런 클러스터 없음). curl 종료 코드 0",
    "curl.no-route": "Envoy가 본문 없는 HTTP 404로 응답합니다(맞는 라우트 없음). curl 종료 코드 0",
    "curl.direct-response": "Envoy가 직접 HTTP {status}(으)로 응답합니다. 본문: {body!r}. curl 종료 코드 0",
    "curl.redirect": "Envoy가 HTTP {code}(으)로 응답합니다. Location: {location}. -L이 없으면 curl은 아무것도 출력하지 않고 0으로 종료합니다",
    "curl.loopback": "파드 자신이 그 포트를 열고 있지 않다면 보통 연결이 거부됩니다. curl 종료 코드 7",
    "proxy.namespace-label-not-enabled": ("네임스페이스에 istio-injection={value} 레이블이 있습니다: 파드가 뭐라고 하든 "
                                          "어떤 주입 웹훅도 선택하지 않습니다"),
    "proxy.namespace-empty-revision": "네임스페이스의 istio.io/rev 레이블 값이 비어 있습니다: 어떤 리비전의 웹훅도 선택하지 않습니다",
    "proxy.pod-empty-revision": "파드의 istio.io/rev 레이블 값이 비어 있습니다: 어떤 리비전의 웹훅도 선택하지 않습니다",
    "proxy.pod-revision": ("네임스페이스에 주입 레이블이 없어도, 파드 자신의 istio.io/rev={revision} 레이블이 "
                           "그 리비전의 인젝터를 선택합니다"),
    "proxy.host-network": "파드가 hostNetwork: true를 씁니다: 인젝터는 이런 파드에 절대 주입하지 않습니다",
    "proxy.pod-opt-out-value": ("파드의 sidecar.istio.io/inject {how} 값이 \"{value}\"입니다: y, yes, true, on만 주입을 "
                                "요청하고, 다른 값은 모두 주입을 거부합니다"),
    "traffic.dns-absolute": "{host}은(는) 점(.)으로 끝납니다: DNS는 검색 목록 없이 적힌 그대로 조회합니다",
    "traffic.absolute-fqdn-vhost": ("Host 헤더 {host}은(는) 점(.)으로 끝납니다: Istio {since}부터는 모든 가상 호스트가 "
                                    "끝에 점을 붙인 이름도 함께 가지므로 일치합니다"),
    "traffic.absolute-fqdn-no-vhost": ("Host 헤더 {host}은(는) 점(.)으로 끝나는데, Istio {version}의 가상 호스트에는 "
                                       "끝에 점이 붙은 이름이 없습니다({since}부터 생깁니다)"),
    "traffic.allow-any-dynamic-dns": ("라우트 {port}의 어떤 가상 호스트도 일치하지 않습니다: 나머지를 받는 "
                                      "allow_any_dynamic_dns 라우트가 AllowAnyDynamicDNSCluster로 보내고, Envoy가 "
                                      "Host 헤더를 직접 해석합니다(ALLOW_ANY_DYNAMIC_DNS)"),
    "traffic.dynamic-dns-chain": ("virtualOutbound의 HTTP 검사기가 평문 HTTP를 알아보고, allow_any_dynamic_dns "
                                  "체인이 AllowAnyDynamicDNSCluster로 보냅니다(ALLOW_ANY_DYNAMIC_DNS)"),
})

# The rules that changed between Istio releases (core.versions): the English is each switch's own summary,
# the Korean is written here.
def _add_switches() -> None:
    from .versions import switches

    for s in switches():
        CATALOG["en"]["switch." + s.name] = s.summary


_add_switches()
CATALOG["ko"].update({
    "switch.tie_break_name_then_namespace": (
        "같은 초에 만들어진 객체는 이름, 그다음 네임스페이스 순으로 정렬됩니다. 1.22는 \"이름.네임스페이스\"를 "
        "한 문자열로 비교하므로 a-b가 a보다 앞섭니다(\"a-b.ns\" < \"a.ns\")"),
    "switch.unified_sidecar_scope": (
        "Sidecar가 없으면 egress */*인 Sidecar와 똑같이 동작합니다(PILOT_UNIFIED_SIDECAR_SCOPE). 같은 호스트 이름이 "
        "여러 네임스페이스에 있으면 프록시 자신의 네임스페이스, 그다음 쿠버네티스 Service, 그다음 가장 오래된 것을 "
        "고릅니다. 1.23까지 Sidecar가 없는 프록시는 가장 오래된 것(ServiceEntry보다 쿠버네티스 Service)을, Sidecar가 "
        "있는 프록시는 자기 네임스페이스, 그다음 가장 오래된 것을 고릅니다"),
    "switch.vs_source_namespace_filter": (
        "sourceNamespace로 제한된 VirtualService 라우트는 다른 네임스페이스의 프록시에게 목적지를 더 이상 "
        "가져다주지 않습니다"),
    "switch.destination_rule_merge_by_export_to": (
        "같은 호스트에 대한 DestinationRule이라도 exportTo가 다르면 더 이상 합쳐지지 않습니다. exportTo마다 규칙이 "
        "따로 남고(ENABLE_ENHANCED_DESTINATIONRULE_MERGE), 다른 네임스페이스의 프록시는 자신에게 export된 것만 "
        "받습니다. 1.23까지는 가장 오래된 규칙으로 합쳐지고, 그 규칙의 exportTo(비어 있으면 처음으로 비어 있지 않은 "
        "것)가 모두에게 적용됩니다"),
    "switch.ip_autoallocate_v2": (
        "주소가 없는 ServiceEntry(resolution이 NONE이 아닌 것)가 ISTIO_META_DNS_AUTO_ALLOCATE 없이도 "
        "240.240.0.0/16 대역의 주소를 받습니다. DNS 캡처가 켜진 프록시는 호스트를 그 주소로 해석하고, 포트 전체를 "
        "가로채는 대신 VIP 리스너를 만듭니다"),
    "switch.vs_inferred_pick_best_namespace": (
        "VirtualService 목적지 호스트 이름이 (프록시의 네임스페이스가 아닌) 여러 네임스페이스에 있으면 쿠버네티스 "
        "Service를, 없으면 가장 오래된 ServiceEntry를 고릅니다. 1.29까지는 알파벳순으로 첫 네임스페이스입니다. "
        "같은 초에 만들어진 ServiceEntry끼리는 istiod가 Go 맵을 순회하므로 결과가 정해져 있지 않습니다"),
    "switch.default_export_to_all_namespaces": (
        "meshConfig.defaultServiceExportTo와 defaultVirtualServiceExportTo를 exportTo 전체로 읽습니다: "
        "[\".\", other]는 other로도 export하고, [other]는 other로 export하며, [\".\", \"*\"]는 공개입니다. "
        "1.30.2까지 istiod는 \".\"(우선)와 \"*\"만 따르고, 그 밖의 기본값이면 그런 객체는 어디에도 export되지 않습니다"),
    "switch.services_exported_in_creation_order": (
        "네임스페이스의 비공개 서비스가 이름으로 그 네임스페이스에 export된 서비스보다 더 이상 앞서지 않습니다: "
        "servicesExportedToNamespace가 둘을 생성 순서대로 한 목록에 담고, 그다음 공개 서비스를 둡니다. 게이트웨이가 "
        "여러 네임스페이스에 있는 같은 호스트 이름을 어느 네임스페이스에서 가져올지가 이것으로 정해집니다"),
    "switch.egress_host_exclusion": (
        "egress 호스트의 네임스페이스 앞에 ~를 붙이면 그 항목에 맞는 것을 제외합니다: [\"*/*\", \"~/*\"]는 "
        "아무것도 가져오지 않고, \"~legacy/*\"는 legacy 네임스페이스를 숨깁니다. 1.30까지 \"~\"는 아무것도 "
        "가져오지 않는 네임스페이스일 뿐이며 \"~legacy/*\"는 거부됩니다"),
    "switch.absolute_fqdn_vhost": (
        "모든 가상 호스트가 끝에 점을 붙인 호스트 이름도 함께 가지므로 curl http://svc.ns.svc.cluster.local./ 요청이 "
        "라우팅됩니다. 1.26까지는 그 Host 헤더에 맞는 가상 호스트가 없어 나머지를 받는 라우트로 갑니다"),
    "switch.allow_any_dynamic_dns": (
        "meshConfig.outboundTrafficPolicy.mode ALLOW_ANY_DYNAMIC_DNS: 알 수 없는 평문 HTTP는 "
        "AllowAnyDynamicDNSCluster로 가고(Envoy가 Host 헤더를 직접 해석), 그 밖의 알 수 없는 트래픽은 "
        "PassthroughCluster로 갑니다. Sidecar에서는 설정할 수 없습니다(O1)"),
    "switch.mesh_default_traffic_policy": (
        "meshConfig.defaultTrafficPolicy.connectionPool이 메시 전체의 기본값이 되어 DestinationRule과 Sidecar의 "
        "인바운드 풀 아래에 놓입니다(아웃바운드 클러스터와 PassthroughCluster에도 적용됩니다)"),
    "switch.crd_duration_rules": (
        "CRD가 커넥션 풀의 duration을 CEL(duration(self) >= duration('1ms'))로 검사합니다. 1.22에서는 웹훅만 "
        "보고, duration이 아닌 문자열은 디코딩에 실패합니다"),
    "switch.crd_selector_label_rules": (
        "CRD가 *가 들어 있거나(CEL) 63자를 넘는 workloadSelector 레이블 값과 256개를 넘는 레이블을 웹훅보다 먼저 "
        "거부합니다"),
    "switch.crd_ingress_tls_multi_cert": (
        "ingress tls에 credentialNames와 tlsCertificates가 생깁니다(1~2개, credentialName과 함께 쓸 수 없음). "
        "1.26 전에는 알 수 없는 필드입니다"),
    "switch.tcp_idle_timeout_zero_allowed": (
        "connectionPool.tcp.idleTimeout: 0s는 타임아웃을 끕니다. CRD의 1ms 규칙이 빠지고 웹훅도 0s를 건너뜁니다. "
        "1.23~1.25에서는 둘 다 거부합니다"),
    "switch.crd_ca_cert_credential_name": "ingress tls에 caCertCredentialName이 생깁니다. 1.28 전에는 알 수 없는 필드입니다",
    "switch.http2_keepalive": (
        "connectionPool.http.http2KeepAlive(interval과 timeout 모두 필수, 1ms 이상의 duration)가 생깁니다. "
        "1.31 전에는 알 수 없는 필드입니다"),
    "switch.crd_insecure_skip_verify": "ingress tls에 insecureSkipVerify가 생깁니다. 1.31 전에는 알 수 없는 필드입니다",
    "switch.webhook_pool_tcp_timeouts": "웹훅이 tcp.idleTimeout과 tcpKeepalive.time/interval도 검사합니다(1ms 이상, ms 단위)",
    "switch.webhook_ingress_tls_multi_cert": (
        "ingress tls: Sidecar에서 credentialNames와 tlsCertificates를 거부하고(I18, I19), 인증서 출처는 하나만 "
        "허용하며(I24), tlsCertificates 항목마다 인증서와 키가 필요합니다"),
    "switch.analyzer_sorted_names": "IST0110과 IST0111이 Sidecar 이름을 정렬해서 보여 줍니다. 1.22는 읽은 순서대로 보여 줍니다",
    "switch.native_sidecars_auto": (
        "ENABLE_NATIVE_SIDECARS=auto: kubelet이 1.33 이상인 노드에서는 istio-proxy가 네이티브 사이드카"
        "(restartPolicy Always인 init 컨테이너)로 주입됩니다. 시뮬레이터는 모든 릴리스에서 컨테이너와 init "
        "컨테이너를 모두 살펴보므로 이 스위치에 따라 달라지는 것은 없습니다"),
})


# The analyzer (core.analyze): the sentences of the course's own findings (SLxxxx) and the one-line why of a
# code. istioctl's and Kiali's own messages stay in their words, as those tools print them.
CATALOG["en"].update({
    "analyze.SL0001": ("workloadSelector: {{}} matches every pod of the namespace and takes precedence over the "
                       "namespace-wide Sidecar, although istioctl counts it as selector-less"),
    "analyze.SL0001.shadows": ("workloadSelector: {{}} matches every pod of the namespace and takes precedence over "
                               "the namespace-wide Sidecar, although istioctl counts it as selector-less; it shadows "
                               "the namespace-wide Sidecar {other}"),
    "analyze.SL0002": "no workload uses this Sidecar: {uses}",
    "analyze.SL0002.use": "{workload} uses {sidecar}",
    "analyze.SL0003.mode": ("sets no outboundTrafficPolicy, so its workloads get the mesh mode {mesh_mode}, not {mode} "
                            "from {other}: nothing is inherited"),
    "analyze.SL0003.egress": ("has no egress, so its workloads see */* (every exported service), not [{hosts}] from "
                              "{other}: nothing is inherited"),
    "analyze.SL0004": ("outboundTrafficPolicy has no mode, which means REGISTRY_ONLY (the enum's zero value): "
                       "unknown hosts are blocked"),
    "analyze.SL0005": ("egress hosts restrict what this proxy is configured for, but the mode is ALLOW_ANY: services "
                       "they do not import are still reached (plaintext passthrough, no mTLS). Set "
                       "outboundTrafficPolicy.mode: REGISTRY_ONLY to block them"),
    "analyze.SL0006": ("host {host} matches nothing: dnsNames are not expanded like DNS short names; "
                       "did you mean {meant}?"),
    "analyze.SL0007": "host {host} names namespace {namespace}, which none of the inputs define: it imports nothing",
    "analyze.SL0008": ("host {host} names {service}, which is not exported to namespace {namespace} "
                       "(exportTo: {export_to}): it is not imported"),
    "analyze.SL0009": "the egress listener on port {port} imports no service: none of [{hosts}] has port {port}",
    "analyze.SL0010": ("ingress port {port} has captureMode NONE and no bind: Envoy binds 0.0.0.0:{port} itself, "
                       "clashing with an application listening on that port"),
    "analyze.SL0011": ("no Pod in the inputs matches the selector \"{selector}\" (istioctl's IST0101 above), but the "
                       "pod template of {templates} does: the Sidecar selects its pods once they run"),
    "analyze.SL0012": ("ingress port {port} is not a target port of any Service selecting this Sidecar's workloads: "
                       "nothing will send traffic to it"),
    "analyze.SL0013": ("The Sidecars {sidecars} in namespace \"{namespace}\" select the pod template of {template}: "
                       "once its pods run, istioctl reports IST0110, and istiod uses {oldest} (the oldest, then the "
                       "first name)"),
    "analyze.SL0014": ("egress listener {index} has captureMode NONE: istiod binds {where} as a real socket, which "
                       "traffic redirected by iptables never reaches; the application must connect to {address} itself"),
    "analyze.SL0014.each-port": "{address} (each service port)",
    "analyze.more": "{shown} and {count} more",
    "analyze.why.IST0002": "istiod still reads egressProxy, so the field is deprecated, not ignored",
    "analyze.why.IST0110": "istiod does not leave this undefined: the oldest Sidecar (then the first name) wins",
    "analyze.why.IST0111": "istiod takes the oldest selector-less Sidecar and ignores the others entirely",
    "analyze.why.KIA1006": ("in the root namespace only a selector-less Sidecar is a mesh default; this one affects "
                            "only pods of the root namespace"),
    "analyze.why.SL0001": ("istiod treats workloadSelector: {{}} as a selector matching every pod, so it outranks the "
                           "namespace-wide Sidecar; istioctl counts it as selector-less"),
    "analyze.why.SL0002": "istiod gives each workload exactly one Sidecar; a matching one that always loses has no effect",
    "analyze.why.SL0003": ("a chosen Sidecar is used alone: an omitted field falls back to the built-in default, "
                           "not to the namespace or root Sidecar"),
    "analyze.why.SL0004": "REGISTRY_ONLY is the protobuf zero value, so a policy without a mode blocks unknown hosts",
    "analyze.why.SL0005": "under ALLOW_ANY, services the hosts do not import are still reached as plaintext passthrough",
    "analyze.why.SL0006": "egress dnsNames are matched literally against service hostnames: no short-name expansion",
    "analyze.why.SL0007": "the namespace part of a host names where the service is defined; nothing is defined there",
    "analyze.why.SL0008": "a Sidecar can only import what is exported to its namespace",
    "analyze.why.SL0009": "a port-specific egress listener imports only services that have that port",
    "analyze.why.SL0010": "with captureMode NONE, Envoy binds the port itself and clients must send to that address",
    "analyze.why.SL0011": ("istioctl looks at Pods only; offline, a controller's pod template is what the Sidecar "
                           "will select"),
    "analyze.why.SL0012": ("an ingress listener replaces the automatic inbound setup; no Service sends traffic to "
                           "this port"),
    "analyze.why.SL0013": ("istioctl looks at Pods only: two selector Sidecars matching one pod template conflict as "
                           "soon as its pods run (IST0110), and istiod then takes the oldest"),
    "analyze.why.SL0014": ("an egress listener with captureMode NONE binds a real socket (127.0.0.1 without bind): "
                           "traffic iptables redirects never reaches it"),
})
CATALOG["ko"].update({
    "analyze.SL0001": ("workloadSelector: {{}}는 네임스페이스의 모든 파드에 일치하므로 네임스페이스 전체 Sidecar보다 "
                       "우선합니다. istioctl은 이를 셀렉터가 없는 Sidecar로 셉니다"),
    "analyze.SL0001.shadows": ("workloadSelector: {{}}는 네임스페이스의 모든 파드에 일치하므로 네임스페이스 전체 "
                               "Sidecar보다 우선합니다. istioctl은 이를 셀렉터가 없는 Sidecar로 셉니다. 네임스페이스 "
                               "전체 Sidecar {other}은(는) 가려집니다"),
    "analyze.SL0002": "이 Sidecar를 쓰는 워크로드가 없습니다: {uses}",
    "analyze.SL0002.use": "{workload}에는 {sidecar} 적용",
    "analyze.SL0003.mode": ("outboundTrafficPolicy를 지정하지 않아, 워크로드는 {other}의 {mode}이(가) 아니라 메시 모드 "
                            "{mesh_mode}을(를) 받습니다: 아무것도 상속되지 않습니다"),
    "analyze.SL0003.egress": ("egress가 없어, 워크로드에는 {other}의 [{hosts}]가 아니라 */*(export된 모든 서비스)가 "
                              "보입니다: 아무것도 상속되지 않습니다"),
    "analyze.SL0004": ("outboundTrafficPolicy에 mode가 없습니다. 이는 REGISTRY_ONLY(enum의 0 값)라서 알 수 없는 "
                       "호스트는 차단됩니다"),
    "analyze.SL0005": ("egress hosts는 이 프록시가 받는 설정을 좁힐 뿐인데 모드가 ALLOW_ANY입니다: import하지 않은 "
                       "서비스에도 여전히 도달합니다(mTLS 없는 평문 passthrough). 막으려면 "
                       "outboundTrafficPolicy.mode: REGISTRY_ONLY로 설정하세요"),
    "analyze.SL0006": ("호스트 {host}에 일치하는 것이 없습니다: dnsName은 DNS 짧은 이름처럼 확장되지 않습니다. "
                       "{meant}을(를) 뜻한 것 아닌가요?"),
    "analyze.SL0007": ("호스트 {host}: 어느 입력에도 정의되지 않은 네임스페이스({namespace})를 가리키므로 "
                       "아무것도 import하지 않습니다"),
    "analyze.SL0008": ("호스트 {host}: 가리키는 서비스({service})가 네임스페이스 {namespace}에 export되지 않아"
                       "(exportTo: {export_to}) import되지 않습니다"),
    "analyze.SL0009": ("{port}번 포트의 egress 리스너가 import하는 서비스가 없습니다: [{hosts}] 중 {port}번 포트를 "
                       "가진 것이 없습니다"),
    "analyze.SL0010": ("ingress {port}번 포트가 captureMode NONE인데 bind가 없습니다: Envoy가 직접 0.0.0.0:{port}에 "
                       "바인딩하므로, 그 포트에서 대기하는 애플리케이션과 충돌합니다"),
    "analyze.SL0011": ("입력에 있는 어떤 Pod도 셀렉터 \"{selector}\"에 일치하지 않지만(위의 istioctl IST0101), "
                       "{templates}의 파드 템플릿은 일치합니다: 파드가 실행되면 이 Sidecar가 그 파드들을 고릅니다"),
    "analyze.SL0012": ("ingress {port}번 포트는 이 Sidecar의 워크로드를 선택하는 어떤 Service의 target port도 "
                       "아닙니다: 이 포트로 트래픽을 보낼 곳이 없습니다"),
    "analyze.SL0013": ("네임스페이스 \"{namespace}\"의 Sidecar {sidecars}이(가) 모두 {template}의 파드 템플릿을 고릅니다: "
                       "파드가 실행되면 istioctl이 IST0110을 보고하고, istiod는 {oldest}을(를) 씁니다(가장 오래된 것, "
                       "같으면 이름이 앞선 것)"),
    "analyze.SL0014": ("egress 리스너 {index}의 captureMode가 NONE입니다: istiod가 {where}에 실제 소켓을 바인딩하는데, "
                       "iptables가 가로챈 트래픽은 여기에 닿지 않습니다. 애플리케이션이 직접 {address}(으)로 연결해야 "
                       "합니다"),
    "analyze.SL0014.each-port": "{address}(서비스 포트마다)",
    "analyze.more": "{shown} 외 {count}개",
    "analyze.why.IST0002": "istiod는 아직 egressProxy를 읽습니다. 이 필드는 무시되는 것이 아니라 폐기 예정일 뿐입니다",
    "analyze.why.IST0110": "istiod에서 이 동작은 정해져 있습니다: 가장 오래된 Sidecar(같으면 이름이 앞선 것)가 이깁니다",
    "analyze.why.IST0111": "istiod는 셀렉터 없는 Sidecar 중 가장 오래된 것을 쓰고 나머지는 통째로 무시합니다",
    "analyze.why.KIA1006": ("루트 네임스페이스에서는 셀렉터 없는 Sidecar만 메시 전체 기본값이 됩니다. 이 Sidecar는 "
                            "루트 네임스페이스의 파드에만 영향을 줍니다"),
    "analyze.why.SL0001": ("istiod는 workloadSelector: {{}}를 모든 파드에 일치하는 셀렉터로 다루므로 네임스페이스 전체 "
                           "Sidecar보다 우선합니다. istioctl은 셀렉터가 없는 것으로 셉니다"),
    "analyze.why.SL0002": ("istiod는 워크로드마다 Sidecar를 정확히 하나만 적용합니다. 일치하더라도 늘 지는 Sidecar는 "
                           "아무 효과가 없습니다"),
    "analyze.why.SL0003": ("선택된 Sidecar 하나만 쓰입니다: 빠진 필드는 네임스페이스나 루트 Sidecar가 아니라 "
                           "내장 기본값을 따릅니다"),
    "analyze.why.SL0004": "REGISTRY_ONLY가 protobuf의 0 값이므로, mode 없는 정책은 알 수 없는 호스트를 차단합니다",
    "analyze.why.SL0005": "ALLOW_ANY에서는 hosts가 import하지 않은 서비스에도 평문 passthrough로 여전히 도달합니다",
    "analyze.why.SL0006": "egress의 dnsName은 서비스 호스트 이름과 글자 그대로 비교됩니다: 짧은 이름은 확장되지 않습니다",
    "analyze.why.SL0007": ("호스트의 네임스페이스 부분은 서비스가 정의된 곳을 가리킵니다. 그곳에는 아무것도 정의되어 "
                           "있지 않습니다"),
    "analyze.why.SL0008": "Sidecar는 자기 네임스페이스로 export된 것만 import할 수 있습니다",
    "analyze.why.SL0009": "포트를 지정한 egress 리스너는 그 포트를 가진 서비스만 import합니다",
    "analyze.why.SL0010": "captureMode NONE이면 Envoy가 직접 포트에 바인딩하므로, 클라이언트는 그 주소로 보내야 합니다",
    "analyze.why.SL0011": ("istioctl은 Pod만 봅니다. 오프라인에서는 컨트롤러의 파드 템플릿이 곧 Sidecar가 선택할 "
                           "대상입니다"),
    "analyze.why.SL0012": ("ingress 리스너는 자동 인바운드 설정을 대체합니다. 이 포트로 트래픽을 보내는 Service가 "
                           "없습니다"),
    "analyze.why.SL0013": ("istioctl은 Pod만 봅니다: 한 파드 템플릿에 일치하는 셀렉터 Sidecar 두 개는 파드가 실행되는 "
                           "순간 충돌하고(IST0110), 그러면 istiod는 가장 오래된 것을 씁니다"),
    "analyze.why.SL0014": ("captureMode NONE인 egress 리스너는 실제 소켓(bind가 없으면 127.0.0.1)에 바인딩합니다: "
                           "iptables가 가로챈 트래픽은 여기에 닿지 않습니다"),
})

#: Labels of the figures and widgets (short words and captions, not explanations), by language.
LABELS: dict[str, dict[str, str]] = {"en": {
    # precedence levels
    "level.workload": "workload",
    "level.workload.hint": "selector Sidecars of {namespace}",
    "level.namespace": "namespace",
    "level.namespace.hint": "namespace-wide Sidecar of {namespace}",
    "level.root": "root",
    "level.root.hint": "mesh-wide default (root namespace)",
    "level.default": "built-in default",
    "level.empty": "no Sidecar at this level",
    "ladder.precedence": "checked first",
    "ladder.default-box": "egress */* and the mesh outbound mode",
    "ladder.default-unused": "used only when no Sidecar applies",
    # candidate outcomes
    "outcome.selected": "✔ selected",
    "outcome.shadowed": "shadowed",
    "outcome.no-match": "no match",
    "outcome.not-applicable": "not applicable",
    "outcome.rejected": "rejected",
    # verdicts
    "verdict.ROUTED": "ROUTED",
    "verdict.PASSTHROUGH": "PASSTHROUGH",
    "verdict.BLOCKED": "BLOCKED",
    "verdict.DIRECT": "DIRECT",
    "verdict.DNS_FAILURE": "DNS_FAILURE",
    "verdict.CLUSTER_NOT_FOUND": "CLUSTER_NOT_FOUND",
    "verdict.NO_ROUTE": "NO_ROUTE",
    "verdict.DIRECT_RESPONSE": "DIRECT_RESPONSE",
    "verdict.REDIRECT": "REDIRECT",
    # proxy kinds and scopes
    "proxy.sidecar": "sidecar proxy",
    "proxy.gateway": "gateway proxy",
    "proxy.none": "no proxy",
    "scope.gateway": "gateway",
    "scope.none": "none",
    # precedence ladder
    "figure.ladder.title": "Which Sidecar governs {workload}?",
    "figure.ladder.subtitle": "{proxy} · scope: {scope}",
    "figure.ladder.not-applicable": "Sidecars do not apply: {reason}",
    "panel.policy": "Outbound traffic policy",
    "panel.policy.from-sidecar": "from the Sidecar {detail}",
    "panel.policy.from-mesh": "from mesh config: {detail}",
    "panel.policy.none": "none (no proxy)",
    "panel.egress-proxy": "egressProxy: {host}:{port}",
    "panel.egress": "Egress hosts",
    "panel.egress.any-port": "any port",
    "panel.egress.port": "port {port}",
    "panel.egress.implicit": "implicit (*/*): no egress from a Sidecar",
    "panel.egress.none": "none",
    "panel.notes": "Notes",
    "panel.visible": "visible services: {count}",
    # reachability matrix
    "figure.matrix.title": "Reachability: {sources} sources × {targets} targets",
    "matrix.sources": "source workload",
    "matrix.targets": "target",
    "legend.title": "Legend",
    # scope map
    "figure.scope.title": "What {workload}'s proxy can see",
    "figure.scope.subtitle": "Sidecar {sidecar} · egress hosts: {hosts} · mode {mode}",
    "legend.imported": "imported (visible)",
    "legend.not-exported": "not exported to {namespace}",
    "legend.not-imported": "not imported",
    "scope.status.no-host": "exported, but no egress host matches",
    "scope.status.other-namespace": "the proxy takes this hostname from {namespace}",
    "legend.no-proxy": "no proxy: nothing is filtered",
    "scope.via": "via {via}",
    "scope.own-namespace": "(the workload's namespace)",
    "scope.more": "… and {count} more",
    "scope.more-namespaces": "… and {count} more namespaces",
    "scope.empty": "the registry has no services",
    # request path
    "figure.path.title": "{source} → {target}: {verdict}",
    "stage.source": "source",
    "stage.dns": "DNS",
    "stage.listener": "listener",
    "stage.route": "route",
    "stage.cluster": "cluster",
    "stage.destination": "destination",
    "stage.no-envoy": "no Envoy in the way: the request goes out directly",
    "stage.not-reached": "not reached",
    "stage.none": "—",
    "dns.vip": "service VIP",
    "dns.pod": "pod IPs (headless)",
    "dns.external": "external address",
    "dns.none": "no address",
    "stop.block-all": "502 (empty body)",
    "stop.blackhole": "connection closed",
    "stop.dns": "could not resolve",
    "stop.refused": "connection refused",
    "stop.reached": "reached",
    "stop.here": "stops here",
    "path.client-sees": "client sees: {text}",
    "path.dest-sees": "sees the source as {ip}",
    "path.why": "Why:",
    # the command's text output (core.render): headings around the catalog's sentences
    "text.proxy": "proxy:",
    "text.sidecar": "Sidecar:",
    "text.none": "none",
    "text.candidates": "candidates, in precedence order:",
    "text.policy": "outbound traffic policy: {mode}  (from {origin})",
    "text.policy.from-sidecar": "the Sidecar {detail}",
    "text.policy.from-mesh": "mesh config: {detail}",
    "text.egress": "egress listeners:",
    "text.port": "port {port}",
    "text.any-port": "any port",
    "text.implicit": "implicit",
    "text.visible": "visible services ({count}):",
    "text.ingress": "ingress listeners:",
    "text.implicit-from": "implicit, from {services}",
    "text.pool": "connection pool {pool}",
    "text.pool-from": "from {origin}",
    "text.note": "note:",
    "text.verdict": "verdict:",
    "text.istio": "istio:",
    "text.client-sees": "client sees:",
    "text.route-table": "(table {table}, route {route})",
    "text.route-table-only": "(table {table})",
    "text.unnamed": "(unnamed)",
    "text.split": "split:",
    "text.mirror": "mirror:",
    "text.missing": "(missing)",
    "text.alias-of": "alias of {host}, no cluster of its own",
    "text.aliases": "aliases {hosts}",
    "text.destination-rule": "DestinationRule {rule}",
    "text.subsets": "subsets {subsets}",
    "text.destination-sees": "destination sees the request coming from:",
    "text.why": "why:",
    "text.legend": "legend:",
    # the compare view (core.version_compare)
    "text.compare.head": "Istio {versions}  (* = differs)",
    "text.compare.why": "why (Istio {version}):",
    "text.compare.error": "Istio {version}: error: {error}",
    "text.compare.makes": "what makes the difference (each on its own):",
    "text.compare.others": "other rules that differ between Istio {versions}, without effect here:",
    "text.compare.not-modelled": "not modelled yet",
    "text.compare.none": "no rule the simulator models differs between Istio {versions}",
    # resolution_text and check_text: the words of their lines, and the enum values they name (English: as in JSON)
    "text.scope": "scope: {scope}",
    "text.ports": "ports {ports}",
    "text.via": "via {via}",
    "text.forward-to": "to {endpoint}",
    "text.check-proxy": "{proxy}; Sidecar {sidecar} [scope {scope}]; mode {mode}",
    "text.envoy": "envoy:   listener {listener} -> route {route} -> cluster {cluster}",
    "text.scope.workload": "workload",
    "text.scope.namespace": "namespace",
    "text.scope.root": "root",
    "text.scope.default": "default",
    "text.scope.gateway": "gateway",
    "text.scope.none": "none",
    "text.outcome.selected": "selected",
    "text.outcome.shadowed": "shadowed",
    "text.outcome.no-match": "no-match",
    "text.outcome.not-applicable": "not-applicable",
    "text.outcome.rejected": "rejected",
    "text.proxy.sidecar": "sidecar",
    "text.proxy.gateway": "gateway",
    "text.proxy.none": "none",
    "text.pool.port": "port",
    "text.pool.sidecar": "sidecar",
    "text.pool.mesh": "mesh",
    "text.pool.none": "none",
    # fallbacks and alt text
    "note.no-hangul-font": "(Korean font not installed: labels in English)",
    "alt.font-fallback": "Korean was requested but no Korean font is installed, so the labels are in English.",
    "alt.ladder": "Precedence ladder for {workload} ({proxy}), scope {scope}.",
    "alt.not-applicable": "No Sidecar applies because {reason}.",
    "alt.candidate": "{sidecar} at the {level} level is {outcome}: {reason}.",
    "alt.no-candidates": "No Sidecar was considered.",
    "alt.default-selected": "The built-in default is used: {reason}.",
    "alt.policy": "Outbound traffic policy {mode}, {origin}.",
    "alt.egress": "Egress hosts: {hosts}.",
    "alt.matrix": "Reachability matrix of {sources} sources by {targets} targets: {counts}.",
    "alt.matrix.row": "From {source}: {items}.",
    "alt.scope": "Services of the mesh as seen by the proxy of {workload}: {counts}.",
    "alt.scope.namespace": "Namespace {namespace}: {items}.",
    "alt.path": "Request from {source} to {target}: {verdict}. Path: {chain}.",
    "alt.path.stop": "It stops at the {stage} stage: {stop}.",
    "alt.path.client": "The client sees: {text}.",
}, "ko": {
    "text.proxy": "프록시:",
    "text.sidecar": "Sidecar:",
    "text.none": "없음",
    "text.candidates": "후보 (우선순위 순):",
    "text.policy": "outboundTrafficPolicy: {mode}  ({origin})",
    "text.policy.from-sidecar": "Sidecar {detail}에서 지정",
    "text.policy.from-mesh": "메시 설정: {detail}",
    "text.egress": "egress 리스너:",
    "text.port": "포트 {port}",
    "text.any-port": "모든 포트",
    "text.implicit": "암묵적",
    "text.visible": "보이는 서비스 ({count}개):",
    "text.ingress": "ingress 리스너:",
    "text.implicit-from": "암묵적, {services}에서 유도",
    "text.pool": "커넥션 풀 {pool}",
    "text.pool-from": "{origin}에서 지정",
    "text.note": "참고:",
    "text.verdict": "판정:",
    "text.istio": "Istio:",
    "text.client-sees": "클라이언트가 보는 것:",
    "text.route-table": "(라우트 테이블 {table}, 라우트 {route})",
    "text.route-table-only": "(라우트 테이블 {table})",
    "text.unnamed": "(이름 없음)",
    "text.split": "가중치:",
    "text.mirror": "미러링:",
    "text.missing": "(없음)",
    "text.alias-of": "{host}의 별칭, 자체 클러스터 없음",
    "text.aliases": "별칭 {hosts}",
    "text.destination-rule": "DestinationRule {rule}",
    "text.subsets": "subset {subsets}",
    "text.destination-sees": "목적지가 보는 출발지 주소:",
    "text.why": "이유:",
    "text.legend": "범례:",
    "text.compare.head": "Istio {versions}  (* = 다른 값)",
    "text.compare.why": "이유 (Istio {version}):",
    "text.compare.error": "Istio {version}: 오류: {error}",
    "text.compare.makes": "차이를 만드는 규칙 (하나만 바꿔도 답이 달라짐):",
    "text.compare.others": "Istio {versions} 사이에 다르지만 여기서는 영향이 없는 규칙:",
    "text.compare.not-modelled": "아직 모델링하지 않음",
    "text.compare.none": "Istio {versions} 사이에 시뮬레이터가 모델링하는 규칙 차이가 없습니다",
    "text.scope": "범위: {scope}",
    "text.ports": "포트 {ports}",
    "text.via": "근거 {via}",
    "text.forward-to": "{endpoint}(으)로 전달",
    "text.check-proxy": "{proxy}; Sidecar {sidecar} [범위 {scope}]; 모드 {mode}",
    "text.envoy": "envoy:   리스너 {listener} -> 라우트 {route} -> 클러스터 {cluster}",
    "text.scope.workload": "워크로드",
    "text.scope.namespace": "네임스페이스",
    "text.scope.root": "루트",
    "text.scope.default": "내장 기본값",
    "text.scope.gateway": "게이트웨이",
    "text.scope.none": "없음",
    "text.outcome.selected": "선택됨",
    "text.outcome.shadowed": "가려짐",
    "text.outcome.no-match": "불일치",
    "text.outcome.not-applicable": "해당 없음",
    "text.outcome.rejected": "거부됨",
    "text.proxy.sidecar": "사이드카",
    "text.proxy.gateway": "게이트웨이",
    "text.proxy.none": "없음",
    "text.pool.port": "포트의 connectionPool",
    "text.pool.sidecar": "Sidecar의 inboundConnectionPool",
    "text.pool.mesh": "메시 설정의 defaultTrafficPolicy",
    "text.pool.none": "없음",
    "level.workload": "워크로드",
    "level.workload.hint": "{namespace}의 셀렉터 Sidecar",
    "level.namespace": "네임스페이스",
    "level.namespace.hint": "{namespace}의 네임스페이스 전체 Sidecar",
    "level.root": "루트",
    "level.root.hint": "메시 전체 기본값(루트 네임스페이스)",
    "level.default": "내장 기본값",
    "level.empty": "이 단계에는 Sidecar가 없음",
    "ladder.precedence": "먼저 확인",
    "ladder.default-box": "egress */*와 메시 아웃바운드 모드",
    "ladder.default-unused": "적용되는 Sidecar가 없을 때만 쓰임",
    "outcome.selected": "✔ 선택됨",
    "outcome.shadowed": "가려짐",
    "outcome.no-match": "불일치",
    "outcome.not-applicable": "해당 없음",
    "outcome.rejected": "거부됨",
    "verdict.ROUTED": "라우팅(ROUTED)",
    "verdict.PASSTHROUGH": "패스스루(PASSTHROUGH)",
    "verdict.BLOCKED": "차단(BLOCKED)",
    "verdict.DIRECT": "직접(DIRECT)",
    "verdict.DNS_FAILURE": "DNS 실패(DNS_FAILURE)",
    "verdict.CLUSTER_NOT_FOUND": "클러스터 없음(CLUSTER_NOT_FOUND)",
    "verdict.NO_ROUTE": "라우트 없음(NO_ROUTE)",
    "verdict.DIRECT_RESPONSE": "직접 응답(DIRECT_RESPONSE)",
    "verdict.REDIRECT": "리다이렉트(REDIRECT)",
    "proxy.sidecar": "사이드카 프록시",
    "proxy.gateway": "게이트웨이 프록시",
    "proxy.none": "프록시 없음",
    "scope.gateway": "게이트웨이",
    "scope.none": "없음",
    "figure.ladder.title": "{workload}에 적용되는 Sidecar는?",
    "figure.ladder.subtitle": "{proxy} · 범위: {scope}",
    "figure.ladder.not-applicable": "Sidecar가 적용되지 않습니다: {reason}",
    "panel.policy": "아웃바운드 트래픽 정책",
    "panel.policy.from-sidecar": "출처: Sidecar {detail}",
    "panel.policy.from-mesh": "출처: 메시 설정({detail})",
    "panel.policy.none": "없음(프록시 없음)",
    "panel.egress-proxy": "egressProxy: {host}:{port}",
    "panel.egress": "Egress 호스트",
    "panel.egress.any-port": "모든 포트",
    "panel.egress.port": "{port}번 포트",
    "panel.egress.implicit": "암묵적(*/*): Sidecar의 egress 없음",
    "panel.egress.none": "없음",
    "panel.notes": "참고",
    "panel.visible": "보이는 서비스: {count}개",
    "figure.matrix.title": "도달 가능성: 출발지 {sources}개 × 목적지 {targets}개",
    "matrix.sources": "출발지 워크로드",
    "matrix.targets": "목적지",
    "legend.title": "범례",
    "figure.scope.title": "{workload} 프록시에 보이는 서비스",
    "figure.scope.subtitle": "Sidecar {sidecar} · egress 호스트: {hosts} · 모드 {mode}",
    "legend.imported": "import됨(보임)",
    "legend.not-exported": "{namespace}에 export되지 않음",
    "legend.not-imported": "import되지 않음",
    "scope.status.no-host": "export되었지만 일치하는 egress 호스트가 없음",
    "scope.status.other-namespace": "프록시는 이 호스트 이름을 {namespace}에서 가져옴",
    "legend.no-proxy": "프록시 없음: 아무것도 거르지 않음",
    "scope.via": "근거: {via}",
    "scope.own-namespace": "(워크로드의 네임스페이스)",
    "scope.more": "… 외 {count}개",
    "scope.more-namespaces": "… 외 네임스페이스 {count}개",
    "scope.empty": "레지스트리에 서비스가 없음",
    "figure.path.title": "{source} → {target}: {verdict}",
    "stage.source": "출발지",
    "stage.dns": "DNS",
    "stage.listener": "리스너",
    "stage.route": "라우트",
    "stage.cluster": "클러스터",
    "stage.destination": "목적지",
    "stage.no-envoy": "중간에 Envoy가 없음: 요청이 곧바로 나갑니다",
    "stage.not-reached": "도달하지 않음",
    "stage.none": "—",
    "dns.vip": "서비스 VIP",
    "dns.pod": "파드 IP(헤드리스)",
    "dns.external": "외부 주소",
    "dns.none": "주소 없음",
    "stop.block-all": "502(빈 본문)",
    "stop.blackhole": "연결 끊김",
    "stop.dns": "이름 해석 실패",
    "stop.refused": "연결 거부",
    "stop.reached": "도달",
    "stop.here": "여기서 멈춤",
    "path.client-sees": "클라이언트에 보이는 것: {text}",
    "path.dest-sees": "목적지에 보이는 출발지 주소: {ip}",
    "path.why": "이유:",
    "note.no-hangul-font": "(Korean font not installed: labels in English)",
    "alt.font-fallback": "Korean was requested but no Korean font is installed, so the labels are in English.",
    "alt.ladder": "{workload}의 Sidecar 우선순위 사다리({proxy}), 범위 {scope}.",
    "alt.not-applicable": "Sidecar가 적용되지 않는 이유: {reason}.",
    "alt.candidate": "{sidecar}({level} 단계): {outcome} — {reason}.",
    "alt.no-candidates": "검토된 Sidecar가 없습니다.",
    "alt.default-selected": "내장 기본값을 씁니다: {reason}.",
    "alt.policy": "아웃바운드 트래픽 정책 {mode}, {origin}.",
    "alt.egress": "Egress 호스트: {hosts}.",
    "alt.matrix": "출발지 {sources}개 × 목적지 {targets}개의 도달 가능성 표: {counts}.",
    "alt.matrix.row": "{source}에서: {items}.",
    "alt.scope": "{workload} 프록시에서 본 메시의 서비스: {counts}.",
    "alt.scope.namespace": "네임스페이스 {namespace}: {items}.",
    "alt.path": "{source}에서 {target}(으)로 보낸 요청: {verdict}. 경로: {chain}.",
    "alt.path.stop": "{stage} 단계에서 멈춥니다: {stop}.",
    "alt.path.client": "클라이언트에 보이는 것: {text}.",
}}


def label(key: str, lang: str | None = None, **params: Any) -> str:
    """A figure or widget label in ``lang`` (default: the language in force; English when it has no
    translation)."""
    lang = language(lang)
    template = LABELS.get(lang, {}).get(key) or LABELS["en"].get(key)
    if template is None:
        return key
    try:
        return fill(template, lang, **params)
    except (KeyError, IndexError):
        return template


# The scale tools' text (``sidecar-lab size`` and ``suggest``: scale.sizing, scale.suggest) and the scale figures
# (scale.figures). Counts, Envoy's names, verdicts and field values stay as they are.
LABELS["en"].update({
    "text.answered": "(answered with the rules of Istio {version})",
    "size.row.visible_services": "visible services",
    "size.row.clusters": "clusters",
    "size.row.mtls_clusters": "  with mTLS",
    "size.row.listeners": "listeners",
    "size.row.routes": "routes (tables)",
    "size.row.virtual_hosts": "virtual hosts",
    "size.row.endpoints": "endpoints",
    "size.row.xds_bytes": "xDS bytes (estimate)",
    "size.row.memory_mib": "memory MiB (estimate)",
    "size.estimate-note": ("estimates, not measurements: a linear model (MiB) calibrated to published measurements "
                           "of Istio proxies, each within 0.67-1.5x of its figure; see docs/sizing.md"),
    "size.assumption": "assumption: {text}",
    "size.assumption.estimate": ("memory (MiB) and xDS bytes are estimates from a linear model calibrated to "
                                 "published measurements (docs/sizing.md), not measurements"),
    "size.assumption.endpoints-assumed": ("some visible Service has no Pod in the manifests: counted as 1 endpoint "
                                          "per cluster"),
    "size.assumption.controller-one-pod": "a Deployment/StatefulSet/... without Pods in the manifests counts as one pod",
    "size.assumption.gateway-listeners": ("a gateway's listeners come from Gateway resources, which are not read: "
                                          "only the bootstrap's two listeners are counted"),
    "size.assumption.traffic-not-modelled": ("memory that grows with traffic (connections, buffers, TLS sessions) is "
                                             "not included"),
    "size.assumption.no-proxy": "this workload has no proxy: it receives no configuration",
    "size.no-proxy": "{workload}: no proxy — it receives no configuration from istiod",
    "size.head.sidecar": "{workload} ({proxy}; scope {scope}; Sidecar {sidecar})",
    "size.head.no-sidecar": "{workload} ({proxy}; scope {scope}; no Sidecar applies)",
    "size.col.as-is": "as it is",
    "size.col.no-sidecar": "no Sidecar",
    "size.col.with": "with {sidecar}",
    "size.col.saving": "saving",
    "size.clusters-split": "clusters: {outbound} outbound + {inbound} inbound + {fixed} fixed ({names})",
    "size.col.workload": "WORKLOAD",
    "size.col.proxy": "PROXY",
    "size.col.scope": "SCOPE",
    "size.col.sidecar": "SIDECAR",
    "size.col.services": "SERVICES",
    "size.col.clusters": "CLUSTERS",
    "size.col.listeners": "LISTENERS",
    "size.col.routes": "ROUTES",
    "size.col.vhosts": "VHOSTS",
    "size.col.endpoints": "ENDPOINTS",
    "size.col.mib": "MiB (est.)",
    "size.totals": "mesh totals over {count} proxies:",
    "size.col.with-sidecars": "with the Sidecars",
    "size.col.without-sidecars": "without any Sidecar",
    "suggest.head": "# Suggested Sidecar for {workload} ({mode}), from {count} call(s)",
    "suggest.config": "proxy configuration (estimate):",
    "suggest.col.now": "now",
    "suggest.col.with": "with this Sidecar",
    "suggest.proof": "proof (sidecar-lab check of each call with this Sidecar): {verdict}",
    "suggest.proved": "every call stays ROUTED",
    "suggest.not-proved": "{count} call(s) NOT ROUTED (not proved)",
    "suggest.proof-row": "(now {before}; cluster {cluster})",
    "suggest.newly-blocked": "newly blocked under REGISTRY_ONLY ({count} service port(s) reachable now):",
    "suggest.newly-passthrough": "no longer routed, only passed through under ALLOW_ANY ({count}):",
    "suggest.also-selects": "the selector also picks: {workloads}",
    "suggest.ignored": "ignored: {where}{reason}: {line}",
    "suggest.ignored-line": "line {number}: ",
    "suggest.validation": "validation: {message}",
    # prediction beside observation (live.compare): what curl prints, and the frame of a comparison
    "live.prints.origin": "prints origin {origin}",
    "live.prints.origin-client": "prints origin (the client pod's IP)",
    "live.prints.google-301": "prints Google's 301 Moved page",
    "live.prints.nothing": "prints nothing",
    "live.prints.other": "prints a response",
    "live.exit.still-running": "still running when the wait ended (no exit code)",
    "live.exit.unknown": "curl's exit code unknown",
    "live.exits": "curl exits {code}",
    "live.exited": "curl exited {code}",
    "live.not-observed": "not observed: {error}",
    "live.predicted": "predicted: {summary}",
    "live.observed": "observed:  {summary}",
    "live.result": "result:    {result}",
    "live.likely-causes": "likely causes:",
    "live.http-status": "HTTP {status}",
    "live.http-redirect": "HTTP {status} to {location}",
    "live.no-http-response": "no HTTP response",
    "live.prints.body": "prints {body!r}",
    "live.not-seen": "not seen:  {reason}",
    # the scale figures
    "scale.mode.none": "no Sidecar",
    "scale.mode.namespace": "namespace-scoped (./* + istio-system/*)",
    "scale.mode.dependency": "dependency-scoped (declared calls)",
    "scale.mode.mixed": "mixed",
    "scale.axis.services": "services in the mesh",
    "scale.config.title": "Configuration per proxy against mesh size",
    "scale.config.clusters-title": "Envoy clusters of one proxy",
    "scale.config.clusters": "clusters",
    "scale.config.memory-title": "estimated proxy memory",
    "scale.config.memory": "MiB (estimate)",
    "scale.total.title": "Mesh-wide proxy configuration",
    "scale.total.memory-title": "all proxies: estimated memory",
    "scale.total.memory": "GiB (estimate)",
    "scale.total.clusters-title": "all proxies: clusters",
    "scale.total.clusters": "clusters (sum over proxies)",
    "scale.push.title": "Proxies pushed when one service changes",
    "scale.push.axis": "proxies pushed",
    "scale.push.axis-mean": "proxies pushed (mean over services)",
    "scale.estimate": ("memory is an estimate in MiB (a linear model calibrated to published measurements, "
                       "docs/sizing.md), not a measurement"),
    "alt.scale.config": ("Two line charts, x axis: services in the mesh from {first} to {last}. Left: clusters of "
                         "one proxy; right: its estimated memory. Without a Sidecar both grow in proportion to the "
                         "mesh; scoped proxies stay flat. At {last} services: {values}. {estimate}."),
    "alt.scale.config.value": "{mode} {clusters} clusters (about {mib} MiB)",
    "alt.scale.total": ("Two line charts on logarithmic axes, x axis: services in the mesh from {first} to {last}. "
                        "Left: estimated memory of all {pods} proxies added up; right: clusters summed over all "
                        "proxies. Without Sidecars the total grows with the square of the mesh size (every proxy "
                        "sees every service); with scoped Sidecars it grows linearly. At {last} services: {values}. "
                        "{estimate}."),
    "alt.scale.total.value": "{mode} about {gib} GiB",
    "alt.scale.push": ("Line chart, x axis (logarithmic): services in the mesh from {first} to {last}; y axis "
                       "(logarithmic): {what}. Without a Sidecar every proxy is pushed, so it grows with the mesh; "
                       "namespace-scoped, only the proxies of its namespace; dependency-scoped, only its callers; "
                       "both stay flat. At {last} services: {values}."),
    "alt.scale.push.what": "proxies whose configuration includes {service} and must be pushed when it changes",
    "alt.scale.push.what-mean": ("the mean number of proxies whose configuration includes a service and must be "
                                 "pushed when it changes"),
    "alt.scale.push.value": "{mode} {count}",
})
LABELS["ko"].update({
    "text.answered": "(Istio {version}의 규칙으로 답했습니다)",
    "size.row.visible_services": "보이는 서비스",
    "size.row.clusters": "클러스터",
    "size.row.mtls_clusters": "  그중 mTLS",
    "size.row.listeners": "리스너",
    "size.row.routes": "라우트(테이블)",
    "size.row.virtual_hosts": "가상 호스트",
    "size.row.endpoints": "엔드포인트",
    "size.row.xds_bytes": "xDS 바이트(추정)",
    "size.row.memory_mib": "메모리 MiB(추정)",
    "size.estimate-note": ("측정값이 아니라 추정값입니다: Istio 프록시의 공개된 측정값에 맞춘 선형 모델(MiB)로, "
                           "각 측정값과 0.67~1.5배 안에서 맞습니다. docs/sizing.md 참고"),
    "size.assumption": "가정: {text}",
    "size.assumption.estimate": ("메모리(MiB)와 xDS 바이트는 공개된 측정값에 맞춘 선형 모델의 추정값이지 "
                                 "측정값이 아닙니다(docs/sizing.md)"),
    "size.assumption.endpoints-assumed": ("보이는 Service 가운데 매니페스트에 Pod가 없는 것이 있습니다: 클러스터당 "
                                          "엔드포인트 1개로 셉니다"),
    "size.assumption.controller-one-pod": "매니페스트에 Pod가 없는 Deployment/StatefulSet 등은 파드 하나로 셉니다",
    "size.assumption.gateway-listeners": ("게이트웨이의 리스너는 Gateway 리소스에서 오는데 이를 읽지 않습니다: "
                                          "부트스트랩의 리스너 두 개만 셉니다"),
    "size.assumption.traffic-not-modelled": "트래픽에 따라 늘어나는 메모리(커넥션, 버퍼, TLS 세션)는 포함하지 않습니다",
    "size.assumption.no-proxy": "이 워크로드에는 프록시가 없어 아무 설정도 받지 않습니다",
    "size.no-proxy": "{workload}: 프록시가 없어 istiod에서 아무 설정도 받지 않습니다",
    "size.head.sidecar": "{workload} ({proxy}, 범위 {scope}, Sidecar {sidecar})",
    "size.head.no-sidecar": "{workload} ({proxy}, 범위 {scope}, 적용되는 Sidecar 없음)",
    "size.col.as-is": "현재",
    "size.col.no-sidecar": "Sidecar 없음",
    "size.col.with": "{sidecar} 적용",
    "size.col.saving": "절감",
    "size.clusters-split": "클러스터: 아웃바운드 {outbound} + 인바운드 {inbound} + 고정 {fixed} ({names})",
    "size.col.workload": "워크로드",
    "size.col.proxy": "프록시",
    "size.col.scope": "범위",
    "size.col.sidecar": "Sidecar",
    "size.col.services": "서비스",
    "size.col.clusters": "클러스터",
    "size.col.listeners": "리스너",
    "size.col.routes": "라우트",
    "size.col.vhosts": "가상 호스트",
    "size.col.endpoints": "엔드포인트",
    "size.col.mib": "MiB(추정)",
    "size.totals": "메시 전체 합계 (프록시 {count}개):",
    "size.col.with-sidecars": "Sidecar 적용",
    "size.col.without-sidecars": "Sidecar 없음",
    "suggest.head": "# {workload}에 제안하는 Sidecar ({mode}, 호출 {count}개 기준)",
    "suggest.config": "프록시 설정 (추정):",
    "suggest.col.now": "현재",
    "suggest.col.with": "이 Sidecar 적용",
    "suggest.proof": "검증 (이 Sidecar로 호출마다 sidecar-lab check): {verdict}",
    "suggest.proved": "모든 호출이 ROUTED로 유지됩니다",
    "suggest.not-proved": "호출 {count}개가 ROUTED가 아닙니다(검증 실패)",
    "suggest.proof-row": "(현재 {before}, 클러스터 {cluster})",
    "suggest.newly-blocked": "REGISTRY_ONLY로 새로 차단되는 것 (지금은 닿는 서비스 포트 {count}개):",
    "suggest.newly-passthrough": "더는 라우팅되지 않고 ALLOW_ANY의 passthrough로만 나가는 것 ({count}개):",
    "suggest.also-selects": "셀렉터가 함께 고르는 워크로드: {workloads}",
    "suggest.ignored": "무시됨: {where}{reason}: {line}",
    "suggest.ignored-line": "{number}번째 줄: ",
    "suggest.validation": "어드미션 검증: {message}",
    "live.prints.origin": "origin {origin} 출력",
    "live.prints.origin-client": "origin 출력(클라이언트 파드의 IP)",
    "live.prints.google-301": "Google의 301 Moved 페이지 출력",
    "live.prints.nothing": "아무것도 출력하지 않음",
    "live.prints.other": "응답 출력",
    "live.exit.still-running": "기다리는 동안 끝나지 않음(종료 코드 없음)",
    "live.exit.unknown": "curl 종료 코드 알 수 없음",
    "live.exits": "curl 종료 코드 {code}",
    "live.exited": "curl 종료 코드 {code}",
    "live.not-observed": "관찰하지 못함: {error}",
    "live.predicted": "예측: {summary}",
    "live.observed": "관찰: {summary}",
    "live.result": "결과: {result}",
    "live.likely-causes": "가능한 원인:",
    "live.http-status": "HTTP {status}",
    "live.http-redirect": "HTTP {status}({location}(으)로 리디렉션)",
    "live.no-http-response": "HTTP 응답 없음",
    "live.prints.body": "{body!r} 출력",
    "live.not-seen": "보지 못함: {reason}",
    "scale.mode.none": "Sidecar 없음",
    "scale.mode.namespace": "네임스페이스 범위 (./* + istio-system/*)",
    "scale.mode.dependency": "의존 관계 범위 (선언한 호출만)",
    "scale.mode.mixed": "혼합",
    "scale.axis.services": "메시의 서비스 수",
    "scale.config.title": "메시 크기에 따른 프록시 하나의 설정",
    "scale.config.clusters-title": "프록시 하나의 Envoy 클러스터",
    "scale.config.clusters": "클러스터",
    "scale.config.memory-title": "프록시 메모리 추정치",
    "scale.config.memory": "MiB (추정)",
    "scale.total.title": "메시 전체의 프록시 설정",
    "scale.total.memory-title": "모든 프록시: 메모리 추정치",
    "scale.total.memory": "GiB (추정)",
    "scale.total.clusters-title": "모든 프록시: 클러스터",
    "scale.total.clusters": "클러스터 (프록시 전체 합)",
    "scale.push.title": "서비스 하나가 바뀔 때 푸시받는 프록시",
    "scale.push.axis": "푸시받는 프록시",
    "scale.push.axis-mean": "푸시받는 프록시 (서비스 평균)",
    "scale.estimate": ("메모리는 MiB 단위의 추정값입니다(공개된 측정값에 맞춘 선형 모델, docs/sizing.md). "
                       "측정값이 아닙니다"),
    "alt.scale.config": ("선 그래프 두 개, x축: 메시의 서비스 수 {first}~{last}개. 왼쪽: 프록시 하나의 클러스터 수, "
                         "오른쪽: 그 프록시의 메모리 추정치. Sidecar가 없으면 둘 다 메시 크기에 비례해 늘고, 범위를 "
                         "좁힌 프록시는 평평하게 유지됩니다. 서비스 {last}개일 때: {values}. {estimate}."),
    "alt.scale.config.value": "{mode} 클러스터 {clusters}개(약 {mib} MiB)",
    "alt.scale.total": ("로그 축 선 그래프 두 개, x축: 메시의 서비스 수 {first}~{last}개. 왼쪽: 프록시 {pods}개 전체의 "
                        "메모리 추정치 합, 오른쪽: 모든 프록시의 클러스터 수 합. Sidecar가 없으면 합계가 메시 크기의 "
                        "제곱으로 늘고(모든 프록시가 모든 서비스를 봅니다), 범위를 좁힌 Sidecar에서는 선형으로 "
                        "늡니다. 서비스 {last}개일 때: {values}. {estimate}."),
    "alt.scale.total.value": "{mode} 약 {gib} GiB",
    "alt.scale.push": ("선 그래프, x축(로그): 메시의 서비스 수 {first}~{last}개, y축(로그): {what}. Sidecar가 없으면 "
                       "모든 프록시가 푸시를 받으므로 메시와 함께 늘고, 네임스페이스 범위에서는 그 네임스페이스의 "
                       "프록시만, 의존 관계 범위에서는 호출하는 쪽만 받아 둘 다 평평합니다. 서비스 {last}개일 때: "
                       "{values}."),
    "alt.scale.push.what": "설정에 {service} 항목이 있어, 그것이 바뀔 때 푸시를 받아야 하는 프록시 수",
    "alt.scale.push.what-mean": "설정에 어떤 서비스 항목이 있어, 그것이 바뀔 때 푸시를 받아야 하는 프록시 수의 평균",
    "alt.scale.push.value": "{mode} {count}개",
})
