import random
from datetime import UTC, datetime, timedelta

import pytest

from app.webhooks.retry import (
    SCHEDULE_S,
    Decision,
    Outcome,
    Status,
    decide,
    delay_before,
    parse_retry_after,
)

NOW = datetime(2026, 5, 14, 3, 42, 11, tzinfo=UTC)
FIVE_DAYS = 5 * 86400.0


class _Edge(random.Random):
    """A random source stuck at the low (-1) or high (+1) end of every range."""

    def __init__(self, end: int) -> None:
        super().__init__()
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return a if self.end < 0 else b


def _decide(
    status: int | None,
    *,
    step: int = 0,
    failing_since: datetime | None = None,
    retry_after_s: float | None = None,
    end: int = 1,
) -> Decision:
    return decide(
        step=step,
        status_code=status,
        retry_after_s=retry_after_s,
        now=NOW,
        failing_since=failing_since,
        scale=1.0,
        disable_after_s=FIVE_DAYS,
        rng=_Edge(end),
    )


def test_schedule_is_svix() -> None:
    assert SCHEDULE_S == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


@pytest.mark.parametrize("step", range(len(SCHEDULE_S)))
def test_jitter_stays_within_twenty_percent(step: int) -> None:
    rng = random.Random(step)
    delays = [delay_before(step, 1.0, rng) or 0.0 for _ in range(200)]
    base = SCHEDULE_S[step]
    assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
    if base:
        assert len({round(d, 6) for d in delays}) > 100, "jitter must actually vary"
    assert delay_before(step, 1.0, _Edge(-1)) == pytest.approx(base * 0.8)
    assert delay_before(step, 1.0, _Edge(1)) == pytest.approx(base * 1.2)


def test_scale_multiplies_and_the_schedule_ends() -> None:
    assert delay_before(2, 0.001, _Edge(1)) == pytest.approx(0.36)
    assert delay_before(len(SCHEDULE_S), 1.0) is None


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_2xx_delivers_and_clears_the_failure_clock(status: int) -> None:
    decision = _decide(status, step=3, failing_since=NOW - timedelta(days=1))
    assert (decision.status, decision.outcome) == (Status.DELIVERED, Outcome.DELIVERED)
    assert decision.failing_since is None
    assert decision.next_attempt_at is None


@pytest.mark.parametrize("status", [None, 300, 301, 400, 404, 429, 500, 502, 503])
def test_failures_move_to_the_next_step(status: int | None) -> None:
    decision = _decide(status, step=1)
    assert (decision.status, decision.outcome) == (Status.PENDING, Outcome.RETRYING)
    assert decision.schedule_step == 2
    assert decision.next_attempt_at == NOW + timedelta(seconds=300 * 1.2)
    assert decision.failing_since == NOW
    assert decision.disable_reason is None


def test_the_failure_clock_keeps_its_start() -> None:
    since = NOW - timedelta(hours=3)
    assert _decide(500, failing_since=since).failing_since == since


def test_410_disables_at_once() -> None:
    decision = _decide(410)
    assert (decision.status, decision.outcome) == (Status.FAILED, Outcome.FAILED)
    assert decision.disable_reason == "the receiver answered 410 Gone"
    assert decision.next_attempt_at is None


def test_the_last_step_gives_up_without_disabling() -> None:
    since = NOW - timedelta(hours=27)
    decision = _decide(500, step=len(SCHEDULE_S) - 1, failing_since=since)
    assert decision.status is Status.FAILED
    assert decision.note == "gave up after 8 attempts"
    assert decision.disable_reason is None
    assert decision.failing_since == since


def test_failing_for_the_whole_period_disables() -> None:
    since = NOW - timedelta(days=5)
    decision = _decide(503, step=2, failing_since=since)
    assert decision.status is Status.FAILED
    assert decision.disable_reason == f"every attempt has failed since {since.isoformat()}"
    assert _decide(503, step=2, failing_since=since + timedelta(seconds=1)).status is Status.PENDING


@pytest.mark.parametrize(("status", "honoured"), [(429, True), (502, True), (503, True), (504, True), (500, False)])
def test_retry_after_is_honoured_for_throttling_statuses(status: int, honoured: bool) -> None:
    decision = _decide(status, retry_after_s=120.0)
    expected = 120.0 if honoured else 5 * 1.2
    assert decision.next_attempt_at == NOW + timedelta(seconds=expected)


def test_retry_after_never_shortens_the_schedule_and_is_capped() -> None:
    short = _decide(429, step=2, retry_after_s=1.0, end=-1)
    assert short.next_attempt_at == NOW + timedelta(seconds=1800 * 0.8)
    huge = _decide(429, retry_after_s=10.0**9)
    assert huge.next_attempt_at == NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Thu, 14 May 2026 03:44:11 GMT", 120.0),
        ("Thu, 14 May 2026 03:40:11 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds
