"""Damage on the target, on purpose: verify finds every damaged file and repair makes it whole.

Files on a replica are damaged the ways disks and power cuts do it — a flipped bit with the time put
back, a file whose name survived a power cut without its data (zeros), a file overwritten with other
bytes of the same size (none of which a run notices: size and time still match), a truncated file
and a lost one. ``verify --full`` must list exactly the damaged files, ``--repair`` must restore
every one, keeping the damaged copy as a version. The same damage on an rclone remote (a local
folder and the loopback sftp server) is found by one ``rclone check`` and repaired by one upload.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.core.runner import verify_profile
from tests.reliability import scale
from tests.reliability.rigs import Loopback, MirrorRig, RcloneRig
from tests.reliability.world import SourceTree, rclone_temp, real_files

pytestmark = [pytest.mark.reliability, pytest.mark.skipif(sys.platform == "win32", reason="POSIX times")]


def _keep_time(damage: Callable[[Path, random.Random], None]) -> Callable[[Path, random.Random], None]:
    def done(path: Path, rng: random.Random) -> None:
        st = path.stat()
        damage(path, rng)
        if path.exists():
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    return done


@_keep_time
def _flip_bit(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


@_keep_time
def _truncate(path: Path, rng: random.Random) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data))])


@_keep_time
def _power_cut(path: Path, rng: random.Random) -> None:
    path.write_bytes(bytes(path.stat().st_size))  # the rename reached the disk, the data did not


@_keep_time
def _other_bytes(path: Path, rng: random.Random) -> None:
    path.write_bytes(rng.randbytes(path.stat().st_size))


def _lose(path: Path, rng: random.Random) -> None:
    path.unlink()


DAMAGE = {"bit_flip": _flip_bit, "truncated": _truncate, "power_cut": _power_cut, "other_bytes": _other_bytes}


def test_verify_finds_every_damaged_file_and_repair_restores_it(tmp_path: Path, folders: Folders) -> None:
    rounds = scale.pick(2, 10)
    for round_number in range(rounds):
        rng = random.Random(round_number)
        work = tmp_path / f"r{round_number}"
        rig = MirrorRig.make(folders, work, seed=round_number, files=scale.pick(80, 400))
        rig.name = f"damage{round_number}"
        assert rig.run().exit_code == 0 and rig.complete()
        files = sorted(p for p in real_files(rig.replica) if not p.startswith(".rearguard"))
        damaged: dict[str, str] = {}
        for rel in rng.sample(files, k=max(5, len(files) // 10)):
            how = rng.choice([*DAMAGE, "lost"])
            target = rig.replica / rel
            if how == "lost":
                _lose(target, rng)
                source = rig.tree.root / rel
                os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns - 10**12))
            elif target.stat().st_size == 0:
                continue
            else:
                DAMAGE[how](target, rng)
                if target.read_bytes() == (rig.tree.root / rel).read_bytes():
                    continue  # a truncation to the same length cannot happen; a flip always changes
            damaged[rel] = how
            scale.count(f"damage.{how}")
        found = verify_profile(rig.profile(), folders, full=True)
        assert found.exit_code == 1
        report = found.report
        assert report is not None
        assert {item.path for item in report.failures} == set(damaged)
        scale.count("found.mirror", len(damaged))
        repaired = verify_profile(rig.profile(), folders, full=True, repair=True)
        assert repaired.exit_code == 0, repaired.report
        assert rig.complete(), "every damaged file is whole again"
        again = verify_profile(rig.profile(), folders, full=True)
        assert again.exit_code == 0 and again.report is not None and not again.report.failures
        scale.count("repaired.mirror", len(damaged))


def _damage_remote(root: Path, rng: random.Random, tree_root: Path) -> dict[str, str]:
    """Damage about a tenth of the files under ``root`` (Rearguard's versions left alone)."""
    files = sorted(p for p in real_files(root, temp=rclone_temp) if not p.startswith(".rearguard"))
    damaged: dict[str, str] = {}
    for rel in rng.sample(files, k=max(5, len(files) // 10)):
        how = rng.choice([*DAMAGE, "lost"])
        target = root / rel
        if how == "lost":
            _lose(target, rng)
        elif target.stat().st_size == 0:
            continue
        else:
            DAMAGE[how](target, rng)
            if target.read_bytes() == (tree_root / rel).read_bytes():
                continue
        damaged[rel] = how
        scale.count(f"damage.{how}")
    return damaged


@pytest.mark.parametrize("over", ["local", "sftp"])
def test_rclone_verify_finds_every_damaged_file_and_repair_restores_it(
    tmp_path: Path, folders: Folders, monkeypatch: pytest.MonkeyPatch, rclone_env: None, over: str
) -> None:
    """The same damage on an rclone remote: one ``rclone check`` finds it, one upload repairs it.

    Over sftp the server is started afresh after the damage: ``rclone serve`` remembers what it
    listed and hashed (an OpenSSH server reads the disk every time).
    """
    server = Loopback(tmp_path / "served", monkeypatch) if over == "sftp" else None
    if server is not None:
        server.start()
    try:
        for round_number in range(scale.pick(2, 6)):
            rng = random.Random(100 + round_number)
            work = tmp_path / f"r{round_number}"
            tree = SourceTree(work / "src", rng)
            tree.populate(files=scale.pick(80, 400), big=2, big_size=512 * 1024)
            if server is not None:
                rig = RcloneRig(folders, tree, f"SF:r{round_number}", server.root / f"r{round_number}")
            else:
                rig = RcloneRig(folders, tree, str(work / "remote"), work / "remote")
            rig.name = f"rdamage{round_number}"
            assert rig.run().exit_code == 0 and rig.complete()
            damaged = _damage_remote(rig.remote_root, rng, tree.root)
            if server is not None:
                server.stop()
                server.start()
            found = verify_profile(rig.profile(), folders, full=True)
            assert found.exit_code == 1, found
            report = found.report
            assert report is not None
            assert {item.path for item in report.failures} == set(damaged)
            scale.count("found.rclone", len(damaged))
            repaired = verify_profile(rig.profile(), folders, full=True, repair=True)
            assert repaired.exit_code == 0, repaired.report
            assert rig.complete(), "every damaged file is whole again"
            kept = real_files(rig.remote_root / ".rearguard" / "versions", skip_state=False, temp=rclone_temp)
            kept_paths = {rel.split("/", 1)[1] for rel in kept}
            assert kept_paths == {rel for rel, how in damaged.items() if how != "lost"}
            if server is not None:
                server.stop()
                server.start()
            again = verify_profile(rig.profile(), folders, full=True)
            assert again.exit_code == 0 and again.report is not None and not again.report.failures
            scale.count("repaired.rclone", len(damaged))
    finally:
        if server is not None:
            server.stop()
