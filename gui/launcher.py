"""The ``rearguard`` program: a subcommand goes to the engine's CLI without importing Qt;
no subcommand, or ``gui``, opens the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from engine.cli import end_process
from engine.cli import main as cli_main

CLI_COMMANDS = {"run", "list", "show", "check", "mirror", "--version", "-h", "--help"}


def wants_cli(argv: Sequence[str]) -> bool:
    """True when the arguments are a command-line command rather than a request for the window."""
    return bool(argv) and argv[0] != "gui" and (argv[0] in CLI_COMMANDS or not argv[0].startswith("-"))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_cli(args):
        return cli_main(args)
    try:
        from gui.app import main as gui_main
    except ImportError as error:  # the window is not built yet, or Qt cannot load here
        print(
            f"rearguard: the window cannot start here ({error}); "
            "use a command such as 'rearguard run PROFILE' (see 'rearguard --help')",
            file=sys.stderr,
        )
        return 5
    return gui_main(args[1:] if args and args[0] == "gui" else args)


def run() -> NoReturn:
    """The program: a command ends the process as soon as it is done (``end_process``); the window
    exits the usual way."""
    args = sys.argv[1:]
    if wants_cli(args):
        end_process(cli_main(args))
    sys.exit(main(args))


if __name__ == "__main__":
    run()
