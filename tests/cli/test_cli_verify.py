"""``rearguard verify`` as a user runs it: damage is found, repaired, and the exit code says so."""

from __future__ import annotations

import os
from pathlib import Path

from engine.core.readback import slice_of
from tests.cli.conftest import CLI, write_profile


def _setup(home: Path, tmp_path: Path) -> tuple[Path, Path]:
    source, replica = tmp_path / "src", tmp_path / "rep"
    for folder in ("a", "b", "c/d"):
        (source / folder).mkdir(parents=True)
        for n in range(5):
            (source / folder / f"f{n}.bin").write_bytes(os.urandom(2000 + n))
    replica.mkdir()
    write_profile(home, "docs", f'kind = "mirror"\n[mirror]\nsource = "{source}"\nreplica = "{replica}"\n')
    return source, replica


def _flip(path: Path) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[7] ^= 0x40
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_finds_rot_truncation_and_loss_then_repairs(cli: CLI, home: Path, tmp_path: Path) -> None:
    source, replica = _setup(home, tmp_path)
    first = cli("run", "docs", "--json")
    assert first.code == 0, first.err
    assert first.json()["readback"].startswith("read back 15 file(s): no difference(s)")
    assert cli("verify", "docs", "--full").code == 0

    _flip(replica / "a" / "f1.bin")  # bit rot: same size, same time
    truncated = replica / "b" / "f2.bin"  # a power cut: the name is there, the data is not
    st = truncated.stat()
    truncated.write_bytes(bytes(st.st_size))
    os.utime(truncated, ns=(st.st_atime_ns, st.st_mtime_ns))
    (replica / "c" / "d" / "f3.bin").unlink()  # lost on the target
    os.utime(source / "c" / "d" / "f3.bin", (1e9, 1e9))  # not changed since the backup

    # A normal run trusts size and time: it sees nothing to copy, so only verify can find these.
    found = cli("verify", "docs", "--full", "--json")
    assert found.code == 1, found.err
    report = found.json()
    assert report["run"] == "verify" and report["status"] == "failed"
    failed = {i["path"]: i["message"] for i in report["items"] if i["status"] == "failed"}
    assert set(failed) == {"a/f1.bin", "b/f2.bin", "c/d/f3.bin"}
    assert "content differs from byte 7" in failed["a/f1.bin"]
    assert "missing on the replica" in failed["c/d/f3.bin"]
    assert report["counts"] == {
        "planned": 15,
        "done": 12,
        "skipped": 0,
        "failed": 3,
        "refused": 0,
        "looked_at": 15,
    }

    repaired = cli("verify", "docs", "--full", "--repair")
    assert repaired.code == 0, repaired.out + repaired.err
    for rel in ("a/f1.bin", "b/f2.bin", "c/d/f3.bin"):
        assert (replica / rel).read_bytes() == (source / rel).read_bytes()
    kept = {p.name for p in (replica / ".rearguard" / "versions").rglob("*.bin")}
    assert kept == {"f1.bin", "f2.bin"}  # the damaged copies, kept; the lost one had none
    assert cli("verify", "docs", "--full").code == 0
    listed = cli("show", "docs", "--json").json()["runs"]
    assert [r["status"] for r in listed[:2]] == ["ok", "ok"]


def test_verify_a_sample_reads_the_next_share_of_folders(cli: CLI, home: Path, tmp_path: Path) -> None:
    source, _ = _setup(home, tmp_path)
    # The run read slice 0; a verify by hand reads the next day's share (slices 1-24 of 720), by folder.
    inside = next(f"in{n}" for n in range(10_000) if 1 <= slice_of(f"in{n}") <= 24)
    outside = next(f"out{n}" for n in range(10_000) if slice_of(f"out{n}") > 30)
    for folder in (inside, outside):
        (source / folder).mkdir()
        (source / folder / "x.bin").write_bytes(b"x" * 100)
    assert cli("run", "docs").code == 0
    sample = cli("verify", "docs", "--json")
    assert sample.code == 0, sample.err
    report = sample.json()
    assert [i["path"] for i in report["items"]] == [f"{inside}/x.bin"]
    assert report["readback"] == "3 % of the files read back so far in the first pass"


def test_verify_of_an_unreachable_replica_exits_5_and_bad_input_2(
    cli: CLI, home: Path, tmp_path: Path
) -> None:
    _, replica = _setup(home, tmp_path)
    replica.rmdir()
    gone = cli("verify", "docs")
    assert gone.code == 5 and "cannot be reached" in gone.err + gone.out
    assert cli("verify", "nope").code == 2
    assert cli("verify").code == 2
