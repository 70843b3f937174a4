"""A small server-sent-events decoder (WHATWG HTML §9.2.6), fed one line at a time."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None
    retry_ms: int | None


class SSEDecoder:
    """Turns lines (without their line terminator) into events.

    An event is dispatched on a blank line; comment lines (`:` ping) and unknown fields are ignored; `data`
    lines are joined with newlines; `id` persists across events as `last_event_id` (an id containing NUL is
    ignored, per the spec) and an event without data is dropped, its id still remembered.
    """

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None
        self.last_event_id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_event_id = value or None
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        event, data, event_id, retry = self._event, self._data, self._id, self._retry
        self._event, self._data, self._id, self._retry = "", [], None, None
        if not data:
            return None
        return ServerSentEvent(event or "message", "\n".join(data), event_id, retry)
