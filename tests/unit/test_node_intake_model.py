"""The branch's checklist and catalogue search as pure rules: what stands, what blocks, what
only warns; which promises are allowed; which items a word finds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from common.errors import Invalid
from hub.catalogue.model import guides
from hub.catalogue.service import SHIPPED, read_catalogue
from overseas_node.catalogue.model import categories, search
from overseas_node.intake.model import (
    LineStatus,
    check_promises,
    checklist,
    expected_by,
    open_notice,
    readiness,
)

GUIDES = {g["code"]: g for g in guides(read_catalogue(SHIPPED))}
HR002 = GUIDES["HR-002"]  # passport, hukou, application_form, evidence (not essential); 容缺


@dataclass(frozen=True)
class Up:
    material_code: str
    trust: str
    round: int


def statuses(lines: list) -> dict[str, LineStatus]:  # type: ignore[type-arg]
    return {line.code: line.status for line in lines}


def test_a_first_round_names_what_is_missing_unchecked_or_promised() -> None:
    uploads = [Up("passport", "C", 1), Up("passport", "B", 1), Up("hukou", "C", 1)]
    lines = checklist(HR002["materials"], uploads, round_=1, promised=["evidence"])
    assert statuses(lines) == {
        "passport": LineStatus.PRESENT,  # the later upload counts
        "hukou": LineStatus.NOT_CHECKED,
        "application_form": LineStatus.MISSING,
        "evidence": LineStatus.PROMISED,
    }
    state = readiness(lines)
    assert [x.code for x in state.blocking] == ["application_form"]
    assert [x.code for x in state.warnings] == ["hukou"] and not state.ready


def test_a_correction_round_asks_only_for_the_notices_items() -> None:
    notices = [
        {"items": [{"material": "hukou", "problem": "invalid", "detail": "x"}], "resolved_at": "t"},
        {"items": [{"material": "passport", "problem": "invalid", "detail": "expired"}]},
    ]
    notice = open_notice(notices)
    assert notice is notices[1]
    first = [Up(c, "B", 1) for c in ("passport", "hukou", "application_form")]
    lines = checklist(HR002["materials"], first, round_=2, notice=notice)
    assert statuses(lines)["passport"] is LineStatus.TO_REPLACE
    assert statuses(lines)["hukou"] is LineStatus.HELD and lines[0].notice == notice["items"][0]
    replaced = checklist(
        HR002["materials"], [*first, Up("passport", "B", 2)], round_=2, notice=notice
    )
    assert statuses(replaced)["passport"] is LineStatus.REPLACED and readiness(replaced).ready
    sent = checklist(HR002["materials"], [*first, Up("passport", "B", 2)], round_=2, sent=True)
    assert statuses(sent)["hukou"] is LineStatus.PRESENT  # sent in round 1, still what counts


def test_promises_only_where_the_item_allows_them_and_with_a_date() -> None:
    today = date(2026, 12, 3)
    check_promises(HR002, ["evidence"], date(2026, 12, 10), today=today)
    check_promises(GUIDES["HR-005"], [], None, today=today)  # nothing promised: nothing to check
    for guide, wanted, due, code in [
        (GUIDES["HR-005"], ["hukou"], date(2026, 12, 10), "intake.pending_not_allowed"),
        (HR002, ["passport"], date(2026, 12, 10), "intake.essential_pending"),
        (HR002, ["evidence"], today, "intake.promise_date"),
        (HR002, ["evidence"], date(2027, 1, 3), "intake.promise_date"),
        (HR002, ["evidence"], None, "intake.promise_date"),
    ]:
        with pytest.raises(Invalid) as refused:
            check_promises(guide, wanted, due, today=today)
        assert refused.value.code == code


def test_search_finds_items_by_any_language_or_code() -> None:
    everything = list(GUIDES.values())
    assert [g["code"] for g in search(everything, "modifica hukou")] == ["HR-002"]
    assert [g["code"] for g in search(everything, "户口簿信息")] == ["HR-002"]
    assert [g["code"] for g in search(everything, "hr-005")] == ["HR-005"]
    assert {g["category"] for g in search(everything, "", "marriage")} == {"marriage"}
    assert search(everything, "nothing like this") == []
    cats = categories(everything)
    assert (
        sum(c.count for c in cats) == 59
        and cats[0].name("it") == "Registrazione anagrafica (hukou)"
    )


def test_the_receipts_estimate_skips_days_off() -> None:
    weekdays = expected_by(date(2026, 12, 4), 3, lambda d: d.weekday() < 5)  # from a Friday
    assert weekdays == date(2026, 12, 9)
