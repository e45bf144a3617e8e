"""The rules of a mediation case, the text a signature covers, statistics, and the package
format — without a database or a network."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.errors import Conflict, Forbidden, Invalid
from hub.mediation.model import (
    CaseRecord,
    CaseState,
    SignatureRecord,
    SigningPlan,
    Step,
    check_signer,
    check_step,
    check_terms,
    coverage,
    office_figures,
    text_sha256,
)
from hub.mediation.pdf import TEXT_MARK, render_text_pdf
from media.face.decision import CONTEXT, Ed25519Signer, VerificationDecision, sign_decision
from signing.package import IDENTITY_CONTEXT, PackageFile, build_package, verify_package
from signing.recording import canonical

PLAN = SigningPlan(("p:1", "p:2", "p:3"))


def _code(exc: pytest.ExceptionInfo[Exception]) -> str:
    return str(exc.value.code)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("state", "step", "held", "missing", "code"),
    [
        (CaseState.OPEN, Step.DRAFT, 0, (), "mediation.wrong_order"),
        (CaseState.MEDIATING, Step.DRAFT, 0, (), "mediation.wrong_order"),
        (CaseState.OPEN, Step.SESSION, 0, ("Chen",), "mediation.consent_missing"),
        (CaseState.MEDIATING, Step.SIGN, 1, (), "mediation.wrong_order"),
        (CaseState.DRAFTED, Step.PACKAGE, 1, (), "mediation.wrong_order"),
        (CaseState.SETTLED, Step.DRAFT, 1, (), "mediation.case_finished"),
        (CaseState.CLOSED, Step.NOTE, 1, (), "mediation.case_finished"),
    ],
)
def test_steps_the_case_is_not_ready_for_are_refused(
    state: CaseState, step: Step, held: int, missing: tuple[str, ...], code: str
) -> None:
    with pytest.raises(Conflict) as exc:
        check_step(state, step, sessions_held=held, consents_missing=missing)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("state", "step", "held"),
    [
        (CaseState.OPEN, Step.SESSION, 0),
        (CaseState.MEDIATING, Step.DRAFT, 1),
        (CaseState.DRAFTED, Step.DRAFT, 1),
        (CaseState.DRAFTED, Step.SIGN, 1),
        (CaseState.SETTLED, Step.NOTE, 1),
        (CaseState.SETTLED, Step.PACKAGE, 1),
    ],
)
def test_steps_in_order_pass(state: CaseState, step: Step, held: int) -> None:
    check_step(state, step, sessions_held=held)


def test_a_signature_covers_one_exact_text() -> None:
    v1, v2 = text_sha256("Refund 5000 yuan.\n"), text_sha256("Refund 6000 yuan.\n")
    assert text_sha256("a\r\nb") == text_sha256("a\nb")
    signed = [SignatureRecord("p:1", v1), SignatureRecord("p:2", v1)]
    assert coverage(PLAN, v1, signed).signed == ("p:1", "p:2")
    after = coverage(PLAN, v2, signed)
    assert after.signed == () and after.void == ("p:1", "p:2")
    assert after.missing == ("p:1", "p:2", "p:3", "mediator", "seal") and not after.complete


def test_signing_twice_out_of_turn_or_as_a_stranger_is_refused() -> None:
    text = text_sha256("t")
    now = coverage(PLAN, text, [SignatureRecord("p:2", text)])
    with pytest.raises(Conflict) as twice:
        check_signer(PLAN, now, "p:2")
    assert _code(twice) == "mediation.already_signed"
    with pytest.raises(Conflict) as early:
        check_signer(PLAN, now, "mediator")
    assert early.value.params == {"count": 2}
    with pytest.raises(Forbidden):
        check_signer(PLAN, now, "p:9")
    check_signer(PLAN, now, "p:3")
    everyone = coverage(PLAN, text, [SignatureRecord(s, text) for s in ("p:1", "p:2", "p:3")])
    check_signer(PLAN, everyone, "mediator")
    with pytest.raises(Conflict):
        check_signer(PLAN, everyone, "seal")  # the mediator comes before the seal


def test_terms_are_required() -> None:
    assert check_terms([" a ", "", "b"]) == ["a", "b"]
    with pytest.raises(Invalid):
        check_terms(["  "])


def test_statistics_per_office() -> None:
    records = [
        CaseRecord("MIL", date(2026, 1, 5), date(2026, 1, 15), None),
        CaseRecord("MIL", date(2025, 12, 20), date(2026, 1, 3), None),
        CaseRecord("MIL", date(2026, 1, 20), None, date(2026, 1, 25)),
        CaseRecord("WZ", date(2026, 1, 30), date(2026, 2, 3), None),
    ]
    per, total = office_figures(records, date(2026, 1, 1), date(2026, 1, 31))
    mil, wz = per
    assert (mil.opened, mil.settled, mil.closed, mil.pending) == (2, 2, 1, 0)
    assert (mil.mean_days, mil.median_days, mil.longest_days) == (12.0, 12.0, 14)
    assert (wz.opened, wz.settled, wz.pending, wz.mean_days) == (1, 0, 1, None)
    assert (total.office, total.opened, total.settled) == ("*", 3, 2)
    everything, _ = office_figures(records)
    assert everything[1].settled == 1 and everything[1].mean_days == 4.0


def test_the_pdf_is_deterministic_and_names_its_text() -> None:
    text = "调解协议书 Mediation Agreement\nArticle 1. Refund 5000 yuan.\n"
    digest = text_sha256(text)
    pdf = render_text_pdf("调解协议书", text, text_sha256=digest)
    assert pdf == render_text_pdf("调解协议书", text, text_sha256=digest)
    assert pdf.startswith(b"%PDF-") and TEXT_MARK + digest.encode() in pdf
    assert "调解".encode("utf-16-be").hex().upper().encode() in pdf
    long = render_text_pdf("t", "line\n" * 200, text_sha256=digest)
    assert long.count(b"/Type /Page ") == 5


def test_identity_decisions_are_checked_with_the_node_library_context() -> None:
    assert IDENTITY_CONTEXT == CONTEXT


def _decision(signer: Ed25519Signer) -> dict[str, object]:
    at = "2026-01-05T09:00:00+00:00"
    fields = dict(
        attempt_id="att-1", resident_id="resident:X1", branch="MIL", accepted=True,
        reason="accepted", distance=0.3, threshold=0.55, challenge=("blink",), steps=(),
        issued_at=at, received_at=at, decided_at=at, frames_span_ms=1, processing_ms=1,
        frame_hashes=("ab" * 32,), encoded_frames=(0,), model="m",
    )  # fmt: skip
    return sign_decision(VerificationDecision(**fields), signer).to_dict()  # type: ignore[arg-type]


def test_a_package_without_trust_or_with_a_changed_identity_fails_by_name() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from signing.ca import CertificateAuthority
    from signing.ca import Role as CaRole
    from signing.primitives import ecdsa_p256_sign, ed25519_public_bytes

    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    ca = CertificateAuthority.create(name="Test CA", at=at)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.issue(
        role=CaRole.SEAL, common_name="Seal", ident="S", public_key=key.public_key(), at=at
    )
    node = Ed25519Signer(Ed25519PrivateKey.generate())
    decision = canonical(_decision(node))
    meta = {
        "agreement": {
            "file": "a.pdf", "text_file": "a.txt", "text_sha256": "0" * 64,
            "draft_sha256": "0" * 64, "draft_size": 1, "resident_signatures": 1,
        },
        "recordings": [],
        "identity": [{"file": "identity/p-1.json", "resident_id": "resident:X1"}],
        "consents": [],
        "node_keys": {
            node.key_id: {
                "branch": "MIL",
                "public_key": ed25519_public_bytes(node.private_key).hex(),
            }
        },
        "audit": {"log_key": "00" * 32, "proofs": "audit/proofs.json"},
    }  # fmt: skip
    files = [PackageFile("identity/p-1.json", decision)]
    package = build_package(
        files, meta=meta, created_at=at, sign=lambda b: ecdsa_p256_sign(key, b), certificate=cert
    )
    good = verify_package(package, trust_roots=[ca.certificate])
    assert [c.ok for c in good.checks if c.subject == "identity/p-1.json"] == [True, True]
    untrusted = verify_package(
        package, trust_roots=[CertificateAuthority.create(name="Other", at=at).certificate]
    )
    assert (
        "manifest.json: the signing certificate is not issued by a trusted root"
        in untrusted.failures
    )
    doc = json.loads(decision)
    doc["decision"]["resident_id"] = "resident:Y2"
    forged = build_package(
        [PackageFile("identity/p-1.json", canonical(doc))], meta=meta, created_at=at,
        sign=lambda b: ecdsa_p256_sign(key, b), certificate=cert,  # type: ignore[arg-type]
    )  # fmt: skip
    failures = verify_package(forged, trust_roots=[ca.certificate]).failures
    assert "identity/p-1.json: the node's signature on the decision does not verify" in failures
    assert not verify_package(b"not a zip", trust_roots=[ca.certificate]).ok
