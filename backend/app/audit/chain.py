"""The audit hash chain, free of the database: the same code verifies a live chain and an export.

hash = lowercase hex SHA-256 of the RFC 8785 (JCS) serialisation of the record without its `hash` field.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64

RECORD_FIELDS = (
    "seq",
    "event_id",
    "tenant_id",
    "handoff_id",
    "occurred_at",
    "actor",
    "action",
    "from_state",
    "to_state",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "payload",
    "prev_hash",
)


def record_hash(record: Mapping[str, Any]) -> str:
    unhashed = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(rfc8785.dumps(unhashed)).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    records: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str | None
    broken_at: int | None = None
    """1-based position (the line number in a JSONL export) of the first record that does not verify."""
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "head_hash": self.head_hash,
            "broken_at": self.broken_at,
            "problem": self.problem,
        }


class _Broken(Exception):
    pass


@dataclass(frozen=True)
class _Unparseable:
    why: str


def _check_shape(record: Any) -> None:
    if isinstance(record, _Unparseable):
        raise _Broken(record.why)
    if not isinstance(record, dict):
        raise _Broken("the record is not a JSON object")
    missing = [f for f in (*RECORD_FIELDS, "hash") if f not in record]
    if missing:
        raise _Broken(f"the record lacks {', '.join(missing)}")
    extra = sorted(set(record) - {*RECORD_FIELDS, "hash"})
    if extra:
        raise _Broken(f"the record has unexpected fields {', '.join(extra)}")
    if not isinstance(record["seq"], int) or isinstance(record["seq"], bool):
        raise _Broken("seq is not an integer")


class ChainVerifier:
    """Incremental verification, so a chain of any length is checked in constant memory.

    The first record's `prev_hash` is taken as the anchor when the records start mid-chain (seq > 1)
    and no `anchor` is given; a chain that starts at seq 1 must start from the 64-zero genesis hash.
    """

    def __init__(self, anchor: str | None = None) -> None:
        self.count = 0
        self.position = 0
        self.first_seq: int | None = None
        self.prev_seq: int | None = None
        self.prev_hash: str | None = anchor
        self.broken_at: int | None = None
        self.problem: str | None = None

    def feed(self, record: Any) -> bool:
        """Check the next record; False (and no further checks) once the chain is broken."""
        if self.broken_at is not None:
            return False
        self.position += 1
        try:
            _check_shape(record)
            seq = record["seq"]
            if self.prev_seq is None:
                self.first_seq = seq
                if seq == 1 and record["prev_hash"] != GENESIS_HASH:
                    raise _Broken("the first record (seq 1) does not start from the genesis hash")
                if self.prev_hash is None:
                    self.prev_hash = record["prev_hash"]
            elif seq != self.prev_seq + 1:
                raise _Broken(f"seq {seq} follows seq {self.prev_seq}: a record is missing or out of order")
            if record["prev_hash"] != self.prev_hash:
                raise _Broken(f"seq {seq}: prev_hash does not match the hash of the record before it")
            computed = record_hash(record)
            if computed != record["hash"]:
                raise _Broken(f"seq {seq}: the content does not match its hash (altered)")
        except _Broken as broken:
            self.broken_at, self.problem = self.position, str(broken)
            return False
        except (TypeError, ValueError) as exc:
            self.broken_at, self.problem = self.position, f"the record cannot be hashed: {exc}"
            return False
        self.count += 1
        self.prev_seq = seq
        self.prev_hash = computed
        return True

    def verdict(self) -> ChainVerdict:
        return ChainVerdict(
            self.broken_at is None,
            self.count,
            self.first_seq,
            self.prev_seq,
            self.prev_hash,
            self.broken_at,
            self.problem,
        )


def verify_records(records: Iterable[Any], *, anchor: str | None = None) -> ChainVerdict:
    verifier = ChainVerifier(anchor)
    for record in records:
        if not verifier.feed(record):
            break
    return verifier.verdict()


def _parse_lines(lines: Iterable[str]) -> Iterable[Any]:
    for line in lines:
        stripped = line.strip()
        try:
            yield json.loads(stripped)
        except json.JSONDecodeError:
            yield _Unparseable("the line is not valid JSON" if stripped else "the line is empty")


def verify_jsonl(lines: Iterable[str], *, anchor: str | None = None) -> ChainVerdict:
    """Verify a JSONL export line by line; `broken_at` is the 1-based line number."""
    return verify_records(_parse_lines(lines), anchor=anchor)
