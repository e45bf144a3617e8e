"""The rules of a video consultation (法律/政策咨询), without a database or a clock.

A resident books a consultation on a topic with a consultant of the roster (a lawyer of the
legal advisory committee or a hub officer); the consultant holds it as a video session, writes a
short answer and the resident rates it once:

    booked → held → answered → rated
    booked → missed      (the session ended and the resident never appeared in its recording)

The hub's promise, counted as steps like the complaints' time limits:

* the session: the consultant opens it no later than ``SESSION_GRACE`` after the booked start;
* the answer: written within ``ANSWER_DAYS`` calendar days of the session (Beijing dates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from common.errors import N_, Conflict, Invalid
from hub.consultation.search import fold

__all__ = [
    "ANSWER_DAYS",
    "CATEGORY_TOPICS",
    "EARLY_OPEN",
    "LANGS",
    "MAX_TEXT",
    "ORIGINAL",
    "SESSION_GRACE",
    "TOPIC_LABELS",
    "Shown",
    "State",
    "Timeline",
    "Topic",
    "check_can_open",
    "check_publishable",
    "check_rating",
    "check_transition",
    "clean_texts",
    "identity_leaks",
    "outcome",
    "overdue",
    "pick_text",
    "steps_on_time",
]

SESSION_GRACE = timedelta(minutes=10)
EARLY_OPEN = timedelta(minutes=15)  # the consultant may open the session this early
ANSWER_DAYS = 3
LANGS = ("zh", "en", "it")
ORIGINAL = "zh"  # every answer and public question is written in Chinese at least
MAX_TEXT = 10000


class Topic(StrEnum):
    HOUSEHOLD = "household"  # 户籍
    PROPERTY = "property"  # 房产
    INHERITANCE = "inheritance"  # 继承
    MARRIAGE = "marriage"  # 婚姻
    RETURN_SETTLE = "return_settle"  # 回国定居
    OVERSEAS_STATUS = "overseas_status"  # 华侨身份认定
    TAX = "tax"  # 税务
    EDUCATION = "education"  # 教育


TOPIC_LABELS: dict[Topic, str] = {
    Topic.HOUSEHOLD: N_("Household registration"),
    Topic.PROPERTY: N_("Property"),
    Topic.INHERITANCE: N_("Inheritance"),
    Topic.MARRIAGE: N_("Marriage"),
    Topic.RETURN_SETTLE: N_("Returning to settle in China"),
    Topic.OVERSEAS_STATUS: N_("Overseas-Chinese status"),
    Topic.TAX: N_("Tax"),
    Topic.EDUCATION: N_("Education"),
}
# The catalogue's categories whose guides link to a topic of the knowledge base.
CATEGORY_TOPICS: dict[str, Topic] = {
    "household": Topic.HOUSEHOLD,
    "marriage": Topic.MARRIAGE,
    "real_estate": Topic.PROPERTY,
    "education": Topic.EDUCATION,
}


class State(StrEnum):
    BOOKED = "booked"
    HELD = "held"
    MISSED = "missed"
    ANSWERED = "answered"
    RATED = "rated"


_MOVES: dict[State, frozenset[State]] = {
    State.BOOKED: frozenset({State.HELD, State.MISSED}),
    State.HELD: frozenset({State.ANSWERED}),
    State.ANSWERED: frozenset({State.RATED}),
    State.MISSED: frozenset(),
    State.RATED: frozenset(),
}


def check_transition(current: State, target: State) -> None:
    if target not in _MOVES[current]:
        raise Conflict(
            "consultation.bad_transition",
            N_("A consultation that is {current} cannot become {target}."),
            params={"current": current.value, "target": target.value},
        )


def check_can_open(state: State, now: datetime, starts_at: datetime) -> None:
    if state is not State.BOOKED:
        raise Conflict(
            "consultation.session_over",
            N_("The video session of this consultation has already taken place."),
        )
    if now < starts_at - EARLY_OPEN:
        raise Conflict(
            "consultation.too_early",
            N_("The session can be opened from {minutes} minutes before its start."),
            params={"minutes": int(EARLY_OPEN.total_seconds() // 60)},
        )


def outcome(tracks: Iterable[str], resident: str) -> State:
    """Held if the recording carries the resident's picture or sound, else missed."""
    return State.HELD if any(t.startswith(f"{resident}/") for t in tracks) else State.MISSED


def clean_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Per-language texts: Chinese required, Italian and English optional, nothing else."""
    unknown = sorted(set(texts) - set(LANGS))
    if unknown:
        raise Invalid(
            "consultation.bad_language",
            N_("Texts are accepted in zh, en and it only (not {langs})."),
            params={"langs": ", ".join(unknown)[:40]},
        )
    cleaned = {lang: texts[lang].strip() for lang in LANGS if texts.get(lang, "").strip()}
    if ORIGINAL not in cleaned:
        raise Invalid(
            "consultation.chinese_required",
            N_("The Chinese text is required; Italian and English are optional."),
        )
    if any(len(text) > MAX_TEXT for text in cleaned.values()):
        raise Invalid(
            "consultation.text_too_long",
            N_("A text is at most {limit} characters."),
            params={"limit": MAX_TEXT},
        )
    return cleaned


@dataclass(frozen=True)
class Shown:
    lang: str  # the language of ``text``
    text: str
    fallback: bool  # the reader's language was missing: this is the Chinese original


def pick_text(texts: Mapping[str, str], lang: str) -> Shown:
    if texts.get(lang):
        return Shown(lang, texts[lang], False)
    return Shown(ORIGINAL, texts.get(ORIGINAL, ""), lang != ORIGINAL)


def check_rating(state: State, level: int) -> None:
    if not 1 <= level <= 5:
        raise Invalid(
            "consultation.bad_rating",
            N_("A rating is a whole number from 1 (poor) to 5 (excellent)."),
        )
    if state is State.RATED:
        raise Conflict(
            "consultation.already_rated",
            N_("This consultation has already been rated; a rating is given once."),
        )
    if state is not State.ANSWERED:
        raise Conflict(
            "consultation.not_answered",
            N_("A consultation can be rated once its written answer is there."),
        )


def check_publishable(state: State) -> None:
    if state not in (State.ANSWERED, State.RATED):
        raise Conflict(
            "kb.not_answered",
            N_("Only an answered consultation can go into the knowledge base."),
        )


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_WORD = re.compile(r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}")


def identity_leaks(text: str, identity: Iterable[str]) -> list[str]:
    """The parts of the resident's name and document number that a public text still shows:
    Chinese names as runs of two or more characters, other names as words of three or more."""
    haystack = fold(text)
    leaks: list[str] = []
    for value in identity:
        folded = fold(value)
        parts = [*_CJK_RUN.findall(folded), *_WORD.findall(folded)]
        leaks.extend(p for p in parts if p in haystack and p not in leaks)
    return leaks


@dataclass(frozen=True)
class Timeline:
    state: State
    starts_at: datetime  # the booked session
    ends_at: datetime
    opened_at: datetime | None = None  # the consultant opened the video session
    held_on: date | None = None  # Beijing date the session ended
    answered_on: date | None = None

    @property
    def open_by(self) -> datetime:
        return self.starts_at + SESSION_GRACE

    @property
    def answer_by(self) -> date | None:
        return self.held_on + timedelta(days=ANSWER_DAYS) if self.held_on else None


def steps_on_time(t: Timeline) -> tuple[int, int]:
    """(steps the hub finished, of those finished in time): the session, the answer."""
    done = on_time = 0
    if t.state is not State.BOOKED and t.opened_at is not None:
        done += 1
        on_time += t.opened_at <= t.open_by
    if t.answered_on is not None and t.answer_by is not None:
        done += 1
        on_time += t.answered_on <= t.answer_by
    return done, on_time


def overdue(t: Timeline, now: datetime, today: date) -> bool:
    """A session still not held after its slot, or an answer still owed after its day."""
    if t.state is State.BOOKED:
        return now > t.ends_at + SESSION_GRACE
    if t.state is State.HELD and t.answer_by is not None:
        return today > t.answer_by
    return False
