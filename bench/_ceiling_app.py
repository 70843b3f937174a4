"""The ceiling: a bare FastAPI app whose POST validates a handoff-shaped body and does ONE durable commit.

Same request body as our endpoint, same pydantic-through-FastAPI parsing, same database kind and driver
settings (it builds its engine with `app.db.Database`, so SQLite gets WAL + synchronous=FULL + BEGIN
IMMEDIATE and PostgreSQL the same pool), one INSERT of the whole body, one commit — and nothing else: no
authentication, no lifecycle, no audit chain, no encryption, no classifier, no notification.

Configured by BENCH_CEILING_DATABASE_URL.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from _timing import ServerTiming
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert
from ulid import ULID

from app.db import Database

metadata = MetaData()
ceiling_rows = Table(
    "bench_ceiling_handoffs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("agent_id", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class Viewport(BaseModel):
    width: int = Field(ge=1, le=16384)
    height: int = Field(ge=1, le=16384)
    device_scale_factor: float = 1.0


class SnapshotIn(BaseModel):
    cookies: list[dict[str, Any]] = Field(default_factory=list)
    dom: str
    screenshot: str
    viewport: Viewport


class HandoffIn(BaseModel):
    agent_id: str = Field(min_length=1, max_length=200)
    interruption_type: Literal["captcha", "twofa", "approval", "other"]
    domain: str = Field(min_length=1, max_length=253)
    url: str = Field(min_length=1, max_length=8192)
    task: str | None = None
    snapshot: SnapshotIn
    metadata: dict[str, Any] = Field(default_factory=dict)


class Accepted(BaseModel):
    id: str
    state: str


database = Database(os.environ["BENCH_CEILING_DATABASE_URL"])


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield
    finally:
        await database.dispose()


ceiling = FastAPI(lifespan=lifespan)


@ceiling.post("/handoffs", status_code=201, response_model=Accepted)
async def create(body: HandoffIn) -> Accepted:
    handoff_id = f"h_{ULID()}"
    async with database.transaction() as session:
        await session.execute(
            insert(ceiling_rows).values(
                id=handoff_id,
                agent_id=body.agent_id,
                body=body.model_dump_json(),
                created_at=datetime.now(UTC),
            )
        )
    return Accepted(id=handoff_id, state="created")


app = ServerTiming(ceiling, "POST", "/handoffs")
