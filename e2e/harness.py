"""Shared by the end-to-end tests and bench/mobile_tap_latency.py: a live backend serving the built PWA,
tenants, forged links, and Debian's Chromium with a phone profile."""

import asyncio
import base64
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
from app.auth.keys import Scope, create_api_key
from app.db import Database
from app.kit.ids import new_id
from app.mobile.tokens import LinkClaims, LinkSigner
from app.tenants.service import create_tenant
from playwright.async_api import Browser, BrowserContext, Page, Playwright, ViewportSize

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "mobile"

CHROMIUM = os.environ.get("BATONPASS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 360, "height": 640}
PhoneFactory = Callable[..., Awaitable[Page]]
"""The `phone` fixture: `await phone(**context_overrides)` → a new phone page with its own cookies."""


def ensure_frontend_built() -> Path:
    """The PWA must be built for the backend to serve it; build it once if a developer has not."""
    if (DIST / "index.html").is_file():
        return DIST
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)
    return DIST


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Backend:
    url: str
    database_url: str
    link_secret: bytes
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def forge_link(self, handoff_id: str, expires_at: datetime) -> str:
        """A correctly signed link with a chosen expiry (for the expired-link page)."""
        token = LinkSigner(self.link_secret).sign(LinkClaims(handoff_id, None, expires_at, new_id("link")))
        return f"{self.url}/m/{handoff_id}?t={token}"


def start_backend(
    data_dir: Path, *, database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> Backend:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = database_url or f"sqlite+aiosqlite:///{data_dir / 'e2e.db'}"
    link_secret = secrets.token_urlsafe(32)  # the server signs with its UTF-8 bytes
    env = {
        **os.environ,
        "BATONPASS_DATABASE_URL": database_url,
        "BATONPASS_DATA_DIR": str(data_dir),
        "BATONPASS_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "BATONPASS_LINK_SECRET": link_secret,
        "BATONPASS_PUBLIC_URL": url,
        "BATONPASS_MIGRATE_ON_START": "true",
        "BATONPASS_FRONTEND_DIST": str(ensure_frontend_built()),
        **(extra_env or {}),
    }
    log_path = data_dir / f"uvicorn-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    backend = Backend(url, database_url, link_secret.encode(), process, log_path, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"uvicorn exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/api/v1/healthz", timeout=1).status_code == 200:
                return backend
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    backend.stop()
    raise RuntimeError(f"uvicorn did not become healthy:\n{log_path.read_text()}")


@dataclass(frozen=True)
class Keys:
    tenant_id: str
    agent_key: str
    admin_key: str

    @property
    def agent(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.agent_key}"}

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


async def new_tenant(database_url: str, name: str = "e2e") -> Keys:
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            tenant = await create_tenant(session, name)
            agent_key, _ = await create_api_key(session, tenant.id, Scope.AGENT, "agent")
            admin_key, _ = await create_api_key(session, tenant.id, Scope.ADMIN, "admin")
        return Keys(tenant.id, agent_key, admin_key)
    finally:
        await database.dispose()


async def launch_chromium(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


async def phone_context(browser: Browser, base_url: str, **overrides: Any) -> BrowserContext:
    """360×640 CSS px, DPR 2, touch, mobile — a small Android phone."""
    options: dict[str, Any] = {
        "viewport": PHONE,
        "screen": PHONE,
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
        "base_url": base_url,
        "user_agent": (
            "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/156.0.0.0 Mobile Safari/537.36"
        ),
        **overrides,
    }
    return await browser.new_context(**options)


async def wait_for(predicate: Any, within_s: float = 10, every_s: float = 0.05) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(every_s)
