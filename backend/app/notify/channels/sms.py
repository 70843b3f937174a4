import time

import httpx

from app.notify.channels.base import ChannelContext, ChannelResult, Notification, http_error

TWILIO_MAX_VALIDITY_S = 36000


class SmsChannel:
    """Twilio Messages API. `ValidityPeriod` = seconds left, so a late text is never delivered."""

    name: str = "sms"
    needs: str | None = "phone"

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult:
        settings = ctx.settings
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
            return ChannelResult(ok=False, error="sms channel is not configured (BATONPASS_TWILIO_*)")
        if not note.phone:
            return ChannelResult(ok=False, error="operator has no phone number")
        form = {
            "To": note.phone,
            "Body": note.text(),
            "ValidityPeriod": str(max(1, min(TWILIO_MAX_VALIDITY_S, note.seconds_left))),
        }
        sender = settings.twilio_from
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        url = f"{settings.twilio_base_url.rstrip('/')}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
        started = time.perf_counter()
        try:
            response = await ctx.http.post(
                url,
                data=form,
                auth=(settings.twilio_account_sid, settings.twilio_auth_token),
                timeout=settings.channel_timeout_s,
            )
        except httpx.HTTPError as exc:
            return ChannelResult(ok=False, error=f"twilio unreachable: {exc!r}")
        if response.status_code not in (200, 201):
            return ChannelResult(ok=False, error=http_error(response))
        body = response.json()
        return ChannelResult(
            ok=True,
            detail={"sid": body.get("sid"), "status": body.get("status"), "ms": _ms(started)},
        )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
