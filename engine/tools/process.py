"""The one way Rearguard runs an external tool (rclone, RevitServerTool).

Argument lists only (never a shell), a timeout, cancellation that stops the whole process tree
(psutil everywhere, the process group on POSIX, a Job Object on Windows),
a pause that suspends the whole tree (psutil: Windows, macOS, Linux) until resumed, console
output decoded with the right code page, and secrets redacted before anything is logged.
The Windows parts are small pure functions so they are tested on Linux too.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.tools import job_object
from engine.tools.inherited import inherited_fds
from engine.tools.redact import redact, redact_argv

if TYPE_CHECKING:
    import psutil  # imported where a tree is stopped or paused: not on every run's start (8 ms)

log = logging.getLogger("rearguard.process")

# 0xC000013A: STATUS_CONTROL_C_EXIT, what Windows reports for a console program interrupted.
WINDOWS_INTERRUPTED = (0xC000013A, -1073741510)
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000

LineHandler = Callable[[str, str], None]  # (stream name "stdout"/"stderr", decoded line)


def console_encoding(platform: str = sys.platform, oem_codepage: int | None = None) -> str:
    """The encoding a console program writes in: the OEM code page on Windows, else UTF-8.

    Not the locale's off Windows: a service or a container often runs with the C locale (ASCII),
    which would turn every accented letter a tool writes into a replacement mark.
    """
    if platform == "win32":
        return f"cp{_oem_codepage() if oem_codepage is None else oem_codepage}"
    return "utf-8"


# Tried in turn when a line is not valid in the console's encoding; Latin-1 takes any byte, so a
# line always decodes and never shows U+FFFD (a wrong guess shows a wrong letter, not a hole).
_FALLBACK_ENCODINGS = ("utf-8", "cp1252", "latin-1")


def _oem_codepage() -> int:
    if sys.platform != "win32":
        return 437  # asked for Windows' encoding elsewhere: the US console's
    import ctypes

    return int(ctypes.windll.kernel32.GetOEMCP())


def decode_console(data: bytes, encoding: str) -> str:
    """Decode console bytes with ``encoding``, else the first fallback that fits; never fails."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    for name in dict.fromkeys((encoding, *_FALLBACK_ENCODINGS)):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # not reached: Latin-1 decodes every byte


def is_interrupted_exit(code: int | None) -> bool:
    """True for the exit code of a console tool stopped by Ctrl+C or a closed console (Windows)."""
    return code is not None and (code in WINDOWS_INTERRUPTED or code == -signal.SIGINT or code == 130)


def popen_options(platform: str = sys.platform) -> dict[str, object]:
    """Popen keywords that give the child its own process group, so the tree can be stopped."""
    if platform == "win32":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}
    return {"start_new_session": True}


def kill_tree(proc: subprocess.Popen[bytes], platform: str = sys.platform, grace: float = 3.0) -> None:
    """Stop ``proc`` and every process it started: asked to end, then killed after ``grace`` seconds.

    psutil finds the tree on every OS (gathered first: a child whose parent ends is re-parented and
    could no longer be found); on POSIX the tool's process group is signalled too, which also
    reaches children that left the tree. On Windows ending is immediate (TerminateProcess), and the
    tool's Job Object (``job_object``) ends what escaped both.
    """
    import psutil

    descendants = _tree(proc.pid)[1:]
    _signal_group(proc.pid, signal.SIGTERM, platform)
    for process in descendants:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    with contextlib.suppress(OSError):
        proc.terminate()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    # Never psutil's wait on ``proc`` itself: it would reap it before Popen learns its exit code.
    _, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
    _signal_group(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM), platform)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()


def _signal_group(pid: int, signum: int, platform: str) -> None:
    """Signal the tool's process group (POSIX; the tool leads its own session)."""
    if platform == "win32" or not hasattr(os, "killpg"):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _tree(pid: int) -> list[psutil.Process]:
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def suspend_tree(pid: int) -> int:
    """Suspend a process and all its children (no CPU, disk or network until resumed); returns how many."""
    import psutil

    done = 0
    for process in _tree(pid):
        try:
            process.suspend()
            done += 1
        except psutil.Error:
            pass  # gone meanwhile
    return done


def resume_tree(pid: int) -> int:
    """Resume what ``suspend_tree`` suspended; returns how many processes were resumed."""
    import psutil

    done = 0
    for process in reversed(_tree(pid)):
        try:
            process.resume()
            done += 1
        except psutil.Error:
            pass
    return done


@dataclass
class ProcessResult:
    argv: list[str]
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.cancelled


def _pump(
    stream: object,
    name: str,
    encoding: str,
    sink: list[str],
    on_line: LineHandler | None,
    secrets: Sequence[str],
) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        line = decode_console(raw, encoding).rstrip("\r\n")
        sink.append(line)
        if on_line is not None:
            try:
                on_line(name, line)
            except Exception:  # a faulty handler must not stop the pipe from draining
                log.exception("output handler failed on %s", redact(line, secrets))


def run_process(
    argv: Sequence[str],
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    encoding: str | None = None,
    on_line: LineHandler | None = None,
    secrets: Iterable[str] = (),
    log_output: bool = True,
    paused: Callable[[], bool] | None = None,
) -> ProcessResult:
    """Run ``argv`` to the end, the timeout, or cancellation; never raises for the tool's failure.

    While ``paused()`` is true the tool's whole process tree is suspended, and the time it spends
    suspended does not count towards ``timeout``. Raises FileNotFoundError / PermissionError when
    the program cannot be started at all.
    """
    secrets = list(secrets)
    argv = [os.fspath(a) for a in argv]
    shown = " ".join(redact_argv(argv, secrets))
    log.debug("running: %s", shown)
    encoding = encoding or console_encoding()
    started = time.monotonic()
    # The tool inherits the run's profile lock, so it stays taken while an orphaned tool still works.
    with inherited_fds() as lock_fds:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            pass_fds=lock_fds if os.name == "posix" else (),
            **popen_options(),  # type: ignore[call-overload]
        )
    job = job_object.contain(proc.pid)  # Windows: the tree ends with the job, whatever happens to us
    out: list[str] = []
    err: list[str] = []
    pumps = [
        threading.Thread(
            target=_pump, args=(proc.stdout, "stdout", encoding, out, on_line, secrets), daemon=True
        ),
        threading.Thread(
            target=_pump, args=(proc.stderr, "stderr", encoding, err, on_line, secrets), daemon=True
        ),
    ]
    for pump in pumps:
        pump.start()
    timed_out = cancelled = suspended = False
    suspended_at, suspended_for = 0.0, 0.0
    while proc.poll() is None:
        if paused is not None and paused() != suspended and not (cancel is not None and cancel.is_set()):
            suspended = not suspended
            if suspended:
                suspended_at = time.monotonic()
                log.info("paused: %d process(es) suspended", suspend_tree(proc.pid))
            else:
                suspended_for += time.monotonic() - suspended_at
                log.info("resumed: %d process(es) go on", resume_tree(proc.pid))
        if cancel is not None and cancel.is_set():
            cancelled = True
        elif timeout is not None and not suspended and time.monotonic() - started - suspended_for > timeout:
            timed_out = True
        if cancelled or timed_out:
            if suspended:
                resume_tree(proc.pid)  # a stopped process would not act on the signal to end
            kill_tree(proc)
            if job is not None:
                job.terminate()
            break
        try:
            proc.wait(timeout=0.05)  # returns as soon as the tool exits (a sleep would add up to 50 ms)
        except subprocess.TimeoutExpired:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    # Children that outlived the leader would keep the pipes open and run on unseen: stop them too.
    _signal_group(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM), sys.platform)
    if job is not None:
        job.close()
    for pump in pumps:
        pump.join(timeout=5)
    result = ProcessResult(
        argv=argv,
        returncode=proc.returncode,
        stdout="\n".join(out),
        stderr="\n".join(err),
        timed_out=timed_out,
        cancelled=cancelled,
        seconds=time.monotonic() - started,
    )
    if log_output:
        for line in out + err:
            if line.strip():
                log.info("  | %s", redact(line, secrets))
    return result
