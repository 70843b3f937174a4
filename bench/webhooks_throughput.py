"""Webhook deliveries per second from one dispatcher to a local receiver.

A backlog of outbox rows is sent by `run_dispatcher` (claim with a lease, sign, POST, record the attempt and
its trace row, in batches) to a receiver in another process on 127.0.0.1. The ceiling, measured in the same
run against the same receiver at the same concurrency, is bare httpx POSTs of the same body from the same
process: no database, no signing. Budget (DESIGN §8): ≥ 500 deliveries/s.

    backend/.venv/bin/python bench/webhooks_throughput.py [--deliveries 5000] [--concurrency 64]
        [--databases sqlite,postgres] [--no-pin]

PostgreSQL runs when BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL) names a server: a private
database is created for the run and dropped afterwards. With 2+ CPUs the receiver is pinned to CPU 1 and this
process (dispatcher and ceiling alike) to CPU 0.
"""

import argparse
import asyncio
import base64
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

import httpx
from _postgres import private_database_sync
from sqlalchemy import func, insert, select

from app.config import Settings
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.migrate import migrate
from app.models import WebhookAttempt, WebhookDelivery
from app.runtime import Runtime
from app.tenants.service import create_tenant
from app.webhooks.dispatcher import make_client, run_dispatcher
from app.webhooks.schemas import EndpointCreate
from app.webhooks.service import WebhookService

BODY = (
    '{"type":"handoff.notified","timestamp":"2026-05-14T03:42:13.000000Z","data":{"handoff_id":'
    '"h_01HXYZ0010000000000000000","operator_id":"op_jordan","channel":"bland_ai",'
    '"notified_at":"2026-05-14T03:42:13.000000Z"}}'
)
_received = 0


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def receiver_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The cheapest receiver that still reads every body: a raw ASGI app; GET answers the POST count."""
    global _received
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        _received += 1
        body = b"ok"
    else:
        body = str(_received).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(
        receiver_app, host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=300
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def receiver(pin: bool) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, __file__, "--receiver", str(port)]
    process = subprocess.Popen(["taskset", "-c", "1", *command] if pin else command)  # noqa: S603
    url = f"http://127.0.0.1:{port}/hook"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def received(url: str) -> int:
    return int(httpx.get(url, timeout=5).text)


async def bare_posts(client: httpx.AsyncClient, url: str, count: int, concurrency: int) -> float:
    """POSTs per second of the same body from `concurrency` workers: no database, no signing."""
    body = BODY.encode()
    headers = {"content-type": "application/json"}
    remaining = 0

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.post(url, content=body, headers=headers)
            response.raise_for_status()

    remaining = concurrency * 4  # open the connections first
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    remaining = count
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def ceilings(settings: Settings, url: str, count: int) -> tuple[float, float]:
    """Bare POSTs through a plain httpx client (one pool) and through the dispatcher's own client."""
    size = settings.webhook_concurrency
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as plain:
        plain_rate = await bare_posts(plain, url, count, size)
    async with make_client(settings) as ours:
        ours_rate = await bare_posts(ours, url, count, size)
    return plain_rate, ours_rate


async def dispatcher_rate(settings: Settings, url: str, count: int) -> tuple[float, dict[int, int]]:
    """Deliveries/s of a backlog of `count` rows, and how many attempts each took."""
    runtime = Runtime.build(settings)
    await migrate(runtime.database.engine)
    await runtime.start()
    try:
        async with runtime.database.transaction() as session:
            tenant = await create_tenant(session, f"bench-{os.getpid()}")
            endpoint, _secret = await WebhookService(session, runtime, tenant.id).create(EndpointCreate(url=url))
        now = utcnow()
        rows = [
            {
                "id": new_id("delivery"),
                "tenant_id": tenant.id,
                "endpoint_id": endpoint.id,
                "event_id": new_id("event"),
                "handoff_id": new_id("handoff"),
                "event_type": "handoff.notified",
                "payload": BODY,
                "status": "pending",
                "attempt_count": 0,
                "schedule_step": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for _ in range(count)
        ]
        async with runtime.database.transaction() as session:
            for start in range(0, count, 1000):
                await session.execute(insert(WebhookDelivery), rows[start : start + 1000])

        async def delivered() -> int:
            async with runtime.database.readers() as session:
                query = select(func.count()).where(
                    WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "delivered"
                )
                return int((await session.execute(query)).scalar_one())

        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(run_dispatcher(runtime, stop))
        deadline = started + 300
        while (done := await delivered()) < count:
            if task.done() or time.perf_counter() > deadline:
                stop.set()
                await task
                raise RuntimeError(f"the dispatcher delivered only {done} of {count}")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        async with runtime.database.readers() as session:
            attempts = await session.execute(
                select(WebhookAttempt.number, func.count())
                .where(WebhookAttempt.endpoint_id == endpoint.id)
                .group_by(WebhookAttempt.number)
            )
            per_number = {int(number): int(n) for number, n in attempts.all()}
        return count / elapsed, per_number
    finally:
        await runtime.close()


def bench(name: str, database_url: str, args: argparse.Namespace, url: str, data_dir: Path) -> None:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        webhook_allow_private_targets=True,
        webhook_allow_http=True,
        webhook_concurrency=args.concurrency,
        webhook_poll_s=0.5,
    )
    before = received(url)
    plain, bare = asyncio.run(ceilings(settings, url, args.deliveries))
    rate, attempts = asyncio.run(dispatcher_rate(settings, url, args.deliveries))
    sent = received(url) - before - 2 * (args.deliveries + args.concurrency * 4)
    best = max(plain, bare)
    out(f"{name}: {args.deliveries:,} deliveries, concurrency {args.concurrency}")
    out(f"  dispatcher (claim, sign, POST, record attempt + trace):   {rate:7.0f} deliveries/s")
    out(f"  ceiling: bare POSTs, the dispatcher's HTTP client:         {bare:7.0f} requests/s")
    out(f"  ceiling: bare POSTs, a plain httpx client (one pool):      {plain:7.0f} requests/s")
    out(
        f"  ratio: {rate / best:.0%} of the better ceiling; "
        f"budget ≥ 500 deliveries/s: {'met' if rate >= 500 else 'NOT met'}"
    )
    out(
        f"  check: the receiver got {sent:,} POSTs for {args.deliveries:,} deliveries; attempts per delivery: "
        + ", ".join(f"{n} attempt(s) × {c:,}" for n, c in sorted(attempts.items()))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    cpus = os.cpu_count() or 1
    pin = not args.no_pin and cpus >= 2 and shutil.which("taskset") is not None
    if pin:
        os.sched_setaffinity(0, {0})
    postgres_url = os.environ.get("BATONPASS_BENCH_POSTGRES_URL") or os.environ.get("BATONPASS_TEST_POSTGRES_URL")
    out("Baton Pass bench — webhook deliveries/s vs bare httpx POSTs to the same local receiver")
    out(
        f"machine: {cpus} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"
        + ("; this process pinned to CPU 0, the receiver (uvicorn, raw ASGI) to CPU 1" if pin else "; not pinned")
    )
    out(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work skews the figures)")
    databases = args.databases.split(",")
    with receiver(pin) as url, tempfile.TemporaryDirectory(prefix="bp-bench-") as tmp:
        if "sqlite" in databases:
            out()
            bench("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'webhooks.db'}", args, url, Path(tmp))
        if "postgres" in databases:
            out()
            if not postgres_url:
                out("postgres: skipped — set BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL)")
            else:
                with private_database_sync(postgres_url) as database_url:
                    bench("postgres", database_url, args, url, Path(tmp))
    out()
    out(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--receiver":
        serve_receiver(int(sys.argv[2]))
    else:
        raise SystemExit(main())
