"""The profile checker (engine/core/schema.py): strict types, every problem at once, pydantic's words.

And what it is for: a run starts without importing pydantic or any module only some runs need.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Literal

import pytest

from engine.core.errors import ProfileError
from engine.core.profiles import MirrorProfile, MirrorSettings, RevitSettings, Schedule, validate_spec
from engine.core.schema import Invalid, Section, key
from engine.notify.settings import EmailSettings, NotificationSettings


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Inner(Section):
    words: list[str] = key(default_factory=list, min_length=1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Sample(Section):
    name: str = key(check=lambda value: value.strip())
    count: int = key(1, ge=1, le=5)
    share: float = key(0.5, ge=0, le=1)
    on: bool = key(True)
    mode: Literal["a", "b", "c"] = key("a")
    inner: _Inner | None = key(None)


def _problems(data: object) -> list[tuple[tuple[object, ...], str]]:
    with pytest.raises(Invalid) as caught:
        _Sample.model_validate(data)
    return [(p["loc"], p["msg"]) for p in caught.value.errors()]


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    found = _problems(
        {"count": "3", "share": 2, "on": 1, "mode": "d", "inner": {"words": ["x", 3]}, "odd": 1}
    )
    assert found == [
        (("name",), "Field required"),
        (("count",), "Input should be a valid integer"),
        (("share",), "Input should be less than or equal to 1"),
        (("on",), "Input should be a valid boolean"),
        (("mode",), "Input should be 'a', 'b' or 'c'"),
        (("inner", "words", 1), "Input should be a valid string"),
        (("odd",), "Extra inputs are not permitted"),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Input should be a valid integer"),  # a bool is not a number, as in strict pydantic
        (0, "Input should be greater than or equal to 1"),
        (6, "Input should be less than or equal to 5"),
        (2.0, "Input should be a valid integer"),
    ],
)
def test_integers_are_strict(value: object, message: str) -> None:
    assert _problems({"name": "n", "count": value}) == [(("count",), message)]


def test_not_a_number_is_outside_every_bound() -> None:
    assert _problems({"name": "n", "share": float("nan")}) == [
        (("share",), "Input should be greater than or equal to 0")
    ]


def test_a_section_given_a_single_value_and_a_list_too_short() -> None:
    assert _problems({"name": "n", "inner": "x"}) == [
        (("inner",), "must be a table of keys, not a single value")
    ]
    assert _problems({"name": "n", "inner": {"words": []}}) == [
        (("inner", "words"), "List should have at least 1 item, not 0")
    ]


def test_values_are_tidied_by_their_check_and_ints_become_floats() -> None:
    made = _Sample.model_validate({"name": "  n  ", "share": 1})
    assert made.name == "n" and made.share == 1.0 and isinstance(made.share, float)


def test_made_in_code_is_checked_as_a_file_is_but_a_copy_is_not() -> None:
    with pytest.raises(ValueError, match="every"):
        Schedule(every="25h")
    with pytest.raises(ValueError, match="parallel: Input should be less than or equal to 16"):
        RevitSettings(server="s", projects_dir="p", tool="t", target="x", parallel=17)
    good = Schedule(every="1d")
    assert good.model_copy(update={"every": "nonsense"}).every == "nonsense"  # as pydantic's model_copy


def test_dump_leaves_defaults_and_unset_out_and_spells_aliases() -> None:
    email = EmailSettings.model_validate(
        {"server": "smtp.example.com:587", "from": "a@example.com", "to": ["b@example.com"]}
    )
    dumped = NotificationSettings(email=email).model_dump(by_alias=True, exclude_none=True)
    assert dumped["email"]["from"] == "a@example.com" and "webhook" not in dumped
    spec = validate_spec(
        {"kind": "mirror", "mirror": {"source": "/a/src", "replica": "/b/dst", "delete": True}}, "t"
    )
    assert isinstance(spec, MirrorProfile) and isinstance(spec.mirror, MirrorSettings)
    assert spec.model_dump(exclude_defaults=True, exclude_none=True) == {
        "mirror": {"source": "/a/src", "replica": "/b/dst"}
    }


def test_a_profile_with_problems_names_each_one() -> None:
    with pytest.raises(ProfileError) as caught:
        validate_spec(
            {"kind": "mirror", "mirror": {"source": 3, "replica": "", "verify": "x"}, "odd": 1}, "p"
        )
    assert caught.value.problems == [
        "[mirror].source: Input should be a valid string",
        "[mirror].replica: must not be empty",
        "[mirror].verify: Input should be 'sample', 'copied' or 'off'",
        "odd: unknown key",
    ]


def test_a_run_starts_without_the_modules_only_some_runs_need() -> None:
    """What ``rearguard run`` and ``rearguard mirror`` import before the walk: none of these."""
    code = (
        "import sys, engine.cli, engine.cli.run_commands, engine.jobs.mirror;"
        "from engine.core.profiles import parse_profile_text;"
        'parse_profile_text(\'kind="mirror"\\n[mirror]\\nsource="/a"\\nreplica="/b"\\n\', \'p\');'
        "print(sorted(m for m in ('pydantic', 'pathspec', 'psutil', 'smtplib', 'ssl', 'urllib.request',"
        " 'socket', 'secrets', 'multiprocessing', 'concurrent.futures.thread') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    rclone = (  # psutil only to stop or pause rclone; the pool only for a big scan
        "import sys, engine.cli.run_commands, engine.jobs.rclone;"
        "print(sorted(m for m in ('psutil', 'multiprocessing', 'concurrent.futures.process')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", rclone], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
