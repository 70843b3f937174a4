import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.audit.router import router as audit_router
from app.config import Settings, get_settings
from app.escalation.router import router as escalation_router
from app.escalation.worker import escalation_worker
from app.handoffs.router import router as handoffs_router
from app.kit.middleware import EdgeMiddleware
from app.kit.problems import (
    Problem,
    ServiceUnavailable,
    handle_http_exception,
    handle_problem,
    handle_unexpected,
    handle_validation_error,
)
from app.leads.router import router as leads_router
from app.migrate import migrate
from app.operators.router import push_router
from app.operators.router import router as operators_router
from app.policies.router import router as policies_router
from app.relay.pwa import mount_pwa
from app.relay.router import router as relay_router
from app.runtime import Runtime
from app.timers.worker import running_worker
from app.webhooks.dispatcher import running_webhooks
from app.webhooks.router import router as webhooks_router

log = logging.getLogger("batonpass")


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
        async with AsyncExitStack() as background:
            await background.enter_async_context(running_webhooks(runtime))
            if settings.run_worker:
                await background.enter_async_context(running_worker(escalation_worker(runtime)))
            try:
                yield
            finally:
                await background.aclose()
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

    # Base64 inflates the largest accepted snapshot by 4/3; the JSON around it is small.
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.snapshot_max_bytes * 4 // 3 + 256 * 1024)

    api = APIRouter(prefix="/api/v1")
    api.include_router(handoffs_router)
    api.include_router(audit_router)
    api.include_router(webhooks_router)
    api.include_router(operators_router)
    api.include_router(push_router)
    api.include_router(escalation_router)
    api.include_router(policies_router)
    api.include_router(leads_router)
    api.include_router(relay_router)

    @api.get("/healthz", tags=["system"])
    async def healthz(request: Request) -> dict[str, str]:
        """Liveness and database reachability."""
        runtime: Runtime = request.app.state.runtime
        try:
            async with runtime.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.exception("health check: database unreachable")
            raise ServiceUnavailable("The database is unreachable.") from exc
        return {"status": "ok", "database": runtime.database.dialect}

    app.include_router(api)
    mount_pwa(app, settings)  # after every API route: it claims only /m, /assets and the PWA's files
    return app


app = create_app()
