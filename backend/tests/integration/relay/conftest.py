"""Relay fixtures: a handoff an operator has opened, and small helpers around the relay endpoints."""

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TEST_MASTER_KEY, TenantKeys
from support.flows import create_handoff, open_handoff
from support.payloads import tiny_png

from app.config import Settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        master_key=TEST_MASTER_KEY,
        migrate_on_start=False,
        public_url="http://testserver",
        sse_ping_s=1.0,
        relay_frame_max_bytes=64 * 1024,
        relay_frames_kept=3,
    )


@dataclass
class OpenedHandoff:
    client: httpx.AsyncClient
    tenant: TenantKeys
    created: dict[str, Any]
    operator: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.created["id"])

    def path(self, suffix: str) -> str:
        return f"/api/v1/handoffs/{self.id}/{suffix}"

    async def act(self, action: dict[str, Any]) -> httpx.Response:
        return await self.client.post(self.path("actions"), json=action, headers=self.operator)

    async def frame(self, seq: int, image: bytes | None = None, **extra: Any) -> httpx.Response:
        body = {"seq": seq, "image": base64.b64encode(image or tiny_png(4, 3)).decode(), **extra}
        return await self.client.post(self.path("frames"), json=body, headers=self.tenant.agent)

    async def state(self) -> str:
        response = await self.client.get(f"/api/v1/handoffs/{self.id}", headers=self.tenant.agent)
        return str(response.json()["state"])


async def open_new(client: httpx.AsyncClient, tenant: TenantKeys, **overrides: Any) -> OpenedHandoff:
    created = await create_handoff(client, tenant.agent, **overrides)
    operator = await open_handoff(client, created)
    return OpenedHandoff(client, tenant, created, operator)


@pytest.fixture
async def opened(client: httpx.AsyncClient, tenant: TenantKeys) -> OpenedHandoff:
    return await open_new(client, tenant)


@pytest.fixture
def new_opened(client: httpx.AsyncClient) -> Any:
    """Factory: `await new_opened(tenant, **handoff_overrides)` for a second handoff in a test."""

    async def make(tenant: TenantKeys, **overrides: Any) -> OpenedHandoff:
        return await open_new(client, tenant, **overrides)

    return make
