"""The per-site lock: one apply at a time; a second waits a bounded time, then fails naming the holder."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from berth_cli.state.files import private_dir
from berth_core.errors import StaleOrLocked


def _holder_text(raw: str) -> str:
    try:
        info = json.loads(raw)
        return f"{info['command']} (pid {info['pid']} on {info['host']}, since {info['since']})"
    except (ValueError, KeyError, TypeError):
        return "another berth process"


@contextmanager
def site_lock(state_dir: Path, command: str, wait_seconds: float = 30.0, poll: float = 0.2) -> Iterator[None]:
    """flock on .berth/<site>/lock; the kernel frees it if the holder dies, so it never goes stale."""
    path = private_dir(state_dir) / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder_text(path.read_text(encoding="utf-8"))
                    raise StaleOrLocked(
                        f"site is locked by {holder}",
                        hint=f"wait for it to finish, or check that process; waited {wait_seconds:g} s",
                    ) from None
                time.sleep(poll)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
