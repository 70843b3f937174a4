import re

from ulid import ULID

PREFIXES = {
    "handoff": "h",
    "event": "evt",
    "trace": "trc",
    "operator": "op",
    "chain": "chn",
    "policy": "pol",
    "webhook_endpoint": "whe",
    "delivery": "msg",
    "tenant": "ten",
    "api_key": "key",
    "request": "req",
    "link": "lnk",
    "session": "ses",
    "push_subscription": "psub",
    "timer": "tmr",
    "fence": "fnc",
    "lead": "lead",
}

_ULID_RE = "[0-9A-HJKMNP-TV-Z]{26}"


def new_id(kind: str) -> str:
    """A prefixed ULID such as `h_01J…`: sortable by creation time, 26 Crockford base32 characters."""
    return f"{PREFIXES[kind]}_{ULID()}"


def id_pattern(kind: str) -> str:
    return f"^{PREFIXES[kind]}_{_ULID_RE}$"


def is_valid_id(kind: str, value: str) -> bool:
    return re.fullmatch(id_pattern(kind), value) is not None
