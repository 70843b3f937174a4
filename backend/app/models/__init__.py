from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.chain_head import ChainHead
from app.models.escalation_chain import EscalationChain
from app.models.handoff import Handoff
from app.models.handoff_event import HandoffEvent
from app.models.idempotency_key import IdempotencyKey
from app.models.lead import Lead
from app.models.mobile_link import MobileLink
from app.models.operator import Operator
from app.models.operator_session import OperatorSession
from app.models.policy import Policy
from app.models.push_subscription import PushSubscription
from app.models.relay_action import RelayAction
from app.models.relay_frame import RelayFrame
from app.models.snapshot import Snapshot
from app.models.tenant import Tenant
from app.models.timer import Timer
from app.models.trace_event import TraceEvent
from app.models.webhook_attempt import WebhookAttempt
from app.models.webhook_delivery import WebhookDelivery
from app.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "ApiKey",
    "Base",
    "ChainHead",
    "EscalationChain",
    "Handoff",
    "HandoffEvent",
    "IdempotencyKey",
    "Lead",
    "MobileLink",
    "Operator",
    "OperatorSession",
    "Policy",
    "PushSubscription",
    "RelayAction",
    "RelayFrame",
    "Snapshot",
    "Tenant",
    "Timer",
    "TraceEvent",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
