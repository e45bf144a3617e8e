"""aiohttp plumbing: declared routes, OpenAPI, problem+json errors, request ids, locales."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ValidationError

from common.access import Access, Principal, Role
from common.errors import N_, REFUSALS, DomainError, Invalid
from common.i18n import LOCALES, negotiate, translate
from common.logs import HEADER, REQUEST_ID, adopt_request_id
from common.metrics import allowed
from common.names import NAME_REFUSED
from common.names import REFUSED_MESSAGE as NAME_REFUSED_MESSAGE
from common.ratelimit import guarded
from common.sessions import SESSION_COOKIE

__all__ = [
    "ACCESS_ATTR",
    "AUTHENTICATOR",
    "DENIALS",
    "ERROR_PAGE",
    "GUESSABLE_ATTR",
    "LOCALE",
    "PRINCIPAL",
    "Authenticator",
    "RouteTable",
    "current_principal",
    "middlewares",
    "openapi_document",
    "parse_body",
    "problem",
    "reached_over_https",
    "security_headers",
]

log = logging.getLogger("qiaolink.web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)

PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal")
LOCALE = web.RequestKey("locale", str)
# Renders a refusal as a page for a person in a browser: (request, status, code, text) → page.
ErrorPage = Callable[[web.Request, int, str, str], web.Response]
ERROR_PAGE: web.AppKey[ErrorPage] = web.AppKey("error_page")
# (served behind TLS, networks of the proxies whose X-Forwarded-Proto is believed)
TRANSPORT: web.AppKey[tuple[bool, tuple[str, ...]]] = web.AppKey("transport")
ACCESS_ATTR = "__qiaolink_access__"
# a route that finds a record by a secret code a stranger could try to guess (query codes,
# case and certificate codes): every such route shares one budget of misses per address
GUESSABLE_ATTR = "__qiaolink_guessable__"


def current_principal(request: web.Request) -> Principal:
    """Who is asking; a request that reached a handler without one is refused, never assumed."""
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        raise DomainError("auth.required", N_("Please sign in first."), status=401)
    return principal


@dataclass(frozen=True)
class RouteDecl:
    method: str
    path: str
    handler: Handler
    access: Access
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    tags: tuple[str, ...]
    guessable: bool = False


class Authenticator(Protocol):
    async def authenticate(self, request: web.Request) -> Principal | None: ...


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)

# Records a refused request (set by the service skeleton, which knows the audit table).
DenialRecorder = Callable[[web.Request, Principal | None, str, dict[str, Any]], Awaitable[None]]
DENIALS: web.AppKey[DenialRecorder] = web.AppKey("denials")


class RouteTable:
    """Routes with their access declaration; the only way a service adds a route."""

    def __init__(self) -> None:
        self.declared: list[RouteDecl] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        access: Access,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        tags: tuple[str, ...] = (),
        guessable: bool = False,
    ) -> Callable[[Handler], Handler]:
        """``guessable``: the route looks a record up by a secret code (see GUESSABLE_ATTR)."""

        def decorate(handler: Handler) -> Handler:
            setattr(handler, ACCESS_ATTR, access)
            setattr(handler, GUESSABLE_ATTR, guessable)
            self.declared.append(
                RouteDecl(
                    method.upper(), path, handler, access, summary, body, response, tags, guessable
                )
            )
            return handler

        return decorate

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def extend(self, other: RouteTable) -> None:
        self.declared.extend(other.declared)

    def install(self, app: web.Application) -> None:
        for decl in self.declared:
            app.router.add_route(decl.method, decl.path, decl.handler)


def problem(
    request: web.Request | None,
    status: int,
    code: str,
    message: str,
    params: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> web.Response:
    locale = request.get(LOCALE, "en") if request is not None else "en"
    body: dict[str, Any] = {
        "type": f"urn:qiaolink:error:{code}",
        "code": code,
        "status": status,
        "title": _translated(locale, message, params),
        "request_id": REQUEST_ID.get(),
    }
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status, content_type="application/problem+json")


def _translated(locale: str, message: str, params: dict[str, Any] | None) -> str:
    """``message`` in ``locale``, its string parameters (often message ids) translated too."""
    return translate(
        locale,
        message,
        **{k: translate(locale, v) if isinstance(v, str) else v for k, v in (params or {}).items()},
    )


async def parse_body(request: web.Request, model: type[M]) -> M:
    """Read a JSON body into ``model``; bad input is a 422 naming every wrong field."""
    try:
        raw = await request.json()
    except ValueError:
        raise Invalid("request.malformed_json", N_("The request body is not valid JSON.")) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        locale = request.get(LOCALE, "en")
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "message": translate(locale, _FIELD_MESSAGES.get(e["type"], _FIELD_INVALID)),
            }
            for e in exc.errors()
        ]
        raise Invalid(
            "request.invalid", N_("Some fields are missing or invalid."), errors=errors
        ) from None


# pydantic's own messages are English; a viewer reads ours, in their language
_FIELD_INVALID = N_("This value is not valid.")
_FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is too short or empty."),
    "string_too_long": N_("This field is too long."),
    "string_pattern_mismatch": N_("This value does not have the expected form."),
    "string_type": N_("This field must be text."),
    "int_parsing": N_("This field must be a whole number."),
    "int_type": N_("This field must be a whole number."),
    "float_parsing": N_("This field must be a number."),
    "greater_than": N_("This number is too small."),
    "greater_than_equal": N_("This number is too small."),
    "less_than": N_("This number is too large."),
    "less_than_equal": N_("This number is too large."),
    "enum": N_("Choose one of the offered values."),
    "literal_error": N_("Choose one of the offered values."),
    "date_from_datetime_parsing": N_("This field must be a date."),
    "date_parsing": N_("This field must be a date."),
    "datetime_parsing": N_("This field must be a date and time."),
    "extra_forbidden": N_("This field is not expected here."),
    "bool_parsing": N_("This field must be yes or no."),
    "too_long": N_("Too many entries."),
    "too_short": N_("Too few entries."),
    NAME_REFUSED: NAME_REFUSED_MESSAGE,
}


def _locale_of(request: web.Request, default: str) -> str:
    return negotiate(
        request.headers.get("Accept-Language"),
        request.query.get("lang") or request.cookies.get("lang"),
        default,
    )


def middlewares(authenticator: Authenticator | None, default_locale: str = "zh") -> list[Any]:
    """Request id → locale → errors → access, in that order."""

    @web.middleware
    async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = REQUEST_ID.set(adopt_request_id(request.headers.get(HEADER)))
        try:
            response = await handler(request)
            response.headers[HEADER] = REQUEST_ID.get()
            return response
        finally:
            REQUEST_ID.reset(token)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[LOCALE] = _locale_of(request, default_locale)
        try:
            return _keep_language(request, await handler(request))
        except REFUSALS as exc:
            if exc.status == 401 and _wants_page(request):
                raise web.HTTPSeeOther(f"/signin?next={quote(request.path_qs)}") from None
            response = _refusal(request, exc.status, exc.code, exc.message, exc.params, exc.errors)
            retry_after = getattr(exc, "retry_after", None)
            if isinstance(retry_after, int):
                response.headers["Retry-After"] = str(retry_after)
            return response
        except web.HTTPException as exc:
            if exc.status < 400:
                _keep_language(request, exc)
                raise
            message = _HTTP_MESSAGES.get(exc.status, exc.reason)
            return _refusal(request, exc.status, f"http.{exc.status}", message)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _refusal(
                request, 500, "internal", N_("Internal error; the request id names it.")
            )

    @web.middleware
    async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
        route_handler = request.match_info.handler
        declared: Access | None = getattr(route_handler, ACCESS_ATTR, None)
        if declared is None:
            if request.match_info.http_exception is not None:
                raise request.match_info.http_exception
            if _is_static(request):
                return await handler(request)
            raise DomainError("access.undeclared", N_("This route declares no access."), status=500)
        if request.method not in SAFE_METHODS and _cross_site(request):
            await _deny(request, None, "csrf.refused")
            raise DomainError(
                "csrf.refused",
                N_("This request came from another site and was refused."),
                status=403,
            )
        auth = authenticator or request.app.get(AUTHENTICATOR)
        try:
            principal = await auth.authenticate(request) if auth else None
        except REFUSALS as exc:  # a credential that was presented and refused
            await _deny(request, None, exc.code)
            raise
        request[PRINCIPAL] = principal
        if declared.admits(principal):
            if getattr(route_handler, GUESSABLE_ATTR, False) and not _staff(principal):
                return await guarded(request, lambda: handler(request))
            return await handler(request)
        if principal is None:
            await _deny(request, None, "auth.required")
            raise DomainError("auth.required", N_("Please sign in first."), status=401)
        await _deny(request, principal, "access.denied")
        raise DomainError("access.denied", N_("You may not do this."), status=403)

    return [request_id, errors, access]


def _staff(principal: Principal | None) -> bool:
    """Signed-in staff, whose reach is their scope: not guessing, so not counted."""
    return principal is not None and principal.role not in (Role.RESIDENT, Role.PLATFORM)


def _wants_page(request: web.Request) -> bool:
    """A person in a browser asking for a page (sent to the sign-in page, not given JSON)."""
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")


def _keep_language(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """A language chosen with ``?lang=`` stays chosen on the next pages (a cookie), so that a
    form sent or a link followed does not fall back to the browser's language."""
    chosen = request.query.get("lang")
    if chosen in LOCALES and request.cookies.get("lang") != chosen and not response.prepared:
        response.set_cookie("lang", chosen, max_age=365 * 86400, path="/", samesite="Lax")
    return response


def reached_over_https(request: web.Request) -> bool:
    """Whether the person's browser reached us over HTTPS: directly, or through a proxy of ours
    that says so (a forwarded header from anyone else is not believed)."""
    if request.secure:
        return True
    behind_tls, proxies = request.app.get(TRANSPORT, (False, ()))
    if behind_tls:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and allowed(request.remote, proxies)


def _reads_html(request: web.Request) -> bool:
    """A browser navigating (a link, a typed address, a form post) rather than a script or an
    API client: it puts text/html in Accept, and the path is not under /api/."""
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


def _refusal(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    params: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> web.Response:
    """A problem document for API clients; a page in the viewer's language for browsers."""
    render = request.app.get(ERROR_PAGE)
    if render is not None and _reads_html(request):
        text = _translated(request.get(LOCALE, "en"), message, params)
        try:
            return render(request, status, code, text)
        except Exception:  # the page itself failed: the problem document still answers
            log.exception("error page for %s failed", code)
    return problem(request, status, code, message, params, errors)


async def _deny(request: web.Request, principal: Principal | None, code: str) -> None:
    recorder = request.app.get(DENIALS)
    if recorder is not None:
        detail = {"method": request.method, "path": request.path[:200], "code": code}
        await recorder(request, principal, "access.denied", detail)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _cross_site(request: web.Request) -> bool:
    """A browser request with our session cookie that another site made (CSRF).

    Requests that carry a bearer token are exempt: a browser never adds one on its own. Browsers
    send ``Sec-Fetch-Site`` and, on unsafe methods, ``Origin``; clients that send neither are
    not browsers and cannot be driven by another site.
    """
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return False
    if SESSION_COOKIE not in request.cookies:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # Where the browser says where the request came from, that alone decides: under our
        # no-referrer policy Chromium sends ``Origin: null`` on our own pages' form posts.
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or origin != f"{request.scheme}://{request.host}"


def security_headers(*, hsts: bool) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """Headers every response carries (pages, API, errors, static files)."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        if hsts:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith("/api/") or response.content_type == "text/html":
            h.setdefault("Cache-Control", "no-store")

    return add


def _is_static(request: web.Request) -> bool:
    resource = request.match_info.route.resource
    return isinstance(resource, web.StaticResource)


_HTTP_MESSAGES = {
    403: N_("You may not do this."),
    404: N_("Not found."),
    405: N_("Method not allowed."),
    413: N_("The upload is too large."),
}


def _path_schema(regex: str) -> dict[str, Any]:
    """A path parameter's schema; a route's regex (``{id:\\d+}``) becomes its pattern."""
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    if regex:
        schema["pattern"] = f"^{regex}$"
    return schema


def openapi_document(title: str, version: str, routes: RouteTable) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for decl in routes.declared:
        op: dict[str, Any] = {
            "summary": decl.summary,
            "operationId": f"{decl.handler.__module__}.{decl.handler.__name__}",
            "tags": list(decl.tags),
            "x-access": {
                "roles": sorted(r.value for r in decl.access.roles),
                "scope": decl.access.scope.value,
            },
            "responses": {"default": {"description": "problem+json on error"}},
        }
        if decl.guessable:
            op["x-rate-limit"] = "query_code"
        params = [seg[1:-1].partition(":") for seg in decl.path.split("/") if seg.startswith("{")]
        if params:
            op["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": _path_schema(regex)}
                for name, _, regex in params
            ]
        if decl.body is not None:
            schemas[decl.body.__name__] = decl.body.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{decl.body.__name__}"}
                    }
                },
            }
        if decl.response is not None:
            schemas[decl.response.__name__] = decl.response.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            op["responses"]["200"] = {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{decl.response.__name__}"}
                    }
                },
            }
        path = "/".join(
            "{" + seg[1:-1].split(":")[0] + "}" if seg.startswith("{") else seg
            for seg in decl.path.split("/")
        )
        paths.setdefault(path, {})[decl.method.lower()] = op
    for schema in list(schemas.values()):
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas},
    }
