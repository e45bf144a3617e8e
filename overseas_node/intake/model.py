"""What the clerk checks before an application leaves the branch, as pure rules.

The guide lists the materials; the clerk's uploads fill them round by round; the hub's one-time
deficiency notice (一次性告知) says which of them must be replaced. From these the checklist
says, material by material, what stands and what is still to do, and whether the application
may go: a missing material refuses the submission unless the item allows acceptance with it
still to come (容缺受理) and the resident promised a date; an unchecked original or a material of
the notice not yet replaced is a warning the clerk must confirm, because the hub decides.

Pure: no I/O, no clock (today is given).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from common.errors import N_, Invalid

__all__ = [
    "BRANCH_STATES",
    "HUB_STATES",
    "NOTICE_PROBLEMS",
    "PROMISE_MAX_DAYS",
    "REFUSAL_MESSAGES",
    "STATUS_LABELS",
    "Line",
    "LineStatus",
    "Readiness",
    "Upload",
    "check_promises",
    "checklist",
    "expected_by",
    "latest_per_material",
    "material_name",
    "open_notice",
    "promisable",
    "readiness",
    "refusal_message",
]

PROMISE_MAX_DAYS = 30  # the furthest a resident may promise a missing material


class Upload(Protocol):
    """One material the clerk attached (a row of ``node_materials``)."""

    @property
    def material_code(self) -> str: ...
    @property
    def trust(self) -> str: ...
    @property
    def round(self) -> int: ...


U = TypeVar("U", bound=Upload)


class LineStatus(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    NOT_CHECKED = "not_checked"  # needs the original, uploaded at level C
    PROMISED = "promised"  # 容缺: the resident brings it later
    TO_REPLACE = "to_replace"  # named in the hub's notice, not replaced yet
    REPLACED = "replaced"  # named in the notice, replaced in this round
    HELD = "held"  # the hub holds it and did not ask for it again


STATUS_LABELS: Mapping[LineStatus, str] = {
    LineStatus.PRESENT: N_("present"),
    LineStatus.MISSING: N_("missing"),
    LineStatus.NOT_CHECKED: N_("original not checked"),
    LineStatus.PROMISED: N_("promised for later"),
    LineStatus.TO_REPLACE: N_("to be replaced"),
    LineStatus.REPLACED: N_("replaced"),
    LineStatus.HELD: N_("held by the hub"),
}

# What the hub's refusal codes mean for the clerk; anything else reads as the generic one.
REFUSAL_MESSAGES: Mapping[str, str] = {
    "application.still_deficient": N_("The hub refused the correction: replace what is marked."),
    "application.unknown_material": N_("The hub does not know one of the materials: check them."),
    "application.materials_closed": N_("The hub no longer takes materials for this application."),
    "application.illegal_transition": N_("The hub is not waiting for this step any more."),
    "nodelink.bad_material": N_("The hub could not read one of the files. Attach it again."),
    "nodelink.malformed": N_("The hub could not read the message. Send it again."),
    "upload.unsupported_type": N_("The hub takes only PDF, PNG and JPEG. Attach it again."),
}
# an application's state at the branch, and at the hub as it last reported it, in words
BRANCH_STATES: Mapping[str, str] = {
    "draft": N_("draft"),
    "queued": N_("waiting to be sent"),
    "delivered": N_("delivered to the hub"),
    "refused": N_("refused by the hub"),
}
HUB_STATES: Mapping[str, str] = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "correction": N_("returned for correction"),
    "forwarded": N_("forwarded"),
    "in_process": N_("in process"),
    "completed": N_("completed"),
}

# the problems of a notice's items, as the hub names them
NOTICE_PROBLEMS: Mapping[str, str] = {
    "missing": N_("missing"),
    "invalid": N_("invalid"),
    "not_checked": N_("original not checked"),
}
GENERIC_REFUSAL = N_("The hub refused this message. Check the application and send again.")


@dataclass(frozen=True)
class Line:
    """One material of the guide, as it stands for this application."""

    material: Mapping[str, Any]  # the guide's entry: code, names, sample, mistakes, ...
    status: LineStatus
    upload: Any | None = None  # the upload that fills it, if any
    notice: Mapping[str, Any] | None = None  # the officer's item: problem and reason

    @property
    def code(self) -> str:
        return str(self.material["code"])

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Readiness:
    blocking: tuple[Line, ...]  # the submission is refused while any is left
    warnings: tuple[Line, ...]  # sent only when the clerk confirms

    @property
    def ready(self) -> bool:
        return not self.blocking and not self.warnings


def open_notice(notices: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The hub's notice still waiting for a correction, if any (the last unresolved one)."""
    unresolved = [n for n in notices if not n.get("resolved_at")]
    return unresolved[-1] if unresolved else None


def latest_per_material(uploads: Iterable[U], round_: int) -> dict[str, U]:
    """The last upload of each material in ``round_`` (uploads in the order they were made)."""
    return {u.material_code: u for u in uploads if u.round == round_}


def _filled(material: Mapping[str, Any], upload: Upload) -> bool:
    return not material.get("original_required") or upload.trust == "B"


def checklist(
    materials: Sequence[Mapping[str, Any]],
    uploads: Sequence[Upload],
    *,
    round_: int,
    notice: Mapping[str, Any] | None = None,
    promised: Iterable[str] = (),
    sent: bool = False,
) -> list[Line]:
    """Each material of the guide with its status for the round being prepared, or, ``sent``,
    as the application went to the hub in round ``round_``."""
    if sent:  # what went to the hub: each material's last upload of any round so far
        current = {u.material_code: u for u in uploads if u.round <= round_}
    else:
        current = latest_per_material(uploads, round_)
    earlier = {u.material_code: u for u in uploads if u.round < round_}
    asked = {str(i["material"]): i for i in (notice or {}).get("items", [])}
    waived = set(promised)
    lines: list[Line] = []
    for material in materials:
        code = str(material["code"])
        upload = current.get(code)
        if notice is not None and code not in asked:
            lines.append(Line(material, LineStatus.HELD, upload or earlier.get(code)))
            continue
        if upload is None:
            if notice is not None:
                status = LineStatus.TO_REPLACE
            else:
                status = LineStatus.PROMISED if code in waived else LineStatus.MISSING
        elif not _filled(material, upload):
            status = LineStatus.NOT_CHECKED
        else:
            status = LineStatus.REPLACED if notice is not None else LineStatus.PRESENT
        lines.append(Line(material, status, upload, asked.get(code)))
    return lines


def readiness(lines: Iterable[Line]) -> Readiness:
    lines = list(lines)
    return Readiness(
        blocking=tuple(line for line in lines if line.status is LineStatus.MISSING),
        warnings=tuple(
            line for line in lines if line.status in (LineStatus.NOT_CHECKED, LineStatus.TO_REPLACE)
        ),
    )


def check_promises(
    guide: Mapping[str, Any],
    wanted: Iterable[str],
    due: date | None,
    *,
    today: date,
) -> None:
    """容缺受理: only where the guide allows it, never for an essential material, with a date."""
    codes = set(wanted)
    if not codes:
        return
    if not guide.get("allows_pending"):
        raise Invalid(
            "intake.pending_not_allowed",
            N_("This service cannot be accepted with materials still to come."),
        )
    by_code = {str(m["code"]): m for m in guide.get("materials", [])}
    if any(code not in by_code or by_code[code].get("essential") for code in codes):
        raise Invalid(
            "intake.essential_pending",
            N_("Only materials that are not essential can be brought later."),
        )
    if due is None or not today < due <= today + timedelta(days=PROMISE_MAX_DAYS):
        raise Invalid(
            "intake.promise_date",
            N_("Give the date the resident brings the rest by: after today, within {days} days."),
            params={"days": PROMISE_MAX_DAYS},
        )


def material_name(material: Mapping[str, Any], lang: str) -> str:
    """A material's (or item's) name in the viewer's language, Chinese when that is missing."""
    return str(material.get(f"name_{lang}") or material.get("name_zh") or material.get("code"))


def refusal_message(code: str) -> str:
    """The msgid telling the clerk what the hub's refusal ``code`` means and what to do."""
    return REFUSAL_MESSAGES.get(code, GENERIC_REFUSAL)


def promisable(guide: Mapping[str, Any], lines: Iterable[Line]) -> list[Line]:
    """The missing materials the resident may bring later (容缺), if the item allows any."""
    if not guide.get("allows_pending"):
        return []
    return [
        line
        for line in lines
        if line.status is LineStatus.MISSING and not line.material.get("essential")
    ]


def expected_by(start: date, working_days: int, is_working_day: Callable[[date], bool]) -> date:
    """The day ``working_days`` working days after ``start`` (a receipt's estimate)."""
    days = (start + timedelta(days=n) for n in range(1, 10 * working_days + 30))
    return [d for d in days if is_working_day(d)][working_days - 1]
