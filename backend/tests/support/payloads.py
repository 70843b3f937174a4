"""Realistic request bodies for tests."""

import base64
import struct
import zlib
from typing import Any

OTP_PAGE = """<!doctype html><html><head><title>2-Step Verification</title></head><body>
<main><h1>2-Step Verification</h1><p>Enter the 6-digit code from your authenticator app.</p>
<form action="/verify" method="post"><label for="otp">Verification code</label>
<input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="6" pattern="\\d{6}">
<button type="submit">Verify</button></form></main></body></html>"""

PLAIN_ARTICLE = """<!doctype html><html><head><title>Weather today</title></head><body>
<article><h1>Sunny all week</h1><p>Expect clear skies and light winds.</p></article></body></html>"""


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def handoff_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agent_id": "agent_outbound_sf",
        "interruption_type": "twofa",
        "domain": "example.com",
        "url": "https://login.example.com/2fa",
        "task": "Export the Q3 pipeline report",
        "snapshot": {
            "cookies": [{"name": "sid", "value": "s3cr3t", "domain": "login.example.com", "path": "/"}],
            "dom": OTP_PAGE,
            "screenshot": base64.b64encode(tiny_png()).decode(),
            "viewport": {"width": 1280, "height": 800, "device_scale_factor": 1},
        },
        "metadata": {"run_id": "run_42"},
    }
    body.update(overrides)
    return body
