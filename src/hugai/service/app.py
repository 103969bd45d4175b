"""The FastAPI application: the web page, the /v1 API, and its wiring to the render queue.

Routes are thin: they read HTTP, call ``hugs``/``jobs``, and shape the answer with ``schemas``.
Every error leaves through ``errors.http_error``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hugai.errors import HugError, ImageTooLarge, InputError
from hugai.service import hugs, jobs, storage
from hugai.service.errors import Internal, NotFound, NotReady, http_error
from hugai.service.jobs import Caller
from hugai.service.queue import LocalPool, Maintenance, publisher_for
from hugai.service.schemas import (
    DetectOut,
    HealthOut,
    HugForm,
    JobListOut,
    JobOut,
    MeOut,
    PlanOut,
)
from hugai.service.settings import Settings, get_settings
from hugai.service.uploads import MAX_PHOTOS, Upload

log = logging.getLogger("hugai.service")

WEB_DIR = Path(__file__).parent / "static"
COOKIE = "hugai_client"
SSE_POLL_SECONDS = 0.5

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


def create_app(settings: Settings | None = None, workers: int = 1) -> FastAPI:
    """The app; with ``workers`` > 0 it also renders in-process (else only the queue's workers)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        pool = LocalPool(settings, workers) if workers > 0 else None
        publisher = publisher_for(settings, pool)
        maintenance = Maintenance(settings, publisher)
        app.state.publisher = publisher
        app.state.queue = "celery" if settings.redis_url else "local"
        await run_in_threadpool(jobs.sweep, settings)  # also creates the tables
        if pool is not None:
            pool.start()
        maintenance.start()
        log.info(
            "HugAI service: %s queue, %d in-process render worker(s), data in %s",
            app.state.queue,
            workers,
            settings.data_dir,
        )
        yield
        maintenance.stop()
        if pool is not None:
            await run_in_threadpool(pool.stop)

    app = FastAPI(
        title="HugAI",
        version="1",
        summary="One photo of two people (or two photos) in, a short hug video out.",
        lifespan=lifespan,
        docs_url=None,  # served from the package below, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    _install_error_handlers(app)
    app.add_middleware(ClientCookie)
    app.add_middleware(
        BodyLimit,
        max_bytes=MAX_PHOTOS * settings.max_upload_bytes + 2**20,
        photo_mb=settings.max_upload_mb,
    )
    _add_routes(app, settings)
    _add_docs(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


DOCS_ASSETS = "/docs-assets"


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the ``swagger-ui-bundle`` package: FastAPI's default page loads
    its script from a CDN, which fails offline and tells a third party who reads our docs."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="HugAI API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


# ---- dependencies --------------------------------------------------------------------------
def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _caller(request: Request) -> Caller:
    return hugs.caller_for(
        _settings(request),
        request.headers.get("authorization"),
        request.scope["hugai_client"],
        request.client.host if request.client else "unknown",
    )


CallerDep = Annotated[Caller, Depends(_caller)]
PhotosField = Annotated[
    list[UploadFile], File(description="One photo of two people, or two photos of one person")
]


def _uploads(files: list[UploadFile]) -> list[Upload]:
    return [Upload(name=f.filename or "photo", data=f.file.read()) for f in files]


def _base_url(request: Request) -> str:
    """Where this server is reached: ``HUGAI_PUBLIC_URL``, else the request's own URL."""
    return _settings(request).public_url or str(request.base_url)


# ---- routes --------------------------------------------------------------------------------
def _add_routes(app: FastAPI, settings: Settings) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    @app.get("/healthz", response_model=HealthOut, tags=["service"])
    def health(request: Request) -> HealthOut:
        return HealthOut(ok=True, queue=request.app.state.queue)

    @app.get("/v1/me", response_model=MeOut, tags=["account"])
    def me(caller: CallerDep) -> MeOut:
        """Your plan's limits and how many videos you made in the last 24 hours."""
        p = caller.plan
        return MeOut(
            caller=caller.name,
            plan=PlanOut(
                name=p.name,
                videos_per_day=p.videos_per_day,
                max_size=p.max_size,
                max_duration=p.max_duration,
                concurrent_jobs=p.concurrent_jobs,
                used_today=jobs.used_today(settings, caller.subject),
            ),
            retention_hours=settings.retention_hours,
        )

    @app.post("/v1/detect", response_model=DetectOut, tags=["hugs"])
    def detect(photos: PhotosField, _caller: CallerDep) -> DetectOut:
        """Find the people in the photos (boxes) and say whether they make a hug. Stores nothing."""
        return hugs.detect(settings, _uploads(photos))

    @app.post("/v1/hugs", response_model=JobOut, status_code=202, tags=["hugs"])
    def create_hug(
        request: Request,
        photos: PhotosField,
        form: Annotated[HugForm, Form()],
        caller: CallerDep,
    ) -> JobOut:
        """Start a hug video. Poll the job, follow its events, or get a webhook."""
        row = hugs.submit(
            settings,
            caller,
            form,
            _uploads(photos),
            base_url=_base_url(request),
            publisher=request.app.state.publisher,
        )
        return JobOut.of(row, _base_url(request))

    @app.get("/v1/hugs", response_model=JobListOut, tags=["hugs"])
    def list_hugs(
        request: Request, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
    ) -> JobListOut:
        """Your own jobs, newest first."""
        rows = jobs.list_for(settings, caller.owner, limit)
        return JobListOut(items=[JobOut.of(r, _base_url(request)) for r in rows])

    @app.get("/v1/hugs/{job_id}", response_model=JobOut, tags=["hugs"])
    def get_hug(request: Request, job_id: str, caller: CallerDep) -> JobOut:
        return JobOut.of(jobs.get(settings, _checked(job_id), caller.owner), _base_url(request))

    @app.delete("/v1/hugs/{job_id}", status_code=204, tags=["hugs"])
    def delete_hug(job_id: str, caller: CallerDep) -> Response:
        """Delete the job, its photos and its video now (a running render stops)."""
        jobs.remove(settings, _checked(job_id), caller.owner)
        return Response(status_code=204)

    @app.get("/v1/hugs/{job_id}/video", tags=["hugs"], response_class=FileResponse)
    def video(job_id: str, caller: CallerDep, download: bool = False) -> FileResponse:
        """The MP4 (H.264); ``?download=1`` asks the browser to save it."""
        path = _result_file(settings, _checked(job_id), caller.owner, "video_file")
        return FileResponse(
            path,
            media_type="video/mp4",
            filename=f"hug-{job_id[:8]}.mp4",
            content_disposition_type="attachment" if download else "inline",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    @app.get("/v1/hugs/{job_id}/poster", tags=["hugs"], response_class=FileResponse)
    def poster(job_id: str, caller: CallerDep) -> FileResponse:
        """A JPEG still from the middle of the video."""
        path = _result_file(settings, _checked(job_id), caller.owner, "poster_file")
        return FileResponse(
            path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
        )

    @app.get("/v1/hugs/{job_id}/events", tags=["hugs"], response_class=StreamingResponse)
    async def events(job_id: str, request: Request, caller: CallerDep) -> StreamingResponse:
        """Server-sent events: a ``job`` event with the job each time it changes, until it ends;
        ``gone`` if it is deleted meanwhile."""
        row = await run_in_threadpool(jobs.get, settings, _checked(job_id), caller.owner)
        return StreamingResponse(
            _job_events(request, row.id, caller.owner),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _job_events(request: Request, job_id: str, owner: str) -> AsyncIterator[str]:
        last = None
        quiet = 0.0
        while not await request.is_disconnected():
            try:
                row = await run_in_threadpool(jobs.get, settings, job_id, owner)
            except NotFound as exc:
                yield f"event: gone\ndata: {json.dumps(http_error(exc)[1])}\n\n"
                return
            data = JobOut.of(row, _base_url(request)).model_dump_json()
            if data != last:
                last, quiet = data, 0.0
                yield f"event: job\ndata: {data}\n\n"
                if row.status in ("succeeded", "failed"):
                    return
            elif quiet >= 15:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(SSE_POLL_SECONDS)
            quiet += SSE_POLL_SECONDS


def _checked(job_id: str) -> str:
    if not (job_id.isalnum() and len(job_id) <= 32):
        raise NotFound(f"hug {job_id!r}: no such job")
    return job_id


def _result_file(settings: Settings, job_id: str, owner: str, key: str) -> Path:
    row = jobs.get(settings, job_id, owner)
    if row.status != "succeeded" or not row.result:
        raise NotReady(f"hug {job_id}: the video is not ready (status: {row.status})")
    path = storage.job_dir(settings, job_id) / row.result[key]
    if not path.is_file():
        raise NotFound(f"hug {job_id}: the video has been deleted")
    return path


# ---- errors: every one leaves as {"code", "message"} ---------------------------------------
_FRAMEWORK_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed"}


def _install_error_handlers(app: FastAPI) -> None:
    def answer(exc: HugError) -> JSONResponse:
        status, body, headers = http_error(exc)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(HugError)
    async def hug_error(_request: Request, exc: HugError) -> JSONResponse:
        return answer(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
        return answer(InputError("; ".join(parts) or "invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def http_exc(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _FRAMEWORK_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(
            {"code": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return answer(Internal("something went wrong on our side; please try again"))


# ---- middleware ----------------------------------------------------------------------------
class ClientCookie:
    """Gives each browser a random id cookie (its anonymous jobs are found by it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        for k, v in scope.get("headers", []):
            if k == b"cookie":
                cookie.load(v.decode("latin-1"))
        existing = cookie.get(COOKIE)
        scope["hugai_client"] = existing.value if existing else hugs.new_client_id()
        if existing:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        header = (
            f"{COOKIE}={scope['hugai_client']}; Path=/; Max-Age=31536000; HttpOnly; "
            f"SameSite=Lax{secure}"
        ).encode()

        async def send_with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"set-cookie", header))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` before reading it (413 ``too_large``)."""

    def __init__(self, app: ASGIApp, max_bytes: int, photo_mb: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.photo_mb = photo_mb

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                status, body, _ = http_error(
                    ImageTooLarge(
                        f"the upload is {int(length) / 2**20:.1f} MB; send at most "
                        f"{self.max_bytes / 2**20:.0f} MB (photos of at most "
                        f"{self.photo_mb:g} MB each)"
                    )
                )
                await JSONResponse(body, status_code=status)(scope, receive, send)
                return
            received = 0

            async def limited() -> Any:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise ImageTooLarge("the upload is too large")
                return message

            await self.app(scope, limited, send)
            return
        await self.app(scope, receive, send)
