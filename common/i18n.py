"""Translations from Babel catalogs (zh, en, it) and language negotiation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

__all__ = ["LOCALES", "catalog_ids", "negotiate", "translate", "translator"]

LOCALES = ("zh", "en", "it")
_DIR = Path(__file__).parent / "locales"


@cache
def _catalog(locale: str) -> dict[str, str]:
    """All of a locale's catalogs merged: ``messages.po`` plus one file per domain."""
    merged: dict[str, str] = {}
    for path in sorted((_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        merged.update({str(m.id): str(m.string) for m in catalog if m.id and m.string})
    return merged


def catalog_ids(locale: str) -> set[str]:
    return set(_catalog(locale))


def translate(locale: str, message: str, **params: Any) -> str:
    text = _catalog(locale if locale in LOCALES else "en").get(message, message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def translator(locale: str) -> Callable[[str], str]:
    """``translate`` bound to one locale, for libraries that take a msgid → text function."""
    return functools.partial(translate, locale)


def negotiate(accept_language: str | None, explicit: str | None = None, default: str = "zh") -> str:
    """Pick zh, en or it: an explicit choice first, then the Accept-Language header."""
    if explicit in LOCALES:
        return explicit
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LOCALES and quality > 0:
            ranked.append((-quality, index, lang))
    return sorted(ranked)[0][2] if ranked else default
