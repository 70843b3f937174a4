from app.notify.channels.base import Channel, ChannelContext, ChannelResult, Notification, PushTarget
from app.notify.channels.registry import CHANNELS, channel_names, get_channel

__all__ = [
    "CHANNELS",
    "Channel",
    "ChannelContext",
    "ChannelResult",
    "Notification",
    "PushTarget",
    "channel_names",
    "get_channel",
]
