"""Profile files: the models (one source of truth for loader, GUI editor and docs) and loading.

Every problem in a profile is reported at once, each with its location: ``[mirror].replica: ...``.
The models are checked by ``engine.core.schema`` (strict types, unknown keys refused).
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from engine.core.bandwidth import bwlimit_check
from engine.core.cadence import every_problem
from engine.core.durations import MIN_SCHEDULE_INTERVAL, parse_duration, parse_retention
from engine.core.errors import ProfileError
from engine.core.filters import pattern_problem
from engine.core.folders import Folders
from engine.core.schema import Invalid, Section, key
from engine.core.time_window import parse_window
from engine.files.pathsafety import overlap_problem

KINDS = ("mirror", "rclone", "revit")
_SECTIONS = ("schedule", "notify", *KINDS)  # tables shown as ``[name].key`` in problems
PROFILE_NAME = re.compile(r"^[\w][\w .@+-]{0,99}$")


VerifyMode = Literal["sample", "copied", "off"]
_VERIFY_HELP = "read back after each run: 'sample' (what it wrote + a rotating share), 'copied', 'off'"
_CYCLE_HELP = "with 'sample': every file is read back at least once in this period"


def _retention(value: str) -> str:
    parse_retention(value)
    return value


def _patterns(value: list[str]) -> list[str]:
    problem = pattern_problem(value)
    if problem:
        raise ValueError(problem)
    return value


_BW_HELP = "bandwidth limit in bytes/s: '20M', '512K', 'off', or a timetable '08:00,512K 19:00,off'"


def _nonempty_path(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def expand(path: str) -> Path:
    """A profile path as the OS sees it: ``~`` expanded, made absolute."""
    return Path(path).expanduser().absolute()


def _every(value: str) -> str:
    if parse_duration(value) < MIN_SCHEDULE_INTERVAL:
        raise ValueError(f"{value!r} is too short; the least is 15 minutes ('15m')")
    problem = every_problem(parse_duration(value))
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value


def _at(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"{value!r} is not a time of day; use 'HH:MM', e.g. '02:00'")
    return value


@dataclass(frozen=True, kw_only=True)
class Schedule(Section):
    every: str = key(description="how often to run: '15m' to '23h', '1d' to '7d', or '36h'", check=_every)
    at: str | None = key(None, description="time of day runs count from, 'HH:MM' (midnight)", check=_at)
    max_runs: int = key(0, ge=0, description="0 = no limit")
    window: str | None = key(
        None,
        description="scheduled runs start only inside 'HH:MM-HH:MM' (may wrap midnight)",
        check=lambda value: str(parse_window(value)),
    )

    @property
    def interval(self) -> timedelta:
        return parse_duration(self.every)


NotifyWhen = Literal["problems", "always", "never"]


def web_address_problem(value: str) -> str | None:
    """Why ``value`` is not an http(s) address to send to, or None; never repeats the value (a token)."""
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "is not a web address"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname:
        return "has no host name"
    if any(c.isspace() for c in value.strip()):
        return "must not contain spaces"
    return None


def web_address(value: str) -> str:
    """A key's check: an http(s) address, stripped (a ping URL, a webhook)."""
    problem = web_address_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class NotifySettings(Section):
    when: NotifyWhen | None = key(
        None,
        description="tell about this profile's runs: 'problems', 'always' or 'never' (not set: as "
        "notifications.toml says)",
    )
    ping: str | None = key(
        None,
        description="health-check URL (Healthchecks.io, Uptime Kuma): <ping>/start when a run starts, "
        "<ping> after a good run, <ping>/fail after a problem",
        check=web_address,
    )


@dataclass(frozen=True, kw_only=True)
class MirrorSettings(Section):
    source: str = key(description="folder to back up", check=_nonempty_path)
    replica: str = key(description="folder that becomes a copy of source", check=_nonempty_path)
    delete: bool = key(True, description="remove what source no longer has")
    versions: bool = key(True, description="keep replaced and deleted files")
    keep_versions: str = key("30d", description="how long versions are kept, '1d' or more", check=_retention)
    include_hidden: bool = key(True, description="mirror hidden files and folders")
    exclude: list[str] = key(default_factory=list, description="gitignore-style patterns", check=_patterns)
    max_delete_percent: float = key(
        50.0, ge=0, le=100, description="refuse a run deleting more than this share of the replica"
    )
    bwlimit: str = key("", description=_BW_HELP, check=bwlimit_check(pairs=False))
    verify: VerifyMode = key("sample", description=_VERIFY_HELP)
    verify_cycle: str = key("30d", description=_CYCLE_HELP, check=_retention)

    def after_check(self, context: dict[str, Any]) -> None:
        if context.get("check_overlap", True):
            problem = overlap_problem(expand(self.source), expand(self.replica))
            if problem:
                raise ValueError(problem)


@dataclass(frozen=True, kw_only=True)
class RcloneSettings(Section):
    source: str = key(description="local folder to upload", check=_nonempty_path)
    remote: str = key(
        description="rclone remote, e.g. 'offsite:bucket/projects', or a path", check=_nonempty_path
    )
    config: str = key("", description="rclone.conf to use; empty = rclone's own")
    rclone: str = key("", description="rclone binary; empty = the bundled one")
    exclude: list[str] = key(default_factory=list, description="gitignore-style patterns", check=_patterns)
    include_hidden: bool = key(False, description="upload dotfiles too")
    delete_excluded: bool = key(
        False, description="remove from the remote what exclude or include_hidden now leave out"
    )
    transfers: int = key(4, ge=1, le=64, description="parallel uploads")
    max_delete_percent: float = key(
        50.0, ge=0, le=100, description="refuse deleting more than this share of the remote"
    )
    bwlimit: str = key(
        "", description=_BW_HELP + " (rclone's own --bwlimit)", check=bwlimit_check(pairs=True)
    )
    verify: VerifyMode = key("sample", description=_VERIFY_HELP)
    verify_cycle: str = key("30d", description=_CYCLE_HELP, check=_retention)


def _timeout(value: str) -> str:
    if parse_duration(value).total_seconds() <= 0:
        raise ValueError(f"{value!r} must be longer than zero, e.g. '2h'")
    return value


@dataclass(frozen=True, kw_only=True)
class RevitSettings(Section):
    server: str = key(description="Revit Server host name (RevitServerTool -s)", check=_nonempty_path)
    projects_dir: str = key(description="the server's Projects folder", check=_nonempty_path)
    model_table: str = key("", description="ModelLocationTable.db3; empty = in projects_dir")
    tool: str = key(description="RevitServerTool.exe", check=_nonempty_path)
    target: str = key(description="folder (often a UNC share) receiving dated exports", check=_nonempty_path)
    # Upper bounds keep date arithmetic in range (a window of 1e300 hours cannot be computed).
    window_hours: float = key(
        24.0, ge=0, le=87_600, description="export models edited within this many hours; 0 = all"
    )
    parallel: int = key(1, ge=1, le=16, description="exports at once")
    timeout: str = key("2h", description="per model; stopped and failed after it", check=_timeout)
    keep_days: int = key(30, ge=1, le=36_500, description="dated folders kept")

    @property
    def model_table_path(self) -> str:
        if self.model_table.strip():
            return self.model_table
        sep = "\\" if "\\" in self.projects_dir else "/"
        return self.projects_dir.rstrip("\\/") + sep + "ModelLocationTable.db3"


@dataclass(frozen=True, kw_only=True)
class _ProfileBase(Section):
    description: str = key("")
    schedule: Schedule | None = key(None)
    notify: NotifySettings | None = key(None)


@dataclass(frozen=True, kw_only=True)
class MirrorProfile(_ProfileBase):
    kind: Literal["mirror"] = key("mirror")
    mirror: MirrorSettings = key()


@dataclass(frozen=True, kw_only=True)
class RcloneProfile(_ProfileBase):
    kind: Literal["rclone"] = key("rclone")
    rclone: RcloneSettings = key()


@dataclass(frozen=True, kw_only=True)
class RevitProfile(_ProfileBase):
    kind: Literal["revit"] = key("revit")
    revit: RevitSettings = key()


ProfileSpec = MirrorProfile | RcloneProfile | RevitProfile
SPEC_BY_KIND: dict[str, type[MirrorProfile] | type[RcloneProfile] | type[RevitProfile]] = {
    "mirror": MirrorProfile,
    "rclone": RcloneProfile,
    "revit": RevitProfile,
}


@dataclass(frozen=True)
class Profile:
    """A validated profile with the name people call it by and the file it came from."""

    name: str
    spec: ProfileSpec
    path: Path | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind


def _location(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "profile"
    head, *rest = (str(part) for part in loc)
    if rest and head in _SECTIONS:
        return f"[{head}]." + ".".join(rest)
    if head in _SECTIONS:
        return f"[{head}]"
    return ".".join([head, *rest])


def _message(error: Any) -> str:
    kind, msg, loc = error["type"], error["msg"], error["loc"]
    is_section = len(loc) == 1 and loc[0] in _SECTIONS
    if kind == "extra_forbidden":
        return "section does not belong to this kind of profile" if is_section else "unknown key"
    if kind == "missing":
        return "section is missing" if is_section else "required key is missing"
    if kind in ("value_error", "assertion_error"):
        return str(msg).removeprefix("Value error, ")
    return str(msg)


def validation_problems(error: Invalid) -> list[str]:
    """The checker's problems as ``location: message`` lines a person can act on."""
    return [f"{_location(e['loc'])}: {_message(e)}" for e in error.errors()]


def validate_spec(data: dict[str, Any], source: str, *, check_overlap: bool = True) -> ProfileSpec:
    """Validate a profile's parsed TOML; raise ProfileError listing every problem."""
    kind = data.get("kind")
    if kind not in SPEC_BY_KIND:
        shown = "missing" if kind is None else repr(kind)
        problems = [f"kind: {shown}; must be one of " + ", ".join(f"'{k}'" for k in KINDS)]
        raise ProfileError(source, problems)
    try:
        return SPEC_BY_KIND[kind].model_validate(data, context={"check_overlap": check_overlap})
    except Invalid as error:
        raise ProfileError(source, validation_problems(error)) from None


def parse_profile_text(text: str, name: str, path: Path | None = None) -> Profile:
    """Parse and validate the text of a profile file."""
    source = str(path) if path else name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(source, [f"not valid TOML: {error}"]) from None
    except RecursionError:  # tomllib recurses per nesting level: '[[[[...' thousands deep
        raise ProfileError(source, ["not valid TOML: arrays or tables nested too deeply"]) from None
    return Profile(name=name, spec=validate_spec(data, source), path=path)


def read_profile(path: Path) -> Profile:
    """Load a profile file from a path."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(str(path), ["file not found"]) from None
    except UnicodeDecodeError:
        raise ProfileError(str(path), ["not UTF-8 text"]) from None
    except OSError as error:
        raise ProfileError(str(path), [f"cannot be read: {error.strerror or error}"]) from None
    return parse_profile_text(text, path.stem, path)


def profile_path(folders: Folders, name: str) -> Path:
    """The file a profile called ``name`` lives in; the name must be a plain file name."""
    if not PROFILE_NAME.match(name) or name != name.strip():
        raise ProfileError(name, ["a profile name uses letters, digits, spaces and . _ - @ + (at most 100)"])
    return folders.profiles / f"{name}.toml"


def resolve_profile(folders: Folders, ref: str) -> Profile:
    """Load PROFILE as the CLI means it: a name in the profiles folder, or a path to a TOML file."""
    looks_like_path = ref.endswith(".toml") or "/" in ref or "\\" in ref
    if looks_like_path:
        return read_profile(Path(ref).expanduser())
    path = profile_path(folders, ref)
    if not path.exists():
        known = ", ".join(p.name for p in list_profiles(folders)) or "none yet"
        raise ProfileError(ref, [f"no such profile in {folders.profiles} (known: {known})"])
    return read_profile(path)


@dataclass(frozen=True)
class ProfileEntry:
    """One file in the profiles folder, usable or not."""

    name: str
    path: Path
    profile: Profile | None
    error: ProfileError | None


def list_profiles(folders: Folders) -> list[ProfileEntry]:
    """Every ``*.toml`` in the profiles folder, sorted by name, each loaded or with its error."""
    if not folders.profiles.is_dir():
        return []
    entries = []
    for path in sorted(folders.profiles.glob("*.toml"), key=lambda p: p.stem.lower()):
        try:
            entries.append(ProfileEntry(path.stem, path, read_profile(path), None))
        except ProfileError as error:
            entries.append(ProfileEntry(path.stem, path, None, error))
    return entries


def dump_profile(spec: ProfileSpec) -> str:
    """The TOML text for a profile, keys in the documented order, defaults left out."""
    import tomli_w

    data = spec.model_dump(exclude_defaults=True, exclude_none=True)
    ordered: dict[str, Any] = {"kind": spec.kind}
    ordered.update({k: v for k, v in data.items() if k != "kind"})
    return tomli_w.dumps(ordered)
