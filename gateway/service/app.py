"""The FastAPI application of `balance-gateway serve`: API, dashboard, static files, and the
scheduler as a background task for the application's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway import __version__
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.service import api, dashboard
from balance_gateway.gateway.service.auth import Sessions
from balance_gateway.gateway.service.core import GatewayService, ServiceError
from balance_gateway.gateway.service.models import ErrorOut

DESCRIPTION = """\
The balance-gateway service: the unified balance read (canonical model, every configured
system), drift between each sync's source and target, the journal of runs, and plan/apply
within the guardrails. Send `Authorization: Bearer <token>` with a token named in the
config's `[service]` (read or operator). Amounts are decimal strings beside their unit.
"""


def create_app(service: GatewayService, *, run_scheduler: bool = True) -> FastAPI:
    """The application over `service`. With `run_scheduler`, the syncs' schedules are kept
    from startup to shutdown. A run going on at shutdown is cancelled, as Ctrl-C cancels a
    `sync`: the journal shows it partial, and the next run resolves its writes first."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(service.scheduler.run()) if run_scheduler else None
        app.state.scheduler_task = task
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="balance-gateway",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.sessions = Sessions(service.clock.now)
    app.state.scheduler_task = None
    app.state.scheduler_wanted = run_scheduler

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        body = ErrorOut(detail=exc.message, details=exc.details)
        return JSONResponse(body.model_dump(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own body also echoes the input, which could be a pasted token: say where
        # and what, never the value.
        problems = [
            f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
            for error in exc.errors()
        ]
        body = ErrorOut(detail=scrub("; ".join(problems)) or "invalid request", details=[])
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = ErrorOut(detail=str(exc.detail), details=[])
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    app.include_router(api.build_router())
    app.include_router(dashboard.build_router())
    app.mount("/static", StaticFiles(directory=dashboard.HERE / "static"), name="static")
    return app
