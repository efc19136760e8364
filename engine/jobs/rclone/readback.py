"""Reading an rclone remote back (``rearguard verify``, and the sample after every run).

Which files: those of the rclone index (what Rearguard uploaded, with the size and modification time
the source had then) that the sample wants, keyed by path. A file whose size or time in the source no
longer matches its index row changed since it was uploaded: it is skipped (the next run uploads it),
not compared.

How: ONE ``rclone check --one-way --files-from-raw`` of exactly those files. rclone compares hashes
where the remote keeps one (local, S3, sftp servers that answer md5sum/sha1sum, ...). Where it
keeps none (crypt, some WebDAV), rclone says "No common hash found" and would compare sizes only:
the check is then run again with ``--download``, which reads the remote's bytes. Asking first
(``rclone backend features``) would cost every read-back a second connection for the rare remote
without hashes. The combined report has one line per file: same, differs, missing, unreadable; a
file it gives no line for is not taken as read. What only the remote has (versions, files a filter now
leaves out, a deleted file's copy) is no difference: only the listed files are asked about.

``repair`` uploads the differing and missing files again with one batched ``rclone copy`` (upload.py)
whose ``--backup-dir`` is this verify's versions folder, so a damaged copy is kept as a version
first. A copy is confirmed as a run's are (rclone's line, or a look at the remote) and its index row
renewed; one that is not goes to the retry queue, and the next run uploads it again.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from engine.core.context import RunContext
from engine.core.errors import SafetyRefusal, ToolUnavailable
from engine.core.events import ItemFinished, PhaseChanged, RunStarted
from engine.core.filters import PathFilter
from engine.core.plan import Action, ActionKind, Plan
from engine.core.readback import ReadBack, Sample
from engine.core.report import ItemResult
from engine.jobs.rclone import credentials, index, look, preflight
from engine.jobs.rclone.check_run import Checked, Row, run_check
from engine.jobs.rclone.scan import excluder
from engine.jobs.rclone.settings import Job, job_of
from engine.jobs.rclone.upload import upload
from engine.tools.redact import redact

VERIFY, REPAIR = "verify", "repair"
MISSING = "missing on the remote"
REPAIRED = "uploaded again; the damaged copy is kept under versions"
REPAIRED_MISSING = "uploaded again"
_HASH_DIFFERS = re.compile(r"^(\w+) differ$")


@dataclass
class Chosen:
    """The sample's files, split into those to compare and those that cannot be compared now."""

    wanted: dict[str, Row] = field(default_factory=dict)
    skipped: list[ItemResult] = field(default_factory=list)
    files: int = 0  # files in the index: how many the remote should hold


def differs_message(said: str) -> str:
    """A difference in words, from rclone's error line about the file."""
    if said == "sizes differ":
        return "differs: size (the remote's copy has another size)"
    if said == "contents differ":
        return "differs: content (the remote's bytes, downloaded, are not the source's; same size)"
    match = _HASH_DIFFERS.match(said)
    if match:
        return f"differs: {match.group(1)} hash (same size)"
    return f"differs: {said or 'rclone gave no reason'}"


def _next_run(job: Job, path: str, left_out: Callable[[str], bool], *, gone: bool) -> str:
    """What the next run does about a file that cannot be compared now."""
    if left_out(path):
        if job.delete_excluded:
            return "a filter leaves it out: the next run moves the remote's copy to versions"
        return "a filter leaves it out: the remote keeps the copy sent before"
    return "the next run moves the remote's copy to versions" if gone else "the next run uploads it"


def source_problem(job: Job, path: str, row: Row, left_out: Callable[[str], bool]) -> str | None:
    """Why the source's file cannot be compared with what was uploaded, or None when it can."""
    try:
        st = os.lstat(job.source / path)
    except FileNotFoundError:
        return "no longer in the source; " + _next_run(job, path, left_out, gone=True)
    except OSError as error:
        return f"cannot be read in the source: {error.strerror or error}"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file in the source"
    if (st.st_size, st.st_mtime_ns) != row:
        return "changed since it was uploaded; " + _next_run(job, path, left_out, gone=False)
    return None


def choose(ctx: RunContext, job: Job, sample: Sample) -> Chosen:
    """The indexed files the sample wants; those the source changed since their upload are skipped.

    Only the rows the sample wants are read from the index: those a run wrote by their path, a
    slice's by a filter inside the query (no object per indexed file, no sort of them all).
    """
    if sample.full:
        indexed = index.load_index(ctx.state, ctx.name)
        files = len(indexed)
    else:
        if sample.slices:
            indexed = index.load_wanted(ctx.state, ctx.name, sample.wants)
        else:
            indexed = index.load_rows(ctx.state, ctx.name, sample.written)
        files = index.count_index(ctx.state, ctx.name)
    rules = PathFilter(job.exclude, job.include_hidden, where="[rclone].exclude")
    left_out = excluder(rules)
    chosen = Chosen(files=files)
    for path in sorted(indexed):
        if not sample.wants(path):
            continue
        problem = source_problem(job, path, indexed[path], left_out)
        if problem:
            chosen.skipped.append(ItemResult(path, VERIFY, "skipped", f"not compared: {problem}"))
        else:
            chosen.wanted[path] = indexed[path]
    return chosen


def _reach(ctx: RunContext, job: Job, binary: str, has_files: bool) -> None:
    """``rclone version`` and one request to the remote; an empty or absent remote folder is gone."""
    with ThreadPoolExecutor(2, thread_name_prefix="rclone-check") as pool:
        version = pool.submit(preflight.check_version, binary, ctx.folders.data)
        there = preflight.check_remote(binary, job.remote, job.config, ctx.secrets, cancel=ctx.cancel)
        version.result()
    if not there and has_files:
        raise ToolUnavailable(
            f"the remote folder {redact(job.remote, ctx.secrets)} is not there although files were "
            "uploaded to it (a disk not connected, a bucket or folder removed?); nothing was read back"
        )


def _unreachable(found: Checked) -> str | None:
    """rclone's reason when the check ended without reading a single file."""
    result = found.result
    if result.ok or result.cancelled or result.timed_out or found.symbols:
        return None
    return (found.fatal or found.general or [f"rclone exit {result.returncode}"])[-1]


def _lookup(symbols: Mapping[str, str]) -> Callable[[str], str | None]:
    """The symbol for a path; a remote that hands back names in another Unicode form still matches."""
    folded: dict[str, str] | None = None

    def get(path: str) -> str | None:
        nonlocal folded
        symbol = symbols.get(path)
        if symbol is None and symbols:
            if folded is None:
                folded = {unicodedata.normalize("NFC", p): s for p, s in symbols.items()}
            symbol = folded.get(unicodedata.normalize("NFC", path))
        return symbol

    return get


def verdicts(job: Job, wanted: Mapping[str, Row], found: Checked) -> tuple[list[ItemResult], list[str]]:
    """One item per compared file, and the paths a repair would upload again (differs, missing)."""
    left_out = excluder(PathFilter(job.exclude, job.include_hidden, where="[rclone].exclude"))
    symbol_of, result = _lookup(found.symbols), found.result
    items: list[ItemResult] = []
    damaged: list[str] = []
    for path, row in wanted.items():
        symbol = symbol_of(path)
        if symbol == "=":
            items.append(ItemResult(path, VERIFY, "done", "", row[0]))
            continue
        if symbol is None and result.cancelled:
            items.append(ItemResult(path, VERIFY, "skipped", "cancelled before it was read back"))
            continue
        problem = source_problem(job, path, row, left_out)
        if problem:  # the source moved on while rclone read it: not the remote's fault
            items.append(ItemResult(path, VERIFY, "skipped", f"not compared: {problem}"))
        elif symbol is None:
            why = "rclone gave no result"
            if result.timed_out:
                why = f"rclone stopped after {result.seconds:.0f} s"
            items.append(ItemResult(path, VERIFY, "failed", f"not read back: {why}"))
        elif symbol == "+":
            items.append(ItemResult(path, VERIFY, "failed", MISSING))
            damaged.append(path)
        elif symbol == "*":
            items.append(ItemResult(path, VERIFY, "failed", differs_message(found.said.get(path, ""))))
            damaged.append(path)
        else:
            said = found.said.get(path) or "rclone could not read it on one side"
            items.append(ItemResult(path, VERIFY, "failed", f"unreadable: {said}"))
    return items, damaged


def _repair(
    ctx: RunContext,
    job: Job,
    binary: str,
    wanted: Mapping[str, Row],
    damaged: Sequence[str],
    missing: set[str],
) -> list[ItemResult]:
    """Upload the damaged files again in one call; the copies replaced go to versions first."""
    ctx.reporter(PhaseChanged("repair", f"uploading {len(damaged):,} file(s) again"))
    actions = [Action(ActionKind.UPLOAD, p, bytes=wanted[p][0], mtime_ns=wanted[p][1]) for p in damaged]
    try:
        sent = upload(
            ctx,
            replace(job, versions=True),
            binary,
            actions,
            adopt=False,  # --ignore-times: a damaged copy often has the right size and time
            traverse=len(actions) >= look.TRAVERSE_MIN_FILES,
        )
    except OSError as error:
        raise ToolUnavailable(f"rclone cannot be started ({binary}): {error.strerror or error}") from None
    left_out = excluder(PathFilter(job.exclude, job.include_hidden, where="[rclone].exclude"))
    changes = index.Changes()
    out: list[ItemResult] = []
    for item in sent:
        row = wanted[item.path]
        if item.status == "done":
            problem = source_problem(job, item.path, row, left_out)
            if problem:
                out.append(ItemResult(item.path, REPAIR, "skipped", f"not recorded: {problem}"))
                continue
            changes.uploaded.append((item.path, *row))
            message = REPAIRED_MISSING if item.path in missing else REPAIRED
            out.append(ItemResult(item.path, REPAIR, "done", message, item.bytes))
        elif item.status == "failed":
            changes.failed.append((item.path, item.message))
            message = f"not repaired: {item.message}; the next run uploads it again"
            out.append(ItemResult(item.path, REPAIR, "failed", message))
        else:
            out.append(ItemResult(item.path, REPAIR, item.status, item.message))
    index.record(ctx.state, ctx.name, changes, ctx.clock().isoformat(), (str(job.source), job.remote))
    return out


def _announce(ctx: RunContext, items: Sequence[ItemResult], standalone: bool) -> None:
    for item in items:
        if standalone or item.status != "done":
            ctx.reporter(ItemFinished(item.path, item.action, item.status, item.bytes, item.message))


def read_back(ctx: RunContext, sample: Sample, run_plan: Plan | None, repair: bool) -> ReadBack:
    """Compare the sample's uploaded files on the remote with the source; optionally upload them again."""
    job = job_of(ctx)
    standalone = run_plan is None
    ctx.secrets.extend(s for s in credentials.collect(job.remote, job.config) if s not in ctx.secrets)
    shown = redact(job.remote, ctx.secrets)
    if index.target_changed(ctx.state, ctx.name, str(job.source), job.remote):
        ctx.warn("the source or remote changed since the last run: nothing is read back until a run uploads")
        return ReadBack()
    if standalone and not job.source.is_dir():
        raise SafetyRefusal(
            f"source folder {job.source} does not exist or is not a folder "
            "(an unplugged disk or unmounted share?); nothing was read back"
        )
    binary = preflight.find_rclone(job.rclone)
    chosen = choose(ctx, job, sample)
    if standalone:
        _reach(ctx, job, binary, has_files=chosen.files > 0)
    wanted, items = chosen.wanted, list(chosen.skipped)
    if standalone:
        ctx.reporter(RunStarted(ctx.name, "rclone", len(wanted), sum(s for s, _ in wanted.values())))
    if not wanted or ctx.cancel.is_set():
        _announce(ctx, items, standalone)
        return ReadBack(items, chosen.files)
    ctx.reporter(PhaseChanged("read back", f"reading {len(wanted):,} file(s) back from {shown}"))
    found = run_check(ctx, job, binary, wanted, download=False)
    if found.no_common_hash and not ctx.cancel.is_set():
        ctx.log.info("the remote keeps no hash rclone can compare: reading the files back by download")
        ctx.reporter(PhaseChanged("read back", f"downloading {len(wanted):,} file(s) from {shown}"))
        found = run_check(ctx, job, binary, wanted, download=True)
    reason = _unreachable(found)
    if reason:
        raise ToolUnavailable(f"remote {shown} is unreachable: {reason}")
    if found.unhashed:
        ctx.warn(
            f"{found.unhashed} file(s) were compared by size only: the remote keeps no hash for them "
            "(a same-size change there goes unseen)"
        )
    checked, damaged = verdicts(job, wanted, found)
    _announce(ctx, items + checked, standalone)
    items += checked
    if repair and damaged and not ctx.cancel.is_set():
        missing = {i.path for i in checked if i.message == MISSING}
        items += _repair(ctx, job, binary, wanted, damaged, missing)
    return ReadBack(items, chosen.files)
