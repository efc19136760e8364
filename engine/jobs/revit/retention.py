"""Dated export folders: removing the old ones after a good run, and leftovers of killed runs.

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
from datetime import date, timedelta

from engine.files.atomic import is_temp_name, remove_leftovers, remove_tree
from engine.jobs.revit.model_paths import MODEL_SUFFIX, os_path

log = logging.getLogger("rearguard.revit")

_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
            elif name.lower().endswith(MODEL_SUFFIX):
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
    for day in remove:
        problem = remove_tree(os_path(folders[day]))
        if problem is None:
            removed.append(folders[day])
        else:  # only what is really gone counts; the caller warns about the rest
            failed.append((folders[day], problem))
    return Pruned(removed, [folders[day] for day in kept], failed, cleaned)
