"""The server's VAPID identity (RFC 8292): one P-256 key, generated once, used to sign every push."""

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

VAPID_FILE = "vapid.pem"


@dataclass(frozen=True)
class VapidKey:
    signer: Vapid02
    public_key_b64url: str
    """Uncompressed point, base64url without padding: what PushManager.subscribe wants as applicationServerKey."""


def _from_pem(pem: bytes) -> VapidKey:
    signer = Vapid02.from_pem(pem)
    raw = signer.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKey(signer, base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


def load_vapid_key(configured_pem: str | None, data_dir: Path) -> VapidKey:
    if configured_pem:
        return _from_pem(configured_pem.encode())
    path = data_dir / VAPID_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return _from_pem(path.read_bytes())
