"""The notebook widgets, headless: build each one, drive its controls by setting ``.value``, read its outputs.

No kernel and no browser: ipywidgets objects work without a front end, the figure is PNG bytes in an
``Image`` and the table, YAML and messages are HTML strings.
"""

import html
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from sidecar_lab.course import figures  # noqa: E402
from sidecar_lab.course.scenario import SEED_TARGETS, Scenario  # noqa: E402
from sidecar_lab.course.widgets import (  # noqa: E402
    DEFAULT_TARGETS, PrecedenceExplorer, PredictReveal, Question, ReachabilityExplorer, YamlPlayground,
)

GOOGLE, GOOGLE_TLS = "http://google.com", "https://google.com"
HTTPBIN_HERE, HTTPBIN_DEFAULT = "http://httpbin.istioinaction:8000/ip", "http://httpbin.default:8000/ip"


def png(widget) -> bytes:
    return bytes(widget.image.value)


def verdicts(explorer) -> dict:
    return {r.target.target: r.verdict.value for r in explorer.results}


def table_verdicts(html: str) -> dict:
    """What the table says, read back from its rows (not from the results)."""
    return dict(re.findall(r'<tr data-target="([^"]+)" data-verdict="([A-Z_]+)"', html))


def set_controls(explorer, changes):
    for name, value in changes:
        if name == "workload":
            explorer.workload_picker.value = value
        else:
            level, field = name.split(".")
            getattr(explorer.controls[level], field).value = value


# -- PrecedenceExplorer ------------------------------------------------------------------------

SITUATIONS = [
    # situation, start step, control changes, governing Sidecar (None: built-in default), expected verdicts
    ("enabling the namespace Sidecar with ALLOW_ANY lets google through", "02-root-registry-only",
     [("namespace.enabled", True), ("namespace.mode", "ALLOW_ANY")], "istioinaction/default",
     {GOOGLE: "PASSTHROUGH", GOOGLE_TLS: "PASSTHROUGH", HTTPBIN_HERE: "ROUTED"}),
    ("limiting the workload Sidecar's hosts to istioinaction/* blocks httpbin.default", "05-workload-allow-any",
     [("workload.mode", "REGISTRY_ONLY"), ("workload.hosts", "istioinaction/*")], "istioinaction/workload",
     {HTTPBIN_DEFAULT: "BLOCKED", HTTPBIN_HERE: "ROUTED", GOOGLE: "BLOCKED"}),
    ("the same hosts under ALLOW_ANY are not a firewall: httpbin.default passes through", "05-workload-allow-any",
     [("workload.hosts", "istioinaction/*")], "istioinaction/workload",
     {HTTPBIN_DEFAULT: "PASSTHROUGH", GOOGLE: "PASSTHROUGH"}),
    ("switching the root default on blocks google for a namespace with no Sidecar", "01-no-sidecar",
     [("root.enabled", True)], "istio-system/default", {GOOGLE: "BLOCKED", GOOGLE_TLS: "BLOCKED"}),
    ("switching every Sidecar off leaves the built-in default", "06-workload-hosts",
     [("workload.enabled", False), ("namespace.enabled", False), ("root.enabled", False)], None,
     {GOOGLE: "PASSTHROUGH", HTTPBIN_DEFAULT: "ROUTED"}),
    ("a workload Sidecar with mode unset takes the mesh mode, not the namespace's", "05-workload-allow-any",
     [("workload.hosts", "*/*"), ("workload.mode", "")], "istioinaction/workload", {GOOGLE: "PASSTHROUGH"}),
    ("unsetting the workload Sidecar's only setting leaves an empty spec Istio refuses", "05-workload-allow-any",
     [("workload.mode", "")], "istioinaction/default", {GOOGLE: "BLOCKED"}),
]


@pytest.mark.parametrize("situation,step,changes,winner,expected", SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_precedence_explorer_redraws_when_a_control_changes(situation, step, changes, winner, expected):
    ex = PrecedenceExplorer(step)
    image_before, table_before = png(ex), ex.table.value
    set_controls(ex, changes)
    assert ex.error is None
    got = str(ex.resolution.sidecar) if ex.resolution.sidecar else None
    assert got == winner
    assert {t: verdicts(ex)[t] for t in expected} == expected
    assert {t: table_verdicts(ex.table.value)[t] for t in expected} == expected
    assert png(ex) != image_before and png(ex).startswith(b"\x89PNG")
    assert ex.table.value != table_before
    assert ex.figure is not None
    if winner is not None:
        assert winner in figures.alt_text(ex.figure)


def test_the_table_shows_envoys_path_what_curl_prints_and_why():
    ex = PrecedenceExplorer("06-workload-hosts")
    row = re.search(r'<tr data-target="http://httpbin.default:8000/ip".*?</tr>', ex.table.value, re.S).group(0)
    row = row.replace("<wbr>", "")  # the line-break opportunities of identifiers
    result = next(r for r in ex.results if r.target.target == HTTPBIN_DEFAULT)
    assert "X BLOCKED" in row  # glyph and word
    assert "0.0.0.0_8000 → block_all → —" in row
    assert "curl prints nothing" in row
    for sentence in result.explanation():
        assert html.escape(sentence) in row


def test_the_yaml_shows_the_sidecars_as_they_now_stand_ready_for_kubectl_apply():
    ex = PrecedenceExplorer("05-workload-allow-any")
    set_controls(ex, [("workload.mode", "REGISTRY_ONLY"), ("workload.hosts", "istioinaction/*, istio-system/*"),
                      ("root.enabled", False)])
    docs = list(yaml.safe_load_all(ex.yaml_text))
    assert docs == ex.scenario.sidecar_manifests()
    assert [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in docs] == [
        "istioinaction/default", "istioinaction/workload"]
    assert docs[1]["spec"]["egress"] == [{"hosts": ["istioinaction/*", "istio-system/*"]}]
    assert docs[1]["spec"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    assert "istioinaction/*" in ex.yaml_view.value and "<pre" in ex.yaml_view.value


def test_with_every_sidecar_off_the_yaml_is_a_comment_that_parses_to_nothing():
    ex = PrecedenceExplorer("01-no-sidecar")
    assert [d for d in yaml.safe_load_all(ex.yaml_text) if d is not None] == []
    assert ex.yaml_text.startswith("#")


def test_a_bad_host_in_a_control_shows_istios_message_instead_of_a_crash():
    ex = PrecedenceExplorer("05-workload-allow-any")
    ex.controls["workload"].hosts.value = "httpbin"
    assert ex.error is None
    assert "host must be of form namespace/dnsName" in ex.messages.value
    assert "spec.egress[0].hosts[0]" in ex.messages.value and "E15" in ex.messages.value
    outcomes = {str(c.sidecar): c.outcome for c in ex.resolution.candidates}
    assert outcomes["istioinaction/workload"] == "rejected"
    assert str(ex.resolution.sidecar) == "istioinaction/default"


def test_a_malformed_destination_is_a_message_in_the_table():
    ex = PrecedenceExplorer("02-root-registry-only")
    ex.targets_box.value = "http://google.com\nftp://example.com"
    assert ex.error is None
    assert list(verdicts(ex)) == [GOOGLE]
    assert "malformed target" in ex.table.value and "ftp://example.com" in ex.table.value


def test_the_workload_picker_shows_another_workloads_view():
    ex = PrecedenceExplorer("05-workload-allow-any")
    assert ex.resolution.scope == "workload"
    before = png(ex)
    ex.workload_picker.value = "istioinaction/httpbin"  # run=sleep does not match it
    assert ex.resolution.scope == "namespace" and str(ex.resolution.sidecar) == "istioinaction/default"
    assert {r.source.name for r in ex.results} == {"httpbin"}
    assert png(ex) != before


def test_the_step_picker_loads_that_steps_sidecars_into_the_controls():
    ex = PrecedenceExplorer()
    assert ex.step_picker.value == "01-no-sidecar"
    ex.step_picker.value = "06-workload-hosts"
    assert [ex.controls[lv].enabled.value for lv in ("root", "namespace", "workload")] == [True, True, True]
    assert ex.controls["workload"].hosts.value == "istioinaction/*"
    assert ex.controls["workload"].mode.value == "REGISTRY_ONLY"
    assert verdicts(ex)[HTTPBIN_DEFAULT] == "BLOCKED"


def test_switching_to_korean_changes_labels_and_explanations_and_back():
    ex = PrecedenceExplorer("02-root-registry-only")
    english_table, english_png = ex.table.value, png(ex)
    ex.lang_picker.value = "ko"
    assert ex.error is None
    assert "출발지" in ex.table.value and "차단(BLOCKED)" in ex.table.value
    result = next(r for r in ex.results if r.target.target == GOOGLE)
    assert html.escape(result.explanation("ko")[0]) in ex.table.value
    assert ex.controls["root"].enabled.description == "적용"
    assert ex.workload_picker.description == "워크로드"
    assert "어떤 Sidecar" in ex.title.value
    assert ex.controls["root"].mode.value == "REGISTRY_ONLY"  # relabelling kept every setting
    if figures.hangul_font() is None:
        assert "한글 글꼴" in ex.messages.value  # the figure falls back to English and says so
    else:
        assert png(ex) != english_png
    ex.lang_picker.value = "en"
    assert ex.table.value == english_table


def test_the_explorer_takes_the_learners_own_manifests():
    own = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: cart, namespace: shop, labels: {app: cart}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: cart, namespace: shop}
        spec:
          workloadSelector: {labels: {app: cart}}
          outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        """)
    ex = PrecedenceExplorer(own, workload="shop/cart", targets=["http://example.com"])
    assert ex.error is None and ex.step_picker.layout.display == "none"
    assert ex.controls["workload"].enabled.value is True
    assert verdicts(ex) == {"http://example.com": "BLOCKED"}
    ex.controls["workload"].mode.value = "ALLOW_ANY"
    assert verdicts(ex) == {"http://example.com": "PASSTHROUGH"}


def test_the_levels_of_the_learners_manifests_are_found_for_the_picked_workload():
    own = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: cart, namespace: shop, labels: {app: cart}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: web-only, namespace: shop}
        spec:
          workloadSelector: {labels: {app: web}}
          outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        """)
    for_web = PrecedenceExplorer(own, workload="shop/web", targets=["http://example.com"])
    assert for_web.scenario.level("workload").ref == "shop/web-only" and for_web.workload == "shop/web"
    assert verdicts(for_web) == {"http://example.com": "BLOCKED"}
    by_default = PrecedenceExplorer(own, targets=["http://example.com"])  # no istioinaction/sleep here
    assert by_default.workload == "shop/cart" and by_default.scenario.level("workload").ref == "shop/cart"
    assert by_default.controls["workload"].enabled.value is False


def test_set_scenario_swaps_in_another_scenario_and_its_controls():
    ex = PrecedenceExplorer("01-no-sidecar")
    ex.set_scenario(Scenario.seed("04-namespace-registry-only"))
    assert ex.step_picker.value == "04-namespace-registry-only" and ex.controls["namespace"].enabled.value
    assert verdicts(ex)[GOOGLE] == "BLOCKED"
    ex.set_scenario(Scenario.seed("01-no-sidecar").with_level("workload", enabled=True, mode="REGISTRY_ONLY"))
    assert ex.resolution.scope == "workload" and verdicts(ex)[GOOGLE] == "BLOCKED"


def test_an_explorer_displays_itself_as_its_widget():
    ex = PrecedenceExplorer(Scenario.seed("03-namespace-allow-any"))
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert ex.image in ex.widget.children and ex.table in ex.widget.children
    assert list(DEFAULT_TARGETS) == list(SEED_TARGETS) == ex.targets


# -- ReachabilityExplorer ----------------------------------------------------------------------

def matrix_cell(html: str, source: str, column: int) -> str:
    row = re.search(rf'<tr data-source="{re.escape(source)}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'data-verdict="([A-Z_]+)"', row)[column]


def test_reachability_matrix_follows_the_workload_sidecar_toggle():
    ex = ReachabilityExplorer("06-workload-hosts", targets=[HTTPBIN_DEFAULT, HTTPBIN_HERE, GOOGLE])
    assert ex.sources == ["default/httpbin", "istio-system/istio-ingressgateway", "istio-system/istiod",
                          "istioinaction/httpbin", "istioinaction/sleep"]
    sleep = ex.sources.index("istioinaction/sleep")
    assert [r.verdict.value for r in ex.cells[sleep]] == ["BLOCKED", "ROUTED", "BLOCKED"]
    assert matrix_cell(ex.table.value, "istioinaction/sleep", 0) == "BLOCKED"
    before = png(ex)
    ex.controls["workload"].enabled.value = False  # the namespace Sidecar (REGISTRY_ONLY, */*) governs
    assert [r.verdict.value for r in ex.cells[sleep]] == ["ROUTED", "ROUTED", "BLOCKED"]
    assert matrix_cell(ex.table.value, "istioinaction/sleep", 0) == "ROUTED"
    assert png(ex) != before
    assert "istioinaction/workload" not in ex.yaml_text


def test_reachability_by_default_covers_every_service_port_and_the_external_hosts():
    ex = ReachabilityExplorer()
    assert "http://httpbin.default:8000" in ex.target_list and GOOGLE in ex.target_list
    assert len(ex.results) == len(ex.sources) * len(ex.target_list)
    gateway = ex.sources.index("istio-system/istio-ingressgateway")
    assert {r.verdict.value for r in ex.cells[gateway]} == {"DIRECT"}  # gateways ignore Sidecars


# -- YamlPlayground ----------------------------------------------------------------------------

PLAYGROUND = textwrap.dedent("""\
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata:
      name: workload
      namespace: istioinaction
    spec:
      workloadSelector:
        labels:
          run: sleep
      outboundTrafficPolicy:
        mode: REGISTRY_ONLY
      egress:
      - hosts:
        - istioinaction/*
    """)


def test_the_playground_simulates_what_is_typed():
    pg = YamlPlayground(PLAYGROUND)
    assert pg.error is None and "Istio admits every Sidecar" in pg.messages.value
    assert verdicts(pg)[HTTPBIN_DEFAULT] == "BLOCKED" and verdicts(pg)[HTTPBIN_HERE] == "ROUTED"
    before = png(pg)
    pg.editor.value = PLAYGROUND.replace("REGISTRY_ONLY", "ALLOW_ANY")
    assert verdicts(pg)[HTTPBIN_DEFAULT] == "PASSTHROUGH"
    assert table_verdicts(pg.table.value)[HTTPBIN_DEFAULT] == "PASSTHROUGH"
    assert png(pg) != before


PLAYGROUND_MISTAKES = [
    # situation, (old, new), Istio's message, rule, line
    ("a host without a namespace", ("- istioinaction/*", "- httpbin"), "host must be of form namespace/dnsName",
     "E15", 14),
    ("a short name", ("- istioinaction/*", "- istioinaction/httpbin"), "short names (non FQDN) are not allowed",
     "E18", 14),
    ("a misspelt field", ("  egress:", "  egres:"), 'unknown field "spec.egres"', "UNKNOWN", 12),
    ("nothing but a selector", ("  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n  egress:\n  - hosts:\n"
                                "    - istioinaction/*\n", ""), "sidecar: empty configuration provided", "T4", 6),
]


@pytest.mark.parametrize("situation,edit,message,rule,line", PLAYGROUND_MISTAKES,
                         ids=[m[0] for m in PLAYGROUND_MISTAKES])
def test_the_playground_shows_istios_message_where_the_mistake_is(situation, edit, message, rule, line):
    pg = YamlPlayground(PLAYGROUND)
    text = PLAYGROUND.replace(*edit)
    assert text != PLAYGROUND
    pg.editor.value = text
    assert pg.error is None
    shown = html.unescape(pg.messages.value)
    assert message in shown and f"[{rule}]" in shown and f"line {line}:" in shown
    assert "kubectl apply would refuse it" in shown
    refused = {str(c.sidecar): c.outcome for c in pg.resolution.candidates}
    assert refused["istioinaction/workload"] == "rejected"


def test_invalid_yaml_in_the_playground_is_a_message_with_its_line_not_an_exception():
    pg = YamlPlayground(PLAYGROUND)
    good_png, good_results = png(pg), pg.results
    pg.editor.value = PLAYGROUND.replace("  egress:\n", "  egress: [\n")
    assert pg.error is None
    assert pg.yaml_error is not None and pg.yaml_error.startswith("playground.yaml:")
    assert re.search(r"playground\.yaml:\d+: invalid YAML", pg.messages.value)
    assert png(pg) == good_png and pg.results == good_results  # the last readable YAML stays on show
    pg.editor.value = PLAYGROUND
    assert pg.yaml_error is None and "Istio admits" in pg.messages.value


def test_a_wrong_type_in_the_playground_names_the_line_and_field():
    pg = YamlPlayground(PLAYGROUND.replace("  - hosts:\n    - istioinaction/*\n", "  - hosts: istioinaction/*\n"))
    assert pg.error is None
    assert "playground.yaml:13: spec.egress[0].hosts: expected a list, got a string" in pg.messages.value


def test_the_playground_adds_the_yaml_to_any_base():
    pg = YamlPlayground(PLAYGROUND.replace("REGISTRY_ONLY", "ALLOW_ANY").replace("- istioinaction/*", "- ./*"),
                        base="02-root-registry-only", targets=[GOOGLE])
    assert str(pg.resolution.sidecar) == "istioinaction/workload"
    outcomes = {str(c.sidecar): c.outcome for c in pg.resolution.candidates}
    assert outcomes["istio-system/default"] == "shadowed"
    assert verdicts(pg) == {GOOGLE: "PASSTHROUGH"}


# -- PredictReveal: click a choice to commit; the answer appears only then ----------------------------------

QUESTIONS = [("02-root-registry-only", "istioinaction/sleep", GOOGLE),
             ("06-workload-hosts", "istioinaction/sleep", HTTPBIN_DEFAULT)]


def click(quiz, verdict):
    """Click the button of ``verdict``, as a learner does."""
    button = next(b for b in quiz.buttons if b.tooltip == verdict)
    button.click()


@pytest.fixture(autouse=True)
def learners_default(monkeypatch):
    """Each test starts as a learner's kernel does: answers hidden, no class vote."""
    from sidecar_lab.course import classroom

    monkeypatch.delenv(classroom.REVEAL_ENV, raising=False)
    monkeypatch.delenv(classroom.VOTE_ENV, raising=False)
    classroom.reset()
    yield
    classroom.reset()


def test_nothing_is_revealed_until_a_choice_is_clicked():
    quiz = PredictReveal(QUESTIONS)
    assert quiz.feedback.value == "" and not quiz.revealed and quiz.result is None
    assert "sidecar-lab-your-turn" in quiz.status.value and "✘" not in quiz.status.value
    shown = quiz.question_view.value + quiz.status.value + quiz.messages.value
    assert "BLOCKED" not in shown.replace("X BLOCKED", "")  # no verdict word anywhere but on its button
    assert [b.tooltip for b in quiz.buttons] == ["ROUTED", "PASSTHROUGH", "BLOCKED"]  # the three of the text


def test_a_click_on_the_right_choice_reveals_the_verdict_and_its_reason():
    quiz = PredictReveal(QUESTIONS)
    click(quiz, "BLOCKED")
    assert quiz.score == (1, 1) and quiz.revealed
    assert 'data-correct="true"' in quiz.feedback.value and 'class="sidecar-lab-answer"' in quiz.feedback.value
    assert "X BLOCKED" in quiz.feedback.value
    assert html.escape(quiz.result.explanation()[-1]) in quiz.feedback.value
    assert png(quiz).startswith(b"\x89PNG") and quiz.image.layout.display == ""
    assert all(b.disabled for b in quiz.buttons)  # committed
    assert quiz.status.value == ""


def test_a_wrong_click_counts_but_does_not_score():
    quiz = PredictReveal(QUESTIONS)
    assert quiz.pick("BLOCKED") is True
    quiz.next_button.click()
    assert quiz.index == 1 and quiz.feedback.value == "" and quiz.picked is None
    click(quiz, "ROUTED")
    assert quiz.score == (1, 2)
    assert "you said" in quiz.feedback.value and 'data-answer="BLOCKED"' in quiz.feedback.value
    assert "Score: 1 of 2" in quiz.score_view.value


def test_clicking_again_after_committing_changes_nothing():
    quiz = PredictReveal(QUESTIONS)
    quiz.pick("BLOCKED")
    quiz.pick("ROUTED")
    assert quiz.score == (1, 1) and quiz.picked == "BLOCKED"


def test_the_facilitator_reveals_every_prediction_at_once():
    from sidecar_lab.course import classroom

    first, second = PredictReveal(QUESTIONS[:1]), PredictReveal(QUESTIONS[1:])
    assert classroom.reveal_all() >= 2  # these two, and any other of this kernel
    assert first.revealed and second.revealed and 'data-answer="BLOCKED"' in second.feedback.value
    assert first.score == (0, 0)  # nobody's prediction was scored
    later = PredictReveal(QUESTIONS[:1])  # made after the call: revealed at once
    assert later.revealed and "The answer:" in later.feedback.value


def test_the_reveal_setting_comes_from_the_environment_too(monkeypatch):
    from sidecar_lab.course import classroom

    monkeypatch.setenv(classroom.REVEAL_ENV, "1")
    assert PredictReveal(QUESTIONS[:1]).revealed


def test_a_class_vote_tallies_clicks_and_reveals_only_on_reveal():
    from sidecar_lab.course import classroom

    classroom.class_vote()
    quiz = PredictReveal(QUESTIONS[:1])
    for verdict in ("BLOCKED", "BLOCKED", "PASSTHROUGH"):
        click(quiz, verdict)
    assert not quiz.revealed and quiz.feedback.value == "" and quiz.votes == {"BLOCKED": 2, "PASSTHROUGH": 1}
    assert "3 so far" in quiz.status.value
    assert [b.description for b in quiz.buttons][2].endswith("· 2")
    quiz.reveal_button.click()
    assert quiz.revealed and "sidecar-lab-votes" in quiz.feedback.value and "(3)" in quiz.feedback.value
    assert quiz.score == (0, 0)


def test_the_default_questions_are_the_seed_walkthroughs_requests():
    quiz = PredictReveal()
    assert len(quiz.questions) == 11
    assert quiz.questions[0] == Question("01-no-sidecar", "istioinaction/sleep", HTTPBIN_HERE,
                                         "kubectl exec -n istioinaction sleep -c sleep -- curl -s "
                                         "http://httpbin.istioinaction:8000/ip")
    assert "curl -s http://httpbin.istioinaction:8000/ip" in quiz.question_view.value


def test_a_question_shows_the_command_as_the_lab_ran_it():
    quiz = PredictReveal([("02-root-registry-only", "istioinaction/sleep", GOOGLE)])
    assert "-- curl http://google.com" in quiz.question_view.value  # the blog ran it without -s
    own = PredictReveal([("06-workload-hosts", "istioinaction/httpbin", GOOGLE)])  # not a request of the lab
    assert "kubectl exec -n istioinaction httpbin -- curl http://google.com" in own.question_view.value


def test_the_quiz_speaks_korean_after_the_reveal_too():
    quiz = PredictReveal(QUESTIONS)
    quiz.pick("PASSTHROUGH")
    quiz.lang_picker.value = "ko"
    assert "아쉽네요" in quiz.feedback.value and "점수" in quiz.score_view.value
    assert html.escape(quiz.result.explanation("ko")[0]) in quiz.feedback.value
    assert [b.description for b in quiz.buttons][2] == "X 차단(BLOCKED)"


def test_the_widgets_follow_the_language_in_force_and_can_still_switch(monkeypatch):
    import sidecar_lab as sl

    monkeypatch.setattr("sidecar_lab.core.messages._chosen", [])
    sl.set_language("ko")
    try:
        quiz, explorer = PredictReveal(QUESTIONS[:1]), PrecedenceExplorer("02-root-registry-only")
        assert quiz.lang == explorer.lang == "ko" and "여러분 차례" in quiz.status.value
        assert "출발지" in explorer.table.value
        explorer.lang_picker.value = "en"
        assert "source" in explorer.table.value
        assert PrecedenceExplorer("02-root-registry-only", lang="en").lang == "en"
    finally:
        sl.set_language("en")


def test_a_quiz_question_can_be_any_scenario():
    scenario = Scenario.seed("01-no-sidecar").with_level("workload", enabled=True, mode="REGISTRY_ONLY")
    quiz = PredictReveal([Question(scenario, "istioinaction/sleep", GOOGLE_TLS)])
    assert quiz.pick("BLOCKED") is True
    assert "BlackHoleCluster" in quiz.feedback.value.replace("<wbr>", "")


# -- predictions beyond a verdict: a request with headers, the same request under two releases ---------------

V2 = "outbound|8000|v2|httpbin.istioinaction.svc.cluster.local"
TRAILING_DOT = "http://httpbin.default.svc.cluster.local.:8000/ip"


def test_a_request_prediction_with_a_header_names_the_cluster_only_after_a_click():
    from sidecar_lab.course import exercises as ex, predict

    p = predict.request(ex.next_simulator("virtualservice.yaml"), "istioinaction/sleep", HTTPBIN_HERE,
                        [V2, "NO_ROUTE"], headers=["x-canary: true"])
    assert p.feedback.value == "" and "sidecar-lab-your-turn" in p.status.value
    assert "-H &#x27;x-canary: true&#x27;" in p.question_view.value  # the curl the learner predicts
    assert p.pick(V2) is True  # the first route's header match wins over the path /ip
    shown = p.feedback.value.replace("<wbr>", "")
    assert f'data-answer="{V2}"' in shown and "route canary" in shown


def test_a_request_that_matches_no_route_is_answered_by_its_verdict():
    from sidecar_lab.course import exercises as ex, predict

    p = predict.request(ex.next_simulator("virtualservice.yaml"), "istioinaction/sleep",
                        "http://httpbin.istioinaction:8000/headers", ["ROUTED", "NO_ROUTE"])
    assert [b.tooltip for b in p.buttons] == ["ROUTED", "NO_ROUTE"] and "N NO_ROUTE" in p.buttons[1].description
    assert p.pick("ROUTED") is False and 'data-answer="NO_ROUTE"' in p.feedback.value


def test_a_release_prediction_shows_the_releases_side_by_side_the_differing_rows_marked():
    from sidecar_lab.course import exercises as ex, predict

    p = predict.across_releases(ex.seed_simulator("02"), "istioinaction/sleep", TRAILING_DOT, ("1.26", "1.27"),
                                ("ROUTED", "BLOCKED"))
    assert len(p.buttons) == 4 and p.feedback.value == ""  # every pair of verdicts; nothing before a click
    assert p.pick("BLOCKED/ROUTED") is True
    table = p.feedback.value
    assert "<th" in table and "Istio 1.26" in table and "Istio 1.27" in table
    rows = re.findall(r'<tr class="sidecar-lab-(differs|same)"><td[^>]*>(?:★ )?([^<]+)</td>', table)
    assert ("differs", "verdict") in rows and ("same", "mode") in rows and ("differs", "route") in rows
    assert "absolute_fqdn_vhost" in table and "table-layout:fixed" in table  # the rule; as wide as its cell


def test_a_release_prediction_speaks_korean():
    import sidecar_lab as sl
    from sidecar_lab.course import exercises as ex, predict

    sim = ex.apply_text("06", ex.STARTERS["fix_typo"].replace("egres:", "egress:").replace(
        '"istioinaction/*"', '"*/*"\n    - "~/*"'))
    p = predict.across_releases(sim, "istioinaction/sleep", HTTPBIN_HERE, ("1.30", "1.31"), lang="ko")
    assert "Istio 1.30: R 라우팅(ROUTED)" in p.buttons[0].description
    assert p.pick("ROUTED/BLOCKED") is True
    assert "판정" in p.feedback.value and "egress_host_exclusion" in p.feedback.value
    assert sl.get_language() == "en"


# -- packaging ---------------------------------------------------------------------------------

def test_importing_sidecar_lab_does_not_import_the_widgets():
    code = "import sys, sidecar_lab; print('sidecar_lab.course.widgets' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"


def test_the_figures_follow_the_language_in_force(monkeypatch):
    from sidecar_lab.course.scenario import Scenario as S

    res = S.seed("02-root-registry-only").simulator().resolve("istioinaction/sleep")
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["ko"])
    korean = figures.alt_text(figures.precedence_ladder(res))
    monkeypatch.setattr("sidecar_lab.core.messages._chosen", ["en"])
    english = figures.alt_text(figures.precedence_ladder(res))
    assert english != korean
    if figures.hangul_font() is not None:
        assert "사다리" in korean
    assert figures.alt_text(figures.precedence_ladder(res, lang="en")) == english
