"""berth_stacks.types.beyond_pulumi: what the direct engine finishes after `pulumi up` (pure, no runtime)."""

from __future__ import annotations

from berth_core.diff import Change
from berth_stacks.types import beyond_pulumi


def change(action: str, key: str, changed: tuple[str, ...] = ()) -> Change:
    after = None if action == "delete" else {"x": 1}
    before = None if action == "create" else {"x": 0}
    return Change(action, key, key.split("/")[1], before, after, changed)  # type: ignore[arg-type]


def test_only_what_pulumi_openstack_cannot_express_is_left() -> None:
    changes = [
        change("create", "quota-class/default"),  # no pulumi resource: direct engine
        change("update", "quota-class/default", ("values",)),
        change("update", "project/so-y-te", ("displayName",)),  # a keystone extra attribute
        change("update", "project/so-tc", ("agency", "displayName")),
        change("update", "project/so-gd", ("displayName", "description")),  # Pulumi writes description
        change("update", "project/so-gd", ("tags",)),
        change("create", "network/so-y-te/app"),
        change("delete", "secgroup-rule/so-y-te/web/abc"),
        change("no-op", "quota-class/default"),
    ]
    left = [(c.action, c.key, c.changed) for c in beyond_pulumi(changes)]
    assert left == [
        ("create", "quota-class/default", ()),
        ("update", "quota-class/default", ("values",)),
        ("update", "project/so-y-te", ("displayName",)),
        ("update", "project/so-tc", ("agency", "displayName")),
    ]
