"""What every browser journey needs: a person's sign-in typed into the page, the views a journey
is seen in (three languages, a desk screen and a phone), and the checks each page it visits must
pass, named after what a person would notice:

- the page is in the viewer's language: ``<html lang>`` matches, no message of our catalogs is
  left in English on a Chinese or Italian page, no Chinese text on an English or Italian page
  outside an element that says it is Chinese (``lang="zh"``) or data (``translate="no"``);
- no raw key: no ``residence_permit`` or ``application.still_deficient`` where words belong;
- it does not scroll sideways;
- axe-core finds no serious or critical violation;
- nothing our CSP refused (collect with :func:`watch_console`).

A journey is walked whole once; :func:`revisit` then shows each page it made in the other
languages and sizes (the checks run on every one of them).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Generator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from common.i18n import catalog_ids, translate
from signing.totp import TotpPolicy, code_at
from tests.e2e.browser_support import LOCALES, Shots

__all__ = [
    "SIZES",
    "VIEWS",
    "PageFaults",
    "Staff",
    "Visit",
    "check_page",
    "check_page_sync",
    "new_view",
    "revisit",
    "seeded_staff",
    "sign_in",
    "sign_in_sync",
    "typed_code",
    "typed_code_sync",
    "watch_console",
    "with_lang",
]

SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
VIEWS = [(lang, size) for lang in LOCALES for size in SIZES]
SERIOUS = ("serious", "critical")
_STEP = TotpPolicy().period
# A raw key: words joined by underscores (``residence_permit``), or a whole text that is a dotted
# code (``application.still_deficient``).
_UNDERSCORED = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_DOTTED = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Visible text nodes, each with whether an ancestor marks it Chinese (lang="zh…") or data
# (translate="no"); text inside <script>, <style>, <template> and hidden elements is left out.
_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || el.closest('script,style,template,noscript')) continue;
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    const data = el.closest('[translate="no"]') !== null;
    const lang = (el.closest('[lang]') || document.documentElement).getAttribute('lang') || '';
    out.push({text, data, lang});
  }
  for (const el of document.querySelectorAll('input[placeholder],textarea[placeholder]')) {
    out.push({text: el.placeholder, data: false, lang: document.documentElement.lang});
  }
  return out;
}"""


@dataclass
class Visit:
    """A page a journey made, to be seen again in the other views."""

    url: str
    name: str


@dataclass
class PageFaults:
    """What the browser console said while a journey ran: CSP refusals and page errors."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        assert not self.csp, f"the Content-Security-Policy refused: {self.csp}"
        assert not self.errors, f"script errors on the page: {self.errors}"


def watch_console(page: Any, faults: PageFaults) -> PageFaults:
    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            faults.csp.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: faults.errors.append(str(exc)))
    return faults


async def new_view(
    browser: Any, lang: str, size: str, *, zone: str = "Europe/Rome", **extra: Any
) -> Any:
    """A browser context as a person in ``lang`` on a desk screen or a phone would have it."""
    phone = size == "phone"
    context = await browser.new_context(
        viewport=SIZES[size],
        locale=LOCALES[lang],
        timezone_id=zone,
        is_mobile=phone,
        has_touch=phone,
        **extra,
    )
    context.set_default_timeout(20_000)
    return context


_used_steps: dict[str, int] = {}


def _code_or_wait(secret: str) -> tuple[str | None, float]:
    """The authenticator code a person would read off their phone now, or how long to wait for
    the next one: a code is accepted once, so a second sign-in of the same account waits for
    the authenticator's next code, as a person would."""
    now = datetime.now(UTC)
    step = int(now.timestamp()) // _STEP
    if _used_steps.get(secret, -1) < step:
        _used_steps[secret] = step
        return code_at(secret, now), 0.0
    return None, _STEP - now.timestamp() % _STEP + 0.05


def codes_already_used(used: dict[str, int]) -> None:
    """Notes the authenticator time steps a test harness signed in with (secret -> step) while
    setting up, so that the browser's sign-in of the same account waits for the next code
    instead of typing one the service has already taken."""
    for secret, step in used.items():
        if _used_steps.get(secret, -1) < step:
            _used_steps[secret] = step


async def typed_code(secret: str) -> str:
    code, wait = _code_or_wait(secret)
    while code is None:
        await asyncio.sleep(wait)
        code, wait = _code_or_wait(secret)
    return code


def typed_code_sync(secret: str) -> str:
    code, wait = _code_or_wait(secret)
    while code is None:
        time.sleep(wait)
        code, wait = _code_or_wait(secret)
    return code


async def sign_in(page: Any, base: str, username: str, password: str, secret: str) -> None:
    """Types the user name, password and authenticator code into the sign-in page and sends it
    with the Enter key; fails with the page's own message when sign-in is refused."""
    await page.goto(f"{base}/signin")
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.locator("input[name=code]").fill(await typed_code(secret))
    async with page.expect_navigation():
        await page.locator("input[name=code]").press("Enter")
    if "/signin" in page.url:
        alert = page.locator("[role=alert]")
        said = await alert.inner_text() if await alert.count() else "(no message)"
        raise AssertionError(f"sign-in as {username} refused: {said}")


def sign_in_sync(page: Any, base: str, username: str, password: str, secret: str) -> None:
    """:func:`sign_in` with the sync Playwright API."""
    page.goto(f"{base}/signin")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=code]").fill(typed_code_sync(secret))
    with page.expect_navigation():
        page.locator("input[name=code]").press("Enter")
    if "/signin" in page.url:
        alert = page.locator("[role=alert]")
        raise AssertionError(f"sign-in as {username} refused: {alert.all_inner_texts()}")


@cache
def _catalog_words(lang: str) -> frozenset[str]:
    """English messages without placeholders whose ``lang`` translation differs: seeing one of
    them as a whole text on a ``lang`` page means it was left untranslated."""
    return frozenset(
        m
        for m in catalog_ids("en")
        if "{" not in m and translate(lang, m) != m and len(m) > 3 and " " in m
    )


def language_faults(texts: Iterable[dict[str, Any]], lang: str) -> list[str]:
    """Texts a ``lang`` reader would see as a mistake: raw keys, untranslated messages, Chinese
    on an English or Italian page (unless marked as Chinese or as data)."""
    faults: list[str] = []
    english = _catalog_words(lang) if lang != "en" else frozenset()
    for item in texts:
        text, data = item["text"], item["data"]
        if data:
            continue
        if _DOTTED.match(text) or _UNDERSCORED.search(text):
            faults.append(f"raw key: {text!r}")
        if text in english:
            faults.append(f"untranslated: {text!r}")
        if lang != "zh" and _CJK.search(text) and not str(item["lang"]).startswith("zh"):
            faults.append(f"Chinese on a {lang} page: {text!r}")
    return faults


def _checks(lang: str, where: str, allow_axe: Iterable[str]) -> Generator[str, Any, None]:
    """The checks of one page as a conversation: yields a script for the page to evaluate and
    receives its result, so that the async and the sync Playwright API share one definition."""
    from axe_playwright_python.base import AXE_SCRIPT

    page_lang = yield "document.documentElement.lang"
    assert str(page_lang).split("-")[0] == lang, f"{where}: page in {page_lang}, not {lang}"
    wide = yield "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert wide <= 1, f"{where} scrolls sideways by {wide}px"
    faults = language_faults((yield _TEXTS), lang)
    assert not faults, f"{where}: {faults}"
    yield AXE_SCRIPT  # axe-core comes inside the axe-playwright-python wheel
    results = yield "axe.run({resultTypes: ['violations']})"
    skip = set(allow_axe)
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n.get("target") for n in v.get("nodes", [])][:5],
        }
        for v in results.get("violations", [])
        if v.get("impact") in SERIOUS and v["id"] not in skip
    ]
    assert not violations, f"{where}: axe-core: {json.dumps(violations, ensure_ascii=False)}"


async def check_page(
    page: Any,
    lang: str,
    *,
    shots: Shots | None = None,
    name: str | None = None,
    allow_axe: Iterable[str] = (),
) -> None:
    """Every check a journey's page must pass (async Playwright), then its screenshot."""
    checks = _checks(lang, f"{name or ''} {page.url}", allow_axe)
    try:
        script = next(checks)
        while True:
            script = checks.send(await page.evaluate(script))
    except StopIteration:
        pass
    if shots is not None and name:
        path = shots.dir / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        shots.taken.append(path)


def check_page_sync(
    page: Any,
    lang: str,
    *,
    shots: Shots | None = None,
    name: str | None = None,
    allow_axe: Iterable[str] = (),
) -> None:
    """The same checks with the sync Playwright API."""
    checks = _checks(lang, f"{name or ''} {page.url}", allow_axe)
    try:
        script = next(checks)
        while True:
            script = checks.send(page.evaluate(script))
    except StopIteration:
        pass
    if shots is not None and name:
        shots.take(page, name)


@asynccontextmanager
async def viewing(browser: Any, lang: str, size: str, **extra: Any) -> AsyncIterator[Any]:
    """A page in a fresh view, closed afterwards."""
    context = await new_view(browser, lang, size, **extra)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def revisit(
    page: Any,
    visits: Iterable[Visit],
    *,
    shots: Shots | None,
    views: Iterable[tuple[str, str]] = VIEWS,
) -> int:
    """Shows each page a journey made again in every view, on the journey's own signed-in page:
    the language by ``?lang=`` (which the site keeps), the size by resizing the window. Checks
    each one and returns how many were checked."""
    checked = 0
    visits = list(visits)
    for lang, size in views:
        await page.set_viewport_size(SIZES[size])
        for visit in visits:
            await page.goto(with_lang(visit.url, lang))
            await check_page(page, lang, shots=shots, name=f"{visit.name}-{lang}-{size}")
            checked += 1
    return checked


def with_lang(url: str, lang: str) -> str:
    base, _, query = url.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith("lang=")]
    return f"{base}?{'&'.join([*kept, f'lang={lang}'])}"


@dataclass(frozen=True)
class Staff:
    """A seeded account as its holder knows it: password, and the secret in their
    authenticator app (from which the code they type is read)."""

    username: str
    password: str
    secret: str


async def seeded_staff(
    hub_db: Any | None,
    node_db: Any | None,
    now: datetime,
    *,
    hub_dir: Path | None = None,
    node_dir: Path | None = None,
) -> dict[str, Staff]:
    """Seeds the demo staff of the hub and/or the node, each with a confirmed authenticator, as
    `qiaolink seed` does (sealed under the key in that service's data directory); returns them
    by user name."""
    from common.factors import enrol_demo
    from common.secretbox import service_box
    from hub.db import signin_tables as hub_signin
    from hub.seed import seed_database as seed_hub
    from overseas_node.db import signin_tables as node_signin
    from overseas_node.seed import seed_database as seed_node

    staff: dict[str, Staff] = {}
    for db, seed, tables, data_dir in (
        (hub_db, seed_hub, hub_signin, hub_dir),
        (node_db, seed_node, node_signin, node_dir),
    ):
        if db is None:
            continue
        assert data_dir is not None, "the service's data directory holds its secrets' key"
        passwords = await seed(db, now)
        secrets = await enrol_demo(db, tables, list(passwords), now, service_box(data_dir))
        staff.update({u: Staff(u, p, secrets[u]) for u, p in passwords.items()})
    return staff
