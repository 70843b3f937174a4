from app.escalation.engine import HANDLERS
from app.escalation.watchdog import watchdog
from app.runtime import Runtime
from app.timers.worker import TimerWorker


def escalation_worker(runtime: Runtime) -> TimerWorker:
    """The timer worker wired to the escalation engine's handlers and watchdog."""
    return TimerWorker(runtime, HANDLERS, periodic=watchdog)
