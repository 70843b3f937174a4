from dataclasses import dataclass

import httpx
from fastapi import Request

from app.config import Settings
from app.crypto.keys import derive_key, load_master_key
from app.crypto.snapshots import SnapshotCipher
from app.db import Database
from app.events.bus import EventBus, make_bus
from app.mobile.tokens import LinkSigner
from app.notify.vapid import VapidKey, load_vapid_key


@dataclass
class Runtime:
    """The process-wide resources every request may need; built once by the app's lifespan."""

    settings: Settings
    database: Database
    bus: EventBus
    cipher: SnapshotCipher
    links: LinkSigner
    vapid: VapidKey
    http: httpx.AsyncClient
    """One outbound HTTP client per process (notification channels, webhooks): pooled connections."""

    @classmethod
    def build(cls, settings: Settings) -> "Runtime":
        master_key = load_master_key(settings.master_key, settings.data_dir)
        link_secret = settings.link_secret.encode() if settings.link_secret else derive_key(master_key, "mobile-links")
        return cls(
            settings=settings,
            database=Database(settings.resolved_database_url()),
            bus=make_bus(settings.redis_url),
            cipher=SnapshotCipher(master_key),
            links=LinkSigner(link_secret),
            vapid=load_vapid_key(settings.vapid_private_key, settings.data_dir),
            http=httpx.AsyncClient(
                timeout=httpx.Timeout(15.0), follow_redirects=False, headers={"User-Agent": "BatonPass/0.1"}
            ),
        )

    async def start(self) -> None:
        await self.bus.start()

    async def close(self) -> None:
        await self.http.aclose()
        await self.bus.close()
        await self.database.dispose()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
