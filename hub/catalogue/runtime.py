"""What the catalogue's pages take from the app: the office contact shown with every guide."""

from __future__ import annotations

from aiohttp import web

from hub.catalogue.service import OfficeContact

__all__ = ["OFFICE_CONTACT"]

OFFICE_CONTACT = web.AppKey("office_contact", OfficeContact)
