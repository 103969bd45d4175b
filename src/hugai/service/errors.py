"""The service's own errors, in the engine's ``HugError`` family, and the ONE place that turns any
``HugError`` (engine or service) into an HTTP answer: ``{"code": ..., "message": ...}``.
"""

from __future__ import annotations

from hugai.errors import HugError, InputError


class ServiceError(HugError):
    """Base of errors only the service raises (auth, quotas, missing jobs)."""


class ConsentRequired(InputError):
    code = "consent_required"
    http_status = 400


class InvalidCallbackUrl(InputError):
    code = "invalid_callback_url"
    http_status = 400


class InvalidApiKey(ServiceError):
    code = "invalid_api_key"
    http_status = 401


class ApiKeyRequired(ServiceError):
    code = "api_key_required"
    http_status = 401


class OverPlanLimit(ServiceError):
    """Asked for more than the plan allows (resolution, length): retrying will not help."""

    code = "over_plan_limit"
    http_status = 403


class NotFound(ServiceError):
    code = "not_found"
    http_status = 404


class NotReady(ServiceError):
    code = "not_ready"
    http_status = 409


class QuotaExceeded(ServiceError):
    """Too many videos today or too many at once; ``retry_after`` seconds until one frees up."""

    code = "quota_exceeded"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class WorkerLost(ServiceError):
    """The job's render was interrupted (its worker stopped) more often than it is retried."""

    code = "worker_lost"
    http_status = 500


class Internal(ServiceError):
    code = "internal_error"
    http_status = 500


def http_error(exc: HugError) -> tuple[int, dict[str, object], dict[str, str]]:
    """(status, JSON body, headers) for an error; the only mapping from errors to HTTP."""
    body: dict[str, object] = {"code": exc.code, "message": exc.message}
    photo = getattr(exc, "photo", None)
    if photo is not None:
        body["photo"] = photo
    headers: dict[str, str] = {}
    if isinstance(exc, QuotaExceeded):
        headers["Retry-After"] = str(exc.retry_after)
    return exc.http_status, body, headers
