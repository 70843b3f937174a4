from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse

from app.audit.chain import GENESIS_HASH
from app.audit.export import csv_chunks, jsonl_lines, verify_tenant_chain
from app.audit.repository import event_batch, row_to_record, trace_batch, trace_pos
from app.audit.trace import trace_record
from app.auth.principal import Admin, SessionDep
from app.events.bus import audit_channel, trace_channel
from app.handoffs.events import UnknownLastEventId, seq_of_event
from app.kit.problems import Unprocessable
from app.kit.sse import Batch, replay_then_follow, sse_event, sse_response
from app.kit.timeutil import parse_rfc3339, rfc3339
from app.models import ChainHead
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/audit", tags=["audit"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}
}
STREAM_BATCH = 500


def _bound(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return rfc3339(parse_rfc3339(value))
    except ValueError as exc:
        raise Unprocessable(
            f"'{name}' must be an RFC 3339 timestamp such as 2026-05-14T03:42:11Z; got '{value}'.", field=name
        ) from exc


def _bounds(occurred_from: str | None, occurred_to: str | None) -> tuple[str | None, str | None]:
    lower, upper = _bound("from", occurred_from), _bound("to", occurred_to)
    if lower and upper and lower >= upper:
        raise Unprocessable("'from' must be earlier than 'to'.")
    return lower, upper


FromQuery = Annotated[str | None, Query(alias="from", max_length=64, description="Inclusive RFC 3339 bound.")]
ToQuery = Annotated[str | None, Query(alias="to", max_length=64, description="Exclusive RFC 3339 bound.")]


@router.get("/stream", response_class=EventSourceResponse, responses=SSE_RESPONSES)
async def audit_stream(
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Stream every audit record of the tenant (SSE), replaying from Last-Event-ID."""
    tenant_id = principal.tenant_id
    start = await seq_of_event(session, tenant_id, last_event_id)

    async def fetch(after_seq: int) -> Batch:
        async with runtime.database.readers() as reader:
            rows = await event_batch(reader, tenant_id, after_seq=after_seq, limit=STREAM_BATCH)
        events = [sse_event(r["event_id"], "audit", row_to_record(r)) for r in rows]
        new_cursor = rows[-1]["seq"] if rows else after_seq
        return events, new_cursor, False

    return sse_response(
        replay_then_follow(runtime.bus, audit_channel(tenant_id), start, fetch), runtime.settings.sse_ping_s
    )


@router.get("/trace/stream", response_class=EventSourceResponse, responses=SSE_RESPONSES)
async def trace_stream(
    principal: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Stream fine-grained trace records (classifier verdicts, step durations) as SSE."""
    tenant_id = principal.tenant_id
    start = 0
    if last_event_id:
        found = await trace_pos(session, tenant_id, last_event_id)
        if found is None:
            raise UnknownLastEventId(f"Last-Event-ID {last_event_id} is not a trace record of this tenant.")
        start = found

    async def fetch(after_pos: int) -> Batch:
        async with runtime.database.readers() as reader:
            rows = await trace_batch(reader, tenant_id, after_pos, STREAM_BATCH)
        events = [sse_event(r.id, r.kind, trace_record(r)) for r in rows]
        return events, rows[-1].pos if rows else after_pos, False

    return sse_response(
        replay_then_follow(runtime.bus, trace_channel(tenant_id), start, fetch), runtime.settings.sse_ping_s
    )


@router.get(
    "/export.jsonl",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_jsonl(
    principal: Admin, runtime: RuntimeDep, occurred_from: FromQuery = None, occurred_to: ToQuery = None
) -> StreamingResponse:
    """Export the audit chain as JSONL, one verifiable record per line."""
    lower, upper = _bounds(occurred_from, occurred_to)
    return StreamingResponse(
        jsonl_lines(runtime.database, principal.tenant_id, lower, upper),
        media_type="application/x-ndjson",
        headers=_download_headers("jsonl"),
    )


@router.get("/export.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
async def export_csv(
    principal: Admin, runtime: RuntimeDep, occurred_from: FromQuery = None, occurred_to: ToQuery = None
) -> StreamingResponse:
    """Export the audit chain as CSV, safe to open in a spreadsheet."""
    lower, upper = _bounds(occurred_from, occurred_to)
    return StreamingResponse(
        csv_chunks(runtime.database, principal.tenant_id, lower, upper),
        media_type="text/csv; charset=utf-8",
        headers=_download_headers("csv"),
    )


@router.get("/verify")
async def verify_chain(principal: Admin, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Verify the tenant's whole audit chain server-side."""
    verdict = await verify_tenant_chain(runtime.database, principal.tenant_id)
    head = await session.get(ChainHead, principal.tenant_id)
    result = verdict.to_dict()
    result["stored_head"] = {"seq": head.seq, "hash": head.head_hash} if head else {"seq": 0, "hash": GENESIS_HASH}
    if verdict.ok and head is not None and (verdict.last_seq != head.seq or verdict.head_hash != head.head_hash):
        result["ok"] = False
        result["problem"] = "the chain ends before the stored head: records at the end were removed"
    return result


def _download_headers(extension: str) -> dict[str, str]:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return {
        "Content-Disposition": f'attachment; filename="batonpass-audit-{stamp}.{extension}"',
        "Cache-Control": "no-store",
    }
