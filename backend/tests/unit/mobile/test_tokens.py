from datetime import UTC, datetime, timedelta

import pytest

from app.mobile.tokens import ExpiredLink, InvalidLink, LinkClaims, LinkSigner

NOW = datetime(2026, 5, 14, 3, 42, tzinfo=UTC)


def _token(signer: LinkSigner, handoff: str = "h_1", seconds: int = 60) -> str:
    return signer.sign(LinkClaims(handoff, "op_jordan", NOW + timedelta(seconds=seconds), "lnk_1"))


def test_round_trip_keeps_claims() -> None:
    signer = LinkSigner(b"s" * 32)
    claims = signer.verify(_token(signer), handoff_id="h_1", now=NOW)
    assert (claims.operator_id, claims.jti) == ("op_jordan", "lnk_1")


def test_expired_after_its_lifetime() -> None:
    signer = LinkSigner(b"s" * 32)
    with pytest.raises(ExpiredLink):
        signer.verify(_token(signer), handoff_id="h_1", now=NOW + timedelta(seconds=60))


def test_signed_by_another_secret_is_invalid() -> None:
    with pytest.raises(InvalidLink, match="signature"):
        LinkSigner(b"t" * 32).verify(_token(LinkSigner(b"s" * 32)), handoff_id="h_1", now=NOW)


def test_claims_cannot_be_edited() -> None:
    signer = LinkSigner(b"s" * 32)
    body, mac = _token(signer).split(".")
    other_body = _token(signer, seconds=3600).split(".")[0]
    with pytest.raises(InvalidLink):
        signer.verify(f"{other_body}.{mac}", handoff_id="h_1", now=NOW)
    assert body != other_body


def test_bound_to_its_handoff() -> None:
    signer = LinkSigner(b"s" * 32)
    with pytest.raises(InvalidLink, match="different handoff"):
        signer.verify(_token(signer), handoff_id="h_2", now=NOW)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.def", ".....", "é.ü", "abc.\u0100"])
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(InvalidLink):
        LinkSigner(b"s" * 32).verify(garbage, handoff_id="h_1", now=NOW)
