"""Timer precision under load: 1,000 pending durable timers, fire time minus due time (p50/p99).

Baseline in the same run: the bare asyncio event loop (loop.call_at) firing the same schedule, i.e. the
best any in-process timer could do on this machine. Budget (DESIGN §8): escalation fires within 250 ms of
its due time at p99.

    backend/.venv/bin/python bench/timer_precision.py            # SQLite
    BATONPASS_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        backend/.venv/bin/python bench/timer_precision.py         # also PostgreSQL (private database)
"""

import asyncio
import os
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))


from _postgres import private_database

from app.config import Settings
from app.kit.timeutil import utcnow
from app.migrate import migrate
from app.runtime import Runtime
from app.timers.service import complete, lock_pending, schedule
from app.timers.worker import TimerWorker

TIMERS = 1000
SPREAD_S = 10.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bare_loop_lags() -> list[float]:
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    start = loop.time() + 0.5
    done = asyncio.Event()
    offsets = [i * SPREAD_S / TIMERS for i in range(TIMERS)]

    def fire(due: float) -> None:
        lags.append((loop.time() - due) * 1000)
        if len(lags) == TIMERS:
            done.set()

    for offset in offsets:
        loop.call_at(start + offset, fire, start + offset)
    await done.wait()
    return lags


async def durable_lags(url: str, data_dir: Path) -> list[float]:
    settings = Settings(database_url=url, data_dir=data_dir, run_worker=False, timer_poll_s=1.0)
    runtime = Runtime.build(settings)
    await migrate(runtime.database.engine)
    await runtime.start()
    lags: list[float] = []
    done = asyncio.Event()

    async def handler(rt: Runtime, timer_id: str) -> None:
        async with rt.database.transaction() as session:
            timer = await lock_pending(session, timer_id)
            if timer is None:
                return
            lags.append((utcnow() - timer.due_at).total_seconds() * 1000)
            complete(timer, "bench")
        if len(lags) == TIMERS:
            done.set()

    first_due = utcnow() + timedelta(seconds=2)
    async with runtime.database.transaction() as session:
        for i in range(TIMERS):
            schedule(
                session, runtime.bus, tenant_id="ten_bench", handoff_id=f"h_bench_{i}", kind="bench",
                due_at=first_due + timedelta(seconds=i * SPREAD_S / TIMERS),
            )  # fmt: skip
    stop = asyncio.Event()
    worker = asyncio.create_task(TimerWorker(runtime, {"bench": handler}).run(stop))
    try:
        await asyncio.wait_for(done.wait(), SPREAD_S + 60)
    finally:
        stop.set()
        await worker
        await runtime.close()
    return lags


def report(label: str, lags: list[float], baseline: list[float]) -> None:
    p50, p99 = statistics.median(lags), _pct(lags, 0.99)
    b50, b99 = statistics.median(baseline), _pct(baseline, 0.99)
    verdict = "met" if p99 < 250 else "NOT met"
    sys.stdout.write(
        f"{label:<28} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {max(lags):7.1f} ms | bare loop p50 {b50:5.2f} ms "
        f"p99 {b99:5.2f} ms | p99 budget 250 ms {verdict}\n"
    )


async def main() -> None:
    sys.stdout.write(f"{TIMERS} timers due over {SPREAD_S:.0f} s, all pending at once\n")
    baseline = await bare_loop_lags()
    with tempfile.TemporaryDirectory() as tmp:
        lags = await durable_lags(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp))
        report("durable timers, SQLite", lags, baseline)
        admin = os.environ.get("BATONPASS_BENCH_POSTGRES_URL")
        if admin:
            async with private_database(admin) as url:
                report("durable timers, PostgreSQL", await durable_lags(url, Path(tmp)), baseline)
        else:
            sys.stdout.write("PostgreSQL not measured: set BATONPASS_BENCH_POSTGRES_URL\n")


if __name__ == "__main__":
    asyncio.run(main())
