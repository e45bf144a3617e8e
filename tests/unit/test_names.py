"""Names are accepted in every script and refused with a control character or a hidden
text-direction mark, which could make one person's record read as another's."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from common.names import NAME_REFUSED, PersonName


class Resident(BaseModel):
    name: PersonName


@pytest.mark.parametrize(
    "name",
    ["Hu Li 胡丽", "  Maria Rossi  ", "D'Angelo-Chen", "Ștefan Dumitrescu", "O. Ng", "王小明"],
)
def test_names_of_every_script_are_kept(name: str) -> None:
    assert Resident(name=name).name == name.strip()


def test_a_decomposed_accent_is_stored_composed() -> None:
    assert Resident(name="Nicolo\u0300").name == "Nicolò"


@pytest.mark.parametrize(
    "name",
    [
        "Rossi\u202eMaria",  # right-to-left override
        "Hu\u2067Li",  # right-to-left isolate
        "Hu\u200fLi",  # right-to-left mark
        "Hu\x00Li",
        "Hu\x07Li",
        "Hu\nLi",
        "Hu\tLi",
        "Hu\x7fLi",
        "Hu\ue000Li",  # private use
    ],
)
def test_control_and_direction_characters_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Resident(name=name)
    assert raised.value.errors()[0]["type"] == NAME_REFUSED


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(ValidationError):
        Resident(name="   ")
