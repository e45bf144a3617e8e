"""Finding a service item in the catalogue copy: by code, or by its name in any language.

Pure: works on the guides as the hub publishes them (``name_zh``, ``name_en``, ``name_it``,
``category``, ``category_name_*``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Category", "categories", "search"]

LANGS = ("zh", "en", "it")


@dataclass(frozen=True)
class Category:
    key: str
    names: Mapping[str, str]  # lang -> name
    count: int

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("zh") or self.key


def _words(guide: Mapping[str, Any]) -> str:
    names = [str(guide.get(f"name_{lang}", "")) for lang in LANGS]
    return " ".join([str(guide["code"]), *names]).casefold()


def search(
    guides: Iterable[Mapping[str, Any]], query: str = "", category: str = ""
) -> list[Mapping[str, Any]]:
    """The guides whose code or name (zh, en or it) holds every word of ``query``, in code order;
    ``category`` narrows to one category."""
    words = query.casefold().split()
    found = [
        g
        for g in guides
        if (not category or g.get("category") == category)
        and all(word in _words(g) for word in words)
    ]
    return sorted(found, key=lambda g: str(g["code"]))


def categories(guides: Sequence[Mapping[str, Any]]) -> list[Category]:
    """Each category once, in the order it first appears, with how many items it holds."""
    seen: dict[str, Category] = {}
    for g in guides:
        key = str(g.get("category", ""))
        old = seen.get(key)
        names = {lang: str(g.get(f"category_name_{lang}", "")) for lang in LANGS}
        seen[key] = Category(key, names, (old.count if old else 0) + 1)
    return list(seen.values())
