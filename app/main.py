"""Application factory."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from app.api import companies as api_companies
from app.api import docs as api_docs
from app.api import entities as api_entities
from app.api import events as api_events
from app.api import frames as api_frames
from app.api import history as api_history
from app.api import market as api_market
from app.api import metrics as api_metrics
from app.api import network as api_network
from app.api import quarter_frames as api_quarter_frames
from app.api import sites as api_sites
from app.api import writes as api_writes
from app.cache import publish_hooks
from app.cache.fast_path import ReadCacheMiddleware
from app.cache.revisions import RevisionReader, make_revision_reader
from app.http import errors, health, problems, static_routes
from app.http.admission import DatabaseAdmission
from app.http.assets import STATIC_DIR
from app.http.auth import HashingBusy, LoginRequired, login_required_handler
from app.http.cors import PublicReadCors
from app.http.input_guard import InputGuard
from app.http.logging_setup import RequestIdMiddleware, configure_logging
from app.http.methods import MethodSemantics
from app.http.origin import CrossOriginGuard
from app.http.private_pages import NoStoreForStaff
from app.http.security import SecurityHeadersMiddleware
from app.runtime import freeze_startup_objects
from app.settings import SettingsError, get_settings
from app.store.db import DatabaseUnavailable, check_database, get_engine, request_slots
from app.web import admin as staff_admin
from app.web import auth as staff_auth
from app.web import (
    compare,
    dashboard,
    league,
    release_feed,
    sites,
    sources,
    staff_home,
    staff_month_edit,
    staff_month_history,
    staff_month_review,
    staff_months,
)
from app.web import staff_import as staff_import
from app.web import tokens as staff_tokens

log = logging.getLogger("minedash")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The app is built and every module imported: what is alive now lives as long as the worker. Not under
    # the test suite, whose apps come and go by the hundred in one process (frozen, their cycles would stay).
    if get_settings().environment != "test":
        freeze_startup_objects()
        publish_hooks.start_render_process(get_engine())
    yield
    reader: RevisionReader | None = getattr(app.state, "revision_reader", None)
    if reader is not None:
        await reader.close()
    # Closing the pool's connections is socket and file I/O: off the event loop like every other.
    await run_in_threadpool(get_engine().dispose)


def _stop(message: str) -> NoReturn:
    # One clear line, then stop: a server whose every page fails helps no one. Checked in the factory
    # (not the lifespan) because uvicorn prints a traceback for lifespan failures.
    print(f"minedash: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def create_app(*, check_database_on_startup: bool = True) -> FastAPI:
    try:
        settings = get_settings()
        if check_database_on_startup:
            check_database(get_engine())
    except (SettingsError, DatabaseUnavailable) as exc:
        _stop(str(exc))
    configure_logging(settings.log_level)

    app = FastAPI(
        title="Minedash API",
        version="1",
        description="Monthly production figures of bitcoin-mining companies, per site and per company.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(StarletteHTTPException, errors.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, errors.validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(SQLAlchemyError, errors.database_error)
    app.add_exception_handler(LoginRequired, login_required_handler)
    app.add_exception_handler(HashingBusy, errors.hashing_busy)  # type: ignore[arg-type]
    # The fast path for repeated public reads reads the revision with this (the tests point it at their
    # rolled-back transaction, so the fast path runs under the whole suite).
    app.state.revision_reader = make_revision_reader(settings.database_url, get_engine())
    # A publish renders the changed companies' overview right after it answers, so their first reader after a
    # release gets a finished page from any worker.
    publish_hooks.on_publish("overview", dashboard.prebuild_overviews)
    # Inside the fast path, which needs no pooled connection: the routes' requests, as many as the pool serves.
    app.add_middleware(DatabaseAdmission, slots=request_slots(settings.database_url))
    # Innermost but for admission: whatever the other middleware do to the app's answers, they do to the fast path's.
    app.add_middleware(ReadCacheMiddleware)
    app.add_middleware(problems.BodyLimitMiddleware)
    # Refusals of input no route could take (control characters, over-long URLs), before any route runs.
    app.add_middleware(InputGuard)
    # Inside the request id and the security headers, so its refusals still carry them.
    app.add_middleware(CrossOriginGuard)
    app.add_middleware(NoStoreForStaff)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    # HEAD as GET (outside compression, so a HEAD's headers are the GET's), OPTIONS, the full Allow of a 405.
    app.add_middleware(MethodSemantics)
    # An exception no handler took becomes a 500 here, inside the two below, so it has their headers.
    app.add_middleware(errors.UnhandledErrors)
    # Outside the fast path, so answers from memory carry the CORS headers too.
    app.add_middleware(PublicReadCors)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)

    app.include_router(health.router)
    app.include_router(static_routes.router)
    app.include_router(api_companies.router)
    app.include_router(api_sites.router)
    app.include_router(api_history.router)
    app.include_router(api_network.router)
    app.include_router(api_events.router)
    app.include_router(api_quarter_frames.router)
    app.include_router(api_frames.router)
    app.include_router(api_market.router)
    app.include_router(api_metrics.router)
    app.include_router(api_writes.router)
    app.include_router(api_entities.router)
    app.include_router(api_docs.router)
    app.include_router(dashboard.router)
    app.include_router(release_feed.router)
    app.include_router(sites.router)
    app.include_router(compare.router)
    app.include_router(league.router)
    app.include_router(sources.router)
    app.include_router(staff_auth.router)
    app.include_router(staff_home.router)
    app.include_router(staff_admin.router)
    app.include_router(staff_tokens.router)
    # The month list (with /months/new) before the form's /months/{period}.
    app.include_router(staff_months.router)
    app.include_router(staff_month_edit.router)
    app.include_router(staff_month_review.router)
    app.include_router(staff_month_history.router)
    app.include_router(staff_import.router)
    app.mount("/static", static_routes.VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = api_docs.api_openapi(app)  # type: ignore[method-assign]
    return app
