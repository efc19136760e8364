"""Finding the secrets an rclone run could show, so every message can be masked before it is shown.

rclone keeps passwords obscured (reversible), not encrypted, so an obscured value is as secret as the
password. Secrets come from three places: the rclone.conf in use, ``RCLONE_*`` environment variables
(remotes defined as ``RCLONE_CONFIG_<NAME>_PASS=...``), and on-the-fly remotes whose options sit in
the remote string itself (``:sftp,host=h,pass=XXX:path``).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

_SECRET_KEY = re.compile(r"pass|token|secret|key|auth|credential|sas_url|signature", re.IGNORECASE)
_INLINE = re.compile(
    r"([\w-]*(?:pass|token|secret|key|auth|credential)[\w-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^,:]+)",
    re.IGNORECASE,
)
_NOT_SECRET_VALUES = frozenset({"true", "false", "none", ""})


def _keep(value: str) -> bool:
    return len(value) >= 3 and value.strip().lower() not in _NOT_SECRET_VALUES


def _with_json_parts(value: str) -> list[str]:
    """A value, plus the string fields inside it when it is JSON (an OAuth token blob)."""
    out = [value]
    try:
        data = json.loads(value)
    except ValueError:
        return out
    if isinstance(data, dict):
        out += [v for v in data.values() if isinstance(v, str)]
    return out


def from_remote(remote: str) -> list[str]:
    """Secret option values written into a remote string (on-the-fly / connection-string remotes)."""
    return [m.group(2).strip("\"'") for m in _INLINE.finditer(remote) if _keep(m.group(2).strip("\"'"))]


def from_environment(environ: Mapping[str, str]) -> list[str]:
    """Values of ``RCLONE_*`` variables whose name says they hold a secret."""
    found: list[str] = []
    for name, value in environ.items():
        upper = name.upper()
        if upper.startswith("RCLONE_") and _SECRET_KEY.search(upper.removeprefix("RCLONE_")):
            found += [v for v in _with_json_parts(value) if _keep(v)]
    return found


def from_config_text(text: str) -> list[str]:
    """Secret values in an rclone.conf's text (an encrypted config yields nothing readable)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    found: list[str] = []
    for section in parser.sections():
        for key, value in parser.items(section):
            if _SECRET_KEY.search(key):
                found += [v for v in _with_json_parts(value.strip()) if _keep(v)]
    return found


def default_config_paths(environ: Mapping[str, str], platform: str = sys.platform) -> list[Path]:
    """Where rclone looks for its own config when none is given (first existing wins in rclone)."""
    if environ.get("RCLONE_CONFIG"):
        return [Path(environ["RCLONE_CONFIG"]).expanduser()]
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    paths = []
    if platform == "win32" and environ.get("APPDATA"):
        paths.append(Path(environ["APPDATA"]) / "rclone" / "rclone.conf")
    xdg = environ.get("XDG_CONFIG_HOME")
    paths.append((Path(xdg) if xdg else home / ".config") / "rclone" / "rclone.conf")
    paths.append(home / ".rclone.conf")
    return paths


def collect(remote: str, config: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret this profile's rclone calls could reveal, longest first."""
    env = os.environ if environ is None else environ
    found = from_remote(remote) + from_environment(env)
    paths: Iterable[Path] = [Path(config)] if config else default_config_paths(env)
    for path in paths:
        try:
            found += from_config_text(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return sorted(set(found), key=len, reverse=True)
