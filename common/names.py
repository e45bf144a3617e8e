"""Names of people as they are typed in: what a page, a PDF and the platform may show.

A name that carries a control character (NUL, BEL, a line break) or an invisible text-direction
override (U+202E turns ``Rossi`` into ``issoR`` on screen) could make a record read as someone
else's, so such a name is refused at the door, with a message in the viewer's language; it is
never stored. Letters of every script, spaces, hyphens, apostrophes and dots are all accepted.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from common.errors import N_

__all__ = ["NAME_REFUSED", "PersonName", "check_name"]

# pydantic error type for a refused name; common.web translates it by this key
NAME_REFUSED = "name_characters"
REFUSED_MESSAGE = N_("A name may not contain control characters or text-direction marks.")
# explicit bidirectional formatting characters (Unicode bidi class LRE, RLE, LRO, RLO, PDF,
# LRI, RLI, FSI, PDI, LRM, RLM, ALM)
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def check_name(value: str) -> str:
    """``value`` in NFC, or a refusal naming why."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise PydanticCustomError(NAME_REFUSED, REFUSED_MESSAGE)
    return value


PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(check_name),
]
