"""Keep webhooks from reaching the server's own network (SSRF).

A target URL is checked when an endpoint is saved, and again where it matters: the HTTP client's network
backend resolves the host itself, refuses the connection if any address is not publicly routable, and connects
to the address it checked. A DNS answer that changes between the check and the connection (rebinding) cannot
slip through, and TLS still verifies the certificate against the URL's host name.
"""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CATEGORIES = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)
RESOLVE_TIMEOUT_S = 5.0


class TargetRefused(Exception):
    """The URL or one of the addresses its host resolves to may not be called."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why a webhook may not connect to `ip` ("a loopback address"), or None for a public unicast one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = forbidden_reason(embedded)
            if inner is not None:
                return f"an address embedding {embedded}, {inner}"
            if ip.ipv4_mapped is not None:
                return None
        if ip.is_site_local:
            return "a site-local address"
    for attribute, label in _CATEGORIES:
        if getattr(ip, attribute):
            return f"{label} address"
    if not ip.is_global:
        return "not a publicly routable address"
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def parse_target(url: str, *, allow_http: bool) -> Target:
    """Check the URL's shape: https (or http when allowed), a host, no credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_http else ("https",)
    if scheme not in allowed:
        raise TargetRefused(
            "the URL must use https" if scheme == "http" else f"the URL must use {' or '.join(allowed)}"
        )
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL may not carry credentials (user:password@)")
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80))


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to, in resolver order (getaddrinfo runs in a thread)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            infos = await loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise TargetRefused(f"resolving {host} took longer than {RESOLVE_TIMEOUT_S:g} s") from exc
    except OSError as exc:
        raise TargetRefused(f"{host} does not resolve: {exc.strerror or exc}") from exc
    except ValueError as exc:  # includes UnicodeError: a name that is not valid IDNA
        raise TargetRefused(f"{host!r} is not a valid host name") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0") before parsing; the address alone decides.
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise TargetRefused(f"{host} does not resolve to any address")
    return addresses


def refuse_forbidden(host: str, addresses: Iterable[IPAddress]) -> None:
    """One bad address is enough to refuse: a resolver may rotate which one a client gets."""
    for ip in addresses:
        reason = forbidden_reason(ip)
        if reason is not None:
            where = f"{ip} is" if host.strip("[]") == str(ip) else f"{host} resolves to {ip}, which is"
            raise TargetRefused(f"{where} {reason}")


async def check_url(url: str, *, allow_http: bool, allow_private: bool) -> Target:
    target = parse_target(url, allow_http=allow_http)
    addresses = await resolve(target.host, target.port)
    if not allow_private:
        refuse_forbidden(target.host, addresses)
    return target


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves, checks and then connects to the checked address."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        if not self._allow_private:
            refuse_forbidden(host, addresses)
        error: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend underneath. No proxies from the environment (a proxy
    would make the check meaningless), no redirects (httpx never follows them unless asked)."""

    def __init__(self, *, allow_private: bool, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private),
        )


SHARD_CONNECTIONS = 4


class ShardedTransport(httpx.AsyncBaseTransport):
    """Several small guarded pools behind one client; each request goes to the least busy one.

    httpcore's pool re-examines every connection (asking each socket for its state) whenever a request starts
    or ends, so one pool of 64 connections spends more CPU on bookkeeping than on the requests themselves
    (bench/webhooks_throughput.py: ≈ 4× fewer requests/s than pools of 4 on loopback).
    """

    def __init__(self, *, allow_private: bool, connections: int, keepalive_expiry: float = 30.0) -> None:
        shards = max(1, -(-connections // SHARD_CONNECTIONS))
        per_shard = -(-connections // shards)
        limits = httpx.Limits(
            max_connections=per_shard, max_keepalive_connections=per_shard, keepalive_expiry=keepalive_expiry
        )
        context = httpx.create_ssl_context(trust_env=False)  # loading the CA bundle takes ≈ 20 ms: once
        self._shards = [
            GuardedTransport(allow_private=allow_private, limits=limits, ssl_context=context) for _ in range(shards)
        ]
        self._busy = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            return await self._shards[index].handle_async_request(request)
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
