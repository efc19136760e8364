"""``python -m engine``: the command line (the window needs the ``rearguard`` program)."""

import sys

from engine.cli import main

sys.exit(main())
