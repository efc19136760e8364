"""Running one rclone command while its JSON log is read as it streams.

``run_process`` (the engine's one way to run a tool) drains the pipes on its own threads; the
lines are handed over through a queue so the records are handled, and the Reporter is called, on
the run's own thread. Cancelling stops rclone's whole process tree.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence

from engine.jobs.rclone import json_log
from engine.tools.process import ProcessResult, run_process

RecordHandler = Callable[[json_log.LogRecord], None]
_DONE = object()


def run_streaming(
    argv: Sequence[str],
    on_record: RecordHandler,
    *,
    cancel: threading.Event,
    secrets: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    paused: Callable[[], bool] | None = None,
) -> ProcessResult:
    """Run ``argv``; every parsed stderr line goes to ``on_record`` on the calling thread.

    While ``paused()`` is true rclone's process tree is suspended. Raises OSError when rclone
    cannot be started at all.
    """
    lines: queue.Queue[object] = queue.Queue()
    outcome: list[ProcessResult | BaseException] = []

    def feed(stream: str, line: str) -> None:
        if stream == "stderr":
            lines.put(line)

    def work() -> None:
        try:
            outcome.append(
                run_process(
                    argv,
                    timeout=timeout,
                    cancel=cancel,
                    env=env,
                    on_line=feed,
                    encoding="utf-8",  # rclone's JSON log is UTF-8 on every platform (file names!)
                    secrets=secrets,
                    log_output=False,
                    paused=paused,
                )
            )
        except BaseException as error:  # handed to the caller's thread below
            outcome.append(error)
        finally:
            lines.put(_DONE)

    worker = threading.Thread(target=work, name="rclone", daemon=True)
    worker.start()
    while True:
        item = lines.get()
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
