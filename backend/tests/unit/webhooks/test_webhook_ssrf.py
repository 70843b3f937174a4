import ipaddress

import pytest

from app.webhooks.ssrf import TargetRefused, check_url, forbidden_reason, parse_target


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.251", "a multicast address"),
        ("240.0.0.1", "a private address"),
        ("255.255.255.255", "a private address"),
        ("100.64.0.1", "not a publicly routable address"),
        ("192.0.2.10", "a private address"),
        ("198.18.0.1", "a private address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fec0::1", "a site-local address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "an address embedding 127.0.0.1, a loopback address"),
        ("::ffff:10.0.0.1", "an address embedding 10.0.0.1, a private address"),
        ("::ffff:169.254.169.254", "an address embedding 169.254.169.254, a link-local address"),
        ("64:ff9b::a9fe:a9fe", "an address embedding 169.254.169.254, a link-local address"),
        ("2002:7f00:1::", "an address embedding 127.0.0.1, a loopback address"),
        ("::127.0.0.1", "a reserved address"),
        ("2001:db8::1", "a private address"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "allow_http", "message"),
    [
        ("http://example.com/", False, "the URL must use https"),
        ("ftp://example.com/", True, "the URL must use https or http"),
        ("https:///path", False, "the URL has no host"),
        ("https://user:pw@example.com/", False, "the URL may not carry credentials (user:password@)"),
        ("https://example.com:99999/", False, "not a valid URL"),
    ],
)
def test_url_shape(url: str, allow_http: bool, message: str) -> None:
    with pytest.raises(TargetRefused, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_target(url, allow_http=allow_http)


def test_default_ports() -> None:
    assert parse_target("https://Example.COM/x", allow_http=False).port == 443
    assert parse_target("http://example.com/x", allow_http=True).port == 80
    assert parse_target("https://[2606:4700::1]:8443/", allow_http=False).host == "2606:4700::1"


async def test_names_are_resolved_before_they_are_judged() -> None:
    with pytest.raises(TargetRefused, match=r"^localhost resolves to .*, which is a loopback address"):
        await check_url("https://localhost/hook", allow_http=False, allow_private=False)
    with pytest.raises(TargetRefused, match=r"^127.0.0.1 is a loopback address"):
        await check_url("https://127.0.0.1/hook", allow_http=False, allow_private=False)
    with pytest.raises(TargetRefused, match="does not resolve"):
        await check_url("https://no-such-host.invalid/", allow_http=False, allow_private=False)
    with pytest.raises(TargetRefused, match="is not a valid host name"):
        await check_url("https://a..b/", allow_http=False, allow_private=False)
    allowed = await check_url("http://localhost:8080/hook", allow_http=True, allow_private=True)
    assert (allowed.host, allowed.port) == ("localhost", 8080)
