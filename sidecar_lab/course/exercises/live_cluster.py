"""The checks of notebook 07 (Live cluster)."""

from __future__ import annotations

from typing import Any

from ...core.resources import data_dir
from .feedback import Feedback, _hint, _loc, _norm_word, _ok, _VERDICTS
from .labs import seed_simulator
from .starters import _never_raises


@_never_raises
def check_live_prediction(observation_id: str, verdict: Any) -> Feedback:
    """Predict the verdict of one of the blog's requests (an ``id`` of data/seed/observations.yaml)."""
    import yaml

    from ...core.traffic import check

    observations = yaml.safe_load((data_dir() / "seed" / "observations.yaml").read_text(encoding="utf-8"))
    obs = next((o for o in observations if o.get("id") == observation_id and o.get("kind") == "request"), None)
    if obs is None:
        ids = [o["id"] for o in observations if o.get("kind") == "request"]
        return _hint(f"no request {observation_id!r} in observations.yaml.", "Known: " + ", ".join(ids))
    r = check(seed_simulator(obs["step"]), obs["from"], obs["to"])
    given = _norm_word(verdict)
    if given not in _VERDICTS:
        return _hint(f"answer with a verdict: {', '.join(_VERDICTS[:3])}.",
                     f"The request: {obs['command']} (step {obs['step']}).")
    shown = obs["observed"]
    blog = _loc("printed nothing" if shown.get("prints") == "nothing" else (
        f"printed origin {shown.get('origin')}" if shown.get("prints") == "origin" else "printed Google's 301 page"))
    if given == r.verdict.value:
        return _ok(f"{r.verdict.value} — and the blog's run {blog}.", f"client sees: {r.client_sees_text()}")
    return _hint(f"not {given} at step {obs['step']}.", f"The blog's run {blog}. Which Sidecar governs "
                 f"{obs['from']} at this step, and what is its mode?")


