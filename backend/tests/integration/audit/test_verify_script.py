"""docs/verify_audit_export.py — the "verify without our code" script the audit docs publish — must accept a
real export and reject an altered, a dropped and a reordered line."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import BACKEND_DIR, TenantKeys
from support.flows import create_handoff, drive_to_completed

SCRIPT = BACKEND_DIR.parent / "docs" / "verify_audit_export.py"


def test_the_published_script_imports_nothing_of_ours() -> None:
    tree = ast.parse(SCRIPT.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"argparse", "hashlib", "json", "sys", "typing", "rfc8785"}, imported


def _run(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path), *extra],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_the_published_script_verifies_a_real_export_and_catches_tampering(
    client: httpx.AsyncClient, tenant: TenantKeys, tmp_path: Path
) -> None:
    created = await create_handoff(client, tenant.agent)
    await drive_to_completed(client, tenant.agent, created)
    await create_handoff(client, tenant.agent)
    response = await client.get("/api/v1/audit/export.jsonl", headers=tenant.admin)
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert len(lines) == 14
    path = tmp_path / "audit.jsonl"

    path.write_text("\n".join(lines) + "\n")
    intact = _run(path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    head = json.loads(lines[-1])["hash"]
    assert intact.stdout.strip() == f"OK: 14 records, seq 1..14, head {head}"

    altered = json.loads(lines[6])
    altered["payload"]["action"] = {"type": "deny"}
    path.write_text("\n".join([*lines[:6], json.dumps(altered), *lines[7:]]) + "\n")
    result = _run(path)
    assert result.returncode == 1
    assert result.stdout.startswith("BROKEN at line 7:"), result.stdout
    assert "altered" in result.stdout

    path.write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    dropped = _run(path)
    assert dropped.returncode == 1
    assert dropped.stdout.startswith("BROKEN at line 4:"), dropped.stdout

    path.write_text("\n".join([*lines[:9], lines[10], lines[9], *lines[11:]]) + "\n")
    reordered = _run(path)
    assert reordered.returncode == 1
    assert reordered.stdout.startswith("BROKEN at line 10:"), reordered.stdout


async def test_the_published_script_checks_a_window_against_a_trusted_anchor(
    client: httpx.AsyncClient, tenant: TenantKeys, tmp_path: Path
) -> None:
    await create_handoff(client, tenant.agent)
    everything = (await client.get("/api/v1/audit/export.jsonl", headers=tenant.admin)).text.splitlines()
    cut = json.loads(everything[2])["occurred_at"]
    response = await client.get(f"/api/v1/audit/export.jsonl?from={cut}", headers=tenant.admin)
    window = response.text.splitlines()
    assert window == everything[2:]
    path = tmp_path / "window.jsonl"
    path.write_text("\n".join(window) + "\n")

    trusted = json.loads(everything[1])["hash"]
    assert _run(path, "--anchor", trusted).returncode == 0
    wrong = _run(path, "--anchor", "0" * 64)
    assert wrong.returncode == 1
    assert "BROKEN at line 1" in wrong.stdout
