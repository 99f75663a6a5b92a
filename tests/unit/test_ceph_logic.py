"""The Ceph logic of berth's Ansible modules (ceph_auth, ceph_pool), on what Ceph 16 really prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "playbooks" / "collections"))

from ansible_collections.berth.cloud.plugins.module_utils.ceph import (
    SIZE_ONE_FLAG,
    auth_differs,
    find_pool,
    keyring_text,
    needs_rbd_init,
    parse_auth_entry,
    pool_commands,
)

# `ceph auth get client.glance --format json` on the devcloud (the key is a throwaway)
AUTH = (
    '[{"entity":"client.glance","key":"AQCgWxNrpsDTEBAAoedMJiSuTZvQL7mlnfVb0w==","caps":'
    '{"mgr":"profile rbd pool=images","mon":"profile rbd","osd":"profile rbd pool=images"}}]'
)
CAPS = {"mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}
KEY = "AQCgWxNrpsDTEBAAoedMJiSuTZvQL7mlnfVb0w=="
# one pool of `ceph osd pool ls detail --format json`, trimmed to what berth reads
POOLS = json.dumps(
    [{"pool_name": "images", "size": 1, "min_size": 1, "pg_num": 16, "application_metadata": {"rbd": {}}}]
)


def test_the_entity_read_back_matches_what_was_declared() -> None:
    current = parse_auth_entry(AUTH, "client.glance")
    assert current == {"key": KEY, "caps": CAPS}
    assert not auth_differs(current, KEY, CAPS)


@pytest.mark.parametrize(
    ("key", "caps"),
    [
        ("AQDifferentKeyDifferentKeyDifferentKe==", CAPS),
        (KEY, {**CAPS, "osd": "profile rbd pool=images, profile rbd pool=volumes"}),
        (KEY, {"mon": "profile rbd"}),
    ],
)
def test_a_changed_key_or_cap_is_a_difference(key: str, caps: dict[str, str]) -> None:
    assert auth_differs(parse_auth_entry(AUTH, "client.glance"), key, caps)


@pytest.mark.parametrize("text", ["", "not json", "{}", AUTH.replace("client.glance", "client.other")])
def test_a_missing_entity_reads_as_none(text: str) -> None:
    assert parse_auth_entry(text, "client.glance") is None
    assert auth_differs(None, KEY, CAPS)


def test_the_keyring_holds_the_key_and_every_cap() -> None:
    text = keyring_text("client.glance", KEY, CAPS)
    assert text.splitlines() == [
        "[client.glance]",
        f"\tkey = {KEY}",
        '\tcaps mgr = "profile rbd pool=images"',
        '\tcaps mon = "profile rbd"',
        '\tcaps osd = "profile rbd pool=images"',
    ]


def test_a_new_pool_is_created_sized_and_initialised() -> None:
    commands = pool_commands(
        find_pool(POOLS, "volumes"), "volumes", pg_num=16, size=3, min_size=2, application="rbd"
    )
    assert commands == [
        ["osd", "pool", "create", "volumes", "16", "16", "replicated"],
        ["osd", "pool", "set", "volumes", "size", "3"],
        ["osd", "pool", "set", "volumes", "min_size", "2"],
    ]
    assert needs_rbd_init(None, "rbd")


def test_a_pool_as_declared_needs_nothing() -> None:
    current = find_pool(POOLS, "images")
    assert pool_commands(current, "images", pg_num=16, size=1, min_size=1, application="rbd") == []
    assert not needs_rbd_init(current, "rbd")


def test_one_replica_needs_cephs_confirmation_flag() -> None:
    commands = pool_commands(
        find_pool(POOLS, "images"), "images", pg_num=16, size=3, min_size=2, application="rbd"
    )
    assert ["osd", "pool", "set", "images", "size", "3"] in commands
    resized = pool_commands(
        {"pool_name": "x", "size": 3, "min_size": 1}, "x", pg_num=16, size=1, min_size=1, application="rbd"
    )
    assert resized == [["osd", "pool", "set", "x", "size", "1", SIZE_ONE_FLAG]]


def test_pg_num_of_an_existing_pool_is_left_to_the_autoscaler() -> None:
    assert (
        pool_commands(find_pool(POOLS, "images"), "images", pg_num=128, size=1, min_size=1, application="rbd")
        == []
    )


def test_a_pool_a_failed_run_left_uninitialised_is_initialised() -> None:
    current = {"pool_name": "images", "size": 1, "min_size": 1, "application_metadata": {}}
    assert pool_commands(current, "images", pg_num=16, size=1, min_size=1, application="rbd") == []
    assert needs_rbd_init(current, "rbd")


def test_another_application_is_enabled_directly() -> None:
    commands = pool_commands(None, "logs", pg_num=8, size=3, min_size=2, application="rgw")
    assert commands[-1] == ["osd", "pool", "application", "enable", "logs", "rgw"]
    assert not needs_rbd_init(None, "rgw")
