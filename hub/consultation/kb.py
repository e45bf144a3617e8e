"""The public knowledge base of frequent questions: search (API and page) and single entries."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from common.access import PUBLIC
from common.errors import N_, REFUSALS, NotFound
from common.i18n import translate
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable
from hub.consultation import service
from hub.consultation.model import CATEGORY_TOPICS, TOPIC_LABELS, Topic
from hub.consultation.routes import parse_topic
from hub.consultation.schemas import kb_view
from hub.consultation.tables import KbEntry

__all__ = ["kb_routes"]

kb_routes = RouteTable()
TAGS = ("consultation", "knowledge_base")
SHOWN = 50


def _topic(request: web.Request) -> Topic | None:
    """``?topic=``, or ``?category=`` from a service guide (a category without a topic: all)."""
    raw = request.query.get("topic")
    if raw:
        return parse_topic(raw)
    return CATEGORY_TOPICS.get(request.query.get("category", ""))


async def find(request: web.Request) -> tuple[str | None, Topic | None, list[dict[str, Any]]]:
    """Without ``?q=`` the newest entries; with it, the matching ones (an empty ``q`` is an
    error: there is nothing to look for)."""
    lang, topic, query = request.get(LOCALE, "zh"), _topic(request), request.query.get("q")
    found: list[tuple[KbEntry, float | None]]
    async with request.app[DB].sessions() as session:
        if query is None:
            found = [(e, None) for e in await service.kb_entries(session, topic, limit=SHOWN)]
        else:
            hits = await service.kb_search(session, query, topic)
            found = [(h.key, h.share) for h in hits[:SHOWN]]
    views = [kb_view(e, lang) | ({} if share is None else {"share": share}) for e, share in found]
    return query, topic, views


async def _entry(request: web.Request) -> KbEntry:
    raw = request.match_info["id"]
    async with request.app[DB].sessions() as session:
        entry = await session.get(KbEntry, int(raw)) if len(raw) <= 9 else None
    if entry is None:
        raise NotFound("kb.not_found", N_("There is no such entry in the knowledge base."))
    return entry


@kb_routes.get(
    "/api/kb",
    access=PUBLIC,
    summary="Search the knowledge base (?q= in Chinese, Italian or English; ?topic=)",
    tags=TAGS,
)
async def search_api(request: web.Request) -> web.Response:
    query, topic, entries = await find(request)
    body = {"query": query, "topic": topic.value if topic else None, "entries": entries}
    return web.json_response(body)


@kb_routes.get("/api/kb/{id:\\d+}", access=PUBLIC, summary="One knowledge-base entry", tags=TAGS)
async def entry_api(request: web.Request) -> web.Response:
    entry = await _entry(request)
    return web.json_response(kb_view(entry, request.get(LOCALE, "zh")))


def _topics(lang: str) -> list[tuple[str, str]]:
    return [(t.value, translate(lang, label)) for t, label in TOPIC_LABELS.items()]


@kb_routes.get(
    "/kb", access=PUBLIC, summary="The knowledge base of frequent questions (page)", tags=TAGS
)
async def search_page(request: web.Request) -> web.Response:
    lang = request.get(LOCALE, "zh")
    error, status, query, topic = "", 200, request.query.get("q"), None
    entries: list[dict[str, Any]] = []
    try:
        query, topic, entries = await find(request)
    except REFUSALS as exc:
        error, status = translate(lang, exc.message, **exc.params), exc.status
    return request.app[PAGES].render(
        request,
        "consultation/kb.html",
        status=status,
        error=error,
        query=query or "",
        topic=topic.value if topic else "",
        topics=_topics(lang),
        entries=entries,
    )


@kb_routes.get("/kb/{id:\\d+}", access=PUBLIC, summary="One knowledge-base entry (page)", tags=TAGS)
async def entry_page(request: web.Request) -> web.Response:
    entry = await _entry(request)
    return request.app[PAGES].render(
        request, "consultation/kb_entry.html", entry=kb_view(entry, request.get(LOCALE, "zh"))
    )
