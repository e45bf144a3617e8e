"""The consultation's rules and the knowledge base's matching, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common.errors import Conflict, Invalid
from hub.consultation.model import (
    State,
    Timeline,
    check_can_open,
    check_publishable,
    check_rating,
    check_transition,
    clean_texts,
    identity_leaks,
    outcome,
    overdue,
    pick_text,
    steps_on_time,
)
from hub.consultation.search import fold, rank, terms
from hub.schedules.model import ServiceType

START = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)  # 16:00 in Beijing


def test_states_move_only_forward() -> None:
    check_transition(State.BOOKED, State.HELD)
    check_transition(State.HELD, State.ANSWERED)
    check_transition(State.ANSWERED, State.RATED)
    for current, target in [
        (State.BOOKED, State.ANSWERED),
        (State.MISSED, State.HELD),
        (State.RATED, State.ANSWERED),
        (State.HELD, State.RATED),
    ]:
        with pytest.raises(Conflict):
            check_transition(current, target)


def test_the_session_opens_a_quarter_hour_early_and_only_once() -> None:
    check_can_open(State.BOOKED, START - timedelta(minutes=15), START)
    with pytest.raises(Conflict) as early:
        check_can_open(State.BOOKED, START - timedelta(minutes=16), START)
    assert early.value.code == "consultation.too_early"
    with pytest.raises(Conflict) as over:
        check_can_open(State.HELD, START, START)
    assert over.value.code == "consultation.session_over"


def test_held_only_when_the_resident_is_in_the_recording() -> None:
    tracks = ["lawyer.chen/audio", "lawyer.chen/video", "resident/video"]
    assert outcome(tracks, "resident") is State.HELD
    assert outcome(tracks[:2], "resident") is State.MISSED
    assert outcome(["residents/video"], "resident") is State.MISSED


def test_texts_need_chinese_and_the_reader_gets_their_language_or_the_original() -> None:
    texts = clean_texts({"zh": " 可以办理。 ", "it": "Si può fare.", "en": "  "})
    assert texts == {"zh": "可以办理。", "it": "Si può fare."}
    assert pick_text(texts, "it").text == "Si può fare." and not pick_text(texts, "it").fallback
    english = pick_text(texts, "en")
    assert (english.lang, english.text, english.fallback) == ("zh", "可以办理。", True)
    assert not pick_text(texts, "zh").fallback
    with pytest.raises(Invalid) as no_zh:
        clean_texts({"it": "Solo italiano"})
    assert no_zh.value.code == "consultation.chinese_required"
    with pytest.raises(Invalid) as other:
        clean_texts({"zh": "好", "fr": "Bien"})
    assert other.value.code == "consultation.bad_language"


@pytest.mark.parametrize(
    ("state", "level", "code"),
    [
        (State.ANSWERED, 0, "consultation.bad_rating"),
        (State.ANSWERED, 6, "consultation.bad_rating"),
        (State.HELD, 5, "consultation.not_answered"),
        (State.BOOKED, 3, "consultation.not_answered"),
        (State.RATED, 4, "consultation.already_rated"),
    ],
)
def test_a_rating_is_one_to_five_once_after_the_answer(state: State, level: int, code: str) -> None:
    with pytest.raises((Invalid, Conflict)) as refused:
        check_rating(state, level)
    assert refused.value.code == code


def test_only_answered_consultations_are_published() -> None:
    check_publishable(State.ANSWERED)
    check_publishable(State.RATED)
    with pytest.raises(Conflict):
        check_publishable(State.HELD)


def test_a_public_text_naming_the_resident_is_caught() -> None:
    who = ["Hu Xiaoming 胡小明", "E1234567"]
    assert identity_leaks("胡小明先生继承了房产", who) == ["胡小明"]
    assert identity_leaks("Il signor XIAOMING, passaporto e1234567", who) == [
        "xiaoming",
        "e1234567",
    ]
    assert identity_leaks("华侨在国内继承房产，需要哪些材料？", who) == []


def test_on_time_counts_the_session_and_the_answer() -> None:
    end = START + timedelta(minutes=30)
    held_on = date(2026, 2, 11)
    prompt = Timeline(State.ANSWERED, START, end, START, held_on, date(2026, 2, 14))
    assert steps_on_time(prompt) == (2, 2)
    late = Timeline(State.ANSWERED, START, end, START + timedelta(minutes=11), held_on, held_on)
    assert steps_on_time(late) == (2, 1)
    slow = Timeline(State.ANSWERED, START, end, START, held_on, date(2026, 2, 15))
    assert steps_on_time(slow) == (2, 1)
    assert steps_on_time(Timeline(State.BOOKED, START, end)) == (0, 0)


def test_overdue_sessions_and_answers() -> None:
    end = START + timedelta(minutes=30)
    booked = Timeline(State.BOOKED, START, end)
    assert not overdue(booked, end + timedelta(minutes=10), date(2026, 2, 11))
    assert overdue(booked, end + timedelta(minutes=11), date(2026, 2, 11))
    held = Timeline(State.HELD, START, end, START, date(2026, 2, 11))
    assert not overdue(held, end, date(2026, 2, 14))
    assert overdue(held, end, date(2026, 2, 15))


def test_consultations_are_held_by_consultants_and_officers() -> None:
    assert ServiceType.CONSULTATION.roles == ("consultant", "officer")
    assert ServiceType.CONSULTATION.minutes == 30
    assert ServiceType.NOTARIZATION.roles == ("notary",)
    assert ServiceType.MEDIATION.role == "mediator" and ServiceType.MEDIATION.minutes == 60


def test_chinese_queries_are_cut_into_character_pairs() -> None:
    assert terms("回国定居") == ["回国", "国定", "定居"]
    assert terms("房") == ["房"]
    assert terms("请问回国定居需要什么材料") == [
        "问回",
        "回国",
        "国定",
        "定居",
        "居需",
        "要什",
        "么材",
        "材料",
    ]


def test_other_languages_fold_case_and_accents_and_inflection() -> None:
    assert fold("EREDITÀ Ｃasa") == "eredita casa"
    assert terms("Eredità della casa") == ["eredit", "casa"]
    assert terms("successioni") == terms("SUCCESSIONE") == ["succession"]


@pytest.mark.parametrize("query", ["", "   ", "?!", "di la il"])
def test_a_search_with_nothing_to_look_for_is_refused(query: str) -> None:
    with pytest.raises(Invalid) as refused:
        terms(query)
    assert refused.value.code == "kb.empty_query"


def test_ranking_needs_half_of_the_terms_and_puts_the_fuller_match_first() -> None:
    entries = [
        ("hukou", fold("回国定居后如何恢复户口？")),
        ("status", fold("华侨身份如何认定？")),
        ("settle", fold("回国定居需要什么材料？Rientro in Cina: quali documenti.")),
    ]
    hits = rank(terms("回国定居材料"), entries)
    assert [h.key for h in hits] == ["settle", "hukou"]
    assert [h.share for h in hits] == [0.8, 0.6]  # 居材 spans two words: in neither
    assert [h.key for h in rank(terms("documenti rientro"), entries)] == ["settle"]
    assert rank(terms("继承"), entries) == []
