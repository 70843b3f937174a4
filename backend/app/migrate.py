"""Apply Alembic migrations on the server's own async engine (on start, and by `batonpass migrate`)."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

BACKEND_DIR = Path(__file__).resolve().parent.parent

# Any constant shared by every replica: the first to start migrates, the others wait, then find nothing to do.
_PG_MIGRATION_LOCK = 0x62617470


def alembic_config() -> Config:
    config = Config(str(BACKEND_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(BACKEND_DIR / "migrations"))
    return config


async def migrate(engine: AsyncEngine, revision: str = "heads") -> None:
    config = alembic_config()

    def upgrade(sync_connection: Any) -> None:
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        await connection.run_sync(upgrade)
