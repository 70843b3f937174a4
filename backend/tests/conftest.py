"""Fixtures shared by every layer: real databases (SQLite always, PostgreSQL and Redis when their URLs are
set), the app with its lifespan, tenants with keys, and a live uvicorn server for SSE and restarts."""

import asyncio
import base64
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.auth.keys import Scope, create_api_key
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.migrate import migrate
from app.tenants.service import create_tenant

BACKEND_DIR = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BATONPASS_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("BATONPASS_TEST_REDIS_URL")
TEST_MASTER_KEY = base64.b64encode(b"k" * 32).decode()

DATABASES = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"batonpass databases under test: {', '.join(DATABASES)}"]
    if not POSTGRES_URL:
        lines.append("!!! PostgreSQL tests NOT RUN: set BATONPASS_TEST_POSTGRES_URL (.ci/run does) !!!")
    if not REDIS_URL:
        lines.append("!!! Redis event-bus tests NOT RUN: set BATONPASS_TEST_REDIS_URL (.ci/run does) !!!")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in pytest_report_header(terminalreporter.config):
        if line.startswith("!!!"):
            terminalreporter.write_line(line, yellow=True, bold=True)


def _migrate(url: str) -> None:
    async def run() -> None:
        database = Database(url)
        await migrate(database.engine)
        await database.dispose()

    asyncio.run(run())


def _create_private_postgres(admin_url: str) -> tuple[str, str]:
    """A fresh database per test session, so concurrent runs (developers, helpers, CI) never collide."""
    name = f"bp_test_{os.getpid()}_{secrets.token_hex(3)}"
    base = make_url(admin_url)

    async def run() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(run())
    return name, base.set(database=name).render_as_string(hide_password=False)


def _drop_private_postgres(admin_url: str, name: str) -> None:
    async def run() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    private: str | None = None
    if POSTGRES_URL:
        private, urls["postgres"] = _create_private_postgres(POSTGRES_URL)
    for url in urls.values():
        _migrate(url)
    yield urls
    if POSTGRES_URL and private:
        _drop_private_postgres(POSTGRES_URL, private)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> str:
    return database_urls[str(request.param)]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        master_key=TEST_MASTER_KEY,
        migrate_on_start=False,
        public_url="http://testserver",
        sse_ping_s=1.0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def database(app: FastAPI) -> Database:
    db: Database = app.state.runtime.database
    return db


@dataclass
class TenantKeys:
    tenant_id: str
    agent_key: str
    admin_key: str

    @property
    def agent(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.agent_key}"}

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


async def make_tenant(database: Database, name: str = "acme") -> TenantKeys:
    async with database.transaction() as session:
        tenant = await create_tenant(session, name)
        agent_key, _ = await create_api_key(session, tenant.id, Scope.AGENT, "agent")
        admin_key, _ = await create_api_key(session, tenant.id, Scope.ADMIN, "admin")
    return TenantKeys(tenant.id, agent_key, admin_key)


@pytest.fixture
async def tenant(database: Database) -> TenantKeys:
    return await make_tenant(database, "acme")


@pytest.fixture
async def other_tenant(database: Database) -> TenantKeys:
    return await make_tenant(database, "globex")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def start_live_server(settings: Settings, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    env = {
        **os.environ,
        "BATONPASS_DATABASE_URL": settings.resolved_database_url(),
        "BATONPASS_DATA_DIR": str(settings.data_dir),
        "BATONPASS_MASTER_KEY": TEST_MASTER_KEY,
        "BATONPASS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BATONPASS_SSE_PING_S": str(settings.sse_ping_s),
        "BATONPASS_MIGRATE_ON_START": "true",
        **({"BATONPASS_REDIS_URL": settings.redis_url} if settings.redis_url else {}),
        **(extra_env or {}),
    }
    log_path = settings.data_dir / f"uvicorn-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"uvicorn exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/healthz", timeout=1).status_code == 200:
                return LiveServer(url, process, log_path, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    log.close()
    raise RuntimeError(f"uvicorn did not become healthy:\n{log_path.read_text()}")


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = start_live_server(settings)
    yield server
    server.stop()


@contextlib.asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app built from custom settings (channel base URLs, worker knobs), with its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http
