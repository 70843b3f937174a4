"""Policy evaluation, pure: which policies match a handoff, and what they decide. Priority order; for each
kind of action (route, auto_resolve, ttl) the first matching policy wins and later ones are recorded as
shadowed."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from app.models import Policy


@dataclass(frozen=True)
class Subject:
    interruption_type: str
    domain: str
    agent_id: str


@dataclass
class Outcome:
    decisions: list[dict[str, Any]] = field(default_factory=list)
    route: dict[str, Any] | None = None
    ttl_s: int | None = None
    auto_resolve: Policy | None = None


def matches(trigger: dict[str, Any], subject: Subject) -> tuple[bool, str]:
    wanted_type = trigger.get("interruption_type")
    if wanted_type and wanted_type != subject.interruption_type:
        return False, f"interruption_type is {subject.interruption_type}, not {wanted_type}"
    domain_glob = trigger.get("domain")
    if domain_glob and not fnmatchcase(subject.domain.lower(), str(domain_glob).lower()):
        return False, f"domain {subject.domain} does not match {domain_glob}"
    agent_glob = trigger.get("agent_id")
    if agent_glob and not fnmatchcase(subject.agent_id, str(agent_glob)):
        return False, f"agent_id {subject.agent_id} does not match {agent_glob}"
    return True, "trigger matches"


def evaluate(policies: Sequence[Policy], subject: Subject) -> Outcome:
    outcome = Outcome()
    for policy in sorted((p for p in policies if p.enabled), key=lambda p: (p.priority, p.id)):
        matched, why = matches(policy.trigger, subject)
        kind = str(policy.action.get("type"))
        applied = False
        if matched:
            if kind == "route" and outcome.route is None:
                outcome.route, applied = dict(policy.action), True
            elif kind == "ttl" and outcome.ttl_s is None:
                outcome.ttl_s, applied = int(policy.action["seconds"]), True
            elif kind == "auto_resolve" and outcome.auto_resolve is None:
                outcome.auto_resolve, applied = policy, True
            else:
                why = f"shadowed by an earlier {kind} policy"
        outcome.decisions.append(
            {"policy_id": policy.id, "name": policy.name, "matched": matched, "applied": applied,
             "action": kind, "why": why}
        )  # fmt: skip
    return outcome
