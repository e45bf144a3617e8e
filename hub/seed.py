"""Demo data for the hub: offices, staff of every role (with generated passwords)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from common.access import Role
from common.db import Database
from common.factors import enrol_demo
from common.passwords import append_credentials, hash_password
from common.secretbox import service_box
from common.settings import HubSettings
from hub.accounts.nodes import node_public_key, register_node
from hub.accounts.tables import Office, Staff
from hub.applications.demo import DemoApplication, seed_applications
from hub.applications.storage import MaterialStore
from hub.catalogue.service import seed_catalogue
from hub.consultation.demo import seed_consultants, seed_demo_bookings
from hub.db import node_keys, signin_tables
from hub.mediation.demo import seed_demo_case
from hub.notarization.demo import seed_notary_day
from hub.schedules.demo import seed_schedules

OFFICES = [
    Office(
        code="WZ",
        kind="hub",
        name_zh="文成县海外服务中心",
        name_en="Wencheng Overseas Service Centre",
        country="CN",
        timezone="Asia/Shanghai",
    ),
    Office(
        code="MIL",
        kind="branch",
        name_zh="米兰海外分中心",
        name_en="Milan Overseas Branch",
        country="IT",
        timezone="Europe/Rome",
    ),
]

NODE_KEY_FILE = "node-hub.pub.pem"

STAFF = [
    ("clerk.milan", "Chen Lei 陈磊", Role.CLERK, "MIL"),
    ("officer.wz", "Zhou Min 周敏", Role.OFFICER, "WZ"),
    ("notary.wz", "Hu Jing 胡静", Role.NOTARY, "WZ"),
    ("mediator.wz", "Zhu Hong 朱红", Role.MEDIATOR, "WZ"),
    ("mediator.milan", "Hu Wei 胡伟", Role.MEDIATOR, "MIL"),
    ("supervisor.wz", "Pan Li 潘丽", Role.SUPERVISOR, "WZ"),
    ("auditor.wz", "Lin Tao 林涛", Role.AUDITOR, "WZ"),
    ("admin.wz", "Zheng Yu 郑宇", Role.ADMIN, "WZ"),
    ("lawyer.chen", "Chen Jie 陈杰", Role.CONSULTANT, "WZ"),
    ("lawyer.milan", "Wang Li 王莉", Role.CONSULTANT, "MIL"),
]


async def seed_database(db: Database, now: datetime) -> dict[str, str]:
    """Insert offices and staff unless present; returns new usernames → passwords."""
    created: dict[str, str] = {}
    async with db.transaction() as session:
        if (await session.scalar(select(func.count()).select_from(Office))) == 0:
            session.add_all(
                Office(
                    code=o.code,
                    kind=o.kind,
                    name_zh=o.name_zh,
                    name_en=o.name_en,
                    country=o.country,
                    timezone=o.timezone,
                )
                for o in OFFICES
            )
            await session.flush()
        await seed_catalogue(session, now)
        known = set((await session.scalars(select(Staff.username))).all())
        for username, name, role, office in STAFF:
            if username in known:
                continue
            password = secrets.token_urlsafe(12)
            created[username] = password
            session.add(
                Staff(
                    username=username,
                    display_name=name,
                    role=role.value,
                    office_code=office,
                    password_hash=hash_password(password),
                    created_at=now,
                )
            )
        await session.flush()
        created.update(await seed_schedules(session, now))
        await seed_consultants(session)
    return created


async def seed(settings: HubSettings) -> str:
    db = Database(settings.resolved_database_url())
    try:
        now = datetime.now(UTC)
        created = await seed_database(db, now)
        second_factors = await enrol_demo(
            db, signin_tables, list(created), now, service_box(settings.data_dir)
        )
        async with db.transaction() as session:
            applications = await seed_applications(
                session, store=MaterialStore(settings.data_dir / "materials"), now=now
            )
            parties = await seed_demo_case(session, now)
        consultations = await seed_demo_bookings(db, now)
        if created:  # a first seeding: the notary's day gets its bookings
            booked = await seed_notary_day(db, now)
            demo_file = settings.data_dir / "demo-notarizations.json"
            demo_file.parent.mkdir(parents=True, exist_ok=True)
            demo_file.write_text(json.dumps(booked, ensure_ascii=False, indent=2), encoding="utf-8")
        node_key = node_public_key(settings.data_dir / "keys" / NODE_KEY_FILE)
        if node_key is not None:  # the demo's Milan node signs its calls with this key
            async with db.transaction() as session:
                await register_node(session, node_keys, "MIL", node_key, now)
    finally:
        await db.close()
    credentials = settings.data_dir / "demo-credentials.txt"
    append_credentials(credentials, "hub", created, second_factors)
    _note_applications(credentials, applications)
    _note(credentials, "mediation parties (their page: /mediation/my)", parties)
    _note(
        credentials,
        "consultations (the resident's page: /consultations/status)",
        dict(consultations),
    )
    return f"{len(created)} staff accounts and {len(applications)} applications created"


def _note(path: Path, title: str, codes: dict[str, str]) -> None:
    """The demo's case numbers with the codes their residents hold, as comments."""
    if not codes:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"# {title}\n")
        for number, code in codes.items():
            fh.write(f"#   {number}  code {code}\n")


def _note_applications(path: Path, applications: list[DemoApplication]) -> None:
    """Residents follow an application with its number and query code: the demo's are listed
    (as comments) beside the staff accounts."""
    if not applications:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write("# applications (the resident's progress page: /progress on the hub)\n")
        for a in applications:
            fh.write(f"#   {a.number}  query code {a.query_code}  {a.note}\n")
