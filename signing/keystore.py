"""Where private keys and their certificates live, behind a :class:`KeyStore` port.

The embedded default, :class:`FileKeyStore`, keeps each private key as an encrypted PKCS#8 PEM
file (``<name>.key``, scrypt/AES-256 via ``BestAvailableEncryption``) readable by its owner only
(mode 0600, in a 0700 directory), certificates beside it as ``<name>.crt``. The passphrase
comes from settings or a secret file and is never written anywhere. An HSM or a cloud KMS
would be another adapter of the same port.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from signing.errors import N_, Conflict, Invalid, NotFound

__all__ = ["FileKeyStore", "KeyStore"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class KeyStore(Protocol):
    def has_key(self, name: str) -> bool: ...

    def put_key(self, name: str, key: PrivateKeyTypes) -> None: ...

    def get_key(self, name: str) -> PrivateKeyTypes: ...

    def put_certificate(self, name: str, certificate: x509.Certificate) -> None: ...

    def get_certificate(self, name: str) -> x509.Certificate: ...


class FileKeyStore:
    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if len(passphrase) < 16:
            raise ValueError("the key store passphrase must be at least 16 bytes")
        self._dir = directory
        self._passphrase = passphrase
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)

    @classmethod
    def from_passphrase_file(cls, directory: Path, passphrase_file: Path) -> FileKeyStore:
        mode = stat.S_IMODE(passphrase_file.stat().st_mode)
        if mode & 0o077:
            raise ValueError(f"{passphrase_file} must not be readable by others (chmod 600)")
        return cls(directory, passphrase_file.read_bytes().strip())

    def __repr__(self) -> str:
        return f"FileKeyStore({str(self._dir)!r}, passphrase=***)"

    def _path(self, name: str, suffix: str) -> Path:
        if not _NAME.match(name):
            raise Invalid(
                "keystore.bad_name",
                N_("A key name uses lower-case letters, digits, dots, dashes and underscores."),
            )
        return self._dir / f"{name}{suffix}"

    def has_key(self, name: str) -> bool:
        return self._path(name, ".key").exists()

    def put_key(self, name: str, key: PrivateKeyTypes) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        path = self._path(name, ".key")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise Conflict(
                "keystore.exists",
                N_("A key named {name} already exists and is never overwritten."),
                params={"name": name},
            ) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())

    def get_key(self, name: str) -> PrivateKeyTypes:
        path = self._path(name, ".key")
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                "keystore.missing", N_("There is no key named {name}."), params={"name": name}
            ) from None
        try:
            return serialization.load_pem_private_key(pem, password=self._passphrase)
        except (ValueError, TypeError):
            raise Invalid(
                "keystore.locked",
                N_("The key {name} cannot be opened with this passphrase."),
                params={"name": name},
            ) from None

    def put_certificate(self, name: str, certificate: x509.Certificate) -> None:
        path = self._path(name, ".crt")
        tmp = path.with_suffix(".crt.tmp")
        tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        os.replace(tmp, path)

    def get_certificate(self, name: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self._path(name, ".crt").read_bytes())
        except FileNotFoundError:
            raise NotFound(
                "keystore.no_certificate",
                N_("There is no certificate named {name}."),
                params={"name": name},
            ) from None
