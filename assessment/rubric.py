"""Rubrics: criteria with scored levels or numeric ranges, their rules, and the score of a filled-in rubric."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.errors import InvalidInput
from assessment.messages import N_

MAX_CRITERIA = 100
MAX_LEVELS = 20
MAX_TITLE_LENGTH = 200
MAX_WEIGHT = 1000.0
MAX_RANGE_HIGH = 10_000.0
MAX_COMMENT_MIN_LENGTH = 5000
MAX_COMMENT_LENGTH = 20_000
SELECTION_TOLERANCE = 1e-9  # selections arrive as parsed form text; 0.1 + 0.2 must still match a level of 0.3
DOCUMENT_VERSION = 1


@dataclass(frozen=True)
class Level:
    points: float
    descriptor: str


@dataclass(frozen=True)
class CommentPrompt:
    prompt: str
    required: bool = False
    min_length: int = 0  # checked only when a comment is given, unless `required`


@dataclass(frozen=True)
class Criterion:
    key: str  # stable within the rubric; reviews refer to it, so it survives edits of the title
    title: str
    description: str = ""
    weight: float = 1.0
    levels: tuple[Level, ...] = ()
    score_range: tuple[float, float] | None = None
    comment: CommentPrompt | None = None

    @property
    def is_range(self) -> bool:
        return self.score_range is not None

    @property
    def low(self) -> float:
        if self.score_range is not None:
            return self.score_range[0]
        return min((level.points for level in self.levels), default=0.0)

    @property
    def high(self) -> float:
        if self.score_range is not None:
            return self.score_range[1]
        return max((level.points for level in self.levels), default=0.0)

    def fraction(self, selected: float) -> float:
        """Where `selected` sits between this criterion's lowest and highest points, from 0 to 1."""
        low, high = self.low, self.high
        if high == low:
            return 1.0
        return (selected - low) / (high - low)

    def selection_problem(self, value: object) -> str | None:
        """Why `value` is not a valid choice for this criterion, or None when it is."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return N_("Choose a score for “%(criterion)s”.", criterion=self.title)
        if self.score_range is not None:
            low, high = self.score_range
            if not low <= value <= high:
                return N_("The score for “%(criterion)s” must be between %(low)s and %(high)s.",
                          criterion=self.title, low=low, high=high)
            return None
        if self._matching_level(value) is None:
            choices = ", ".join(_number(level.points) for level in sorted(self.levels, key=lambda level: level.points))
            return N_("The score for “%(criterion)s” must be one of its levels: %(choices)s.",
                      criterion=self.title, choices=choices)
        return None

    def _matching_level(self, value: float) -> Level | None:
        for level in self.levels:
            if math.isclose(level.points, value, rel_tol=0.0, abs_tol=SELECTION_TOLERANCE):
                return level
        return None

    def _snapped(self, value: float) -> float:
        # A near-match to a level counts as the level itself, so 0.30000000000000004 scores as 0.3.
        level = self._matching_level(value)
        return level.points if level is not None else value


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]

    def problems(self) -> dict[str, str]:
        """Everything an instructor must fix before the rubric can be used; empty when it is valid."""
        problems: dict[str, str] = {}
        if not self.criteria:
            problems["criteria"] = N_("Add at least one criterion.")
            return problems
        if len(self.criteria) > MAX_CRITERIA:
            problems["criteria"] = N_("A rubric can have at most %(max)s criteria.", max=MAX_CRITERIA)
        seen_keys: dict[str, int] = {}
        for index, criterion in enumerate(self.criteria):
            problems.update(_criterion_problems(index, criterion, seen_keys))
        weights = [criterion.weight for criterion in self.criteria]
        if "criteria" not in problems and all(_is_number(weight) and weight == 0 for weight in weights):
            problems["criteria"] = N_("At least one criterion needs a weight above zero.")
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)

    def score(self, selections: Mapping[str, float], points_possible: float) -> float:
        """The weighted total on the assignment's points: each criterion counts by its weight, as a fraction of its span."""
        if not (_is_number(points_possible) and points_possible >= 0):
            raise ValueError(f"points_possible must be a finite number >= 0, not {points_possible!r}")
        self.validate()
        problems: dict[str, str] = {}
        known = {criterion.key for criterion in self.criteria}
        for key in selections:
            if key not in known:
                problems[key] = N_("This rubric has no such criterion; reload the page to get the current rubric.")
        for criterion in self.criteria:
            if criterion.key not in selections:
                problems[criterion.key] = N_("Choose a score for “%(criterion)s”.", criterion=criterion.title)
                continue
            problem = criterion.selection_problem(selections[criterion.key])
            if problem:
                problems[criterion.key] = problem
        if problems:
            raise InvalidInput(problems)
        total_weight = math.fsum(criterion.weight for criterion in self.criteria)
        weighted = math.fsum(
            criterion.weight * criterion.fraction(criterion._snapped(float(selections[criterion.key])))
            for criterion in self.criteria
        )
        return points_possible * weighted / total_weight

    def check_comments(self, comments: Mapping[str, str]) -> dict[str, str]:
        """Problems with the comments of a filled-in rubric: missing where required, too short, or too long."""
        problems: dict[str, str] = {}
        by_key = {criterion.key: criterion for criterion in self.criteria}
        for key, text in comments.items():
            criterion = by_key.get(key)
            if criterion is None:
                problems[key] = N_("This rubric has no such criterion; reload the page to get the current rubric.")
            elif criterion.comment is None and text.strip():
                problems[key] = N_("“%(criterion)s” does not take a comment.", criterion=criterion.title)
        for criterion in self.criteria:
            prompt = criterion.comment
            if prompt is None:
                continue
            text = comments.get(criterion.key, "").strip()
            if not text:
                if prompt.required:
                    problems[criterion.key] = N_("Write a comment for “%(criterion)s”.", criterion=criterion.title)
            elif len(text) < prompt.min_length:
                problems[criterion.key] = (
                    N_("The comment for “%(criterion)s” needs at least %(min)s characters; it has %(length)s.",
                       criterion=criterion.title, min=prompt.min_length, length=len(text))
                )
            elif len(text) > MAX_COMMENT_LENGTH:
                problems[criterion.key] = (
                    N_("The comment for “%(criterion)s” is longer than %(max)s characters; shorten it.",
                       criterion=criterion.title, max=MAX_COMMENT_LENGTH)
                )
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": DOCUMENT_VERSION,
            "criteria": [
                {
                    "key": criterion.key,
                    "title": criterion.title,
                    "description": criterion.description,
                    "weight": criterion.weight,
                    "levels": [{"points": level.points, "descriptor": level.descriptor} for level in criterion.levels],
                    "score_range": list(criterion.score_range) if criterion.score_range is not None else None,
                    "comment": None if criterion.comment is None else {
                        "prompt": criterion.comment.prompt,
                        "required": criterion.comment.required,
                        "min_length": criterion.comment.min_length,
                    },
                }
                for criterion in self.criteria
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rubric:
        """Read a rubric document; raises InvalidInput when its shape is wrong. Call `validate` for the rules."""
        if not isinstance(data, Mapping):
            raise InvalidInput({"criteria": N_("The rubric could not be read; it is not a rubric document.")})
        version = data.get("version", DOCUMENT_VERSION)
        if version != DOCUMENT_VERSION:
            unknown = N_("This rubric was saved in an unknown format (version %(version)s).", version=repr(version))
            raise InvalidInput({"criteria": unknown})
        raw_criteria = data.get("criteria")
        if not isinstance(raw_criteria, list):
            raise InvalidInput({"criteria": N_("The rubric could not be read; it has no list of criteria.")})
        return cls(criteria=tuple(_criterion_from_dict(index, raw) for index, raw in enumerate(raw_criteria)))


def _criterion_problems(index: int, criterion: Criterion, seen_keys: dict[str, int]) -> dict[str, str]:
    # Keys are positions in `criteria` (from 0, for forms); messages count from 1, as people do.
    where, number = f"criteria.{index}", index + 1
    problems: dict[str, str] = {}
    key = criterion.key.strip()
    if not key:
        problems[f"{where}.key"] = N_("Criterion %(number)s needs a key.", number=number)
    elif key in seen_keys:
        problems[f"{where}.key"] = N_(
            "Criterion %(number)s has the same key as criterion %(other)s; each needs its own.",
            number=number, other=seen_keys[key] + 1,
        )
    else:
        seen_keys[key] = index
    title = criterion.title.strip()
    if not title:
        problems[f"{where}.title"] = N_("Criterion %(number)s needs a title.", number=number)
    elif len(title) > MAX_TITLE_LENGTH:
        problems[f"{where}.title"] = N_(
            "Keep the title of criterion %(number)s under %(max)s characters.", number=number, max=MAX_TITLE_LENGTH
        )
    if not (_is_number(criterion.weight) and 0 <= criterion.weight <= MAX_WEIGHT):
        problems[f"{where}.weight"] = N_(
            "The weight of criterion %(number)s must be a number from 0 to %(max)s.", number=number, max=MAX_WEIGHT
        )
    has_levels, has_range = bool(criterion.levels), criterion.score_range is not None
    if has_levels == has_range:
        problems[where] = N_(
            "Give criterion %(number)s either scored levels or a range of points, not both or neither.", number=number
        )
    elif has_levels:
        problems.update(_level_problems(where, number, criterion.levels))
    else:
        problems.update(_range_problems(where, number, criterion.score_range))
    min_length = None if criterion.comment is None else criterion.comment.min_length
    if min_length is not None and not (_is_whole(min_length) and 0 <= min_length <= MAX_COMMENT_MIN_LENGTH):
        problems[f"{where}.comment"] = (
            N_("The shortest comment for criterion %(number)s must be from 0 to %(max)s characters.",
               number=number, max=MAX_COMMENT_MIN_LENGTH)
        )
    return problems


def _level_problems(where: str, criterion: int, levels: tuple[Level, ...]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if len(levels) < 2:
        problems[f"{where}.levels"] = N_("Give criterion %(number)s at least two levels.", number=criterion)
    elif len(levels) > MAX_LEVELS:
        problems[f"{where}.levels"] = N_(
            "Give criterion %(number)s at most %(max)s levels.", number=criterion, max=MAX_LEVELS
        )
    seen_points: set[float] = set()
    for number, level in enumerate(levels):
        level_where = f"{where}.levels.{number}"
        if not (_is_number(level.points) and level.points >= 0):
            problems[f"{level_where}.points"] = N_(
                "Level %(level)s of criterion %(number)s needs points of 0 or more.", level=number + 1, number=criterion
            )
        elif level.points in seen_points:
            problems[f"{where}.levels"] = (
                N_("Two levels of criterion %(number)s are worth %(points)s; give each level different points.",
                   number=criterion, points=level.points)
            )
        else:
            seen_points.add(level.points)
        if not level.descriptor.strip():
            problems[f"{level_where}.descriptor"] = N_(
                "Describe level %(level)s of criterion %(number)s.", level=number + 1, number=criterion
            )
    return problems


def _range_problems(where: str, number: int, score_range: tuple[float, float] | None) -> dict[str, str]:
    message = N_(
        "The range of criterion %(number)s needs a lowest and a highest score, "
        "from 0 to %(max)s, the highest above the lowest.",
        number=number, max=MAX_RANGE_HIGH,
    )
    if score_range is None or len(score_range) != 2:
        return {f"{where}.score_range": message}
    low, high = score_range
    if not (_is_number(low) and _is_number(high) and 0 <= low < high <= MAX_RANGE_HIGH):
        return {f"{where}.score_range": message}
    return {}


def _criterion_from_dict(index: int, raw: object) -> Criterion:
    where = f"criteria.{index}"
    if not isinstance(raw, Mapping):
        raise InvalidInput({where: N_("Criterion %(number)s could not be read.", number=index + 1)})
    try:
        levels = tuple(Level(points=_as_float(level["points"]), descriptor=str(level["descriptor"]))
                       for level in raw.get("levels") or ())
        score_range = raw.get("score_range")
        comment = raw.get("comment")
        return Criterion(
            key=str(raw["key"]),
            title=str(raw["title"]),
            description=str(raw.get("description") or ""),
            weight=_as_float(raw.get("weight", 1.0)),
            levels=levels,
            score_range=None if score_range is None else (_as_float(score_range[0]), _as_float(score_range[1])),
            comment=None if comment is None else CommentPrompt(
                prompt=str(comment.get("prompt") or ""),
                required=bool(comment.get("required", False)),
                min_length=int(comment.get("min_length", 0)),
            ),
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        raise InvalidInput({where: N_("Criterion %(number)s could not be read.", number=index + 1)}) from error


def _as_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _is_whole(value: object) -> bool:
    # A checkbox's True is not a length, though Python counts it as the integer 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _number(value: float) -> str:
    # 3.0 reads as "3" in messages; 2.5 stays "2.5".
    return f"{value:g}"
