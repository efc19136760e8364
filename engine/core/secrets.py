"""Every secret a run could reveal, asked of those who know them, so the run's log masks them all.

- the profile's kind: a module-level ``secrets(profile) -> list[str]`` in ``engine.jobs.<kind>``
  (rclone: the passwords and tokens of its rclone.conf, ``RCLONE_*`` variables and remote string);
- the notification channels: ``engine.notify.secrets.secrets_for(profile, folders)`` (webhook
  tokens, the ping URL, an SMTP password given as ``env:NAME``).

Both are found by module name, like the kinds themselves: core imports neither (the layers contract).
A source that fails is logged and skipped; it never stops a run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from engine.core.folders import Folders
from engine.core.kinds import KIND_MODULES
from engine.core.profiles import Profile

NOTIFY_SECRETS = "engine.notify.secrets"
log = logging.getLogger("rearguard")


def _ask(module: str, function: str, *args: Any) -> list[str]:
    try:
        hook: Callable[..., Iterable[str]] | None = getattr(importlib.import_module(module), function, None)
        return [] if hook is None else [s for s in hook(*args) if isinstance(s, str)]
    except Exception as error:  # a broken source must not stop the run; its secrets are unknown
        log.warning("the secrets known to %s could not be read: %s", module, type(error).__name__)
        return []


def run_secrets(profile: Profile, folders: Folders) -> list[str]:
    """The exact strings to mask in everything a run of ``profile`` writes or shows, longest first."""
    found = _ask(KIND_MODULES[profile.kind], "secrets", profile)
    found += _ask(NOTIFY_SECRETS, "secrets_for", profile, folders)
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)
