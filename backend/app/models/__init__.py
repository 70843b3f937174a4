from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.chain_head import ChainHead
from app.models.handoff import Handoff
from app.models.handoff_event import HandoffEvent
from app.models.idempotency_key import IdempotencyKey
from app.models.mobile_link import MobileLink
from app.models.operator_session import OperatorSession
from app.models.snapshot import Snapshot
from app.models.tenant import Tenant
from app.models.trace_event import TraceEvent

__all__ = [
    "ApiKey",
    "Base",
    "ChainHead",
    "Handoff",
    "HandoffEvent",
    "IdempotencyKey",
    "MobileLink",
    "OperatorSession",
    "Snapshot",
    "Tenant",
    "TraceEvent",
]
