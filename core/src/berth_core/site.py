"""The site model: `inventory/<site>/cloud.yml` describes one cloud (apiVersion berth/v1, kind Site)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from berth_core.fields import Address, Network
from berth_core.identity import IdentitySpec, identity_issues
from berth_core.manifest import AgencyCode, DisplayName, QuotaValues, ResourceName, Slug
from berth_core.model_base import Model
from berth_core.review_policy import ReviewPolicy, policy_issues
from berth_core.showback_policy import ShowbackPolicy

# Placement resource classes berth admits against, plus the block-storage pool (cinder, not placement).
ResourceClass = Literal["VCPU", "MEMORY_MB", "DISK_GB", "VOLUME_GB"]
RESOURCE_CLASSES: tuple[ResourceClass, ...] = ("VCPU", "MEMORY_MB", "DISK_GB", "VOLUME_GB")


class Zone(Model):
    name: ResourceName
    description: str | None = None


class ExternalNetwork(Model):
    name: ResourceName
    cidr: Network
    gateway: Address | None = None
    physical_network: str | None = None  # provider mapping on a real site; None on the devcloud


class AddressPool(Model):
    """Tenant IPv4 space, backed by a Neutron subnet pool of the same name."""

    name: ResourceName
    cidr: Network
    default_prefix_length: StrictInt = Field(default=24, ge=16, le=29)
    min_prefix_length: StrictInt = Field(default=20, ge=8, le=29)
    max_prefix_length: StrictInt = Field(default=28, ge=16, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> AddressPool:
        if not (
            self.cidr.prefixlen
            <= self.min_prefix_length
            <= self.default_prefix_length
            <= self.max_prefix_length
        ):
            raise PydanticCustomError(
                "site.pool_prefix_order",
                "pool prefix lengths out of order",
                {
                    "cidr": str(self.cidr),
                    "prefix": self.cidr.prefixlen,
                    "min": self.min_prefix_length,
                    "default": self.default_prefix_length,
                    "max": self.max_prefix_length,
                },
            )
        return self


class Flavor(Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    vcpus: StrictInt = Field(ge=1)
    ram_mib: StrictInt = Field(ge=64, alias="ramMiB")
    disk_gib: StrictInt = Field(default=0, ge=0, alias="diskGiB")
    public: StrictBool = True


class QuotaClass(QuotaValues):
    """A named set of quota values; `parent` fills what is not set here (chains resolve in berth_core.quota)."""

    parent: str | None = None


class Host(Model):
    """A compute host's declared capacity: used offline, before placement exists or when it is unreachable."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")]
    zone: ResourceName
    vcpus: StrictInt = Field(ge=1)
    ram_mib: StrictInt = Field(ge=512, alias="ramMiB")
    disk_gib: StrictInt = Field(default=0, ge=0, alias="diskGiB")


class PerClass(Model):
    """A number per resource class (VCPU, MEMORY_MB, DISK_GB, VOLUME_GB)."""

    model_config = Model.model_config | {"alias_generator": None}
    VCPU: StrictFloat | None = None  # an integer is a number too; text and booleans are not
    MEMORY_MB: StrictFloat | None = None
    DISK_GB: StrictFloat | None = None
    VOLUME_GB: StrictFloat | None = None

    def get(self, rc: ResourceClass, default: float) -> float:
        value = getattr(self, rc)
        return default if value is None else float(value)


class CapacityPolicy(Model):
    # placement's defaults when it is not reachable: cpu 4.0 (nova's initial ratio), ram 1.0, disk 1.0
    allocation_ratios: PerClass = PerClass(VCPU=4.0, MEMORY_MB=1.0, DISK_GB=1.0, VOLUME_GB=1.0)
    reserved: PerClass = PerClass(VCPU=0, MEMORY_MB=512, DISK_GB=0, VOLUME_GB=0)  # per host
    # how far committed quota may exceed allocatable capacity (1.0 = not at all)
    overbooking: PerClass = PerClass(VCPU=1.0, MEMORY_MB=1.0, DISK_GB=1.0, VOLUME_GB=1.0)
    agency_caps: dict[AgencyCode, QuotaValues] = Field(default_factory=dict)
    volume_capacity_gib: StrictInt = Field(
        default=0, ge=0, alias="volumeCapacityGiB"
    )  # block-storage backend size


class SiteMetadata(Model):
    name: Slug
    display_name: DisplayName


class SiteSpec(Model):
    region: str = "RegionOne"
    zones: tuple[Zone, ...]
    identity: IdentitySpec = IdentitySpec()
    external_network: ExternalNetwork
    address_pools: tuple[AddressPool, ...]
    flavors: tuple[Flavor, ...] = ()
    quota_classes: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")], QuotaClass]
    default_quota_class: str = "default"  # restored when a tenant is destroyed
    hosts: tuple[Host, ...] = ()
    capacity: CapacityPolicy = CapacityPolicy()
    review: ReviewPolicy = ReviewPolicy()  # what `berth review` passes without approval
    showback: ShowbackPolicy = ShowbackPolicy()  # prices and Prometheus of `berth report usage`

    @model_validator(mode="after")
    def _review_policy(self) -> SiteSpec:
        issues = [*identity_issues(self.identity), *policy_issues(self.review, tuple(self.quota_classes))]
        if issues:  # every problem of the policy at once, each at its own field
            raise PydanticCustomError(
                "berth.issues", "{count} problems", {"issues": issues, "count": len(issues)}
            )
        return self

    @model_validator(mode="after")
    def _references(self) -> SiteSpec:
        # each problem is a catalogue code located at the offending field ("at", under spec)
        zones = {z.name for z in self.zones}
        for i, host in enumerate(self.hosts):
            if host.zone not in zones:
                raise _site_error(
                    "site.host_zone_unknown",
                    ("hosts", i, "zone"),
                    host=host.name,
                    zone=host.zone,
                    zones=", ".join(sorted(zones)),
                )
        for name, qc in self.quota_classes.items():
            if qc.parent is not None and qc.parent not in self.quota_classes:
                raise _site_error(
                    "site.quota_parent_unknown", ("quotaClasses", name, "parent"), name=name, parent=qc.parent
                )
        if self.default_quota_class not in self.quota_classes:
            raise _site_error(
                "site.default_quota_class_unknown",
                ("defaultQuotaClass",),
                name=self.default_quota_class,
                classes=", ".join(sorted(self.quota_classes)),
            )
        pools = [p.cidr for p in self.address_pools]
        for i, a in enumerate(pools):
            for j, b in enumerate(pools[i + 1 :], start=i + 1):
                if a.overlaps(b):
                    raise _site_error("site.pools_overlap", ("addressPools", j, "cidr"), a=str(a), b=str(b))
        seen: set[str] = set()
        for i, flavor in enumerate(self.flavors):
            if flavor.name in seen:
                raise _site_error("site.flavor_duplicate", ("flavors", i, "name"), name=flavor.name)
            seen.add(flavor.name)
        return self


def _site_error(code: str, at: tuple[str | int, ...], **params: object) -> PydanticCustomError:
    return PydanticCustomError(code, code, {"at": at, **params})


class Site(Model):
    api_version: Literal["berth/v1"]
    kind: Literal["Site"]
    metadata: SiteMetadata
    spec: SiteSpec

    @property
    def name(self) -> str:
        return self.metadata.name

    def flavor(self, name: str) -> Flavor | None:
        return next((f for f in self.spec.flavors if f.name == name), None)
