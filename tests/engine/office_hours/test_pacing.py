"""The pieces under pause and bandwidth: the pause switch, the shared token bucket, a suspended tool."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from engine.files.pacing import BLOCK, MIN_BLOCK, Pacer, PauseSwitch, TokenBucket
from engine.tools.process import run_process

MIB = 1 << 20


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_starts_empty_and_keeps_to_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(lambda: 4 * MIB, clock=clock)
    waits = []
    for _ in range(16):  # 16 MiB in blocks of 1 MiB, the clock moved by what the bucket asks
        wait = bucket.reserve(MIB)
        waits.append(wait)
        clock.now += wait
    assert sum(waits) == pytest.approx(4.0, rel=0.01)


def test_an_idle_bucket_saves_up_only_a_short_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(lambda: 4 * MIB, clock=clock)
    clock.now += 3600  # an hour idle (or paused)
    assert bucket.reserve(4 * MIB) == pytest.approx(0.9, rel=0.01)  # 0.1 s of burst, not an hour


def test_no_limit_never_waits_and_the_rate_is_asked_again() -> None:
    clock = FakeClock()
    rates: list[float | None] = [None]
    bucket = TokenBucket(lambda: rates[0], clock=clock)
    assert bucket.reserve(100 * MIB) == 0.0
    rates[0] = 1 * MIB  # the timetable moved on
    assert bucket.reserve(MIB) == 0.0  # asked again at most once a second
    clock.now += 1.0
    assert bucket.rate == MIB and bucket.reserve(MIB) > 0


def test_threads_share_one_bucket() -> None:
    bucket = TokenBucket(lambda: 8 * MIB)
    started = time.monotonic()

    def worker() -> None:
        for _ in range(8):
            bucket.take(256 * 1024)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 4 workers x 2 MiB = 8 MiB at 8 MiB/s: one second for all of them, not a quarter of it.
    assert 0.75 <= time.monotonic() - started <= 1.5


def test_the_block_is_smaller_for_a_slow_limit() -> None:
    assert Pacer().block == BLOCK
    assert Pacer(bucket=TokenBucket(lambda: 4 * MIB)).block == 512 * 1024
    assert Pacer(bucket=TokenBucket(lambda: 64 * 1024)).block == MIN_BLOCK


def test_the_pause_switch_holds_until_resumed_or_cancelled() -> None:
    switch = PauseSwitch()
    heard: list[bool] = []
    remove = switch.add_listener(heard.append)
    assert not switch.is_set() and switch.hold() == 0.0
    assert switch.pause() and not switch.pause() and switch.is_set()
    threading.Timer(0.3, switch.resume).start()
    assert 0.25 <= switch.hold() < 1.0
    assert heard == [True, False] and switch.resumes == 1 and switch.paused_seconds >= 0.25
    remove()
    switch.pause()
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    assert switch.hold(cancel) < 1.0 and switch.is_set()  # cancel ends the wait, not the pause
    assert heard == [True, False]


def _grows(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.mark.skipif(sys.platform == "win32", reason="the writer below uses POSIX sleep granularity")
def test_a_paused_tool_is_suspended_and_its_timeout_waits(tmp_path: Path) -> None:
    out = tmp_path / "ticks.txt"
    writer = (
        "import time,sys\n"
        "with open(sys.argv[1], 'a') as f:\n"
        "    for i in range(30):\n"
        "        f.write('x' * 1000); f.flush(); time.sleep(0.05)\n"
    )
    switch = PauseSwitch()
    samples: list[int] = []

    def pause_for_a_while() -> None:
        time.sleep(0.4)
        switch.pause()
        time.sleep(0.3)  # the runner's loop looks every 50 ms
        for _ in range(6):
            samples.append(_grows(out))
            time.sleep(0.2)
        switch.resume()

    helper = threading.Thread(target=pause_for_a_while)
    helper.start()
    # The whole run takes 1.5 s of work plus a 1.5 s pause: a 2.5 s timeout would cut it if the
    # pause counted.
    result = run_process([sys.executable, "-c", writer, str(out)], timeout=2.5, paused=switch.is_set)
    helper.join()
    assert result.ok, result
    assert len(set(samples)) == 1, f"the file grew while paused: {samples}"
    assert _grows(out) == 30_000
