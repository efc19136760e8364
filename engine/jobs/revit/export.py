"""Exporting models with RevitServerTool, one at a time by default, each under the timeout.

Each export goes into a fresh temporary folder beside its final place (a name the next run
recognises as a leftover); the tool writes ``<temp folder>/<model>.rvt``, the file is checked and
flushed to the disk, and only a good file is renamed into ``<target>/<YYYY-MM-DD>/<model path>``
(then that folder is flushed). A failed, hung or interrupted export therefore never leaves a file
that looks good.

Nothing good is overwritten blindly. An earlier export of the same model on the same day is moved
to ``<target>/.rearguard/versions/<run stamp>/<YYYY-MM-DD>/<model path>`` only once the new one has
passed every check. A new export below half the size of the previous good one is kept beside it
as ``<model>.below-half-<HHMMSS>Z.rvt`` with a warning, and the previous one stays where it is.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.core.context import RunContext
from engine.core.errors import ToolUnavailable
from engine.core.events import ItemFinished, ItemStarted
from engine.core.plan import Action, Plan
from engine.core.profiles import RevitSettings, expand
from engine.core.report import ItemResult, human_bytes
from engine.files.atomic import temp_path_for
from engine.files.flush import flush_file, fsync_folder
from engine.jobs.revit.export_history import PreviousExport, previous_exports
from engine.jobs.revit.model_paths import ModelPath, classify, expected_folder, model_folder, os_path
from engine.jobs.revit.planner import (
    KEPT_BESIDE,
    detail_value,
    revit_settings,
    rows_in_order,
    target_folder,
    timeout_seconds,
)
from engine.jobs.revit.retention import beside_name, clean_leftovers, version_path
from engine.jobs.revit.tool_command import build_argv, exit_problem, tool_encoding, tool_message
from engine.jobs.revit.verify import export_problem, size_warning
from engine.tools.process import run_process

log = logging.getLogger("rearguard.revit")

ACTION = "export"
WINDOW_CLOSED = "not started: the window closed; it is exported by the next run"


def _failed(path: str, message: str) -> ItemResult:
    return ItemResult(path, ACTION, "failed", message)


@dataclass
class Exporter:
    """Runs the plan's exports; ``broken`` is set once the tool cannot be started at all."""

    ctx: RunContext
    settings: RevitSettings
    timeout: float
    encoding: str
    target: str = ""
    previous: dict[str, PreviousExport] = field(default_factory=dict)
    broken: str | None = None
    kept_beside: dict[str, str] = field(default_factory=dict)  # model -> where a too-small export went
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tool(self) -> str:
        return str(expand(self.settings.tool))

    def export(self, action: Action) -> ItemResult:
        """Export one model and report it; never raises for the model's own failure.

        A pause cannot reach inside RevitServerTool: it takes effect here, before the next model.
        """
        if self.ctx.pause.is_set() and not self.ctx.stopping():
            log.info("paused before exporting %s; it starts when the run is resumed", action.path)
            self.ctx.pause.hold(self.ctx.cancel)
        if self.ctx.cancel.is_set():
            result = ItemResult(action.path, ACTION, "skipped", "cancelled before its export started")
        elif self.ctx.window_closed.is_set():
            self.ctx.left_by_window(1)
            result = ItemResult(action.path, ACTION, "skipped", WINDOW_CLOSED)
        elif self.broken is not None:
            result = _failed(action.path, f"not started: {self.broken}")
        else:
            self.ctx.reporter(ItemStarted(action.path, ACTION, action.bytes))
            result = self._export(action)
        self.ctx.reporter(ItemFinished(action.path, ACTION, result.status, result.bytes, result.message))
        return result

    def _export(self, action: Action) -> ItemResult:
        model = classify(action.path)
        if not isinstance(model, ModelPath):  # the plan holds only models; never trust that blindly
            return _failed(action.path, f"not exported: {model.reason}")
        projects = expand(self.settings.projects_dir)
        if model_folder(projects, model) is None:
            return _failed(action.path, f"model folder missing: {expected_folder(projects, model)}")
        final = str(detail_value(action, "destination"))
        try:
            os.makedirs(os_path(os.path.dirname(final)), exist_ok=True)
            work = temp_path_for(final)
            os.mkdir(os_path(work))
        except OSError as error:
            return _failed(
                action.path,
                f"cannot create the export folder {os.path.dirname(final)}: {error.strerror or error}",
            )
        try:
            return self._run_tool(action, model, os.path.join(work, os.path.basename(final)), final)
        finally:
            shutil.rmtree(os_path(work), ignore_errors=True)

    def _run_tool(self, action: Action, model: ModelPath, temp_file: str, final: str) -> ItemResult:
        argv = build_argv(self.tool, model.raw, self.settings.server, temp_file)
        log.info("exporting %s: %s", model.raw, subprocess.list2cmdline(argv))
        started_wall = time.time()
        try:
            result = run_process(
                argv,
                timeout=self.timeout,
                cancel=self.ctx.cancel,
                encoding=self.encoding,
                log_output=False,
                on_line=lambda _stream, line: log.info("%s | %s", model.raw, line),
            )
        except OSError as error:
            with self._lock:
                self.broken = f"RevitServerTool cannot be run: {self.tool}: {error.strerror or error}"
            return _failed(action.path, self.broken)
        problem = exit_problem(result, self.timeout)
        if problem is None:
            bad_file = export_problem(temp_file, started_wall)
            if bad_file is not None:
                said = tool_message(result)
                problem = f"RevitServerTool ended with exit 0 but {bad_file}; nothing was kept" + (
                    f" (the tool said: {said})" if said else ""
                )
        if problem is not None:
            log.warning("%s: export failed: %s", model.raw, problem)
            return _failed(action.path, problem)
        try:
            size = os.stat(os_path(temp_file)).st_size
            flush_file(os_path(temp_file))
        except OSError as error:
            return _failed(
                action.path, f"the export cannot be flushed to the disk: {error.strerror or error}"
            )
        too_small = size_warning(size, self._baseline(action.path, final))
        try:
            where = self._install(model, temp_file, final, set_aside=too_small is None)
        except OSError as error:
            return _failed(
                action.path, f"cannot put the export in place at {final}: {error.strerror or error}"
            )
        log.info("%s: exported %s in %.1fs to %s", model.raw, human_bytes(size), result.seconds, where)
        message = f"exported {human_bytes(size)} in {result.seconds:.1f}s"
        warning = detail_value(action, "warning")
        if warning:
            message += f"; warning: {warning}"
        if too_small is not None:
            kept = (
                f"{too_small}; it is kept beside the previous one as {os.path.basename(where)}, not over it"
            )
            self.ctx.warn(f"{model.raw}: {kept}")
            message += f"; warning: {kept}"
            with self._lock:
                self.kept_beside[action.path] = where
        return ItemResult(action.path, ACTION, "done", message, size)

    def _baseline(self, item: str, final: str) -> PreviousExport | None:
        """What a new export is compared with: today's earlier export, else the last good one."""
        try:
            info = os.stat(os_path(final))
        except OSError:
            return self.previous.get(item)
        when = datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds")
        return PreviousExport(info.st_size, when, final)

    def _install(self, model: ModelPath, temp_file: str, final: str, *, set_aside: bool) -> str:
        """Rename the checked, flushed export into place; returns where it went.

        ``set_aside``: an earlier export at ``final`` moves to the versions folder first. Without
        it (a suspiciously small export) the new file goes beside ``final`` under its own name.
        """
        folders = [os.path.dirname(final)]
        where, kept = final, None
        if not set_aside:
            where = beside_name(final, self.ctx.started)
        elif os.path.lexists(os_path(final)):
            kept = version_path(self.target, self.ctx.run_stamp, final)
            os.makedirs(os_path(os.path.dirname(kept)), exist_ok=True)
            os.replace(os_path(final), os_path(kept))
            folders.append(os.path.dirname(kept))
            log.info("%s: the earlier export of today is kept as %s", model.raw, kept)
        try:
            os.replace(os_path(temp_file), os_path(where))
        except OSError:
            if kept is not None:  # put the earlier one back where it was
                try:
                    os.replace(os_path(kept), os_path(final))
                except OSError:
                    log.warning("%s: the earlier export of today stays at %s", model.raw, kept)
            raise
        for folder in folders:
            fsync_folder(os_path(folder))
        return where


def _note_result(ctx: RunContext, note: Action) -> ItemResult:
    status = str(detail_value(note, "status", "skipped"))
    result = ItemResult(note.path, ACTION, status, str(detail_value(note, "reason", "")))
    ctx.reporter(ItemFinished(note.path, ACTION, status, 0, result.message))
    return result


def run_exports(ctx: RunContext, plan: Plan) -> list[ItemResult]:
    """Export every planned model; one result per table row, in table order."""
    settings = revit_settings(ctx)
    done = {id(note): _note_result(ctx, note) for note in plan.notes}
    if plan.actions:
        folder = str(plan.extra["export_folder"])
        try:
            os.makedirs(os_path(folder), exist_ok=True)
        except OSError as error:
            raise ToolUnavailable(
                f"the export folder {folder} cannot be created: {error.strerror or error}"
            ) from None
        cleaned = clean_leftovers(folder)
        if cleaned:
            log.info("removed %d temporary export(s) left by an interrupted run", cleaned)
        exporter = Exporter(
            ctx,
            settings,
            timeout_seconds(ctx),
            tool_encoding(),
            target=target_folder(ctx),
            previous=previous_exports(ctx.state, ctx.name),
        )
        if settings.parallel <= 1:
            for action in plan.actions:
                done[id(action)] = exporter.export(action)
        else:
            with ThreadPoolExecutor(settings.parallel, thread_name_prefix="revit-export") as pool:
                for action, result in zip(plan.actions, pool.map(exporter.export, plan.actions), strict=True):
                    done[id(action)] = result
        plan.extra[KEPT_BESIDE] = dict(exporter.kept_beside)  # verify checks them where they are
        if exporter.broken is not None and not any(r.status == "done" for r in done.values()):
            raise ToolUnavailable(exporter.broken)
    return [done[id(entry)] for entry in rows_in_order(plan)]
