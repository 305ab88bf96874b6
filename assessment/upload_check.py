"""Checking one uploaded file: its kind, its archive's size limits, then its identity stripped; run in a child."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from assessment.anonymity import strip_identity
from assessment.messages import Message
from assessment.uploads import identify


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    extension: str
    data: bytes  # the file without its author's identity


def check_upload(data: bytes, claimed_name: str, allowed: Collection[str]) -> CheckedFile:
    """The file's kind (from its content; its name must agree) and the file stripped; UploadRejected says why not."""
    # The strippers bound what they unpack themselves (assessment.stripping.package): a bomb is refused from its
    # zip directory before any part is inflated.
    kind = identify(claimed_name, data, allowed)
    return CheckedFile(kind.name, kind.extension, strip_identity(data, kind.name))


def message_to_json(message: Message) -> dict[str, Any]:
    """A domain message as data (its template and parameters, nested messages too), translated when shown."""
    return {"template": message.template,
            "params": {name: {"message": message_to_json(value)} if isinstance(value, Message) else value
                       for name, value in message.params.items()}}


def message_from_json(stored: dict[str, Any]) -> Message:
    params = {name: message_from_json(value["message"]) if isinstance(value, dict) else value
              for name, value in stored.get("params", {}).items()}
    return Message(stored["template"], params)
