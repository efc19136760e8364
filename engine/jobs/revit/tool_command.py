"""RevitServerTool: its command line, whether it can run, how its console speaks, what its exit means.

Everything here is a pure function (platform and environment are parameters), so the Windows
rules — backslash paths, UNC targets, ``\\\\?\\`` long paths, OEM code pages, the ``0xC000013A``
interrupted exit — are tested on Linux too.
"""

from __future__ import annotations

import codecs
import os
import signal
import sys
from collections.abc import Mapping

from engine.files.pathsafety import windows_long_path
from engine.tools.process import ProcessResult, console_encoding, is_interrupted_exit

VERB = "createLocalRVT"
CODEPAGE_ENV = "REARGUARD_CONSOLE_CODEPAGE"  # e.g. "850": the tool's console code page
_RUNNABLE_SUFFIXES = (".exe", ".com", ".bat", ".cmd")
_MESSAGE_LINES = 3
_MESSAGE_CHARS = 400


def build_argv(
    tool: str,
    model: str,
    server: str,
    destination: str,
    *,
    accelerator: str = "",
    platform: str = sys.platform,
) -> list[str]:
    """``RevitServerTool createLocalRVT <model> -s <server> [-a <accel>] -d <dest> -o``.

    ``model`` goes as the table gives it (backslashes); ``destination`` is a full file path
    ending in ``.rvt``, spelled for ``platform`` and prefixed ``\\\\?\\`` when too long there.
    An argument list, never a shell string: spaces, quotes and ``&`` in names are harmless.
    """
    argv = [tool, VERB, model, "-s", server]
    if accelerator.strip():
        argv += ["-a", accelerator.strip()]
    argv += ["-d", tool_path_argument(destination, platform), "-o"]
    return argv


def tool_path_argument(path: str, platform: str = sys.platform) -> str:
    """A path as the Windows tool must receive it (long paths get the ``\\\\?\\`` prefix)."""
    if platform != "win32":
        return path
    return windows_long_path(path.replace("/", "\\"))


def tool_problem(tool: str, platform: str = sys.platform) -> str | None:
    """Why ``tool`` cannot be run, or None when it looks runnable."""
    if not tool.strip():
        return "no tool is set"
    if not os.path.exists(tool):
        return f"RevitServerTool not found: {tool}"
    if not os.path.isfile(tool):
        return f"RevitServerTool is not a file: {tool}"
    if platform == "win32":
        if not tool.lower().endswith(_RUNNABLE_SUFFIXES):
            return f"RevitServerTool is not a program (.exe): {tool}"
    elif not os.access(tool, os.X_OK):
        return f"RevitServerTool is not executable (no permission to run it): {tool}"
    return None


def tool_encoding(
    platform: str = sys.platform, oem_codepage: int | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The encoding of the tool's console output.

    RevitServerTool writes in the Windows OEM code page (cp850/cp437 in Western Europe), not
    UTF-8. ``REARGUARD_CONSOLE_CODEPAGE`` overrides it (a number such as ``850`` or a codec
    name), for consoles switched with ``chcp`` and for tests of that decoding off Windows.
    """
    env = os.environ if environ is None else environ
    override = env.get(CODEPAGE_ENV, "").strip()
    if override:
        name = f"cp{override}" if override.isdigit() else override
        if _codec_exists(name):
            return name
    return console_encoding(platform, oem_codepage)


def _codec_exists(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def describe_exit(code: int | None) -> str:
    """An exit status for people: ``1``, ``0xC000013A (interrupted)``, ``signal SIGKILL``."""
    if code is None:
        return "no exit status"
    return _exit_text(code) + (" (interrupted)" if is_interrupted_exit(code) else "")


def _exit_text(code: int) -> str:
    if -255 <= code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    if code < 0 or code > 0xFFFF:  # Windows NTSTATUS values, signed or not
        return f"0x{code & 0xFFFFFFFF:08X}"
    return str(code)


def tool_message(result: ProcessResult) -> str:
    """The tool's own words about what happened: its last few non-empty output lines."""
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    if not lines and result.stderr:
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    text = " / ".join(lines[-_MESSAGE_LINES:])
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def exit_problem(result: ProcessResult, timeout: float) -> str | None:
    """Why the tool's run failed judging by how it ended, or None for exit 0 (file still checked)."""
    if result.timed_out:
        return f"stopped after the {timeout:g}s timeout; the tool and the processes it started were ended"
    if result.cancelled:
        return "cancelled while exporting; the tool was stopped"
    if is_interrupted_exit(result.returncode):
        code = result.returncode if result.returncode is not None else 0
        return f"RevitServerTool was interrupted (exit {_exit_text(code)}), no export kept"
    if result.returncode != 0:
        said = tool_message(result)
        shown = f": {said}" if said else " without a message"
        return f"RevitServerTool failed (exit {describe_exit(result.returncode)}){shown}"
    return None
