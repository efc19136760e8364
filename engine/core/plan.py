"""A Plan: the immutable list of actions a run intends, which a dry run prints and tests assert on."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, overload


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


_KINDS = tuple(ActionKind)
_CODES = {kind: code for code, kind in enumerate(_KINDS)}
_HELD = 255  # kind code of an action kept whole (a folder, a link, a deletion, one with details)


class ActionList(Sequence[Action]):
    """A long list of actions held compactly, each Action made when it is read.

    A plain file's action is its path in a list and its size, mtime and kind in arrays: about 130
    bytes with its path, where an Action with its path and two ints took about 250 (tracemalloc,
    100,000 files to copy: 13 MiB instead of 24.5 MiB). Folders, links, deletions and actions with
    details are kept whole, as is a file whose time does not fit in 64 bits.
    """

    __slots__ = ("_held", "_kinds", "_mtimes", "_paths", "_sizes")

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self._paths: list[str] = []
        self._sizes = array("q")
        self._mtimes = array("q")
        self._kinds = bytearray()
        self._held: dict[int, Action] = {}
        self.extend(actions)

    def add_file(self, kind: ActionKind, path: str, size: int, mtime_ns: int) -> None:
        """Append what ``Action(kind, path, size, mtime_ns=mtime_ns)`` would be, without making it."""
        try:
            self._mtimes.append(mtime_ns)
        except OverflowError:  # a time past 2262 or before 1678, from a broken clock or file system
            self._hold(Action(kind, path, size, mtime_ns=mtime_ns))
            return
        self._paths.append(path)
        self._sizes.append(size)
        self._kinds.append(_CODES[kind])

    def append(self, action: Action) -> None:
        if action.mtime_ns is not None and not action.is_dir and not action.detail:
            self.add_file(action.kind, action.path, action.bytes, action.mtime_ns)
            return
        self._hold(action)

    def _hold(self, action: Action) -> None:
        """Keep ``action`` whole at the next place."""
        self._held[len(self._paths)] = action
        self._paths.append(action.path)
        self._sizes.append(action.bytes)
        self._mtimes.append(0)
        self._kinds.append(_HELD)

    def extend(self, actions: Iterable[Action]) -> None:
        if isinstance(actions, ActionList):
            base = len(self._paths)
            self._held.update((base + index, action) for index, action in actions._held.items())
            self._paths += actions._paths
            self._sizes += actions._sizes
            self._mtimes += actions._mtimes
            self._kinds += actions._kinds
            return
        for action in actions:
            self.append(action)

    def __iadd__(self, actions: Iterable[Action]) -> ActionList:
        self.extend(actions)
        return self

    def __add__(self, other: Iterable[Action]) -> list[Action]:
        return [*self, *other]

    def __len__(self) -> int:
        return len(self._paths)

    def _make(self, index: int) -> Action:
        code = self._kinds[index]
        if code == _HELD:
            return self._held[index]
        return Action(_KINDS[code], self._paths[index], self._sizes[index], mtime_ns=self._mtimes[index])

    @overload
    def __getitem__(self, index: int) -> Action: ...

    @overload
    def __getitem__(self, index: slice) -> ActionList: ...

    def __getitem__(self, index: int | slice) -> Action | ActionList:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return ActionList(self._make(i) for i in range(start, stop, step))
            return self._range(start, stop)
        if index < 0:
            index += len(self._paths)
        if not 0 <= index < len(self._paths):
            raise IndexError("action index out of range")
        return self._make(index)

    def _range(self, start: int, stop: int) -> ActionList:
        part = ActionList()
        part._paths = self._paths[start:stop]
        part._sizes = self._sizes[start:stop]
        part._mtimes = self._mtimes[start:stop]
        part._kinds = self._kinds[start:stop]
        part._held = {i - start: a for i, a in self._held.items() if start <= i < stop}
        return part

    def window(self, start: int, stop: int) -> Sequence[Action]:
        """Actions ``start`` to ``stop`` without copying them (a worker's share of a long list)."""
        return _Window(self, start, stop)

    def held(self) -> list[Action]:
        """The actions kept whole (folders, links, deletions, ...), in order."""
        return [self._held[index] for index in sorted(self._held)]

    def without(self, drop: Callable[[Action], bool]) -> ActionList:
        """A copy without the kept-whole actions ``drop`` is true for; the plain files all stay."""
        out = ActionList()
        start = 0
        for index in sorted(i for i, action in self._held.items() if drop(action)):
            out.extend(self._range(start, index))
            start = index + 1
        out.extend(self._range(start, len(self)))
        return out

    def __iter__(self) -> Iterator[Action]:
        held, kinds, make = self._held, _KINDS, Action
        for index, (path, size, mtime, code) in enumerate(
            zip(self._paths, self._sizes, self._mtimes, self._kinds, strict=True)
        ):
            yield held[index] if code == _HELD else make(kinds[code], path, size, mtime_ns=mtime)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (ActionList, tuple, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # a mutable list

    def __repr__(self) -> str:
        return f"ActionList({list(self)!r})"

    @property
    def paths(self) -> Sequence[str]:
        """Every action's path, in order (not a copy: do not change it)."""
        return self._paths

    @property
    def sizes(self) -> Sequence[int]:
        """Every action's bytes, in order (not a copy: do not change it)."""
        return self._sizes

    def total_bytes(self) -> int:
        """Bytes to copy or upload: every action's but the deletions'."""
        deleted = sum(a.bytes for a in self._held.values() if a.kind is ActionKind.DELETE)
        return sum(self._sizes) - deleted

    def count_kind(self, kind: ActionKind) -> int:
        held = sum(1 for a in self._held.values() if a.kind is kind)
        return self._kinds.count(_CODES[kind]) + held


def action_paths(actions: Sequence[Action]) -> Iterable[str]:
    """Every action's path, without making the actions of an ActionList."""
    return actions.paths if isinstance(actions, ActionList) else (a.path for a in actions)


class _Window(Sequence[Action]):
    """A stretch of an ActionList, read through to it."""

    __slots__ = ("_base", "_start", "_stop")

    def __init__(self, base: ActionList, start: int, stop: int) -> None:
        self._base, self._start, self._stop = base, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> Action: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Action]: ...

    def __getitem__(self, index: int | slice) -> Action | Sequence[Action]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self._base[self._start + start : self._start + stop : step]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("action index out of range")
        return self._base[self._start + index]


@dataclass(frozen=True)
class Plan:
    """What a run will do, plus entries it looked at and left alone (``notes``: skipped/refused)."""

    actions: Sequence[Action]  # a tuple, or an ActionList for a long one
    notes: tuple[Action, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        if isinstance(self.actions, ActionList):
            return self.actions.total_bytes()
        return sum(a.bytes for a in self.actions if a.kind is not ActionKind.DELETE)

    def count(self, kind: ActionKind) -> int:
        if isinstance(self.actions, ActionList):
            return self.actions.count_kind(kind)
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


class InOrder:
    """A plan's file actions (not its folders or deletions), found by path, expecting to be asked
    in the plan's order (as a mirror's copy results come): no map of 100,000 paths after a first
    copy. A path asked for out of order is still found, from a map of the actions passed on the way.
    """

    def __init__(self, actions: Sequence[Action]) -> None:
        held = actions.held() if isinstance(actions, ActionList) else actions
        self._folders = {a.path for a in held if a.is_dir}
        self._ahead = (a for a in actions if not a.is_dir and a.kind is not ActionKind.DELETE)
        self._passed: dict[str, Action] = {}

    def find(self, path: str) -> Action | None:
        """The file action for ``path``; None for a folder or a path the plan has no file for."""
        if path in self._folders:
            return None
        found = self._passed.pop(path, None)
        if found is not None:
            return found
        for action in self._ahead:
            if action.path == path:
                return action
            self._passed[action.path] = action
        return None
