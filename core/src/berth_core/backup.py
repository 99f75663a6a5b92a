"""What a site backup holds and how its manifest is checked (pure: the archive's I/O is berth_cli.backup).

A backup is one archive of named members (the database's hot copy, keystone's keys, berth's state files)
and a manifest listing each member's size and SHA-256. The manifest is read from an archive that may be
corrupt or foreign, so every field is checked and every member name must be a plain relative path inside
one of the known parts: restore writes members to disk by these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMAT = 1
MANIFEST_NAME = "MANIFEST.json"

# The parts of a backup: the first path component of every member's name.
DATABASE = "database"  # mariabackup's prepared copy of the whole data directory, as one tar.gz
KEYSTONE = "keystone"  # fernet-keys/ and credential-keys/ of the keystone host that holds the site's keys
STATE = "state"  # berth's state directory of the site (secrets, CA, audit log, IPAM ledger)
PARTS = (DATABASE, KEYSTONE, STATE)
DATABASE_MEMBER = f"{DATABASE}/mariabackup.tar.gz"

# State that is regenerated rather than restored: ansible-runner's artifacts, the lock, the lab's hosts.
STATE_SKIPPED = ("ansible", "lock", "lab")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")


class ManifestError(ValueError):
    """The manifest is not one berth wrote: a field is missing, mistyped or unsafe."""


@dataclass(frozen=True, order=True)
class Member:
    name: str
    size: int
    sha256: str

    @property
    def part(self) -> str:
        return self.name.split("/", 1)[0]


@dataclass(frozen=True)
class Manifest:
    site: str
    created: str  # ISO 8601, UTC
    berth_version: str
    release: str  # the OpenStack release the databases' schemas belong to (berth_openstack_release)
    clustered: bool  # taken from one member of a Galera cluster (restore bootstraps the others from it)
    members: tuple[Member, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "site": self.site,
            "created": self.created,
            "berth_version": self.berth_version,
            "release": self.release,
            "clustered": self.clustered,
            "members": [vars(m) for m in sorted(self.members)],
        }

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    def part(self, part: str) -> tuple[Member, ...]:
        return tuple(m for m in sorted(self.members) if m.part == part)

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


def check_member_name(name: str) -> str:
    """`name` if it is `<part>/<segment>[/<segment>...]` with plain segments (no `..`, no absolute path)."""
    segments = name.split("/")
    if len(segments) < 2 or segments[0] not in PARTS:
        raise ManifestError(f"member {name!r} is not inside one of {', '.join(PARTS)}")
    for segment in segments[1:]:
        if segment in {".", ".."} or not _SEGMENT.match(segment):
            raise ManifestError(f"member {name!r} has an unsafe path segment {segment!r}")
    return name


def _field(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"manifest field {name!r} is missing or not a {kind.__name__}")
    return value


def parse_manifest(data: Any) -> Manifest:
    """The manifest from its parsed JSON; ManifestError names the first thing wrong with it."""
    if not isinstance(data, Mapping):
        raise ManifestError("the manifest is not a JSON object")
    if data.get("format") != FORMAT:
        raise ManifestError(
            f"manifest format {data.get('format')!r} is not {FORMAT} (a newer berth wrote it?)"
        )
    members: list[Member] = []
    for entry in _field(data, "members", list):
        if not isinstance(entry, Mapping):
            raise ManifestError("a manifest member is not a JSON object")
        name = check_member_name(_field(entry, "name", str))
        size, digest = _field(entry, "size", int), _field(entry, "sha256", str)
        if size < 0 or not _SHA256.match(digest):
            raise ManifestError(f"member {name!r} has a negative size or a malformed sha256")
        members.append(Member(name, size, digest))
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ManifestError("the manifest lists a member twice")
    manifest = Manifest(
        site=_field(data, "site", str),
        created=_field(data, "created", str),
        berth_version=_field(data, "berth_version", str),
        release=_field(data, "release", str),
        clustered=_field(data, "clustered", bool),
        members=tuple(sorted(members)),
    )
    if manifest.member(DATABASE_MEMBER) is None:
        raise ManifestError(f"the manifest has no {DATABASE_MEMBER}")
    return manifest


def content_mismatches(manifest: Manifest, found: Mapping[str, tuple[int, str]]) -> list[str]:
    """What differs between the manifest and the members read from the archive (name -> size, sha256):
    missing members, members not listed, and members whose size or checksum differ. Empty: all match."""
    listed = {m.name: m for m in manifest.members}
    problems = [f"{name}: listed, not in the archive" for name in sorted(set(listed) - set(found))]
    problems += [f"{name}: in the archive, not listed" for name in sorted(set(found) - set(listed))]
    for name in sorted(set(listed) & set(found)):
        size, digest = found[name]
        if (size, digest) != (listed[name].size, listed[name].sha256):
            problems.append(f"{name}: its checksum does not match the manifest")
    return problems


def state_member(relative: str) -> str | None:
    """The member name of a file of the state directory (`relative` to it), or None when it is skipped."""
    first = relative.split("/", 1)[0]
    if first in STATE_SKIPPED or first.startswith("."):
        return None
    return check_member_name(f"{STATE}/{relative}")
