from datetime import UTC, datetime
from typing import Any

from app.models import Policy
from app.policies.evaluate import Subject, evaluate, matches

SUBJECT = Subject("twofa", "eu.salesforce.com", "agent_sf_7")


def _policy(pid: str, priority: int, trigger: dict[str, Any], action: dict[str, Any], enabled: bool = True) -> Policy:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Policy(
        id=pid, tenant_id="ten_1", name=pid, priority=priority, enabled=enabled, trigger=trigger, action=action,
        secret_blob=None, created_at=now, updated_at=now,
    )  # fmt: skip


def test_empty_trigger_matches_everything() -> None:
    assert matches({}, SUBJECT) == (True, "trigger matches")


def test_domain_glob_is_case_insensitive_and_needs_the_dot() -> None:
    assert matches({"domain": "*.SalesForce.com"}, SUBJECT)[0]
    assert not matches({"domain": "*.salesforce.com"}, Subject("twofa", "salesforce.com", "a"))[0]


def test_each_field_must_match() -> None:
    assert not matches({"interruption_type": "captcha"}, SUBJECT)[0]
    assert not matches({"agent_id": "agent_ops_*"}, SUBJECT)[0]
    assert matches({"interruption_type": "twofa", "agent_id": "agent_sf_?"}, SUBJECT)[0]


def test_priority_order_and_first_of_each_kind_wins() -> None:
    route_a = _policy("pol_b", 5, {}, {"type": "route", "operator_id": "op_a"})
    route_b = _policy("pol_a", 1, {}, {"type": "route", "operator_id": "op_b"})
    ttl = _policy("pol_c", 9, {}, {"type": "ttl", "seconds": 60})
    outcome = evaluate([route_a, ttl, route_b], SUBJECT)
    assert outcome.route == {"type": "route", "operator_id": "op_b"}
    assert outcome.ttl_s == 60
    assert [d["policy_id"] for d in outcome.decisions] == ["pol_a", "pol_b", "pol_c"]
    assert outcome.decisions[1]["applied"] is False


def test_disabled_policies_are_ignored() -> None:
    outcome = evaluate([_policy("pol_x", 1, {}, {"type": "ttl", "seconds": 60}, enabled=False)], SUBJECT)
    assert outcome.ttl_s is None
    assert outcome.decisions == []
