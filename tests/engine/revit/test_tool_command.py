"""The tool's command line, its console code page, its exit codes and stopping its process tree.

The Windows rules are pure functions with the platform as a parameter, so they run here too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psutil
import pytest

from engine.jobs.revit.tool_command import (
    build_argv,
    describe_exit,
    exit_problem,
    tool_encoding,
    tool_path_argument,
    tool_problem,
)
from engine.tools import process_tree
from engine.tools.process import ProcessResult, decode_console
from tests.engine.revit.conftest import World, only_item
from tests.fakes.revit_server import FakeModel

TOOL = r"C:\Program Files\Autodesk\Revit 2024\RevitServerToolCommand\RevitServerTool.exe"


def test_the_command_line_for_a_unc_target_with_spaces_and_non_ascii_names() -> None:
    dest = r"\\nas\backups\revit\2024-11-12\Zürich Süd\.~rg.1a2b.Überbauung Ost.rvt.part\Überbauung Ost.rvt"
    argv = build_argv(TOOL, "Zürich Süd\\Überbauung Ost.rvt", "RS01", dest, platform="win32")

    assert argv == [TOOL, "createLocalRVT", "Zürich Süd\\Überbauung Ost.rvt", "-s", "RS01", "-d", dest, "-o"]
    # What CreateProcess receives: each argument quoted on its own, no shell involved.
    assert subprocess.list2cmdline(argv) == (
        f'"{TOOL}" createLocalRVT "Zürich Süd\\Überbauung Ost.rvt" -s RS01 -d "{dest}" -o'
    )


def test_the_command_line_with_an_accelerator_and_a_drive_target() -> None:
    argv = build_argv(
        TOOL,
        r"Office\A & B\M.rvt",
        "rs01.corp",
        r"D:\Backups\2024-11-12\M.rvt",
        accelerator=" acc01 ",
        platform="win32",
    )
    assert argv[3:] == ["-s", "rs01.corp", "-a", "acc01", "-d", r"D:\Backups\2024-11-12\M.rvt", "-o"]
    assert argv[2] == r"Office\A & B\M.rvt"  # a list element: '&' means nothing to a shell


def test_long_windows_destinations_get_the_long_path_prefix() -> None:
    deep = "\\".join(["Very Long Folder Name Of A Project"] * 8)
    unc = rf"\\nas\backups\revit\2024-11-12\{deep}\M.rvt"
    drive = rf"D:\backups\2024-11-12\{deep}\M.rvt"

    assert tool_path_argument(unc, "win32") == "\\\\?\\UNC\\" + unc[2:]
    assert tool_path_argument(drive, "win32") == "\\\\?\\" + drive
    assert tool_path_argument(r"\\nas\b\M.rvt", "win32") == r"\\nas\b\M.rvt"
    assert tool_path_argument("/srv/" + deep, "linux") == "/srv/" + deep


def test_the_console_is_read_in_the_windows_oem_code_page() -> None:
    assert tool_encoding("win32", 850, {}) == "cp850"
    assert tool_encoding("win32", 437, {}) == "cp437"
    assert tool_encoding("win32", 850, {"REARGUARD_CONSOLE_CODEPAGE": "65001"}) == "cp65001"
    assert tool_encoding("linux", None, {"REARGUARD_CONSOLE_CODEPAGE": "850"}) == "cp850"
    assert tool_encoding("win32", 852, {"REARGUARD_CONSOLE_CODEPAGE": "no-such-codec"}) == "cp852"
    said = "Modèle Zürich Süd\\Überbauung Ost.rvt verrouillé".encode("cp850")

    assert (
        decode_console(said, tool_encoding("win32", 850, {}))
        == "Modèle Zürich Süd\\Überbauung Ost.rvt verrouillé"
    )
    assert decode_console(said, "utf-8") != "Modèle Zürich Süd\\Überbauung Ost.rvt verrouillé"
    assert "\ufffd" not in decode_console(said, "utf-8")  # a wrong guess never shows holes


def test_console_text_off_windows_is_utf8_and_never_shows_replacement_marks() -> None:
    assert tool_encoding("linux", None, {}) == "utf-8"  # not the locale's (a C locale is ASCII)
    assert decode_console("Le serveur est occupé".encode(), tool_encoding("linux", None, {})) == (
        "Le serveur est occupé"
    )
    assert decode_console("occupé".encode("cp1252"), "utf-8") == "occupé"  # the fallback fits
    assert "\ufffd" not in decode_console(bytes(range(256)), "ascii")


def test_a_run_decoding_the_tool_as_utf8_would_garble_its_words(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REARGUARD_CONSOLE_CODEPAGE", "utf-8")
    w = world(rows=[FakeModel(r"A\M.rvt", scenario="busy")])
    said = only_item(w.run(), r"A\M.rvt")["message"]
    assert "occupé" not in said and "\ufffd" not in said  # so the cp850 tests mean it


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (3221225786, "0xC000013A (interrupted)"),
        (-1073741510, "0xC000013A (interrupted)"),
        (-2, "signal SIGINT (interrupted)"),
        (-9, "signal SIGKILL"),
        (1, "1"),
        (3221225477, "0xC0000005"),
        (None, "no exit status"),
    ],
)
def test_exit_codes_read_as_people_need_them(code: int | None, text: str) -> None:
    assert describe_exit(code) == text


def _result(code: int | None, out: str = "", err: str = "", **flags: bool) -> ProcessResult:
    return ProcessResult(argv=["t"], returncode=code, stdout=out, stderr=err, **flags)


def test_how_the_tool_ended_decides_the_failure_message() -> None:
    assert exit_problem(_result(0, "Opération réussie."), 60) is None
    assert "interrupted" in str(exit_problem(_result(3221225786), 60))
    assert "interrupted" in str(exit_problem(_result(-1073741510), 60))
    assert "2s timeout" in str(exit_problem(_result(None, timed_out=True), 2))
    assert "cancelled" in str(exit_problem(_result(None, cancelled=True), 2))
    busy = exit_problem(_result(1, "Connexion...", "Le serveur est occupé (server busy)."), 60)
    assert busy == "RevitServerTool failed (exit 1): Le serveur est occupé (server busy)."
    assert exit_problem(_result(4), 60) == "RevitServerTool failed (exit 4) without a message"


class _FakeProc:
    pid = 4242

    def __init__(self) -> None:
        self.calls: list[str] = []

    def poll(self) -> int | None:
        return None if "kill" not in self.calls else 1

    def terminate(self) -> None:
        self.calls.append("terminate")

    def kill(self) -> None:
        self.calls.append("kill")


class _FakeChild:
    def __init__(self, stubborn: bool) -> None:
        self.stubborn = stubborn
        self.calls: list[str] = []

    def terminate(self) -> None:
        self.calls.append("terminate")

    def kill(self) -> None:
        self.calls.append("kill")


def test_on_windows_the_whole_tree_is_ended_with_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    """No taskkill and no process groups: every process of the tree is ended, the stubborn killed."""
    leader, quiet, stubborn = _FakeProc(), _FakeChild(False), _FakeChild(True)
    monkeypatch.setattr(process_tree, "_tree", lambda pid: [object(), quiet, stubborn])

    def wait_procs(procs: list[_FakeChild], timeout: float) -> tuple[list[_FakeChild], list[_FakeChild]]:
        return [p for p in procs if not p.stubborn], [p for p in procs if p.stubborn]

    monkeypatch.setattr(psutil, "wait_procs", wait_procs)
    monkeypatch.setattr(
        process_tree.os, "killpg", lambda *a: pytest.fail("no process groups on Windows"), raising=False
    )
    process_tree.kill_tree(leader, platform="win32", grace=0.1)  # type: ignore[arg-type]
    assert leader.calls == ["terminate", "kill"]
    assert quiet.calls == ["terminate"] and stubborn.calls == ["terminate", "kill"]
    assert process_tree.popen_options("win32")["creationflags"] == (
        process_tree.CREATE_NEW_PROCESS_GROUP | process_tree.CREATE_NO_WINDOW
    )
    assert process_tree.popen_options("linux") == {"start_new_session": True}


def test_a_tool_that_cannot_run_is_named_with_the_reason(tmp_path: Path) -> None:
    script = tmp_path / "RevitServerTool"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    runnable = tmp_path / "ok"
    runnable.write_text("#!/bin/sh\n")
    runnable.chmod(0o755)

    assert "not found" in str(tool_problem(str(tmp_path / "nope.exe")))
    assert "not a file" in str(tool_problem(str(tmp_path)))
    assert "not executable" in str(tool_problem(str(script), "linux"))
    assert tool_problem(str(runnable), "linux") is None
    assert "not a program" in str(tool_problem(str(script), "win32"))
    assert tool_problem("  ") == "no tool is set"
