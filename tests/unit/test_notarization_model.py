"""The rules of a notarial act: types and their advisements, the state machine, fees, codes,
the journal line, and the certificate PDF (bilingual where the type needs it, with a QR)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from common.errors import Conflict, Invalid
from hub.notarization.certificate import CertificateText, render_certificate
from hub.notarization.model import (
    KINDS,
    ActState,
    ActType,
    JournalEntry,
    Step,
    check_particulars,
    check_reason,
    check_tick,
    fee_cents,
    kind_of,
    next_state,
    normalize_code,
    unread,
    verification_code,
)

HAPPY = [Step.IDENTIFY, Step.JOIN_SESSION, Step.PRESENT, Step.WITNESS, Step.ISSUE]


def test_the_four_types_from_the_seeds_each_name_their_item_advisements_and_language() -> None:
    assert set(KINDS) == set(ActType)
    assert {k.item_code for k in KINDS.values()} == {"NO-001", "NO-002", "NO-003", "NO-004"}
    poa = kind_of("power_of_attorney_home")
    assert poa.fee_cents == 30000 and not poa.bilingual
    assert [a.code for a in poa.advisements][-2:] == ["agent_powers", "revocation"]
    assert kind_of("birth").bilingual and "translation" in [
        a.code for a in KINDS[ActType.BIRTH].advisements
    ]
    with pytest.raises(Invalid):
        kind_of("divorce")


def test_the_happy_path_and_every_step_out_of_order() -> None:
    state = ActState.BOOKED
    for step in HAPPY:
        for other in set(HAPPY) - {step}:
            if other is Step.IDENTIFY and state is ActState.IDENTIFIED:
                continue  # proving identity again before the session is allowed
            with pytest.raises(Conflict):
                next_state(state, other)
        state = next_state(state, step)
    assert state is ActState.ISSUED
    for step in Step:
        with pytest.raises(Conflict):
            next_state(ActState.ISSUED, step)


@pytest.mark.parametrize(
    "state",
    [s for s in ActState if s not in (ActState.ISSUED, ActState.REFUSED, ActState.ADJOURNED)],
)
def test_an_open_act_can_be_refused_or_adjourned_and_adjourned_resumes(state: ActState) -> None:
    assert next_state(state, Step.REFUSE) is ActState.REFUSED
    assert next_state(state, Step.ADJOURN) is ActState.ADJOURNED
    assert next_state(ActState.ADJOURNED, Step.RESUME) is ActState.BOOKED
    with pytest.raises(Conflict):
        next_state(ActState.REFUSED, Step.RESUME)


def test_advisements_are_ticked_once_each_during_the_session() -> None:
    poa = KINDS[ActType.POWER_OF_ATTORNEY_HOME]
    read: list[str] = []
    with pytest.raises(Conflict):
        check_tick(poa, ActState.IDENTIFIED, read, "recording")
    for code in ("recording", "truthfulness"):
        read = check_tick(poa, ActState.IN_SESSION, read, code)
    with pytest.raises(Conflict):
        check_tick(poa, ActState.IN_SESSION, read, "recording")
    with pytest.raises(Invalid):
        check_tick(poa, ActState.IN_SESSION, read, "translation")  # not this type's
    assert unread(poa, read) == ["agent_powers", "revocation"]


def test_particulars_reasons_and_fees() -> None:
    poa = KINDS[ActType.POWER_OF_ATTORNEY_HOME]
    with pytest.raises(Invalid) as bad:
        check_particulars(poa, {"agent_name": "x" * 121, "extra": "1"})
    reasons = {(e["field"], e["reason"]) for e in bad.value.errors}
    assert reasons == {
        ("agent_name", "too_long"),
        ("extra", "unknown"),
        ("agent_document", "missing"),
        ("property", "missing"),
    }
    assert check_reason("  not today  ") == "not today"
    with pytest.raises(Invalid):
        check_reason("no")
    assert fee_cents(poa) == 30000 and fee_cents(poa, 3) == 34000
    with pytest.raises(Invalid):
        fee_cents(poa, 0)


def test_verification_codes_are_readable_and_forgiving_to_type() -> None:
    code = verification_code(bytes(range(12)))
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert normalize_code(code.lower().replace("-", " ")) == code
    assert normalize_code("ABCD-EFGH-JKM") is None and normalize_code("0000-0000-0000") is None


def test_a_journal_line_charges_only_issued_acts() -> None:
    entry = JournalEntry(
        1,
        datetime(2026, 5, 4, 7, tzinfo=UTC),
        "NOT-2026-000001",
        "birth",
        "refused",
        "notary.wz",
        "Hu",
        "E1",
        "MIL",
        "att-1",
        "ab" * 32,
        0.31234,
        "",
        20000,
        "",
        "",
        "minor",
    )
    row = entry.row()
    assert row["fee_cny"] == "0.00" and row["identity_distance"] == "0.3123"
    assert row["recorded_at"] == "2026-05-04T07:00:00+00:00"


def _streams(pdf: bytes) -> bytes:
    return b"".join(m.group(1) for m in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S))


@pytest.mark.parametrize("kind", list(ActType))
def test_the_certificate_carries_code_qr_and_the_second_language_where_needed(
    kind: ActType,
) -> None:
    k = KINDS[kind]
    text = CertificateText(
        k,
        "NOT-2026-000007",
        "Hu Xiaoming 胡小明",
        "E1234567",
        {p.name: "x" for p in k.particulars},
        "Hu Jing 胡静",
        "ABCD-EFGH-JKMN",
        "http://hub.example/verify?code=ABCD-EFGH-JKMN",
        datetime(2026, 5, 4, 7, tzinfo=UTC),
        tuple(a.code for a in k.advisements),
    )
    pdf = render_certificate(text)
    assert pdf.startswith(b"%PDF-1.7") and pdf.rstrip().endswith(b"%%EOF")
    assert render_certificate(text) == pdf  # deterministic
    content = _streams(pdf)
    assert b"(ABCD-EFGH-JKMN)" in content
    assert content.count(b" re\n") > 100  # the QR code's modules
    assert (b"NOTARIAL CERTIFICATE" in content) is k.bilingual
    assert "公证书".encode("utf-16-be").hex().upper().encode() in content
