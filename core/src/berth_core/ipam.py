"""IPAM: deterministic first-fit allocation of tenant subnets from the site's address pools.

Inputs: the pools, the networks requested (a prefix length, or an explicit CIDR), the ledger of previous
allocations ((tenant, network) -> CIDR, kept in the state directory) and prefixes taken otherwise (the
external network, subnets seen in the cloud). Existing allocations never move: a network keeps its CIDR as
long as its request is unchanged, whatever tenants are added. New ones are allocated in (slug, network)
order, lowest free aligned block first, so the same input always gives the same output.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from berth_core.errors import Location, Problem
from berth_core.site import AddressPool

LedgerKey = tuple[str, str]  # (tenant slug, network name)
LEDGER_VERSION = 1


@dataclass(frozen=True)
class NetworkRequest:
    slug: str
    network: str
    prefix_length: int | None = None
    cidr: IPv4Network | None = None
    location: Location = field(
        default_factory=Location
    )  # where the manifest asked (spec.networks[i].cidr / .prefixLength)

    @property
    def key(self) -> LedgerKey:
        return (self.slug, self.network)


@dataclass(frozen=True)
class Ledger:
    """Previous allocations, persisted as JSON (`ipam.json` in the site's state directory)."""

    entries: Mapping[LedgerKey, IPv4Network] = field(default_factory=dict)

    def to_dict(self) -> dict[str, str]:
        """`{"<tenant>/<network>": "<cidr>"}`, sorted: the form a plan and the ledger file hold."""
        return {f"{s}/{n}": str(c) for (s, n), c in sorted(self.entries.items())}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Ledger:
        entries: dict[LedgerKey, IPv4Network] = {}
        for key, cidr in raw.items():
            slug, sep, network = str(key).partition("/")
            if not sep:
                raise ValueError(f"key {key!r} is not <tenant>/<network>")
            entries[(slug, network)] = IPv4Network(str(cidr))
        return cls(entries)

    def to_json(self) -> str:
        document = {"version": LEDGER_VERSION, "allocations": self.to_dict()}
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Ledger:
        """Parse a ledger; raises ValueError with what is wrong (the caller locates it)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
            raise ValueError(f"not an IPAM ledger of version {LEDGER_VERSION}")
        raw = data.get("allocations")
        if not isinstance(raw, dict):
            raise ValueError("allocations must be a mapping")
        return cls.from_dict(raw)


class _Taken:
    """Disjoint, sorted integer intervals of taken addresses: O(log n) overlap checks."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, end) - 1
        return i >= 0 and self.ends[i] >= start

    def add(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        if i > 0 and self.ends[i - 1] >= start - 1:
            i -= 1
            start = self.starts[i]
            end = max(end, self.ends[i])
        j = i
        while j < len(self.starts) and self.starts[j] <= end + 1:
            end = max(end, self.ends[j])
            j += 1
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]

    def first_fit(self, low: int, high: int, size: int) -> int | None:
        """Lowest size-aligned block of `size` addresses within [low, high] that is free."""
        candidate = -(-low // size) * size
        while candidate + size - 1 <= high:
            i = bisect_right(self.starts, candidate + size - 1) - 1
            if i < 0 or self.ends[i] < candidate:
                return candidate
            candidate = -(-(self.ends[i] + 1) // size) * size
        return None


def _span(net: IPv4Network) -> tuple[int, int]:
    return int(net.network_address), int(net.broadcast_address)


def _pool_of(pools: Sequence[AddressPool], cidr: IPv4Network) -> AddressPool | None:
    return next((p for p in pools if cidr.subnet_of(p.cidr)), None)


class _Allocator:
    """One allocation run: what is taken, by whom, and the low-water mark per (pool, block size)."""

    def __init__(self, pools: Sequence[AddressPool], site: str) -> None:
        self.pools = pools
        self.site = site
        self.taken = _Taken()
        # (tenant, network) -> prefix, to name the other side of an overlap; tenant "" = external network
        self.owners: dict[LedgerKey, IPv4Network] = {}
        self.result: dict[LedgerKey, IPv4Network] = {}
        self.problems: list[Problem] = []
        self.low_water: dict[tuple[int, int], int] = {}  # only rises: taken space only grows in a run

    def take(self, owner: LedgerKey, cidr: IPv4Network, *, serve: bool = False) -> None:
        self.taken.add(*_span(cidr))
        self.owners[owner] = cidr
        if serve:
            self.result[owner] = cidr

    def keep(self, req: NetworkRequest, cidr: IPv4Network) -> None:
        """A previous allocation whose request is unchanged stays where it is."""
        unchanged = req.cidr == cidr if req.cidr is not None else req.prefix_length == cidr.prefixlen
        if unchanged and _pool_of(self.pools, cidr) is not None and not self.taken.overlaps(*_span(cidr)):
            self.take(req.key, cidr, serve=True)

    def place_explicit(self, req: NetworkRequest, cidr: IPv4Network) -> None:
        if _pool_of(self.pools, cidr) is None:
            pools = ", ".join(str(p.cidr) for p in self.pools)
            params = {"cidr": str(cidr), "site": self.site, "pools": pools}
            self.problems.append(Problem(req.location, "site.cidr_outside_pool", params))
        elif self.taken.overlaps(*_span(cidr)):
            (tenant, name), other = next((o, p) for o, p in sorted(self.owners.items()) if p.overlaps(cidr))
            if tenant:
                params = {"cidr": str(cidr), "other": str(other), "network": name, "tenant": tenant}
                self.problems.append(Problem(req.location, "site.cidr_overlap", params))
            else:
                params = {"cidr": str(cidr), "name": name, "external": str(other)}
                self.problems.append(Problem(req.location, "site.external_overlap", params))
        else:
            self.take(req.key, cidr, serve=True)

    def place_sized(self, req: NetworkRequest, prefix_length: int) -> None:
        size = 2 ** (32 - prefix_length)
        fitting = [
            (i, p)
            for i, p in enumerate(self.pools)
            if p.min_prefix_length <= prefix_length <= p.max_prefix_length
        ]
        if not fitting:
            limits = ", ".join(
                f"{p.name}: /{p.min_prefix_length}../{p.max_prefix_length}" for p in self.pools
            )
            params = {"site": self.site, "prefix": prefix_length, "limits": limits}
            self.problems.append(Problem(req.location, "site.prefix_length_unavailable", params))
            return
        for i, pool in fitting:
            low, high = _span(pool.cidr)
            start = self.taken.first_fit(max(low, self.low_water.get((i, size), low)), high, size)
            if start is None:
                self.low_water[(i, size)] = high + 1
                continue
            self.low_water[(i, size)] = start + size
            self.take(req.key, IPv4Network((start, prefix_length)), serve=True)
            return
        pools = ", ".join(str(p.cidr) for _, p in fitting)
        params = {"site": self.site, "prefix": prefix_length, "pools": pools}
        self.problems.append(Problem(req.location, "ipam.pool_exhausted", params))


@dataclass(frozen=True)
class Allocation:
    allocations: Mapping[LedgerKey, IPv4Network]  # one per request that could be served
    ledger: Ledger  # what to persist after apply: kept entries of absent tenants + these allocations
    problems: tuple[Problem, ...]


def allocate(
    pools: Sequence[AddressPool],
    requests: Iterable[NetworkRequest],
    ledger: Ledger | None = None,
    *,
    external: Mapping[str, IPv4Network] | None = None,
    present_tenants: Iterable[str] | None = None,
    site: str = "",
) -> Allocation:
    """Serve every request or say why not (Problems located at the request).

    `external` names the external network(s) (name -> prefix): nobody may take their space.
    `present_tenants` are the tenants whose manifests are being planned (default: those requesting);
    their ledger entries for networks no longer requested are released, other tenants' entries stay taken.
    """
    entries = dict(sorted((ledger or Ledger()).entries.items()))
    reqs = sorted(requests, key=lambda r: r.key)
    present = {r.slug for r in reqs} if present_tenants is None else set(present_tenants)
    wanted = {r.key: r for r in reqs}
    run = _Allocator(pools, site)
    for name, prefix in sorted((external or {}).items()):
        run.take(("", name), prefix)
    kept = {k: v for k, v in entries.items() if k[0] not in present}
    for owner, cidr in kept.items():
        run.take(owner, cidr)
    # order matters: unchanged allocations first, then explicit CIDRs, then first fit for the rest
    for key, cidr in entries.items():
        if key in wanted and key[0] in present:
            run.keep(wanted[key], cidr)
    for req in reqs:
        if req.cidr is not None and req.key not in run.result:
            run.place_explicit(req, req.cidr)
    for req in reqs:
        if req.prefix_length is not None and req.key not in run.result:
            run.place_sized(req, req.prefix_length)
    new_ledger = Ledger(dict(sorted({**kept, **run.result}.items())))
    return Allocation(dict(sorted(run.result.items())), new_ledger, tuple(run.problems))


def gateway(cidr: IPv4Network) -> IPv4Address:
    """The subnet's gateway: its first host address (the router interface sits there)."""
    return cidr.network_address + 1


def allocation_range(cidr: IPv4Network) -> tuple[IPv4Address, IPv4Address]:
    """DHCP/port allocation range: every host address after the gateway."""
    return cidr.network_address + 2, cidr.broadcast_address - 1
