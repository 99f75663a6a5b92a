"""OpenStack's JSON -> berth Resources with the same keys and attribute shapes as berth_core.desired.

Pure: the observe module fetches the raw lists in bulk and hands them here, so this mapping is
unit-tested with plain JSON documents shaped like the API reference's examples. Where OpenStack holds
two candidates for one key (an interrupted run that created twice), the owned one wins, then the
oldest, so a re-run adopts instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from berth_core.desired import rule_key
from berth_core.ownership import agency_from_tags, owned_by
from berth_core.quota import from_native
from berth_core.site import Site
from berth_core.state import Json, Resource

Doc = Mapping[str, Any]
ROUTER_INTERFACE_OWNERS = frozenset(
    {
        "network:router_interface",
        "network:router_interface_distributed",
        "network:ha_router_replicated_interface",
    }
)
DISPLAY_NAME_ATTR = "berth_display_name"  # keystone keeps extra project attributes as given
AGENCY_ATTR = "berth_agency"


def berth_tags(tags: Iterable[str] | None) -> list[str]:
    """Only berth's own tags are compared (others may be added by operators and are left alone)."""
    return sorted(t for t in (tags or ()) if t.startswith("berth:"))


def owned(doc: Doc, slug: str) -> bool:
    return owned_by(doc.get("tags") or (), slug)


def pick(candidates: list[Doc], slug: str) -> Doc:
    return sorted(candidates, key=lambda d: (not owned(d, slug), str(d.get("created_at", "")), d["id"]))[0]


def _by_name(docs: Iterable[Doc], slug: str) -> dict[str, Doc]:
    groups: dict[str, list[Doc]] = {}
    for doc in docs:
        groups.setdefault(str(doc.get("name", "")), []).append(doc)
    return {name: pick(group, slug) for name, group in groups.items()}


@dataclass(frozen=True)
class TenantDocs:
    """What observe fetched for the tenants, as the APIs returned it."""

    domain_name: str  # the site's domain (a project whose domain is not in domain_names is said to be there)
    projects: Sequence[Doc]  # keystone projects of the tenants (by slug = name)
    role_assignments: Sequence[Doc] = field(default_factory=list)  # GET /role_assignments?include_names
    networks: Sequence[Doc] = field(default_factory=list)
    subnets: Sequence[Doc] = field(default_factory=list)
    routers: Sequence[Doc] = field(default_factory=list)
    ports: Sequence[Doc] = field(default_factory=list)  # router interface ports
    security_groups: Sequence[Doc] = field(default_factory=list)  # with their security_group_rules
    subnet_pool_names: Mapping[str, str] = field(default_factory=dict)  # id -> name
    external_network_names: Mapping[str, str] = field(default_factory=dict)  # id -> name
    nova_quotas: Mapping[str, Doc] = field(default_factory=dict)  # project id -> quota_set
    neutron_quotas: Mapping[str, Doc] = field(default_factory=dict)  # project id -> quota
    neutron_default_quota: Doc = field(default_factory=dict)
    cinder_quotas: Mapping[str, Doc] = field(default_factory=dict)
    flavor_access: Mapping[str, list[str]] = field(default_factory=dict)  # flavor name -> project ids
    domain_names: Mapping[str, str] = field(default_factory=dict)  # domain id -> name


def map_project(doc: Doc, domain_name: str) -> Resource:
    slug = str(doc["name"])
    return Resource(
        f"project/{slug}",
        slug,
        {
            "name": slug,
            "domain": domain_name,
            "displayName": doc.get(DISPLAY_NAME_ATTR),
            "description": doc.get("description") or "",
            "agency": doc.get(AGENCY_ATTR) or agency_from_tags(doc.get("tags") or ()),
            "enabled": bool(doc.get("enabled", True)),
            "tags": berth_tags(doc.get("tags")),
        },
        managed=owned(doc, slug),
        ref=str(doc["id"]),
    )


def map_quota(slug: str, project_id: str, managed: bool, docs: TenantDocs) -> Resource | None:
    nova = docs.nova_quotas.get(project_id)
    cinder = docs.cinder_quotas.get(project_id)
    if nova is None or cinder is None:
        return None
    neutron = docs.neutron_quotas.get(project_id, docs.neutron_default_quota)
    values = from_native({"compute": nova, "network": neutron, "volume": cinder})
    return Resource(
        f"quota/{slug}",
        slug,
        {"project": f"project/{slug}", "values": values},
        (f"project/{slug}",),
        managed=managed,
        ref=project_id,
    )


def _network_resources(slug: str, pid: str, docs: TenantDocs, keys: dict[str, str]) -> list[Resource]:
    project = f"project/{slug}"
    out: list[Resource] = []
    nets = _by_name((n for n in docs.networks if n.get("project_id") == pid), slug)
    for name, net in sorted(nets.items()):
        key = f"network/{slug}/{name}"
        keys[net["id"]] = key
        attrs = {"name": name, "project": project, "description": net.get("description") or ""}
        out.append(
            Resource(
                key,
                slug,
                {**attrs, "tags": berth_tags(net.get("tags"))},
                (project,),
                owned(net, slug),
                net["id"],
            )
        )
        subnets = [s for s in docs.subnets if s.get("network_id") == net["id"]]
        if not subnets:
            continue
        named = [s for s in subnets if s.get("name") == name]
        sub = pick(named or subnets, slug)
        keys[sub["id"]] = f"subnet/{slug}/{name}"
        out.append(
            Resource(
                f"subnet/{slug}/{name}",
                slug,
                {
                    "name": sub.get("name") or "",
                    "network": key,
                    "project": project,
                    "ipVersion": sub.get("ip_version"),
                    "cidr": sub.get("cidr"),
                    "gatewayIp": sub.get("gateway_ip"),
                    "enableDhcp": bool(sub.get("enable_dhcp")),
                    "allocationPools": [
                        {"start": p["start"], "end": p["end"]} for p in sub.get("allocation_pools") or ()
                    ],
                    "dnsNameservers": list(sub.get("dns_nameservers") or ()),
                    "subnetPool": docs.subnet_pool_names.get(sub.get("subnetpool_id") or "", None),
                    "tags": berth_tags(sub.get("tags")),
                },
                (key,),
                owned(sub, slug),
                sub["id"],
            )
        )
    return out


def _router_resources(slug: str, pid: str, docs: TenantDocs, keys: Mapping[str, str]) -> list[Resource]:
    project = f"project/{slug}"
    name = f"{slug}-router"
    candidates = [r for r in docs.routers if r.get("project_id") == pid and r.get("name") == name]
    if not candidates:
        return []
    router = pick(candidates, slug)
    key = f"router/{slug}"
    gw = router.get("external_gateway_info") or None
    out = [
        Resource(
            key,
            slug,
            {
                "name": name,
                "project": project,
                "externalNetwork": docs.external_network_names.get(gw["network_id"], gw["network_id"])
                if gw
                else None,
                "enableSnat": bool(gw.get("enable_snat", True)) if gw else False,
                "tags": berth_tags(router.get("tags")),
            },
            (project,),
            owned(router, slug),
            router["id"],
        )
    ]
    for port in docs.ports:
        if port.get("device_id") != router["id"] or port.get("device_owner") not in ROUTER_INTERFACE_OWNERS:
            continue
        for fixed in port.get("fixed_ips") or ():
            subnet_key = keys.get(fixed.get("subnet_id", ""))
            if subnet_key is None:
                continue
            net = subnet_key.rsplit("/", 1)[1]
            out.append(
                Resource(
                    f"router-interface/{slug}/{net}",
                    slug,
                    {"router": key, "subnet": subnet_key},
                    (key, subnet_key),
                    owned(router, slug),
                    f"{router['id']}:{fixed['subnet_id']}",
                )
            )
    return out


def is_default_egress(rule: Doc) -> bool:
    """Neutron's allow-all egress rules, added to every new security group (IPv4 and IPv6)."""
    return (
        rule.get("direction") == "egress"
        and rule.get("protocol") is None
        and rule.get("port_range_min") is None
        and rule.get("port_range_max") is None
        and rule.get("remote_ip_prefix") is None
        and rule.get("remote_group_id") is None
        and rule.get("remote_address_group_id") is None
    )


def _rule_identity(rule: Doc, sg_key: str, keys: Mapping[str, str]) -> dict[str, Json]:
    remote = rule.get("remote_group_id")
    return {
        "direction": rule.get("direction"),
        "ethertype": rule.get("ethertype"),
        "protocol": rule.get("protocol"),
        "portRangeMin": rule.get("port_range_min"),
        "portRangeMax": rule.get("port_range_max"),
        "remoteIpPrefix": rule.get("remote_ip_prefix"),
        "remoteGroup": None if remote is None else keys.get(remote, f"id:{remote}"),
        "secgroup": sg_key,
    }


def _secgroup_resources(slug: str, pid: str, docs: TenantDocs, keys: dict[str, str]) -> list[Resource]:
    project = f"project/{slug}"
    groups = _by_name((g for g in docs.security_groups if g.get("project_id") == pid), slug)
    for name, sg in groups.items():
        keys[sg["id"]] = f"secgroup/{slug}/{name}"
    out: list[Resource] = []
    for name, sg in sorted(groups.items()):
        sg_key = f"secgroup/{slug}/{name}"
        sg_owned = owned(sg, slug)
        attrs = {"name": name, "project": project, "description": sg.get("description") or ""}
        out.append(
            Resource(
                sg_key, slug, {**attrs, "tags": berth_tags(sg.get("tags"))}, (project,), sg_owned, sg["id"]
            )
        )
        rules = list(sg.get("security_group_rules") or ())
        # berth manages a group's egress once its manifest states an egress rule; until then Neutron's
        # allow-all egress pair is Neutron's (never deleted implicitly)
        states_egress = any(r.get("direction") == "egress" and not is_default_egress(r) for r in rules)
        seen: set[str] = set()
        for rule in sorted(rules, key=lambda r: str(r.get("id"))):
            identity = _rule_identity(rule, sg_key, keys)
            key = rule_key(slug, name, identity)
            if key in seen:
                continue
            seen.add(key)
            deps = [sg_key]
            remote = identity["remoteGroup"]
            if isinstance(remote, str) and remote.startswith("secgroup/") and remote != sg_key:
                deps.append(remote)
            managed = sg_owned and (states_egress or not is_default_egress(rule))
            out.append(
                Resource(
                    key,
                    slug,
                    {**identity, "project": project, "description": rule.get("description") or ""},
                    tuple(deps),
                    managed,
                    rule["id"],
                )
            )
    return out


def _role_resources(
    slug: str, pid: str, managed: bool, docs: TenantDocs, role_names: Mapping[str, str]
) -> list[Resource]:
    project = f"project/{slug}"
    out: dict[str, Resource] = {}
    for ra in docs.role_assignments:
        scope = (ra.get("scope") or {}).get("project") or {}
        if scope.get("id") != pid or "OS-INHERIT:inherited_to" in (ra.get("scope") or {}):
            continue
        role = (ra.get("role") or {}).get("name")
        berth_role = role_names.get(str(role))
        kind = "user" if "user" in ra else "group" if "group" in ra else None
        if berth_role is None or kind is None:
            continue
        actor = ra[kind]
        key = f"role-assignment/{slug}/{kind}:{actor.get('name')}/{berth_role}"
        ref = f"{pid}/{kind}s/{actor['id']}/{ra['role']['id']}"
        out.setdefault(
            key,
            Resource(
                key,
                slug,
                {"project": project, "principalType": kind, "principal": actor.get("name"), "role": role},
                (project,),
                managed,
                ref,
            ),
        )
    return list(out.values())


def _flavor_access(slug: str, pid: str, managed: bool, docs: TenantDocs) -> list[Resource]:
    project = f"project/{slug}"
    return [
        Resource(
            f"flavor-access/{slug}/{flavor}",
            slug,
            {"project": project, "flavor": flavor},
            (project,),
            managed,
            f"{flavor}:{pid}",
        )
        for flavor, projects in sorted(docs.flavor_access.items())
        if pid in projects
    ]


def map_tenants(docs: TenantDocs, site: Site) -> list[Resource]:
    """Every resource of the given tenant projects, keyed like berth_core.desired."""
    identity = site.spec.identity
    role_names = {identity.member_role: "member", identity.reader_role: "reader"}
    out: list[Resource] = []
    for doc in sorted(docs.projects, key=lambda d: str(d["name"])):
        domain = docs.domain_names.get(str(doc.get("domain_id")), docs.domain_name)
        project = map_project(doc, domain)
        slug, pid, managed = project.tenant, str(doc["id"]), project.managed
        out.append(project)
        quota = map_quota(slug, pid, managed, docs)
        if quota is not None:
            out.append(quota)
        keys: dict[str, str] = {}  # OpenStack id -> berth key, for references between resources
        out.extend(_network_resources(slug, pid, docs, keys))
        out.extend(_router_resources(slug, pid, docs, keys))
        out.extend(_secgroup_resources(slug, pid, docs, keys))
        # In an agency's own domain its managers grant roles too: berth makes the grants its manifests
        # state and never revokes one it cannot tell from theirs (keystone keeps no owner on a grant).
        grants_managed = managed and not identity.self_service(domain)
        out.extend(_role_resources(slug, pid, grants_managed, docs, role_names))
        out.extend(_flavor_access(slug, pid, managed, docs))
    return out
