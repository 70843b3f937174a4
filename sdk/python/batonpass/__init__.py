"""Baton Pass Python SDK: hand a stuck browser agent to a person, then resume on the same page.

```python
from batonpass import BatonPass, wrap_with_baton_pass

async with BatonPass("http://127.0.0.1:8069", api_key) as bp:
    async with wrap_with_baton_pass(page, bp, agent_id="billing-agent", task="Download the invoice") as page:
        await page.goto("https://example.com/login")  # a 2FA prompt here is handed to a person
```
"""

from batonpass._client import DEFAULT_BASE_URL, VERSION, BatonPass, FailureReason, TaskOutcome
from batonpass._detectors import Detection, Detectors, DialogTarget, OtpTarget, Target
from batonpass._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    BatonPassError,
    ConflictError,
    GoneError,
    HandoffError,
    HandoffExpiredError,
    HandoffFailedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ResumeFailedError,
    ServerError,
    UnprocessableEntityError,
)
from batonpass._models import (
    Frame,
    Handoff,
    HandoffEvent,
    HandoffPage,
    InterruptionType,
    RelayAction,
    Snapshot,
    StreamEvent,
    StreamMessage,
    Viewport,
)
from batonpass._wrap import BatonPassLocator, BatonPassPage, HandoffCallback, HandoffRecord, wrap_with_baton_pass

__version__ = VERSION

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BatonPass",
    "BatonPassError",
    "BatonPassLocator",
    "BatonPassPage",
    "ConflictError",
    "Detection",
    "Detectors",
    "DialogTarget",
    "FailureReason",
    "Frame",
    "GoneError",
    "Handoff",
    "HandoffCallback",
    "HandoffError",
    "HandoffEvent",
    "HandoffExpiredError",
    "HandoffFailedError",
    "HandoffPage",
    "HandoffRecord",
    "InterruptionType",
    "NotFoundError",
    "OtpTarget",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RelayAction",
    "ResumeFailedError",
    "ServerError",
    "Snapshot",
    "StreamEvent",
    "StreamMessage",
    "Target",
    "TaskOutcome",
    "UnprocessableEntityError",
    "Viewport",
    "__version__",
    "wrap_with_baton_pass",
]
