"""The exporter `berth demo` leaves running: started detached, recorded by PID, stopped by that PID only.

A PID file can outlive its process and the number be reused by an unrelated one, so a recorded PID is
signalled only while its command line is still berth's `exporter serve` for this site.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

EXPORTER_PID = "exporter.pid"
EXPORTER_LOG = "exporter.log"


def exporter_command(site: str, listen: str, interval: float) -> list[str]:
    berth = Path(sys.executable).with_name("berth")
    return [str(berth), "--site", site, "exporter", "serve", "--listen", listen, "--interval", str(interval)]


def _is_our_exporter(pid: int, site: str) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [a.decode(errors="replace") for a in argv]
    for_site = any(a == "--site" and b == site for a, b in itertools.pairwise(words))
    return for_site and "exporter" in words and "serve" in words


def running_exporter(state_dir: Path, site: str) -> int | None:
    """The PID of the exporter recorded for this site, if that process is still it."""
    try:
        pid = int((state_dir / EXPORTER_PID).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _is_our_exporter(pid, site) else None


def start_exporter(state_dir: Path, site: str, listen: str, interval: float) -> subprocess.Popen[bytes]:
    """Detached (own session, so it outlives the command that started it); output appended to a log."""
    with (state_dir / EXPORTER_LOG).open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own entry point, no shell
            exporter_command(site, listen, interval),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (state_dir / EXPORTER_PID).write_text(f"{process.pid}\n", encoding="utf-8")
    return process


def stop_exporter(state_dir: Path, site: str, *, grace: float = 10.0) -> int | None:
    """Stop the recorded exporter (SIGTERM, SIGKILL after `grace` s); the PID stopped, or None if none ran.

    The PID file goes either way: a stale one (process gone or number reused) must not be acted on later.
    """
    pid = running_exporter(state_dir, site)
    (state_dir / EXPORTER_PID).unlink(missing_ok=True)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        # a zombie has an empty command line: a dead exporter stops counting even before it is reaped
        while time.monotonic() < deadline and _is_our_exporter(pid, site):
            time.sleep(0.1)
        if _is_our_exporter(pid, site):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return pid
