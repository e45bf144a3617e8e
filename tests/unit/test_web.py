"""Declared access, problem+json errors and body parsing, on a small app without a database."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Principal, Role, allow
from common.errors import N_, Conflict
from common.web import PRINCIPAL, RouteTable, middlewares, openapi_document, parse_body


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


class HeaderAuth:
    """Test-only: the role comes from a header. The product authenticates for real."""

    async def authenticate(self, request: web.Request) -> Principal | None:
        role = request.headers.get("X-Test-Role")
        return Principal(subject="someone", role=Role(role)) if role else None


ROUTES = web.AppKey("routes", RouteTable)


def make_app() -> web.Application:
    routes = RouteTable()

    @routes.get("/open", access=PUBLIC, summary="open")
    async def open_(request: web.Request) -> web.Response:
        return web.json_response({"who": None})

    @routes.post("/things", access=allow(Role.CLERK), summary="make a thing", body=Thing)
    async def make(request: web.Request) -> web.Response:
        thing = await parse_body(request, Thing)
        if thing.name == "taken":
            raise Conflict("thing.taken", N_("Not found."))
        principal = request[PRINCIPAL]
        assert principal is not None
        return web.json_response({"name": thing.name, "by": principal.subject})

    @routes.get("/boom", access=PUBLIC, summary="fails")
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app = web.Application(middlewares=middlewares(HeaderAuth()))
    routes.install(app)

    async def undeclared(request: web.Request) -> web.Response:
        return web.json_response({"leak": True})

    app.router.add_get("/undeclared", undeclared)
    app[ROUTES] = routes
    return app


async def test_public_and_role_checks(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    assert (await client.get("/open")).status == 200
    anonymous = await client.post("/things", json={"name": "a", "count": 1})
    assert anonymous.status == 401
    assert (await anonymous.json())["code"] == "auth.required"
    wrong = await client.post(
        "/things", json={"name": "a", "count": 1}, headers={"X-Test-Role": "auditor"}
    )
    assert wrong.status == 403
    ok = await client.post(
        "/things", json={"name": "a", "count": 1}, headers={"X-Test-Role": "clerk"}
    )
    assert ok.status == 200
    assert await ok.json() == {"name": "a", "by": "someone"}


async def test_a_route_without_declaration_never_runs(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/undeclared")
    assert resp.status == 500
    body = await resp.json()
    assert body["code"] == "access.undeclared"
    assert "leak" not in body


async def test_bad_bodies_name_every_wrong_field(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    headers = {"X-Test-Role": "clerk", "Accept-Language": "it"}
    bad = await client.post("/things", json={"name": "", "count": -1}, headers=headers)
    assert bad.status == 422
    body = await bad.json()
    assert body["code"] == "request.invalid"
    assert {e["field"] for e in body["errors"]} == {"name", "count"}
    assert body["title"] == "Alcuni campi mancano o non sono validi."
    garbage = await client.post("/things", data=b"{not json", headers=headers)
    assert garbage.status == 422
    assert (await garbage.json())["code"] == "request.malformed_json"
    conflict = await client.post("/things", json={"name": "taken", "count": 0}, headers=headers)
    assert conflict.status == 409


async def test_unexpected_errors_hide_internals(aiohttp_client) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.get("/boom", headers={"X-Request-Id": "req-123"})
    assert resp.status == 500
    text = await resp.text()
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert (await resp.json())["request_id"] == "req-123"
    assert resp.headers["X-Request-Id"] == "req-123"


def test_openapi_lists_access_and_schemas() -> None:
    routes = make_app()[ROUTES]
    doc = openapi_document("t", "1", routes)
    op = doc["paths"]["/things"]["post"]
    assert op["x-access"] == {"roles": ["clerk"], "scope": "any"}
    assert "Thing" in doc["components"]["schemas"]
    assert doc["paths"]["/open"]["get"]["x-access"]["scope"] == "public"
