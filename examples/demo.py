"""`make demo`: the whole thing on your own phone.

Starts the backend (serving the built phone app) on 0.0.0.0 so a phone on the same network can reach it, the
fixture site on 127.0.0.1 (only the agent's browser visits it), and the quickstart agent. When the agent hits
the 2FA page, the operator link is printed with a QR code: scan it, type the code shown here on the phone's
keypad, and watch the agent resume and reach the dashboard. Everything is kept under backend/data/demo/.

    backend/.venv/bin/python examples/demo.py [--port 8069] [--host <LAN address>]
"""

import argparse
import asyncio
import base64
import importlib.util
import io
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pyotp
import qrcode

from batonpass import Handoff

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
DATA = BACKEND / "data" / "demo"
sys.path[:0] = [str(BACKEND), str(ROOT / "e2e")]

from app.auth.keys import Scope, create_api_key
from app.db import Database
from app.migrate import migrate
from app.tenants.service import create_tenant, find_tenant_by_name
from sites.fixture_site import FixtureSite, serve_in_thread

PASSWORD = "correct horse battery staple"


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def lan_address() -> str:
    """The address other devices on this network reach us at (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def quickstart() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quickstart_agent", ROOT / "examples" / "quickstart_agent.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def agent_key(database_url: str) -> str:
    database = Database(database_url)
    try:
        await migrate(database.engine)
        async with database.transaction() as session:
            tenant = await find_tenant_by_name(session, "demo") or await create_tenant(session, "demo")
            key, _ = await create_api_key(session, tenant.id, Scope.AGENT, "make demo")
        return key
    finally:
        await database.dispose()


def start_backend(host: str, port: int, public_url: str, database_url: str) -> subprocess.Popen[bytes]:
    master = DATA / "master.key.b64"
    if not master.exists():
        master.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    env = {
        **os.environ,
        "BATONPASS_DATA_DIR": str(DATA),
        "BATONPASS_DATABASE_URL": database_url,
        "BATONPASS_MASTER_KEY": master.read_text().strip(),
        "BATONPASS_PUBLIC_URL": public_url,
        "BATONPASS_MOBILE_LINK_TTL_S": "600",  # a person needs longer than 60 s to find their phone
        "BATONPASS_FRONTEND_DIST": str(ROOT / "frontend" / "dist"),
    }
    log = (DATA / "backend.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", host, "--port", str(port)],
        cwd=BACKEND,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the backend exited; see {DATA / 'backend.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the backend did not start; see {DATA / 'backend.log'}")


def show_link(handoff: Handoff, totp: pyotp.TOTP) -> None:
    url = handoff.mobile_url or ""
    code = qrcode.QRCode(border=2)
    code.add_data(url)
    picture = io.StringIO()
    code.print_ascii(out=picture, invert=True)
    say()
    say(f"The agent is stuck on a 2FA page → handoff {handoff.id}.")
    say("Scan this with your phone (same Wi-Fi), or open the link:")
    say(picture.getvalue())
    say(f"    {url}")
    say()
    say(f"Then type the code from the site's authenticator: {totp.now()} (a new one every 30 s; printed below).")


async def print_codes(totp: pyotp.TOTP) -> None:
    while True:
        await asyncio.sleep(30 - time.time() % 30 + 0.5)
        say(f"    code now: {totp.now()}")


async def run(host: str, port: int, bind: str) -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    public_url = f"http://{host}:{port}"
    database_url = f"sqlite+aiosqlite:///{DATA / 'demo.db'}"
    key = await agent_key(database_url)
    backend = start_backend(bind, port, public_url, database_url)
    site = FixtureSite(pyotp.random_base32(), PASSWORD)
    codes: asyncio.Task[None] | None = None

    def on_handoff(handoff: Handoff) -> None:
        nonlocal codes
        show_link(handoff, site.totp)
        codes = asyncio.create_task(print_codes(site.totp))

    try:
        with serve_in_thread(site) as site_url:
            say(f"Baton Pass on {public_url} (phone app at {public_url}/m/…), fixture site on {site_url}.")
            say("Starting the agent: it signs in and will hit the 2FA page…")
            result = await quickstart().run_agent(
                site_url, base_url=f"http://127.0.0.1:{port}", api_key=key, password=PASSWORD, on_handoff=on_handoff
            )
        say()
        say(f"The agent resumed on the same page and reached the dashboard: {result!r}. Handoff completed.")
        return 0
    finally:
        if codes is not None:
            codes.cancel()
        backend.terminate()
        backend.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description="Baton Pass end-to-end demo with your phone as the operator.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8069")))
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST") or lan_address(), help="address for the link")
    parser.add_argument("--bind", default="0.0.0.0", help="interface the backend listens on (the phone must reach it)")  # noqa: S104
    args = parser.parse_args()
    try:
        return asyncio.run(run(args.host, args.port, args.bind))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
