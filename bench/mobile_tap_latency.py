"""Operator tap → agent applies it in Chromium → frame uploaded → the phone's SSE stream announces the frame.

Measured end to end over real HTTP against a live uvicorn (the embedded SQLite default unless
--database-url is given), with the scripted agent from e2e/ driving a real headless Chromium page, and the
"phone" as an SSE client holding the operator session. Each tap waits for its own frame (closed loop).

The bare ceiling, measured in the same run on the same server: the same relay round trip (action POST →
agent's SSE → frame POST → phone's SSE) with an agent that does no browser work and uploads a tiny PNG.
The difference is the browser's share: the click, the JPEG screenshot, its upload.

Usage: backend/.venv/bin/python bench/mobile_tap_latency.py [--taps 100] [--warmup 5] [--database-url URL]
Runs on SQLite always, and on PostgreSQL too when BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL)
names a server (a private database is created for the run and dropped afterwards).
DESIGN §8 budget: p50 < 250 ms.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "e2e"), str(ROOT / "backend")]

import httpx  # noqa: E402
from _postgres import private_database  # noqa: E402
from harness import launch_chromium, new_tenant, start_backend  # noqa: E402
from httpx_sse import aconnect_sse  # noqa: E402
from playwright.async_api import Page, async_playwright  # noqa: E402
from scripted_agent import ScriptedAgent  # noqa: E402

COUNTER_PAGE = """<!doctype html><html><head><title>Counter</title><style>
body { font: 20px system-ui; margin: 0; } button { position: absolute; left: 540px; top: 340px;
width: 200px; height: 120px; font-size: 40px; }</style></head><body>
<h1 style="margin: 40px">Taps: <span id="n">0</span></h1>
<button onclick="document.getElementById('n').textContent = +document.getElementById('n').textContent + 1">
Tap</button></body></html>"""
BUTTON = {"type": "click", "x": 640.0, "y": 400.0}
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


class BareAgent(ScriptedAgent):
    """The same protocol with no browser work: it acknowledges each action with a 1-pixel frame."""

    async def _apply(self, action: dict[str, Any]) -> None:
        return None

    async def _frame(self, http: httpx.AsyncClient, seq: int) -> None:
        response = await http.post(f"/api/v1/handoffs/{self.handoff_id}/frames", json={"seq": seq, "image": TINY_PNG})
        response.raise_for_status()


@dataclass
class Run:
    name: str
    latencies_ms: list[float]
    to_agent_ms: list[float]
    apply_ms: list[float]
    frame_ms: list[float]


class Phone:
    """The operator's SSE stream: resolves a waiter when a frame reflecting its seq is announced."""

    def __init__(self, base_url: str, handoff_id: str, token: str) -> None:
        self.url = f"{base_url}/api/v1/handoffs/{handoff_id}/events"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.waiters: dict[int, asyncio.Future[float]] = {}
        self.connected = asyncio.Event()

    def expect(self, seq: int) -> "asyncio.Future[float]":
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[seq] = future
        return future

    async def listen(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(60)) as http,
            aconnect_sse(http, "GET", self.url, headers=self.headers) as source,
        ):
            self.connected.set()
            async for event in source.aiter_sse():
                if event.event != "relay.frame":
                    continue
                arrived = time.perf_counter()
                seq = int(json.loads(event.data)["seq"])
                for waiting in [s for s in self.waiters if s <= seq]:
                    future = self.waiters.pop(waiting)
                    if not future.done():
                        future.set_result(arrived)


async def measure(
    name: str, agent: ScriptedAgent, base_url: str, headers: dict[str, str], taps: int, warmup: int
) -> Run:
    created = await agent.create_handoff("other", task="benchmark: tap latency")
    token = created["mobile_url"].split("?t=", 1)[1]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        opened = await http.post(f"/api/v1/handoffs/{created['id']}/open", json={"token": token})
        opened.raise_for_status()
        operator = {"Authorization": f"Bearer {opened.json()['session_token']}"}
        phone = Phone(base_url, created["id"], opened.json()["session_token"])
        listener = asyncio.create_task(phone.listen())
        runner = asyncio.create_task(agent.run())
        await asyncio.wait_for(asyncio.gather(phone.connected.wait(), agent.connected.wait()), 20)

        latencies: list[float] = []
        sent_at: dict[int, float] = {}
        for index in range(warmup + taps):
            seq = index + 1  # one operator, one tap at a time: the server will number it so
            arrived = phone.expect(seq)  # registered before the POST, so a fast frame cannot be missed
            started = time.perf_counter()
            response = await http.post(f"/api/v1/handoffs/{created['id']}/actions", json=BUTTON, headers=operator)
            response.raise_for_status()
            assert response.json()["seq"] == seq
            done_at = await asyncio.wait_for(arrived, 30)
            sent_at[seq] = started
            if index >= warmup:
                latencies.append((done_at - started) * 1000)

        await http.post(f"/api/v1/handoffs/{created['id']}/fail", json={"reason": "agent_cancelled"}, headers=headers)
        await asyncio.wait_for(runner, 20)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await listener

    measured = [a for a in agent.applied if a.seq > warmup]
    return Run(
        name,
        latencies,
        [(a.received_at - sent_at[a.seq]) * 1000 for a in measured],
        [(a.applied_at - a.received_at) * 1000 for a in measured],
        [(a.frame_posted_at - a.applied_at) * 1000 for a in measured],
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(runs: list[Run], config: str) -> None:
    lines = [f"mobile tap latency — {config}", ""]
    lines.append(f"{'path':<34}{'n':>5}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for run in runs:
        values = run.latencies_ms
        lines.append(
            f"{run.name:<34}{len(values):>5}{_pct(values, 0.5):>10.1f}{_pct(values, 0.9):>10.1f}"
            f"{_pct(values, 0.99):>10.1f}{statistics.fmean(values):>10.1f}"
        )
    lines.append("")
    lines.append("median breakdown: POST→agent SSE | apply in page | screenshot+frame POST")
    for run in runs:
        lines.append(
            f"  {run.name:<32}{statistics.median(run.to_agent_ms):>8.1f} | {statistics.median(run.apply_ms):>8.1f}"
            f" | {statistics.median(run.frame_ms):>8.1f}"
        )
    browser, bare = runs
    lines.append("")
    lines.append(
        f"browser path p50 = {_pct(browser.latencies_ms, 0.5) / _pct(bare.latencies_ms, 0.5):.1f}× the bare relay "
        f"p50; budget (DESIGN §8): p50 < 250 ms → "
        f"{'met' if _pct(browser.latencies_ms, 0.5) < 250 else 'NOT met'}"
    )
    sys.stdout.write("\n".join(lines) + "\n")


async def bench(database_url: str | None, taps: int, warmup: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bp-bench-tap-") as tmp:
        backend = start_backend(Path(tmp), database_url=database_url)
        try:
            keys = await new_tenant(backend.database_url, "bench")
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                context = await browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
                page: Page = await context.new_page()
                await page.set_content(COUNTER_PAGE)
                real = ScriptedAgent(backend.url, keys.agent, page, agent_id="bench_browser", complete=False)
                browser_run = await measure(
                    "tap → Chromium → frame → phone", real, backend.url, keys.admin, taps, warmup
                )
                taps_seen = await page.evaluate("document.getElementById('n').textContent")
                bare = BareAgent(backend.url, keys.agent, page, agent_id="bench_bare", complete=False)
                bare_run = await measure("bare relay (no browser work)", bare, backend.url, keys.admin, taps, warmup)
                await browser.close()
            database = "SQLite (WAL, synchronous=FULL)" if backend.database_url.startswith("sqlite") else "PostgreSQL"
            report(
                [browser_run, bare_run],
                f"{taps} taps after {warmup} warm-up, {database}, one uvicorn worker, "
                f"Chromium JPEG q60 1280×800 frames; page counted {taps_seen} clicks",
            )
        finally:
            backend.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--taps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="one run against this database only")
    args = parser.parse_args()
    if args.database_url:
        await bench(args.database_url, args.taps, args.warmup)
        return
    await bench(None, args.taps, args.warmup)
    postgres_url = os.environ.get("BATONPASS_BENCH_POSTGRES_URL") or os.environ.get("BATONPASS_TEST_POSTGRES_URL")
    if not postgres_url:
        sys.stdout.write("\npostgres: skipped — set BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL)\n")
        return
    sys.stdout.write("\n")
    async with private_database(postgres_url, "bp_bench_tap") as url:
        await bench(url, args.taps, args.warmup)


if __name__ == "__main__":
    asyncio.run(main())
