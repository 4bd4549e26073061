"""Notebook 00's environment check: what the course needs, each missing piece with the line that fixes it.

It looks only at this Python environment and the files on this machine; it never contacts a cluster. The
words follow the language in force (``sl.set_language``).

>>> rows = check_environment(echo=False)
>>> rows[0].name, rows[0].ok
('Python', True)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass

from ..core.messages import fill, get_language

def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sidecar-lab")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        return "unknown"


__all__ = ["Requirement", "check_environment", "HANGUL_FONT_FIX"]

#: How to get a font with Hangul glyphs (the figures' Korean labels need one), on the common systems.
HANGUL_FONT_FIX = ("sudo apt-get install fonts-nanum (Debian/Ubuntu), or install Noto Sans CJK KR "
                   "(brew install --cask font-noto-sans-cjk-kr on macOS), then restart the kernel")

_TEXT = {"en": {
    "installed": "installed",
    "missing": "not installed",
    "front.ok": "installed in this environment",
    "front.missing": "not installed (widgets would show as text)",
    "front.fix": "pip install jupyterlab_widgets, then reload the browser tab",
    "python.fix": "install Python 3.10 or newer",
    "font": "Korean font (figures in 한국어)",
    "font.none": "none found",
    "kube": "kubernetes client (notebook 07 only)",
    "kubeconfig": "kubeconfig (notebook 07 only)",
    "kubeconfig.none": "no file at {path}",
    "widget.front": "widget front end",
    "ok": "ok", "MISSING": "MISSING", "optional": "optional", "fix": "fix",
    "ready": "ready for notebooks 00-06, 08 and 09",
    "not-ready": "fix the MISSING lines above first",
}, "ko": {
    "installed": "설치됨",
    "missing": "설치되지 않음",
    "front.ok": "이 환경에 설치됨",
    "front.missing": "설치되지 않음(위젯이 텍스트로만 보입니다)",
    "front.fix": "pip install jupyterlab_widgets 후 브라우저 탭을 새로 고치세요",
    "python.fix": "Python 3.10 이상을 설치하세요",
    "font": "한글 글꼴(한국어 그림)",
    "font.none": "찾지 못함",
    "kube": "kubernetes 클라이언트(07번 노트북에서만)",
    "kubeconfig": "kubeconfig(07번 노트북에서만)",
    "kubeconfig.none": "{path}에 파일이 없음",
    "widget.front": "위젯 프런트엔드",
    "ok": "정상", "MISSING": "없음", "optional": "선택", "fix": "해결",
    "ready": "00-06번, 08번, 09번 노트북을 실행할 준비가 되었습니다",
    "not-ready": "먼저 위의 '없음' 줄을 해결하세요",
}}
_FIXES_KO = {HANGUL_FONT_FIX: ("sudo apt-get install fonts-nanum(Debian/Ubuntu), 또는 Noto Sans CJK KR 설치"
                               "(macOS: brew install --cask font-noto-sans-cjk-kr) 후 커널을 다시 시작하세요")}


def _t(key: str, **params: str) -> str:
    lang = get_language()
    template = _TEXT.get(lang, {}).get(key) or _TEXT["en"][key]
    return fill(template, lang, **params) if params else template


@dataclass(frozen=True)
class Requirement:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True


def check_environment(echo: bool = True) -> list[Requirement]:
    """One :class:`Requirement` per thing the course needs; with ``echo``, print them (and a fix for each missing
    one) and whether the offline notebooks are ready."""
    rows: list[Requirement] = []
    add = lambda *a, **k: rows.append(Requirement(*a, **k))  # noqa: E731
    add("Python", sys.version_info >= (3, 10), sys.version.split()[0], _t("python.fix"))
    add("sidecar-lab", True, _version())
    if importlib.util.find_spec("ipywidgets"):
        import ipywidgets

        add("ipywidgets", True, ipywidgets.__version__)
    else:
        add("ipywidgets", False, _t("missing"), 'pip install "sidecar-lab[lab]"')
    front = importlib.util.find_spec("jupyterlab_widgets") or importlib.util.find_spec("widgetsnbextension")
    add(_t("widget.front"), bool(front), _t("front.ok") if front else _t("front.missing"), _t("front.fix"))
    mpl = importlib.util.find_spec("matplotlib")
    add("matplotlib", bool(mpl), _t("installed") if mpl else _t("missing"), 'pip install "sidecar-lab[lab]"')
    font = None
    if mpl:
        from .figures import hangul_font

        font = hangul_font()
    fix = _FIXES_KO[HANGUL_FONT_FIX] if get_language() == "ko" else HANGUL_FONT_FIX
    add(_t("font"), font is not None, font or _t("font.none"), fix, required=get_language() == "ko")
    kube = importlib.util.find_spec("kubernetes")
    add(_t("kube"), bool(kube), _t("installed") if kube else _t("missing"), 'pip install "sidecar-lab[live]"',
        required=False)
    config = os.environ.get("SIDECAR_LAB_KUBECONFIG") or os.environ.get("KUBECONFIG") or "~/.kube/config"
    found = any(os.path.isfile(os.path.expanduser(p)) for p in config.split(os.pathsep) if p)
    add(_t("kubeconfig"), found, config if found else _t("kubeconfig.none", path=config),
        "kind create cluster --name istio-lab && istioctl install --set profile=default -y", required=False)
    if echo:
        for r in rows:
            mark = _t("ok") if r.ok else (_t("MISSING") if r.required else _t("optional"))
            print(f"{mark:8} {r.name}: {r.detail}")
            if not r.ok and r.fix:
                print(f"{'':8}   {_t('fix')}: {r.fix}")
        print("\n" + (_t("ready") if all(r.ok for r in rows if r.required) else _t("not-ready")))
    return rows
