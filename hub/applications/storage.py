"""Where the hub keeps material files."""

from common.filestore import FileStore as MaterialStore

__all__ = ["MaterialStore"]
