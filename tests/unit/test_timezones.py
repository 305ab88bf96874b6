"""The time zones an instructor picks from: real places only, the likely ones first."""

from __future__ import annotations

import pytest

from assessment.assignment_settings import COMMON_TIMEZONES, available_timezones, listed_timezones, timezone_choices

JUNK = ("Factory", "localtime", "posixrules", "Etc/GMT+5", "Etc/GMT-14", "Etc/Zulu", "GMT", "GMT0", "Zulu", "UCT",
        "Universal", "EST5EDT", "CST6CDT", "US/Eastern", "Canada/Pacific", "Brazil/East", "SystemV/AST4")


@pytest.mark.parametrize("zone", JUNK)
def test_aliases_and_technical_zones_are_not_listed(zone):
    assert zone not in listed_timezones()


def test_every_place_is_listed_once_and_utc_too():
    listed = listed_timezones()

    assert len(listed) == len(set(listed)) and 350 < len(listed) < 450
    assert {"UTC", "Europe/Paris", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Pacific/Auckland"} <= set(listed)
    assert set(listed) <= available_timezones()
    assert set(COMMON_TIMEZONES) <= set(listed)


def test_the_zone_in_use_comes_first_then_the_countrys_then_the_common_ones_then_the_rest_alphabetically():
    choices = timezone_choices(["Asia/Tokyo"], country="IN")

    assert choices[:2] == ["Asia/Tokyo", "Asia/Kolkata"]
    common = [zone for zone in COMMON_TIMEZONES if zone not in ("Asia/Tokyo", "Asia/Kolkata")]
    assert choices[2:2 + len(common)] == common
    rest = choices[2 + len(common):]
    assert rest == sorted(rest) and len(choices) == len(set(choices)) == len(listed_timezones())


def test_a_country_with_several_zones_brings_them_all_forward():
    choices = timezone_choices([], country="au")

    australian = [zone for zone in choices[:15] if zone.startswith("Australia/")]
    assert len(australian) >= 8 and choices[0].startswith(("Australia/", "Antarctica/Macquarie"))


def test_a_zone_in_use_that_is_an_old_alias_stays_selectable_but_junk_or_unknown_input_is_ignored():
    assert timezone_choices(["US/Eastern"])[0] == "US/Eastern"
    assert "Factory" not in timezone_choices(["Factory", "Mars/Olympus", None], country="XX")
    assert timezone_choices([None, ""], country=None)[:len(COMMON_TIMEZONES)] == list(COMMON_TIMEZONES)
