"""Small helpers the tests share: building migrated services on a given database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from common.clock import Clock
from common.db import Database, migrate
from common.settings import GovnetSimSettings, HubSettings, NodeSettings

SERVICES: dict[str, tuple[str, type[Any]]] = {
    "hub": ("hub.app", HubSettings),
    "node": ("overseas_node.app", NodeSettings),
    "govnet-sim": ("govnet_sim.app", GovnetSimSettings),
}


async def migrated_database(url: str, migrations: str) -> Database:
    db = Database(url)
    await migrate(db.engine, migrations)
    return db


async def service_app(
    name: str, url: str, data_dir: Path, clock: Clock | None = None, **settings: Any
) -> tuple[web.Application, Database]:
    import importlib

    module_name, settings_cls = SERVICES[name]
    module = importlib.import_module(module_name)
    db = await migrated_database(url, module.MIGRATIONS)
    if name == "hub":  # the platform relay runs only in the tests that are about it
        settings.setdefault("outbox_relay_enabled", False)
    cfg = settings_cls(data_dir=data_dir, database_url=url, **settings)
    return module.create_app(cfg, clock=clock, database=db), db


async def booked_act_form(db: Database, now: datetime) -> dict[str, Any]:
    """The hub seeded as the demo is (offices, staff, desks) and the demo notary ``notary.wz``
    booked with a Milan resident; the body of ``POST /api/notarizations`` that opens the act
    on that application and booking, so that a test's video session belongs to a real act."""
    from hub.notarization.demo import seed_notary_day
    from hub.seed import seed_database
    from tests.integration.notarization.world import POA

    await seed_database(db, now)
    booked = await seed_notary_day(db, now)
    assert booked, "the demo notary has no free day in the next two weeks"
    first = booked["Hu Xiaoming 胡小明"]
    return {
        "act_type": "power_of_attorney_home",
        "application_number": first["application"],
        "booking_reference": first["booking"],
        "particulars": POA,
    }


async def signed_in(client: Any, username: str, password: str) -> dict[str, str]:
    """Sign a seeded staff member in; returns the Authorization header to send."""
    resp = await client.post("/api/session", json={"username": username, "password": password})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def png_bytes(width: int = 320, height: int = 200, color: str = "white") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    images = [Image.new("RGB", (300, 400), "white") for _ in range(pages)]
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def open_sealed_recording(data_dir: Path, session_id: str, name: str) -> tuple[bytes, list[str]]:
    """A hub recording segment as an auditor gets it: the manifest checked against the hub CA,
    the file decrypted with the hub's office key. Returns the plain bytes and any failures."""
    import json

    from common.clock import SystemClock
    from hub.seal import HubSeal
    from signing.recording import verify_recording

    seal = HubSeal.open(data_dir, SystemClock())
    folder = data_dir / "recordings" / session_id
    assert not (folder / name).exists(), "the plain recording stays nowhere at rest"
    sealed = (folder / f"{name}.qlenv").read_bytes()
    manifest = json.loads((folder / f"{name}.manifest.json").read_text())
    verdict = verify_recording(manifest, sealed, trust_roots=[seal.ca.certificate])
    assert seal.archive is not None
    return seal.archive.open_file(folder / f"{name}.qlenv", session_id=session_id), list(
        verdict.failures
    )
