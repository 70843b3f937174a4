"""Signed operator links: `base64url(claims) "." base64url(HMAC-SHA256(secret, base64url(claims)))`.

The signature proves the server minted the claims; the `jti` (stored, consumed once) makes the link
single-use, which a signature alone cannot.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from app.kit.problems import Gone, Unauthorized


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkClaims:
    handoff_id: str
    operator_id: str | None
    expires_at: datetime
    jti: str


class InvalidLink(Unauthorized):
    slug, title = "invalid-link", "Invalid link"


class ExpiredLink(Gone):
    slug, title = "link-expired", "Link expired"


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def sign(self, claims: LinkClaims) -> str:
        payload = {
            "h": claims.handoff_id,
            "op": claims.operator_id,
            "exp": int(claims.expires_at.timestamp()),
            "jti": claims.jti,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, handoff_id: str, now: datetime) -> LinkClaims:
        """Check signature, handoff and expiry — in that order, so a forged token learns nothing."""
        body, _, mac = token.partition(".")
        if not body or not mac or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            raise InvalidLink("This link is not valid: its signature does not match.")
        try:
            payload = json.loads(_unb64(body))
            claims = LinkClaims(
                handoff_id=str(payload["h"]),
                operator_id=None if payload.get("op") is None else str(payload["op"]),
                expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
                jti=str(payload["jti"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidLink("This link is not valid: its contents are malformed.") from exc
        if claims.handoff_id != handoff_id:
            raise InvalidLink("This link belongs to a different handoff.")
        if now >= claims.expires_at:
            raise ExpiredLink("This link expired — ask for a new one.", expired_at=claims.expires_at.isoformat())
        return claims
