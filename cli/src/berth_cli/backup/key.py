"""The operator's backup key: 32 random bytes in a file only its owner can read, never printed.

The key is not in berth's state directory (that directory is inside every backup) but where the operator
keeps it: a backup that carried its own key would protect nothing. Archives name the key that made them by
a key id (a hash of the key, which reveals nothing of it), so a wrong key is told apart from a damaged file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from berth_core.errors import UsageError

KEY_BYTES = 32  # AES-256
_PREFIX = "berth-backup-key-1:"


@dataclass(frozen=True)
class BackupKey:
    secret: bytes = field(repr=False)

    @property
    def key_id(self) -> bytes:
        """Eight bytes that name the key in an archive's header."""
        return hashlib.sha256(b"berth backup key id\0" + self.secret).digest()[:8]


def new_key_file(path: Path) -> BackupKey:
    """Write a new key to `path` (0600; refused when the file exists: an old key must never be lost)."""
    key = BackupKey(os.urandom(KEY_BYTES))
    text = _PREFIX + base64.urlsafe_b64encode(key.secret).decode("ascii") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(
            f"{path}: a key file is already there",
            hint="use it with --key-file (without --new-key), or name a new file",
        ) from None
    try:
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def read_key_file(path: Path) -> BackupKey:
    """The key in `path`; UsageError when it is missing, readable by others, or not a berth key."""
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such key file", hint="make one with `berth cloud backup --new-key --key-file PATH`"
        ) from None
    except (OSError, UnicodeDecodeError) as bad:
        raise UsageError(f"{path}: the key file cannot be read ({type(bad).__name__})") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UsageError(
            f"{path}: the key file is readable by others (mode {stat.S_IMODE(info.st_mode):04o})",
            hint=f"chmod 600 {path}",
        )
    secret = b""
    if text.startswith(_PREFIX):
        try:
            secret = base64.urlsafe_b64decode(text[len(_PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError):
            secret = b""
    if len(secret) != KEY_BYTES:
        raise UsageError(f"{path}: not a berth backup key", hint="berth writes one with --new-key")
    return BackupKey(secret)
