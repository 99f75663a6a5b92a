"""The append-only audit log of a site: one JSON record per line, hash-chained, plus a head file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from berth_cli.state.files import private_dir, write_atomic
from berth_core.audit import AuditEntry, AuditRecord, ChainBreak, Head, next_record, verify_chain
from berth_core.errors import BerthError


class AuditLog:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "audit.log"
        self.head_path = state_dir / "audit.head"

    def records(self) -> list[AuditRecord]:
        if not self.path.exists():
            return []
        records = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(AuditRecord.from_json(line))
            except (ValueError, KeyError, TypeError) as error:
                raise BerthError(
                    f"{self.path}:{number}: not an audit record ({error})",
                    hint="the audit log was edited by hand; restore it from backup",
                ) from error
        return records

    def head(self) -> Head | None:
        if not self.head_path.exists():
            return None
        raw = json.loads(self.head_path.read_text(encoding="utf-8"))
        return Head(seq=int(raw["seq"]), hash=str(raw["hash"]))

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append one record (callers hold the site lock, so there is one writer at a time)."""
        records = self.records()
        record = next_record(records[-1] if records else None, entry)
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (record.to_json() + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        write_atomic(self.head_path, json.dumps({"seq": record.seq, "hash": record.hash}) + "\n")
        return record

    def verify(self) -> list[ChainBreak]:
        return verify_chain(self.records(), self.head())


def record(state_dir: Path, *, site: str, action: str, result: str, **fields: Any) -> AuditRecord:
    """Append what happened now, by this operator (user@host), to the site's audit log."""
    import getpass
    import socket
    import time

    entry = AuditEntry(
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        actor=f"{getpass.getuser()}@{socket.gethostname()}",
        site=site,
        action=action,
        result=result,
        **fields,
    )
    return AuditLog(state_dir).append(entry)
