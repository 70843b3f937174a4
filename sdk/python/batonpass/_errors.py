"""Every exception the SDK raises derives from `BatonPassError`.

HTTP 4xx answers become an `APIError` subclass chosen by status, carrying the RFC 9457 problem+json fields the
server sent (`status`, `type`, `title`, `detail`, and extensions such as `current_state`). Transport failures
and 5xx answers that outlived the retries become `APIConnectionError` / `ServerError`. A handoff that ends
without the agent being able to resume raises a `HandoffError` subclass in the agent's own call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BatonPassError",
    "ConflictError",
    "GoneError",
    "HandoffError",
    "HandoffExpiredError",
    "HandoffFailedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResumeFailedError",
    "ServerError",
    "UnprocessableEntityError",
]


class BatonPassError(Exception):
    """Base class of every error raised by this package."""


class APIConnectionError(BatonPassError):
    """The server could not be reached (or the stream could not be resumed) within the retry budget."""


class APIError(BatonPassError):
    """The server answered with an error; the problem+json body's fields are attributes.

    `current_state` is set on lifecycle conflicts (409): the handoff's state when the request was refused.
    `extensions` holds every other member of the problem body (e.g. `errors` on a 422).
    """

    def __init__(self, status: int, problem: Mapping[str, Any], *, method: str = "", url: str = "") -> None:
        self.status = status
        self.type: str = str(problem.get("type") or "about:blank")
        self.title: str = str(problem.get("title") or "")
        self.detail: str = str(problem.get("detail") or "")
        self.instance: str | None = _opt_str(problem.get("instance"))
        self.current_state: str | None = _opt_str(problem.get("current_state"))
        self.extensions: dict[str, Any] = {
            key: value
            for key, value in problem.items()
            if key not in {"type", "title", "status", "detail", "instance", "current_state"}
        }
        self.problem: dict[str, Any] = dict(problem)
        self.method = method
        self.url = url
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{status} {self.title or 'error'}: {self.detail or self.type}{where}")

    @property
    def slug(self) -> str:
        """The last path segment of `type`, e.g. `idempotency-key-reused`."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class BadRequestError(APIError):
    """400."""


class AuthenticationError(APIError):
    """401: missing, malformed or revoked API key."""


class PermissionDeniedError(APIError):
    """403: the key's scope does not allow this."""


class NotFoundError(APIError):
    """404: no such handoff in this tenant."""


class ConflictError(APIError):
    """409: an illegal lifecycle step; `current_state` says where the handoff is."""


class GoneError(APIError):
    """410: the resource existed but has ended (an expired link, a purged screen)."""


class PayloadTooLargeError(APIError):
    """413: the snapshot or frame is over the server's limit."""


class UnprocessableEntityError(APIError):
    """422: the body was refused (validation, a password left in the DOM, a reused Idempotency-Key)."""


class RateLimitError(APIError):
    """429 after the retries."""


class ServerError(APIError):
    """5xx after the retries."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for(status: int, problem: Mapping[str, Any], *, method: str = "", url: str = "") -> APIError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(status, problem, method=method, url=url)


class HandoffError(BatonPassError):
    """A handoff ended in a way that leaves the agent unable to continue from the frozen state."""

    def __init__(self, handoff_id: str, message: str) -> None:
        self.handoff_id = handoff_id
        super().__init__(f"handoff {handoff_id}: {message}")


class HandoffExpiredError(HandoffError):
    """No operator solved the handoff before it expired (its link is dead)."""


class HandoffFailedError(HandoffError):
    """The handoff failed: `reason` is the server's failure code (e.g. `operator_declined`)."""

    def __init__(self, handoff_id: str, reason: str | None, detail: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(handoff_id, f"failed ({reason or 'unknown reason'})" + (f": {detail}" if detail else ""))


class ResumeFailedError(HandoffError):
    """The operator solved it, but the page is no longer the frozen one (reloaded, went back, lost cookies),
    or the solution could not be applied. The SDK has already reported `failed(resume_failed)`."""

    def __init__(self, handoff_id: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(handoff_id, "resume checks failed: " + "; ".join(problems))


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
