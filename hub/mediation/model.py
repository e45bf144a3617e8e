"""The rules of a remote mediation case (涉侨纠纷调解), without a database, a clock or a network.

A case moves ``open → mediating → drafted → settled``, or ends ``closed`` without agreement:

* every party consents to mediation and to being recorded before the first session;
* an agreement can be drafted only after a mediation session was held;
* the agreement is signed by every party (any order), then the mediator, then the hub seal;
* each signature covers the exact text of one draft: a new draft voids every earlier signature;
* the judicial-confirmation package is built only for a settled case.

Statistics per office count cases opened and settled in a period (hub calendar dates) and the
calendar days from opening to settlement.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from common.errors import N_, Conflict, Forbidden, Invalid

__all__ = [
    "CaseRecord",
    "CaseState",
    "Coverage",
    "OfficeFigures",
    "SignatureRecord",
    "SigningPlan",
    "Step",
    "check_signer",
    "check_step",
    "check_terms",
    "coverage",
    "next_step",
    "office_figures",
    "still_voided",
    "terms_of",
    "text_sha256",
]

MEDIATOR, SEAL = "mediator", "seal"


class CaseState(StrEnum):
    OPEN = "open"  # parties named, mediator assigned
    MEDIATING = "mediating"  # at least one session opened
    DRAFTED = "drafted"  # an agreement draft awaits its signatures
    SETTLED = "settled"  # signed by all, sealed by the hub
    CLOSED = "closed"  # ended without agreement


class Step(StrEnum):
    CONSENT = "consent"
    SESSION = "session"
    NOTE = "note"
    DRAFT = "draft"
    SIGN = "sign"
    EVIDENCE = "evidence"
    PACKAGE = "package"
    CLOSE = "close"


_ACTIVE = frozenset({CaseState.OPEN, CaseState.MEDIATING, CaseState.DRAFTED})
_ALLOWED: dict[Step, frozenset[CaseState]] = {
    Step.CONSENT: _ACTIVE,
    Step.SESSION: _ACTIVE,
    Step.EVIDENCE: _ACTIVE,
    Step.NOTE: _ACTIVE | {CaseState.SETTLED},
    Step.DRAFT: frozenset({CaseState.MEDIATING, CaseState.DRAFTED}),
    Step.SIGN: frozenset({CaseState.DRAFTED}),
    Step.PACKAGE: frozenset({CaseState.SETTLED}),
    Step.CLOSE: _ACTIVE,
}
_WHY = {
    Step.DRAFT: N_("An agreement can be drafted only after a mediation session was held."),
    Step.SIGN: N_("There is no agreement draft to sign."),
    Step.PACKAGE: N_("The package for judicial confirmation needs a settled case."),
}


def check_step(
    state: CaseState,
    step: Step,
    *,
    sessions_held: int = 0,
    consents_missing: Sequence[str] = (),
) -> None:
    """Refuse a step the case is not ready for, saying why."""
    finished = state is CaseState.CLOSED or (
        state is CaseState.SETTLED and step not in (Step.NOTE, Step.PACKAGE)
    )
    if finished:
        raise Conflict(
            "mediation.case_finished",
            N_("This case is {state}; nothing more can be done on it."),
            params={"state": state.value},
        )
    if state not in _ALLOWED[step] or (step is Step.DRAFT and sessions_held == 0):
        raise Conflict(
            "mediation.wrong_order",
            _WHY.get(step, N_("This step is not possible while the case is {state}.")),
            params={"state": state.value},
        )
    if step in (Step.SESSION, Step.EVIDENCE) and consents_missing:
        raise Conflict(
            "mediation.consent_missing",
            N_("Every party must consent before a session: still missing {names}."),
            params={"names": ", ".join(consents_missing)},
        )


def text_sha256(text: str) -> str:
    """The hash a signature covers: the draft's text, UTF-8, line ends normalised."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()


@dataclass(frozen=True)
class SigningPlan:
    """Who signs a document: ``signers`` in any order, then ``closers`` in this order."""

    signers: tuple[str, ...]
    closers: tuple[str, ...] = (MEDIATOR, SEAL)

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.signers + self.closers


@dataclass(frozen=True)
class SignatureRecord:
    signer: str
    text_sha256: str


@dataclass(frozen=True)
class Coverage:
    """Which signatures cover the current text, which are still owed, which were voided."""

    signed: tuple[str, ...]
    missing: tuple[str, ...]
    void: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def coverage(
    plan: SigningPlan, current_text_sha256: str, signatures: Iterable[SignatureRecord]
) -> Coverage:
    valid: list[str] = []
    void: list[str] = []
    for s in signatures:
        if s.text_sha256 == current_text_sha256 and s.signer in plan.everyone:
            if s.signer not in valid:
                valid.append(s.signer)
        else:
            void.append(s.signer)
    missing = tuple(x for x in plan.everyone if x not in valid)
    return Coverage(tuple(valid), missing, tuple(void))


def check_signer(plan: SigningPlan, current: Coverage, signer: str) -> None:
    """May ``signer`` sign now? Not twice, not out of turn, not if not named on the document."""
    if signer not in plan.everyone:
        raise Forbidden(
            "mediation.not_a_signer", N_("You are not among the signers of this document.")
        )
    if signer in current.signed:
        raise Conflict("mediation.already_signed", N_("You have already signed this document."))
    if signer in plan.closers:
        before = plan.signers + plan.closers[: plan.closers.index(signer)]
        waiting = [x for x in before if x in current.missing]
        if waiting:
            raise Conflict(
                "mediation.signers_missing",
                N_("Others must sign first: {count} signature(s) still missing."),
                params={"count": len(waiting)},
            )


def next_step(v: Mapping[str, Any], *, enrolled: bool, invited_now: bool) -> str:
    """The one step that is the participant's now (the page shows it and what follows)."""
    me, state = v["me"], v["state"]
    if state in ("settled", "closed"):
        return str(state)
    if me["role"] == "party" and not me["consented_at"]:
        return "consent"
    if invited_now:
        return "join"
    owed = [d for d in v["documents"] if me["signer"] in [s["signer"] for s in d["missing"]]]
    if owed:
        return "sign" if enrolled else "enrol"
    if any(me["signer"] in [s["signer"] for s in d["signed"]] for d in v["documents"]):
        return "wait_signatures"
    return "wait"


def still_voided(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The replaced drafts of the agreement whose signers have not yet signed the one now
    awaiting signatures, each with only those signers: "your signature no longer counts" is
    news (and asks something of them) until they sign again, and stale once the agreement is
    signed by all, or no draft awaits signatures."""
    agreements = [d for d in documents if d["kind"] == "agreement"]
    current = next((d for d in reversed(agreements) if d["state"] != "void"), None)
    if current is None or current["state"] != "signing":
        return []
    owing = {s["signer"] for s in current["missing"]}
    notices = []
    for d in agreements:
        again = [s for s in d["signed"] if s["signer"] in owing]
        if d["state"] == "void" and again:
            notices.append({**d, "signed": again})
    return notices


_ARTICLE = re.compile(r"^第\d+条 Article \d+\. (.*)$")


def terms_of(text: str) -> list[str]:
    """The terms of an agreement's text, as the mediator wrote them (to edit a draft)."""
    found = (_ARTICLE.match(line) for line in text.splitlines())
    return [m.group(1) for m in found if m]


def check_terms(terms: Sequence[str]) -> list[str]:
    cleaned = [t.strip() for t in terms if t.strip()]
    if not cleaned:
        raise Invalid("mediation.terms_required", N_("An agreement states at least one term."))
    return cleaned


# -- statistics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRecord:
    office: str
    opened: date  # hub calendar date
    settled: date | None
    closed: date | None


@dataclass(frozen=True)
class OfficeFigures:
    office: str
    opened: int  # cases opened in the period
    settled: int  # cases settled in the period
    closed: int  # cases closed without agreement in the period
    pending: int  # opened by the period's end and neither settled nor closed by then
    mean_days: float | None  # opening → settlement, of the cases settled in the period
    median_days: float | None
    longest_days: int | None


def _within(day: date | None, start: date | None, end: date | None) -> bool:
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def _figures(
    office: str, rows: list[CaseRecord], start: date | None, end: date | None
) -> OfficeFigures:
    settled = [r for r in rows if _within(r.settled, start, end)]
    days = [(r.settled - r.opened).days for r in settled if r.settled is not None]

    def pending(r: CaseRecord) -> bool:
        if end is not None and r.opened > end:
            return False
        finished = r.settled or r.closed
        return finished is None or (end is not None and finished > end)

    return OfficeFigures(
        office=office,
        opened=sum(_within(r.opened, start, end) for r in rows),
        settled=len(settled),
        closed=sum(_within(r.closed, start, end) for r in rows),
        pending=sum(pending(r) for r in rows),
        mean_days=round(statistics.fmean(days), 1) if days else None,
        median_days=float(statistics.median(days)) if days else None,
        longest_days=max(days) if days else None,
    )


def office_figures(
    records: Iterable[CaseRecord], start: date | None = None, end: date | None = None
) -> tuple[list[OfficeFigures], OfficeFigures]:
    """Figures per office (sorted by code) and for all offices together."""
    rows = list(records)
    offices = sorted({r.office for r in rows})
    per = [_figures(o, [r for r in rows if r.office == o], start, end) for o in offices]
    return per, _figures("*", rows, start, end)
