"""What a participant's page offers as their step, and the terms read back from a draft's text
to edit it — pure functions, no database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hub.mediation.model import next_step, still_voided, terms_of
from hub.mediation.template import Person, agreement_text


def _view(state: str = "mediating", role: str = "party", consented: bool = True, **doc: Any) -> Any:
    me = {"role": role, "consented_at": "2026-12-03T08:00:00+00:00" if consented else None}
    documents = [doc] if doc else []
    return {"state": state, "me": me | {"signer": "p:1"}, "documents": documents}


def _doc(signed: list[str], missing: list[str]) -> dict[str, Any]:
    return {
        "signed": [{"signer": s} for s in signed],
        "missing": [{"signer": s} for s in missing],
    }


@pytest.mark.parametrize(
    ("view", "enrolled", "live", "step"),
    [
        (_view(consented=False), False, True, "consent"),  # consent comes before everything
        (_view(role="interpreter", consented=False), False, True, "join"),  # helpers: no consent
        (_view(), False, False, "wait"),
        (_view(**_doc([], ["p:1", "p:2", "mediator"])), False, False, "enrol"),
        (_view(**_doc([], ["p:1", "p:2", "mediator"])), True, False, "sign"),
        (_view(**_doc(["p:1"], ["p:2", "mediator"])), True, False, "wait_signatures"),
        (_view("settled", **_doc(["p:1"], [])), True, True, "settled"),
        (_view("closed"), True, True, "closed"),
    ],
)
def test_each_participant_sees_the_one_step_that_is_theirs(
    view: Any, enrolled: bool, live: bool, step: str
) -> None:
    assert next_step(view, enrolled=enrolled, invited_now=live) == step


def test_a_drafts_terms_come_back_as_written_for_editing() -> None:
    terms = ["房东于2026年3月31日前退还押金15000元。", "Each party bears its own costs."]
    text = agreement_text(
        number="TJ-MIL-20261203-ABCDEF",
        version=1,
        drafted_on=date(2026, 12, 3),
        subject="押金 Deposit",
        summary="Article 9. is not a term here",
        parties=[Person("A", "X1", "IT", "MIL"), Person("B", "X2", "ES", "MIL")],
        helpers=[],
        mediator="Hu Wei",
        mediator_office="MIL",
        terms=terms,
    )
    assert terms_of(text) == terms


def _agreement(version: int, state: str, signed: list[str], missing: list[str]) -> Any:
    return {"kind": "agreement", "version": version, "state": state} | _doc(signed, missing)


def test_a_voided_signature_is_news_only_until_its_signer_signs_again() -> None:
    first = _agreement(1, "void", ["p:1", "p:2"], ["mediator"])
    changed = [first, _agreement(2, "signing", [], ["p:1", "p:2", "mediator"])]
    assert [(d["version"], [s["signer"] for s in d["signed"]]) for d in still_voided(changed)] == [
        (1, ["p:1", "p:2"])
    ]
    one_again = [first, _agreement(2, "signing", ["p:1"], ["p:2", "mediator"])]
    assert [s["signer"] for s in still_voided(one_again)[0]["signed"]] == ["p:2"]
    both_again = [first, _agreement(2, "signing", ["p:1", "p:2"], ["mediator"])]
    assert still_voided(both_again) == []
    sealed = [first, _agreement(2, "sealed", ["p:1", "p:2", "mediator", "seal"], [])]
    assert still_voided(sealed) == []
    unsigned_draft = [_agreement(1, "void", [], ["p:1"]), _agreement(2, "signing", [], ["p:1"])]
    assert still_voided(unsigned_draft) == []
