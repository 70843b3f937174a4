"""Schemathesis fuzzes every operation of the OpenAPI schema against a live server: no input may cause a 5xx
(DESIGN §9). Streams (SSE) are excluded: they never end by design."""

import asyncio
import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import LiveServer, TenantKeys, make_tenant, start_live_server
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from app.config import Settings
from app.db import Database

STREAMS = ("/events", "/stream")
EXAMPLES = 12
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[LiveServer, TenantKeys]]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(data_dir=Path(tmp), master_key=base64.b64encode(b"f" * 32).decode(), sse_ping_s=1.0)
        database = Database(config.resolved_database_url())

        async def prepare() -> TenantKeys:
            from app.migrate import migrate

            await migrate(database.engine)
            keys = await make_tenant(database, "fuzz")
            await database.dispose()
            return keys

        keys = asyncio.run(prepare())
        server = start_live_server(config)
        try:
            yield server, keys
        finally:
            server.stop()


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    return str(value[0] if isinstance(value, list) else value)


def test_no_input_causes_a_server_error(fuzz_target: tuple[LiveServer, TenantKeys]) -> None:
    server, keys = fuzz_target
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"operation not loadable: {result.err()}")
            continue
        operation = result.ok()
        if operation.path.endswith(STREAMS):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            response = case.call(base_url=server.url, headers=keys.admin, timeout=10)
            where = f"{case.method} {case.formatted_path}"
            if response.status_code >= 500:
                failures.append(f"{where} → {response.status_code}: {response.text[:300]}")
            elif response.status_code >= 400 and not _content_type(response).startswith(PROBLEM):
                failures.append(f"{where} → {response.status_code} without problem+json: {response.text[:200]}")

        fuzz()
    assert operations >= 30
    assert failures == [], "\n".join(dict.fromkeys(failures))
