"""The channel registry: data that the notifier reads; adding a channel is one line here."""

from app.notify.channels.base import Channel
from app.notify.channels.console import ConsoleChannel
from app.notify.channels.email import EmailChannel
from app.notify.channels.sms import SmsChannel
from app.notify.channels.voice import VoiceChannel
from app.notify.channels.webpush import WebPushChannel

CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (WebPushChannel(), SmsChannel(), VoiceChannel(), EmailChannel(), ConsoleChannel())
}


def channel_names() -> list[str]:
    return list(CHANNELS)


def get_channel(name: str) -> Channel:
    return CHANNELS[name]
