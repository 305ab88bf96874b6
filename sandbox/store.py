"""The course's state (added resource links, line items, every score received), thread-safe and kept as JSON."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_FILE_NAME = "gradebook.json"
RESOURCE_LINK_ID_PREFIX = "sandbox-link-"


class StoreError(Exception):
    """A gradebook change that cannot be applied."""


class LineItemNotFound(StoreError):
    pass


class StaleScore(StoreError):
    """The score's timestamp is not newer than the last one stored for that user and line item."""


@dataclass(frozen=True)
class NewResourceLink:
    """A resource link to add (its id is the store's business) and the line item to create with it, if any."""

    fields: dict[str, Any]
    line_item: dict[str, Any] | None


@dataclass(frozen=True)
class AddedResourceLink:
    link: dict[str, Any]
    line_item: dict[str, Any] | None


class GradebookStore:
    """Resource links added to one course, its line items and the history of scores per line item and user."""

    def __init__(self, instance_path: Path, fixed_link_ids: Collection[str] = ()) -> None:
        self._path = instance_path / STATE_FILE_NAME
        self._lock = threading.RLock()
        # The course's own links are not stored, but an added link must never take one of their ids.
        self._fixed_link_ids = frozenset(fixed_link_ids)
        self.is_new = not self._path.exists()
        if self.is_new:
            self._state: dict[str, Any] = {"next_line_item_id": 1, "line_items": {}, "scores": {}}
        else:
            self._state = json.loads(self._path.read_text(encoding="utf-8"))
        # State files written before deep linking existed have no links yet.
        self._state.setdefault("next_resource_link_number", 1)
        self._state.setdefault("resource_links", {})

    def resource_links(self) -> list[dict[str, Any]]:
        """Links added to the course, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._state["resource_links"].values()))

    def add_resource_links(self, new_links: Sequence[NewResourceLink]) -> list[AddedResourceLink]:
        """Add every link with its line item in one save: a response's items land together or not at all."""
        with self._lock:
            added = []
            for new in new_links:
                link = {"id": self._next_resource_link_id(), **new.fields}
                self._state["resource_links"][link["id"]] = link
                line_item = None
                if new.line_item is not None:
                    line_item = self._add_line_item({**new.line_item, "resourceLinkId": link["id"]})
                added.append(AddedResourceLink(copy.deepcopy(link), copy.deepcopy(line_item)))
            self._save()
            return added

    def replace_resource_link(self, link_id: str, new: NewResourceLink) -> AddedResourceLink:
        """Give an added link new content under the same id; its line item stays, scores and all."""
        with self._lock:
            self._state["resource_links"][link_id] = {"id": link_id, **new.fields}
            kept = next((item for item in self._state["line_items"].values() if item.get("resourceLinkId") == link_id),
                        None)
            self._save()
            return AddedResourceLink(copy.deepcopy(self._state["resource_links"][link_id]), copy.deepcopy(kept))

    def line_items(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._state["line_items"].values()))

    def line_item(self, line_item_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._state["line_items"].get(line_item_id)
            return copy.deepcopy(found)

    def create_line_item(self, fields: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            line_item = self._add_line_item(fields)
            self._save()
            return copy.deepcopy(line_item)

    def replace_line_item(self, line_item_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if line_item_id not in self._state["line_items"]:
                raise LineItemNotFound(line_item_id)
            line_item = {**fields, "id": line_item_id}
            self._state["line_items"][line_item_id] = line_item
            self._save()
            return copy.deepcopy(line_item)

    def delete_line_item(self, line_item_id: str) -> None:
        with self._lock:
            if self._state["line_items"].pop(line_item_id, None) is None:
                raise LineItemNotFound(line_item_id)
            self._state["scores"].pop(line_item_id, None)
            self._save()

    def record_score(self, line_item_id: str, score: dict[str, Any], *, equal_is_stale: bool = True) -> None:
        """Append a score to the user's history; `score["timestamp"]` must be ISO 8601 with a zone, and newer than
        the last one (or, unless `equal_is_stale`, at least as new)."""
        with self._lock:
            if line_item_id not in self._state["line_items"]:
                raise LineItemNotFound(line_item_id)
            history = self._state["scores"][line_item_id].setdefault(score["userId"], [])
            last = _moment(history[-1]["timestamp"]) if history else None
            if last is not None and (_moment(score["timestamp"]) < last or
                                     (equal_is_stale and _moment(score["timestamp"]) == last)):
                raise StaleScore(history[-1]["timestamp"])
            history.append(copy.deepcopy(score))
            self._save()

    def score_history(self, line_item_id: str) -> dict[str, list[dict[str, Any]]]:
        """Scores per user id, oldest first."""
        with self._lock:
            if line_item_id not in self._state["line_items"]:
                raise LineItemNotFound(line_item_id)
            return copy.deepcopy(self._state["scores"][line_item_id])

    def snapshot(self) -> list[tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]]:
        """Every line item with its score histories, read under one lock so they agree."""
        with self._lock:
            return [
                (copy.deepcopy(item), copy.deepcopy(self._state["scores"][item_id]))
                for item_id, item in self._state["line_items"].items()
            ]

    def _add_line_item(self, fields: dict[str, Any]) -> dict[str, Any]:
        line_item_id = str(self._state["next_line_item_id"])
        self._state["next_line_item_id"] += 1
        line_item = {**fields, "id": line_item_id}
        self._state["line_items"][line_item_id] = line_item
        self._state["scores"][line_item_id] = {}
        return line_item

    def _next_resource_link_id(self) -> str:
        while True:
            number = self._state["next_resource_link_number"]
            self._state["next_resource_link_number"] += 1
            link_id = f"{RESOURCE_LINK_ID_PREFIX}{number}"
            if link_id not in self._fixed_link_ids and link_id not in self._state["resource_links"]:
                return link_id

    def _save(self) -> None:
        # A temporary file renamed over the old one: readers and crashes never see half a file.
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self._path.parent, prefix=".gradebook-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                json.dump(self._state, temp, indent=2, ensure_ascii=False)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self._path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def _moment(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)
