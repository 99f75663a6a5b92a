"""What the engine's executors share during one apply: the cloud, ids by berth key, the name resolver."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.http import DEFAULT_RETRY, RetryPolicy, call
from berth_cloud.resolver import Resolver
from berth_core.errors import OpenStackError
from berth_core.state import State


@dataclass
class ApplyContext:
    cloud: Cloud
    desired: State
    observed: State
    retry: RetryPolicy = DEFAULT_RETRY
    refs: dict[str, str] = field(default_factory=dict)  # berth key -> OpenStack id (observed, then created)
    # ids of Neutron's allow-all egress rules of groups created in this run (see executors_network)
    default_egress: dict[str, list[str]] = field(default_factory=dict)
    egress_cleared: dict[str, threading.Event] = field(
        default_factory=dict
    )  # set once a group's pair is gone
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.cloud)
        for key, res in self.observed.resources.items():
            if res.ref is not None:
                self.refs.setdefault(key, res.ref)

    def ref(self, key: str) -> str:
        with self.lock:
            value = self.refs.get(key)
        if value is None:
            raise OpenStackError(f"{key}: not found in OpenStack (a resource it depends on was not applied)")
        return value

    def remember(self, key: str, ref: str) -> None:
        with self.lock:
            self.refs[key] = ref

    def call(self, proxy: Any, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        kwargs.setdefault("retry", self.retry)
        return call(proxy, method, path, what=what, **kwargs)

    @property
    def conn(self) -> Any:
        return self.cloud.conn


def set_new_tags(ctx: ApplyContext, proxy: Any, collection: str, ref: str, *, tags: Any, what: str) -> None:
    """Tag a resource just created (one PUT of the whole list).

    Neutron takes no tags in a create body (2026.1 still answers "Attribute 'tags' not allowed in
    POST"), so ownership follows immediately; if a run dies in between, observe finds the untagged
    resource by name and project and the next plan adopts it (an update of its tags, no duplicate).
    """
    if tags:
        ctx.call(proxy, "PUT", f"/{collection}/{ref}/tags", json={"tags": list(tags)}, what=f"{what} (tags)")


def add_tags(ctx: ApplyContext, proxy: Any, collection: str, ref: str, *, tags: Any, what: str) -> None:
    """Add berth's tags one by one (PUT .../tags/<tag>), keeping any tag an operator added."""
    for tag in tags or ():
        ctx.call(proxy, "PUT", f"/{collection}/{ref}/tags/{tag}", what=f"{what} (tag {tag})")


def remove_tags(ctx: ApplyContext, proxy: Any, collection: str, ref: str, *, tags: Any, what: str) -> None:
    """Remove tags one by one (DELETE .../tags/<tag>); one already gone is fine."""
    for tag in tags or ():
        ctx.call(
            proxy, "DELETE", f"/{collection}/{ref}/tags/{tag}", ok=(204, 404), what=f"{what} (tag {tag})"
        )


def missing_tags(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    have = set((before or {}).get("tags") or ())
    return [t for t in after.get("tags") or () if t not in have]


def stale_tags(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """berth's own tags the resource has and should no longer (an agency moved): never an operator's."""
    want = set(after.get("tags") or ())
    return [t for t in (before or {}).get("tags") or () if t.startswith("berth:") and t not in want]
