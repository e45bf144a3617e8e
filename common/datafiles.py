"""Reference-data files (the catalogue, the calendars): JSON checked against a typed schema.

A file is refused as a whole at its first wrong field, named as a path a person can find in
the file (``items[3].promised_days``), so nothing of a wrong file is ever published.
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["DataFileInvalid", "parse_data_file"]

Schema = TypeVar("Schema", bound=BaseModel)


class DataFileInvalid(ValueError):
    """Not a valid file; ``field`` names where (empty when the file is not JSON at all)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_data_file(
    text: str, schema: type[Schema], error: type[DataFileInvalid] = DataFileInvalid
) -> Schema:
    """``text`` parsed as ``schema``, or ``error`` naming the first wrong field."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error("", f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise error(field_path(tuple(first["loc"])), first["msg"]) from None
