"""``python -m engine``: the command line (the window needs the ``rearguard`` program)."""

from engine.cli import end_process, main

end_process(main())
