"""Ceph's cephx keys, made by berth like every other secret of a site (no Ceph tool needed to mint one).

A key is Ceph's CryptoKey encoding in base64, exactly what `ceph-authtool --gen-print-key` prints: the
key type (1, AES), the creation time (seconds, nanoseconds), the secret's length, then the secret.
"""

from __future__ import annotations

import base64
import secrets
import struct
import time

AES_KEY_TYPE = 1
SECRET_BYTES = 16  # AES-128, Ceph's only cephx cipher


def encode_cephx_key(secret: bytes, created: float) -> str:
    """The base64 text of a cephx key holding `secret`, created at `created` (Unix time)."""
    seconds = int(created)
    nanoseconds = int((created - seconds) * 1_000_000_000)
    header = struct.pack("<HIIH", AES_KEY_TYPE, seconds, nanoseconds, len(secret))
    return base64.b64encode(header + secret).decode("ascii")


def new_cephx_key() -> str:
    return encode_cephx_key(secrets.token_bytes(SECRET_BYTES), time.time())


def is_cephx_key(text: str) -> bool:
    """Whether `text` is a well-formed cephx key (type AES, the length it declares)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return False
    if len(raw) < 12:
        return False
    key_type, _seconds, _nanoseconds, length = struct.unpack("<HIIH", raw[:12])
    return bool(key_type == AES_KEY_TYPE and length == SECRET_BYTES and len(raw) == 12 + length)
