"""Entry point of the packaged app, for both executables (``rearguard`` and ``rearguard-cli``).

The same dispatch as the ``rearguard`` console script: a subcommand goes to the engine's command line
without importing Qt, no subcommand (or ``gui``) opens the window.
"""

from __future__ import annotations

import os
import sys


def _give_windowed_exe_somewhere_to_write() -> None:
    """The windowed Windows executable has no console: ``sys.stdout`` and ``sys.stderr`` are None.

    A command run through it (say from Task Scheduler) must still work, so its output goes nowhere
    instead of failing on the first print; the exit code still tells how the run went. Scripts that
    want the output use ``rearguard-cli``.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  # lives as long as the process


if __name__ == "__main__":
    _give_windowed_exe_somewhere_to_write()
    from engine.tools.bundled import restore_library_path
    from gui.launcher import run

    restore_library_path()
    run()
