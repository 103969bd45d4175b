"""API keys: create (the secret is shown once, only its SHA-256 is stored), list, revoke, check.

A key looks like ``hug_<id>_<secret>``; ``<id>`` is public (``hugai keys list`` shows it). The
secret has 240 random bits, so a plain SHA-256 (no slow KDF) is enough to store it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace

from sqlalchemy import select

from hugai.service import db
from hugai.service.db import ApiKeyRow
from hugai.service.errors import InvalidApiKey, NotFound
from hugai.service.plans import PLANS, Plan
from hugai.service.settings import Settings


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    settings: Settings, name: str, plan: str = "free", **overrides: float | int | None
) -> tuple[ApiKeyRow, str]:
    """A new key with ``plan``'s limits (any of them overridden); returns (row, the secret key)."""
    limits = replace(PLANS[plan], **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    key_id = secrets.token_hex(6)
    key = f"hug_{key_id}_{secrets.token_urlsafe(30)}"
    row = ApiKeyRow(
        id=key_id,
        name=name,
        key_hash=hash_key(key),
        plan=plan,
        videos_per_day=limits.videos_per_day,
        max_size=limits.max_size,
        max_duration=limits.max_duration,
        concurrent_jobs=limits.concurrent_jobs,
        webhook_secret=f"whsec_{secrets.token_urlsafe(32)}",
        created_at=db.now(),
    )
    with db.session(settings.effective_database_url) as s:
        s.add(row)
    return row, key


def list_keys(settings: Settings) -> list[ApiKeyRow]:
    with db.session(settings.effective_database_url) as s:
        return list(s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)))


def revoke_key(settings: Settings, key_id: str) -> ApiKeyRow:
    with db.session(settings.effective_database_url) as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound(f"key {key_id!r}: no such key; `hugai keys list` shows the ids")
        if row.revoked_at is None:
            row.revoked_at = db.now()
        return row


def authenticate(settings: Settings, key: str) -> ApiKeyRow:
    """The live key row for a bearer token, or ``InvalidApiKey``."""
    digest = hash_key(key)
    with db.session(settings.effective_database_url) as s:
        row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))
    if row is None or row.revoked_at is not None:
        raise InvalidApiKey(
            "the API key is unknown or revoked; check the Authorization: Bearer header"
        )
    return row


def plan_of(row: ApiKeyRow) -> Plan:
    return Plan(
        row.plan,
        videos_per_day=row.videos_per_day,
        max_size=row.max_size,
        max_duration=row.max_duration,
        concurrent_jobs=row.concurrent_jobs,
    )
