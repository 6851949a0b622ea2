"""How the tests choose the release under test (tests/release.py): WORKBENCH_RELEASE, else the running pyspark
when exactly one release pins it, else versions.json defaultRelease; an unknown label names the choices."""

import pytest

from release import VERSIONS, choose_label

RELEASES = VERSIONS["releases"]


def test_the_environment_wins_over_the_running_pyspark():
    for label in RELEASES:
        other_spark = next(r["spark"] for l, r in RELEASES.items() if l != label)
        assert choose_label({"WORKBENCH_RELEASE": label}, other_spark) == (label, "WORKBENCH_RELEASE")


def test_unset_the_running_pyspark_chooses_when_one_release_pins_it():
    for label, r in RELEASES.items():
        assert choose_label({}, r["spark"])[0] == label


def test_unset_and_no_matching_pyspark_falls_back_to_the_default_release():
    assert choose_label({}, "0.0.1") == (VERSIONS["defaultRelease"], "versions.json defaultRelease")
    assert choose_label({"WORKBENCH_RELEASE": ""}, None)[0] == VERSIONS["defaultRelease"]


def test_an_unknown_release_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="not a release of versions.json; use one of") as e:
        choose_label({"WORKBENCH_RELEASE": "emr-6.0.0"}, None)
    assert all(label in str(e.value) for label in RELEASES)
