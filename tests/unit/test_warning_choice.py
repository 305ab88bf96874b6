"""The warning a dismissal form names: its kind one of those listed, its reviewers database ids, each once."""

import pytest

from assessment.errors import InvalidInput
from assessment.warning_dismissals import LARGEST_ID, MAX_MEMBERS, WarningChoice


def test_a_clique_named_twice_over_is_its_members_once_each_in_order():
    assert WarningChoice.parse(["7", " 3", "7"], "reciprocal") == WarningChoice((7, 3), "reciprocal")


@pytest.mark.parametrize("reviewers", [[], [""], ["0"], ["-4"], ["4.0"], ["٤"], [str(LARGEST_ID + 1)],
                                       [str(n) for n in range(1, MAX_MEMBERS + 2)]])
def test_no_reviewer_a_malformed_id_or_more_than_a_clique_could_name_is_refused(reviewers):
    with pytest.raises(InvalidInput) as refused:
        WarningChoice.parse(reviewers, "flat")

    assert refused.value.problems == {"reviewer": "Choose a reviewer from the list of warnings."}


def test_the_largest_id_and_the_most_members_a_form_may_name_are_accepted():
    assert WarningChoice.parse([str(LARGEST_ID)], "flat").reviewers == (LARGEST_ID,)
    assert len(WarningChoice.parse([str(n) for n in range(1, MAX_MEMBERS + 1)], "reciprocal").reviewers) == MAX_MEMBERS


@pytest.mark.parametrize("kind", ["", "lenient", "FLAT", "one-sided"])
def test_a_kind_not_listed_is_refused(kind):
    with pytest.raises(InvalidInput) as refused:
        WarningChoice.parse(["3"], kind)

    assert refused.value.problems == {"kind": "Choose one of the kinds of warning listed."}
