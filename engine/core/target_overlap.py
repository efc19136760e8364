"""Two profiles never write into the same target, nor one into the other's (DESIGN: rules).

A mirror's replica, a Revit target, and an rclone remote that is a local path are folders; those
overlap when one is the other or lies inside it (symbolic links resolved, case folded on Windows).
An rclone remote such as ``offsite:bucket/projects`` overlaps another remote string with the same
remote name whose path is the same or nested (``offsite:bucket`` holds ``offsite:bucket/projects``).
What rclone's config makes of a remote (an alias or crypt wrapping another) is not looked at.

Pure apart from reading the profiles folder and resolving paths: ``check`` reports a clash as a
profile problem (exit 2), a run refuses it (exit 3); both name the other profile.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.core.errors import ProfileError, SafetyRefusal
from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, Profile, RcloneProfile, expand, list_profiles
from engine.files.pathsafety import is_within
from engine.tools.redact import redact

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:(?:[\\/]|$)")


@dataclass(frozen=True)
class Target:
    """Where one profile writes: a local folder, or a path on an rclone remote."""

    profile: str
    key: str  # the profile key that names it, e.g. "[mirror].replica"
    text: str  # as the profile writes it (shown in messages, secrets masked)
    folder: Path | None = None  # a local folder
    remote: str | None = None  # an rclone remote's name, e.g. "offsite" or ":s3"
    parts: tuple[str, ...] = ()  # the path on that remote, split at "/"


def local_path_of_remote(remote: str, platform: str = sys.platform) -> str | None:
    """The local folder an rclone remote string names, or None for a real remote.

    rclone reads a path without a colon before its first separator as local, and (on Windows) a
    drive path; ``:local:path`` is local too. (The rclone kind asks this function too.)
    """
    if platform == "win32" and _WINDOWS_DRIVE.match(remote):
        return remote
    if remote.startswith(":local:"):
        return remote[len(":local:") :] or "."
    colon = remote.find(":")
    if colon == -1:
        return remote
    separators = [i for i in (remote.find("/"), remote.find("\\")) if i != -1]
    if separators and min(separators) < colon:
        return remote
    return None


def _remote_parts(remote: str) -> tuple[str, tuple[str, ...]]:
    """(remote name, path parts) of ``name:path``, ``name,opt=x:path`` or ``:type,opts:path``."""
    on_the_fly = remote.startswith(":")
    colon = remote.find(":", 1 if on_the_fly else 0)
    head, path = remote[:colon], remote[colon + 1 :]
    name = head.split(",", 1)[0]
    return name, tuple(p for p in path.split("/") if p not in ("", "."))


def target_of(profile: Profile, platform: str = sys.platform) -> Target:
    """The one place a profile writes into."""
    spec = profile.spec
    if isinstance(spec, MirrorProfile):
        text = spec.mirror.replica
        return Target(profile.name, "[mirror].replica", text, folder=expand(text))
    if isinstance(spec, RcloneProfile):
        text = spec.rclone.remote
        local = local_path_of_remote(text, platform)
        if local is not None:
            return Target(profile.name, "[rclone].remote", text, folder=expand(local))
        name, parts = _remote_parts(text)
        return Target(profile.name, "[rclone].remote", redact(text), remote=name, parts=parts)
    text = spec.revit.target
    return Target(profile.name, "[revit].target", text, folder=expand(text))


def relation(mine: Target, other: Target) -> str | None:
    """How ``mine`` lies against ``other``: "the same folder as", "inside", "around", or None."""
    if mine.folder is not None and other.folder is not None:
        inside, around = is_within(mine.folder, other.folder), is_within(other.folder, mine.folder)
    elif mine.remote is not None and mine.remote == other.remote:
        shorter = min(len(mine.parts), len(other.parts))
        if mine.parts[:shorter] != other.parts[:shorter]:
            return None
        inside, around = len(mine.parts) >= len(other.parts), len(other.parts) >= len(mine.parts)
    else:
        return None
    if inside and around:
        return "is the same folder as"
    if inside:
        return "is inside"
    if around:
        return "contains"
    return None


def clashes(profile: Profile, others: Iterable[Profile]) -> list[str]:
    """One line per other profile whose target overlaps this profile's target."""
    mine = target_of(profile)
    found = []
    for other in others:
        theirs = target_of(other)
        how = relation(mine, theirs)
        if how is not None:
            found.append(
                f"{mine.key} {mine.text} {how} the target of profile '{other.name}'"
                f" ({theirs.key} = {theirs.text}); two profiles must never write into the same folder"
            )
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def saved_others(profile: Profile, folders: Folders) -> list[Profile]:
    """The usable profiles in the profiles folder other than ``profile`` itself."""
    others = []
    for entry in list_profiles(folders):
        if entry.profile is None:
            continue  # an invalid profile cannot run; `rearguard list` shows its problem
        if profile.path is not None and _same_file(entry.path, profile.path):
            continue
        others.append(entry.profile)
    return others


def target_problems(profile: Profile, folders: Folders) -> list[str]:
    """Why this profile's target clashes with a saved profile's (empty when it is apart)."""
    return clashes(profile, saved_others(profile, folders))


def check_targets_apart(profile: Profile, folders: Folders) -> None:
    """For ``rearguard check``: a clash is a problem of the profile (ProfileError, exit 2)."""
    problems = target_problems(profile, folders)
    if problems:
        raise ProfileError(str(profile.path) if profile.path else profile.name, problems)


def refuse_overlapping_targets(profile: Profile, folders: Folders) -> None:
    """For a run: a clash refuses it before anything is written (SafetyRefusal, exit 3)."""
    problems = target_problems(profile, folders)
    if problems:
        raise SafetyRefusal(problems[0] if len(problems) == 1 else "; ".join(problems))
