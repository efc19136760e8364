"""One way to POST to a webhook or a health-check service: stdlib urllib, a short timeout, no
redirects (a POST that is redirected arrives nowhere), credentials in the URL sent as Basic auth.

Two kinds of failure, because the outbox treats them differently:
- ``ChannelDown``: nothing was delivered and the same message may well go later (no answer, refused
  connection, a timeout, a 5xx, 401/403/404/408/429): the channel's messages stay in the outbox;
- ``Rejected``: the service answered and refused this message (another 4xx): tried a few times more.
Messages never contain the URL (it holds the token); the caller masks them once more anyway.
"""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

TIMEOUT_S = 5.0
_DOWN_CODES = frozenset({401, 403, 404, 408, 425, 429})


class ChannelDown(Exception):
    """The channel could not be reached or cannot take messages now."""


class Rejected(Exception):
    """The channel answered and refused this message."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx becomes an HTTPError below


_OPENER = urllib.request.build_opener(_NoRedirect)


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without ``user:password@`` and the Authorization header that carries them instead."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, {}
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return type(error).__name__ if not str(error) else str(error)


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = TIMEOUT_S) -> int:
    """POST ``body``; returns the HTTP status (2xx), raises ChannelDown or Rejected."""
    target, auth = split_credentials(url)
    request = urllib.request.Request(target, data=body, method="POST", headers={**headers, **auth})
    request.add_header("User-Agent", "Rearguard")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return int(response.status)
    except urllib.error.HTTPError as error:
        code = int(error.code)
        error.close()
        if 300 <= code < 400:
            raise ChannelDown(f"answered with a redirect (HTTP {code}); put the final address in") from None
        if code >= 500 or code in _DOWN_CODES:
            raise ChannelDown(f"HTTP {code} {error.reason}") from None
        raise Rejected(f"HTTP {code} {error.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise ChannelDown(_reason(error)) from None
