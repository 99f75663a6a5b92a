"""`berth hosts drain|enable`: empty a compute host before maintenance, or take it back into service.

A drain is admitted first (berth_core.drain: every guest must fit whole on the hosts that stay); refused,
it changes nothing (exit 4). Admitted, the host stops taking new guests (nova's service disabled, with the
reason), then each guest is moved off in turn; a guest that cannot move stops the drain there (exit 5), with
the host still disabled, and a re-run goes on from where it stopped. Every drain and enable is in the
site's audit log, under the site lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_core.drain import DrainVerdict


@dataclass
class DrainReport:
    host: str
    guests: int
    moved: list[dict[str, str]] = field(default_factory=list)  # {server, to}
    was_enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _refuse(verdict: DrainVerdict) -> None:
    from berth_core.errors import CapacityRefused

    raise CapacityRefused(
        f"host {verdict.host}: draining it is refused: {verdict.refusal}",
        hint="add capacity or move that guest yourself; nothing has been changed",
    )


def drain_host(ctx: SiteContext, host: str, reason: str, *, timeout: float = 300.0) -> DrainReport:
    """Admit, disable scheduling, move every guest off; the report of what moved where."""
    from berth_cli.services.planning import open_cloud
    from berth_cli.state.audit_log import record
    from berth_cli.state.lock import site_lock
    from berth_cloud.compute_hosts import host_load, move_off, set_scheduling
    from berth_core.drain import admit_drain
    from berth_core.errors import BerthError

    cloud = open_cloud(ctx)
    with site_lock(ctx.state_dir, f"berth hosts drain {host}", wait_seconds=5):
        load = host_load(cloud, host)
        verdict = admit_drain(host, load.guests, load.remaining)
        report = DrainReport(host, len(load.guests), was_enabled=load.host.enabled)
        summary: dict[str, Any] = {"host": host, "guests": len(load.guests)}
        audit: dict[str, Any] = {"reason": reason, "summary": summary}
        if not verdict.fits:
            record(ctx.state_dir, site=ctx.site, action="hosts drain", result="refused", **audit)
            _refuse(verdict)
        try:
            if load.host.enabled:
                set_scheduling(cloud, load.host, enabled=False, reason=f"berth drain: {reason}")
            for server in load.servers:
                landed = move_off(cloud, server, host, timeout=timeout)
                report.moved.append({"server": str(server.get("name")), "to": landed})
        except BerthError:
            summary["moved"] = len(report.moved)
            record(ctx.state_dir, site=ctx.site, action="hosts drain", result="failed", **audit)
            raise
        summary["moved"] = len(report.moved)
        record(ctx.state_dir, site=ctx.site, action="hosts drain", result="ok", **audit)
    return report


def enable_host(ctx: SiteContext, host: str, reason: str) -> bool:
    """Let nova schedule onto the host again; False when it already could."""
    from berth_cli.services.planning import open_cloud
    from berth_cli.state.audit_log import record
    from berth_cli.state.lock import site_lock
    from berth_cloud.compute_hosts import compute_hosts, set_scheduling
    from berth_core.errors import OpenStackError

    cloud = open_cloud(ctx)
    with site_lock(ctx.state_dir, f"berth hosts enable {host}", wait_seconds=5):
        current = compute_hosts(cloud).get(host)
        if current is None:
            raise OpenStackError(f"host {host}: nova has no compute service of that name")
        if current.enabled:
            return False
        set_scheduling(cloud, current, enabled=True)
        record(
            ctx.state_dir,
            site=ctx.site,
            action="hosts enable",
            result="ok",
            reason=reason,
            summary={"host": host},
        )
    return True
