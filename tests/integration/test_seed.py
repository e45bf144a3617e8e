from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from common.access import Role
from common.passwords import hash_password, verify_password
from hub.accounts.tables import Office, Staff
from hub.seed import seed_database
from tests.helpers import migrated_database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_seed_creates_offices_and_every_staff_role_once(db_url: str) -> None:
    db = await migrated_database(db_url, "hub:migrations")
    try:
        created = await seed_database(db, NOW)
        again = await seed_database(db, NOW)
        assert again == {}, "seeding twice adds nothing"
        async with db.sessions() as session:
            offices = {o.code: o for o in (await session.scalars(select(Office))).all()}
            staff = (await session.scalars(select(Staff))).all()
        assert offices["MIL"].timezone == "Europe/Rome"
        assert offices["WZ"].timezone == "Asia/Shanghai"
        staff_roles = {s.role for s in staff}
        assert {r.value for r in Role} - staff_roles == {"resident", "node", "hub", "platform"}
        clerk = next(s for s in staff if s.username == "clerk.milan")
        assert clerk.office_code == "MIL"
        assert verify_password(created["clerk.milan"], clerk.password_hash)
        assert not verify_password("wrong-password", clerk.password_hash)
    finally:
        await db.close()


def test_password_hashes_are_salted_and_refuse_short_passwords() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a) and verify_password("correct horse", b)
    assert not verify_password("correct horse", "md5$abc")
    try:
        hash_password("short")
    except ValueError as exc:
        assert "10 characters" in str(exc)
    else:
        raise AssertionError("a short password was accepted")
