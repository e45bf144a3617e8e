"""What a person reads for each code an application carries: states, deficiency problems,
platform statuses, and the service item's and materials' names in the viewer's language.

Pure: message ids to translate (``N_``) and look-ups in a guide; nothing is translated here, so
the same labels serve pages, CSV files and the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.errors import N_
from hub.applications.model import STATE_LABELS, State

__all__ = [
    "NEXT_STEP",
    "PLATFORM_LABELS",
    "PROBLEM_LABELS",
    "material_name",
    "name_in",
    "state_label",
]

PROBLEM_LABELS: Mapping[str, str] = {
    "missing": N_("missing"),
    "not_checked": N_("not checked against the original"),
    "invalid": N_("not valid"),
}

# the provincial platform's statuses; ``queued``: handed to the outbox, no answer yet
PLATFORM_LABELS: Mapping[str, str] = {
    "queued": N_("waiting to be delivered to the platform"),
    "received": N_("received by the platform"),
    "in_process": N_("being processed by the department"),
    "completed": N_("concluded by the department"),
    "returned": N_("returned by the platform"),
}

# what the resident does next, by state
NEXT_STEP: Mapping[State, str] = {
    State.DRAFT: N_("The branch is preparing your application; nothing to do yet."),
    State.SUBMITTED: N_("The county office is reviewing your materials; nothing to do yet."),
    State.CORRECTION: N_("Bring or send the materials listed below to the branch, all at once."),
    State.ACCEPTED: N_("Accepted: the department will conclude by the deadline shown."),
    State.FORWARDED: N_("Accepted: the department will conclude by the deadline shown."),
    State.IN_PROCESS: N_("Accepted: the department will conclude by the deadline shown."),
    State.COMPLETED: N_("Concluded: the branch tells you how to collect the result."),
    State.REJECTED: N_("Not accepted, for the reasons below; the branch can advise you."),
}


def state_label(state: str) -> str:
    """The message id of a state (an unknown key is shown as it is, never hidden)."""
    try:
        return STATE_LABELS[State(state)]
    except ValueError:
        return state


def name_in(named: Mapping[str, Any], lang: str) -> str:
    """``name_<lang>`` of a guide or a material, English where a language is missing."""
    return str(named.get(f"name_{lang}") or named.get("name_en") or named.get("code", ""))


def material_name(guide: Mapping[str, Any], code: str, lang: str) -> str:
    for material in guide.get("materials", ()):
        if material.get("code") == code:
            return name_in(material, lang)
    return code
