"""Reading a filled-in rubric (scores and comments per criterion) from a posted form."""

from __future__ import annotations

import math
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from assessment.messages import N_
from assessment.rubric import Rubric


@dataclass(frozen=True)
class RubricEntry:
    selections: dict[str, float]
    comments: dict[str, str]
    unreadable: dict[str, str]  # criterion key -> why its score could not be read


def read_rubric_entry(rubric: Rubric, form: MultiDict) -> RubricEntry:
    selections: dict[str, float] = {}
    comments: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for criterion in rubric.criteria:
        raw = (form.get(f"score-{criterion.key}") or "").strip()
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if math.isfinite(value):
                selections[criterion.key] = value
            else:
                unreadable[criterion.key] = N_("Give a number.")
        comment = form.get(f"comment-{criterion.key}") or ""
        if comment.strip():
            comments[criterion.key] = comment
    return RubricEntry(selections, comments, unreadable)
