"""What the API's routes do, apart from HTTP: submit a hug, detect people, identify callers."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import replace

from hugai.config import HugConfig
from hugai.errors import HugError
from hugai.service import jobs, keys, storage, uploads, webhooks
from hugai.service.db import JobRow
from hugai.service.errors import ApiKeyRequired, ConsentRequired, InvalidApiKey
from hugai.service.jobs import Caller
from hugai.service.plans import anonymous_plan
from hugai.service.queue import Publisher
from hugai.service.schemas import DetectOut, HugForm
from hugai.service.settings import Settings
from hugai.service.uploads import CleanPhoto, Upload

WEB_SIZE = 720
"""Default short side when the request names none (or the plan's maximum, if lower)."""


# ---- who is asking -------------------------------------------------------------------------
def caller_for(
    settings: Settings, authorization: str | None, client_cookie: str, client_address: str
) -> Caller:
    """A key's caller from ``Authorization: Bearer``; else the anonymous browser, whose jobs are
    its cookie's and whose quota is its address' (both kept only as salted hashes)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidApiKey("use the header Authorization: Bearer <your API key>")
        row = keys.authenticate(settings, token.strip())
        who = f"key:{row.id}"
        return Caller(owner=who, subject=who, plan=keys.plan_of(row), name=row.name, key_id=row.id)
    return Caller(
        owner=f"anon:{_hash(settings, 'cookie', client_cookie)}",
        subject=f"ip:{_hash(settings, 'ip', client_address)}",
        plan=anonymous_plan(settings),
        name="anonymous",
    )


def _hash(settings: Settings, kind: str, value: str) -> str:
    return hmac.new(_salt(settings), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


@functools.cache
def _salt(settings: Settings) -> bytes:
    """The hashing salt: ``HUGAI_SECRET``, or a random one kept beside the data (made once)."""
    if settings.secret:
        return settings.secret.encode()
    path = settings.data_dir / "secret"
    if not path.exists():
        storage.write_atomic(path, secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def new_client_id() -> str:
    return secrets.token_urlsafe(24)


# ---- submitting ----------------------------------------------------------------------------
def submit(
    settings: Settings,
    caller: Caller,
    form: HugForm,
    files: list[Upload],
    *,
    base_url: str,
    publisher: Publisher,
) -> JobRow:
    """Validate everything first (consent, photos, options, plan, quota), then store and queue."""
    if not form.consent:
        raise ConsentRequired(
            "consent: tick the box to confirm you have the right to use these photos and the "
            "people in them agree (send consent=true)"
        )
    uploads.check_count(files)
    plan = caller.plan
    config = HugConfig(
        duration=form.duration,
        fps=form.fps if form.fps is not None else HugConfig.fps,
        size=form.size if form.size is not None else min(WEB_SIZE, plan.max_size),
        aspect=form.aspect,
        style=form.style,
        seed=form.seed,
    )
    plan.check(config)
    if form.callback_url:
        if caller.key_id is None:
            raise ApiKeyRequired("callback_url: webhooks need an API key (they are signed with it)")
        webhooks.check_url(form.callback_url, settings.webhook_allow_private)
    jobs.check_quota(settings, caller)  # before spending time decoding photos
    cleaned = clean_all(settings, files)
    row = jobs.create(
        settings,
        caller,
        config,
        [c.photo.name for c in cleaned],
        [c.jpeg for c in cleaned],
        base_url=base_url,
        callback_url=form.callback_url,
    )
    publisher.submit(row.id)
    return row


def clean_all(settings: Settings, files: list[Upload]) -> list[CleanPhoto]:
    """Each upload checked and stripped; an error says which photo it is about."""
    uploads.check_count(files)
    names = uploads.unique_names([f.name for f in files])
    out = []
    for i, (f, name) in enumerate(zip(files, names, strict=True)):
        try:
            out.append(uploads.clean(replace(f, name=name), settings))
        except HugError as exc:
            exc.photo = i
            raise
    return out


def detect(settings: Settings, files: list[Upload]) -> DetectOut:
    from hugai.service.detect import detect as detect_people

    return detect_people([c.photo for c in clean_all(settings, files)])
