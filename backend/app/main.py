import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.audit.router import router as audit_router
from app.config import Settings, get_settings
from app.handoffs.router import router as handoffs_router
from app.kit.ids import new_id
from app.kit.problems import (
    Problem,
    handle_http_exception,
    handle_problem,
    handle_unexpected,
    handle_validation_error,
)
from app.migrate import migrate
from app.runtime import Runtime

log = logging.getLogger("batonpass")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.build(settings)
        if settings.migrate_on_start:
            await migrate(runtime.database.engine)
        await runtime.start()
        app.state.runtime = runtime
        # Start-up objects never die: keep them out of the collector's generations (SSE tail latency).
        gc.freeze()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Baton Pass",
        version="0.1.0",
        summary="Human handoffs for AI browser agents.",
        lifespan=lifespan,
    )
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(Exception, handle_unexpected)

    @app.middleware("http")
    async def request_id_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request.state.request_id = incoming if _REQUEST_ID.match(incoming) else new_id("request")
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    api = APIRouter(prefix="/api/v1")
    api.include_router(handoffs_router)
    api.include_router(audit_router)

    @api.get("/healthz", tags=["system"])
    async def healthz(request: Request) -> dict[str, str]:
        """Liveness and database reachability."""
        runtime: Runtime = request.app.state.runtime
        try:
            async with runtime.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.exception("health check: database unreachable")
            raise Problem("The database is unreachable.", status=503) from exc
        return {"status": "ok", "database": runtime.database.dialect}

    app.include_router(api)
    return app


app = create_app()
