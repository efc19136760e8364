"""What a notification says: the profile, its kind, the status, the reason, the first failures, what
to do and where the log is. One ``Message`` per occurrence, rendered per channel (plain text, HTML,
a chat line, a ping's body) when it goes out, and kept as JSON in the outbox until then.

Every text is masked with the run's known secrets before it is built, so the outbox holds the
message and never a credential.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from engine.core.lock import host_name
from engine.core.report import RunReport, counts_text, human_bytes
from engine.notify.alerts import Alert
from engine.tools.redact import redact

PROBLEM_STATUSES = frozenset({"failed", "refused", "unavailable", "interrupted", "overdue"})
FIRST_FAILURES = 10

_WORDS = {
    ("backup", "ok"): "backup done",
    ("backup", "failed"): "backup failed",
    ("backup", "refused"): "backup refused",
    ("backup", "unavailable"): "backup could not reach its tool or remote",
    ("backup", "cancelled"): "backup cancelled",
    ("backup", "stopped"): "backup stopped at the end of its time window",
    ("verify", "ok"): "verify found no difference",
    ("verify", "failed"): "verify found differences",
    ("verify", "refused"): "verify refused",
    ("verify", "unavailable"): "verify could not reach the backup",
    ("verify", "cancelled"): "verify cancelled",
}


def _todo(run_kind: str, status: str, profile: str) -> str:
    """What a person should do next, in one or two sentences."""
    if status == "ok":
        return "Nothing to do."
    if status == "cancelled":
        return f"Nothing was lost; the next run continues. To run it now: rearguard run '{profile}'."
    if status == "stopped":
        return (
            "What was copied is kept; the next run inside the window continues from there. To finish "
            f"it now, outside the window: rearguard run '{profile}'."
        )
    if run_kind == "verify" and status == "failed":
        return (
            f"Copy again what differs with: rearguard verify '{profile}' --repair "
            "(the damaged copies are kept as versions)."
        )
    if status == "refused":
        return (
            "Nothing in the backup was changed. Read the reason, fix its cause (an unplugged disk, "
            f"a moved folder, a large deletion you meant), then run it again: rearguard run '{profile}'."
        )
    if status == "unavailable":
        return (
            "Check that the tool, share or remote is reachable (network, credentials, disk mounted); "
            "the next scheduled run tries again."
        )
    return (
        "The failed items are tried again by the next run; if they keep failing, read the log. "
        f"To run it now: rearguard run '{profile}'."
    )


@dataclass(frozen=True)
class Message:
    key: str  # what it is about, e.g. "run:<profile>:<run id>" — sent once per channel
    event: str  # "run" | "overdue" | "test"
    profile: str
    kind: str
    status: str
    title: str
    lines: tuple[str, ...]  # what happened, one sentence each
    failures: tuple[str, ...] = ()
    more_failures: int = 0
    todo: str = ""
    log: str | None = None
    host: str = field(default_factory=host_name)
    report: dict[str, Any] | None = None  # the object --json prints, for run messages

    @property
    def problem(self) -> bool:
        return self.status in PROBLEM_STATUSES

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines"], data["failures"] = list(self.lines), list(self.failures)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["lines"] = tuple(known.get("lines", ()))
        known["failures"] = tuple(known.get("failures", ()))
        return cls(**known)

    def event_json(self) -> dict[str, Any]:
        """The webhook's JSON: the run report as --json prints it, or the same shape for other events."""
        if self.report is not None:
            return self.report
        return {
            "profile": self.profile or None,
            "kind": self.kind or None,
            "run": self.event,
            "status": self.status,
            "reason": " ".join(self.lines) or None,
            "host": self.host,
        }

    def text(self) -> str:
        """The plain-text body."""
        out = [self.title, "", *self.lines]
        if self.failures:
            out += ["", "First failures:", *(f"  - {f}" for f in self.failures)]
            if self.more_failures:
                out.append(f"  … and {self.more_failures} more (see the log)")
        if self.todo:
            out += ["", "What to do: " + self.todo]
        if self.log:
            out += ["", f"Log: {self.log}"]
        out += ["", f"Computer: {self.host}"]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        """A simple HTML body with the same content."""
        esc = html.escape
        colour = "#b3261e" if self.problem else "#1e6b35"
        parts = [f'<h2 style="color:{colour};font-family:sans-serif">{esc(self.title)}</h2>']
        parts += [f'<p style="font-family:sans-serif">{esc(line)}</p>' for line in self.lines]
        if self.failures:
            items = "".join(f"<li><code>{esc(f)}</code></li>" for f in self.failures)
            more = f"<li>… and {self.more_failures} more (see the log)</li>" if self.more_failures else ""
            parts.append(f'<p style="font-family:sans-serif">First failures:</p><ul>{items}{more}</ul>')
        if self.todo:
            parts.append(f'<p style="font-family:sans-serif"><b>What to do:</b> {esc(self.todo)}</p>')
        if self.log:
            parts.append(f'<p style="font-family:sans-serif">Log: <code>{esc(self.log)}</code></p>')
        parts.append(f'<p style="font-family:sans-serif;color:#666">Computer: {esc(self.host)}</p>')
        return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(parts) + "\n</body></html>\n"

    def summary(self) -> str:
        """A few lines for a chat message, an ntfy push or a ping's body."""
        out = [*self.lines]
        out += [f"- {f}" for f in self.failures[:3]]
        if self.todo and self.problem:
            out.append(self.todo)
        return "\n".join(out)


def _masked(texts: Iterable[str], secrets: Sequence[str]) -> tuple[str, ...]:
    return tuple(redact(t, secrets) for t in texts)


def _masked_tree(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_masked_tree(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _masked_tree(v, secrets) for k, v in value.items()}
    return value


def run_message(
    report: RunReport, log: str | None, secrets: Sequence[str] = (), *, whole_report: bool = True
) -> Message:
    """The message about one finished run or verify; ``whole_report`` only where a webhook sends it
    (the report of a 100,000-file run is 100,000 items: never built when nobody reads it)."""
    status = report.status
    words = _WORDS.get((report.run_kind, status), f"{report.run_kind} {status}")
    counts = report.counts()
    finished = report.finished or report.started
    took = max(0, round((finished - report.started).total_seconds()))
    lines = [
        f"The {report.kind} profile '{report.profile}': {words}.",
        f"Started {report.started.astimezone():%Y-%m-%d %H:%M %Z}, took {took // 60} min {took % 60} s.",
        f"{counts_text(counts)}; {human_bytes(report.bytes_done)}.",
    ]
    if report.reason:
        lines.append(f"Reason: {report.reason}")
    if report.readback:
        lines.append(report.readback)
    failures = report.failures
    shown = [f"{i.path}: {i.message}" if i.message else i.path for i in failures[:FIRST_FAILURES]]
    return Message(
        key=f"run:{report.profile}:{report.run_id}:{report.started.isoformat()}",
        event="run",
        profile=report.profile,
        kind=report.kind,
        status=status,
        title=f"{report.profile}: {words}",
        lines=_masked(lines, secrets),
        failures=_masked(shown, secrets),
        more_failures=max(0, len(failures) - FIRST_FAILURES),
        todo=_todo(report.run_kind, status, report.profile),
        log=log,
        report=_masked_tree(report.as_json(), secrets) if whole_report else None,
    )


def overdue_message(alert: Alert, kind: str, log: str | None) -> Message:
    """The message about a profile with no good run for its alert period (sent once per period)."""
    return Message(
        key=alert.key,
        event="overdue",
        profile=alert.profile,
        kind=kind,
        status="overdue",
        title=f"{alert.profile}: overdue, no good backup",
        lines=(alert.text,),
        todo=(
            "Check that its schedule still runs (rearguard schedule status) and what its last runs "
            f"said (rearguard show '{alert.profile}'); run it by hand: rearguard run '{alert.profile}'."
        ),
        log=log,
    )


def channel_test_message(now: datetime) -> Message:
    """A message that only says the channel works (``rearguard notify test``)."""
    stamp = now.isoformat(timespec="seconds")
    return Message(
        key=f"test:{stamp}",
        event="test",
        profile="",
        kind="",
        status="test",
        title="Rearguard test message",
        lines=(f"This channel works: Rearguard reached it at {stamp}.",),
        todo="Nothing to do.",
    )
