"""Where the hub keeps material files."""

from aiohttp import web

from common.filestore import FileStore as MaterialStore

__all__ = ["STORE", "MaterialStore"]

STORE = web.AppKey("material_store", MaterialStore)
