"""Web Push (RFC 8030) with an RFC 8291 aes128gcm payload and a VAPID (RFC 8292) signature."""

import json
import time
from urllib.parse import urlsplit

import httpx
from pywebpush import WebPusher, WebPushException

from app.notify.channels.base import ChannelContext, ChannelResult, Notification, PushTarget, http_error

VAPID_TTL_S = 12 * 3600


class WebPushChannel:
    name: str = "webpush"
    needs: str | None = "push"

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult:
        if not note.push_targets:
            return ChannelResult(ok=False, error="operator has no push subscription on any device")
        payload = json.dumps(
            {
                "title": "Baton Pass",
                "body": note.headline,
                "url": note.link_url,
                "handoff_id": note.handoff_id,
                "tag": note.handoff_id,
            }
        ).encode()
        delivered: list[str] = []
        errors: list[str] = []
        gone: list[str] = []
        for target in note.push_targets:
            outcome = await self._send_one(target, payload, note, ctx)
            if outcome is None:
                delivered.append(target.subscription_id)
            elif outcome == "gone":
                gone.append(target.subscription_id)
            else:
                errors.append(outcome)
        if delivered:
            return ChannelResult(ok=True, detail={"delivered": delivered}, gone_subscriptions=gone)
        return ChannelResult(ok=False, error="; ".join(errors) or "every subscription is gone", gone_subscriptions=gone)

    async def _send_one(
        self, target: PushTarget, payload: bytes, note: Notification, ctx: ChannelContext
    ) -> str | None:
        try:
            body = WebPusher(
                {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
            ).encode(payload, "aes128gcm")["body"]
        except (WebPushException, ValueError) as exc:
            return f"bad subscription {target.subscription_id}: {exc}"
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(target.endpoint))
        # py_vapid signs the claims it is given; build a fresh dict per message (never share one).
        claims: dict[str, str | int] = {
            "aud": origin,
            "sub": ctx.settings.vapid_subject,
            "exp": int(time.time()) + VAPID_TTL_S,
        }
        headers = {
            **ctx.vapid.signer.sign(claims),
            "TTL": str(max(1, note.seconds_left)),
            "Urgency": "high",
            "Topic": note.handoff_id[:32],
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        try:
            response = await ctx.http.post(
                target.endpoint, content=body, headers=headers, timeout=ctx.settings.channel_timeout_s
            )
        except httpx.HTTPError as exc:
            return f"push service unreachable: {exc!r}"
        if response.status_code in (404, 410):
            return "gone"
        if response.status_code >= 300:
            return http_error(response)
        return None
