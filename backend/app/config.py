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
    handoff_ttl_s: int = Field(900, ge=10, description="Default lifetime of a handoff before it expires unresolved.")
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
    relay_frame_max_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest accepted live frame (one image of the agent's page)."
    )
    relay_frames_kept: int = Field(
        3, ge=1, le=100, description="How many of a handoff's newest live frames are kept (encrypted)."
    )
    frontend_dist: Path | None = Field(
        None,
        description="Built mobile PWA to serve at /m/… (default: ../frontend/dist beside the backend, when it exists).",
    )

    run_worker: bool = Field(
        True,
        description="Run the timer worker (escalations, expiries) inside the server process; "
        "turn off when `batonpass worker` runs as its own process.",
    )
    timer_poll_s: float = Field(1.0, gt=0, description="Longest the timer worker sleeps between looks.")
    timer_lease_s: float = Field(30.0, gt=0, description="How long a claimed timer is reserved for its worker.")
    watchdog_interval_s: float = Field(10.0, gt=0, description="How often stalled escalations are looked for.")
    default_step_timeout_s: int = Field(
        60, ge=1, description="Escalation timeout for a step routed straight to one operator."
    )
    channel_timeout_s: float = Field(10.0, gt=0, description="Per-attempt timeout of a notification channel.")
    vapid_private_key: str | None = Field(
        None, description="PEM of the VAPID P-256 key; default: generated once into data_dir/vapid.pem."
    )
    vapid_subject: str = Field("mailto:ops@batonpass.dev", description="VAPID `sub` claim (mailto: or https:).")
    twilio_base_url: str = Field("https://api.twilio.com", description="Twilio REST API origin.")
    twilio_account_sid: str | None = Field(None, description="Twilio Account SID (enables the sms channel).")
    twilio_auth_token: str | None = Field(None, description="Twilio auth token.")
    twilio_from: str | None = Field(None, description="Sending number (E.164) or MG… messaging service SID.")
    bland_base_url: str = Field("https://api.bland.ai", description="Bland AI API origin.")
    bland_api_key: str | None = Field(None, description="Bland AI API key (enables the voice channel).")
    smtp_host: str | None = Field(None, description="SMTP server (enables the email channel).")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_from: str = Field("Baton Pass <alerts@batonpass.dev>", description="From: of alert emails.")

    webhook_dispatcher: bool = Field(
        True,
        description="Run the webhook dispatcher inside the server process; turn off when a separate worker "
        "process (`run_dispatcher`) sends the webhooks.",
    )
    webhook_concurrency: int = Field(
        64, ge=1, le=1024, description="Most webhook requests one dispatcher has in flight at once."
    )
    webhook_attempt_timeout_s: float = Field(
        15.0, gt=0, le=120, description="Time limit of one webhook attempt, connect to last response byte."
    )
    webhook_lease_s: float = Field(
        60.0,
        gt=0,
        description="How long a claimed delivery is reserved for its dispatcher (at least the attempt "
        "timeout + 1 s); a dispatcher that dies mid-send has its deliveries sent again after it.",
    )
    webhook_poll_s: float = Field(
        5.0, gt=0, description="Longest the dispatcher sleeps between looks when nothing wakes it."
    )
    webhook_retry_scale: float = Field(
        1.0,
        gt=0,
        description="Multiplies the retry schedule (0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); "
        "tests use a tiny value.",
    )
    webhook_disable_after_s: float = Field(
        5 * 86400.0,
        gt=0,
        description="An endpoint whose attempts have all failed for this long is disabled.",
    )
    webhook_rotation_grace_s: int = Field(
        86400,
        ge=0,
        description="After a secret rotation, how long deliveries are also signed with the old secret.",
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs that resolve to private, loopback, link-local or other "
        "non-public addresses (development and tests only: it opens the server to SSRF).",
    )
    webhook_allow_http: bool = Field(False, description="Allow plain-http webhook URLs (development and tests only).")

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
