"""Engine, sessions and the transaction boundary.

A request gets one session; the boundary commits it and then runs the after-commit hooks that code below
registered (publishing to the event bus, logging a console notification). Nothing below the boundary commits.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

AfterCommit = Callable[[], Awaitable[None]]
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
_HOOKS_KEY = "after_commit"
_BEFORE_KEY = "before_commit"
READ_ONLY_OPTION = "batonpass_read_only"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    if not is_sqlite(url):
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)

    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so "begin" below can issue BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # A deferred transaction that reads then writes fails with SQLITE_BUSY when another writer got in
        # between; taking the write lock up front makes SQLite writers serialisable instead. Readers stay
        # deferred so they never wait for, or hold up, a writer.
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # SQLite has one writer at a time: queueing writers here is fair and cheap, where SQLite's own busy
        # handler sleeps and retries (seconds of tail latency under load). Other processes still meet the
        # busy timeout.
        self._write_turn: asyncio.Lock | None = asyncio.Lock() if is_sqlite(url) else None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.readers = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: run before-commit hooks and commit on success, roll back on error, then run the
        after-commit hooks. Do not open a second write transaction inside one (on SQLite it would wait for
        the first)."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_turn is not None:
                await stack.enter_async_context(self._write_turn)
            session = await stack.enter_async_context(self.sessions())
            try:
                yield session
                await run_before_commit(session)
                await session.commit()
            except BaseException:
                session.info.clear()
                await session.rollback()
                raise
            await run_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def before_commit(session: AsyncSession, hook: BeforeCommit) -> None:
    """Run `hook(session)` as the last step before this session commits (e.g. sealing the audit chain)."""
    hooks: list[BeforeCommit] = session.info.setdefault(_BEFORE_KEY, [])
    if hook not in hooks:
        hooks.append(hook)


async def run_before_commit(session: AsyncSession) -> None:
    while hooks := session.info.pop(_BEFORE_KEY, []):
        for hook in hooks:
            await hook(session)


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run `hook` once the session's transaction has committed; dropped if it rolls back."""
    session.info.setdefault(_HOOKS_KEY, []).append(hook)


async def run_after_commit(session: AsyncSession) -> None:
    hooks: list[AfterCommit] = session.info.pop(_HOOKS_KEY, [])
    for hook in hooks:
        await hook()


def get_database(request: Request) -> Database:
    database: Database = request.app.state.runtime.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work; GET and HEAD handlers only read, so they get a reader."""
    database = get_database(request)
    if request.method in ("GET", "HEAD"):
        async with database.readers() as session:
            yield session
        return
    async with database.transaction() as session:
        yield session
