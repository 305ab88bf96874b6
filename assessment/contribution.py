"""Teammates' ratings turned into WebPA contribution factors, and the factors into each member's individual grade."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import TypeGuard, TypeVar

from assessment.errors import InvalidInput
from assessment.messages import N_, Message

PersonId = TypeVar("PersonId", bound=Hashable)

# The WebPA method, as this module applies it:
# 1. Each rater's ratings are normalised to shares summing to 1 (self-ratings among them only when counted), so a
#    lenient and a harsh rater weigh the same: only how they split the work between members matters.
# 2. A share times the number of members the rater rated is 1 for an equal split; a member's factor is the mean of
#    these over the raters who rated them. Equal ratings give exactly 1, and when every member rated the factors
#    average 1, so the team's grade is shared out, not inflated.
# 3. A rater who gave everyone 0 made no distinction between members: that is an equal split, as equal ratings are.
# 4. Members who rated nobody are left out of the mean; a member nobody rated has no evidence against an equal
#    share and gets 1.


def contribution_factors(ratings: Mapping[tuple[PersonId, PersonId], float], members: Sequence[PersonId], *,
                         include_self: bool = False, scale: tuple[float, float] | None = None) -> dict[PersonId, float]:
    """Each member's WebPA factor from (rater, ratee) -> rating, by rules 1-4 above; `scale` bounds the ratings."""
    check_ratings(ratings, members, scale)
    given: dict[PersonId, dict[PersonId, float]] = defaultdict(dict)
    for (rater, ratee), rating in ratings.items():
        if include_self or rater != ratee:
            given[rater][ratee] = float(rating)
    received: dict[PersonId, list[float]] = {member: [] for member in members}
    for rater, row in given.items():
        if row.keys() <= {rater}:
            continue  # rated only themselves: not a rater (rule 4)
        total = math.fsum(row.values())
        for ratee, rating in row.items():
            received[ratee].append(rating * len(row) / total if total > 0 else 1.0)
    return {member: math.fsum(shares) / len(shares) if shares else 1.0 for member, shares in received.items()}


def non_raters(ratings: Mapping[tuple[PersonId, PersonId], float], members: Sequence[PersonId]) -> list[PersonId]:
    """Members who rated none of their teammates (rating only themselves says nothing about the others)."""
    rated = {rater for rater, ratee in ratings if rater != ratee}
    return [member for member in members if member not in rated]


def check_ratings(ratings: Mapping[tuple[PersonId, PersonId], float], members: Sequence[PersonId],
                  scale: tuple[float, float] | None = None) -> None:
    """Refuse ratings a factor cannot be made of: not a finite number, out of the scale, or naming a non-member."""
    team = set(members)
    if not team or len(team) != len(members):
        raise ValueError("a team lists each of its members once, and has at least one")
    low, high = scale if scale is not None else (0.0, math.inf)
    if not (_is_number(low) and _is_number(high) and 0 <= low < high):
        raise ValueError(f"a rating scale runs from a number of at least 0 to a higher one, not {scale!r}")
    for (rater, ratee), rating in ratings.items():
        if rater not in team or ratee not in team:
            raise InvalidInput({"ratings": N_("Members rate only members of their own team.")})
        if not (_is_number(rating) and math.isfinite(rating)):
            raise InvalidInput({"ratings": N_("Each rating must be a number; one is %(value)s.", value=repr(rating))})
        if not low <= rating <= high:
            raise InvalidInput({"ratings": _out_of_scale(rating, low, high)})


def _out_of_scale(rating: float, low: float, high: float) -> Message:
    if math.isinf(high):
        return N_("A rating cannot be below 0; one is %(value)s.", value=rating)
    return N_("Each rating is from %(low)s to %(high)s; one is %(value)s.", low=low, high=high, value=rating)


def _is_number(value: object) -> TypeGuard[float]:
    # True and False are ints to Python, but a tick box is not a rating.
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Penalty:
    """Members who did not rate keep the factor their teammates gave them and lose this share (0 to 1) of the grade."""

    share: float = 0.0


@dataclass(frozen=True)
class FixedFactor:
    """Members who did not rate get this factor instead of the one their teammates gave them."""

    factor: float = 1.0


@dataclass(frozen=True)
class Override:
    """A factor staff set for one member, and why: it replaces cap, weight and non-rater rule."""

    factor: float
    reason: str


@dataclass(frozen=True)
class FactorPolicy:
    """How an assignment turns factors into grades."""

    weight: float = 1.0  # the share of the grade the factor moves, 0 to 1: 0.5 is WebPA's "50% weighting"
    cap: float | None = None  # the highest factor counted; None: no cap
    non_rater: Penalty | FixedFactor = Penalty()
    points_possible: float | None = None  # grades above it are cut to it

    def problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not _fraction(self.weight):
            problems["weight"] = N_("The share of the grade the contribution factor moves is a percentage from 0 to 100.")
        if self.cap is not None and not (_is_number(self.cap) and math.isfinite(self.cap) and self.cap >= 1):
            problems["cap"] = N_("The cap on the contribution factor is a number of at least 1.")
        if isinstance(self.non_rater, Penalty) and not _fraction(self.non_rater.share):
            problems["non_rater"] = N_("The penalty for not rating teammates is a percentage from 0 to 100.")
        if isinstance(self.non_rater, FixedFactor) and not _factor(self.non_rater.factor):
            problems["non_rater"] = N_("The factor for members who did not rate is a number of at least 0.")
        if self.points_possible is not None and not (_factor(self.points_possible) and self.points_possible > 0):
            problems["points_possible"] = N_("Points possible must be more than 0.")
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)


def _fraction(value: object) -> bool:
    return _is_number(value) and 0 <= value <= 1


def _factor(value: object) -> bool:
    return _is_number(value) and 0 <= value < math.inf


@dataclass(frozen=True)
class IndividualGrade:
    factor: float  # from the ratings, as contribution_factors gave it
    applied: float  # what the team's grade was multiplied by, after cap, weight, non-rater rule or override
    grade: float
    explanation: tuple[Message, ...]  # for the member: their own numbers only, never who gave what


def individual_grades(team_grade: float, factors: Mapping[PersonId, float], policy: FactorPolicy, *,
                      non_raters: Collection[PersonId] = (),
                      overrides: Mapping[PersonId, Override] | None = None) -> dict[PersonId, IndividualGrade]:
    """Each member's grade: the team's grade times their factor as `policy` moves it, or as staff overrode it."""
    policy.validate()
    overrides = overrides or {}
    if not _factor(team_grade):
        raise ValueError(f"a team grade is a number of at least 0, not {team_grade!r}")
    if not all(_factor(factor) for factor in factors.values()):
        raise ValueError("contribution factors are numbers of at least 0")
    if not set(non_raters) <= factors.keys():
        raise ValueError("every non-rater must have a factor")
    if not overrides.keys() <= factors.keys():
        raise InvalidInput({"override": N_("Only a member of the team can have their factor overridden.")})
    for override in overrides.values():
        if not _factor(override.factor):
            raise InvalidInput({"override": N_("An overriding factor is a number of at least 0.")})
        if not override.reason.strip():
            raise InvalidInput({"reason": N_("Say why the factor is overridden; the member sees the reason.")})
    return {member: _grade(team_grade, factor, policy, member in non_raters, overrides.get(member))
            for member, factor in factors.items()}


def _grade(team_grade: float, factor: float, policy: FactorPolicy, did_not_rate: bool,
           override: Override | None) -> IndividualGrade:
    lines = [N_("Your teammates' ratings give you a contribution factor of %(factor)s; 1 is an equal share of the work.",
                factor=round(factor, 2))]
    penalty = 0.0
    if override is not None:
        applied = override.factor
        lines.append(N_("Staff set your factor to %(factor)s: %(reason)s", factor=applied, reason=override.reason.strip()))
    else:
        used = factor
        if did_not_rate and isinstance(policy.non_rater, FixedFactor):
            used = policy.non_rater.factor
            lines.append(N_("You did not rate your teammates, so a factor of %(factor)s is used instead.", factor=used))
        elif policy.cap is not None and factor > policy.cap:
            used = policy.cap
            lines.append(N_("Factors are capped at %(cap)s, so %(cap)s is used.", cap=used))
        # WebPA's weighting: (1 - weight) of the team's grade as it is, weight of it times the factor.
        applied = 1 + policy.weight * (used - 1)
        if policy.weight < 1:
            lines.append(N_("The factor moves %(percent)s%% of the grade, so the team's grade is multiplied by %(applied)s.",
                            percent=round(policy.weight * 100, 1), applied=round(applied, 3)))
        if did_not_rate and isinstance(policy.non_rater, Penalty) and policy.non_rater.share > 0:
            penalty = policy.non_rater.share
            lines.append(N_("You did not rate your teammates, so your grade is reduced by %(percent)s%%.",
                            percent=round(penalty * 100, 1)))
    grade = team_grade * applied * (1 - penalty)
    if policy.points_possible is not None and grade > policy.points_possible:
        grade = policy.points_possible
        lines.append(N_("A grade cannot be more than the %(points)s points possible.", points=grade))
    lines.append(N_("Your grade is %(grade)s; the team's grade is %(team_grade)s.", grade=round(grade, 2),
                    team_grade=round(team_grade, 2)))
    return IndividualGrade(factor, applied, grade, tuple(lines))
