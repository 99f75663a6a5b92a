"""What makes a cloud resource berth's: the ownership tags, their predicates, and resource keys.

Both engines write the tags, observe and the exporter read them, so every "is this berth's tenant?" and
every `kind/tenant/name` key is answered here and nowhere else.

- `berth:managed` on everything berth creates; `berth:tenant=<slug>` names the tenant it belongs to;
- `berth:agency=<CODE>` on the project only. Keystone keeps the agency as an extra attribute too, but
  Pulumi's identity.Project cannot write extra attributes: the tag is what both engines write and what
  observe falls back to, so per-agency caps hold whichever engine applied the tenant. Agency codes are
  tag-safe (no "," or "/").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MANAGED_TAG = "berth:managed"
TENANT_TAG_PREFIX = "berth:tenant="
AGENCY_TAG_PREFIX = "berth:agency="


def tenant_tag(slug: str) -> str:
    return f"{TENANT_TAG_PREFIX}{slug}"


def agency_tag(agency: str) -> str:
    return f"{AGENCY_TAG_PREFIX}{agency}"


def _value(tags: Iterable[str], prefix: str) -> str | None:
    return next((t[len(prefix) :] for t in tags if t.startswith(prefix)), None)


def agency_from_tags(tags: Iterable[str]) -> str | None:
    return _value(tags, AGENCY_TAG_PREFIX)


def is_managed(tags: Iterable[str]) -> bool:
    """Tagged as berth's, whichever tenant it belongs to."""
    return MANAGED_TAG in set(tags)


def tenant_from_tags(tags: Iterable[str]) -> str | None:
    """The slug of the tenant a berth-managed resource belongs to; None when it is not berth's."""
    listed = list(tags)
    return _value(listed, TENANT_TAG_PREFIX) if MANAGED_TAG in listed else None


def project_tenant(name: str, tags: Iterable[str]) -> str | None:
    """The tenant a keystone project is, or None when berth does not manage it. A tenant's project is
    named for its slug; the tenant tag says so too (a managed project without one keeps its name)."""
    listed = list(tags)
    if MANAGED_TAG not in listed:
        return None
    return _value(listed, TENANT_TAG_PREFIX) or name


def owned_by(tags: Iterable[str], slug: str) -> bool:
    """berth's, and this tenant's (both tags: a copied `berth:tenant=` alone claims nothing)."""
    listed = set(tags)
    return MANAGED_TAG in listed and tenant_tag(slug) in listed


@dataclass(frozen=True)
class ResourceKey:
    """`subnet/so-y-te/app` as its parts: kind, tenant (or platform object) and the rest of the name."""

    kind: str
    owner: str
    name: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.kind, self.owner, self.name) if p)


def parse_key(key: str) -> ResourceKey:
    """The parts of a resource key; a key has at least a kind and one more part."""
    kind, sep, rest = key.partition("/")
    if not sep or not kind or not rest:
        raise ValueError(f"not a resource key: {key!r}")
    owner, _, name = rest.partition("/")
    return ResourceKey(kind, owner, name)
