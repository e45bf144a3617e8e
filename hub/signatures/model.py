"""Signing requests' rules: the states a request moves through and what a document must be.

No I/O here: the service applies these rules to stored requests.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from common.errors import N_, Conflict, Invalid

__all__ = ["MAX_PDF", "RequestState", "check_pdf", "expect_state"]

MAX_PDF = 20 * 1024 * 1024


class RequestState(StrEnum):
    AWAITING_RESIDENT = "awaiting_resident"
    RESIDENT_SIGNED = "resident_signed"
    WITNESSED = "witnessed"  # a notarial act: the branch clerk co-signed after the resident
    NOTARIZED = "notarized"
    SEALED = "sealed"


def check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise Invalid("signing.not_a_pdf", N_("The document must be a PDF file."))
    if len(data) > MAX_PDF:
        raise Invalid("signing.too_large", N_("The document is larger than 20 MB."))


def expect_state(row: Any, state: RequestState) -> None:
    if row.state != state.value:
        raise Conflict(
            "signing.wrong_state",
            N_("This document cannot be signed now (it is {state})."),
            params={"state": row.state},
        )
