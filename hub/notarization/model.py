"""The rules of a remote notarial act (公证), without a database, a network or a clock.

An act moves ``booked → identified → in_session → presented → witnessed → issued``:

* booked: the branch clerk opened it on a booking with the notary (hub/schedules);
* identified: the resident's face + liveness decision, signed by the node, was accepted;
* in_session: the notary joined the recorded video session of this act;
* presented: the notary read every advisement the act's type requires (ticking each) and
  presented the certificate for signature; the resident then signs it with a one-time code;
* witnessed: the branch clerk co-signed as witness of the session (after the resident);
* issued: the notary signed, the hub seal closed the certificate.

Before it is issued the notary may refuse the act or adjourn it, always with a reason; an
adjourned act is booked again (and must prove identity again) when it resumes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from common.errors import N_, Conflict, Invalid

__all__ = [
    "JOURNAL_FIELDS",
    "KINDS",
    "OPEN",
    "REASON_MIN",
    "ActKind",
    "ActState",
    "ActType",
    "Advisement",
    "JournalEntry",
    "Particular",
    "Step",
    "act_number",
    "check_particulars",
    "check_reason",
    "check_tick",
    "fee_cents",
    "kind_of",
    "next_state",
    "normalize_code",
    "token_id",
    "unread",
    "verification_code",
]

REASON_MIN, REASON_MAX = 5, 2000


class ActType(StrEnum):
    BIRTH = "birth"
    KINSHIP = "kinship"
    MARITAL_STATUS = "marital_status"
    POWER_OF_ATTORNEY_HOME = "power_of_attorney_home"


@dataclass(frozen=True)
class Advisement:
    """A statement the notary must read aloud (公证告知) before the resident signs."""

    code: str
    text: str  # English msgid


@dataclass(frozen=True)
class Particular:
    """A fact the certificate states, given when the act is booked."""

    name: str
    label: str  # English msgid
    max_length: int = 200


@dataclass(frozen=True)
class ActKind:
    type: ActType
    item_code: str  # the catalogue's service item (NO-00x)
    title_zh: str
    title: str  # English msgid (also the certificate's second language)
    fee_cents: int  # CNY, per certificate
    bilingual: bool  # used abroad: the certificate carries Chinese and English
    particulars: tuple[Particular, ...]
    advisements: tuple[Advisement, ...]


_TRUTH = Advisement(
    "truthfulness",
    N_("State the truth: a false statement voids the certificate and may be punished by law."),
)
_RECORDED = Advisement(
    "recording",
    N_("This session is recorded; the recording is kept as evidence with the certificate."),
)
_USE = Advisement(
    "purpose",
    N_("The certificate proves only the facts it states, for the purpose you declared."),
)
_COPY = Advisement(
    "translation",
    N_("The English text is a translation; the Chinese text prevails."),
)
_POWERS = Advisement(
    "agent_powers",
    N_("The agent may sign the purchase contract, pay and register the home in your name."),
)
_REVOKE = Advisement(
    "revocation",
    N_("You may revoke this power only by telling the agent and the notary office."),
)

KINDS: dict[ActType, ActKind] = {
    ActType.BIRTH: ActKind(
        ActType.BIRTH,
        "NO-001",
        "出生公证",
        N_("Notarization of birth"),
        20000,
        True,
        (
            Particular("born_on", N_("Date of birth")),
            Particular("born_in", N_("Place of birth")),
            Particular("parents", N_("Parents")),
        ),
        (_TRUTH, _RECORDED, _USE, _COPY),
    ),
    ActType.KINSHIP: ActKind(
        ActType.KINSHIP,
        "NO-002",
        "亲属关系公证",
        N_("Notarization of kinship"),
        20000,
        True,
        (
            Particular("relative", N_("Relative")),
            Particular("relationship", N_("Relationship")),
        ),
        (_TRUTH, _RECORDED, _USE, _COPY),
    ),
    ActType.MARITAL_STATUS: ActKind(
        ActType.MARITAL_STATUS,
        "NO-003",
        "婚姻状况公证",
        N_("Notarization of marital status"),
        20000,
        True,
        (Particular("status", N_("Marital status")),),
        (_TRUTH, _RECORDED, _USE, _COPY),
    ),
    ActType.POWER_OF_ATTORNEY_HOME: ActKind(
        ActType.POWER_OF_ATTORNEY_HOME,
        "NO-004",
        "委托购房公证",
        N_("Notarized power of attorney to buy a home"),
        30000,
        False,
        (
            Particular("agent_name", N_("Agent's name"), 120),
            Particular("agent_document", N_("Agent's identity document"), 40),
            Particular("property", N_("The home to be bought"), 300),
        ),
        (
            _TRUTH,
            _RECORDED,
            _POWERS,
            _REVOKE,
        ),
    ),
}


def kind_of(value: str) -> ActKind:
    try:
        return KINDS[ActType(value)]
    except ValueError:
        raise Invalid(
            "notarization.unknown_type",
            N_("Unknown notarial act type {value}."),
            params={"value": value},
        ) from None


def check_particulars(kind: ActKind, given: dict[str, Any]) -> dict[str, str]:
    """Exactly the facts the type needs, each a non-empty text of bounded length."""
    errors: list[dict[str, Any]] = []
    wanted = {p.name: p for p in kind.particulars}
    errors += [{"field": name, "reason": "unknown"} for name in given if name not in wanted]
    clean: dict[str, str] = {}
    for name, spec in wanted.items():
        value = given.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append({"field": name, "reason": "missing"})
        elif len(value) > spec.max_length:
            errors.append({"field": name, "reason": "too_long"})
        else:
            clean[name] = value.strip()
    if errors:
        raise Invalid(
            "notarization.bad_particulars",
            N_("Some facts of the act are missing or wrong."),
            errors=errors,
        )
    return clean


def fee_cents(kind: ActKind, copies: int = 1) -> int:
    """The fee (CNY cents): the type's fee for the first certificate, 20 CNY each extra copy."""
    if not 1 <= copies <= 10:
        raise Invalid("notarization.bad_copies", N_("Between 1 and 10 copies can be issued."))
    return kind.fee_cents + 2000 * (copies - 1)


class ActState(StrEnum):
    BOOKED = "booked"
    IDENTIFIED = "identified"
    IN_SESSION = "in_session"
    PRESENTED = "presented"
    WITNESSED = "witnessed"
    ISSUED = "issued"
    REFUSED = "refused"
    ADJOURNED = "adjourned"


class Step(StrEnum):
    IDENTIFY = "identify"
    JOIN_SESSION = "join_session"
    PRESENT = "present"
    WITNESS = "witness"
    ISSUE = "issue"
    REFUSE = "refuse"
    ADJOURN = "adjourn"
    RESUME = "resume"


OPEN = frozenset(
    {
        ActState.BOOKED,
        ActState.IDENTIFIED,
        ActState.IN_SESSION,
        ActState.PRESENTED,
        ActState.WITNESSED,
    }
)
_MOVES: dict[Step, tuple[frozenset[ActState], ActState]] = {
    Step.IDENTIFY: (frozenset({ActState.BOOKED, ActState.IDENTIFIED}), ActState.IDENTIFIED),
    Step.JOIN_SESSION: (frozenset({ActState.IDENTIFIED}), ActState.IN_SESSION),
    Step.PRESENT: (frozenset({ActState.IN_SESSION}), ActState.PRESENTED),
    Step.WITNESS: (frozenset({ActState.PRESENTED}), ActState.WITNESSED),
    Step.ISSUE: (frozenset({ActState.WITNESSED}), ActState.ISSUED),
    Step.REFUSE: (OPEN, ActState.REFUSED),
    Step.ADJOURN: (OPEN, ActState.ADJOURNED),
    Step.RESUME: (frozenset({ActState.ADJOURNED}), ActState.BOOKED),
}


def next_state(state: ActState, step: Step) -> ActState:
    """The state after ``step``, or a Conflict naming the state the act is in."""
    allowed, after = _MOVES[step]
    if state not in allowed:
        raise Conflict(
            "notarization.wrong_step",
            N_("This step cannot be taken now: the act is {state}."),
            params={"state": state.value},
        )
    return after


def check_tick(kind: ActKind, state: ActState, ticked: list[str], code: str) -> list[str]:
    """The advisements read so far after the notary ticks ``code`` (during the session)."""
    if state is not ActState.IN_SESSION:
        raise Conflict(
            "notarization.wrong_step",
            N_("This step cannot be taken now: the act is {state}."),
            params={"state": state.value},
        )
    if code not in {a.code for a in kind.advisements}:
        raise Invalid(
            "notarization.unknown_advisement",
            N_("This act has no advisement {code}."),
            params={"code": code},
        )
    if code in ticked:
        raise Conflict("notarization.already_read", N_("This advisement was already read."))
    return [*ticked, code]


def unread(kind: ActKind, ticked: list[str]) -> list[str]:
    return [a.code for a in kind.advisements if a.code not in ticked]


def check_reason(reason: str) -> str:
    text = reason.strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise Invalid(
            "notarization.reason_required",
            N_("Give a reason of {min} to {max} characters."),
            params={"min": REASON_MIN, "max": REASON_MAX},
        )
    return text


_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud and typed


def verification_code(random: bytes) -> str:
    """``XXXX-XXXX-XXXX`` from 12 random bytes: what the public verification page asks for."""
    if len(random) < 12:
        raise ValueError("a verification code needs 12 random bytes")
    chars = [_ALPHABET[b % len(_ALPHABET)] for b in random[:12]]
    return "-".join("".join(chars[i : i + 4]) for i in (0, 4, 8))


def normalize_code(text: str) -> str | None:
    """The code as stored, from what someone typed (case, spaces, dashes), or None."""
    chars = [c for c in text.upper() if c.isalnum()]
    if len(chars) != 12 or any(c not in _ALPHABET for c in chars):
        return None
    return "-".join("".join(chars[i : i + 4]) for i in (0, 4, 8))


def act_number(year: int, serial: int) -> str:
    """The certificate number: ``(2026)WCGZ 000042``-style, ASCII for file names."""
    return f"NOT-{year}-{serial:06d}"


def token_id(random: bytes) -> str:
    return base64.b32encode(random[:10]).decode().lower()


JOURNAL_FIELDS = (
    "seq",
    "recorded_at",
    "act_number",
    "act_type",
    "outcome",
    "notary",
    "resident_name",
    "resident_document",
    "branch",
    "identity_attempt",
    "identity_decision_sha256",
    "identity_distance",
    "witness",
    "fee_cny",
    "verification_code",
    "certificate_sha256",
    "reason",
)


@dataclass(frozen=True)
class JournalEntry:
    """One line of the notary's electronic journal (公证登记簿): who, what, when, evidence, fee."""

    seq: int
    recorded_at: datetime
    act_number: str
    act_type: str
    outcome: str  # issued | refused | adjourned
    notary: str
    resident_name: str
    resident_document: str
    branch: str
    identity_attempt: str
    identity_decision_sha256: str
    identity_distance: float | None
    witness: str
    fee_cents: int
    verification_code: str
    certificate_sha256: str
    reason: str

    def row(self) -> dict[str, str]:
        """The entry as export columns (JOURNAL_FIELDS), times in UTC ISO 8601."""
        values: dict[str, Any] = {
            **{name: getattr(self, name) for name in JOURNAL_FIELDS if hasattr(self, name)},
            "recorded_at": self.recorded_at.isoformat(),
            "fee_cny": f"{self.fee_cents / 100:.2f}" if self.outcome == "issued" else "0.00",
            "identity_distance": ""
            if self.identity_distance is None
            else f"{self.identity_distance:.4f}",
        }
        return {name: str(values[name]) for name in JOURNAL_FIELDS}
