"""Every error a run can end with, each mapped to one exit code and one readable line.

The CLI catches these at the top and prints ``str(error)``; nothing else prints.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_ITEMS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_LOCKED = 4
EXIT_UNAVAILABLE = 5
EXIT_WINDOW_ENDED = 6
EXIT_CANCELLED = 130


class RearguardError(Exception):
    """Base class: a failure a person can read about and act on."""

    exit_code = EXIT_ITEMS_FAILED


class UsageError(RearguardError):
    """Bad command-line arguments."""

    exit_code = EXIT_BAD_INPUT


class ProfileError(RearguardError):
    """A profile that cannot be used; carries every problem found, each with its location."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s)"] if len(self.problems) > 1 else []
        if len(self.problems) == 1:
            lines = [f"{source}: {self.problems[0]}"]
        else:
            lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SafetyRefusal(RearguardError):
    """The run looked wrong and was refused before anything in the target changed."""

    exit_code = EXIT_REFUSED


class RunLocked(RearguardError):
    """Another run of the same profile holds the lock."""

    exit_code = EXIT_LOCKED


class ToolUnavailable(RearguardError):
    """A required tool or remote cannot be reached or run."""

    exit_code = EXIT_UNAVAILABLE


class WindowEnded(RearguardError):
    """The profile's time window closed: the run stopped after the current file; the next run continues."""

    exit_code = EXIT_WINDOW_ENDED


class Cancelled(RearguardError):
    """The run was cancelled by the user (Ctrl+C, Cancel button)."""

    exit_code = EXIT_CANCELLED

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
