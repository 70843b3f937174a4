import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER_KEY_FILE = "master.key"


class MasterKeyError(RuntimeError):
    pass


def _decode_master(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError(f"{source} is not valid base64") from exc
    if len(key) != 32:
        raise MasterKeyError(f"{source} must decode to 32 bytes, got {len(key)}")
    return key


def load_master_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, else the one generated once into `data_dir/master.key` with mode 0600."""
    if configured:
        return _decode_master(configured, "BATONPASS_MASTER_KEY")
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        encoded = base64.b64encode(secrets.token_bytes(32)).decode() + "\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(encoded)
    return _decode_master(path.read_text(), str(path))


def derive_key(master_key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"batonpass/v1", info=purpose.encode()).derive(master_key)
