"""Refuse input before any view sees it: query parameters and form fields holding NUL or other control characters,
and ids in addresses beyond what the database holds."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import request
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

# C0 controls (NUL among them), DEL and C1 controls: no one types them, and the database or a parser chokes on
# some (PostgreSQL refuses NUL in text). Tab and line breaks are ordinary text in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class RowIdConverter(IntegerConverter):
    """`<int:...>` in routes: at most the largest 32-bit id, so a larger number is a 404 like any id of no row, rather
    than a number PostgreSQL refuses to compare with an id (a 500)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def refuse_control_characters() -> None:
    """A before_request hook: runs after the size check, so an oversized body is refused before it is read."""
    if any(_CONTROL.search(text) for text in _sent_texts()):
        raise BadRequest(gettext("What was sent contains control characters (such as a NUL byte) that peerlti "
                                 "does not accept. Remove them, for example by retyping the text, and send it "
                                 "again; nothing was saved."))


def _sent_texts() -> Iterator[str]:
    yield from _keys_and_every_value(request.args)
    if request.method in ("POST", "PUT", "PATCH"):
        yield from _keys_and_every_value(request.form)
        for name, files in request.files.lists():
            yield name
            yield from (file.filename or "" for file in files)


def _keys_and_every_value(fields: MultiDict[str, str]) -> Iterator[str]:
    # .values() would give only the first value of a repeated field.
    for key, values in fields.lists():
        yield key
        yield from values
