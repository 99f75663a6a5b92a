"""`berth lab up|status|down` for a site: what the commands call. The site's lab.yml says which hosts;
up makes what is missing (and only that), writes the site's inventory and records the hosts' keys with
berth's own trust code after checking each against the key the lab generated for that host."""

# ruff: noqa: S603, S607 - system tools (ip, unshare, nsenter, debootstrap, ssh-keygen) by name, argument lists, no shell

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from berth_cli.lab import host as lab_host
from berth_cli.lab import network
from berth_cli.lab.plan import LabHost, LabPlan, interface_addresses, inventory, plan_lab
from berth_core.errors import BerthError, UsageError

if TYPE_CHECKING:
    from berth_cli.context import SiteContext

HEADER = (
    "# Written by `berth lab up --site {site}` from lab.yml (rewritten by every up; not committed):\n"
    "# the lab's hosts over SSH as root, with the key and known_hosts the lab made for them.\n"
)


@dataclass
class HostStatus:
    name: str
    address: str
    groups: list[str]
    namespaces: bool
    sshd: bool
    pid: int | None = None
    action: str = ""  # what up did: created, sshd started, or nothing


@dataclass
class LabReport:
    site: str
    hosts: list[HostStatus]
    bridge: bool
    apt_proxy: bool
    timings: dict[str, float] = field(default_factory=dict)
    trusted: list[str] = field(default_factory=list)  # hosts whose key up recorded
    # each VIP of lab.yml and the host of the site holding it (for down: when it began)
    vips: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_plan(ctx: SiteContext) -> LabPlan:
    import yaml

    path = ctx.site_dir / "lab.yml"
    if not path.is_file():
        raise UsageError(f"site {ctx.site!r} has no lab: {path} is missing", hint="see inventory/lab/lab.yml")
    return plan_lab(ctx.site, yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def key_file(ctx: SiteContext) -> Path:
    return ctx.state_dir / "lab" / "id_ed25519"


def _client_key(ctx: SiteContext) -> str:
    key = key_file(ctx)
    if not key.is_file():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"berth-lab-{ctx.site}", "-f", str(key)],
            check=True,
            capture_output=True,
        )
    return " ".join(Path(f"{key}.pub").read_text().split()[:2])


def _running_elsewhere(plan: LabPlan) -> list[tuple[str, str, dict[str, Any], lab_host.Init]]:
    """The running hosts of other sites' labs: (site, host, its record, its PID 1)."""
    found = []
    for record in lab_host.HOSTS_ROOT.glob("*/*/init.json"):
        site = record.parent.parent.name
        if site == plan.site:
            continue
        try:
            data = json.loads(record.read_text())
            init = lab_host.Init(int(data["pid"]), str(data["start"]), int(data["net"]))
        except (OSError, ValueError, KeyError):
            continue
        if init.alive():
            found.append((site, record.parent.name, data, init))
    return found


def _claimed_elsewhere(plan: LabPlan) -> list[str]:
    """Addresses of this plan (hosts and VIPs) that a running host of another site's lab has or holds, or
    that another running site declares as a VIP (one bridge for all labs)."""
    mine = {h.address for h in plan.hosts} | set(plan.vips)
    clashes: dict[str, str] = {}
    for site, name, data, init in _running_elsewhere(plan):
        for vip in mine & {str(v) for v in data.get("vips", [])}:
            clashes.setdefault(vip, f"{vip} (a VIP of site {site})")
        has = {str(data.get("address"))}
        with contextlib.suppress(BerthError):  # (it died meanwhile) what its interfaces carry: a held VIP
            has |= interface_addresses(lab_host.inside(init, "ip", "-o", "addr", "show", net_only=True))
        for address in mine & has:
            clashes[address] = f"{address} ({site}/{name})"
    return [clashes[a] for a in sorted(clashes)]


def vip_holders(plan: LabPlan) -> dict[str, str | None]:
    """Each VIP of the site and the host of the site that has it on an interface now (None: nobody)."""
    holders: dict[str, str | None] = dict.fromkeys(plan.vips)
    if not plan.vips:
        return holders
    for host in plan.hosts:
        init = lab_host.recorded_init(host)
        if init is None:
            continue
        try:
            held = interface_addresses(lab_host.inside(init, "ip", "-o", "addr", "show", net_only=True))
        except BerthError:
            continue
        for vip in plan.vips:
            if vip in held:
                holders[vip] = host.name
    return holders


def _status(plan: LabPlan, actions: dict[str, str] | None = None) -> list[HostStatus]:
    rows = []
    for host in plan.hosts:
        init = lab_host.recorded_init(host)
        rows.append(
            HostStatus(
                host.name,
                host.address,
                list(host.groups),
                namespaces=init is not None,
                sshd=init is not None and lab_host.sshd_answers(host.address),
                pid=init.pid if init else None,
                action=(actions or {}).get(host.name, ""),
            )
        )
    return rows


def up(ctx: SiteContext) -> LabReport:
    from berth_cli.lab.pypi import machine_index
    from berth_cli.lab.tree import ensure_tree, machine_mirror

    plan = load_plan(ctx)
    timings: dict[str, float] = {}
    actions: dict[str, str] = {}
    started = time.monotonic()
    logs = lab_host.HOSTS_ROOT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with network.lab_lock():
        if clashes := _claimed_elsewhere(plan):
            raise UsageError(f"addresses already used by another site's lab: {', '.join(clashes)}")
        mirror = machine_mirror()
        tree, timings["tree_build_s"] = ensure_tree(mirror, logs / "debootstrap.log")
        network.ensure_bridge()
        network.ensure_proxy(
            mirror.hosts,
            lab_host.CACHE / "apt-archives",
            logs / "aptproxy.log",
            machine_index(),
            lab_host.CACHE / "pypi",
        )
        client_pub = _client_key(ctx)
        for host in plan.hosts:
            init = lab_host.recorded_init(host)
            if init is None:
                lab_host.stop(host)  # whatever a dead host left: its veth, its files
                init = lab_host.start(host, plan, tree, client_pub)
                _record_address(host, plan)
                actions[host.name] = "created"
            if not lab_host.sshd_answers(host.address):
                lab_host.start_sshd(init)
                actions.setdefault(host.name, "sshd started")
        for host in plan.hosts:
            lab_host.wait_sshd(host.address)
        _write_inventory(ctx, plan)
        trusted = _trust(ctx, plan)
    timings["up_s"] = round(time.monotonic() - started, 1)
    timings["tree_build_s"] = round(timings["tree_build_s"], 1)
    return LabReport(
        ctx.site,
        _status(plan, actions),
        network.bridge_exists(),
        network.proxy_running(),
        timings,
        trusted,
        vip_holders(plan),
    )


def _record_address(host: LabHost, plan: LabPlan) -> None:
    """The host's address and its site's VIPs, for the next `up` of another site to keep clear of."""
    path = lab_host.host_dir(host) / "init.json"
    record = {**json.loads(path.read_text()), "address": host.address, "vips": list(plan.vips)}
    path.write_text(json.dumps(record))


def _write_inventory(ctx: SiteContext, plan: LabPlan) -> None:
    import yaml

    doc = inventory(plan, key_file(ctx), ctx.site_dir / "known_hosts")
    text = HEADER.format(site=ctx.site) + yaml.safe_dump(doc, sort_keys=False)
    path = ctx.site_dir / "hosts.yml"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _trust(ctx: SiteContext, plan: LabPlan) -> list[str]:
    """Record every host's key as `berth hosts trust --replace --yes` would, but only a key equal to the
    one the lab generated inside that host (the lab is its console); anything else is refused."""
    from berth_cli.preflight.inventory import load_inventory
    from berth_cli.preflight.trust import offered_key, record
    from berth_core.errors import PreflightFailed

    inv = load_inventory(ctx.site_dir, ctx.root)
    offers = []
    for host in plan.hosts:
        offer = offered_key(inv.hosts[host.name], inv.known_hosts, timeout=10.0)
        offered = f"{offer.key.get_name()} {offer.key.get_base64()}"
        if offered != lab_host.host_public_key(host):
            raise PreflightFailed(
                f"{host.name} ({host.address}) offers a key the lab did not make: {offer.fingerprint}",
                hint="something else answers on the lab's address; berth lab down, then up",
            )
        if offer.state != "same":
            offers.append(offer)
    if offers:
        record(inv.known_hosts, offers)
    return [o.host.name for o in offers]


def status(ctx: SiteContext) -> LabReport:
    plan = load_plan(ctx)
    return LabReport(
        ctx.site, _status(plan), network.bridge_exists(), network.proxy_running(), vips=vip_holders(plan)
    )


def down(ctx: SiteContext) -> tuple[LabReport, dict[str, int]]:
    """Stop every host of the site's lab (and the bridge and proxy when no other lab uses them)."""
    plan = load_plan(ctx)
    killed: dict[str, int] = {}
    with network.lab_lock():
        # a VIP lives on its holder's eth0, in that host's network namespace: it goes with the host
        held = vip_holders(plan)
        for host in plan.hosts:
            killed[host.name] = lab_host.stop(host)
        site_dir = lab_host.HOSTS_ROOT / ctx.site
        if site_dir.is_dir():  # a host taken out of lab.yml while it ran still has its record here
            for left in sorted(site_dir.iterdir()):
                killed[left.name] = lab_host.stop(LabHost(ctx.site, left.name, "", ()))
            site_dir.rmdir()
        if network.remove_bridge_if_unused():
            network.stop_proxy()
    report = LabReport(
        ctx.site, _status(plan), network.bridge_exists(), network.proxy_running(), vips=held
    )  # for down, `vips` says who held each VIP when it began
    return report, killed
