import httpx

from app.notify.channels.base import ChannelContext, ChannelResult, Notification, http_error


class VoiceChannel:
    """Bland AI send-call API: a phone call that tells the operator to open the link they were sent."""

    name: str = "voice"
    needs: str | None = "phone"

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult:
        settings = ctx.settings
        if not settings.bland_api_key:
            return ChannelResult(ok=False, error="voice channel is not configured (BATONPASS_BLAND_API_KEY)")
        if not note.phone:
            return ChannelResult(ok=False, error="operator has no phone number")
        name = note.operator_name or "there"
        body = {
            "phone_number": note.phone,
            "task": (
                f"You are Baton Pass, an alerting assistant. Tell {name}, briefly and calmly: "
                f"{note.headline}. Ask them to open the Baton Pass link on their phone now; it expires in "
                "about a minute. Do not read out any code or link. Then end the call."
            ),
            "first_sentence": f"Hi {name}, this is Baton Pass with an urgent handoff.",
            "max_duration": 2,
            "metadata": {"handoff_id": note.handoff_id, "tenant_id": note.tenant_id},
        }
        try:
            response = await ctx.http.post(
                f"{settings.bland_base_url.rstrip('/')}/v1/calls",
                json=body,
                headers={"authorization": settings.bland_api_key},
                timeout=settings.channel_timeout_s,
            )
        except httpx.HTTPError as exc:
            return ChannelResult(ok=False, error=f"bland unreachable: {exc!r}")
        if response.status_code >= 300:
            return ChannelResult(ok=False, error=http_error(response))
        payload = response.json()
        if payload.get("status") != "success":
            return ChannelResult(ok=False, error=f"bland refused the call: {payload}")
        return ChannelResult(ok=True, detail={"call_id": payload.get("call_id")})
