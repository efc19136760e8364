"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the notification tests: AUTH with one user,
optional STARTTLS or implicit TLS with a throw-away certificate, every message kept as bytes."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
# AUTH without TLS is what a test of security = "none" needs; aiosmtpd rightly warns about it.
QUIET = "ignore:Requiring AUTH while not requiring TLS"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None

    @property
    def email(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse_data: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return "554 5.6.0 message refused by the test"
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login))
        return "250 OK"


class SmtpServer:
    """``with SmtpServer(user="u", password="p") as server:``; ``server.received`` holds the mail."""

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        *,
        security: str = "none",
        cert: tuple[Path, Path] | None = None,
        port: int | None = None,
    ) -> None:
        self.handler = _Handler()
        self.user, self.password = user, password
        self.port = port or free_port()
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs.update(authenticator=self._auth, auth_required=True, auth_require_tls=False)
        context = None
        if cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        if security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(
            self.handler,
            hostname=HOST,
            port=self.port,
            ssl_context=context if security == "tls" else None,
            **kwargs,
        )

    def _auth(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            (self.user or "").encode(),
            (self.password or "").encode(),
        ):
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def server(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 (cert, key), or None without openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
             "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    return free_port()
