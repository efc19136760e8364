"""Keeping secrets (rclone passwords, tokens, credentials in URLs) out of logs, reports and screens."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

MASK = "***"
_SECRET_WORDS = r"(?:pass(?:word)?|token|secret|key|credentials?|auth)"
_FLAG = re.compile(rf"^(--?[\w-]*{_SECRET_WORDS}[\w-]*)(=)(.+)$", re.IGNORECASE)
_FLAG_ALONE = re.compile(rf"^--?[\w-]*{_SECRET_WORDS}[\w-]*$", re.IGNORECASE)
_ENV_ASSIGN = re.compile(rf"\b([A-Z0-9_]*{_SECRET_WORDS.upper()}[A-Z0-9_]*)=(\S+)", re.IGNORECASE)
_URL_CRED = re.compile(r"(\b[a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@", re.IGNORECASE)
_JSON_FIELD = re.compile(rf'("[\w-]*{_SECRET_WORDS}[\w-]*"\s*:\s*)"[^"]*"', re.IGNORECASE)
_TOML_FIELD = re.compile(rf"^(\s*[\w-]*{_SECRET_WORDS}[\w-]*\s+=\s*).+$", re.IGNORECASE | re.MULTILINE)


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Mask secret-looking values and every string in ``known`` (exact secrets)."""
    for secret in sorted({s for s in known if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_CRED.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    text = _ENV_ASSIGN.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    return _TOML_FIELD.sub(lambda m: f"{m.group(1)}{MASK}", text)


def redact_argv(argv: Sequence[str], known: Iterable[str] = ()) -> list[str]:
    """A command line safe to log: values of ``--password x`` / ``--token=x`` style flags masked."""
    known = list(known)
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        match = _FLAG.match(arg)
        if match:
            out.append(f"{match.group(1)}={MASK}")
            continue
        if _FLAG_ALONE.match(arg):
            hide_next = True
        out.append(redact(arg, known))
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record's final message, traceback included."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        super().__init__()
        self.known = list(known)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.known)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # A formatter prints ``exc_text`` when it is set, so the traceback is masked once, here.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.known)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.known)
        return True
