"""Staff sign-in and sign-out routes, shared by the hub and the node (each with its own staff)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from common import factors
from common.access import PUBLIC, Principal, Role, allow
from common.errors import N_, REFUSALS, DomainError, NotFound
from common.factors import SignInTables
from common.i18n import translate
from common.passwords import verify_password
from common.ratelimit import enforce
from common.secretbox import SecretBox
from common.service import CLOCK, DB, PAGES, SESSION_AUTH, SESSIONS, audit
from common.sessions import SESSION_COOKIE, open_session, request_token
from common.web import LOCALE, RouteTable, current_principal, parse_body, reached_over_https

__all__ = [
    "SIGNIN_BOX",
    "SIGNIN_TABLES",
    "STAFF_LOOKUP",
    "STAFF_ROLES",
    "SignIn",
    "StaffLookup",
    "signin_routes",
]

STAFF_ROLES = (
    Role.CLERK,
    Role.OFFICER,
    Role.NOTARY,
    Role.MEDIATOR,
    Role.CONSULTANT,
    Role.SUPERVISOR,
    Role.AUDITOR,
    Role.ADMIN,
)

# Given a transaction and a user name: the stored password hash and who that is, or None.
StaffLookup = Callable[[AsyncSession, str], Awaitable[tuple[str, Principal] | None]]
STAFF_LOOKUP: web.AppKey[StaffLookup] = web.AppKey("staff_lookup")
SIGNIN_TABLES = web.AppKey("signin_tables", SignInTables)
# The service's key for the staff's authenticator secrets (``common.secretbox.service_box``).
SIGNIN_BOX = web.AppKey("signin_box", SecretBox)
# Each role's main page on this service: where signing in from the page leads when the person
# was not on their way to somewhere else.
ROLE_HOME: web.AppKey[dict[Role, str]] = web.AppKey("role_home")
# A scrypt hash to check unknown user names against, so that they take as long as known ones.
_DECOY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    code: str | None = Field(default=None, max_length=12, description="Authenticator code")


class SessionInfo(BaseModel):
    token: str
    subject: str
    role: str
    branch: str | None
    display_name: str


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=12)


class Enrolment(BaseModel):
    secret: str
    uri: str


class Requirement(BaseModel):
    required: bool


def _bad_credentials() -> DomainError:
    return DomainError("auth.bad_credentials", N_("Wrong user name or password."), status=401)


async def _password_ok(password: str, encoded: str | None) -> bool:
    """scrypt is memory-hard on purpose: check it off the event loop."""
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(None, verify_password, password, encoded or _DECOY)
    return ok and encoded is not None


async def _decide(
    request: web.Request,
    session: AsyncSession,
    form: SignIn,
    password_ok: bool,
    now: datetime,
) -> DomainError | None:
    """Second step of sign-in, in one transaction: count failures, claim the code, audit."""
    tables, name = request.app[SIGNIN_TABLES], form.username
    subject = f"staff:{name}"
    if not password_ok:
        await factors.add_failure(session, tables, name, now)
        await audit(request, session, "staff.sign_in_failed", subject, {"reason": "password"})
        return _bad_credentials()
    factor = await factors.load_factor(session, tables, name, request.app[SIGNIN_BOX])
    if factor.confirmed:
        if not form.code:
            return DomainError(
                "auth.code_required",
                N_("Enter the code from your authenticator app."),
                status=401,
            )
        if not await factors.use_code(session, tables, name, factor, form.code, now):
            await factors.add_failure(session, tables, name, now)
            await audit(request, session, "staff.sign_in_failed", subject, {"reason": "code"})
            return DomainError(
                "auth.bad_code",
                N_("The authenticator code is wrong or was already used."),
                status=401,
            )
    elif factor.required:
        await audit(request, session, "staff.sign_in_refused", subject, {"reason": "no_factor"})
        return DomainError(
            "auth.second_factor_required",
            N_("Your account needs an authenticator app. Ask an administrator to enrol one."),
            status=403,
        )
    await factors.clear_failures(session, tables, name)
    await audit(request, session, "staff.sign_in", subject)
    return None


def _session_response(request: web.Request, token: str, principal: Principal) -> web.Response:
    response = web.json_response(
        SessionInfo(
            token=token,
            subject=principal.subject,
            role=principal.role.value,
            branch=principal.branch,
            display_name=principal.display_name,
        ).model_dump()
    )
    _set_session_cookie(request, response, token)
    return response


async def sign_in(request: web.Request) -> web.Response:
    principal, token = await _authenticate(request, await parse_body(request, SignIn))
    return _session_response(request, token, principal)


async def _authenticate(request: web.Request, form: SignIn) -> tuple[Principal, str]:
    """Lock-out, password (off the loop), second factor, audit; then a new session."""
    await enforce(request, "sign_in", form.username)
    db, now = request.app[DB], request.app[CLOCK].now()
    async with db.transaction() as session:
        minutes = await factors.locked_out(session, request.app[SIGNIN_TABLES], form.username, now)
        if minutes:
            await audit(request, session, "staff.sign_in_locked", f"staff:{form.username}")
        found = None if minutes else await request.app[STAFF_LOOKUP](session, form.username)
    if minutes:
        raise factors.locked_error(minutes)
    password_ok = await _password_ok(form.password, found[0] if found else None)
    async with db.transaction() as session:
        refusal = await _decide(request, session, form, password_ok, now)
    if refusal is not None or found is None:
        raise refusal or _bad_credentials()
    token = await open_session(db, request.app[SESSIONS], found[1], now)
    return found[1], token


def signin_routes() -> RouteTable:
    routes = RouteTable()
    routes.post(
        "/api/session",
        access=PUBLIC,
        summary="Sign in with user name, password and (once enrolled) authenticator code",
        body=SignIn,
        response=SessionInfo,
        tags=("accounts",),
    )(sign_in)
    routes.extend(_factor_routes())
    routes.extend(_page_routes())

    @routes.delete(
        "/api/session", access=allow(*STAFF_ROLES), summary="Sign out", tags=("accounts",)
    )
    async def sign_out(request: web.Request) -> web.Response:
        token = request_token(request)
        if token:
            await request.app[SESSION_AUTH].revoke(token, request.app[CLOCK].now())
        response = web.json_response({"signed_out": True})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    @routes.post(
        "/api/session/revoke-all",
        access=allow(*STAFF_ROLES),
        summary="Sign out everywhere",
        tags=("accounts",),
    )
    async def sign_out_everywhere(request: web.Request) -> web.Response:
        principal = current_principal(request)
        count = await request.app[SESSION_AUTH].revoke_all(
            principal.subject, request.app[CLOCK].now()
        )
        return web.json_response({"revoked": count})

    @routes.get(
        "/api/session", access=allow(*STAFF_ROLES), summary="Who is signed in", tags=("accounts",)
    )
    async def whoami(request: web.Request) -> web.Response:
        principal = current_principal(request)
        return web.json_response(
            {
                "subject": principal.subject,
                "role": principal.role.value,
                "branch": principal.branch,
                "display_name": principal.display_name,
            }
        )

    return routes


def _factor_routes() -> RouteTable:
    routes = RouteTable()

    @routes.post(
        "/api/session/second-factor",
        access=allow(*STAFF_ROLES),
        summary="Start enrolling an authenticator app (otpauth URI to scan)",
        response=Enrolment,
        tags=("accounts",),
    )
    async def start_enrolment(request: web.Request) -> web.Response:
        me = current_principal(request)
        async with request.app[DB].transaction() as session:
            secret, uri = await factors.start_enrolment(
                session, request.app[SIGNIN_TABLES], me.subject, request.app[SIGNIN_BOX]
            )
            await audit(request, session, "staff.factor_started", f"staff:{me.subject}")
        return web.json_response(Enrolment(secret=secret, uri=uri).model_dump())

    @routes.post(
        "/api/session/second-factor/confirm",
        access=allow(*STAFF_ROLES),
        summary="Confirm the authenticator app with its current code",
        body=CodeIn,
        tags=("accounts",),
    )
    async def confirm_enrolment(request: web.Request) -> web.Response:
        me = current_principal(request)
        body = await parse_body(request, CodeIn)
        await enforce(request, "one_time_code", me.subject)
        tables, now = request.app[SIGNIN_TABLES], request.app[CLOCK].now()
        async with request.app[DB].transaction() as session:
            minutes = await factors.locked_out(session, tables, me.subject, now)
            ok = not minutes and await factors.confirm_enrolment(
                session, tables, me.subject, request.app[SIGNIN_BOX], body.code, now
            )
            if ok:
                await factors.clear_failures(session, tables, me.subject)
            elif not minutes:
                await factors.add_failure(session, tables, me.subject, now)
            action = "staff.factor_enrolled" if ok else "staff.factor_refused"
            await audit(request, session, action, f"staff:{me.subject}")
        if minutes:
            raise factors.locked_error(minutes)
        if not ok:
            raise DomainError(
                "auth.bad_code",
                N_("The authenticator code is wrong or was already used."),
                status=422,
            )
        return web.json_response({"enrolled": True})

    @routes.put(
        "/api/staff/{username}/second-factor",
        access=allow(Role.ADMIN),
        summary="Require (or stop requiring) an authenticator app for one staff member",
        body=Requirement,
        tags=("accounts",),
    )
    async def require_factor(request: web.Request) -> web.Response:
        body = await parse_body(request, Requirement)
        username = request.match_info["username"]
        async with request.app[DB].transaction() as session:
            if await request.app[STAFF_LOOKUP](session, username) is None:
                raise NotFound(
                    "staff.not_found",
                    N_("No staff member {username}."),
                    params={"username": username},
                )
            await factors.set_required(session, request.app[SIGNIN_TABLES], username, body.required)
            await audit(
                request,
                session,
                "staff.factor_required",
                f"staff:{username}",
                {"required": body.required},
            )
        return web.json_response({"username": username, "required": body.required})

    return routes


def _page_routes() -> RouteTable:
    routes = RouteTable()

    @routes.get("/signin", access=PUBLIC, summary="The sign-in page", tags=("pages",))
    async def signin_page(request: web.Request) -> web.Response:
        return request.app[PAGES].render(
            request,
            "signin.html",
            next=_safe_next(request.query),
            error="",
            signed_out="signed_out" in request.query,
        )

    @routes.post("/signin", access=PUBLIC, summary="Sign in from the page", tags=("pages",))
    async def signin_form(request: web.Request) -> web.StreamResponse:
        data = await request.post()
        target = _safe_next(data)
        try:
            form = SignIn(
                username=str(data.get("username", ""))[:64] or "?",
                password=str(data.get("password", ""))[:256] or "?",
                code=str(data.get("code", ""))[:12] or None,
            )
            principal, token = await _authenticate(request, form)
        except REFUSALS as exc:
            message = translate(request[LOCALE], exc.message, **exc.params)
            return request.app[PAGES].render(
                request, "signin.html", status=exc.status, next=target, error=message
            )
        if target == "/":
            target = request.app.get(ROLE_HOME, {}).get(principal.role, "/")
        moved = web.HTTPSeeOther(target)
        _set_session_cookie(request, moved, token)
        raise moved

    @routes.post("/signout", access=PUBLIC, summary="Sign out from a page", tags=("pages",))
    async def signout_form(request: web.Request) -> web.StreamResponse:
        """Ends this browser's session (a shared branch PC), then shows the sign-in page."""
        token = request_token(request)
        if token:
            await request.app[SESSION_AUTH].revoke(token, request.app[CLOCK].now())
        moved = web.HTTPSeeOther("/signin?signed_out=1")
        moved.del_cookie(SESSION_COOKIE, path="/")
        raise moved

    return routes


def _set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """The session cookie: never readable by scripts, never sent from another site, and never
    sent in the clear when the person reached us over HTTPS, directly or through our proxy."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=reached_over_https(request),
    )


def _safe_next(source: Mapping[str, object]) -> str:
    """Where to go after signing in: a path on this site only.

    Browsers drop tabs and newlines from a location and read a backslash as a slash, so a
    slash, a tab, then ``/evil.example`` would leave the site: a target holding any control
    character, space or backslash, or not starting with exactly one slash, falls back to ``/``.
    """
    target = str(source.get("next", "/") or "/")
    if any(ch <= " " or ch in "\\\x7f" for ch in target):
        return "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"
