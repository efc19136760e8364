"""ActionList: a long plan held compactly reads back exactly the Actions put in, and takes less room."""

from __future__ import annotations

import pickle
import tracemalloc

import pytest

from engine.core.plan import Action, ActionKind, ActionList, InOrder, Plan
from engine.core.readback import Sample, WrittenPaths

MIXED = (
    Action(ActionKind.COPY, "a", is_dir=True),
    Action(ActionKind.COPY, "a/one.txt", 12, mtime_ns=1_700_000_000_123_456_789),
    Action(ActionKind.REPLACE, "a/two.txt", 0, mtime_ns=-5),  # before 1970, and empty
    Action(ActionKind.COPY, "a/link", 0, detail=(("link", "one.txt"),)),
    Action(ActionKind.REPLACE, "b", is_dir=True),
    Action(ActionKind.COPY, "b/big.bin", 5 * 2**40, mtime_ns=2**62),
    Action(ActionKind.DELETE, "c.txt", 7),
    Action(ActionKind.DELETE, "d", 99, is_dir=True, detail=(("files", 3),)),
)


def test_it_reads_back_what_was_put_in() -> None:
    actions = ActionList(MIXED)
    assert len(actions) == len(MIXED)
    assert list(actions) == list(MIXED) and actions == MIXED
    assert [actions[i] for i in range(len(MIXED))] == list(MIXED)
    assert actions[-1] == MIXED[-1]
    with pytest.raises(IndexError):
        actions[len(MIXED)]
    assert actions.held() == [a for a in MIXED if a.is_dir or a.detail or a.mtime_ns is None]
    assert list(actions.paths) == [a.path for a in MIXED]


def test_slices_windows_and_selections_keep_order_and_kind() -> None:
    actions = ActionList(MIXED)
    for start in range(len(MIXED) + 1):
        for stop in range(start, len(MIXED) + 1):
            assert actions[start:stop] == MIXED[start:stop]
            window = actions.window(start, stop)
            assert len(window) == stop - start and list(window) == list(MIXED[start:stop])
    assert actions[::2] == MIXED[::2]
    kept = actions.without(lambda a: a.is_dir or a.kind is ActionKind.DELETE)
    assert kept == [a for a in MIXED if not a.is_dir and a.kind is not ActionKind.DELETE]
    joined = ActionList(MIXED[:3])
    joined += ActionList(MIXED[3:])
    assert joined == MIXED


def test_totals_agree_with_a_plain_plan() -> None:
    compact, plain = Plan(ActionList(MIXED)), Plan(MIXED)
    assert compact.total_bytes == plain.total_bytes == 12 + 5 * 2**40
    for kind in ActionKind:
        assert compact.count(kind) == plain.count(kind)
    assert compact.as_json("p", "mirror") == plain.as_json("p", "mirror")


def test_it_crosses_a_process_boundary_whole() -> None:
    actions = ActionList(MIXED)  # a forked walker sends its share of the plan back pickled
    assert pickle.loads(pickle.dumps(actions)) == MIXED


def test_a_file_action_takes_under_half_the_room() -> None:
    n = 20_000
    paths = [f"folder{i // 50:04}/file{i:06}.dat" for i in range(n)]

    def traced(build: object) -> int:
        tracemalloc.start()
        try:
            kept = build()  # type: ignore[operator]
            size = tracemalloc.get_traced_memory()[0]
            del kept
            return size
        finally:
            tracemalloc.stop()

    def objects() -> list[Action]:
        return [
            Action(ActionKind.COPY, p, 4096 + i, mtime_ns=1_700_000_000_000_000_000 + i)
            for i, p in enumerate(paths)
        ]

    def compact() -> ActionList:
        out = ActionList()
        for i, p in enumerate(paths):
            out.add_file(ActionKind.COPY, p, 4096 + i, 1_700_000_000_000_000_000 + i)
        return out

    assert traced(compact) < traced(objects) / 2  # the paths are shared: this is the rest of it


def test_in_order_lookups_need_no_map_and_out_of_order_still_work() -> None:
    files = [a for a in MIXED if not a.is_dir]
    finder = InOrder(files)
    assert finder.find("a/one.txt") == files[0]
    assert finder.find("b/big.bin") == files[3]  # passes two on the way ...
    assert finder._passed.keys() == {"a/two.txt", "a/link"}
    assert finder.find("a/two.txt") == files[1]  # ... which are still found
    assert finder.find("nowhere") is None
    plan_order = InOrder(ActionList(MIXED))  # a whole plan: its folders and deletions are not files
    assert plan_order.find("a") is None and plan_order.find("c.txt") is None
    assert plan_order.find("a/link") == MIXED[3]


def test_written_paths_keep_their_order_and_answer_membership() -> None:
    written = WrittenPaths(["b", "a", "c"])
    assert list(written) == ["b", "a", "c"] and len(written) == 3
    assert "a" in written and "z" not in written
    sample = Sample(written=written)
    assert sample.wants("c") and not sample.wants("z")


def test_a_time_beyond_64_bits_is_kept_whole_in_its_place() -> None:
    actions = ActionList()
    actions.add_file(ActionKind.COPY, "a", 1, 5)
    actions.add_file(ActionKind.COPY, "far", 2, 2**70)  # a broken clock or file system
    actions.add_file(ActionKind.REPLACE, "b", 3, -(2**70))
    actions.add_file(ActionKind.COPY, "c", 4, 6)
    assert [(a.path, a.bytes, a.mtime_ns) for a in actions] == [
        ("a", 1, 5),
        ("far", 2, 2**70),
        ("b", 3, -(2**70)),
        ("c", 4, 6),
    ]
    assert actions.total_bytes() == 10 and actions[1:3] == list(actions)[1:3]
