"""Who sees whose name: authors hidden from reviewers in double-blind mode only, reviewers named only in open mode."""

import pytest

from assessment.assignment_settings import Anonymity
from assessment.visibility import author_label, reviewer_label, team_label


def test_a_reviewer_sees_a_pseudonym_in_place_of_the_author_in_double_blind_mode():
    label = author_label(Anonymity.DOUBLE_BLIND, "K7Q2MX9R", "Ann Lee", viewer_is_staff=False)
    assert label == "Submission K7Q2MX9R"
    assert (label.template, label.params) == ("Submission %(pseudonym)s", {"pseudonym": "K7Q2MX9R"})


@pytest.mark.parametrize("anonymity", [Anonymity.REVIEWERS_ANONYMOUS, Anonymity.OPEN])
def test_a_reviewer_sees_the_authors_name_when_authors_are_not_hidden(anonymity):
    assert author_label(anonymity, "K7Q2MX9R", "Ann Lee", viewer_is_staff=False) == "Ann Lee"


@pytest.mark.parametrize("anonymity", list(Anonymity))
def test_staff_always_see_the_authors_name(anonymity):
    assert author_label(anonymity, "K7Q2MX9R", "Ann Lee", viewer_is_staff=True) == "Ann Lee"


@pytest.mark.parametrize("anonymity", [Anonymity.DOUBLE_BLIND, Anonymity.REVIEWERS_ANONYMOUS])
def test_an_author_sees_a_numbered_reviewer_unless_the_assignment_is_open(anonymity):
    label = reviewer_label(anonymity, 2, "Bob Roy", staff_review=False, viewer_is_staff=False)
    assert label == "Reviewer 2"
    assert (label.template, label.params) == ("Reviewer %(number)s", {"number": 2})


@pytest.mark.parametrize("anonymity", [Anonymity.DOUBLE_BLIND, Anonymity.REVIEWERS_ANONYMOUS])
def test_an_author_sees_course_staff_for_a_staff_assessment_unless_the_assignment_is_open(anonymity):
    assert reviewer_label(anonymity, 3, "Prof. Kim", staff_review=True, viewer_is_staff=False) == "Course staff"


@pytest.mark.parametrize("staff_review", [False, True])
def test_an_author_sees_every_reviewers_name_in_open_mode(staff_review):
    assert reviewer_label(Anonymity.OPEN, 1, "Bob Roy", staff_review=staff_review, viewer_is_staff=False) == "Bob Roy"


@pytest.mark.parametrize("anonymity", list(Anonymity))
def test_staff_always_see_the_reviewers_name(anonymity):
    assert reviewer_label(anonymity, 1, "Bob Roy", staff_review=False, viewer_is_staff=True) == "Bob Roy"


def test_a_reviewer_sees_only_the_teams_code_in_double_blind_mode_and_its_name_otherwise():
    label = team_label(Anonymity.DOUBLE_BLIND, "T3KQ", "The Owls", viewer_is_staff=False)
    assert label == "Team T3KQ"
    assert (label.template, label.params) == ("Team %(code)s", {"code": "T3KQ"})
    assert team_label(Anonymity.DOUBLE_BLIND, "T3KQ", "The Owls", viewer_is_staff=True) == "The Owls"
    assert team_label(Anonymity.REVIEWERS_ANONYMOUS, "T3KQ", "The Owls", viewer_is_staff=False) == "The Owls"
    assert team_label(Anonymity.OPEN, "T3KQ", "The Owls", viewer_is_staff=False) == "The Owls"
