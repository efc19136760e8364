"""Sleep and wake on Windows: the power broadcast message, the filter that reads it, and the
scheduler's grace after it; the clock that stands still while the computer sleeps."""

from __future__ import annotations

import ctypes
import ctypes.wintypes
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from engine.core.folders import Folders
from engine.schedule import wake_clock
from gui import power_events
from gui.scheduler import WAKE_GRACE
from tests.gui.test_scheduler import T0, FakeHost, FakeTime, make, scheduled


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def host(folders: Folders) -> FakeHost:
    return FakeHost(folders)


def test_power_messages() -> None:
    wm = power_events.WM_POWERBROADCAST
    assert power_events.power_event(wm, power_events.PBT_APMRESUMEAUTOMATIC) == "resume"
    assert power_events.power_event(wm, power_events.PBT_APMRESUMESUSPEND) == "resume"
    assert power_events.power_event(wm, power_events.PBT_APMSUSPEND) == "suspend"
    assert power_events.power_event(wm, 0x000A) is None  # PBT_APMPOWERSTATUSCHANGE: on battery
    assert power_events.power_event(0x0010, power_events.PBT_APMRESUMEAUTOMATIC) is None  # WM_CLOSE


def test_the_filter_reads_windows_msg_structures(qapp) -> None:  # type: ignore[no-untyped-def]
    woken: list[int] = []
    found = power_events.PowerEventFilter(lambda: woken.append(1))
    msg = ctypes.wintypes.MSG()  # the layout Qt's Windows plugin hands over
    msg.message, msg.wParam = power_events.WM_POWERBROADCAST, power_events.PBT_APMRESUMEAUTOMATIC
    assert found.nativeEventFilter(b"windows_generic_MSG", ctypes.addressof(msg)) == (False, 0)
    assert found.nativeEventFilter(b"xcb_generic_event_t", ctypes.addressof(msg)) == (False, 0)
    msg.wParam = power_events.PBT_APMSUSPEND
    found.nativeEventFilter(b"windows_generic_MSG", ctypes.addressof(msg))
    assert woken == [1]


def test_the_filter_is_installed_on_windows_only(qapp) -> None:  # type: ignore[no-untyped-def]
    assert power_events.watch(lambda: None, platform="linux") is None
    found = power_events.watch(lambda: None, platform="win32")
    assert isinstance(found, power_events.PowerEventFilter)
    power_events.unwatch(found)


def test_after_windows_says_it_woke_runs_wait_a_minute_then_go_once(
    qtbot, host: FakeHost, time_: FakeTime, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """On Windows the wall and tick clocks both ran through the sleep: only the message tells."""
    scheduled(host.folders, "p", tmp_path)
    host.finish("p", T0 - timedelta(hours=1))
    scheduler = make(host, time_)
    scheduler.tick()
    time_.advance(timedelta(days=2))  # no jump visible: the clocks counted the sleep alike
    scheduler.woke()
    assert host.started == [] and scheduler.missed["p"] > 1
    time_.advance(WAKE_GRACE + timedelta(seconds=1))
    scheduler.tick()
    scheduler.tick()
    assert host.started == ["p"]


def test_the_sleepless_clock_per_platform() -> None:
    assert wake_clock.sleepless_clock("linux") is time.monotonic
    assert wake_clock.sleepless_clock("darwin") is time.monotonic
    assert wake_clock.unbiased_seconds(25_000_000) == 2.5


@pytest.mark.skipif(sys.platform != "win32", reason="QueryUnbiasedInterruptTime is a Windows call")
def test_the_unbiased_interrupt_time_runs_like_a_clock_while_awake() -> None:
    clock = wake_clock.sleepless_clock()
    first, mono = clock(), time.monotonic()
    time.sleep(0.3)
    assert abs((clock() - first) - (time.monotonic() - mono)) < 0.1
