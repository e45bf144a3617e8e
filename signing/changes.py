"""What changed in a signed PDF after a signature, in terms a notary or a judge can check.

pyHanko's difference analysis says *whether* a later revision goes beyond what signing and
archiving may add (``ModificationLevel.OTHER``), not *what* it did. This module compares each
later revision with the one before it, page by page, and names each change: the page content
replaced, an annotation added to a page, or the value of a form field changed. Signature
widgets, the document security store and document timestamps are what signing adds; they are
not changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = ["Change", "changes_after"]


@dataclass(frozen=True)
class Change:
    kind: str  # "content", "annotation" or "form_field"
    revision: int  # 1-based: the original document is revision 1
    page: int | None  # 1-based page number, where the change is on a page
    name: str = ""  # the form field's name


def _pages(root: Any) -> list[Any]:
    out: list[Any] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if node.get("/Type") == "/Pages":
            for kid in node.get("/Kids", []):
                walk(kid)
        else:
            out.append(node)

    walk(root["/Pages"])
    return out


def _content(page: Any) -> bytes:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    parts = contents if isinstance(contents, generic.ArrayObject) else [contents]
    return b"".join(part.get_object().data for part in parts)


def _annotation_ids(page: Any) -> dict[int, Any]:
    annots = page.get("/Annots")
    if annots is None:
        return {}
    out = {}
    for item in annots.get_object():
        ident = item.idnum if isinstance(item, generic.IndirectObject) else id(item)
        out[ident] = item.get_object()
    return out


def _is_signature_widget(annot: Any) -> bool:
    field = annot
    for _ in range(8):  # a widget's field type may sit on its parent field
        if field.get("/FT") == "/Sig":
            return True
        parent = field.get("/Parent")
        if parent is None:
            return False
        field = parent.get_object()
    return False


def _field_values(root: Any) -> dict[str, Any]:
    form = root.get("/AcroForm")
    if form is None:
        return {}
    values: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        node = node.get_object()
        name = f"{prefix}.{node['/T']}" if prefix and "/T" in node else str(node.get("/T", prefix))
        if node.get("/FT") != "/Sig" and "/V" in node:
            values[name] = node["/V"]
        for kid in node.get("/Kids", []):
            walk(kid, name)

    for item in form.get_object().get("/Fields", []):
        walk(item, "")
    return values


def _revision_changes(reader: PdfFileReader, revision: int) -> list[Change]:
    old = reader.get_historical_root(revision - 1)
    new = reader.get_historical_root(revision)
    changes: list[Change] = []
    old_pages, new_pages = _pages(old), _pages(new)
    for number, page in enumerate(new_pages, start=1):
        before = old_pages[number - 1] if number <= len(old_pages) else None
        if before is None or _content(before) != _content(page):
            changes.append(Change("content", revision + 1, number))
        known = _annotation_ids(before) if before is not None else {}
        for ident, annot in _annotation_ids(page).items():
            if ident not in known and not _is_signature_widget(annot):
                changes.append(Change("annotation", revision + 1, number))
    old_values = _field_values(old)
    for name, value in _field_values(new).items():
        if old_values.get(name) != value:
            changes.append(Change("form_field", revision + 1, None, name))
    return changes


def changes_after(reader: PdfFileReader, signed_revision: int) -> list[Change]:
    """Every change in the revisions after ``signed_revision`` (0-based, as pyHanko counts)."""
    out: list[Change] = []
    for revision in range(signed_revision + 1, reader.xrefs.total_revisions):
        out.extend(_revision_changes(reader, revision))
    return out
