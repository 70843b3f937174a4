import logging

from app.notify.channels.base import ChannelContext, ChannelResult, Notification

log = logging.getLogger("batonpass.notify.console")


class ConsoleChannel:
    """Development default: the link goes to the server log (and the console UI). Cannot fail."""

    name: str = "console"
    needs: str | None = None

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult:
        who = f" for {note.operator_name} ({note.operator_id})" if note.operator_id else ""
        log.warning("handoff %s%s: %s → open %s", note.handoff_id, who, note.headline, note.link_url)
        return ChannelResult(ok=True)
