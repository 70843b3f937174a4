"""Frames: upload (JSON and raw), acknowledgement of actions, encryption at rest, pruning, access, purge."""

import base64
from typing import Any

import pytest
from conftest import TenantKeys
from fastapi import FastAPI
from sqlalchemy import select
from support.payloads import tiny_png

from app.crypto.snapshots import SnapshotCipher, SnapshotDecryptionError
from app.db import Database
from app.models import RelayAction, RelayFrame
from app.relay.service import frame_subject

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"


async def _frames(database: Database, handoff_id: str) -> list[RelayFrame]:
    async with database.readers() as session:
        rows = await session.execute(
            select(RelayFrame).where(RelayFrame.handoff_id == handoff_id).order_by(RelayFrame.id)
        )
        return list(rows.scalars())


async def test_frame_upload_then_latest_serves_the_same_image(opened: Any, tenant: TenantKeys) -> None:
    image = tiny_png(8, 6)
    uploaded = await opened.frame(0, image, viewport={"width": 390, "height": 844, "device_scale_factor": 3})
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["seq"] == 0
    assert body["media_type"] == "image/png"
    assert body["viewport"] == {"width": 390, "height": 844, "device_scale_factor": 3.0}
    assert body["url"] == f"/api/v1/handoffs/{opened.id}/frames/latest?v={body['frame_id']}"

    for who in (opened.operator, tenant.agent, tenant.admin):
        latest = await opened.client.get(body["url"], headers=who)
        assert latest.status_code == 200
        assert latest.content == image
        assert latest.headers["content-type"] == "image/png"
        assert latest.headers["cache-control"] == "no-store"
        assert latest.headers["x-frame-seq"] == "0"
        assert latest.headers["x-frame-id"] == str(body["frame_id"])


async def test_raw_image_upload_with_seq_in_the_query(opened: Any, tenant: TenantKeys) -> None:
    await opened.act({"type": "click", "x": 5, "y": 5})
    response = await opened.client.post(
        opened.path("frames") + "?seq=1&width=1280&height=800&device_scale_factor=2",
        content=JPEG,
        headers={**tenant.agent, "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "image/jpeg"
    assert response.json()["viewport"]["device_scale_factor"] == 2.0
    latest = await opened.client.get(opened.path("frames/latest"), headers=opened.operator)
    assert latest.content == JPEG

    missing_seq = await opened.client.post(
        opened.path("frames"), content=JPEG, headers={**tenant.agent, "Content-Type": "image/jpeg"}
    )
    assert missing_seq.status_code == 422


async def test_no_frame_yet_is_404(opened: Any) -> None:
    response = await opened.client.get(opened.path("frames/latest"), headers=opened.operator)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/no-frame")


async def test_a_frame_acknowledges_actions_up_to_its_seq(opened: Any, database: Database) -> None:
    for key in ("Tab", "Tab", "Enter"):
        await opened.act({"type": "press", "key": key})
    assert (await opened.frame(2)).status_code == 201
    async with database.readers() as session:
        rows = await session.execute(
            select(RelayAction.seq, RelayAction.acked_at)
            .where(RelayAction.handoff_id == opened.id)
            .order_by(RelayAction.seq)
        )
        acked = [(seq, at is not None) for seq, at in rows]
    assert acked == [(1, True), (2, True), (3, False)]
    view = (await opened.client.get(opened.path("view"), headers=opened.operator)).json()
    assert (view["last_action_seq"], view["acked_seq"]) == (3, 2)


async def test_a_frame_cannot_reflect_an_action_never_sent(opened: Any) -> None:
    await opened.act({"type": "press", "key": "Enter"})
    response = await opened.frame(2)
    assert response.status_code == 422
    assert response.json()["last_action_seq"] == 1


@pytest.mark.parametrize(
    ("image", "status"),
    [
        (b"GIF89a" + b"\x00" * 64, 422),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024), 413),
    ],
)
async def test_non_images_and_oversized_frames_are_refused(opened: Any, image: bytes, status: int) -> None:
    response = await opened.frame(0, image)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_base64_and_bad_bodies_are_422(opened: Any, tenant: TenantKeys) -> None:
    bad = await opened.client.post(
        opened.path("frames"), json={"seq": 0, "image": "not base64!!"}, headers=tenant.agent
    )
    assert bad.status_code == 422
    missing = await opened.client.post(opened.path("frames"), json={"image": "AAAA"}, headers=tenant.agent)
    assert missing.status_code == 422
    assert "seq" in missing.text
    wrong_type = await opened.client.post(
        opened.path("frames"), content=b"hello", headers={**tenant.agent, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 422


async def test_frames_are_encrypted_at_rest_and_bound_to_tenant_and_handoff(
    opened: Any, database: Database, tenant: TenantKeys, app: FastAPI
) -> None:
    image = tiny_png(16, 16)
    await opened.frame(0, image)
    (row,) = await _frames(database, opened.id)
    assert image not in row.blob
    assert b"IHDR" not in row.blob
    cipher: SnapshotCipher = app.state.runtime.cipher
    assert cipher.decrypt(tenant.tenant_id, frame_subject(opened.id), row.blob) == image
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt(tenant.tenant_id, opened.id, row.blob)  # never readable as a snapshot
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt("ten_other", frame_subject(opened.id), row.blob)


async def test_only_the_newest_frames_are_kept(opened: Any, database: Database) -> None:
    ids = [(await opened.frame(0, tiny_png(i + 1, 1))).json()["frame_id"] for i in range(5)]
    kept = [f.id for f in await _frames(database, opened.id)]
    assert kept == ids[-3:]
    latest = await opened.client.get(opened.path("frames/latest"), headers=opened.operator)
    assert latest.content == tiny_png(5, 1)


async def test_frames_are_tenant_isolated(opened: Any, other_tenant: TenantKeys, new_opened: Any) -> None:
    await opened.frame(0)
    stranger = await opened.client.get(opened.path("frames/latest"), headers=other_tenant.agent)
    assert stranger.status_code == 404
    upload = await opened.client.post(
        opened.path("frames"),
        json={"seq": 0, "image": base64.b64encode(tiny_png()).decode()},
        headers=other_tenant.agent,
    )
    assert upload.status_code == 404
    other = await new_opened(other_tenant)
    cross_operator = await opened.client.get(opened.path("frames/latest"), headers=other.operator)
    assert cross_operator.status_code == 404


async def test_operators_cannot_upload_frames(opened: Any) -> None:
    response = await opened.client.post(
        opened.path("frames"),
        json={"seq": 0, "image": base64.b64encode(tiny_png()).decode()},
        headers=opened.operator,
    )
    assert response.status_code == 403


async def test_a_finished_handoff_keeps_no_frames_and_no_typed_text(
    client: Any, tenant: TenantKeys, database: Database, new_opened: Any
) -> None:
    opened = await new_opened(tenant)
    await opened.act({"type": "type", "text": "my secret answer"})
    await opened.act({"type": "click", "x": 1, "y": 2})
    await opened.frame(2)
    for path, body, who in (
        ("resolve", {"action": {"type": "done"}}, opened.operator),
        ("resumed", None, tenant.agent),
        ("completed", {"task_outcome": "success"}, tenant.agent),
    ):
        assert (await client.post(opened.path(path), json=body, headers=who)).status_code == 200
    assert await _frames(database, opened.id) == []
    async with database.readers() as session:
        payloads = [
            p
            for (p,) in await session.execute(
                select(RelayAction.payload).where(RelayAction.handoff_id == opened.id).order_by(RelayAction.seq)
            )
        ]
    assert payloads == [
        {"type": "type", "text_length": 16, "redacted": True},
        {"type": "click", "x": 1.0, "y": 2.0},
    ]
    late = await opened.frame(2)
    assert late.status_code == 409
    assert late.json()["current_state"] == "completed"
