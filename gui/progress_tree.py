"""The data behind the progress and preview tree: folders → items, with per-folder totals.

Pure Python (no Qt), so a preview's tree of 100,000 actions can be built in the worker thread and
handed to the GUI whole. Every change updates the counts of the node's ancestors (a few steps), so a
folder knows how many of its items are done or failed without visiting its children.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.core.plan import Action, ActionKind, Plan

# An item's state, in the order a folder shows them. A folder's mark is its most urgent state.
PLANNED, RUNNING, DONE, SKIPPED, FAILED, REFUSED = range(6)
STATE_WORDS = ("planned", "running", "done", "skipped", "failed", "refused")
STATE_BY_WORD = {word: number for number, word in enumerate(STATE_WORDS)}
URGENCY = (FAILED, REFUSED, RUNNING, PLANNED, SKIPPED, DONE)
_SPLIT = re.compile(r"[\\/]+")


class Node:
    """One folder or item. ``counts``/``total``/``done`` cover the node and everything below it."""

    __slots__ = (
        "action",
        "by_name",
        "bytes_done",
        "bytes_total",
        "children",
        "counts",
        "detail",
        "dirs_settled",
        "done",
        "fetched",
        "is_dir",
        "message",
        "name",
        "open",
        "parent",
        "row",
        "state",
        "total",
    )

    def __init__(self, name: str, parent: Node | None, row: int) -> None:
        self.name = name
        self.parent = parent
        self.row = row
        # An item gets its containers only when something appears below it: 100,000 leaves then
        # cost 100,000 objects for the garbage collector to look at, not 400,000.
        self.children: list[Node] | tuple[()] = ()
        self.by_name: dict[str, Node] | None = None
        self.counts: list[int] | None = None
        self.dirs_settled = 0  # folder items done or skipped at and below this node (not files)
        self.is_dir = False
        self.state: int | None = None  # None: a folder that is not an item itself
        self.action = ""
        self.bytes_total = 0
        self.bytes_done = 0
        self.message = ""
        self.detail = ""
        self.total = 0  # bytes planned below (and at) this node
        self.done = 0  # bytes done below (and at) this node
        self.fetched = 0  # children the view has been told about (see ProgressModel)
        self.open = False  # the view asked for this node's children

    @property
    def path(self) -> str:
        parts = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/".join(reversed(parts))

    def mark(self) -> int | None:
        """The state a person should see first: the node's own, or its most urgent below.

        A folder with work still to come and some already finished is running (never the ✓ of a
        finished folder), even between two of its files.
        """
        counts = self.counts
        if counts is None:
            return self.state
        if counts[FAILED] or counts[REFUSED]:
            return FAILED if counts[FAILED] else REFUSED
        files_settled = counts[DONE] + counts[SKIPPED] - self.dirs_settled  # a made folder is no file
        if counts[RUNNING] or (counts[PLANNED] and files_settled > 0):
            return RUNNING
        for state in URGENCY:
            if counts[state]:
                return state
        return self.state

    def make_folder(self) -> tuple[list[Node], dict[str, Node]]:
        """Give this node room for children (its counts start with its own state)."""
        if self.by_name is None or not isinstance(self.children, list):
            self.children, self.by_name = [], {}
            self.counts = [0] * len(STATE_WORDS)
            if self.state is not None:
                self.counts[self.state] = 1
        self.is_dir = True
        return self.children, self.by_name


def describe_detail(detail: Iterable[tuple[str, Any]]) -> str:
    """An action's extra facts (a Revit model's last edit, why it is in or out of the window…)."""
    parts = []
    for key, value in detail:
        if key == "status":
            continue
        label = key.replace("_", " ")
        parts.append(f"→ {value}" if key == "link" else f"{label}: {value}")
    return "; ".join(parts)


class ProgressTree:
    """Folders and items of one run or preview, updated from engine events."""

    def __init__(self, flat: bool = False) -> None:
        self.flat = flat  # every path one row (Revit models: their table paths, ".." included)
        self.root = Node("", None, 0)
        self.root.make_folder()
        self.root.open = True
        self.touched: set[Node] = set()  # nodes whose shown values changed since the last take
        self.grown: set[Node] = set()  # nodes that got new children since the last take
        self.items = 0
        self.by_path: dict[str, Node] = {}

    # -- building ---------------------------------------------------------------------------------

    def node(self, path: str) -> Node:
        """The node for ``path``, creating it and its folders as needed."""
        known = self.by_path.get(path)
        if known is not None:
            return known
        node = self.root
        if self.flat:  # one row per path
            parts = [path]
        elif "\\" in path:
            parts = _SPLIT.split(path)
        else:
            parts = path.split("/")
        for part in parts:
            if not part:
                continue
            children, by_name = node.make_folder() if node.by_name is None else (node.children, node.by_name)
            child = by_name.get(part)
            if child is None:
                child = Node(part, node, len(children))
                children.append(child)  # type: ignore[union-attr]
                by_name[part] = child
                self.grown.add(node)
            node = child
        self.by_path[path] = node
        return node

    def _set(self, node: Node, state: int, total: int | None = None, done: int | None = None) -> None:
        """Move ``node``'s own state (and bytes) and carry the difference up to the root."""
        old = node.state
        d_total = 0 if total is None else total - node.bytes_total
        d_done = 0 if done is None else done - node.bytes_done
        if old is None:
            self.items += 1
        node.state = state
        node.bytes_total += d_total
        node.bytes_done += d_done
        self.touched.add(node)  # its folders are found from it when the changes are taken
        settled = 0
        if node.is_dir:  # a folder item that is made (or left) is not progress through its files
            settled = (state in (DONE, SKIPPED)) - (old in (DONE, SKIPPED))
        walker: Node | None = node
        while walker is not None:
            counts = walker.counts
            if counts is not None:
                if old is not None:
                    counts[old] -= 1
                counts[state] += 1
            walker.total += d_total
            walker.done += d_done
            walker.dirs_settled += settled
            walker = walker.parent

    def add_action(self, action: Action, state: int = PLANNED, message: str = "") -> Node:
        node = self.node(action.path)
        node.action = action.kind.value
        node.is_dir = node.is_dir or action.is_dir
        node.detail = describe_detail(action.detail)
        node.message = message
        if action.kind is ActionKind.DELETE:  # freed, not transferred: kept out of folder totals
            self._set(node, state)
            node.bytes_total = action.bytes
        else:
            self._set(node, state, total=0 if action.is_dir else action.bytes)
        return node

    def add_plan(self, plan: Plan) -> None:
        for action in plan.actions:
            self.add_action(action)
        for note in plan.notes:
            extra = dict(note.detail)
            state = STATE_BY_WORD.get(str(extra.get("status", "skipped")), SKIPPED)
            self.add_action(note, state, str(extra.get("reason", "")))

    # -- live updates -----------------------------------------------------------------------------

    def started(self, path: str, action: str, size: int) -> None:
        node = self.node(path)
        node.action = action
        self._set(node, RUNNING, total=size, done=0)

    def progressed(self, path: str, done: int, total: int) -> None:
        node = self.node(path)
        if node.state in (DONE, FAILED, SKIPPED, REFUSED):
            return  # a late progress event after the item finished
        self._set(node, RUNNING, total=max(total, node.bytes_total), done=done)

    def finished(self, path: str, action: str, status: str, size: int, message: str) -> None:
        node = self.node(path)
        node.action = action
        node.message = message
        state = STATE_BY_WORD.get(status, FAILED)
        if action == ActionKind.DELETE.value:
            self._set(node, state)
        elif state == DONE:
            total = max(size, node.bytes_total)
            self._set(node, state, total=total, done=total)
        else:
            self._set(node, state, done=0)

    def take_changes(self) -> tuple[set[Node], set[Node]]:
        """The nodes changed (with their folders) and grown since the last call."""
        touched, grown = self.touched, self.grown
        self.touched, self.grown = set(), set()
        changed: set[Node] = set()
        for node in touched:
            walker: Node | None = node
            while walker is not None and walker not in changed:
                changed.add(walker)
                walker = walker.parent
        return changed, grown


def preview_tree(plan: Plan, flat: bool = False) -> ProgressTree:
    """A tree of a dry run's planned actions and of the entries it left alone."""
    tree = ProgressTree(flat)
    tree.add_plan(plan)
    tree.take_changes()
    return tree


@dataclass(frozen=True)
class TreeReady:
    """A run's plan as a tree, built in the run's thread; the window shows it before any item.

    ``files``: the paths of the actions that are files (what "412 of 960 files" counts: not the
    folders a mirror makes, not the entries left alone).
    """

    tree: ProgressTree
    files: frozenset[str]


def run_tree(plan: Plan, flat: bool = False) -> TreeReady:
    """Everything a run set out to do, planned, in name order (as a person looks for it).

    Built in the run's thread with the garbage collector held: 100,000 new nodes would otherwise set
    off full collections there, and each holds the interpreter lock the window needs. The nodes live
    as long as the run; they are frozen out of the collector's sight (as each batch's are).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = ProgressTree(flat)
        for action in sorted(plan.actions, key=lambda a: a.path):
            tree.add_action(action)
        for note in sorted(plan.notes, key=lambda a: a.path):
            extra = dict(note.detail)
            state = STATE_BY_WORD.get(str(extra.get("status", "skipped")), SKIPPED)
            tree.add_action(note, state, str(extra.get("reason", "")))
        tree.take_changes()
        files = frozenset(a.path for a in plan.actions if not a.is_dir)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    return TreeReady(tree, files)
