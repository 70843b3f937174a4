from email.message import EmailMessage

import aiosmtplib

from app.notify.channels.base import ChannelContext, ChannelResult, Notification


class EmailChannel:
    name: str = "email"
    needs: str | None = "email"

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult:
        settings = ctx.settings
        if not settings.smtp_host:
            return ChannelResult(ok=False, error="email channel is not configured (BATONPASS_SMTP_HOST)")
        if not note.email:
            return ChannelResult(ok=False, error="operator has no email address")
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = note.email
        message["Subject"] = f"[Baton Pass] {note.headline}"
        message["X-BatonPass-Handoff"] = note.handoff_id
        message.set_content(
            f"{note.headline}.\n\nTask: {note.task or '(not given)'}\n\n"
            f"Open this link on your phone within 60 seconds (it works once):\n{note.link_url}\n"
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                timeout=settings.channel_timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return ChannelResult(ok=False, error=f"smtp: {exc!r}")
        return ChannelResult(ok=True, detail={"to": note.email})
