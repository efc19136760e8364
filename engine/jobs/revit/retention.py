"""Dated export folders: removing the old ones after a good run, and leftovers of killed runs.

Also the versions folder (``<target>/.rearguard/versions/<run stamp>/``, earlier exports of the
same day set aside by a later one): its folders older than ``keep_days`` are removed too.

A run with a 24-hour window exports only recently edited models, so an old dated folder can hold
the only copy of a model nobody has touched since. The rule therefore is: a dated folder older
than ``keep_days`` is removed only when every model in it has a newer copy in a later dated
folder, and the newest dated folder is never removed. Only folders named ``YYYY-MM-DD`` directly
under the target are ever considered; anything else there is left alone.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.files.atomic import is_temp_name, remove_leftovers, remove_tree
from engine.files.versions import VERSIONS_FOLDER, parse_versions_stamp
from engine.jobs.revit.model_paths import MODEL_SUFFIX, os_path

log = logging.getLogger("rearguard.revit")

_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BELOW_HALF = ".below-half-"
_BELOW_HALF = re.compile(r"\.below-half-\d{6}Z(?:-\d+)?\.rvt$", re.IGNORECASE)


def beside_name(final: str, started: datetime) -> str:
    """Where an export below half the previous one is kept: ``<model>.below-half-<HHMMSS>Z.rvt``.

    Retention does not count such a file as a copy of its model, so the previous (bigger) export
    stays the model's newest copy and is not pruned because of it.
    """
    stem, suffix = os.path.splitext(final)
    base = f"{stem}{BELOW_HALF}{started.astimezone(UTC):%H%M%S}Z"
    name, number = f"{base}{suffix}", 1
    while os.path.lexists(os_path(name)):
        number += 1
        name = f"{base}-{number}{suffix}"
    return name


def version_path(target: str, stamp: str, final: str) -> str:
    """Where an earlier export moves when a new one replaces it: the target's versions folder."""
    relative = os.path.relpath(final, target)
    return os.path.join(target, *VERSIONS_FOLDER.split("/"), stamp, relative)


@dataclass(frozen=True, slots=True)
class Pruned:
    removed: list[str]  # really gone
    kept_for_newest_copy: list[str]
    failed: list[tuple[str, str]]  # (folder, why it, or part of it, is still there)
    leftovers: int


def dated_folders(target: str) -> dict[date, str]:
    """The ``YYYY-MM-DD`` folders directly under ``target`` (real folders, not links)."""
    found: dict[date, str] = {}
    try:
        with os.scandir(os_path(target)) as entries:
            for entry in entries:
                if not _DATED.match(entry.name) or not entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    found[date.fromisoformat(entry.name)] = os.path.join(target, entry.name)
                except ValueError:
                    continue
    except OSError:
        return {}
    return found


def model_copies(folder: str) -> tuple[set[str], list[str]]:
    """(the models in a dated folder as case-folded relative paths, temporary leftovers in it)."""
    models: set[str] = set()
    leftovers: list[str] = []
    for here, dirs, files in os.walk(os_path(folder)):
        for name in [d for d in dirs if is_temp_name(d)]:
            leftovers.append(os.path.join(here, name))
            dirs.remove(name)
        for name in files:
            if is_temp_name(name):
                leftovers.append(os.path.join(here, name))
            elif name.lower().endswith(MODEL_SUFFIX) and not _BELOW_HALF.search(name):
                relative = os.path.relpath(os.path.join(here, name), os_path(folder))
                models.add(relative.replace(os.sep, "/").casefold())
    return models, leftovers


def folders_to_remove(
    contents: Mapping[date, set[str]], today: date, keep_days: int
) -> tuple[list[date], list[date]]:
    """(dated folders to remove, old folders kept because they hold a model's newest copy).

    Pure: ``contents`` maps each dated folder to the models it holds.
    """
    if not contents:
        return [], []
    newest_day = max(contents)
    cutoff = today - timedelta(days=keep_days)
    newest_copy: dict[str, date] = {}
    for day in sorted(contents):
        for model in contents[day]:
            newest_copy[model] = day
    holders = set(newest_copy.values())
    remove: list[date] = []
    kept: list[date] = []
    for day in sorted(contents):
        if day >= cutoff or day == newest_day:
            continue
        (kept if day in holders else remove).append(day)
    return remove, kept


def clean_leftovers(folder: str) -> int:
    """Remove temporary leftovers inside one dated folder (before exporting into it)."""
    if not os.path.isdir(os_path(folder)):
        return 0
    return remove_leftovers(model_copies(folder)[1], folders=True)


def prune_dated_folders(target: str, today: date, keep_days: int) -> Pruned:
    """Apply the retention rule to ``target`` and remove leftovers from every dated folder."""
    folders = dated_folders(target)
    contents: dict[date, set[str]] = {}
    leftovers: list[str] = []
    for day, folder in folders.items():
        contents[day], found = model_copies(folder)
        leftovers += found
    cleaned = remove_leftovers(leftovers, folders=True)
    remove, kept = folders_to_remove(contents, today, keep_days)
    removed: list[str] = []
    failed: list[tuple[str, str]] = []
    old = [folders[day] for day in remove] + old_versions(target, today, keep_days)
    for folder in old:
        problem = remove_tree(os_path(folder))
        if problem is None:
            removed.append(folder)
        else:  # only what is really gone counts; the caller warns about the rest
            failed.append((folder, problem))
    return Pruned(removed, [folders[day] for day in kept], failed, cleaned)


def old_versions(target: str, today: date, keep_days: int) -> list[str]:
    """The versions folders (earlier exports of the same day, set aside) older than ``keep_days``."""
    root = os.path.join(target, *VERSIONS_FOLDER.split("/"))
    cutoff = today - timedelta(days=keep_days)
    found = []
    try:
        with os.scandir(os_path(root)) as entries:
            for entry in entries:
                stamp = parse_versions_stamp(entry.name)
                if stamp is not None and entry.is_dir(follow_symlinks=False) and stamp.date() < cutoff:
                    found.append(os.path.join(root, entry.name))
    except OSError:
        return []
    return sorted(found)
