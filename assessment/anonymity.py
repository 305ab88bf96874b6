"""Anonymity: stable pseudonyms, neutral file names, and uploaded files stripped of who wrote them."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from assessment.stripping.images import strip_image
from assessment.stripping.office import strip_docx, strip_odt
from assessment.stripping.pdf import strip_pdf

# No 0/O, 1/I/L: a pseudonym is read aloud and typed by people, who confuse those.
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 8


def pseudonym(secret: str, scope: str, person_id: int) -> str:
    """The same person in the same scope always gets the same name; across scopes the names are unrelated."""
    if not secret:
        raise ValueError("a pseudonym needs a secret, or anyone could recompute who is behind it")
    # Versioned and length-prefixed so ("a:1", 2) and ("a", "1:2")-like inputs can never collide,
    # and so this HMAC never equals one computed elsewhere with the same secret.
    message = f"peerlti-pseudonym-v1\x00{len(scope)}:{scope}\x00{person_id}".encode()
    number = int.from_bytes(hmac.new(secret.encode(), message, hashlib.sha256).digest(), "big")
    letters = []
    for _ in range(PSEUDONYM_LENGTH):
        number, index = divmod(number, len(PSEUDONYM_ALPHABET))
        letters.append(PSEUDONYM_ALPHABET[index])
    return "".join(letters)


def neutral_filename(pseudonym: str, extension: str) -> str:
    """A download name that says nothing about the author: `submission-K7Q2MX9R.pdf`."""
    extension = extension.lower().lstrip(".")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", pseudonym) or not re.fullmatch(r"[a-z0-9]{1,10}", extension):
        raise ValueError(f"unsafe pseudonym or extension for a file name: {pseudonym!r}, {extension!r}")
    return f"submission-{pseudonym}.{extension}"


def strip_identity(data: bytes, kind: str) -> bytes:
    """The file without the names its software recorded; the content the student wrote is left as it is.

    Handles pdf, docx, odt, png and jpeg; other kinds (plain text) carry no such records and come back unchanged.
    A file that cannot be read, or that carries what must not reach a reviewer, raises `UploadRejected`.
    """
    stripper = _STRIPPERS.get(kind)
    return stripper(data) if stripper else data


_STRIPPERS: dict[str, Callable[[bytes], bytes]] = {
    "pdf": strip_pdf,
    "docx": strip_docx,
    "odt": strip_odt,
    "png": lambda data: strip_image(data, "png"),
    "jpeg": lambda data: strip_image(data, "jpeg"),
}
