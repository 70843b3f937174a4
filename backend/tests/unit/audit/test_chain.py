import hashlib
import json
from typing import Any

import rfc8785

from app.audit.chain import GENESIS_HASH, record_hash, verify_jsonl, verify_records


def _chain(n: int, start_seq: int = 1, prev: str = GENESIS_HASH) -> list[dict[str, Any]]:
    records = []
    for seq in range(start_seq, start_seq + n):
        record: dict[str, Any] = {
            "seq": seq, "event_id": f"evt_{seq}", "tenant_id": "ten_1", "handoff_id": "h_1",
            "occurred_at": f"2026-05-14T03:42:{seq:02d}.000000Z", "actor": {"type": "server", "id": None},
            "action": "handoff.detected", "from_state": "created", "to_state": "detected", "reason": None,
            "ip": None, "user_agent": None, "request_id": None, "payload": {"score": 1.5, "note": "é ✓"},
            "prev_hash": prev,
        }  # fmt: skip
        record["hash"] = record_hash(record)
        prev = record["hash"]
        records.append(record)
    return records


def test_hash_is_sha256_of_jcs_without_the_hash_field() -> None:
    record = _chain(1)[0]
    body = {k: v for k, v in record.items() if k != "hash"}
    assert record["hash"] == hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def test_an_intact_chain_verifies() -> None:
    verdict = verify_records(_chain(5))
    assert verdict.ok
    assert verdict.records == 5
    assert verdict.last_seq == 5


def test_first_record_must_start_at_genesis() -> None:
    records = _chain(2, prev="f" * 64)
    verdict = verify_records(records)
    assert not verdict.ok
    assert verdict.broken_at == 1


def test_a_mid_chain_slice_verifies_from_its_own_anchor() -> None:
    records = _chain(6)
    assert verify_records(records[3:]).ok
    assert not verify_records(records[3:], anchor="a" * 64).ok


def test_an_altered_payload_is_caught_at_its_line() -> None:
    records = _chain(4)
    records[2]["payload"]["score"] = 9
    verdict = verify_records(records)
    assert (verdict.ok, verdict.broken_at) == (False, 3)
    assert "altered" in (verdict.problem or "")


def test_a_recomputed_hash_still_breaks_the_next_link() -> None:
    records = _chain(4)
    records[1]["reason"] = "forged"
    records[1]["hash"] = record_hash(records[1])
    verdict = verify_records(records)
    assert verdict.broken_at == 3
    assert "prev_hash" in (verdict.problem or "")


def test_jsonl_reports_garbage_and_blank_lines() -> None:
    lines = [json.dumps(r) for r in _chain(3)]
    assert verify_jsonl([lines[0], "{oops", lines[2]]).broken_at == 2
    assert verify_jsonl([lines[0], "", lines[1]]).problem == "the line is empty"


def test_unexpected_or_missing_fields_are_reported() -> None:
    records = _chain(2)
    records[1]["extra"] = 1
    assert "unexpected" in (verify_records(records).problem or "")
    records = _chain(2)
    del records[0]["ip"]
    assert "lacks ip" in (verify_records(records).problem or "")
