"""The feedback a check returns, and the words it is said in.

:class:`Feedback` (right, not yet, or the learner's turn), the frame's words in each language and the
Korean catalog of the checks' sentences (``_KO``: an English sentence a check writes is found here and
said again with the same values), :func:`reveal` for a prediction, and the lines of Istio's admission
messages with our hint (:func:`message_text`, :func:`hint_text`).
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from typing import Any

from ...core.messages import fill, get_language, using_language

_OK, _NO, _TODO = "\u2714", "\u2718", "\u270e"  # ✔ ✘ ✎

# The words of the feedback frame, per language (the checks' own sentences are English for now).
_TEXT: dict[str, dict[str, str]] = {"en": {
    "not-yet": "Not yet: {message}",
    "your-turn": "Your turn: {message}",
    "cannot-use": "the simulator could not use this answer.",
    "cannot-check": "this answer could not be checked.",
    "compare-format": "Compare your answer with the format shown in the exercise.",
    "predict-first": "pick one of {choices} first: the answer stays hidden until you commit to a prediction.",
    "predicted-right": "You predicted {actual}, and that is what happens.",
    "predicted-wrong": "You predicted {guess}; the simulator says {actual}. Read why:",
    "reveal-needs-result": "reveal() needs the result of sidecar_lab.check(...) as its second argument.",
}, "ko": {
    "not-yet": "아직 아닙니다: {message}",
    "your-turn": "여러분 차례입니다: {message}",
    "cannot-use": "시뮬레이터가 이 답을 쓸 수 없습니다.",
    "cannot-check": "이 답은 확인할 수 없습니다.",
    "compare-format": "연습 문제에 나온 형식과 답을 비교해 보세요.",
    "predict-first": "먼저 {choices} 중 하나를 고르세요. 예측을 정하기 전에는 정답이 보이지 않습니다.",
    "predicted-right": "{actual}(으)로 예측했고, 실제로도 그렇습니다.",
    "predicted-wrong": "{guess}(으)로 예측했지만 시뮬레이터의 판정은 {actual}입니다. 이유를 읽어 보세요:",
    "reveal-needs-result": "reveal()의 두 번째 인자로 sidecar_lab.check(...)의 결과가 필요합니다.",
}}


#: The checks' own sentences in Korean, keyed by their English template ({0}, {1}... for what the check fills
#: in, in the order of the English). tests/test_notebooks.py fails when a sentence of a check has no entry.
_KO: dict[str, str] = {
    # frame and parsing
    'kubectl apply would refuse this Sidecar ({0} error{1}).': 'kubectl apply가 이 Sidecar를 거부합니다(오류 {0}개).',
    'Fix the field named in each message and check again.': '각 메시지가 가리키는 필드를 고친 뒤 다시 확인하세요.',
    'the answer should be YAML text (a string), not {0}.': '답은 YAML 텍스트(문자열)여야 합니다. {0}이(가) 아닙니다.',
    'Write it between triple quotes: answer = """ ... """': '삼중 따옴표 사이에 쓰세요: answer = """ ... """',
    'the answer is still empty: write {0} in YAML between the triple quotes.': '답이 아직 비어 있습니다. 삼중 따옴표 사이에 {0} YAML을 쓰세요.',
    'a Sidecar': 'Sidecar', 'a ServiceEntry': 'ServiceEntry',
    'there is no Sidecar in your answer.': '답에 Sidecar가 없습니다.',
    'It needs apiVersion: networking.istio.io/v1 and kind: Sidecar.': 'apiVersion: networking.istio.io/v1과 kind: Sidecar가 필요합니다.',
    'your answer holds {0} Sidecars; this exercise wants exactly one.': '답에 Sidecar가 {0}개 있습니다. 이 연습 문제는 정확히 하나를 원합니다.',
    'your Sidecar lives in namespace {0}, but it should be in {1}.': 'Sidecar가 네임스페이스 {0}에 있지만, {1}에 있어야 합니다.',
    "metadata.namespace decides where a Sidecar lives; a missing one means 'default'.": "Sidecar가 어느 네임스페이스에 속하는지는 metadata.namespace가 정합니다. 없으면 'default'입니다.",
    'your Sidecar is named {0}; this exercise edits the one named {1}.': 'Sidecar 이름이 {0}입니다. 이 연습 문제는 {1}(이)라는 Sidecar를 고칩니다.',
    'kubectl apply replaces an object only when kind, namespace and name are the same.': 'kubectl apply는 kind, 네임스페이스, 이름이 모두 같을 때만 오브젝트를 바꿔 씁니다.',
    'the YAML cannot be read as Kubernetes manifests.': '이 YAML은 Kubernetes 매니페스트로 읽을 수 없습니다.',
    "Check the indentation (two spaces per level, '- ' before each list item) and that apiVersion, kind and metadata.name are set.": "들여쓰기(단계마다 공백 두 칸, 목록 항목 앞에는 '- ')와 apiVersion, kind, metadata.name이 있는지 확인하세요.",
    'admitted with a warning: {0}': '경고와 함께 승인됨: {0}',
    'client sees: {0}': '클라이언트에 보이는 것: {0}',
    # the hints core/validation.py adds after Istio's own message (which stays as Istio says it): hint_text()
    'did you mean "{0}"?': '혹시 "{0}"을(를) 쓰려던 것인가요?',
    'Istio {0} adds this field; this is Istio {1}': '이 필드는 Istio {0}부터 있습니다. 지금 규칙은 Istio {1}입니다',
    'a Sidecar needs egress, ingress, outboundTrafficPolicy or inboundConnectionPool; empty lists and a workloadSelector alone do not count':
        'Sidecar에는 egress, ingress, outboundTrafficPolicy, inboundConnectionPool 중 하나가 있어야 합니다. 빈 목록이나 workloadSelector만으로는 안 됩니다',
    'an empty selector matches every pod of the namespace and outranks the namespace-wide Sidecar':
        '빈 셀렉터는 네임스페이스의 모든 파드에 일치하고, 네임스페이스 전체 Sidecar보다 우선합니다',
    'an empty (sniffed) protocol does not count as HTTP here; set port.protocol':
        '프로토콜을 비워 두면(자동 감지) 여기서는 HTTP로 치지 않습니다. port.protocol을 지정하세요',
    'kubectl prints "configuration is invalid: configuration is invalid: ...": the webhook adds its own prefix to Istio\'s text':
        'kubectl에는 "configuration is invalid: configuration is invalid: ..."로 나옵니다. 웹훅이 Istio의 문장 앞에 같은 접두어를 한 번 더 붙이기 때문입니다',
    'a listener without port catches everything else; move it to the end': '포트 없는 리스너는 나머지를 모두 받습니다. 맨 끝으로 옮기세요',
    '"*/*" already imports every namespace': '"*/*"가 이미 모든 네임스페이스를 가져옵니다',
    'Istio {0} accepts "~" only as the whole namespace ("~/*" imports nothing); "~" excludes a namespace from Istio {1}':
        'Istio {0}은(는) "~"를 네임스페이스 자리에 단독으로만 받습니다("~/*"는 아무것도 가져오지 않음). "~"로 네임스페이스를 제외하는 것은 Istio {1}부터입니다',
    'Istio reports this error twice for Sidecar hosts': 'Istio는 Sidecar 호스트에 대해 이 오류를 두 번 보고합니다',
    'outboundTrafficPolicy without mode means REGISTRY_ONLY': 'mode 없는 outboundTrafficPolicy는 REGISTRY_ONLY입니다',
    # 01
    "kubectl would accept it, and sleep now reaches only istioinaction (as in the blog's step 06).": 'kubectl이 받아들이고, 이제 sleep은 istioinaction에만 닿습니다(블로그의 06단계와 같습니다).',
    "Unknown fields are refused by kubectl's strict field validation (Kubernetes 1.27+): a typo is an error, not something silently ignored.": 'kubectl의 엄격한 필드 검증(Kubernetes 1.27 이상)은 모르는 필드를 거부합니다. 오타는 조용히 무시되지 않고 오류가 됩니다.',
    'the Sidecar is admitted, but it does not select the sleep pod.': 'Sidecar는 승인되지만 sleep 파드를 선택하지 않습니다.',
    'Keep workloadSelector.labels run: sleep.': 'workloadSelector.labels run: sleep은 그대로 두세요.',
    'admitted, but sleep -> httpbin.default is {0} and sleep -> httpbin.istioinaction is {1}.': '승인되지만 sleep -> httpbin.default는 {0}, sleep -> httpbin.istioinaction은 {1}입니다.',
    "The blog's edit blocks httpbin.default and keeps httpbin.istioinaction: egress hosts [istioinaction/*] together with mode REGISTRY_ONLY.": '블로그의 수정은 httpbin.default를 막고 httpbin.istioinaction은 유지합니다. egress 호스트 [istioinaction/*]와 모드 REGISTRY_ONLY를 함께 씁니다.',
    'admitted; sleep sees exactly the two httpbin services.': '승인됩니다. sleep에는 정확히 두 httpbin 서비스만 보입니다.',
    "The dnsName part of a host is matched literally against the service's hostname (name.namespace.svc.cluster.local): short names are refused at admission.": '호스트의 dnsName 부분은 서비스의 호스트 이름(name.namespace.svc.cluster.local)과 글자 그대로 비교됩니다. 짧은 이름은 어드미션에서 거부됩니다.',
    'Visible: {0}': '보이는 서비스: {0}',
    'sleep is governed by {0}, not by yours.': 'sleep에는 작성한 Sidecar가 아니라 {0}이(가) 적용됩니다.',
    'A workloadSelector with run: sleep makes it a workload Sidecar.': 'run: sleep을 고르는 workloadSelector가 있어야 워크로드 Sidecar가 됩니다.',
    'admitted, but the traffic is not right yet.': '승인되지만 트래픽은 아직 맞지 않습니다.',
    'Both httpbin services must be ROUTED and google.com BLOCKED (keep REGISTRY_ONLY).': '두 httpbin 서비스는 ROUTED, google.com은 BLOCKED여야 합니다(REGISTRY_ONLY 유지).',
    'both httpbins are reachable, but the proxy imports more than them.': '두 httpbin 모두 닿지만 프록시가 그보다 많은 것을 가져옵니다.',
    'Also imported: {0}': '함께 가져온 것: {0}',
    'Name each service by its full hostname.': '각 서비스를 전체 호스트 이름으로 쓰세요.',
    'a Sidecar in {0} is not a mesh-wide default.': '{0}에 있는 Sidecar는 메시 전체 기본값이 아닙니다.',
    'Only the root namespace (meshConfig.rootNamespace, istio-system here) holds the default every namespace falls back to.': '모든 네임스페이스가 기대는 기본값은 루트 네임스페이스(meshConfig.rootNamespace, 여기서는 istio-system)에만 둘 수 있습니다.',
    'in the root namespace a Sidecar with a workloadSelector applies only to pods of istio-system.': '루트 네임스페이스에서 workloadSelector가 있는 Sidecar는 istio-system의 파드에만 적용됩니다.',
    'Leave workloadSelector out so that it becomes the mesh-wide default.': '메시 전체 기본값이 되도록 workloadSelector를 빼세요.',
    "sleep's outbound mode is {0} (from {1}).": 'sleep의 아웃바운드 모드는 {0}입니다({1}에서 옴).',
    'Set spec.outboundTrafficPolicy.mode: REGISTRY_ONLY.': 'spec.outboundTrafficPolicy.mode: REGISTRY_ONLY를 설정하세요.',
    'sleep -> google.com is {0} and sleep -> httpbin.istioinaction is {1}.': 'sleep -> google.com은 {0}, sleep -> httpbin.istioinaction은 {1}입니다.',
    "The blog's step 02 blocks google.com and keeps httpbin reachable.": '블로그의 02단계는 google.com을 막고 httpbin에는 계속 닿게 합니다.',
    "this is the blog's mesh-wide default: google.com is blocked, httpbin still answers.": '블로그의 메시 전체 기본값입니다. google.com은 막히고 httpbin은 계속 응답합니다.',
    'sleep is governed by {0} [scope {1}]: {2}': 'sleep에는 {0}이(가) 적용됩니다[범위 {1}]: {2}',
    # 02
    "write the Sidecar as 'namespace/name' (or 'none').": "Sidecar를 'namespace/name' 형식으로 쓰세요(없으면 'none').",
    'Sidecars at this step: {0}': '이 단계의 Sidecar: {0}',
    "{0} needs a namespace: write it as 'namespace/name'.": "{0}에는 네임스페이스가 필요합니다. 'namespace/name' 형식으로 쓰세요.",
    'there is no Sidecar {0} at step {1}.': '{1} 단계에는 Sidecar {0}이(가) 없습니다.',
    '{0} is governed by {1} [scope {2}].': '{0}에는 {1}이(가) 적용됩니다[범위 {2}].',
    '{0} is not the one istiod picks for {1}.': '{1}에 대해 istiod가 고르는 것은 {0}이(가) 아닙니다.',
    'sidecar_lab.resolve(sim, workload) lists every candidate and why it lost.': 'sidecar_lab.resolve(sim, workload)가 모든 후보와 진 이유를 보여 줍니다.',
    "Look first for a Sidecar in the pod's own namespace whose workloadSelector matches the pod's labels: selector Sidecars come before everything else.": '먼저 파드의 네임스페이스에서 workloadSelector가 파드의 레이블과 맞는 Sidecar를 찾으세요. 셀렉터가 있는 Sidecar가 가장 먼저입니다.',
    "Does any selector Sidecar match this pod's labels? If none does, the namespace-wide Sidecar (no workloadSelector) of the pod's own namespace applies.": '이 파드의 레이블과 맞는 셀렉터 Sidecar가 있나요? 없다면 파드가 속한 네임스페이스의 네임스페이스 전체 Sidecar(workloadSelector 없음)가 적용됩니다.',
    "Nothing in the pod's own namespace applies, so istiod falls back to the root namespace (istio-system).": '파드의 네임스페이스에는 적용되는 것이 없으므로 istiod는 루트 네임스페이스(istio-system)로 넘어갑니다.',
    "No Sidecar applies at all: the built-in default (answer 'none').": "적용되는 Sidecar가 전혀 없습니다. 내장 기본값입니다('none'으로 답하세요).",
    "Gateways ignore every Sidecar (answer 'none').": "게이트웨이는 모든 Sidecar를 무시합니다('none'으로 답하세요).",
    "This pod has no proxy at all (answer 'none').": "이 파드에는 프록시가 아예 없습니다('none'으로 답하세요).",
    "write the name of the winning Sidecar (for example 'restrict').": "이기는 Sidecar의 이름을 쓰세요(예: 'restrict').",
    "{0} is not one of the two Sidecars of the scenario: 'allow' or 'restrict'.": "{0}은(는) 이 시나리오의 두 Sidecar('allow', 'restrict') 중 하나가 아닙니다.",
    '{0} wins, so sleep -> google.com is {1}.': '{0}이(가) 이기므로 sleep -> google.com은 {1}입니다.',
    'Same creation second: istiod breaks the tie by name (alphabetical), then namespace — not by which one is stricter. The other is ignored entirely (istioctl analyze: IST0111).': '생성 시각이 같은 초이면 istiod는 이름(알파벳순), 그다음 네임스페이스로 정합니다. 어느 쪽이 더 엄격한지는 상관없습니다. 나머지는 통째로 무시됩니다(istioctl analyze: IST0111).',
    '{0} loses the tie.': '{0}은(는) 동률에서 집니다.',
    'Both have the same creationTimestamp (one-second resolution). What does istiod compare next? Not the mode.': '둘의 creationTimestamp가 같습니다(초 단위). istiod는 그다음에 무엇을 비교할까요? 모드는 아닙니다.',
    'this replaces the namespace-wide Sidecar istioinaction/default for every pod.': '이것은 모든 파드에 대해 네임스페이스 전체 Sidecar istioinaction/default를 바꿔 버립니다.',
    'Give it its own name and a workloadSelector for run: sleep.': '고유한 이름과 run: sleep을 고르는 workloadSelector를 주세요.',
    'sleep is governed by {0}, not by your Sidecar.': 'sleep에는 작성한 Sidecar가 아니라 {0}이(가) 적용됩니다.',
    'Add workloadSelector.labels run: sleep.': 'workloadSelector.labels run: sleep을 추가하세요.',
    'sleep -> google.com is now {0}: your Sidecar opened the door again.': '이제 sleep -> google.com이 {0}입니다. 작성한 Sidecar가 문을 다시 열었습니다.',
    "sleep's mode is {0}, from {1} ({2}).": 'sleep의 모드는 {0}이고 {1}에서 옵니다({2}).',
    'A chosen Sidecar is used alone: nothing is inherited from istioinaction/default. A Sidecar without outboundTrafficPolicy gets the mesh mode (ALLOW_ANY here).': '선택된 Sidecar는 혼자 쓰입니다. istioinaction/default에서 물려받는 것은 없습니다. outboundTrafficPolicy가 없는 Sidecar는 메시 모드(여기서는 ALLOW_ANY)를 받습니다.',
    'google.com is blocked, but sleep -> httpbin.istioinaction is {0} and sleep -> httpbin.default is {1}.': 'google.com은 막히지만 sleep -> httpbin.istioinaction은 {0}, sleep -> httpbin.default는 {1}입니다.',
    'Egress hosts: istioinaction/* only.': 'egress 호스트는 istioinaction/*만 두세요.',
    'sleep keeps REGISTRY_ONLY and sees only istioinaction.': 'sleep은 REGISTRY_ONLY를 유지하고 istioinaction만 봅니다.',
    'You wrote the mode yourself: the workload Sidecar does not inherit it from the namespace Sidecar (istio/istio#59376).': '모드를 직접 썼습니다. 워크로드 Sidecar는 네임스페이스 Sidecar에서 모드를 물려받지 않습니다(istio/istio#59376).',
    # 03
    "answer with curl's exit code, a whole number (0 means curl saw no error).": 'curl의 종료 코드를 정수로 답하세요(0은 curl이 오류를 보지 못했다는 뜻입니다).',
    'curl {0} exits {1}.': 'curl {0}의 종료 코드는 {1}입니다.',
    'envoy: listener {0} -> route {1} -> cluster {2}': 'envoy: 리스너 {0} -> 라우트 {1} -> 클러스터 {2}',
    'curl does not exit {0} here.': '여기서 curl의 종료 코드는 {0}이(가) 아닙니다.',
    'With https Envoy cannot read a Host header: no HTTP route applies, the connection goes to a cluster that accepts it and closes it. What does curl say when the TLS handshake fails?': 'https에서는 Envoy가 Host 헤더를 읽을 수 없습니다. HTTP 라우트가 적용되지 않고, 연결은 받아들였다가 닫아 버리는 클러스터로 갑니다. TLS 핸드셰이크가 실패하면 curl은 뭐라고 할까요?',
    'For plain HTTP on port 80 Envoy answers itself (route block_all). Does curl treat an HTTP error status as a failure without -f?': '포트 80의 평문 HTTP에는 Envoy가 직접 응답합니다(라우트 block_all). -f 없이도 curl이 HTTP 오류 상태를 실패로 볼까요?',
    "answer 'REGISTRY_ONLY' or 'ALLOW_ANY'.": "'REGISTRY_ONLY' 또는 'ALLOW_ANY'로 답하세요.",
    '{0}: sleep -> google.com is {1}.': '{0}: sleep -> google.com은 {1}입니다.',
    'REGISTRY_ONLY is value 0 of the protobuf enum, so a policy object without a mode is REGISTRY_ONLY — even though the mesh default is ALLOW_ANY (kiali/kiali#5882).': 'REGISTRY_ONLY는 protobuf enum의 0번 값이므로 mode 없는 정책 객체는 REGISTRY_ONLY입니다. 메시 기본값이 ALLOW_ANY여도 마찬가지입니다(kiali/kiali#5882).',
    'the pod does not get {0}.': '파드가 받는 모드는 {0}이(가) 아닙니다.',
    'The field is present, so the mesh default is not used. What is the zero value of the OutboundTrafficPolicy.Mode enum?': '필드가 있으므로 메시 기본값은 쓰이지 않습니다. OutboundTrafficPolicy.Mode enum의 0번 값은 무엇일까요?',
    'httpbin -> google.com is {0}: every pod of istioinaction got through, not only sleep.': 'httpbin -> google.com이 {0}입니다. sleep만이 아니라 istioinaction의 모든 파드가 나갑니다.',
    'httpbin is governed by {0}. A Sidecar without workloadSelector is namespace-wide; select run: sleep instead.': 'httpbin에는 {0}이(가) 적용됩니다. workloadSelector가 없는 Sidecar는 네임스페이스 전체에 적용됩니다. 대신 run: sleep을 고르세요.',
    'sleep -> google.com is {0} (mode {1}, Sidecar {2}).': 'sleep -> google.com은 {0}입니다(모드 {1}, Sidecar {2}).',
    'Select sleep with workloadSelector.labels run: sleep and set mode ALLOW_ANY.': 'workloadSelector.labels run: sleep으로 sleep을 고르고 모드를 ALLOW_ANY로 두세요.',
    'only sleep reaches google.com (PASSTHROUGH); httpbin stays blocked.': 'sleep만 google.com에 닿고(PASSTHROUGH) httpbin은 계속 막힙니다.',
    "This is the blog's step 05: a workload Sidecar outranks the namespace-wide one.": '블로그의 05단계입니다. 워크로드 Sidecar가 네임스페이스 전체 Sidecar보다 우선합니다.',
    # 04
    "write one host entry as a string, in the form 'namespace/dnsName'.": "호스트 하나를 'namespace/dnsName' 형식의 문자열로 쓰세요.",
    'with {0} sleep -> httpbin.default is still {1}.': '{0}을(를) 넣어도 sleep -> httpbin.default는 여전히 {1}입니다.',
    'The namespace part is where the Service is defined; the dnsName is its full hostname (or * for all of that namespace).': '네임스페이스 부분은 Service가 정의된 곳이고, dnsName은 그 전체 호스트 이름입니다(그 네임스페이스 전부라면 *).',
    'httpbin.default is ROUTED, but the entry imports much more than it.': 'httpbin.default는 ROUTED이지만 이 항목은 그보다 훨씬 많은 것을 가져옵니다.',
    'Also imported now: {0}': '이제 함께 가져오는 것: {0}',
    '{0} imports httpbin.default: sleep -> httpbin.default is ROUTED again.': '{0}이(가) httpbin.default를 가져옵니다. sleep -> httpbin.default가 다시 ROUTED입니다.',
    'Visible to sleep now: {0}': '지금 sleep에 보이는 것: {0}',
    'leave the Sidecar as it is: this exercise is solved with a ServiceEntry only.': 'Sidecar는 그대로 두세요. 이 연습 문제는 ServiceEntry만으로 풉니다.',
    'there is no ServiceEntry in your answer (apiVersion networking.istio.io/v1, kind ServiceEntry).': '답에 ServiceEntry가 없습니다(apiVersion networking.istio.io/v1, kind ServiceEntry).',
    "the ServiceEntry's hosts are {0}; curl asks for google.com.": 'ServiceEntry의 hosts는 {0}입니다. curl이 요청하는 것은 google.com입니다.',
    'curl http://google.com uses port 80: the ServiceEntry needs a port 80 (name http, protocol HTTP).': 'curl http://google.com은 포트 80을 씁니다. ServiceEntry에 포트 80(name http, protocol HTTP)이 필요합니다.',
    'sleep -> google.com is {0}.': 'sleep -> google.com은 {0}입니다.',
    'Your ServiceEntry lives in namespace {0}; the egress hosts import istioinaction/*. The namespace part of a host is where the configuration is defined.': 'ServiceEntry가 네임스페이스 {0}에 있습니다. egress 호스트는 istioinaction/*를 가져옵니다. 호스트의 네임스페이스 부분은 설정이 정의된 곳입니다.',
    'google.com is now a registry entry that sleep imports: ROUTED to outbound|80||google.com.': '이제 google.com은 sleep이 가져오는 레지스트리 항목입니다. outbound|80||google.com으로 ROUTED됩니다.',
    'The ServiceEntry lives in {0}, so istioinaction/* imports it (istio/istio#13319).': 'ServiceEntry가 {0}에 있으므로 istioinaction/*가 가져옵니다(istio/istio#13319).',
    'answer with a verdict: {0}.': '판정으로 답하세요: {0}.',
    '{0}: httpbin.default still answers, through {1}.': '{0}: httpbin.default는 {1}을(를) 거쳐 여전히 응답합니다.',
    'Egress hosts decide what the proxy is configured for; under ALLOW_ANY everything else still goes out as plaintext passthrough (istio/istio#15329).': 'egress 호스트는 프록시가 무엇을 위해 설정되는지를 정할 뿐입니다. ALLOW_ANY에서는 나머지가 모두 평문 패스스루로 그대로 나갑니다(istio/istio#15329).',
    'not {0}.': '{0}이(가) 아닙니다.',
    'httpbin.default is not imported; so what does the outbound mode do with traffic that matches no imported service?': 'httpbin.default는 가져오지 않았습니다. 그러면 가져온 서비스와 맞지 않는 트래픽을 아웃바운드 모드는 어떻게 처리할까요?',
    # 05
    "answer with an address and a port, like '10.0.0.1:8080'.": "'10.0.0.1:8080'처럼 주소와 포트로 답하세요.",
    '{0}: Envoy itself listens there and forwards to {1}.': '{0}: Envoy가 직접 그곳에서 듣고 {1}(으)로 넘깁니다.',
    "captureMode {0}: iptables does not redirect port {1}, so traffic to the Service's ClusterIP is not intercepted for this listener.": 'captureMode {0}: iptables가 포트 {1}을(를) 리다이렉트하지 않으므로, Service의 ClusterIP로 가는 트래픽은 이 리스너로 가로채지지 않습니다.',
    'that is the Service; with captureMode NONE nothing redirects it to Envoy.': '그것은 Service입니다. captureMode NONE에서는 아무것도 그 트래픽을 Envoy로 돌리지 않습니다.',
    "Look at the listener's bind address.": '리스너의 bind 주소를 보세요.',
    '8080 is where the application listens (defaultEndpoint, inside the pod).': '8080은 애플리케이션이 듣는 곳입니다(defaultEndpoint, 파드 안).',
    "The client must reach Envoy's own listener: bind and port.number.": '클라이언트는 Envoy 자신의 리스너, 즉 bind와 port.number로 가야 합니다.',
    '{0} is not where Envoy listens.': '{0}은(는) Envoy가 듣는 곳이 아닙니다.',
    'Look at ingress[0].bind and ingress[0].port.number.': 'ingress[0].bind와 ingress[0].port.number를 보세요.',
    'answer with a number, or None when the setting is not there.': '숫자로 답하세요. 설정이 없으면 None입니다.',
    "{0}: port 80 uses its own pool ({1}), from '{2}'.": "{0}: 포트 80은 자기 풀({1})을 씁니다(출처 '{2}').",
    "The port's connectionPool replaces the Sidecar-wide inboundConnectionPool as a whole: the two are not merged field by field, so the http settings are gone on this port.": '포트의 connectionPool은 Sidecar 전체의 inboundConnectionPool을 통째로 대신합니다. 둘은 필드 단위로 합쳐지지 않으므로 이 포트에서는 http 설정이 사라집니다.',
    'port 80 does not get {0}.': '포트 80의 http2MaxRequests는 {0}이(가) 아닙니다.',
    'Which pool wins on port 80, and is the other one merged into it or replaced?': '포트 80에서는 어느 풀이 이길까요? 다른 풀은 합쳐질까요, 대체될까요?',
    'admitted, but it no longer gives productpage an ingress listener.': '승인되지만 더 이상 productpage에 ingress 리스너를 주지 않습니다.',
    'Keep the workloadSelector app: productpage and the ingress entry.': 'workloadSelector app: productpage와 ingress 항목은 그대로 두세요.',
    'admitted, but traffic is handed to {0}: the application listens on 8080.': '승인되지만 트래픽이 {0}(으)로 넘어갑니다. 애플리케이션은 8080에서 듣습니다.',
    'admitted: Envoy binds {0}:{1} and hands traffic to {2}.': '승인됩니다. Envoy가 {0}:{1}에 바인드하고 트래픽을 {2}(으)로 넘깁니다.',
    'defaultEndpoint takes an IP literal (127.0.0.1, 0.0.0.0, [::1], [::]) or unix://path, not a hostname.': 'defaultEndpoint에는 호스트 이름이 아니라 IP 리터럴(127.0.0.1, 0.0.0.0, [::1], [::])이나 unix://경로를 씁니다.',
    # 06
    'this replaces the namespace-wide istioinaction/default for every pod; keep your own name.': '이것은 모든 파드에 대해 네임스페이스 전체 istioinaction/default를 바꿔 버립니다. 고유한 이름을 쓰세요.',
    'istioctl analyze still says IST0111: two Sidecars without workloadSelector in istioinaction.': 'istioctl analyze가 여전히 IST0111을 보고합니다. istioinaction에 workloadSelector 없는 Sidecar가 두 개 있습니다.',
    'The older one (istioinaction/default) wins and {0} is ignored entirely.': '더 오래된 것(istioinaction/default)이 이기고 {0}은(는) 통째로 무시됩니다.',
    'sleep -> google.com is {0}, httpbin -> google.com is {1}.': 'sleep -> google.com은 {0}, httpbin -> google.com은 {1}입니다.',
    'Wanted: PASSTHROUGH for sleep only. Which labels does the sleep pod carry?': '원하는 것: sleep만 PASSTHROUGH. sleep 파드에는 어떤 레이블이 있나요?',
    'fixed: with a workloadSelector it is a workload Sidecar, and it outranks the namespace default.': '고쳤습니다. workloadSelector가 있으니 워크로드 Sidecar이고, 네임스페이스 기본값보다 우선합니다.',
    'Without one it was a second namespace-wide Sidecar: istiod keeps the oldest and ignores the rest (IST0111, istio/istio#18468).': '셀렉터가 없을 때는 두 번째 네임스페이스 전체 Sidecar였습니다. istiod는 가장 오래된 것만 쓰고 나머지는 무시합니다(IST0111, istio/istio#18468).',
    "answer with a code such as 'IST0110' (run analyze() on the scenario to see the list).": "'IST0110' 같은 코드로 답하세요(시나리오에 analyze()를 실행하면 목록이 나옵니다).",
    'The selector matches no pod, so the Sidecar governs nothing; sleep keeps the namespace default.': '셀렉터와 맞는 파드가 없으므로 이 Sidecar는 아무 데도 적용되지 않습니다. sleep은 네임스페이스 기본값을 유지합니다.',
    "{0} is reported too, but it is not istioctl's code (ISTxxxx).": '{0}도 보고되지만 istioctl의 코드(ISTxxxx)는 아닙니다.',
    '{0} is not reported for this Sidecar.': '이 Sidecar에 대해 {0}은(는) 보고되지 않습니다.',
    'Run analyze(sim) and read the lines about Sidecar istioinaction/workload.': 'analyze(sim)을 실행하고 Sidecar istioinaction/workload에 관한 줄을 읽어 보세요.',
    'a Sidecar with a workloadSelector in the root namespace applies only to pods of istio-system (Kiali: KIA1006).': '루트 네임스페이스에서 workloadSelector가 있는 Sidecar는 istio-system의 파드에만 적용됩니다(Kiali: KIA1006).',
    'Put it where the sleep pod lives.': 'sleep 파드가 있는 네임스페이스에 두세요.',
    'Wanted: PASSTHROUGH for sleep only.': '원하는 것: sleep만 PASSTHROUGH.',
    '{0} now governs sleep: google.com is PASSTHROUGH for it, httpbin stays blocked.': '이제 sleep에는 {0}이(가) 적용됩니다. sleep에게 google.com은 PASSTHROUGH이고 httpbin은 계속 막힙니다.',
    'Only a selector-less Sidecar in the root namespace is a mesh-wide default (istio/istio#39989).': '루트 네임스페이스의 셀렉터 없는 Sidecar만 메시 전체 기본값입니다(istio/istio#39989).',
    # 07
    'no request {0} in observations.yaml.': 'observations.yaml에 요청 {0}이(가) 없습니다.',
    'Known: {0}': '있는 것: {0}',
    'The request: {0} (step {1}).': '요청: {0}({1} 단계).',
    "{0} — and the blog's run {1}.": '{0}. 블로그의 실행 결과도 그렇습니다: {1}.',
    'not {0} at step {1}.': '{1} 단계에서는 {0}이(가) 아닙니다.',
    "The blog's run {0}. Which Sidecar governs {1} at this step, and what is its mode?": '블로그의 실행 결과: {0}. 이 단계에서 {1}에는 어떤 Sidecar가 적용되고, 모드는 무엇인가요?',
    'printed nothing': '아무것도 출력하지 않음',
    'printed origin {0}': 'origin {0}을(를) 출력함',
    "printed Google's 301 page": 'Google의 301 페이지를 출력함',
    # 08
    'answer with a whole number of clusters.': '클러스터 수를 정수로 답하세요.',
    '{0} outbound clusters: one per port of every visible service.': '아웃바운드 클러스터 {0}개: 보이는 모든 서비스의 포트마다 하나씩입니다.',
    'Plus {0} fixed ones (BlackHoleCluster, PassthroughCluster, ...): {1} in istioctl proxy-config cluster.': '여기에 고정 클러스터 {0}개(BlackHoleCluster, PassthroughCluster, ...)가 더해져 istioctl proxy-config cluster에는 {1}개가 나옵니다.',
    '{0} is every cluster, fixed ones included; count only outbound|port||host clusters.': '{0}은(는) 고정 클러스터까지 포함한 전체입니다. outbound|port||host 클러스터만 세세요.',
    "sleep's proxy does not get {0} outbound clusters.": 'sleep의 프록시가 받는 아웃바운드 클러스터는 {0}개가 아닙니다.',
    'Count one per port of every service the proxy sees (sidecar_lab.resolve lists them).': '프록시에 보이는 모든 서비스의 포트마다 하나씩 세세요(sidecar_lab.resolve가 목록을 보여 줍니다).',
    'your Sidecar does not govern sleep.': '작성한 Sidecar가 sleep에 적용되지 않습니다.',
    'Select it with workloadSelector.labels run: sleep.': 'workloadSelector.labels run: sleep으로 고르세요.',
    'sleep -> httpbin.istioinaction is {0}: the one call sleep makes broke.': 'sleep -> httpbin.istioinaction이 {0}입니다. sleep이 하는 단 하나의 호출이 깨졌습니다.',
    'the call works, but sleep still gets {0} outbound clusters (before: {1}).': '호출은 되지만 sleep은 여전히 아웃바운드 클러스터 {0}개를 받습니다(이전: {1}개).',
    '*/* imports every service; import only what sleep calls.': '*/*는 모든 서비스를 가져옵니다. sleep이 호출하는 것만 가져오세요.',
    "sleep's outbound clusters: {0} -> {1}; estimated memory {2} -> {3} MiB (a model, not a measurement).": 'sleep의 아웃바운드 클러스터: {0} -> {1}개, 예상 메모리 {2} -> {3} MiB(측정값이 아니라 모델입니다).',
    'The call to httpbin.istioinaction stays ROUTED.': 'httpbin.istioinaction 호출은 계속 ROUTED입니다.',
    'answer with a whole number of proxies.': '프록시 수를 정수로 답하세요.',
    'Only proxies whose scope includes the service are pushed; sleep no longer sees it. Gateways ignore Sidecars, so they always see everything.': '범위에 그 서비스가 들어 있는 프록시만 푸시를 받습니다. sleep에는 이제 보이지 않습니다. 게이트웨이는 Sidecar를 무시하므로 항상 모든 것을 봅니다.',
    "Which proxies see the service? sleep's Sidecar imports only istioinaction/*, and a gateway ignores Sidecars.": '어떤 프록시에 그 서비스가 보일까요? sleep의 Sidecar는 istioinaction/*만 가져오고, 게이트웨이는 Sidecar를 무시합니다.',
    # 09
    "answer with a subset name such as 'v1', or a cluster name such as outbound|8000|v1|httpbin.istioinaction.svc.cluster.local.":
        "'v1' 같은 subset 이름이나 outbound|8000|v1|httpbin.istioinaction.svc.cluster.local 같은 클러스터 이름으로 답하세요.",
    'subset {0}: route {1} is the first whose match holds, so the request goes to {2}.':
        'subset {0}: 매치 조건이 맞는 첫 라우트가 {1}이므로 요청은 {2}(으)로 갑니다.',
    'Envoy tries the routes in order and stops at the first match: canary comes before ip, so /ip with the header never reaches route ip. Without the header, /ip goes to v1.':
        'Envoy는 라우트를 순서대로 확인하고 처음 맞는 라우트에서 멈춥니다. canary가 ip보다 앞에 있으므로 헤더가 붙은 /ip는 ip 라우트까지 가지 않습니다. 헤더가 없으면 /ip는 v1로 갑니다.',
    'not {0}: /ip without the header would go there.': '{0}이(가) 아닙니다. 헤더가 없는 /ip라면 그리로 갑니다.',
    'Which route comes first in the VirtualService, and does its match hold for this request?':
        'VirtualService에서 어느 라우트가 가장 앞에 있고, 그 매치 조건이 이 요청에 맞나요?',
    'not {0}.': '{0}이(가) 아닙니다.',
    'a VirtualService': 'VirtualService',
    'there is no VirtualService in your answer (apiVersion networking.istio.io/v1, kind VirtualService).':
        '답에 VirtualService가 없습니다(apiVersion networking.istio.io/v1, kind VirtualService).',
    'edit the VirtualService istioinaction/httpbin (the same name and namespace), so that kubectl apply replaces it.':
        'kubectl apply가 기존 것을 바꿔 쓰도록 VirtualService istioinaction/httpbin(같은 이름과 네임스페이스)을 고치세요.',
    'sleep -> {0} is {1}.': 'sleep -> {0}은(는) {1}입니다.',
    'a destination names subset {0}, which no DestinationRule defines: Envoy has no such cluster.':
        '목적지가 subset {0}을(를) 가리키지만 이 subset을 정의한 DestinationRule이 없습니다. Envoy에는 그런 클러스터가 없습니다.',
    'The subsets are v1 and v2 (data/next/destinationrule.yaml).': 'subset은 v1과 v2입니다(data/next/destinationrule.yaml).',
    'sleep -> {0} goes {1}: v2 gets {2} %.': 'sleep -> {0}의 분배: {1}. v2가 {2}%를 받습니다.',
    'Give the route two destinations: subset v1 with weight 90 and subset v2 with weight 10.':
        '라우트에 목적지 두 개를 주세요. subset v1에 weight 90, subset v2에 weight 10입니다.',
    'every request goes 90 % to v1 and 10 % to v2: {0}.': '모든 요청이 v1에 90%, v2에 10%씩 나뉩니다: {0}.',
    'Envoy picks the cluster of each request by weight (weighted clusters); check names the heaviest as the cluster and lists the split.':
        'Envoy는 요청마다 weight에 따라 클러스터를 고릅니다(weighted clusters). check는 가장 무거운 쪽을 클러스터로 표시하고 분배 전체를 함께 보여 줍니다.',
    "with {0} sleep's canary request still goes to {1}.": '{0}을(를) 넣어도 sleep의 canary 요청은 여전히 {1}(으)로 갑니다.',
    'The VirtualService httpbin-canary is defined in namespace mesh-routes: the namespace part of an egress host is where the configuration is defined (notebook 04).':
        'VirtualService httpbin-canary는 네임스페이스 mesh-routes에 정의되어 있습니다. egress 호스트의 네임스페이스 부분은 설정이 정의된 곳입니다(노트북 04).',
    'the canary route applies, but the entry imports much more than it.': 'canary 라우트는 적용되지만, 이 항목은 그보다 훨씬 많은 것을 가져옵니다.',
    "{0} imports the VirtualService mesh-routes/httpbin-canary: sleep's canary request goes to {1}.":
        '{0}이(가) VirtualService mesh-routes/httpbin-canary를 가져옵니다. sleep의 canary 요청은 {1}(으)로 갑니다.',
    'A Sidecar imports a VirtualService as it imports a service: by the namespace it is defined in and its hosts. Without it, the proxy has the service but none of its routes (istio/istio#40620).':
        'Sidecar는 서비스를 가져올 때와 똑같이 VirtualService도 그것이 정의된 네임스페이스와 hosts로 가져옵니다. 가져오지 않으면 프록시에는 서비스만 있고 그 라우트는 하나도 없습니다(istio/istio#40620).',
}


_PATTERNS: list[tuple[re.Pattern, str]] = []


def _loc(text: str) -> str:
    """``text`` (an English sentence a check wrote) in the language in force: the template it was made from is
    found in the catalog, and the same values are put in the translation."""
    lang = get_language()
    if lang == "en" or not isinstance(text, str):
        return text
    if not _PATTERNS:
        import string

        for english, korean in sorted(_KO.items(), key=lambda kv: -len(re.sub(r"\{\d+\}", "", kv[0]))):
            regex = "".join(re.escape(literal) + ("(.*?)" if field is not None else "")
                            for literal, field, _, _ in string.Formatter().parse(english))
            _PATTERNS.append((re.compile(regex, re.S), korean))
    for pattern, korean in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return fill(korean, lang, *found.groups())
    return text


def _t(key: str, **params: Any) -> str:
    """A feedback text in the language in force (English when it has no translation)."""
    lang = get_language()
    template = _TEXT.get(lang, {}).get(key) or _TEXT["en"][key]
    return fill(template, lang, **params) if params else template

_VERDICTS = ("ROUTED", "PASSTHROUGH", "BLOCKED", "DIRECT", "DNS_FAILURE")


# ---------------------------------------------------------------------------------------------
# Feedback


@dataclass(frozen=True, repr=False)
class Feedback:
    """The answer to a check: ``ok``, a one-line ``message``, and ``details`` (why, or hints).

    It is truthy when the answer is right, prints as text, and renders as a small box in a notebook. Its
    ``state`` is ``"ok"`` (✔, green), ``"hint"`` (✘, orange: an answer that is not right yet) or ``"todo"``
    (✎, neutral: the exercise's starting answer, untouched: the learner's turn, never an error). The colour is
    never the only signal: the text starts with the glyph and its word.
    """

    ok: bool
    message: str
    details: tuple[str, ...] = ()
    exercise: str = ""
    todo: bool = False

    def __bool__(self) -> bool:
        return self.ok

    @property
    def state(self) -> str:
        return "ok" if self.ok else "todo" if self.todo else "hint"

    @property
    def glyph(self) -> str:
        return {"ok": _OK, "hint": _NO, "todo": _TODO}[self.state]

    def text(self) -> str:
        head = f"{self.glyph} {self.message}"
        return "\n".join([head] + [f"  - {d}" for d in self.details])

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour, edge = _STYLE[self.state]
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        body = f"<ul style='margin:0.3em 0 0 0'>{items}</ul>" if items else ""
        return (f"<div class='sidecar-lab-feedback' data-state='{self.state}' style='border-left:4px solid {edge};"
                f"background:{colour};padding:0.5em 0.8em;color:#1A1A1A;line-height:1.4'>"
                f"<b>{self.glyph} {html.escape(self.message)}</b>{body}</div>")


#: state -> (background, edge): green for right, orange for not yet, a neutral blue-grey for "your turn".
_STYLE = {"ok": ("#E6F4EF", "#009E73"), "hint": ("#FDF0E6", "#D55E00"), "todo": ("#EEF2F6", "#7A8B99")}


def _ok(message: str, *details: str) -> Feedback:
    return Feedback(True, _loc(message), tuple(_loc(d) for d in details if d))


def _hint(message: str, *details: str) -> Feedback:
    return Feedback(False, _t("not-yet", message=_loc(message)), tuple(_loc(d) for d in details if d))


def _your_turn(fb: Feedback) -> Feedback:
    """The feedback on an untouched starting answer: the same guidance, in the neutral "your turn" state."""
    message = fb.message
    prefix = _t("not-yet", message="")
    if message.startswith(prefix):
        message = message[len(prefix):]
    return dataclasses.replace(fb, ok=False, todo=True, message=_t("your-turn", message=message))


def hint_text(hint: str | None, lang: str | None = None) -> str | None:
    """The hint we add after one of Istio's admission messages, in ``lang`` (default: the language in force).
    Istio's message itself stays as Istio and kubectl print it.

    >>> hint_text('did you mean "default/httpbin.default.svc.cluster.local"?', "ko")
    '혹시 "default/httpbin.default.svc.cluster.local"을 쓰려던 것인가요?'
    """
    if not hint:
        return hint
    with using_language(lang):
        return _loc(hint)


def message_text(m: Any) -> str:
    """One admission message as a line: ``field: message (hint)``, the field said once (the CRD's own messages
    start with the field path already, as the API server prints them); the hint in the language in force.

    >>> from sidecar_lab.core.validation import validate_sidecar
    >>> message_text(validate_sidecar({"outboundTrafficPolicy": {"mode": "ALLOW"}}, "x")[0])
    'spec.outboundTrafficPolicy.mode: Unsupported value: "ALLOW": supported values: "REGISTRY_ONLY", "ALLOW_ANY"'
    """
    text = m.message[len(m.field) + 2:] if m.message.startswith(f"{m.field}: ") else m.message
    return f"{m.field}: {text}" + (f" ({hint_text(m.hint)})" if m.hint else "")


def _norm_word(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    return re.sub(r"[\s\-]+", "_", answer.strip().upper())


# ---------------------------------------------------------------------------------------------
# Predict, then reveal


def reveal(prediction: Any, result: Any) -> Feedback:
    """Compare a predicted verdict (``"ROUTED"``, ``"PASSTHROUGH"``, ``"BLOCKED"``...) with a
    :class:`~sidecar_lab.core.results.RequestResult`, and say why the simulator decided as it did.

    Without a prediction nothing is revealed: the answer stays hidden (a neutral "your turn"), so running
    every cell never spoils it. The notebooks use the clickable :class:`~sidecar_lab.course.widgets.PredictReveal`.
    """
    try:
        actual = result.verdict.value
        why = result.explanation()
        sees = result.client_sees_text()
    except AttributeError:
        return _hint(_t("reveal-needs-result"))
    guess = _norm_word(prediction)
    if guess not in _VERDICTS:
        return Feedback(False, _t("your-turn", message=_t("predict-first", choices=", ".join(_VERDICTS[:3]))),
                        todo=True)
    details = [f"curl: {sees}"] + [f"{i}. {w}" for i, w in enumerate(why, 1)]
    if guess == actual:
        return _ok(_t("predicted-right", actual=actual), *details)
    return Feedback(False, _t("predicted-wrong", guess=guess, actual=actual), tuple(details))
