"""Running one rclone command while its JSON log is read as it streams.

``launch_process`` (the engine's one way to start a tool) drains the pipes on its own threads; the
lines are handed over through a queue so the records are handled, and the Reporter is called, on
the run's own thread. Cancelling stops rclone's whole process tree.

A command reads its file list from standard input (``--files-from-raw -``), so it can be started
before the list is known (``Streaming``, kept by ``ahead.py``): rclone spends some 40 ms of CPU
starting (its backends' set-up) before it reads the list, and that is done by the time it gets it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence

from engine.jobs.rclone import json_log
from engine.tools.process import ProcessResult, launch_process

RecordHandler = Callable[[json_log.LogRecord], None]
_DONE = object()


class Streaming:
    """An rclone command started with its list to come on standard input; its log lines wait in a queue.

    Raises OSError when rclone cannot be started at all.
    """

    def __init__(self, argv: Sequence[str], *, secrets: Sequence[str], env: Mapping[str, str] | None = None):
        self.argv = list(argv)
        self._lines: queue.Queue[object] = queue.Queue()

        def feed(stream: str, line: str) -> None:
            if stream == "stderr":
                self._lines.put(line)

        self._launched = launch_process(
            self.argv,
            env=env,
            on_line=feed,
            encoding="utf-8",  # rclone's JSON log is UTF-8 on every platform (file names!)
            secrets=secrets,
            takes_input=True,
        )

    def run(
        self,
        paths: Sequence[str],
        on_record: RecordHandler,
        *,
        cancel: threading.Event,
        timeout: float | None = None,
        paused: Callable[[], bool] | None = None,
    ) -> ProcessResult:
        """Hand rclone ``paths`` (one per line, UTF-8) and follow it to the end.

        Every parsed stderr line goes to ``on_record`` on the calling thread. While ``paused()`` is
        true rclone's process tree is suspended. ``timeout`` counts from now.
        """
        self._launched.send(list_bytes(paths))
        outcome: list[ProcessResult | BaseException] = []

        def work() -> None:
            try:
                outcome.append(
                    self._launched.wait(timeout=timeout, cancel=cancel, paused=paused, log_output=False)
                )
            except BaseException as error:  # handed to the caller's thread below
                outcome.append(error)
            finally:
                self._lines.put(_DONE)

        worker = threading.Thread(target=work, name="rclone", daemon=True)
        worker.start()
        while True:
            item = self._lines.get()
            if item is _DONE:
                break
            record = json_log.parse_line(str(item))
            if record is not None:
                on_record(record)
        worker.join()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def close(self) -> None:
        """Stop rclone if it still waits for its list (started ahead for work that did not come)."""
        self._launched.discard()


def list_bytes(paths: Sequence[str]) -> bytes:
    """A ``--files-from-raw`` list: one path per line, UTF-8, ``/`` separators."""
    return b"".join(p.encode("utf-8") + b"\n" for p in paths)


def run_streaming(
    argv: Sequence[str],
    paths: Sequence[str],
    on_record: RecordHandler,
    *,
    cancel: threading.Event,
    secrets: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    paused: Callable[[], bool] | None = None,
) -> ProcessResult:
    """Start ``argv`` (whose ``--files-from-raw`` is ``-``), hand it ``paths``, follow it to the end."""
    started = Streaming(argv, secrets=secrets, env=env)
    return started.run(paths, on_record, cancel=cancel, timeout=timeout, paused=paused)
