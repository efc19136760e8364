"""What a user relies on when backing up to an rclone remote (local folder and loopback sftp)."""

from __future__ import annotations

from pathlib import Path

from engine.core.events import Event, ItemFinished, ItemStarted, TransferStats
from engine.core.report import RunReport
from engine.core.runner import RunOutcome
from tests.engine.rclone.conftest import T0, Rig, frozen_folder, read_tree, write_files

FILES: dict[str, str | bytes] = {
    "a.txt": "alpha",
    "docs/b.txt": "beta",
    "docs/deep/c.dwg": b"\x00" * 3000,
    "Zürich Süd/ü.txt": "umlaut",
    "with space.txt": "s",
}


def _report(outcome: RunOutcome) -> RunReport:
    assert outcome.report is not None, outcome
    return outcome.report


def _done(report: RunReport, action: str = "upload") -> set[str]:
    return {i.path for i in report.items if i.action == action and i.status == "done"}


def test_first_run_uploads_everything_and_indexes_it(rig: Rig) -> None:
    write_files(rig.source, FILES)
    outcome = rig.run()
    report = _report(outcome)
    assert outcome.exit_code == 0, report.as_json()
    assert _done(report) == set(FILES)
    assert rig.target.files() == {k: v.encode() if isinstance(v, str) else v for k, v in FILES.items()}
    assert rig.index() == {p: ((rig.source / p).stat().st_size, T0 * 10**9) for p in FILES}
    assert rig.retries() == {}


def test_one_change_uploads_exactly_that_file_and_keeps_the_old_one(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    write_files(rig.source, {"docs/b.txt": "beta, edited"}, mtime=T0 + 60)
    events: list[Event] = []
    report = _report(rig.run(events=events))
    assert report.exit_code == 0
    assert [(i.path, i.status) for i in report.items] == [("docs/b.txt", "done")]
    assert rig.target.files()["docs/b.txt"] == b"beta, edited"
    assert rig.target.versions() == {"docs/b.txt": b"beta"}
    assert rig.index()["docs/b.txt"] == (len("beta, edited"), (T0 + 60) * 10**9)
    started = [e.path for e in events if isinstance(e, ItemStarted)]
    finished = [(e.path, e.status) for e in events if isinstance(e, ItemFinished)]
    assert started == ["docs/b.txt"] and finished == [("docs/b.txt", "done")]


def test_nothing_changed_means_no_upload(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    outcome = rig.run(dry_run=True)
    assert outcome.exit_code == 0 and outcome.plan is not None and outcome.plan.actions == ()
    assert _report(rig.run()).items == []


def test_forced_failure_goes_to_retry_queue_and_succeeds_next_run(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    write_files(rig.source, {"a.txt": "alpha 2", "docs/deep/c.dwg": b"\x01" * 3001}, mtime=T0 + 60)
    with frozen_folder(rig.target.root / "docs" / "deep"):
        for attempt in (1, 2):
            report = _report(rig.run())
            assert report.exit_code == 1
            failed = [i for i in report.items if i.status == "failed"]
            assert [i.path for i in failed] == ["docs/deep/c.dwg"] and failed[0].message
            retry = rig.retries()
            assert list(retry) == ["docs/deep/c.dwg"]
            assert retry["docs/deep/c.dwg"].attempts == attempt and retry["docs/deep/c.dwg"].error
            assert rig.index()["docs/deep/c.dwg"] == (3000, T0 * 10**9)  # the version uploaded before
        assert f"(attempt {attempt})" in failed[0].message
    assert rig.target.files()["a.txt"] == b"alpha 2"
    assert rig.target.files()["docs/deep/c.dwg"] == b"\x00" * 3000
    report = _report(rig.run())
    assert report.exit_code == 0 and _done(report) == {"docs/deep/c.dwg"}
    assert rig.target.files()["docs/deep/c.dwg"] == b"\x01" * 3001
    assert rig.retries() == {} and rig.index()["docs/deep/c.dwg"] == (3001, (T0 + 60) * 10**9)


def test_deleted_file_is_moved_to_versions_on_the_remote(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    (rig.source / "docs" / "deep" / "c.dwg").unlink()
    report = _report(rig.run())
    assert report.exit_code == 0
    assert _done(report, "delete") == {"docs/deep/c.dwg"}
    assert "docs/deep/c.dwg" not in rig.target.files()
    assert rig.target.versions() == {"docs/deep/c.dwg": FILES["docs/deep/c.dwg"]}
    assert "docs/deep/c.dwg" not in rig.index()


def test_deletions_above_the_limit_are_refused_and_nothing_changes(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    before = rig.target.files()
    for rel in ("a.txt", "docs/b.txt", "with space.txt"):
        (rig.source / rel).unlink()
    write_files(rig.source, {"new.txt": "new"})
    outcome = rig.run()
    assert outcome.exit_code == 3
    assert "max_delete_percent" in (_report(outcome).reason or "")
    assert rig.target.files() == before and "new.txt" not in rig.index()
    assert rig.run(max_delete_percent=80).exit_code == 0
    assert set(rig.target.files()) == {"docs/deep/c.dwg", "Zürich Süd/ü.txt", "new.txt"}


def test_deletions_wait_while_an_upload_fails(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    (rig.source / "with space.txt").unlink()
    write_files(rig.source, {"docs/deep/c.dwg": "changed"}, mtime=T0 + 60)
    with frozen_folder(rig.target.root / "docs" / "deep"):
        report = _report(rig.run())
    assert report.exit_code == 1
    deletes = [(i.path, i.status) for i in report.items if i.action == "delete"]
    assert deletes == [("with space.txt", "skipped")]
    assert "with space.txt" in rig.target.files() and "with space.txt" in rig.index()
    assert _report(rig.run()).exit_code == 0
    assert "with space.txt" not in rig.target.files()


def test_dry_run_lists_uploads_and_deletes_and_changes_nothing(rig: Rig) -> None:
    write_files(rig.source, FILES)
    rig.run()
    write_files(rig.source, {"new.txt": "n"})
    (rig.source / "a.txt").unlink()
    before, index_before = rig.target.files(), rig.index()
    outcome = rig.run(dry_run=True)
    assert outcome.exit_code == 0 and outcome.plan is not None
    shown = outcome.as_json("t", "rclone")
    assert [(a["action"], a["path"]) for a in shown["actions"]] == [
        ("upload", "new.txt"),
        ("delete", "a.txt"),
    ]
    assert shown["actions"][0]["reason"] == "new" and shown["indexed"] == len(FILES)
    assert rig.target.files() == before and rig.index() == index_before


def test_transfer_stats_and_item_events_reach_the_reporter(rig: Rig) -> None:
    write_files(rig.source, {"big.bin": bytes(range(256)) * 8192, "small.txt": "s"})
    events: list[Event] = []
    assert rig.run(events=events).exit_code == 0
    stats = [e for e in events if isinstance(e, TransferStats)]
    assert stats and stats[-1].bytes_done == 256 * 8192 + 1 == stats[-1].bytes_total
    assert {e.path for e in events if isinstance(e, ItemStarted)} == {"big.bin", "small.txt"}


def test_dotfiles_need_include_hidden_and_excluded_files_never_go(rig: Rig) -> None:
    write_files(
        rig.source,
        {
            "keep.txt": "k",
            ".hidden": "h",
            ".git/config": "c",
            "x.tmp": "t",
            "build/out.o": "o",
            "sub/keep2.txt": "k2",
        },
    )
    assert rig.run(exclude=["*.tmp", "build/"]).exit_code == 0
    assert set(rig.target.files()) == {"keep.txt", "sub/keep2.txt"}
    report = _report(rig.run(include_hidden=True, exclude=["*.tmp", "build/"]))
    assert _done(report) == {".hidden", ".git/config"}
    assert set(rig.target.files()) == {"keep.txt", "sub/keep2.txt", ".hidden", ".git/config"}


def test_a_new_remote_gets_every_file_not_only_changed_ones(local_rig: Rig, tmp_path: Path) -> None:
    write_files(local_rig.source, FILES)
    assert local_rig.run().exit_code == 0
    other = tmp_path / "other-remote"
    report = _report(local_rig.run(remote=str(other)))
    assert report.exit_code == 0
    assert _done(report) == set(FILES)
    assert read_tree(other) == {k: v.encode() if isinstance(v, str) else v for k, v in FILES.items()}
    assert any("changed since the last run" in w for w in report.warnings)
    assert local_rig.run(remote=str(other), dry_run=True).plan.actions == ()  # type: ignore[union-attr]
