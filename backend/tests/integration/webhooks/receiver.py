"""A local webhook receiver for tests: a stdlib HTTP server on 127.0.0.1 in a thread, recording requests.

Replies follow a per-path plan (status, headers, body, delay), then 200. Runs outside the event loop under test,
so a slow reply never blocks the server being tested.
"""

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import standardwebhooks


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def verify(self, secret: str) -> dict[str, Any]:
        """Check the signature with the public standardwebhooks package; raises if it does not verify."""
        payload: dict[str, Any] = standardwebhooks.Webhook(secret).verify(self.body, self.headers)
        return payload


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, list[Reply]] = {}
        self._received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (kill -9): a real server drops it too
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._record(Received(self.path, headers, body, time.time()))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the sender gave up (timeout) or died (kill -9)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def plan(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with these replies, in order; 200 after them."""
        with self._lock:
            self._plans[path] = list(replies)

    def _record(self, request: Received) -> Reply:
        with self._lock:
            self._received.append(request)
            queue = self._plans.get(request.path)
            return queue.pop(0) if queue else Reply()

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    async def wait_for(
        self,
        condition: Callable[[list[Received]], bool],
        path: str | None = None,
        *,
        timeout_s: float = 10.0,
    ) -> list[Received]:
        """Poll until `condition(requests)` holds; fail after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            seen = self.requests(path)
            if condition(seen):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met within {timeout_s} s; got {len(seen)} requests")
            await asyncio.sleep(0.01)

    async def wait_count(self, path: str, count: int, *, timeout_s: float = 10.0) -> list[Received]:
        return await self.wait_for(lambda seen: len(seen) >= count, path, timeout_s=timeout_s)
