"""The FastAPI application: `create_app(settings, models=...)`.

Start-up refuses insecure secrets outside demo mode, runs the Alembic migrations, and only then
answers `GET /health`. The model source is handed in by the caller: `experiments.app.create_app`
(the uvicorn factory) passes the MLflow champion, tests pass a model fitted in memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from service import apidocs
from service.admin import routes as admin
from service.audit import routes as audit
from service.auth import routes as auth
from service.auth.access import principal_from_token, token_from_request
from service.auth.roles import UserRole
from service.cases import routes as cases
from service.decisions import routes as decisions
from service.errors import install_handlers
from service.families import routes as families
from service.imports import jobs as import_jobs
from service.imports import routes as imports
from service.lists import routes as lists
from service.meetings import routes as meetings
from service.middleware.body_limit import BodyLimitMiddleware
from service.middleware.security_headers import HeadedFastAPI
from service.model_source import ModelSource
from service.openapi import install_openapi
from service.records import routes as records
from service.request_log import install_request_log
from service.retention import routes as retention
from service.settings import Settings, get_settings
from service.state import build_state
from service.statistics import routes as statistics
from service.subjects import routes as subjects
from service.ui import install as install_ui

logger = logging.getLogger(__name__)

#: Worker threads for the synchronous handlers (override with PATRONAGE_WORKER_THREADS).
WORKER_THREADS = 8

API_DESCRIPTION = """\
Early-warning lists for district domestic-violence prevention councils.

Schools, clinics and police submit records; the council of each district gets a monthly list of
families ranked by a calibrated risk score, with reasons in Kazakh, Russian and English. The
score supports decisions about **assistance**; a person always decides. Every read of
family-level data is written to a hash-chained access log.

Authenticate with `POST /v1/token` (OAuth2 password flow) and send
`Authorization: Bearer <token>`.
"""


class Health(BaseModel):
    """`database` and `champion` are filled in for an administrator's token only (null for
    everyone else): which database and model version run is nobody else's business."""

    status: str
    database: str | None = None
    champion: str | None = None


def create_app(settings: Settings | None = None, *, models: ModelSource) -> FastAPI:
    """Build the app: check secrets, migrate the database, wire routes.

    `settings` defaults to `get_settings()` (the environment); `models` is where lists get their
    champion model from.
    """
    settings = settings or get_settings()
    state = build_state(settings, models=models)
    # Uploads whose server process died: nothing of them was stored; say so (`failed`).
    import_jobs.fail_interrupted(state)
    engine = state.engine

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Fewer worker threads than Starlette's 40: request handlers hold the GIL and queue on
        # one SQLite write lock, and dozens of threads fighting over both only add latency.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = int(os.environ.get("PATRONAGE_WORKER_THREADS", WORKER_THREADS))
        yield

    app = HeadedFastAPI(  # FastAPI with the security headers on every answer, a 500 too
        title="patronage",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by service.apidocs without a CDN
        redoc_url=None,
    )
    app.state.patronage = state
    install_handlers(app)
    install_openapi(app)  # error answers and security declared on every operation
    install_request_log(app)  # uvicorn's access log shows route templates, not paths
    # Body sizes are checked before anything else reads the request.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
    )

    @app.get("/health", response_model=Health, tags=["health"])
    def health(request: Request) -> Health:
        """Answers once the database is migrated and the app is ready. With an administrator's
        bearer token it also names the database and the champion model version lists are
        built with (null until one is registered); for anyone else both are null."""
        token = token_from_request(request)
        if token is None:
            return Health(status="ok")
        try:
            with state.read_sessions() as session:
                user = principal_from_token(token, state=state, session=session)
        except HTTPException:
            return Health(status="ok")
        if user.role is not UserRole.admin:
            return Health(status="ok")
        champion = state.models.champion()
        return Health(
            status="ok",
            database=engine.dialect.name,
            champion=champion.version if champion else None,
        )

    for router in (  # in the order of the OpenAPI document
        auth.router,
        auth.account_router,
        records.school_router,
        records.clinic_router,
        records.police_router,
        records.guardianship_router,
        imports.router,
        lists.lists_router,
        lists.alerts_router,
        families.council_router,
        decisions.router,
        cases.read_router,
        cases.council_router,
        cases.referrals_router,
        records.corrections_router,
        records.submitter_router,
        lists.explain_router,
        meetings.router,
        subjects.router,
        audit.audit_router,
        audit.models_router,
        lists.generate_router,
        admin.router,
        retention.router,
        statistics.router,
    ):
        app.include_router(router)
    install_ui(app)  # web pages under /ui (service/ui)
    apidocs.install(app)  # /docs and /redoc, assets served locally

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        """The demo prints this address: send browsers to the web pages."""
        return RedirectResponse("/ui/")

    return app
