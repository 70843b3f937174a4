"""A PostgreSQL database of the benchmark's own, created for one run and dropped afterwards, so a benchmark
never touches the shared `test` database (the test suite's conftest does the same for tests)."""

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


async def _execute(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _names(admin_url: str, prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def private_database(admin_url: str, prefix: str = "bp_bench") -> AsyncIterator[str]:
    """Yields the new database's URL; for benchmarks that run inside an event loop."""
    name, url = _names(admin_url, prefix)
    await _execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def private_database_sync(admin_url: str, prefix: str = "bp_bench") -> Iterator[str]:
    """The same for benchmarks driven from plain (non-async) code."""
    name, url = _names(admin_url, prefix)
    asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        asyncio.run(_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
