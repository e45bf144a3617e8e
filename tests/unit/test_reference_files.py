# ruff: noqa: E501  (tables of cases read best one per line)
"""The office's reference files: the shipped catalogue is valid, wrong files name the field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hub.applications.deadlines import add_working_days
from hub.calendars.model import (
    CalendarInvalid,
    PublishedYear,
    WorkingDays,
    country_days,
    parse_calendar,
)
from hub.catalogue.model import CatalogueInvalid, guides, parse_catalogue
from hub.catalogue.service import SHIPPED

CALENDAR_2027 = Path(__file__).parents[1] / "data" / "calendar-cn-2027.json"


def _shipped() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_catalogue_holds_59_items_with_three_language_names() -> None:
    catalogue = parse_catalogue(SHIPPED.read_text(encoding="utf-8"))
    built = guides(catalogue)
    assert len(built) == 59
    assert {g["category"] for g in built} == set(catalogue.categories)
    nr4 = next(g for g in built if g["code"] == "NO-004")
    assert nr4["name_it"] == "Procura notarile per l'acquisto di un'abitazione"
    assert nr4["department_zh"] == "县公证处"
    assert all(m["name_it"] and m["common_mistakes_it"] for g in built for m in g["materials"])
    assert "contact" not in nr4  # the office's contact comes from the hub's settings


def _broken(change: Any) -> str:
    raw = _shipped()
    change(raw)
    return json.dumps(raw, ensure_ascii=False)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(raw: Any) -> None:
        target = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (_set(("items", 3, "promised_days"), "five"), "items[3].promised_days", "integer"),
        (_set(("items", 0, "materials", 1), "visa"), "items[0].materials[1]", "no material visa"),
        (_set(("items", 2, "category"), "astrology"), "items[2].category", "no category"),
        (_set(("items", 1, "code"), "HR-001"), "items[1].code", "appears twice"),
        (_set(("items", 5, "promised_days"), 99), "items[5]", "exceed statutory_days"),
        (_set(("items", 4, "colour"), "red"), "items[4].colour", "Extra inputs"),
        (
            _set(("materials", "passport", "name", "it"), ""),
            "materials.passport.name.it",
            "at least",
        ),
        (_set(("format",), "catalogue/2"), "format", "qiaolink-catalogue/1"),
    ],
)
def test_a_wrong_catalogue_file_is_refused_naming_the_field(
    change: Any, field: str, reason: str
) -> None:
    with pytest.raises(CatalogueInvalid) as refused:
        parse_catalogue(_broken(change))
    assert refused.value.field == field
    assert reason in refused.value.reason


def test_a_catalogue_that_is_not_json_says_where() -> None:
    with pytest.raises(CatalogueInvalid, match=r"not JSON \(line 1, column 13\)"):
        parse_catalogue('{ "format": ')


def test_a_published_2027_calendar_replaces_the_package_for_that_year_only() -> None:
    calendar = parse_calendar(CALENDAR_2027.read_text(encoding="utf-8"))
    published = {2027: PublishedYear.of(calendar.years[0])}
    off, makeup = country_days("CN", date(2026, 12, 28), date(2027, 10, 12), published)
    assert {date(2027, 10, 6), date(2027, 10, 7)} <= off
    assert makeup == {date(2027, 2, 20), date(2027, 9, 25), date(2027, 10, 9)}
    assert date(2026, 12, 31) not in off and date(2027, 1, 1) in off
    # without the file the package knows neither the make-up Saturday nor 6–7 October
    bare_off, bare_makeup = country_days("CN", date(2027, 9, 20), date(2027, 10, 12))
    assert date(2027, 10, 6) not in bare_off and date(2027, 9, 25) not in bare_makeup
    # deadlines in working days follow the file too: 9/24 + 1 is the make-up Saturday
    days = WorkingDays("CN", published)
    assert add_working_days(date(2027, 9, 24), 1, days) == date(2027, 9, 25)
    assert add_working_days(date(2027, 9, 30), 1, days) == date(2027, 10, 8)
    assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 6)  # the package alone


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (_set(("years", 0, "working_days", 1, "date"), "2027-09-24"), "years[0].working_days[1]", "weekday"),
        (_set(("years", 0, "days_off", 0, "date"), "2028-01-01"), "years[0].days_off[0]", "not in 2027"),
        (_set(("years", 0, "working_days", 0, "date"), "2027-10-02"), "years[0].working_days[0]", "also listed"),
        (_set(("years", 0, "country"), "China"), "years[0].country", "pattern"),
        (_set(("years", 0, "source"), ""), "years[0].source", "at least"),
        (_set(("years", 0, "days_off", 2, "date"), "2027-02-30"), "years[0].days_off[2].date", "date"),
    ],
)  # fmt: skip
def test_a_wrong_calendar_file_is_refused_naming_the_field(
    change: Any, field: str, reason: str
) -> None:
    raw = json.loads(CALENDAR_2027.read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(CalendarInvalid) as refused:
        parse_calendar(json.dumps(raw))
    assert refused.value.field == field
    assert reason in refused.value.reason
