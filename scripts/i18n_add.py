"""Add or update messages in the zh/en/it catalogs.

Usage: python scripts/i18n_add.py FILE.json [DOMAIN]   where FILE.json maps an English msgid
to {"zh": "...", "it": "..."}; English is the msgid itself. DOMAIN (default ``messages``) names
the catalog file, so that each part of the product keeps its own (``intake.po``, ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES_DIR = Path(__file__).resolve().parents[1] / "common" / "locales"


def load(locale: str, domain: str) -> Catalog:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return Catalog(locale=locale, project="qiaolink", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def save(locale: str, domain: str, catalog: Catalog) -> None:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)


def main(source: str, domain: str = "messages") -> None:
    entries: dict[str, dict[str, str]] = json.loads(Path(source).read_text(encoding="utf-8"))
    for locale in ("zh", "en", "it"):
        catalog = load(locale, domain)
        for msgid, texts in entries.items():
            catalog.add(msgid, msgid if locale == "en" else texts[locale])
        save(locale, domain, catalog)
    print(f"{len(entries)} messages written to {domain}.po in zh, en, it")


if __name__ == "__main__":
    main(*sys.argv[1:3])
