#!/usr/bin/env python3
"""Verify a Baton Pass audit export (JSONL) without any Baton Pass code.

Needs only the Python standard library and the public `rfc8785` package (pip install rfc8785):

    python verify_audit_export.py audit.jsonl
    python verify_audit_export.py window.jsonl --anchor <hash of the record before the window>

Each line is one record. A record's `hash` is the lowercase hex SHA-256 of the RFC 8785 (JCS)
serialisation of the record without its `hash` field; its `prev_hash` is the previous record's `hash`
(64 zeros before seq 1), and `seq` rises by exactly 1. An export that starts mid-chain (a `from=` window)
is checked from its first `prev_hash`, or from `--anchor` if you pass a head you already trust.

Exit status: 0 when every line verifies, 1 at the first line that does not (it is named), 2 on usage errors.
"""

import argparse
import hashlib
import json
import sys
from typing import Any

import rfc8785

GENESIS = "0" * 64
FIELDS = {
    "seq", "event_id", "tenant_id", "handoff_id", "occurred_at", "actor", "action", "from_state",
    "to_state", "reason", "ip", "user_agent", "request_id", "payload", "prev_hash", "hash",
}  # fmt: skip


def record_hash(record: dict[str, Any]) -> str:
    without_hash = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(rfc8785.dumps(without_hash)).hexdigest()


def verify(path: str, anchor: str | None) -> int:
    expected_prev, expected_seq, count, first_seq = anchor, None, 0, None
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                return broken(number, "not valid JSON", count)
            if not isinstance(record, dict) or set(record) != FIELDS:
                return broken(number, "not a record with exactly the documented fields", count)
            seq = record["seq"]
            if expected_seq is None:
                first_seq = seq
                if seq == 1 and record["prev_hash"] != GENESIS:
                    return broken(number, "seq 1 does not start from the genesis hash (64 zeros)", count)
                if expected_prev is None:
                    expected_prev = record["prev_hash"]
            elif seq != expected_seq:
                why = f"seq {seq} where {expected_seq} was expected (a record dropped or reordered)"
                return broken(number, why, count)
            if record["prev_hash"] != expected_prev:
                return broken(number, f"seq {seq}: prev_hash is not the previous record's hash", count)
            if record_hash(record) != record["hash"]:
                return broken(number, f"seq {seq}: content does not match its hash (altered)", count)
            expected_prev, expected_seq, count = record["hash"], seq + 1, count + 1
    if expected_seq is None:
        sys.stdout.write("EMPTY: no records\n")
        return 1
    sys.stdout.write(f"OK: {count} records, seq {first_seq}..{expected_seq - 1}, head {expected_prev}\n")
    return 0


def broken(line: int, why: str, verified: int) -> int:
    sys.stdout.write(f"BROKEN at line {line}: {why} ({verified} records before it verified)\n")
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description="Verify a Baton Pass audit export offline.")
    parser.add_argument("file", help="a JSONL export from GET /api/v1/audit/export.jsonl")
    parser.add_argument("--anchor", help="the trusted hash the first record's prev_hash must equal")
    args = parser.parse_args()
    return verify(args.file, args.anchor)


if __name__ == "__main__":
    sys.exit(main())
