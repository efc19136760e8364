"""The app's own settings, kept as a small JSON file in the data folder (never in a profile: the
profile format is a fixed contract).

- ``max_parallel``: at most this many scheduled runs at once (the others wait in a queue).
- ``paused``: all schedules paused (Pause all / Resume all).
- ``alert_days``: per profile, alert when it has had no good run for this many days (default 3).
- ``tray_notice_shown``: the "no system tray here" notice was shown once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.files.atomic import atomic_write_text

log = logging.getLogger("rearguard.settings")
FILE_NAME = "settings.json"
DEFAULT_ALERT_DAYS = 3
DEFAULT_MAX_PARALLEL = 2


@dataclass
class AppSettings:
    path: Path
    max_parallel: int = DEFAULT_MAX_PARALLEL
    paused: bool = False
    alert_days: dict[str, int] = field(default_factory=dict)
    tray_notice_shown: bool = False

    @classmethod
    def load(cls, data_folder: Path) -> AppSettings:
        """Read the settings; a missing or unreadable file gives the defaults (and says so in the log)."""
        path = data_folder / FILE_NAME
        settings = cls(path)
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as error:
            log.warning("the settings file %s could not be read (%s); using defaults", path, error)
            return settings
        if not isinstance(raw, dict):
            return settings
        if isinstance(raw.get("max_parallel"), int) and raw["max_parallel"] >= 1:
            settings.max_parallel = raw["max_parallel"]
        settings.paused = bool(raw.get("paused", False))
        settings.tray_notice_shown = bool(raw.get("tray_notice_shown", False))
        days = raw.get("alert_days", {})
        if isinstance(days, dict):
            settings.alert_days = {str(k): int(v) for k, v in days.items() if isinstance(v, int) and v >= 0}
        return settings

    def save(self) -> None:
        data = asdict(self)
        del data["path"]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as error:
            log.warning("the settings file %s could not be saved: %s", self.path, error)

    def alert_after_days(self, profile: str) -> int:
        """Days without a good run before the alert (0 = never alert)."""
        return self.alert_days.get(profile, DEFAULT_ALERT_DAYS)
