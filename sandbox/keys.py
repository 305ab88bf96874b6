"""The platform's RSA signing key: generated on first start, kept as a PEM in the instance path."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from jwcrypto.jwk import JWK

KEY_FILE_NAME = "platform-private-key.pem"
KEY_SIZE = 2048


@dataclass(frozen=True)
class PlatformKey:
    private_pem: str
    public_pem: str
    kid: str

    @property
    def signing_key(self) -> PrivateKeyTypes:
        """The private key ready to sign with (what jwt.encode accepts besides the PEM)."""
        return _parsed(self.private_pem)


def load_or_create_platform_key(instance_path: Path) -> PlatformKey:
    key_file = instance_path / KEY_FILE_NAME
    if not key_file.exists():
        _write_private(key_file, _new_private_pem())
    return _platform_key(key_file.read_text(encoding="ascii"))


def _new_private_pem() -> str:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _write_private(key_file: Path, pem: str) -> None:
    # Written beside the target then renamed, so a crash never leaves half a key behind.
    handle, temp_name = tempfile.mkstemp(dir=key_file.parent, prefix=".key-")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as temp:
            temp.write(pem)
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, key_file)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# Parsing and checking an RSA key costs more than signing with it, and the sandbox signs every launch and token:
# each PEM is parsed once.
@cache
def _parsed(private_pem: str) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)


@cache
def _platform_key(private_pem: str) -> PlatformKey:
    jwk = JWK.from_pem(private_pem.encode("ascii"))
    public_pem = jwk.export_to_pem(private_key=False).decode("ascii")
    # RFC 7638 thumbprint: the same kid lti1p3platform derives when it signs.
    return PlatformKey(private_pem=private_pem, public_pem=public_pem, kid=jwk.thumbprint())
