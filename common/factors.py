"""Staff second factor (TOTP) and sign-in lock-out, kept in each service's own database.

A staff member enrols an authenticator app (``otpauth://`` URI from :func:`signing.totp.enrol`),
confirms it with one code, and from then on signs in with password and code. A code is accepted
once: its time step must be later than the last accepted one. Failed passwords and codes are
counted per user name; after ``max_failures`` within ``lockout`` the account is locked for the
rest of that window, whatever the password.

The secret is sealed at rest (:mod:`common.secretbox`) under the service's key, with the
account as associated data: the database alone, a backup or a leaked dump, yields no codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, UTCDateTime
from common.errors import N_, Conflict, DomainError
from common.secretbox import SecretBox
from signing.totp import TotpPolicy, enrol, hotp_code

__all__ = [
    "ASCII_DIGITS",
    "Factor",
    "SignInTables",
    "add_failure",
    "clear_failures",
    "confirm_enrolment",
    "enrol_confirmed",
    "enrol_demo",
    "factors_table",
    "failures_table",
    "load_factor",
    "locked_error",
    "locked_out",
    "matching_step",
    "sealed_for",
    "set_required",
    "start_enrolment",
    "use_code",
]

POLICY = TotpPolicy()
ASCII_DIGITS = frozenset("0123456789")


def factors_table(metadata: MetaData) -> Table:
    return Table(
        "staff_factors",
        metadata,
        Column("subject", String(64), primary_key=True),
        Column("totp_secret_sealed", LargeBinary, nullable=True),
        Column("confirmed_at", UTCDateTime, nullable=True),
        Column("required", Boolean, nullable=False, default=False),
        Column("last_step", BigInteger, nullable=True),
    )


def failures_table(metadata: MetaData) -> Table:
    return Table(
        "signin_failures",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("subject", String(64), nullable=False, index=True),
        Column("at", UTCDateTime, nullable=False),
    )


@dataclass(frozen=True)
class SignInTables:
    factors: Table
    failures: Table


@dataclass(frozen=True)
class Factor:
    secret: str | None
    confirmed: bool
    required: bool
    last_step: int | None


def matching_step(
    secret: str, code: str, at: datetime, *, after: int | None, policy: TotpPolicy = POLICY
) -> int | None:
    """The time step ``code`` belongs to, if it is well-formed, current and not yet used."""
    code = code.strip()
    if len(code) != policy.digits or not set(code) <= ASCII_DIGITS:
        return None
    now = int(at.timestamp()) // policy.period
    for step in range(now - policy.window, now + policy.window + 1):
        if after is not None and step <= after:
            continue
        expected = hotp_code(secret, step, digits=policy.digits, algorithm=policy.algorithm)
        if pyotp.utils.strings_equal(expected, code):
            return step
    return None


def sealed_for(subject: str) -> str:
    """The associated data a staff secret is sealed with (never a resident's account name)."""
    return f"staff:{subject}"


async def load_factor(
    session: AsyncSession, t: SignInTables, subject: str, box: SecretBox
) -> Factor:
    f = t.factors
    row = (await session.execute(select(f).where(f.c.subject == subject))).first()
    if row is None:
        return Factor(None, False, False, None)
    sealed = row.totp_secret_sealed
    secret = None if sealed is None else box.unseal(sealed_for(subject), bytes(sealed))
    return Factor(secret, row.confirmed_at is not None, row.required, row.last_step)


async def _upsert(session: AsyncSession, t: SignInTables, subject: str, **values: object) -> None:
    f = t.factors
    changed = await session.execute(update(f).where(f.c.subject == subject).values(**values))
    if not changed.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(f).values(subject=subject, **{"required": False, **values}))


async def start_enrolment(
    session: AsyncSession, t: SignInTables, subject: str, box: SecretBox
) -> tuple[str, str]:
    """A new (unconfirmed) secret; returns it and its otpauth URI."""
    if (await load_factor(session, t, subject, box)).confirmed:
        raise Conflict(
            "second_factor.enrolled",
            N_("An authenticator app is already enrolled for this account."),
        )
    enrolment = enrol(subject, issuer="Qiaolink staff")
    sealed = box.seal(sealed_for(subject), enrolment.secret)
    await _upsert(session, t, subject, totp_secret_sealed=sealed, confirmed_at=None)
    return enrolment.secret, enrolment.uri


async def use_code(
    session: AsyncSession, t: SignInTables, subject: str, factor: Factor, code: str, at: datetime
) -> bool:
    """Accept ``code`` once: claims its step with a compare-and-set on the last step."""
    if factor.secret is None:
        return False
    step = matching_step(factor.secret, code, at, after=factor.last_step)
    if step is None:
        return False
    f = t.factors
    last = f.c.last_step
    guard = last.is_(None) if factor.last_step is None else last == factor.last_step
    claimed = await session.execute(
        update(f).where(f.c.subject == subject, guard).values(last_step=step)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def confirm_enrolment(
    session: AsyncSession, t: SignInTables, subject: str, box: SecretBox, code: str, at: datetime
) -> bool:
    factor = await load_factor(session, t, subject, box)
    if factor.secret is None or factor.confirmed:
        raise Conflict("second_factor.not_started", N_("Start the authenticator enrolment first."))
    if not await use_code(session, t, subject, factor, code, at):
        return False
    await _upsert(session, t, subject, confirmed_at=at)
    return True


async def enrol_confirmed(
    session: AsyncSession, t: SignInTables, subject: str, box: SecretBox, at: datetime
) -> str:
    """Enrol and confirm at once (demo seeding); returns the secret."""
    secret = enrol(subject, issuer="Qiaolink staff").secret
    sealed = box.seal(sealed_for(subject), secret)
    await _upsert(session, t, subject, totp_secret_sealed=sealed, confirmed_at=at)
    return secret


async def set_required(
    session: AsyncSession, t: SignInTables, subject: str, required: bool
) -> None:
    await _upsert(session, t, subject, required=required)


async def locked_out(session: AsyncSession, t: SignInTables, subject: str, at: datetime) -> int:
    """Minutes left of a lock-out, or 0 when the account may try."""
    fl = t.failures
    since = at - POLICY.lockout
    times = (
        await session.scalars(
            select(fl.c.at).where(fl.c.subject == subject, fl.c.at > since).order_by(fl.c.at)
        )
    ).all()
    if len(times) < POLICY.max_failures:
        return 0
    until = times[len(times) - POLICY.max_failures] + POLICY.lockout
    return max(1, int((until - at).total_seconds() + 59) // 60)


async def add_failure(session: AsyncSession, t: SignInTables, subject: str, at: datetime) -> None:
    fl = t.failures
    await session.execute(delete(fl).where(fl.c.at <= at - POLICY.lockout))
    await session.execute(insert(fl).values(subject=subject[:64], at=at))


async def clear_failures(session: AsyncSession, t: SignInTables, subject: str) -> None:
    await session.execute(delete(t.failures).where(t.failures.c.subject == subject))


def locked_error(minutes: int) -> DomainError:
    return DomainError(
        "auth.locked",
        N_("Too many failed attempts. Try again in {minutes} minutes."),
        status=429,
        params={"minutes": minutes},
    )


async def enrol_demo(
    db: Database, t: SignInTables, subjects: list[str], at: datetime, box: SecretBox
) -> dict[str, str]:
    """Demo seeding: every new account gets a confirmed authenticator; returns the secrets
    (sealed with ``box``, the key of the service that will check the codes)."""
    async with db.transaction() as session:
        return {s: await enrol_confirmed(session, t, s, box, at) for s in subjects}
