"""The one way Rearguard runs an external tool (rclone, RevitServerTool).

Argument lists only (never a shell), a timeout, cancellation that stops the whole process tree
(process_tree.py; a Job Object on Windows), a pause that suspends the whole tree until resumed,
console output decoded with the right code page, and secrets redacted before anything is logged.
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

from engine.tools import job_object
from engine.tools.inherited import inherited_fds
from engine.tools.process_tree import kill_tree, popen_options, resume_tree, signal_group, suspend_tree
from engine.tools.redact import redact, redact_argv

log = logging.getLogger("rearguard.process")

# 0xC000013A: STATUS_CONTROL_C_EXIT, what Windows reports for a console program interrupted.
WINDOWS_INTERRUPTED = (0xC000013A, -1073741510)

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


def launch_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    encoding: str | None = None,
    on_line: LineHandler | None = None,
    secrets: Iterable[str] = (),
    takes_input: bool = False,
) -> Launched:
    """Start ``argv`` with its output drained on two threads; ``Launched.wait`` follows it to the end.

    ``takes_input``: the tool's standard input is a pipe that ``Launched.send`` fills and closes
    (else it reads nothing), and no thread is started before that: a tool started ahead of the
    walk's fork (engine.files.forked) leaves the process without threads until it gets its input.
    Raises FileNotFoundError / PermissionError when the program cannot be started at all.
    """
    secrets = list(secrets)
    argv = [os.fspath(a) for a in argv]
    log.debug("running: %s", " ".join(redact_argv(argv, secrets)))
    # The tool inherits the run's profile lock, so it stays taken while an orphaned tool still works.
    with inherited_fds() as lock_fds:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if takes_input else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            pass_fds=lock_fds if os.name == "posix" else (),
            **popen_options(),  # type: ignore[call-overload]
        )
    job = job_object.contain(proc.pid)  # Windows: the tree ends with the job, whatever happens to us
    launched = Launched(argv, proc, job, secrets, encoding or console_encoding(), on_line)
    if not takes_input:
        launched.drain()
    return launched


@dataclass
class Launched:
    """A started tool (``launch_process``)."""

    argv: list[str]
    proc: subprocess.Popen[bytes]
    job: job_object.JobObject | None
    secrets: list[str]
    encoding: str
    on_line: LineHandler | None = None
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)
    ended: bool = False  # followed to its end (``wait``) or stopped (``discard``)

    def drain(self) -> None:
        """Read the tool's output on two threads from now on (once)."""
        if self.pumps:
            return
        streams = (("stdout", self.proc.stdout, self.out), ("stderr", self.proc.stderr, self.err))
        for name, stream, sink in streams:
            pump = threading.Thread(
                target=_pump,
                args=(stream, name, self.encoding, sink, self.on_line, self.secrets),
                daemon=True,
            )
            pump.start()
            self.pumps.append(pump)

    def send(self, data: bytes) -> None:
        """Write ``data`` to the tool's input and close it, so the tool reads it to its end.

        A tool that ended before it read everything is not an error here: ``wait`` reports how it ended.
        """
        self.drain()
        pipe = self.proc.stdin
        if pipe is None:
            return
        try:
            pipe.write(data)
        except OSError:  # it ended first (a broken pipe; EINVAL on Windows)
            pass
        with contextlib.suppress(OSError):
            pipe.close()

    def discard(self) -> None:
        """Stop a tool that is no longer needed (one started ahead for work that did not come).

        One still waiting for its input has done nothing yet: it is killed at once. One that got
        its input is stopped as a cancel stops it. Nothing for a tool already followed to its end.
        """
        if self.ended:
            return
        waiting = self.proc.stdin is not None and not self.proc.stdin.closed
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        if self.proc.poll() is None:
            if waiting:
                with contextlib.suppress(OSError):
                    self.proc.kill()
            else:
                kill_tree(self.proc, grace=1.0)
            if self.job is not None:
                self.job.terminate()
        self._reap()

    def wait(
        self,
        *,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        paused: Callable[[], bool] | None = None,
        log_output: bool = True,
    ) -> ProcessResult:
        """Follow the tool to its end, the timeout (counted from now), or cancellation.

        While ``paused()`` is true the tool's whole process tree is suspended, and the time it
        spends suspended does not count towards ``timeout``.
        """
        self.drain()
        proc = self.proc
        started = time.monotonic()
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
            elif timeout is not None and not suspended:
                timed_out = time.monotonic() - started - suspended_for > timeout
            if cancelled or timed_out:
                if suspended:
                    resume_tree(proc.pid)  # a stopped process would not act on the signal to end
                kill_tree(proc)
                if self.job is not None:
                    self.job.terminate()
                break
            self._until_ended(0.05)
        self._reap()
        result = ProcessResult(
            argv=self.argv,
            returncode=proc.returncode,
            stdout="\n".join(self.out),
            stderr="\n".join(self.err),
            timed_out=timed_out,
            cancelled=cancelled,
            seconds=time.monotonic() - started,
        )
        if log_output:
            for line in self.out + self.err:
                if line.strip():
                    log.info("  | %s", redact(line, self.secrets))
        return result

    def _until_ended(self, seconds: float) -> None:
        """Wait up to ``seconds``, returning as soon as the tool ends.

        ``Popen.wait`` with a timeout polls, sleeping 1, 2, 4, 8, 16 ms... between looks: a tool
        that takes 17 ms is seen ending after 31. A tool that ends closes its output, which ends
        the thread reading it at once, and joining that thread wakes without polling; only once
        the output is closed is the process itself polled (it is ending: the first looks find it).
        """
        reading = [pump for pump in self.pumps if pump.is_alive()]
        if reading:
            reading[-1].join(timeout=seconds)
            return
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass

    def _reap(self) -> None:
        self.ended = True
        proc = self.proc
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # Children that outlived the leader would keep the pipes open and run on unseen: stop them too.
        signal_group(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM), sys.platform)
        if self.job is not None:
            self.job.close()
            self.job = None
        for pump in self.pumps:
            pump.join(timeout=5)
        if not self.pumps:  # stopped before it was read: nobody else closes its pipes
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


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
    launched = launch_process(argv, env=env, cwd=cwd, encoding=encoding, on_line=on_line, secrets=secrets)
    return launched.wait(timeout=timeout, cancel=cancel, paused=paused, log_output=log_output)
