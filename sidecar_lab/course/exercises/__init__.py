"""The course's exercise checks: the learner's answer in, friendly feedback out.

Every ``check_*`` function takes what a learner wrote in a notebook (the YAML of a
Sidecar or a ServiceEntry, a verdict, a Sidecar's name, a number...), runs the
simulator on the seed lab with it, and **returns** a :class:`Feedback`: ``✔`` and
why when the answer does what the exercise asks, otherwise a hint of where to look.
A check never raises and never asserts: malformed input (YAML that does not
parse, a missing field, a number where a name was expected) gets a hint too.

These are pure functions (no widgets, no IPython): :class:`Feedback` shows itself
in a notebook through ``_repr_html_`` and as plain text everywhere else.

>>> fb = check_empty_policy("ALLOW_ANY")
>>> fb.ok, fb.message.startswith("Not yet")
(False, True)
>>> check_empty_policy("REGISTRY_ONLY").ok
True
>>> check_root_default("").ok   # an empty answer is a hint, not an error
False

The checks of each notebook are a module of their own (``anatomy`` for 01 ... ``routes`` for 09), on what
they share: ``feedback`` (the answer and its words), ``labs`` (the seed lab and the learner's manifests
applied to it) and ``starters`` (what each exercise cell ships, and the never-raising decorator).
"""

from __future__ import annotations

from .feedback import _KO, Feedback, hint_text, message_text, reveal  # noqa: F401 (_KO: the tests read it)
from .labs import apply_text, course_paths, seed_simulator
from .starters import _untouched, SCENARIOS, SOLUTIONS, STARTERS  # noqa: F401 (_untouched: the tests)
from .anatomy import check_fix_typo, check_fix_short_hosts, check_root_default
from .precedence import check_governing_sidecar, check_tie_break, check_keep_registry_only
from .outbound import check_curl_exit, check_empty_policy, check_open_for_sleep
from .egress import check_egress_host, check_service_entry, check_firewall_verdict
from .ingress import check_client_address, check_port_pool, check_default_endpoint
from .diagnostics import check_find_the_bug, check_analyze_code, check_root_selector_fix
from .live_cluster import check_live_prediction
from .at_scale import check_cluster_count, check_minimal_sidecar, check_push_fanout
from .routes import next_simulator, check_first_match, check_weighted_split, check_route_import

__all__ = [
    "Feedback", "STARTERS", "SCENARIOS", "SOLUTIONS", "message_text", "hint_text", "seed_simulator", "apply_text", "reveal", "course_paths",
    # 01 anatomy
    "check_fix_typo", "check_fix_short_hosts", "check_root_default",
    # 02 precedence
    "check_governing_sidecar", "check_tie_break", "check_keep_registry_only",
    # 03 outboundTrafficPolicy
    "check_curl_exit", "check_empty_policy", "check_open_for_sleep",
    # 04 egress hosts
    "check_egress_host", "check_service_entry", "check_firewall_verdict",
    # 05 ingress
    "check_client_address", "check_port_pool", "check_default_endpoint",
    # 06 diagnostics
    "check_find_the_bug", "check_analyze_code", "check_root_selector_fix",
    # 07 live
    "check_live_prediction",
    # 08 scale
    "check_cluster_count", "check_minimal_sidecar", "check_push_fanout",
    # 09 routes and DestinationRules
    "next_simulator", "check_first_match", "check_weighted_split", "check_route_import",
]
