"""The facilitator's switches for the predictions of the course: reveal them all, or make them class votes.

Every prediction widget (:class:`~sidecar_lab.course.widgets.PredictReveal`,
:class:`~sidecar_lab.course.predict.Prediction`) hides its answer until the learner clicks a choice, so Run
All, nbclient and Voilà never show one. A facilitator changes that in one of two ways:

* in a notebook, one call: ``from sidecar_lab.course import classroom`` then ``classroom.reveal_all()``
  (every prediction already shown, and every later one, shows its answer), or ``classroom.class_vote()``
  (every prediction becomes a class tally: each click on a choice adds a vote, and the answer appears only
  when someone presses *Reveal*);
* before the kernel starts, an environment variable: ``SIDECAR_LAB_REVEAL=1`` or ``SIDECAR_LAB_VOTE=1``
  (for example ``SIDECAR_LAB_VOTE=1 voila notebooks/en/02-precedence.ipynb`` on the projector).

Pure: no ipywidgets here, so importing it costs nothing.

>>> import os; os.environ.pop(REVEAL_ENV, None); os.environ.pop(VOTE_ENV, None)
>>> revealing(), voting()
(False, False)
>>> _ = reveal_all(); revealing()
True
>>> reset(); revealing()
False
"""

from __future__ import annotations

import os
import weakref
from typing import Any

__all__ = ["reveal_all", "class_vote", "reset", "revealing", "voting", "REVEAL_ENV", "VOTE_ENV"]

#: ``SIDECAR_LAB_REVEAL=1``: every prediction starts revealed (a facilitator's answer sheet).
REVEAL_ENV = "SIDECAR_LAB_REVEAL"
#: ``SIDECAR_LAB_VOTE=1``: every prediction is a class tally (the projector).
VOTE_ENV = "SIDECAR_LAB_VOTE"
_TRUE = ("1", "true", "yes", "on")

_state: dict[str, bool] = {}
_live: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def revealing() -> bool:
    """Whether predictions show their answers without a click (``reveal_all()`` or ``SIDECAR_LAB_REVEAL``)."""
    return _state.get("reveal", _env(REVEAL_ENV))


def voting() -> bool:
    """Whether predictions are class tallies (``class_vote()`` or ``SIDECAR_LAB_VOTE``)."""
    return _state.get("vote", _env(VOTE_ENV))


def register(widget: Any) -> None:
    """Called by every prediction widget when it is made, so the switches reach it."""
    _live.add(widget)


def reveal_all() -> int:
    """Reveal the answer of every prediction on screen, and of every one made later; returns how many changed."""
    _state["reveal"] = True
    changed = 0
    for widget in list(_live):
        if not widget.revealed:
            widget.reveal(by_facilitator=True)
            changed += 1
    return changed


def class_vote(on: bool = True) -> None:
    """Make every prediction (on screen and later) a class tally, or (``on=False``) a learner's own choice again."""
    _state["vote"] = on
    for widget in list(_live):
        widget.set_vote(on)


def reset() -> None:
    """Back to the learners' default: answers hidden until a click, no tally (the environment still counts)."""
    _state.clear()
    for widget in list(_live):
        widget.set_vote(voting())
