"""How long things are kept (``keep_versions``) needs a unit and is at least a day, never "keep nothing"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.core.durations import parse_retention
from engine.core.errors import ProfileError
from engine.core.profiles import validate_spec


@pytest.mark.parametrize(
    ("text", "days"),
    [("1d", 1), ("30d", 30), (" 30d ", 30), ("2w", 14), ("1.5d", 1.5), ("24h", 1), ("36h", 1.5)],
)
def test_durations_of_a_day_or_more_with_a_unit_are_accepted(text: str, days: float) -> None:
    assert parse_retention(text) == timedelta(days=days)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0", "needs a unit"),
        ("30", "needs a unit"),
        (" 7 ", "needs a unit"),
        ("1.5", "needs a unit"),
        ("-1", "needs a unit"),
        ("0d", "too short"),
        ("0s", "too short"),
        ("12h", "too short"),
        ("23h", "too short"),
        ("forever", "not a duration"),
        ("", "not a duration"),
        ("30 days", "not a duration"),
    ],
)
def test_bare_numbers_zero_and_less_than_a_day_are_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_retention(text)


@pytest.mark.parametrize("value", ["0", "0d", "30", "12h"])
def test_a_profile_with_such_keep_versions_names_the_key(value: str) -> None:
    data = {"kind": "mirror", "mirror": {"source": "/a", "replica": "/b", "keep_versions": value}}
    with pytest.raises(ProfileError) as error:
        validate_spec(data, "usb.toml")
    assert error.value.exit_code == 2
    assert error.value.problems[0].startswith(f"[mirror].keep_versions: '{value}'")


def test_a_number_instead_of_a_string_is_refused() -> None:
    data = {"kind": "mirror", "mirror": {"source": "/a", "replica": "/b", "keep_versions": 30}}
    with pytest.raises(ProfileError, match=r"\[mirror\]\.keep_versions"):
        validate_spec(data, "usb.toml")
