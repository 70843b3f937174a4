"""What the server refuses to store: snapshots that still carry a password, or that are too large."""

import base64
import binascii
from html.parser import HTMLParser

from app.handoffs.schemas import SnapshotIn
from app.kit.problems import PayloadTooLarge, Unprocessable

_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


class _PasswordValueFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.offending: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        attributes = {name.lower(): value for name, value in attrs}
        if (attributes.get("type") or "").strip().lower() == "password" and (attributes.get("value") or ""):
            self.offending.append(attributes.get("name") or attributes.get("id") or "(unnamed)")

    handle_startendtag = handle_starttag


def password_fields_with_values(dom: str) -> list[str]:
    if "password" not in dom.lower():
        return []
    finder = _PasswordValueFinder()
    finder.feed(dom)
    finder.close()
    return finder.offending


def decode_screenshot(encoded: str) -> tuple[bytes, str]:
    if "," in encoded[:64] and encoded.startswith("data:"):
        encoded = encoded.split(",", 1)[1]
    try:
        image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable("snapshot.screenshot is not valid base64.", field="snapshot.screenshot") from exc
    for magic, media_type in _IMAGE_MAGIC.items():
        if image.startswith(magic):
            return image, media_type
    raise Unprocessable("snapshot.screenshot must be a PNG, JPEG or WebP image.", field="snapshot.screenshot")


def check_snapshot(snapshot: SnapshotIn, max_bytes: int) -> tuple[bytes, str]:
    """Validate and return the decoded screenshot; raise 413 or 422 with the precise reason."""
    image, media_type = decode_screenshot(snapshot.screenshot)
    cookie_bytes = sum(len(c.name) + len(c.value) for c in snapshot.cookies)
    total = len(image) + len(snapshot.dom.encode()) + cookie_bytes
    if total > max_bytes:
        raise PayloadTooLarge(
            f"The snapshot is {total} bytes; the limit is {max_bytes}. Send a JPEG screenshot of the viewport.",
            size_bytes=total,
            limit_bytes=max_bytes,
        )
    offending = password_fields_with_values(snapshot.dom)
    if offending:
        raise Unprocessable(
            "The DOM snapshot still carries a password value in input "
            f"{', '.join(offending)}; strip password values before upload (the SDK does).",
            field="snapshot.dom",
        )
    return image, media_type
