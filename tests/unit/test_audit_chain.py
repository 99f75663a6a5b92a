"""The audit hash chain (pure): an intact chain verifies; every kind of tampering is found."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from berth_core.audit import AuditEntry, Head, next_record, verify_chain


def entry(n: int, **changes) -> AuditEntry:
    base = AuditEntry(
        time=f"2026-11-29T08:{n:02d}:00Z",
        actor="ops@hp-ctl01",
        site="haiphong",
        action="apply",
        result="ok",
        ticket=f"HP-2026-{n:04d}",
        manifests={"so-y-te": "ab" * 32},
        summary={"create": n, "update": 0, "delete": 0, "note": "Sở Y tế"},
    )
    return replace(base, **changes)


def chain(n: int):
    records = []
    for i in range(n):
        records.append(next_record(records[-1] if records else None, entry(i)))
    return records


def head_of(records):
    return Head(records[-1].seq, records[-1].hash)


@given(st.integers(min_value=1, max_value=20))
def test_an_untouched_chain_verifies(n):
    records = chain(n)
    assert verify_chain(records, head_of(records)) == []


def test_records_round_trip_through_json():
    records = chain(3)
    assert [type(r).from_json(r.to_json()) for r in records] == records


def test_an_edited_record_is_found():
    records = chain(5)
    records[2] = replace(records[2], entry=replace(records[2].entry, result="failed"))
    breaks = verify_chain(records, head_of(records))
    assert [(b.seq, "edited" in b.reason) for b in breaks] == [(3, True)]


def test_an_edit_with_a_recomputed_hash_still_breaks_the_next_link():
    records = chain(5)
    forged = next_record(records[1], entry(2, actor="intruder"))
    records[2] = forged
    breaks = verify_chain(records, head_of(records))
    assert [b.seq for b in breaks] == [4]
    assert "deleted or reordered" in breaks[0].reason


def test_a_deleted_record_is_found():
    records = chain(5)
    del records[1]
    breaks = verify_chain(records, head_of(records))
    assert {b.seq for b in breaks} == {3}
    assert any("jumps" in b.reason for b in breaks)


def test_records_cut_off_the_end_are_found_against_the_head():
    records = chain(5)
    head = head_of(records)
    breaks = verify_chain(records[:3], head)
    assert len(breaks) == 1
    assert breaks[0].seq == 0 and "cut off" in breaks[0].reason


def test_reordered_records_are_found():
    records = chain(4)
    records[1], records[2] = records[2], records[1]
    assert verify_chain(records, head_of(chain(4)))
