from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the server, read from `BATONPASS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="BATONPASS_", extra="ignore")

    data_dir: Path = Field(
        Path("./data"),
        description="Where the embedded default keeps its SQLite database and generated keys.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL (postgresql+asyncpg://… or sqlite+aiosqlite:///…); "
        "default: SQLite in WAL mode under data_dir.",
    )
    redis_url: str | None = Field(
        None, description="redis://… to fan events out across processes; default: in-process bus."
    )
    master_key: str | None = Field(
        None,
        description="Base64 of 32 random bytes; the root of every per-tenant snapshot key. "
        "Default: generated once into data_dir/master.key (mode 0600).",
    )
    link_secret: str | None = Field(
        None,
        description="Secret that signs mobile links; default: derived from the master key.",
    )
    public_url: str = Field("http://localhost:8069", description="Origin that operator links point at.")
    mobile_link_ttl_s: int = Field(60, ge=5, le=3600, description="Lifetime of a signed mobile link.")
    operator_session_ttl_s: int = Field(
        1800, ge=60, description="Lifetime of the operator session a redeemed link becomes."
    )
    handoff_ttl_s: int = Field(
        900, ge=10, description="Default lifetime of a handoff before it expires unresolved."
    )
    snapshot_max_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest accepted snapshot (DOM + screenshot + cookies)."
    )
    classifier_threshold: float = Field(
        1.0, gt=0, description="Score a claimed interruption must reach to count as human-only."
    )
    sse_ping_s: float = Field(15.0, gt=0, description="Seconds between SSE keep-alive comments.")
    idempotency_ttl_s: int = Field(86400, description="How long an Idempotency-Key is remembered.")
    migrate_on_start: bool = Field(True, description="Apply pending migrations when the server starts.")
    cookie_secure: bool | None = Field(
        None, description="Mark session cookies Secure; default: when public_url is https."
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'batonpass.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")


@lru_cache
def get_settings() -> Settings:
    return Settings()
