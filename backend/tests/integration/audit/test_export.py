import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import BACKEND_DIR, TenantKeys
from sqlalchemy import update
from support.flows import create_handoff, drive_to_completed
from support.payloads import handoff_body

from app.db import Database
from app.models import HandoffEvent


def _cli_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify", str(path)],
        cwd=BACKEND_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


async def _export(client: httpx.AsyncClient, tenant: TenantKeys, query: str = "") -> str:
    response = await client.get(f"/api/v1/audit/export.jsonl{query}", headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return response.text


async def test_export_verifies_offline_and_names_the_broken_line(
    client: httpx.AsyncClient, tenant: TenantKeys, tmp_path: Path
) -> None:
    created = await create_handoff(client, tenant.agent)
    await drive_to_completed(client, tenant.agent, created)
    await create_handoff(client, tenant.agent)
    lines = (await _export(client, tenant)).splitlines()
    assert len(lines) == 14
    path = tmp_path / "audit.jsonl"

    path.write_text("\n".join(lines) + "\n")
    ok = _cli_verify(path)
    assert ok.returncode == 0, ok.stdout
    assert "OK: 14 records" in ok.stdout

    altered = json.loads(lines[4])
    altered["actor"]["id"] = "someone_else"
    path.write_text("\n".join([*lines[:4], json.dumps(altered), *lines[5:]]) + "\n")
    result = _cli_verify(path)
    assert result.returncode == 1
    assert "line 5" in result.stdout
    assert "altered" in result.stdout

    path.write_text("\n".join(lines[:6] + lines[7:]) + "\n")
    dropped = _cli_verify(path)
    assert "BROKEN at line 7" in dropped.stdout
    assert "missing or out of order" in dropped.stdout

    path.write_text("\n".join([*lines[:2], lines[3], lines[2], *lines[4:]]) + "\n")
    reordered = _cli_verify(path)
    assert "BROKEN at line 3" in reordered.stdout


async def test_export_records_have_the_documented_shape(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    await create_handoff(client, tenant.agent)
    first = json.loads((await _export(client, tenant)).splitlines()[0])
    assert set(first) == {
        "seq", "event_id", "tenant_id", "handoff_id", "occurred_at", "actor", "action", "from_state",
        "to_state", "reason", "ip", "user_agent", "request_id", "payload", "prev_hash", "hash",
    }  # fmt: skip
    assert first["seq"] == 1
    assert first["prev_hash"] == "0" * 64
    assert first["actor"]["type"] == "agent"
    assert first["request_id"].startswith("req_")


async def test_export_time_window_is_verifiable_from_its_anchor(
    client: httpx.AsyncClient, tenant: TenantKeys, tmp_path: Path
) -> None:
    await create_handoff(client, tenant.agent)
    all_lines = (await _export(client, tenant)).splitlines()
    cut = json.loads(all_lines[2])["occurred_at"]
    window = (await _export(client, tenant, f"?from={cut}")).splitlines()
    assert window == all_lines[2:]
    path = tmp_path / "window.jsonl"
    path.write_text("\n".join(window) + "\n")
    assert _cli_verify(path).returncode == 0
    until = (await _export(client, tenant, f"?to={cut}")).splitlines()
    assert until == all_lines[:2]


async def test_export_rejects_bad_bounds(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.get("/api/v1/audit/export.jsonl?from=yesterday", headers=tenant.admin)
    assert response.status_code == 422
    assert "RFC 3339" in response.json()["detail"]
    response = await client.get(
        "/api/v1/audit/export.csv?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", headers=tenant.admin
    )
    assert response.status_code == 422


async def test_export_needs_an_admin_key(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.get("/api/v1/audit/export.jsonl", headers=tenant.agent)
    assert response.status_code == 403


async def test_csv_export_neutralises_formulas(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    hostile = "=cmd|' /C calc'!A0"
    response = await client.post(
        "/api/v1/handoffs", json=handoff_body(), headers={**tenant.agent, "User-Agent": hostile}
    )
    assert response.status_code == 201
    response = await client.get("/api/v1/audit/export.csv", headers=tenant.admin)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 4
    assert rows[0]["user_agent"] == "'" + hostile
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert json.loads(rows[0]["payload"])["agent_id"] == "agent_outbound_sf"


async def test_server_side_verify_detects_a_tampered_row(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database
) -> None:
    await create_handoff(client, tenant.agent)
    assert (await client.get("/api/v1/audit/verify", headers=tenant.admin)).json()["ok"] is True
    async with database.transaction() as session:
        await session.execute(
            update(HandoffEvent)
            .where(HandoffEvent.tenant_id == tenant.tenant_id, HandoffEvent.seq == 3)
            .values(reason="tampered")
        )
    verdict = (await client.get("/api/v1/audit/verify", headers=tenant.admin)).json()
    assert verdict["ok"] is False
    assert verdict["broken_at"] == 3
