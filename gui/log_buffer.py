"""This window's log records for the Log tab: a logging.Handler that only appends to a deque
(thread-safe); ``gui.log_view.LogView`` drains it on a timer on the GUI thread.

A record is masked as it arrives, the way a run's log file is (``engine.tools.redact``): the
secret-looking values, and every secret the buffer was told (a run tells its profile's
``run_secrets`` before its first record). Nothing unmasked is ever kept, so none can be shown.
The view masks the lines it reads from log files with the same secrets (``secrets``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

from engine.core.logs import LOGGER_NAME
from engine.tools.redact import redact

KEPT_RECORDS = 20000  # records kept for re-filtering


class LogBuffer(logging.Handler):
    """Collects formatted, masked records from any thread for the GUI to pick up."""

    def __init__(self, maxlen: int = KEPT_RECORDS) -> None:
        super().__init__(logging.DEBUG)
        self.records: deque[tuple[int, str]] = deque(maxlen=maxlen)
        self.secrets: tuple[str, ...] = ()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s  %(message)s", "%H:%M:%S"))

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask these exact strings too, from the next record on (safe from any thread)."""
        self.acquire()  # the handler's lock: two runs starting at once both get theirs in
        try:
            known = set(self.secrets) | {s for s in secrets if len(s) >= 3}
            self.secrets = tuple(sorted(known, key=len, reverse=True))
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        try:  # the whole text: message and traceback, as the run's log file masks them
            self.records.append((record.levelno, redact(self.format(record), self.secrets)))
        except Exception:
            self.handleError(record)

    def take(self) -> list[tuple[int, str]]:
        records = self.records
        return [records.popleft() for _ in range(len(records))]


def install_log_buffer(level: int = logging.INFO) -> LogBuffer:
    """Attach a LogBuffer to the engine's logger (and make sure INFO records are produced)."""
    logger = logging.getLogger(LOGGER_NAME)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    buffer = LogBuffer()
    logger.addHandler(buffer)
    return buffer
