import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


async def eventually(check: Callable[[], Awaitable[Any]], *, within_s: float = 10.0, every_s: float = 0.05) -> Any:
    """Poll until `check` returns something truthy; fail with its last value after `within_s`."""
    deadline = time.monotonic() + within_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every_s)
    raise AssertionError(f"condition not met within {within_s}s; last value: {last!r}")


async def audit_records(client: httpx.AsyncClient, admin: dict[str, str], handoff_id: str) -> list[dict[str, Any]]:
    import json

    response = await client.get("/api/v1/audit/export.jsonl", headers=admin)
    return [r for r in map(json.loads, response.text.splitlines()) if r["handoff_id"] == handoff_id]


async def states_of(client: httpx.AsyncClient, admin: dict[str, str], handoff_id: str) -> list[str]:
    return [r["to_state"] for r in await audit_records(client, admin, handoff_id)]
