"""The timer worker: claims due timers and runs their handlers. Runs inside the server by default, or alone
as `batonpass worker`; any number of workers may run against one database."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from app.kit.timeutil import utcnow
from app.runtime import Runtime
from app.timers.service import TIMERS_CHANNEL, claim_due, next_due_at

log = logging.getLogger("batonpass.timers")

Handler = Callable[[Runtime, str], Awaitable[None]]
Periodic = Callable[[Runtime], Awaitable[None]]
CLAIM_BATCH = 50
CONCURRENCY = 16


class TimerWorker:
    def __init__(self, runtime: Runtime, handlers: Mapping[str, Handler], periodic: Periodic | None = None) -> None:
        self.runtime = runtime
        self.handlers = handlers
        self.periodic = periodic
        self._slots = asyncio.Semaphore(CONCURRENCY)

    async def run(self, stop: asyncio.Event) -> None:
        settings = self.runtime.settings
        tasks: set[asyncio.Task[None]] = set()
        last_periodic = 0.0
        loop = asyncio.get_running_loop()
        async with self.runtime.bus.subscribe(TIMERS_CHANNEL) as wake:
            while not stop.is_set():
                try:
                    timers = await claim_due(self.runtime.database, limit=CLAIM_BATCH, lease_s=settings.timer_lease_s)
                    for timer in timers:
                        await self._slots.acquire()
                        task = asyncio.create_task(self._fire(timer.kind, timer.id))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    if self.periodic and loop.time() - last_periodic >= settings.watchdog_interval_s:
                        last_periodic = loop.time()
                        await self.periodic(self.runtime)
                    if len(timers) == CLAIM_BATCH:
                        continue
                    pause = await self._pause(settings.timer_poll_s)
                except Exception:
                    log.exception("timer worker iteration failed; retrying")
                    pause = settings.timer_poll_s
                if pause > 0:
                    stop_wait = asyncio.create_task(stop.wait())
                    wake_wait = asyncio.create_task(wake.wait())
                    await asyncio.wait({stop_wait, wake_wait}, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
                    for waiter in (stop_wait, wake_wait):
                        waiter.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=10)

    async def _pause(self, poll_s: float) -> float:
        """Sleep exactly until the next due timer (precision), never longer than the poll interval."""
        due = await next_due_at(self.runtime.database)
        if due is None:
            return poll_s
        return max(0.0, min(poll_s, (due - utcnow()).total_seconds()))

    async def _fire(self, kind: str, timer_id: str) -> None:
        try:
            handler = self.handlers.get(kind)
            if handler is None:
                log.error("no handler for timer kind %s (timer %s)", kind, timer_id)
                return
            await handler(self.runtime, timer_id)
        except Exception:
            # The lease runs out and another pass retries it: a crash here is never a lost escalation.
            log.exception("timer %s (%s) failed", timer_id, kind)
        finally:
            self._slots.release()


@contextlib.asynccontextmanager
async def running_worker(worker: TimerWorker) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="batonpass-timer-worker")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
