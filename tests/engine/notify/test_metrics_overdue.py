"""The metrics file node_exporter reads, and the "overdue" news: valid exposition text rewritten
atomically after every run; a profile without a good run for its alert period is told once per period."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from engine.core.app_settings import AppSettings
from engine.core.folders import Folders
from engine.notify.metrics import ProfileMetrics, render
from engine.notify.run_events import notify_run_finished
from tests.engine.notify.conftest import T0, finished_report, write_profile
from tests.fakes.http_receiver import Receiver

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\S+)$')


def parse_exposition(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """A strict reader of the Prometheus text format as this file uses it (fails on any bad line)."""
    assert text.endswith("\n")
    declared: dict[str, str] = {}
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in declared, f"HELP twice for {name}"
            declared[name] = ""
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in declared and kind == "gauge"
            declared[name] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name = match.group(1)
            assert declared.get(name) == "gauge", f"{name} sampled before its TYPE"
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2)))
            samples.setdefault(name, []).append((labels, float(match.group(3))))
    return samples


def test_the_metrics_file_is_valid_and_says_what_each_profile_did(folders: Folders) -> None:
    target = folders.data.parent / "textfile" / "rearguard.prom"
    target.parent.mkdir()
    folders.notifications.write_text(f'[metrics]\ntextfile = "{target}"\n', encoding="utf-8")
    good = write_profile(folders, "Good")
    write_profile(folders, "Never")
    ok = finished_report("Good", "ok", failures=0, folders=folders)
    notify_run_finished(folders, good, ok, now=T0 + timedelta(minutes=1))
    failed = finished_report("Good", "failed", failures=3, started=T0 + timedelta(hours=4), folders=folders)
    notify_run_finished(folders, good, failed, now=T0 + timedelta(hours=4, minutes=1))
    samples = parse_exposition(target.read_text(encoding="utf-8"))
    assert [p.name for p in target.parent.iterdir()] == ["rearguard.prom"]  # no temporary file left
    good_labels = {"profile": "Good", "kind": "mirror"}

    def value(name: str, **extra: str) -> float:
        (found,) = [v for labels, v in samples[name] if labels == {**good_labels, **extra}]
        return found

    assert value("rearguard_last_run_timestamp_seconds") == failed.finished.timestamp()  # type: ignore[union-attr]
    assert value("rearguard_last_run_status", status="failed") == 1
    assert value("rearguard_last_run_status", status="ok") == 0
    assert value("rearguard_last_run_success") == 0
    assert value("rearguard_last_run_duration_seconds") == 42
    assert value("rearguard_last_run_failed_items") == 3
    assert value("rearguard_last_run_bytes") == 1234
    assert value("rearguard_last_good_run_timestamp_seconds") == T0.timestamp()
    never = {"profile": "Never", "kind": "mirror"}
    assert (never, 0.0) in samples["rearguard_last_good_run_timestamp_seconds"]
    assert all(labels["profile"] != "Never" for labels, _ in samples["rearguard_last_run_success"])


def test_label_values_are_escaped() -> None:
    text = render([ProfileMetrics('we"ird\\name', "mirror", 1.0, "ok", 1, 2.5, 0, 1.0)])
    samples = parse_exposition(text)
    assert samples["rearguard_last_run_duration_seconds"] == [
        ({"profile": 'we\\"ird\\\\name', "kind": "mirror"}, 2.5)
    ]


def test_an_overdue_profile_is_told_once_per_stale_period(folders: Folders) -> None:
    stale = write_profile(folders, "Stale")
    other = write_profile(folders, "Other")
    settings = AppSettings.load(folders.data)
    settings.alert_days["Stale"] = 2
    settings.save()
    finished_report("Stale", "ok", failures=0, folders=folders)  # its last good run: T0
    with Receiver() as hook:
        folders.notifications.write_text(
            f'[webhook]\nurl = "{hook.url("/h")}"\nformat = "json"\n', encoding="utf-8"
        )
        for day in (1, 3, 4, 5):  # runs of another profile, day after day
            when = T0 + timedelta(days=day)
            notify_run_finished(
                folders, other, finished_report("Other", "ok", failures=0, started=when), now=when
            )
        events = [json.loads(r.body) for r in hook.requests]
        assert events == [
            {
                "profile": "Stale",
                "kind": "mirror",
                "run": "overdue",
                "status": "overdue",
                "reason": "'Stale' has had no good run for 3 days (alert after 2).",
                "host": events[0]["host"],
            }
        ]
        # A good run ends that period; when it goes stale again, that is news again.
        again = T0 + timedelta(days=6)
        finished_report("Stale", "ok", failures=0, started=again, folders=folders)
        for day in (7, 9):
            when = T0 + timedelta(days=day)
            notify_run_finished(
                folders, other, finished_report("Other", "ok", failures=0, started=when), now=when
            )
        assert [json.loads(r.body)["run"] for r in hook.requests] == ["overdue", "overdue"]
    assert stale.name == "Stale"
