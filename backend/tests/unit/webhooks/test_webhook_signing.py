"""Our signatures, checked by the public `standardwebhooks` package (never by our own verifier)."""

import base64
import json
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import WebhookVerificationError

from app.webhooks.signing import (
    SECRET_BYTES,
    format_secret,
    generate_secret,
    sign,
    signature_header,
    webhook_headers,
)

# The published example of the Standard Webhooks / Svix documentation.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def test_published_vector() -> None:
    assert sign(_key(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_matches_the_reference_library_signer() -> None:
    moment = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)
    reference = standardwebhooks.Webhook(VECTOR_SECRET).sign(VECTOR_ID, moment, VECTOR_BODY.decode())
    assert sign(_key(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == reference


def test_generated_secret_round_trips_through_the_reference_library() -> None:
    key = generate_secret()
    assert len(key) == SECRET_BYTES
    assert format_secret(key).startswith("whsec_")
    assert standardwebhooks.Webhook(format_secret(key))._whsecret == key
    assert generate_secret() != key


@given(
    body=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
    msg_id=st.from_regex(r"msg_[0-9A-Z]{26}", fullmatch=True),
)
def test_any_body_verifies(body: dict[str, str], msg_id: str) -> None:
    key = generate_secret()
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = webhook_headers([key], msg_id, int(time.time()), raw)
    assert standardwebhooks.Webhook(format_secret(key)).verify(raw, headers) == body


def test_headers_and_tampering() -> None:
    key = generate_secret()
    body = b'{"type":"handoff.created","timestamp":"t","data":{}}'
    headers = webhook_headers([key], "msg_1", int(time.time()), body)
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "BatonPass-Webhooks/1"
    verifier = standardwebhooks.Webhook(format_secret(key))
    verifier.verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body.replace(b"created", b"expired"), headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        standardwebhooks.Webhook(format_secret(generate_secret())).verify(body, headers)


def test_rotation_header_carries_one_token_per_key_and_either_verifies() -> None:
    new, old = generate_secret(), generate_secret()
    body = b"{}"
    headers = webhook_headers([new, old], "msg_1", int(time.time()), body)
    tokens = headers["webhook-signature"].split(" ")
    assert tokens == [sign(new, "msg_1", int(headers["webhook-timestamp"]), body), tokens[1]]
    assert len(tokens) == 2
    for key in (new, old):
        standardwebhooks.Webhook(format_secret(key)).verify(body, headers)
    assert signature_header([new], "msg_1", 1, body).count(" ") == 0
    with pytest.raises(ValueError, match="at least one"):
        webhook_headers([], "msg_1", 1, body)
