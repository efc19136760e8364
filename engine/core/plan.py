"""A Plan: the immutable list of actions a run intends, which a dry run prints and tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActionKind(StrEnum):
    COPY = "copy"
    REPLACE = "replace"
    DELETE = "delete"
    UPLOAD = "upload"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a run will do. ``path`` is relative to the source (``/`` separators)."""

    kind: ActionKind
    path: str
    bytes: int = 0
    is_dir: bool = False
    mtime_ns: int | None = None  # the source's mtime the plan saw (copies and uploads)
    detail: tuple[tuple[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.kind.value, "path": self.path, "bytes": self.bytes}
        if self.is_dir:
            out["dir"] = True
        out.update(dict(self.detail))
        return out


@dataclass(frozen=True)
class Plan:
    """What a run will do, plus entries it looked at and left alone (``notes``: skipped/refused)."""

    actions: tuple[Action, ...]
    notes: tuple[Action, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(a.bytes for a in self.actions if a.kind is not ActionKind.DELETE)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for a in self.actions if a.kind is kind)

    def as_json(self, profile: str, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "profile": profile,
            "kind": kind,
            "actions": [a.as_json() for a in self.actions],
        }
        if self.notes:
            out["not_planned"] = [a.as_json() for a in self.notes]
        out.update(self.extra)
        return out
