"""Webhooks: a signed POST to the job's ``callback_url`` when it succeeds or fails.

Signature (Stripe-style, so a replayed old body can be refused)::

    HugAI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key's webhook secret, "<t>.<raw body>")>

``verify`` is what a receiver runs; docs/SERVICE.md shows it standalone.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import httpx

from hugai.service.errors import InvalidCallbackUrl

log = logging.getLogger("hugai.service")

HEADER = "HugAI-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most 5 minutes old."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def check_url(url: str, allow_private: bool) -> None:
    """Refuse callback URLs that are not http(s) or (unless allowed) point inside our network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCallbackUrl(f"callback_url {url!r}: use an http:// or https:// URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise InvalidCallbackUrl(f"callback_url {url!r}: the host does not resolve") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if not addr.is_global:
            raise InvalidCallbackUrl(
                f"callback_url {url!r}: points to a private address; use a public URL"
            )


def deliver(
    url: str,
    secret: str,
    payload: dict[str, object],
    *,
    timeout: float,
    attempts: int,
    allow_private: bool,
) -> str:
    """POST the payload, retrying on failure; returns a short delivery status for the job row."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    status = "not sent"
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(2.0**attempt, 10.0))
        try:
            check_url(url, allow_private)  # again at send time: DNS may have changed
            r = httpx.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "HugAI-Webhook/1",
                    HEADER: sign(secret, body),
                },
                timeout=timeout,
                follow_redirects=False,
            )
        except (httpx.HTTPError, InvalidCallbackUrl) as exc:
            status = f"failed: {exc.__class__.__name__}"
            log.warning("webhook %s attempt %d: %s", url, attempt + 1, exc)
            continue
        status = f"{r.status_code}"
        if r.is_success:
            return f"delivered ({status})"
        log.warning("webhook %s attempt %d: HTTP %s", url, attempt + 1, r.status_code)
    return f"failed ({status})"
