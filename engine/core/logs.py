"""Logging: stdlib ``logging`` with one daily file per profile, ``LOG-YYYY-MM-DD.txt``, pruned by age."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from engine.tools.redact import RedactingFilter

LOGGER_NAME = "rearguard"
DEFAULT_KEEP_DAYS = 90
_NAME = re.compile(r"^LOG-(\d{4}-\d{2}-\d{2})\.txt$")
FORMAT = "%(asctime)s %(levelname)-7s %(message)s"

log = logging.getLogger(LOGGER_NAME)


def log_file_for(folder: Path, day: date) -> Path:
    return folder / f"LOG-{day.isoformat()}.txt"


class DailyFileHandler(logging.Handler):
    """Appends to ``LOG-<today>.txt`` in a folder, switching file when the day changes."""

    def __init__(self, folder: Path, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.folder = folder
        self._day: date | None = None
        self._stream: logging.StreamHandler | None = None  # type: ignore[type-arg]
        self.setFormatter(logging.Formatter(FORMAT))
        self.addFilter(RedactingFilter(secrets))

    @property
    def current_file(self) -> Path:
        return log_file_for(self.folder, datetime.now().date())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            today = datetime.fromtimestamp(record.created).date()
            if today != self._day or self._stream is None:
                self._open(today)
            assert self._stream is not None
            self._stream.stream.write(self.format(record) + "\n")
            self._stream.stream.flush()
        except Exception:
            self.handleError(record)

    def _open(self, day: date) -> None:
        self._close_stream()
        self.folder.mkdir(parents=True, exist_ok=True)
        stream = open(log_file_for(self.folder, day), "a", encoding="utf-8")  # noqa: SIM115
        self._stream = logging.StreamHandler(stream)
        self._day = day

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.stream.close()
            self._stream = None

    def close(self) -> None:
        self._close_stream()
        super().close()


def prune_logs(folder: Path, keep_days: int = DEFAULT_KEEP_DAYS, today: date | None = None) -> int:
    """Delete ``LOG-*.txt`` files older than ``keep_days``; returns how many were removed."""
    today = today or date.today()
    cutoff = today - timedelta(days=keep_days)
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match:
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if day < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class attach_daily_log:
    """``with attach_daily_log(folder, secrets):`` logs the engine's records to the day's file."""

    def __init__(self, folder: Path, secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
        self.handler = DailyFileHandler(folder, secrets)
        self.handler.setLevel(level)

    def __enter__(self) -> DailyFileHandler:
        root = logging.getLogger(LOGGER_NAME)
        if root.level == logging.NOTSET or root.level > self.handler.level:
            root.setLevel(self.handler.level)
        root.addHandler(self.handler)
        return self.handler

    def __exit__(self, *exc: object) -> None:
        logging.getLogger(LOGGER_NAME).removeHandler(self.handler)
        self.handler.close()
