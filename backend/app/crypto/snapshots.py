"""AES-256-GCM for snapshots, one key per (tenant, key version), derived with HKDF-SHA256.

blob = version (4 bytes, big endian) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)
AAD  = "tenant_id|handoff_id|version": a blob copied onto another handoff or tenant does not decrypt.
"""

import os
import struct
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto.keys import derive_key

_HEADER = struct.Struct(">I")
_NONCE_BYTES = 12


class SnapshotDecryptionError(RuntimeError):
    pass


class SnapshotCipher:
    def __init__(self, master_key: bytes) -> None:
        self._master_key = master_key
        self._aead = lru_cache(maxsize=1024)(self._make_aead)

    def _make_aead(self, tenant_id: str, version: int) -> AESGCM:
        return AESGCM(derive_key(self._master_key, f"snapshot/tenant={tenant_id}/version={version}"))

    @staticmethod
    def _aad(tenant_id: str, handoff_id: str, version: int) -> bytes:
        return f"{tenant_id}|{handoff_id}|{version}".encode()

    def encrypt(self, tenant_id: str, handoff_id: str, version: int, plaintext: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead(tenant_id, version).encrypt(nonce, plaintext, self._aad(tenant_id, handoff_id, version))
        return _HEADER.pack(version) + nonce + sealed

    def decrypt(self, tenant_id: str, handoff_id: str, blob: bytes) -> bytes:
        if len(blob) < _HEADER.size + _NONCE_BYTES + 16:
            raise SnapshotDecryptionError("snapshot blob is truncated")
        (version,) = _HEADER.unpack_from(blob)
        nonce = blob[_HEADER.size : _HEADER.size + _NONCE_BYTES]
        sealed = blob[_HEADER.size + _NONCE_BYTES :]
        try:
            return self._aead(tenant_id, version).decrypt(nonce, sealed, self._aad(tenant_id, handoff_id, version))
        except InvalidTag as exc:
            raise SnapshotDecryptionError("snapshot does not authenticate for this tenant and handoff") from exc

    @staticmethod
    def version_of(blob: bytes) -> int:
        (version,) = _HEADER.unpack_from(blob)
        return int(version)
