"""E-mail over SMTP (stdlib smtplib): ``starttls``, ``tls`` or ``none``, an optional login, a plain
text part and a simple HTML part.

The password is never in ``notifications.toml``: it is in the OS keyring (``keyring`` package;
``rearguard notify password`` stores it) or in an environment variable (``password = "env:NAME"``)
for servers that have no keyring. Every error names what went wrong without the password, and
every network step has a short timeout, so a dead server costs a run a few seconds at most.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate

from engine.notify.http import TIMEOUT_S, ChannelDown, Rejected
from engine.notify.message import Message
from engine.notify.settings import EmailSettings

KEYRING_SERVICE = "Rearguard SMTP"


class PasswordUnavailable(ChannelDown):
    """The SMTP password could not be found (no keyring entry, no environment variable)."""


def keyring_account(settings: EmailSettings) -> str:
    """The keyring entry's user name: the login at its server, so two servers never share one."""
    return f"{settings.user}@{settings.host}"


def smtp_password(settings: EmailSettings, environ: Mapping[str, str]) -> str | None:
    """The password to log in with (None: no login); raises PasswordUnavailable."""
    if not settings.user:
        return None
    name = settings.password_env
    if name is not None:
        value = environ.get(name)
        if not value:
            raise PasswordUnavailable(f"the environment variable {name} (password = 'env:{name}') is not set")
        return value
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, keyring_account(settings))
    except Exception as error:  # any backend's failure: no keyring here, locked, no D-Bus
        raise PasswordUnavailable(
            f"the OS keyring could not be read ({type(error).__name__}); on a server without one use "
            "password = 'env:NAME'"
        ) from None
    if not value:
        raise PasswordUnavailable(
            f"no password in the OS keyring for {keyring_account(settings)}; store it with "
            "'rearguard notify password'"
        )
    return value


def store_password(settings: EmailSettings, password: str) -> str:
    """Put the SMTP password in the OS keyring; returns the entry's name. Raises RuntimeError."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, keyring_account(settings), password)
    except Exception as error:
        raise RuntimeError(
            f"the OS keyring cannot store it ({type(error).__name__}): on a server without a keyring "
            "set password = 'env:NAME' in notifications.toml and give the password in that variable"
        ) from None
    return f"{KEYRING_SERVICE} / {keyring_account(settings)}"


def build_email(message: Message, settings: EmailSettings) -> EmailMessage:
    """The e-mail for ``message``: subject with profile and status, plain text and HTML."""
    mail = EmailMessage()
    mail["Subject"] = f"[Rearguard] {message.title}"
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail["Date"] = formatdate(localtime=True)
    domain = settings.sender.rpartition("@")[2] or "rearguard.invalid"
    # The same message always has the same id: a mail system drops a copy sent again after a crash.
    digest = hashlib.sha256(f"{message.host}\0{message.key}".encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<rearguard.{digest}@{domain}>"
    mail["X-Rearguard-Status"] = message.status
    mail.set_content(message.text())
    mail.add_alternative(message.html(), subtype="html")
    return mail


def _connect(settings: EmailSettings, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "tls":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the server does not offer STARTTLS (security = 'starttls')"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or type(error).__name__})"
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
        return f"the server answered {error.smtp_code} {' '.join(text.split())}".strip()
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


class SmtpSession:
    """One connection to the SMTP server for the messages of one delivery, opened on first use.

    ``send`` raises ChannelDown (server not reachable, TLS failed, login refused, connection lost)
    or Rejected (the server refused this message: a recipient, its size).
    """

    def __init__(self, settings: EmailSettings, password: str | None, timeout: float = TIMEOUT_S) -> None:
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        try:
            smtp = _connect(self.settings, self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelDown(_reason(error)) from None
        if self.password is not None:
            try:
                smtp.login(self.settings.user, self.password)
            except (OSError, smtplib.SMTPException) as error:
                _quit(smtp)
                if isinstance(error, smtplib.SMTPAuthenticationError):
                    raise ChannelDown(f"login refused for {self.settings.user}: {_reason(error)}") from None
                raise ChannelDown(_reason(error)) from None
        return smtp

    def send(self, message: Message) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(build_email(message, self.settings))
        except smtplib.SMTPRecipientsRefused:
            self._reset()
            raise Rejected("the server refused every recipient") from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            self._reset()
            raise Rejected(_reason(error)) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise ChannelDown(_reason(error)) from None

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            _quit(self._smtp)
            self._smtp = None


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
