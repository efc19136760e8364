"""Properties of the planner: applying a plan then planning again finds nothing; no path leaves its root."""

from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.context import RunContext
from engine.core.filters import PathFilter
from engine.core.folders import Folders
from engine.core.profiles import MirrorProfile, Profile
from engine.core.state import StateDB
from engine.files.pathsafety import split_relative
from engine.jobs import mirror as mirror_job
from engine.jobs.mirror.walk import compare_trees
from tests.engine.mirror.trees import snapshot

names = st.sampled_from(["a", "b", "B", "c.txt", ".hidden", "Zürich", "sp ace", "x.tmp", "dir"])
paths = st.lists(names, min_size=1, max_size=3).map("/".join)
contents = st.sampled_from(["", "1", "22", "some text", "other text"])
trees = st.dictionaries(paths, contents, max_size=12)
mtimes = st.sampled_from([1_600_000_000, 1_600_000_001, 1_700_000_000])


def build(root: Path, files: dict[str, str], mtime: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in sorted(files.items()):
        path = root / rel
        # A path may collide with a folder made for another path: skip what cannot exist.
        if any(p.is_file() for p in path.parents if p != root and root in p.parents) or path.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        import os

        os.utime(path, (mtime, mtime))


def ctx_for(base: Path, **settings_: object) -> RunContext:
    spec = MirrorProfile.model_validate(
        {
            "kind": "mirror",
            "mirror": {
                "source": str(base / "src"),
                "replica": str(base / "dst"),
                "max_delete_percent": 100,
                **settings_,
            },
        }
    )
    folders = Folders(base / "h" / "p", base / "h" / "d", base / "h" / "l").create()
    return RunContext(
        profile=Profile("prop", spec),
        folders=folders,
        state=StateDB(folders.state_db),
        cancel=threading.Event(),
        started=datetime.now(UTC),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=trees,
    replica=trees,
    smtime=mtimes,
    rmtime=mtimes,
    exclude=st.lists(st.sampled_from(["*.tmp", "dir/", "b"]), max_size=2),
    hidden=st.booleans(),
    versions=st.booleans(),
)
def test_apply_then_plan_again_is_empty(
    source: dict[str, str],
    replica: dict[str, str],
    smtime: int,
    rmtime: int,
    exclude: list[str],
    hidden: bool,
    versions: bool,
) -> None:
    base = Path(tempfile.mkdtemp())
    try:
        build(base / "src", source, smtime)
        build(base / "dst", replica, rmtime)
        ctx = ctx_for(base, exclude=exclude, include_hidden=hidden, versions=versions)
        plan = mirror_job.plan(ctx)
        for action in (*plan.actions, *plan.notes):
            assert ".." not in split_relative(action.path)
        if not (base / "src").exists() or plan.extra["source_entries"] == 0:
            return
        if any(dict(n.detail).get("status") == "failed" for n in plan.notes):
            return  # a planned conflict (excluded replica entry in the way) rightly blocks deletes
        results = mirror_job.execute(ctx, plan)
        assert all(r.status == "done" for r in results), results
        again = mirror_job.plan(ctx)
        assert again.actions == ()
        if not exclude and hidden:
            assert snapshot(base / "dst") == snapshot(base / "src")
        ctx.state.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@settings(max_examples=40, deadline=None)
@given(source=trees, replica=trees)
def test_every_action_path_is_relative_and_inside(source: dict[str, str], replica: dict[str, str]) -> None:
    base = Path(tempfile.mkdtemp())
    try:
        build(base / "src", source, 1_600_000_000)
        build(base / "dst", replica, 1_600_000_000)
        walk = compare_trees(str(base / "src"), str(base / "dst"), PathFilter())
        for action in walk.copies + walk.deletes:
            parts = split_relative(action.path)
            assert (base / "dst").joinpath(*parts).resolve().is_relative_to((base / "dst").resolve())
    finally:
        shutil.rmtree(base, ignore_errors=True)
