from dataclasses import dataclass

from fastapi import Request

from app.config import Settings
from app.crypto.keys import derive_key, load_master_key
from app.crypto.snapshots import SnapshotCipher
from app.db import Database
from app.events.bus import EventBus, make_bus
from app.mobile.tokens import LinkSigner


@dataclass
class Runtime:
    """The process-wide resources every request may need; built once by the app's lifespan."""

    settings: Settings
    database: Database
    bus: EventBus
    cipher: SnapshotCipher
    links: LinkSigner

    @classmethod
    def build(cls, settings: Settings) -> "Runtime":
        master_key = load_master_key(settings.master_key, settings.data_dir)
        link_secret = (
            settings.link_secret.encode() if settings.link_secret else derive_key(master_key, "mobile-links")
        )
        return cls(
            settings=settings,
            database=Database(settings.resolved_database_url()),
            bus=make_bus(settings.redis_url),
            cipher=SnapshotCipher(master_key),
            links=LinkSigner(link_secret),
        )

    async def start(self) -> None:
        await self.bus.start()

    async def close(self) -> None:
        await self.bus.close()
        await self.database.dispose()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
