"""Standard Webhooks v1 symmetric signatures, written out rather than imported: the server depends on no
verifier library, and the tests check these bytes with the public `standardwebhooks` package."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32
USER_AGENT = "BatonPass-Webhooks/1"


def generate_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def format_secret(key: bytes) -> str:
    """`whsec_` + standard base64 of the key, the form every Standard Webhooks library accepts."""
    return SECRET_PREFIX + base64.b64encode(key).decode()


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">` over the exact body bytes sent."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """One space-separated token per key: during a rotation both the new and the old secret sign."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)


def webhook_headers(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    if not keys:
        raise ValueError("a webhook needs at least one signing key")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
