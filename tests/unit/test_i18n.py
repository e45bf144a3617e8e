"""Every message a user can see exists in Chinese, English and Italian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.i18n import LOCALES, catalog_ids, negotiate, translate

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["common", "hub", "overseas_node", "govnet_sim", "signing", "media"]
# _("…") in templates and code, N_("…") for messages marked in code.
MARKED = re.compile(r"""\bN?_\(\s*(?P<q>["'])(?P<msg>(?:\\.|(?!(?P=q)).)+)(?P=q)""")


def marked_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.suffix not in {".py", ".html", ".js"} or "migrations" in path.parts:
                continue
            for match in MARKED.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match["msg"].replace("\\'", "'"), str(path.relative_to(ROOT)))
    return found


def test_there_are_messages_to_check() -> None:
    assert len(marked_messages()) > 10


@pytest.mark.parametrize("locale", LOCALES)
def test_every_marked_message_is_translated(locale: str) -> None:
    missing = {m: where for m, where in marked_messages().items() if m not in catalog_ids(locale)}
    assert not missing, f"untranslated in {locale}: {missing}"


@pytest.mark.parametrize("locale", ["zh", "it"])
def test_translations_keep_their_placeholders(locale: str) -> None:
    for message in catalog_ids("en"):
        wanted = set(re.findall(r"{(\w+)}", message))
        got = set(re.findall(r"{(\w+)}", translate(locale, message)))
        assert got == wanted, f"{locale}: {message!r} → {translate(locale, message)!r}"


# Italian addresses the reader as "Lei": no "tu" pronoun or possessive, no second-person verb,
# no informal imperative opening a sentence or a button ("Apri", "Invia", "Segui"...).
_TU = re.compile(r"\b(tu|ti|te|tuo|tua|tuoi|tue|puoi|hai|devi|vuoi|sai)\b", re.IGNORECASE)
_INFORMAL = re.compile(
    r"(?:^|[.:;!?] +|; +| poi +)(Accedi|Accendi|Aggiungi|Allega|Apri|Avvia|Cerca|Chiedi|Chiudi|"
    r"Concludi|Disattiva|Elenca|Entra|Esci|Esporta|Indica|Inizia|Inserisci|Invia|Iscriviti|"
    r"Mostra|Prenota|Presenta|Prosegui|Pubblica|Registra|Ricarica|Richiedi|Rifiuta|"
    r"Rinvia|Ripetila|Riprova|Scarica|Scegli|Scrivi|Segui|Sostituisci|Spegni|Torna|Trova|"
    r"Valuta|scegli|scrivi|vedi)\b"
)


def test_italian_speaks_to_the_reader_formally() -> None:
    informal = {
        m: translate("it", m)
        for m in catalog_ids("en")
        if _TU.search(translate("it", m)) or _INFORMAL.search(translate("it", m))
    }
    assert not informal, f"informal Italian: {informal}"
    assert translate("it", "Open the kiosk verification") == "Apra la verifica al chiosco"


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    assert translate("it", "Times shown in {zone}", zone="Europe/Rome") == (
        "Orari indicati in Europe/Rome"
    )
    assert (
        translate("zh", "Times shown in {zone}", zone="Asia/Shanghai")
        == "时间按 Asia/Shanghai 显示"
    )
    assert translate("fr", "Not found.") == "Not found."


@pytest.mark.parametrize(
    ("header", "explicit", "expected"),
    [
        ("it-IT,it;q=0.9,en;q=0.5", None, "it"),
        ("en-GB;q=0.4, zh-CN;q=0.8", None, "zh"),
        ("fr-FR, de;q=0.7", None, "zh"),
        (None, None, "zh"),
        ("it", "en", "en"),
        ("it", "xx", "it"),
        ("en;q=abc, it;q=0.1", None, "it"),
    ],
)
def test_language_negotiation(header: str | None, explicit: str | None, expected: str) -> None:
    assert negotiate(header, explicit, default="zh") == expected
