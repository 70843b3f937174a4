"""What happens after an attempt: the retry schedule, Retry-After, and when an endpoint is disabled.

Pure functions of their inputs (the random source is a parameter), so the rules are unit-tested directly.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from app.kit.timeutil import as_utc

SCHEDULE_S: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
"""Delay before each attempt, the first one included (Svix's schedule: 8 attempts over ≈ 27.5 h)."""
JITTER = 0.2
THROTTLE_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_CAP_S = 86400.0


class Status(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


def delay_before(step: int, scale: float, rng: random.Random | None = None) -> float | None:
    """Seconds to wait before attempt `step` (0-based) with ±20 % jitter; None once the schedule is spent."""
    if step >= len(SCHEDULE_S):
        return None
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return SCHEDULE_S[step] * scale * factor


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (as_utc(moment) - now).total_seconds())


@dataclass(frozen=True)
class Decision:
    status: Status
    outcome: Outcome
    schedule_step: int
    next_attempt_at: datetime | None
    failing_since: datetime | None
    """The endpoint's new value: None after a success."""
    disable_reason: str | None = None
    note: str | None = None


def decide(
    *,
    step: int,
    status_code: int | None,
    retry_after_s: float | None,
    now: datetime,
    failing_since: datetime | None,
    scale: float,
    disable_after_s: float,
    rng: random.Random | None = None,
) -> Decision:
    """The verdict on one attempt made at schedule position `step` (`status_code` None: no response)."""
    if status_code is not None and 200 <= status_code < 300:
        return Decision(Status.DELIVERED, Outcome.DELIVERED, step, None, None)
    if status_code == 410:
        return Decision(
            Status.FAILED,
            Outcome.FAILED,
            step,
            None,
            failing_since or now,
            disable_reason="the receiver answered 410 Gone",
            note="endpoint disabled: the receiver answered 410 Gone",
        )
    since = failing_since or now
    if (now - since).total_seconds() >= disable_after_s:
        reason = f"every attempt has failed since {since.isoformat()}"
        return Decision(
            Status.FAILED, Outcome.FAILED, step, None, since, disable_reason=reason, note=f"endpoint disabled: {reason}"
        )
    delay = delay_before(step + 1, scale, rng)
    if delay is None:
        note = f"gave up after {len(SCHEDULE_S)} attempts"
        return Decision(Status.FAILED, Outcome.FAILED, step, None, since, note=note)
    if status_code in THROTTLE_STATUSES and retry_after_s is not None:
        delay = max(delay, min(retry_after_s, RETRY_AFTER_CAP_S))
    return Decision(Status.PENDING, Outcome.RETRYING, step + 1, now + timedelta(seconds=delay), since)
