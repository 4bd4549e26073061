"""Korean text reads as a Korean engineer writes it: a particle after a filled-in value agrees with that value
(``sleep을``, ``workload를``, ``8000으로``), never the template's two-way ``을(를)``."""

import re

import pytest

import sidecar_lab as sl
from sidecar_lab.core.korean import CONSONANT, RIEUL, VOWEL, attach_particles, final_sound
from sidecar_lab.core.messages import CATALOG, LABELS, fill, using_language
from sidecar_lab.core.render import check_text, resolution_text
from sidecar_lab.core.resources import data_dir
from sidecar_lab.core.results import _cached_text
from sidecar_lab.course.exercises import next_simulator, seed_simulator

STEPS = sorted(p.name for p in (data_dir() / "seed" / "steps").iterdir())
TWO_WAY = re.compile(r"을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|와\(과\)|과\(와\)|\(으\)로|\(이\)라")


@pytest.mark.parametrize("word, sound", [
    ("라우팅", CONSONANT), ("모드", VOWEL), ("파일", RIEUL),          # Hangul: the last syllable's final
    ("sleep", CONSONANT), ("httpbin", CONSONANT), ("system", CONSONANT),  # 슬립, 빈, 시스템
    ("workload", VOWEL), ("default", VOWEL), ("ROUTED", VOWEL), ("REGISTRY_ONLY", VOWEL),
    ("svc.cluster.local", RIEUL), ("google", RIEUL),                  # 로컬, 구글
    ("DNS", VOWEL), ("HTTP", VOWEL), ("SE", VOWEL), ("URL", RIEUL), ("VM", CONSONANT),  # spelled: 에스, 피, 엘, 엠
    ("8000", CONSONANT), ("10.10.0.14", VOWEL), ("1.22", VOWEL), ("1.26", CONSONANT),   # 천, 사, 이, 육
    ("503", CONSONANT), ("301", RIEUL), ("IST0110", CONSONANT),
    ("R 라우팅(ROUTED)", CONSONANT), ("'allow'", VOWEL), ("cluster.local.", RIEUL),  # skipped: (…), quotes, a dot
    ("['ns/a', 'ns/sleep']", CONSONANT),                              # a list reads as its last item
    ('`sl.compare_versions(mesh, versions=("1.26", "1.27"))`', VOWEL),  # a call reads as its name
    ("~/*", None), ("", None),                                        # nothing says how it sounds
])
def test_the_last_sound_of_a_value_read_aloud(word, sound):
    assert final_sound(word) == sound


@pytest.mark.parametrize("template, value, expected", [
    ("{0}을(를) 골랐지만", "R 라우팅(ROUTED)", "R 라우팅(ROUTED)을 골랐지만"),
    ("{0}을(를) 골랐지만", "X 차단(BLOCKED)", "X 차단(BLOCKED)을 골랐지만"),
    ("{0}을(를) 골랐지만", "workload", "workload를 골랐지만"),
    ("{0}이(가) 적용됩니다", "istioinaction/sleep", "istioinaction/sleep이 적용됩니다"),
    ("{0}이(가) 적용됩니다", "istio-system/default", "istio-system/default가 적용됩니다"),
    ("{0}은(는) 동률에서 집니다", "allow", "allow는 동률에서 집니다"),
    ("{0}(으)로 전달", "10.10.0.14:8000", "10.10.0.14:8000으로 전달"),
    ("{0}(으)로 전달", "httpbin.default.svc.cluster.local", "httpbin.default.svc.cluster.local로 전달"),
    ("{0}(으)로 전달", "PassthroughCluster", "PassthroughCluster로 전달"),
    ("{0}와(과) {1}", "ALLOW_ANY", "ALLOW_ANY와 {1}"),
    ("{0}을(를) 가져옵니다", "~/*", "~/*을(를) 가져옵니다"),  # a symbol alone: both forms stay
])
def test_a_particle_agrees_with_the_value_before_it(template, value, expected):
    assert attach_particles(template.replace("{0}", value)) == expected


def test_fill_makes_particles_agree_in_korean_only():
    assert fill("{v}을(를)", "ko", v="sleep") == "sleep을"
    assert fill("{v}을(를)", "en", v="sleep") == "sleep을(를)"  # English text is never touched
    assert fill("{0}(으)로", "ko", "8000") == "8000으로"


def test_every_korean_template_with_a_value_before_a_particle_writes_it_two_ways():
    """A value's particle cannot be fixed in a template (``{host}는`` is wrong for ...local): each one before a
    particle is written two-way, so that it is chosen once the value is known."""
    fixed = re.compile(r"\{[a-z_0-9]*\}(?:으로|을|를|이|가|은|는|와|과|로)(?=[ .,:)])")
    wrong = {key: text for table in (CATALOG["ko"], LABELS["ko"]) for key, text in table.items() if fixed.search(text)}
    assert not wrong


SCENES = [(step, (seed_simulator, step)) for step in STEPS] + [
    (f"next/{name}", (next_simulator, name)) for name in ("virtualservice.yaml", "routes-elsewhere.yaml")]
URLS = ("http://httpbin.istioinaction:8000/ip", "http://httpbin.istioinaction:8000/headers",
        "http://httpbin.istioinaction:8000/status/418", "http://httpbin.default:8000/ip",
        "http://httpbin.default.svc.cluster.local.:8000/ip", "http://google.com", "https://google.com",
        "http://10.10.0.14:8000/ip", "http://127.0.0.1:15000/")


def _lab_texts(make, arg) -> list[str]:
    sim = make(arg)
    with using_language("ko"):
        texts = [resolution_text(sim.resolve(w)) for w in sim.workloads()]
        texts += [check_text(sl.check(sim, w, url, headers=headers)) for w in sim.workloads() for url in URLS
                  for headers in (None, ["x-canary: true"])]
    return texts


@pytest.mark.parametrize("name, scene", SCENES, ids=[name for name, _ in SCENES])
def test_the_korean_explanations_of_the_course_labs_choose_every_particle(name, scene, monkeypatch):
    """What a Korean learner reads under each verdict of the seed's steps and notebook 09's routes: no two-way
    particle is left after a word (nor after a final dot)."""
    texts = _lab_texts(*scene)
    left = [m.group(0) for text in texts for m in re.finditer(r"[\w.](?:" + TWO_WAY.pattern + ")", text)]
    assert not left, left
    # The same texts as the templates write them: the labs do meet particles after values.
    monkeypatch.setattr("sidecar_lab.core.messages.attach_particles", lambda text: text)
    _cached_text.cache_clear()  # a step's text is cached per key, values and language
    raw = _lab_texts(*scene)
    _cached_text.cache_clear()
    assert any(TWO_WAY.search(text) for text in raw)
