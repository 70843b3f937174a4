"""Server-side request timing for the benchmarks, as a pure ASGI wrapper (about a microsecond per request).

It records, for every request to one method + path, the time from the ASGI call to the last body chunk
handed to the server. `GET /__bench__/timings` returns the samples (and clears them) with the number of
requests still in flight. Both the ceiling and our app are wrapped the same way, so the wrapper's own cost
cancels out of the ratio.
"""

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TIMINGS_PATH = "/__bench__/timings"


class ServerTiming:
    def __init__(self, app: ASGIApp, method: str, path: str) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.samples_ns: list[int] = []
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == TIMINGS_PATH:
            await self._report(send)
            return
        if scope["method"] != self.method or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter_ns()

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.samples_ns.append(time.perf_counter_ns() - started)

        self.in_flight += 1
        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.in_flight -= 1

    async def _report(self, send: Send) -> None:
        samples, self.samples_ns = self.samples_ns, []
        body = json.dumps({"samples_ns": samples, "in_flight": self.in_flight}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
