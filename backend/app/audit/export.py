"""Streamed exports: keyset batches, each read in its own short transaction, so memory stays flat and
writers are never held up for the length of an export."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson

from app.audit.chain import ChainVerdict, ChainVerifier
from app.audit.repository import event_batch, row_to_record, seq_window
from app.db import Database

BATCH = 2000

CSV_COLUMNS = (
    "seq",
    "event_id",
    "tenant_id",
    "handoff_id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "action",
    "from_state",
    "to_state",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "payload",
    "prev_hash",
    "hash",
)
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


async def iter_records(
    database: Database, tenant_id: str, occurred_from: str | None, occurred_to: str | None
) -> AsyncIterator[list[dict[str, Any]]]:
    async with database.readers() as session:
        window = await seq_window(session, tenant_id, occurred_from, occurred_to)
    if window is None:
        return
    after, last = window[0] - 1, window[1]
    while True:
        async with database.readers() as session:
            rows = await event_batch(session, tenant_id, after_seq=after, limit=BATCH, up_to_seq=last)
        if not rows:
            return
        yield [row_to_record(r) for r in rows]
        after = rows[-1]["seq"]
        if len(rows) < BATCH:
            return


async def jsonl_lines(
    database: Database, tenant_id: str, occurred_from: str | None, occurred_to: str | None
) -> AsyncIterator[bytes]:
    async for batch in iter_records(database, tenant_id, occurred_from, occurred_to):
        yield b"".join(orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n" for record in batch)


def neutralise_formula(value: str) -> str:
    """Spreadsheets execute cells that start with = + - @ (OWASP CSV injection): make them plain text."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def _csv_cells(record: dict[str, Any]) -> list[str]:
    flat = {
        **record,
        "actor_type": record["actor"]["type"],
        "actor_id": record["actor"]["id"],
        "payload": orjson.dumps(record["payload"], option=orjson.OPT_SORT_KEYS).decode(),
    }
    cells = []
    for column in CSV_COLUMNS:
        value = flat.get(column)
        cells.append("" if value is None else neutralise_formula(str(value)))
    return cells


async def csv_chunks(
    database: Database, tenant_id: str, occurred_from: str | None, occurred_to: str | None
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue().encode()
    async for batch in iter_records(database, tenant_id, occurred_from, occurred_to):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_csv_cells(record) for record in batch)
        yield buffer.getvalue().encode()


async def verify_tenant_chain(database: Database, tenant_id: str) -> ChainVerdict:
    verifier = ChainVerifier()
    async for batch in iter_records(database, tenant_id, None, None):
        for record in batch:
            if not verifier.feed(record):
                return verifier.verdict()
    return verifier.verdict()
