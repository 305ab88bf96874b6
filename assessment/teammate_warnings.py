"""Warnings for staff about one team's teammate ratings, each with the numbers that raised it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from assessment.contribution import check_ratings, non_raters
from assessment.messages import N_, Message

# The warnings never change a grade: they tell staff where to look. "Of an equal share" is a rating over the mean
# rating the same rater gave their teammates (their self-rating left out), the unit of the contribution factor:
# it makes lenient and harsh raters comparable.
# 1. Possible free rider: at least MIN_OTHER_RATERS teammates rated the member, each gave them less than an equal
#    share, and on average at most FAR_BELOW of one.
# 2. Overconfident: at least MIN_OTHER_RATERS teammates rated the member, and the member rated themselves more than
#    OVERCONFIDENT_GAP of an equal share above the mean of those ratings (a self-rating over the mean rating they gave
#    their teammates is their own view of their share).
# 3. Possible manipulation: the member rated themselves at least MANIPULATION_SHARE of the scale above every
#    teammate they rated.
# 4. Two camps: the team splits into two groups of at least two where everyone who rated both groups gave their own
#    group at least CAMP_GAP of an equal share more, on average, than the other group (a conflict, or a clique).
# 5. Did not rate: the member rated none of their teammates.

# One teammate's low rating may be a grudge; two who agree are a pattern.
MIN_OTHER_RATERS = 2
# On a five-point scale one step below the rest (4 against 5s: 0.86) is ordinary disagreement; two steps (3 against
# 5s: 0.69, 2 against 4s: 0.6) are not. In simulated teams (benchmarks/teams.py: leniency sd 0.5, noise sd 0.6 points)
# this finds 6 in 10 free riders in teams of three, 8 in 10 in teams of four, 9 in 10 from five, and 3 honest members
# in 10,000.
FAR_BELOW = 0.7
# Honest members rate themselves a little above their teammates' view of them (0.4 points in the simulation); with
# noise, a gap above 0.75 of an equal share flags 2 in 100 of them in teams of three, under 1 in 100 from four.
OVERCONFIDENT_GAP = 0.75
# Half the scale between oneself and the best-rated teammate (5 against at most 3 on a five-point scale) is a claim
# to most of the work; combined with counted self-ratings it also buys the largest factor.
MANIPULATION_SHARE = 0.5
# Two steps of a five-point scale between the groups (5s within, 3s across give 1.36 against 0.82) in every rater.
CAMP_GAP = 0.5
# The search for camps tries every split: 2,047 of them for twelve members; larger teams are not searched.
MAX_CAMPS_TEAM = 12


@dataclass(frozen=True, slots=True)
class FreeRider:
    member: Hashable
    raters: int  # teammates who rated them
    highest: float  # the most any of them gave, of an equal share
    mean: float

    label = N_("possible free rider")

    @property
    def evidence(self) -> Message:
        return N_("each of the %(raters)s teammates who rated them gave them less than an equal share: %(mean)s of one "
                  "on average, %(highest)s at most", raters=self.raters, mean=round(self.mean, 2),
                  highest=round(self.highest, 2))


@dataclass(frozen=True, slots=True)
class Overconfident:
    member: Hashable
    own: float  # their rating of themselves, of an equal share
    others: float  # the mean of their teammates' ratings of them, of an equal share
    raters: int

    label = N_("rates themselves far above their teammates' view")

    @property
    def evidence(self) -> Message:
        return N_("rated themselves at %(own)s of an equal share; the %(raters)s teammates who rated them gave %(others)s "
                  "on average", own=round(self.own, 2), raters=self.raters, others=round(self.others, 2))


@dataclass(frozen=True, slots=True)
class Manipulation:
    member: Hashable
    own: float
    highest: float  # the most they gave any teammate

    label = N_("possible manipulation")

    @property
    def evidence(self) -> Message:
        return N_("rated themselves %(own)s and no teammate above %(highest)s", own=self.own, highest=self.highest)


@dataclass(frozen=True, slots=True)
class Camps:
    groups: tuple[tuple[Hashable, ...], tuple[Hashable, ...]]
    within: float  # mean rating inside the groups, of an equal share
    across: float  # mean rating from one group to the other
    gap: float  # the smallest gap of any rater between their own group and the other

    label = N_("two camps")

    @property
    def evidence(self) -> Message:
        return N_("everyone rates their own group at least %(gap)s of an equal share above the other: %(within)s on "
                  "average within the groups, %(across)s across them", gap=round(self.gap, 2),
                  within=round(self.within, 2), across=round(self.across, 2))


@dataclass(frozen=True, slots=True)
class DidNotRate:
    member: Hashable
    teammates: int

    label = N_("did not rate")

    @property
    def evidence(self) -> Message:
        return N_("rated none of their %(count)s teammates", count=self.teammates)


@dataclass(frozen=True)
class TeammateWarnings:
    free_riders: list[FreeRider] = field(default_factory=list)
    overconfident: list[Overconfident] = field(default_factory=list)
    manipulation: list[Manipulation] = field(default_factory=list)
    camps: list[Camps] = field(default_factory=list)
    did_not_rate: list[DidNotRate] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.free_riders) + len(self.overconfident) + len(self.manipulation) + len(self.camps)
                + len(self.did_not_rate))


def teammate_warnings(ratings: Mapping[tuple[Hashable, Hashable], float], members: Sequence[Hashable], *,
                      scale: tuple[float, float]) -> TeammateWarnings:
    """The warnings of rules 1-5 above for one team; `scale` is the ratings' (lowest, highest)."""
    check_ratings(ratings, members, scale)
    width = scale[1] - scale[0]
    given: dict[Hashable, dict[Hashable, float]] = defaultdict(dict)
    own: dict[Hashable, float] = {}
    for (rater, ratee), rating in ratings.items():
        if rater == ratee:
            own[rater] = float(rating)
        else:
            given[rater][ratee] = float(rating)
    shares = {rater: _shares(row) for rater, row in given.items()}
    warnings = TeammateWarnings(camps=_camps(shares, members))
    for member in members:
        received = [shares[rater][member] for rater in shares if member in shares[rater]]
        if len(received) >= MIN_OTHER_RATERS and max(received) < 1 and _mean(received) <= FAR_BELOW:
            warnings.free_riders.append(FreeRider(member, len(received), max(received), _mean(received)))
        own_share = _own_share(own.get(member), given.get(member))
        if len(received) >= MIN_OTHER_RATERS and own_share is not None and own_share - _mean(received) > OVERCONFIDENT_GAP:
            warnings.overconfident.append(Overconfident(member, own_share, _mean(received), len(received)))
        if member in own and member in given and own[member] - max(given[member].values()) >= MANIPULATION_SHARE * width:
            warnings.manipulation.append(Manipulation(member, own[member], max(given[member].values())))
    warnings.did_not_rate.extend(DidNotRate(member, len(members) - 1) for member in non_raters(ratings, members)
                                 if len(members) > 1)
    return warnings


def _shares(row: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """One rater's ratings of teammates as shares of an equal share; all zeros are an equal split, as for factors."""
    mean = _mean(list(row.values()))
    return {ratee: rating / mean if mean > 0 else 1.0 for ratee, rating in row.items()}


def _own_share(own: float | None, teammates: Mapping[Hashable, float] | None) -> float | None:
    """A self-rating over the mean rating given to teammates; None without both, or when every teammate got 0."""
    if own is None or not teammates or _mean(list(teammates.values())) <= 0:
        return None
    return own / _mean(list(teammates.values()))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _camps(shares: Mapping[Hashable, Mapping[Hashable, float]], members: Sequence[Hashable]) -> list[Camps]:
    """The split of rule 4 whose least convinced rater is most convinced, if any split qualifies."""
    if not 4 <= len(members) <= MAX_CAMPS_TEAM:
        return []
    best: Camps | None = None
    first, rest = members[0], members[1:]
    # Each split once: the first member's group takes 1 to n-3 of the others, so both groups have two or more.
    for size in range(1, len(members) - 2):
        for chosen in combinations(rest, size):
            group = {first, *chosen}
            found = _split(shares, members, group)
            if found is not None and (best is None or found.gap > best.gap):
                best = found
    return [best] if best is not None else []


def _split(shares: Mapping[Hashable, Mapping[Hashable, float]], members: Sequence[Hashable],
           group: set[Hashable]) -> Camps | None:
    gaps, within, across, sides = [], [], [], set()
    for rater, row in shares.items():
        mine = [share for ratee, share in row.items() if (ratee in group) == (rater in group)]
        theirs = [share for ratee, share in row.items() if (ratee in group) != (rater in group)]
        if not mine or not theirs:
            continue  # rated only one side: says nothing about a split
        gaps.append(_mean(mine) - _mean(theirs))
        within.extend(mine)
        across.extend(theirs)
        sides.add(rater in group)
    if len(sides) < 2 or min(gaps) < CAMP_GAP:
        return None
    groups = (tuple(m for m in members if m in group), tuple(m for m in members if m not in group))
    return Camps(groups, _mean(within), _mean(across), min(gaps))
