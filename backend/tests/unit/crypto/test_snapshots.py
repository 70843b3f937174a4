import os
import stat
from pathlib import Path

import pytest

from app.crypto.keys import MasterKeyError, load_master_key
from app.crypto.snapshots import SnapshotCipher, SnapshotDecryptionError

MASTER = b"m" * 32


def test_round_trip() -> None:
    cipher = SnapshotCipher(MASTER)
    blob = cipher.encrypt("ten_a", "h_1", 1, b"cookies+dom")
    assert b"cookies" not in blob
    assert cipher.decrypt("ten_a", "h_1", blob) == b"cookies+dom"


def test_nonces_are_fresh() -> None:
    cipher = SnapshotCipher(MASTER)
    assert cipher.encrypt("ten_a", "h_1", 1, b"x") != cipher.encrypt("ten_a", "h_1", 1, b"x")


@pytest.mark.parametrize(("tenant", "handoff"), [("ten_b", "h_1"), ("ten_a", "h_2")])
def test_a_blob_moved_to_another_tenant_or_handoff_does_not_decrypt(tenant: str, handoff: str) -> None:
    cipher = SnapshotCipher(MASTER)
    blob = cipher.encrypt("ten_a", "h_1", 1, b"secret")
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt(tenant, handoff, blob)


def test_tampered_blob_fails() -> None:
    cipher = SnapshotCipher(MASTER)
    blob = bytearray(cipher.encrypt("ten_a", "h_1", 1, b"secret"))
    blob[-1] ^= 1
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt("ten_a", "h_1", bytes(blob))


def test_rotation_new_version_encrypts_old_versions_still_decrypt() -> None:
    cipher = SnapshotCipher(MASTER)
    old = cipher.encrypt("ten_a", "h_1", 1, b"before rotation")
    new = cipher.encrypt("ten_a", "h_2", 2, b"after rotation")
    assert SnapshotCipher.version_of(old) == 1
    assert SnapshotCipher.version_of(new) == 2
    assert cipher.decrypt("ten_a", "h_1", old) == b"before rotation"
    assert cipher.decrypt("ten_a", "h_2", new) == b"after rotation"
    # the version is authenticated: relabelling an old blob as version 2 fails
    relabelled = (2).to_bytes(4, "big") + old[4:]
    with pytest.raises(SnapshotDecryptionError):
        cipher.decrypt("ten_a", "h_1", relabelled)


def test_a_different_master_key_cannot_read() -> None:
    blob = SnapshotCipher(MASTER).encrypt("ten_a", "h_1", 1, b"secret")
    with pytest.raises(SnapshotDecryptionError):
        SnapshotCipher(b"n" * 32).decrypt("ten_a", "h_1", blob)


def test_generated_master_key_is_private_and_stable(tmp_path: Path) -> None:
    first = load_master_key(None, tmp_path)
    assert len(first) == 32
    mode = stat.S_IMODE(os.stat(tmp_path / "master.key").st_mode)
    assert mode == 0o600
    assert load_master_key(None, tmp_path) == first


def test_configured_master_key_must_be_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="32 bytes"):
        load_master_key("c2hvcnQ=", tmp_path)
