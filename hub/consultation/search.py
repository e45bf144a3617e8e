"""Searching the knowledge base: pure text matching, the same on every database.

Chinese has no spaces between words, so a Chinese query is cut into overlapping pairs of
characters (二元组: 回国定居 → 回国, 国定, 定居) and each pair is looked for as a substring.
Other languages are cut into words; case and accents are folded away (eredità = EREDITA) and a
word's last vowel is dropped, so that an Italian singular finds its plural (successione,
successioni). An entry matches when it contains at least half of the query's terms; entries
are ranked by the share they contain.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from common.errors import N_, Invalid

__all__ = ["MAX_QUERY", "MIN_SHARE", "Hit", "fold", "rank", "terms"]

MAX_QUERY = 200
MIN_SHARE = 0.5
K = TypeVar("K")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
# Pairs and words that say nothing about the subject of a question.
_CJK_STOP = frozenset(
    "什么 怎么 如何 可以 需要 请问 是否 哪些 我的 我们 一个 这个 那个 的话 吗 呢 的 了".split()
)
_WORD_STOP = frozenset(
    """che chi cosa come con del della delle dei degli gli per una uno sono mio mia miei
    posso devo qual quale quali nel nella alla allo agli the and for what how can does are
    with from that this which have need""".split()
)


def fold(text: str) -> str:
    """Width, case and accents folded away: Ｅｒｅｄｉｔà → eredita."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word[-1] in "aeiou" else word


def _meaningful(word: str) -> bool:
    return word.isdigit() or (len(word) >= 3 and word not in _WORD_STOP)


def terms(query: str) -> list[str]:
    """The query's search terms, in order, each once; a query with none is refused."""
    if len(query) > MAX_QUERY:
        raise Invalid(
            "kb.query_too_long",
            N_("A search is at most {limit} characters."),
            params={"limit": MAX_QUERY},
        )
    found: list[str] = []
    for match in _TOKENS.finditer(fold(query)):
        if match["cjk"]:
            run = match["cjk"]
            pieces = [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]
            found.extend(p for p in pieces if p not in _CJK_STOP)
        elif _meaningful(match["word"]):
            found.append(_stem(match["word"]))
    unique = list(dict.fromkeys(found))
    if not unique:
        raise Invalid(
            "kb.empty_query",
            N_("Type a word, or a few Chinese characters, to search the knowledge base."),
        )
    return unique


@dataclass(frozen=True)
class Hit(Generic[K]):
    key: K
    share: float  # of the query's terms found in the entry


def rank(query_terms: Sequence[str], entries: Sequence[tuple[K, str]]) -> list[Hit[K]]:
    """Entries (key, folded text) holding at least ``MIN_SHARE`` of the terms, best first;
    equal shares keep the order the entries came in."""
    needed = max(1, math.ceil(len(query_terms) * MIN_SHARE))
    hits: list[tuple[int, int, Hit[K]]] = []
    for position, (key, text) in enumerate(entries):
        found = sum(term in text for term in query_terms)
        if found >= needed:
            hits.append((-found, position, Hit(key, round(found / len(query_terms), 3))))
    return [hit for _, _, hit in sorted(hits, key=lambda h: (h[0], h[1]))]
