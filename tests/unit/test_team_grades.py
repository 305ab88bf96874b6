"""How a member's contribution document is made from their factor, and what of it the member may read."""

from __future__ import annotations

import pytest

from assessment.contribution import FactorPolicy, FixedFactor, Override, Penalty
from assessment.messages import N_, message_document
from assessment.models import student_contribution
from assessment.team_grades import contribution_document, doubts, member_total

WARNING = {"label": message_document(N_("possible free rider")), "holds": True,
           "evidence": message_document(N_("each of the %(raters)s teammates", raters=2))}
NOT_RATED = {"label": message_document(N_("did not rate")), "holds": False,
             "evidence": message_document(N_("rated none of their %(count)s teammates", count=2))}


def test_the_factor_multiplies_the_teams_work_points_and_reviewing_is_added_untouched():
    document = contribution_document(6.0, 4 / 7, policy=FactorPolicy(points_possible=8.0), did_not_rate=False,
                                     override=None, warnings=[])

    assert document["points"] == 3.43 and document["team_points"] == 6.0
    assert member_total(document, 2.0, 10.0) == 5.43


def test_the_work_points_are_cut_at_the_points_for_work_and_the_total_at_the_points_possible():
    document = contribution_document(7.0, 1.5, policy=FactorPolicy(points_possible=8.0), did_not_rate=False,
                                     override=None, warnings=[])

    assert document["points"] == 8.0
    assert member_total(document, 2.0, 10.0) == 10.0
    assert member_total(document, 2.5, 10.0) == 10.0


@pytest.mark.parametrize("non_rater, expected", [(Penalty(0.1), 5.4), (FixedFactor(0.5), 3.0), (Penalty(0.0), 6.0)])
def test_a_non_rater_is_graded_by_the_rule_set(non_rater, expected):
    document = contribution_document(6.0, 1.0, policy=FactorPolicy(non_rater=non_rater), did_not_rate=True,
                                     override=None, warnings=[])

    assert document["points"] == expected


def test_an_override_replaces_the_factor_and_settles_the_warnings():
    document = contribution_document(6.0, 0.5, policy=FactorPolicy(cap=1.2), did_not_rate=False,
                                     override=Override(1.5, "Led the work"), warnings=[WARNING])

    assert document["applied"] == 1.5 and document["points"] == 9.0 and document["overridden"]
    assert doubts([WARNING, NOT_RATED], overridden=False) == ["possible free rider"]
    assert doubts([WARNING], overridden=True) == []


def test_the_member_reads_their_numbers_and_explanation_but_not_the_warnings_about_them():
    document = contribution_document(6.0, 0.5, policy=FactorPolicy(), did_not_rate=True, override=None,
                                     warnings=[WARNING, NOT_RATED])

    readable = student_contribution(document)

    assert readable is not None and set(readable) == {"team_points", "factor", "applied", "points", "explanation"}
    assert student_contribution(None) is None
