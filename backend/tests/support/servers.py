"""Local stand-ins for third-party APIs, served by a real uvicorn on 127.0.0.1 inside the test's loop. Each
implements the API surface we call and records what it received, so tests assert on the wire format."""

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import http_ece
import uvicorn
from aiosmtpd.controller import Controller
from conftest import free_port
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@contextlib.asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class FakeTwilio:
    """POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, Basic auth."""

    sid: str = "AC" + "0" * 32
    token: str = "twilio-token"
    fail_with: int | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def create_message(request: Request) -> Response:
            expected = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
            if request.path_params["sid"] != self.sid:
                return JSONResponse({"code": 20404, "message": "not found"}, status_code=404)
            if self.fail_with:
                return JSONResponse({"code": 30001, "message": "Queue overflow"}, status_code=self.fail_with)
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            self.messages.append(form)
            sid = f"SM{len(self.messages):032d}"
            return JSONResponse({"sid": sid, "status": "queued", "to": form.get("To")}, status_code=201)

        return Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", create_message, methods=["POST"])])


@dataclass
class FakeBland:
    """POST /v1/calls with `authorization: <key>`."""

    key: str = "bland-key"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def send_call(request: Request) -> Response:
            if request.headers.get("authorization") != self.key:
                return JSONResponse({"status": "error", "message": "Invalid API key"}, status_code=401)
            body = await request.json()
            if not str(body.get("phone_number", "")).startswith("+") or not body.get("task"):
                return JSONResponse({"status": "error", "message": "phone_number and task required"}, status_code=400)
            self.calls.append(body)
            return JSONResponse({"status": "success", "call_id": f"call_{len(self.calls)}"})

        return Starlette(routes=[Route("/v1/calls", send_call, methods=["POST"])])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushDevice:
    """A browser's push subscription: the private half stays here, so the fake can decrypt."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    endpoint: str

    def subscription(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64url(public), "auth": _b64url(self.auth_secret)}}


@dataclass
class FakePushService:
    """An RFC 8030 push service: checks the VAPID JWT (RFC 8292), decrypts the aes128gcm body (RFC 8291)."""

    base_url: str = ""
    devices: dict[str, PushDevice] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    def new_device(self, name: str) -> PushDevice:
        import os

        device = PushDevice(ec.generate_private_key(ec.SECP256R1()), os.urandom(16), f"{self.base_url}/push/{name}")
        self.devices[name] = device
        return device

    def _check_vapid(self, header: str) -> dict[str, Any]:
        scheme, _, params = header.partition(" ")
        assert scheme == "vapid", header
        parts = dict(p.split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        signing_input, _, signature = token.rpartition(".")
        raw = _unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(key))
        try:
            public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise AssertionError("VAPID signature does not verify") from exc
        claims: dict[str, Any] = json.loads(_unb64url(signing_input.split(".")[1]))
        assert claims["aud"] == self.base_url, claims
        assert claims["exp"] > time.time(), claims
        assert claims["sub"].startswith(("mailto:", "https:")), claims
        return claims

    def app(self) -> Starlette:
        async def push(request: Request) -> Response:
            name = request.path_params["name"]
            if name in self.gone or name not in self.devices:
                return Response(status_code=410)
            claims = self._check_vapid(request.headers["authorization"])
            device = self.devices[name]
            assert request.headers["content-encoding"] == "aes128gcm"
            plaintext = http_ece.decrypt(
                await request.body(), private_key=device.private_key, auth_secret=device.auth_secret,
                version="aes128gcm",
            )  # fmt: skip
            self.received.append(
                {"device": name, "payload": json.loads(plaintext), "ttl": int(request.headers["ttl"]),
                 "urgency": request.headers.get("urgency"), "topic": request.headers.get("topic"), "claims": claims}
            )  # fmt: skip
            return Response(status_code=201)

        return Starlette(routes=[Route("/push/{name}", push, methods=["POST"])])


class _MailSink:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content.decode()}
        )
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_server() -> Any:
    sink = _MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, sink.messages
    finally:
        controller.stop()
