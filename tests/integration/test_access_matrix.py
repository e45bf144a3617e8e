"""Every role × every declared endpoint of hub, node and simulator: allowed or refused as declared.

The matrix is generated from the route declarations, so a new endpoint is covered the moment it
is declared, and an endpoint added without a declaration stops the app from being built.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from common.access import Access, Principal, Role
from common.clock import FixedClock
from common.service import AUDIT, DB, UndeclaredRoute, check_declared
from common.signin import STAFF_ROLES
from common.web import RouteTable
from tests.helpers import SERVICES, migrated_database

PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
ANONYMOUS = None
CALLERS: list[Role | None] = [ANONYMOUS, *Role]
UNSAFE = {"POST", "PUT", "DELETE", "PATCH"}
# The routes an auditor may call with an unsafe method: only their own sign-in and factor.
AUDITOR_WRITES = {
    ("DELETE", "/api/session"),
    ("POST", "/api/session/revoke-all"),
    ("POST", "/api/session/second-factor"),
    ("POST", "/api/session/second-factor/confirm"),
}


class RoleHeader:
    """Test-only: the caller's role comes from a header (the product authenticates for real)."""

    async def authenticate(self, request: web.Request) -> Principal | None:
        role = request.headers.get("X-Test-Role")
        if not role:
            return None
        return Principal(subject=f"matrix.{role}", role=Role(role), branch="MIL")


def _url(path: str) -> str:
    return PARAM.sub("1", path)


async def _app(name: str, tmp_path: Path) -> tuple[web.Application, Any, RouteTable]:
    module_name, settings_cls = SERVICES[name]
    module = importlib.import_module(module_name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'matrix.sqlite3'}"
    db = await migrated_database(url, module.MIGRATIONS)
    extra: dict[str, Any] = {"outbox_relay_enabled": False} if name == "hub" else {}
    cfg = settings_cls(data_dir=tmp_path, database_url=url, **extra)
    app = module.create_app(cfg, clock=FixedClock(), database=db, authenticator=RoleHeader())
    return app, db, module.routes


def _refusal(access: Access, role: Role | None) -> int | None:
    if access.public or (role is not None and role in access.roles):
        return None
    return 401 if role is None else 403


@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
async def test_every_role_on_every_endpoint(aiohttp_client, tmp_path: Path, service: str) -> None:
    app, _db, routes = await _app(service, tmp_path)
    client = await aiohttp_client(app)
    assert routes.declared, "the service declares its routes"
    refused = 0
    for decl in routes.declared:
        for role in CALLERS:
            headers = {"X-Test-Role": role.value} if role else {}
            resp = await client.request(decl.method, _url(decl.path), json={}, headers=headers)
            expected = _refusal(decl.access, role)
            where = f"{decl.method} {decl.path} as {role or 'anonymous'}"
            if expected is not None:
                assert resp.status == expected, where
                body = await resp.json()
                assert body["code"] == ("auth.required" if expected == 401 else "access.denied")
                refused += 1
            elif resp.content_type == "application/problem+json":
                code = (await resp.json())["code"]
                assert code not in {"auth.required", "access.denied", "access.undeclared"}, where
    async with app[DB].sessions() as session:
        audit = app[AUDIT]
        denials = await session.scalar(
            select(func.count()).where(audit.c.action == "access.denied").select_from(audit)
        )
    assert denials == refused  # every refusal is in the audit log, nothing else is


@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
async def test_routes_served_are_exactly_the_declared_ones(tmp_path: Path, service: str) -> None:
    app, db, routes = await _app(service, tmp_path)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and not isinstance(route.resource, web.StaticResource)
    }
    declared = {(d.method, PARAM.sub(r"{\1}", d.path)) for d in routes.declared}
    service_level = {("GET", "/api/openapi.json"), ("GET", "/healthz"), ("GET", "/metrics")}
    assert served == declared | service_level
    await db.close()


async def test_a_route_without_declaration_stops_the_build(tmp_path: Path) -> None:
    app, db, _routes = await _app("hub", tmp_path)
    check_declared(app)

    async def sneaky(request: web.Request) -> web.Response:
        return web.json_response({"leak": True})

    app.router.add_get("/api/sneaky", sneaky)
    with pytest.raises(UndeclaredRoute, match="/api/sneaky"):
        check_declared(app)
    await db.close()


async def test_a_route_added_after_build_stops_the_start(aiohttp_client, tmp_path: Path) -> None:
    app, db, _routes = await _app("hub", tmp_path)

    async def sneaky(request: web.Request) -> web.Response:
        return web.json_response({"leak": True})

    app.router.add_post("/api/sneaky", sneaky)
    with pytest.raises(UndeclaredRoute):
        await aiohttp_client(app)
    await db.close()


@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
def test_auditors_read_and_never_change(service: str) -> None:
    routes: RouteTable = importlib.import_module(SERVICES[service][0]).routes
    for decl in routes.declared:
        if decl.access.read_only and not decl.access.public:
            assert decl.method == "GET", f"{decl.method} {decl.path} is declared read-only"
        if Role.AUDITOR in decl.access.roles and decl.method in UNSAFE:
            assert (decl.method, decl.path) in AUDITOR_WRITES, f"auditor may {decl.path}"


def test_staff_roles_are_the_people_roles() -> None:
    assert set(STAFF_ROLES) == set(Role) - {Role.RESIDENT, Role.NODE, Role.HUB, Role.PLATFORM}


async def test_a_clerk_of_another_branch_finds_no_foreign_application(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    from common.passwords import hash_password
    from hub.accounts.tables import Office, Staff
    from hub.seed import seed_database
    from tests.helpers import service_app, signed_in

    clock = FixedClock()
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    async with db.transaction() as session:
        session.add(
            Office(
                code="PAR",
                kind="branch",
                name_zh="巴黎海外分中心",
                name_en="Paris Overseas Branch",
                country="FR",
                timezone="Europe/Paris",
            )
        )
        await session.flush()
        session.add(
            Staff(
                username="clerk.paris",
                display_name="Wu Fang",
                role="clerk",
                office_code="PAR",
                password_hash=hash_password("paris-secret-1"),
                created_at=clock.now(),
            )
        )
    client = await aiohttp_client(app)
    milan = await signed_in(client, "clerk.milan", passwords["clerk.milan"])
    paris = await signed_in(client, "clerk.paris", "paris-secret-1")
    body = {
        "item_code": "RE-002",
        "resident": {"name": "Hu", "document": "E1234567", "country": "IT"},
    }
    opened = await client.post("/api/applications", json=body, headers=milan)
    assert opened.status == 201, await opened.text()
    number = (await opened.json())["number"]
    assert (await client.get(f"/api/applications/{number}", headers=milan)).status == 200
    for verb in ("GET", "POST"):
        path = f"/api/applications/{number}" + ("/submit" if verb == "POST" else "")
        foreign = await client.request(verb, path, json={}, headers=paris)
        assert foreign.status == 404, path  # not 403: its existence is not revealed
        assert (await foreign.json())["code"] == "application.not_found"
    missing = await client.get("/api/applications/NOPE-1", headers=paris)
    assert missing.status == 404  # the same answer as for one that does not exist
