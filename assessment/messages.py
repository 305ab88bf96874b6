"""Text the domain shows people: English templates marked for translation, with their parameters kept for the web edge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime


class Message(str):
    """English text (it compares and prints as such) that also keeps its template and parameters for translation."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, params: Mapping[str, object]) -> Message:
        text = template % {name: display(value) for name, value in params.items()} if params else template
        message = super().__new__(cls, text)
        message.template = template
        message.params = dict(params)
        return message

    def __getnewargs__(self) -> tuple[str, Mapping[str, object]]:  # type: ignore[override]
        # Copies and pickles are rebuilt from the template, not from the English text.
        return self.template, dict(self.params)


def N_(template: str, /, **params: object) -> Message:
    """Mark `template` for translation (`pybabel extract -k N_`); `%(name)s` placeholders are filled from `params`."""
    return Message(template, params)


def display(value: object) -> str:
    """A parameter as English shows it; the web edge formats numbers and dates for the reader's locale instead."""
    if isinstance(value, datetime):
        # In UTC: the domain does not know the reader's time zone.
        moment = value.astimezone(UTC)
        return f"{moment.day} {moment:%B %Y at %H:%M} UTC"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


def message_document(text: str) -> dict[str, object] | None:
    """A message as JSON keeps it (its template and parameters, messages among them as documents too), so that it
    is read later in the reader's language; None for text that is not a `Message` (a platform's own words)."""
    if not isinstance(text, Message):
        return None
    return {"template": text.template,
            "params": {name: message_document(value) if isinstance(value, Message) else _plain(value)
                       for name, value in text.params.items()}}


def message_from_document(document: object, text: str = "") -> str:
    """The message a `message_document` kept, else `text` as it was stored (rows from before documents were kept)."""
    if not isinstance(document, dict) or not isinstance(document.get("template"), str):
        return text
    params = document.get("params")
    return Message(document["template"], {
        name: message_from_document(value) if isinstance(value, dict) else value
        for name, value in (params.items() if isinstance(params, dict) else ())})


def _plain(value: object) -> object:
    # Numbers stay numbers (the web edge formats them for the reader); anything else is kept as its English text.
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
