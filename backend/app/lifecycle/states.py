from enum import StrEnum


class State(StrEnum):
    CREATED = "created"
    DETECTED = "detected"
    FROZEN = "frozen"
    NOTIFIED = "notified"
    OPENED = "opened"
    SOLVING = "solving"
    SOLVED = "solved"
    RESUME_REQUESTED = "resume_requested"
    RESUMED = "resumed"
    COMPLETED = "completed"
    EXPIRED = "expired"
    FAILED = "failed"
    ESCALATED = "escalated"


TERMINAL_STATES = frozenset({State.COMPLETED, State.EXPIRED, State.FAILED})


class ActorType(StrEnum):
    AGENT = "agent"
    SERVER = "server"
    OPERATOR = "operator"
    TIMER = "timer"
    ADMIN = "admin"


class FailureReason(StrEnum):
    CLASSIFIER_REJECTED = "classifier_rejected"
    OPERATOR_DECLINED = "operator_declined"
    RESUME_FAILED = "resume_failed"
    STATE_CORRUPTED = "state_corrupted"
    DOMAIN_CHANGED = "domain_changed"
    AGENT_CANCELLED = "agent_cancelled"
    INTERNAL_ERROR = "internal_error"
