"""Bad input: generated profiles and command lines never end in a traceback.

A broken profile is exit 2 with a message that starts ``rearguard:`` and names what is wrong; a
bad command line is exit 2 with exactly one line. Thousands of cases run in-process (the CLI's own
``main``), a few hundred more as real ``python -m engine`` processes in the full suite.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import cli
from tests.reliability import scale
from tests.reliability.procs import ROOT, engine_argv

pytestmark = pytest.mark.reliability

SANDBOX = Path(os.environ.get("TMPDIR", "/tmp")) / "rearguard-bad-input"
HOSTILE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(
    ["", " ", "..", "../..", "/", "~", "C:\\", "\\\\nas\\share", "CON", "a" * 5000, "-x", "--"]
)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr); argparse's --help/--version exit too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def _base(kind: str, root: Path) -> dict[str, Any]:
    """A valid profile of ``kind`` whose folders all live in ``root`` and do not exist."""
    section = {
        "mirror": {"source": str(root / "src"), "replica": str(root / "dst")},
        "rclone": {"source": str(root / "src"), "remote": str(root / "remote")},
        "revit": {
            "server": "RS01",
            "projects_dir": str(root / "Projects"),
            "tool": str(root / "RevitServerTool"),
            "target": str(root / "target"),
        },
    }[kind]
    return {"kind": kind, "description": "generated", kind: dict(section)}


WRONG_VALUES = st.sampled_from([1, -1, 2.5, True, [], ["x"], {"a": 1}, "", "  ", math.inf, math.nan])
KEYS = {
    "mirror": ["source", "replica", "delete", "versions", "keep_versions", "include_hidden", "exclude"],
    "rclone": ["source", "remote", "config", "rclone", "exclude", "include_hidden", "transfers"],
    "revit": [
        "server",
        "projects_dir",
        "model_table",
        "tool",
        "target",
        "window_hours",
        "parallel",
        "timeout",
    ],
}


TYPES = {
    **dict.fromkeys(["source", "replica", "keep_versions", "remote", "config", "rclone", "server"], "str"),
    **dict.fromkeys(["projects_dir", "model_table", "tool", "target", "timeout"], "str"),
    **dict.fromkeys(["delete", "versions", "include_hidden"], "bool"),
    **dict.fromkeys(["transfers", "parallel"], "int"),
    "window_hours": "float",
    "exclude": "list",
}
WRONG_FOR: dict[str, list[Any]] = {
    "str": [1, 2.5, True, ["a"], {"a": 1}],
    "bool": ["yes", 1, 0.0, [True], {"a": 1}],
    "int": ["4", 2.5, True, [4], {"a": 1}],
    "float": ["4", True, [4.0], {"a": 1}],
    "list": ["*.tmp", 5, {"a": 1}, [5], [["x"]]],
}


@st.composite
def broken_profiles(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    """(a profile's TOML text, the kind of defect it certainly has)."""
    kind = draw(st.sampled_from(sorted(KEYS)))
    data = _base(kind, root)
    section: dict[str, Any] = data[kind]
    defect = draw(
        st.sampled_from(
            [
                "missing key",
                "unknown key",
                "unknown section",
                "wrong type",
                "bad duration",
                "out of range",
                "bad kind",
                "no kind",
                "bad time of day",
                "too often",
                "bad exclude",
                "overlap",
                "other kind's section",
                "empty path",
                "not toml",
                "not utf-8",
                "too deep",
            ]
        )
    )
    if defect == "missing key":
        required = {"mirror": ["source", "replica"], "rclone": ["source", "remote"]}.get(
            kind, ["server", "projects_dir", "tool", "target"]
        )
        del section[draw(st.sampled_from(required))]
    elif defect == "unknown key":
        name = draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
        where = section if draw(st.booleans()) else data
        if name in where or name in KEYS[kind] or name in ("description", "schedule", "kind", kind):
            name = "x_" + name
        where[name] = draw(WRONG_VALUES | HOSTILE_TEXT)
    elif defect == "unknown section":
        data[draw(st.sampled_from(["Mirror", "options", "rclone2", "shedule"]))] = {"a": 1}
    elif defect == "wrong type":
        key = draw(st.sampled_from(KEYS[kind]))
        section[key] = draw(st.sampled_from(WRONG_FOR[TYPES[key]]))
    elif defect == "bad duration":
        value = draw(st.sampled_from(["soon", "-1h", "4 hours", "1e3h", "h", "", "4hh", "99999999999d"]))
        if kind == "mirror":
            section["keep_versions"] = value
        elif kind == "revit":
            section["timeout"] = draw(st.sampled_from(["0s", "0", value]))
        else:
            data["schedule"] = {"every": value}
    elif defect == "out of range":
        if kind == "mirror":
            section["max_delete_percent"] = draw(st.sampled_from([-1, 101, 1e300, math.nan]))
        elif kind == "rclone":
            section["transfers"] = draw(st.sampled_from([0, -3, 65, 10**12]))
        else:
            section[draw(st.sampled_from(["parallel", "keep_days"]))] = draw(st.sampled_from([0, -1, 10**9]))
    elif defect == "bad kind":
        data["kind"] = draw(st.sampled_from(["Mirror", "sync", "", "mirror ", "rclone\n", 3]))
    elif defect == "no kind":
        del data["kind"]
    elif defect == "bad time of day":
        data["schedule"] = {"every": "4h", "at": draw(st.sampled_from(["24:00", "2am", "02:60", "2:00", ""]))}
    elif defect == "too often":
        data["schedule"] = {"every": draw(st.sampled_from(["14m", "1m", "0.2", "0", "59s"]))}
    elif defect == "bad exclude" and kind != "revit":
        section["exclude"] = ["*.tmp", draw(st.sampled_from(["[z-a]", "a\\", "\\", "!"]))]
    elif defect == "overlap" and kind == "mirror":
        section["replica"] = section["source"] + draw(st.sampled_from(["", "/inside", "/a/b"]))
    elif defect == "other kind's section":
        other = draw(st.sampled_from([k for k in KEYS if k != kind]))
        data[other] = _base(other, root)[other]
    elif defect == "empty path":
        key = {"mirror": "replica", "rclone": "remote"}.get(kind, "target")
        section[key] = draw(st.sampled_from(["", "   ", "\t"]))
    elif defect == "not toml":
        lines = tomli_w.dumps(data).splitlines()
        at = draw(st.integers(0, len(lines)))
        bad = draw(
            st.sampled_from(["key = ", "[unclosed", "= value", 'a = "open', "a = 1 2", "x = [1,", "\x01 = 1"])
        )
        return "\n".join([*lines[:at], bad, *lines[at:]]) + "\n", defect
    elif defect == "not utf-8":
        return tomli_w.dumps(data) + "\udcff", defect
    elif defect == "too deep":
        return tomli_w.dumps(data) + "deep = " + "[" * 5000 + "]" * 5000 + "\n", defect
    else:  # a defect that does not apply to this kind: fall back to an unknown key
        section["not_a_key"] = 1
        defect = "unknown key"
    return tomli_w.dumps(data), defect


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def _message_is_clean(code: int, err: str, *, one_line: bool, plain: bool = True) -> None:
    """No traceback; ``rearguard: ...``; no blank lines, and one line when asked (unless an
    argument quoted in the message holds line breaks itself: ``plain`` is False then)."""
    assert "Traceback" not in err, err
    assert err.startswith("rearguard: "), err
    lines = err.rstrip("\n").split("\n")
    if plain:
        assert all(line.strip() for line in lines), err
        if one_line:
            assert len(lines) == 1, err


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad-input")


@settings(
    max_examples=scale.pick(400, 4000),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_a_broken_profile_is_exit_2_with_a_message_naming_the_problem(
    data: st.DataObject, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REARGUARD_HOME", str(sandbox / "home"))
    text, defect = data.draw(broken_profiles(sandbox))
    path = sandbox / "profile.toml"
    _write(path, text)
    command = data.draw(
        st.sampled_from([["check", str(path)], ["run", str(path)], ["run", str(path), "--dry-run"]])
    )
    code, out, err = _cli(command)
    scale.count("inputs.profiles")
    assert code == 2, (defect, text[:300], code, out, err)
    assert out == ""
    _message_is_clean(code, err, one_line=False)
    assert str(path) in err.splitlines()[0], "the message says which file"
    assert (
        not (sandbox / "dst").exists()
        and not (sandbox / "remote").exists()
        and not (sandbox / "target").exists()
    )


def _argv_strategy(sandbox: Path) -> st.SearchStrategy[list[str]]:
    missing = str(sandbox / "no-such-folder")
    good = str(sandbox / "good.toml")
    profiles = (
        st.sampled_from(
            [
                "nope",
                "../../etc/passwd",
                "/etc/passwd",
                "a/b.toml",
                "",
                " ",
                "-",
                "x" * 300,
                good,
                str(sandbox),
            ]
        )
        | HOSTILE_TEXT
    )
    every = st.sampled_from(["14m", "0", "abc", "-1h", "", "1e400", "15 m", "4hh", "9" * 400]) | HOSTILE_TEXT
    flag = st.sampled_from(
        ["--json", "--dry-run", "--repeat", "-x", "--bogus", "--every", "--max", "--log-dir"]
    )
    noise = st.lists(flag | HOSTILE_TEXT, max_size=4)
    run = st.tuples(st.just(["run"]), profiles.map(lambda p: [p]), noise).map(lambda t: t[0] + t[1] + t[2])
    runs_badly = st.tuples(profiles, every, st.sampled_from(["0", "-1", "x", "1.5", ""])).map(
        lambda t: ["run", t[0], "--every", t[1], "--max", t[2]]
    )
    # Sources never exist and replicas stay in the sandbox: a command line that slipped through
    # would be refused, never copy anything (a name is appended, so '..' cannot climb out).
    one_name = HOSTILE_TEXT.map(lambda t: t.replace("/", "_"))
    mirror = st.tuples(
        one_name.map(lambda t: f"{missing}-{t}"),
        one_name.map(lambda t: str(sandbox / f"replica-{t}")),
        noise,
    ).map(lambda t: ["mirror", t[0], t[1], *t[2]])
    other = st.tuples(
        st.sampled_from(["list", "show", "check", "gui", "sync", "RUN", "", "-h", "--version", "--nope"]),
        st.lists(profiles | flag, max_size=3),
    ).map(lambda t: [t[0], *t[1]])
    return st.one_of(run, runs_badly, mirror, other, st.lists(HOSTILE_TEXT, max_size=5))


def _good_profile(sandbox: Path) -> None:
    source, replica = sandbox / "no-such-folder", sandbox / "replica"
    (sandbox / "good.toml").write_text(
        f'kind = "mirror"\n[mirror]\nsource = "{source}"\nreplica = "{replica}"\n'
    )


@settings(
    max_examples=scale.pick(400, 4000),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_command_line_ends_in_a_message_never_a_traceback(
    data: st.DataObject, sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REARGUARD_HOME", str(sandbox / "home"))
    monkeypatch.setenv(cli.TIME_SCALE_ENV, "1e9")  # a repeat that slips through waits no time
    monkeypatch.chdir(sandbox)  # relative paths (a --log-dir, say) land in the sandbox
    _good_profile(sandbox)
    argv = data.draw(_argv_strategy(sandbox))
    code, out, err = _cli(argv)
    scale.count("inputs.command_lines")
    # 0: help, version, list, show, check; 3: a run refused because its source is missing.
    asks_help = any(arg in ("-h", "--help", "--version") for arg in argv)
    runs = argv[:1] in (["run"], ["mirror"]) and not asks_help
    assert code in ((2, 3) if runs else (0, 2, 3)), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        plain = not any(len(arg.splitlines()) > 1 or arg.endswith(("\n", "\r")) for arg in argv)
        _message_is_clean(code, err, one_line=argv[:1] not in (["run"], ["check"], ["show"]), plain=plain)
    assert not (sandbox / "replica").exists(), "a bad command line changed a target"


@pytest.mark.full_only
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_real_processes_with_bad_command_lines_exit_cleanly(data: st.DataObject, sandbox: Path) -> None:
    _good_profile(sandbox)
    argv = data.draw(_argv_strategy(sandbox))
    env = {
        **os.environ,
        "REARGUARD_HOME": str(sandbox / "home"),
        cli.TIME_SCALE_ENV: "1e9",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        engine_argv(*argv), cwd=sandbox, env=env, capture_output=True, text=True, errors="replace", timeout=60
    )
    scale.count("inputs.command_line_processes")
    asks_help = any(arg in ("-h", "--help", "--version") for arg in argv)
    runs = argv[:1] in (["run"], ["mirror"]) and not asks_help
    assert done.returncode in ((2, 3) if runs else (0, 2, 3)), (argv, done)
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode == 2:
        assert done.stderr.startswith("rearguard: "), done.stderr


def test_a_profile_folder_full_of_broken_files_is_listed_not_fatal(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = sandbox / "listing"
    monkeypatch.setenv("REARGUARD_HOME", str(home))
    folder = home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    samples = ["kind = 'x'", "[[[", "\udcff", "kind = 'mirror'", "", "kind = 'mirror'\n[mirror]\nsource = 1"]
    for n, text in enumerate(samples):
        _write(folder / f"broken{n}.toml", text)
    (folder / "dir.toml").mkdir()
    code, out, err = _cli(["list"])
    scale.count("inputs.profiles", len(samples) + 1)
    assert code == 0 and err == "", err
    assert out.count("INVALID") == len(samples) + 1, out
    assert sys.maxsize  # listing never stops at the first broken file
