"""Korean particles that agree with the word a value ends in.

A Korean template cannot know which particle follows a value it has not seen: ``{pick}을(를)`` is right for
``라우팅`` and wrong for ``sleep``. A Korean engineer writes the one that fits: ``라우팅을``, ``httpbin을``,
``workload를``. :func:`attach_particles` does that after a template is filled: each ``을(를)``, ``이(가)``,
``은(는)``, ``와(과)`` and ``(으)로`` becomes the form the sound before it calls for, read as a Korean engineer
reads it aloud (``8000으로``, ``ROUTED로``, ``local로``, ``DNS를``). A parenthesis right before the particle is
skipped (``라우팅(ROUTED)을``): the particle agrees with the word the parenthesis explains; so are quotes and
a final dot (``cluster.local.은``). Where nothing
tells the sound (an empty value, a lone symbol), both forms stay, as written.

>>> attach_particles("{0}을(를) 골랐지만".format("R 라우팅(ROUTED)"))
'R 라우팅(ROUTED)을 골랐지만'
>>> attach_particles("sleep이(가) 보냅니다, http://httpbin.default:8000(으)로")
'sleep이 보냅니다, http://httpbin.default:8000으로'
"""

from __future__ import annotations

import re

__all__ = ["attach_particles", "final_sound"]

# What the word before a particle ends in, read aloud: a vowel, the consonant ㄹ, or another consonant.
VOWEL, RIEUL, CONSONANT = "vowel", "rieul", "consonant"

# particle as templates write it -> (after a consonant, after ㄹ, after a vowel)
_FORMS = {
    "을(를)": ("을", "을", "를"),
    "를(을)": ("을", "을", "를"),
    "이(가)": ("이", "이", "가"),
    "가(이)": ("이", "이", "가"),
    "은(는)": ("은", "은", "는"),
    "는(은)": ("은", "은", "는"),
    "과(와)": ("과", "과", "와"),
    "와(과)": ("과", "과", "와"),
    "(으)로": ("으로", "로", "로"),
    "(이)라": ("이라", "이라", "라"),
}
_PARTICLE = re.compile("|".join(re.escape(p) for p in _FORMS))

# Digits as read in Korean: 영 일 이 삼 사 오 육 칠 팔 구 (10, 100, 1000 end in 십 백 천: a consonant too).
_DIGIT = {"0": CONSONANT, "1": RIEUL, "2": VOWEL, "3": CONSONANT, "4": VOWEL, "5": VOWEL, "6": CONSONANT,
          "7": RIEUL, "8": RIEUL, "9": VOWEL}
# A spelled letter (an acronym: DNS, TCP, HTTP): 엘 and 알 end in ㄹ, 엠 and 엔 in a consonant, the rest in a vowel.
_LETTER = {"l": RIEUL, "r": RIEUL, "m": CONSONANT, "n": CONSONANT}
_QUOTES = "'\"`“”‘’"


def _latin(word: str) -> str:
    """The last sound of a Latin-letter word as Korean engineers say it (sleep 슬립, local 로컬, routed 라우티드)."""
    low = word.lower()
    if (word.isupper() and len(word) <= 3) or not re.search("[aeiouy]", low):
        return _LETTER.get(low[-1], VOWEL)  # spelled letter by letter
    if low.endswith(("l", "le")):
        return RIEUL
    if low.endswith(("m", "n", "ng", "p", "b")):
        return CONSONANT
    return VOWEL


def _opening(text: str, close: int) -> int:
    """Where the parenthesis closed at ``close`` opens (-1: it does not): ``f(a, (b))`` is read as one."""
    depth = 0
    for i in range(close, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def final_sound(text: str) -> str | None:
    """How ``text`` ends when read aloud (:data:`VOWEL`, :data:`RIEUL` or :data:`CONSONANT`), or ``None`` when
    nothing in its end says (an empty text, a symbol alone)."""
    end = len(text)
    while end:
        char = text[end - 1]
        if char == ")":  # "라우팅(ROUTED)": the word before the parenthesis takes the particle
            start = _opening(text, end - 1)
            if start <= 0:
                return None
            end = start
            continue
        if char in _QUOTES or char.isspace() or char in ".]":  # "...local." reads "...local", "['a', 'b']" "b"
            end -= 1
            continue
        break
    if not end:
        return None
    char = text[end - 1]
    if "가" <= char <= "힣":
        tail = (ord(char) - ord("가")) % 28
        return VOWEL if tail == 0 else RIEUL if tail == 8 else CONSONANT
    if char in _DIGIT:
        return _DIGIT[char]
    if char.isascii() and char.isalpha():
        found = re.search("[A-Za-z]+$", text[:end])
        return _latin(found.group(0))
    return None


def attach_particles(text: str) -> str:
    """``text`` with each two-way particle (``을(를)``, ``이(가)``, ``(으)로``, ...) made to agree with the word
    before it; a particle whose word does not say how it ends keeps both forms."""
    if "(" not in text:
        return text
    out: list[str] = []
    done = 0
    for found in _PARTICLE.finditer(text):
        out.append(text[done:found.start()])
        sound = final_sound(text[:found.start()])
        forms = _FORMS[found.group(0)]
        out.append(found.group(0) if sound is None else
                   forms[0] if sound == CONSONANT else forms[1] if sound == RIEUL else forms[2])
        done = found.end()
    out.append(text[done:])
    return "".join(out)
