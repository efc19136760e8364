"""Where Rearguard keeps profiles, state and logs (platformdirs, or all under ``REARGUARD_HOME``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Rearguard"
HOME_ENV = "REARGUARD_HOME"


@dataclass(frozen=True)
class Folders:
    """The app's folders; ``create()`` makes them on first use."""

    profiles: Path
    data: Path
    logs: Path

    @property
    def state_db(self) -> Path:
        return self.data / "state.db"

    @property
    def locks(self) -> Path:
        return self.data / "locks"

    @property
    def notifications(self) -> Path:
        """``notifications.toml``: in the config folder, beside ``profiles/``."""
        return self.profiles.parent / "notifications.toml"

    def profile_logs(self, profile: str) -> Path:
        return self.logs / profile

    def create(self) -> Folders:
        for folder in (self.profiles, self.data, self.logs, self.locks):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_folders(environ: dict[str, str] | None = None) -> Folders:
    """The folders for this user; everything under ``$REARGUARD_HOME`` when it is set."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        root = Path(home).expanduser().absolute()
        return Folders(profiles=root / "profiles", data=root / "data", logs=root / "logs")
    import platformdirs  # imported here: only needed when not portable

    return Folders(
        profiles=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "profiles",
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
