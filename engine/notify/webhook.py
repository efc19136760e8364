"""Webhooks and health-check pings: the body each service expects, POSTed with ``engine.notify.http``.

- ``json``: the run report exactly as ``--json`` prints it (other events: the same keys);
- ``slack``: an incoming webhook's ``{"text": ...}`` (Mattermost and Rocket.Chat take it too);
- ``teams``: an Adaptive Card in a ``message`` envelope, what a Teams Workflows webhook (and the
  older incoming webhook) takes;
- ``ntfy``: the text as the body, with ``Title``, ``Priority`` and ``Tags`` headers;
- pings (Healthchecks.io protocol, Uptime Kuma push): ``<ping>/start``, ``<ping>``, ``<ping>/fail``
  with the summary as the body.
"""

from __future__ import annotations

import json
from email.header import Header
from typing import Any

from engine.notify.http import TIMEOUT_S, post
from engine.notify.message import Message

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
TEXT_HEADERS = {"Content-Type": "text/plain; charset=utf-8"}
PING_START, PING_OK, PING_FAIL = "/start", "", "/fail"


def _header(value: str) -> str:
    """An HTTP header value; non-ASCII text as RFC 2047 (which ntfy decodes)."""
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def json_body(message: Message) -> bytes:
    return json.dumps(message.event_json(), ensure_ascii=False).encode("utf-8")


def slack_body(message: Message) -> bytes:
    text = f"*{message.title}*\n{message.summary()}"
    if message.log:
        text += f"\nLog: {message.log}"
    return json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")


def teams_card(message: Message) -> dict[str, Any]:
    facts = [{"title": "Profile", "value": message.profile}] if message.profile else []
    facts += [{"title": "Status", "value": message.status}, {"title": "Computer", "value": message.host}]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": "Attention" if message.problem else "Good",
        },
        {"type": "FactSet", "facts": facts},
        *({"type": "TextBlock", "text": line, "wrap": True} for line in message.lines),
    ]
    if message.failures:
        listed = "\n".join(f"- {f}" for f in message.failures)
        body.append({"type": "TextBlock", "text": listed, "wrap": True, "fontType": "Monospace"})
    if message.todo:
        body.append({"type": "TextBlock", "text": f"What to do: {message.todo}", "wrap": True})
    if message.log:
        body.append({"type": "TextBlock", "text": f"Log: {message.log}", "wrap": True, "isSubtle": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                },
            }
        ],
    }


def ntfy_request(message: Message) -> tuple[bytes, dict[str, str]]:
    headers = {
        **TEXT_HEADERS,
        "Title": _header(message.title),
        "Priority": "high" if message.problem else "default",
        "Tags": "warning" if message.problem else "white_check_mark",
    }
    text = message.summary() + (f"\nLog: {message.log}" if message.log else "")
    return text.encode("utf-8"), headers


def webhook_request(message: Message, fmt: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers a webhook of format ``fmt`` expects for ``message``."""
    if fmt == "slack":
        return slack_body(message), JSON_HEADERS
    if fmt == "teams":
        return json.dumps(teams_card(message), ensure_ascii=False).encode("utf-8"), JSON_HEADERS
    if fmt == "ntfy":
        return ntfy_request(message)
    return json_body(message), JSON_HEADERS


def send_webhook(url: str, fmt: str, message: Message, timeout: float = TIMEOUT_S) -> None:
    body, headers = webhook_request(message, fmt)
    post(url, body, headers, timeout)


def ping_url(base: str, suffix: str) -> str:
    """``<ping>/start``, ``<ping>`` or ``<ping>/fail`` (a query string stays at the end)."""
    head, mark, query = base.partition("?")
    return head.rstrip("/") + suffix + mark + query if suffix else base


def send_ping(base: str, suffix: str, body: str, timeout: float = TIMEOUT_S) -> None:
    post(ping_url(base, suffix), body.encode("utf-8")[:10_000], TEXT_HEADERS, timeout)
