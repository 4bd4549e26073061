"""The words the notebooks' own code prints (a table's header, a heading, how to get a cluster), in the
language in force.

A notebook's code is written once, in English, for every edition (``course/README.md``): a sentence it
prints goes through :func:`tr`, which looks its English template up here and fills the edition's
translation with the same values. Explanations of the simulator's answers are not here: they come from
the package's catalogs (``sidecar_lab.core.messages`` and the course's own).

>>> from sidecar_lab.core.messages import using_language
>>> with using_language("ko"):
...     tr("step {step}: all match", step="03-namespace-allow-any")
'단계 03-namespace-allow-any: 모두 일치'
>>> tr("step {step}: all match", step="03-namespace-allow-any")
'step 03-namespace-allow-any: all match'

``tests/test_notebooks.py`` fails when a ``tr("...")`` of the English sources has no entry in a language here.
"""

from __future__ import annotations

from typing import Any

from ..core.messages import fill, get_language

__all__ = ["tr", "WORDS"]

#: English template -> its translation, per language (English is the template itself).
WORDS: dict[str, dict[str, str]] = {"ko": {
    # 06 diagnostics: the gallery of broken configurations
    "no messages": "메시지 없음",
    "two namespace-wide Sidecars": "네임스페이스 전체 Sidecar가 두 개",
    "two selectors for one pod": "파드 하나를 고르는 셀렉터가 두 개",
    "hosts that import nothing": "아무것도 import하지 않는 hosts",
    "hosts with ALLOW_ANY": "ALLOW_ANY와 함께 쓴 hosts",
    "an empty policy": "mode가 빠진 정책",
    # 07 live cluster
    "| step | command | prediction | the blog showed |": "| 단계 | 명령 | 예측 | 블로그의 결과 |",
    "No cluster reachable: {reason}. The cells of this section need a Kubernetes cluster with Istio, which is "
    "optional: everything above works offline. To get one on your machine, install kind and istioctl, then run "
    "`kind create cluster --name istio-lab` and `istioctl install --set profile=default -y`, and run this section "
    "again from the 'Connect' cell (set SIDECAR_LAB_KUBECONFIG to use a kubeconfig other than the default one).":
        "연결할 수 있는 클러스터가 없습니다: {reason}. 이 절의 셀에는 Istio가 설치된 쿠버네티스 클러스터가 필요하지만, "
        "클러스터는 선택 사항입니다: 위의 내용은 모두 오프라인에서 동작합니다. 내 컴퓨터에 클러스터를 만들려면 kind와 "
        "istioctl을 설치하고 `kind create cluster --name istio-lab`, `istioctl install --set profile=default -y`를 "
        "실행한 뒤 '연결' 셀부터 이 절을 다시 실행하세요(기본값이 아닌 kubeconfig를 쓰려면 SIDECAR_LAB_KUBECONFIG를 "
        "설정하세요).",
    "the Connect cell did not connect": "'연결' 셀에서 클러스터에 연결하지 못했습니다",
    "The lab could not be deployed: {error}": "실습 환경을 배포하지 못했습니다: {error}",
    "step {step}: all match": "단계 {step}: 모두 일치",
    "step {step}: MISMATCH": "단계 {step}: 불일치(MISMATCH)",
    "The walkthrough stopped: {error}": "단계 진행이 멈췄습니다: {error}",
    "No walkthrough results yet: run the cells above against a cluster.":
        "아직 단계별 결과가 없습니다: 클러스터에 연결한 뒤 위의 셀을 실행하세요.",
    "| step | request | prediction | observation | match | the blog |": "| 단계 | 요청 | 예측 | 관찰 | 일치 | 블로그 |",
    "agrees": "같음",
    "differs": "다름",
    "Cleanup failed: {error} (sidecar-lab live cleanup --labelled removes what is labelled)":
        "정리하지 못했습니다: {error} (sidecar-lab live cleanup --labelled로 레이블이 붙은 것을 지울 수 있습니다)",
    "commands run:": "실행한 명령:",
    # 08 scale
    "{step:20} httpbin.default changes -> push to {proxies}": "{step:20} httpbin.default가 바뀌면 푸시 대상: {proxies}",
    # 09 routes and DestinationRules
    "route {name}": "라우트 {name}",
}}


def tr(template: str, /, **values: Any) -> str:
    """``template`` (English, with ``{name}`` fields) in the language in force, filled with ``values``
    (English when the language has no entry for it)."""
    lang = get_language()
    text = WORDS.get(lang, {}).get(template, template)
    return fill(text, lang, **values) if values else text
