"""The audit trail as a hash chain (pure): every record carries the hash of the one before it.

Editing a record breaks its own hash; deleting or reordering one breaks the next record's `prev`; cutting
records off the end is caught against the head (last sequence number and hash) that the log keeps apart.
Times and actors are given by the caller: core reads no clock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from berth_core.state import canonical_json

GENESIS = "0" * 64


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """What happened, as the caller describes it."""

    time: str  # ISO 8601, UTC
    actor: str  # operator (user@host)
    site: str
    action: str  # apply, destroy, override, ...
    result: str  # ok, failed, refused
    ticket: str = ""
    reason: str = ""
    plan_sha256: str = ""
    manifests: dict[str, str] = field(default_factory=dict)  # slug -> sha256 of the manifest file
    summary: dict[str, Any] = field(default_factory=dict)  # counts of create/update/delete, errors


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    prev: str
    entry: AuditEntry
    hash: str

    def to_json(self) -> str:
        return canonical_json(asdict(self))

    @staticmethod
    def from_json(line: str) -> AuditRecord:
        raw = json.loads(line)
        return AuditRecord(
            seq=raw["seq"], prev=raw["prev"], entry=AuditEntry(**raw["entry"]), hash=raw["hash"]
        )


def record_hash(seq: int, prev: str, entry: AuditEntry) -> str:
    return sha256_text(canonical_json({"seq": seq, "prev": prev, "entry": asdict(entry)}))


def next_record(last: AuditRecord | None, entry: AuditEntry) -> AuditRecord:
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    return AuditRecord(seq=seq, prev=prev, entry=entry, hash=record_hash(seq, prev, entry))


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    seq: int  # the record at which the chain stops being trustworthy (0: the log as a whole)
    reason: str


def verify_chain(records: list[AuditRecord], head: Head | None) -> list[ChainBreak]:
    """Every break in the chain, in order; an empty list means the log is intact."""
    breaks: list[ChainBreak] = []
    expected_prev, expected_seq = GENESIS, 1
    for record in records:
        if record.seq != expected_seq:
            breaks.append(ChainBreak(record.seq, f"sequence jumps from {expected_seq - 1} to {record.seq}"))
        if record.prev != expected_prev:
            breaks.append(
                ChainBreak(record.seq, "does not follow the record before it (deleted or reordered)")
            )
        if record_hash(record.seq, record.prev, record.entry) != record.hash:
            breaks.append(ChainBreak(record.seq, "content does not match its hash (edited)"))
        expected_prev, expected_seq = record.hash, record.seq + 1
    last = records[-1] if records else None
    if head is not None and (last is None or (last.seq, last.hash) != (head.seq, head.hash)):
        have = f"{last.seq}" if last else "none"
        breaks.append(
            ChainBreak(0, f"log ends at record {have} but its head says {head.seq} (records cut off)")
        )
    return breaks
