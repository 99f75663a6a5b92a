"""`berth cloud backup|restore`: one encrypted archive of a site, and the way back from it, verified.

Backup, under the site lock (no apply or deploy runs meanwhile): berth's state files are copied to a private
staging directory, then backup.yml fetches the database host's hot copy (mariabackup) and keystone's keys
next to them; the staging directory is sealed into one archive (berth_cli.backup.archive) and removed.

Restore: the archive is opened and every checksum checked before anything changes; restore.yml stops the
services, puts the databases and keys back and empties the caches; the OpenStack part of the site is deployed
again (which starts every service on the restored data); then it is verified: every service answers, the audit chain is intact,
and a plan over the site's manifests has nothing to change.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cli.backup.key import BackupKey
    from berth_cli.context import SiteContext
    from berth_core.backup import Manifest

SUFFIX = ".berth-backup"


def _refuse_clusters(ctx: SiteContext) -> None:
    from berth_cli.ansible.vars_files import site_vars
    from berth_cli.services.clusters import has_clusters
    from berth_core.errors import UsageError

    if has_clusters(site_vars(ctx.site_dir)):
        raise UsageError(
            f"{ctx.site}: backup and restore of a clustered site (Galera) are not built yet",
            hint="sites with one database host (the devcloud) are supported; see docs/operations.md",
        )


def openstack_series(ctx: SiteContext) -> str:
    """The OpenStack series the site runs: its own berth_openstack_series, else the playbooks' default."""
    from berth_cli.ansible.vars_files import load_vars_file, site_vars

    site = site_vars(ctx.site_dir).get("berth_openstack_series")
    if site is not None:
        return str(site)
    defaults = load_vars_file(ctx.root / "playbooks" / "group_vars" / "all" / "main.yml") or {}
    return str(defaults.get("berth_openstack_series", "unknown"))


def _refuse_inside_state(ctx: SiteContext, path: Path, what: str, hint: str) -> None:
    from berth_core.errors import UsageError

    if path.resolve().is_relative_to(ctx.state_dir.resolve()):
        raise UsageError(
            f"{path}: the {what} is inside the site's state directory, which every backup carries", hint=hint
        )


def open_key(ctx: SiteContext, key_file: Path, *, new: bool = False) -> BackupKey:
    """The operator's key (a new one written first with `new`), once the site is one berth can back up."""
    from berth_cli.backup.key import new_key_file, read_key_file

    _refuse_clusters(ctx)
    _refuse_inside_state(
        ctx,
        key_file,
        "key file",
        "keep the key where the archives are not (an operator's vault, another host)",
    )
    return new_key_file(key_file) if new else read_key_file(key_file)


def _copy_state(state_dir: Path, staging: Path) -> None:
    """berth's state files of the site (not what is regenerated) into staging/state/, as they are now."""
    from berth_core.backup import state_member

    for path in sorted(p for p in state_dir.rglob("*") if p.is_file()):
        member = state_member(path.relative_to(state_dir).as_posix())
        if member is None:
            continue
        target = staging / member
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, target)


@dataclass(frozen=True)
class BackupSummary:
    site: str
    archive: str
    bytes: int
    members: int
    database_bytes: int
    key_id: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def backup_site(
    ctx: SiteContext, key: BackupKey, output: Path | None, *, timeout: int = 1800
) -> BackupSummary:
    """Back up the site into one archive (default: .berth/backups/<site>-<UTC time>.berth-backup)."""
    from importlib.metadata import version

    from berth_cli.backup.archive import write_archive
    from berth_cli.services.deploy import run_site_playbook
    from berth_cli.state.files import private_dir
    from berth_core.backup import DATABASE_MEMBER, Manifest

    started, now = time.monotonic(), datetime.now(UTC)
    archive = output or ctx.state_dir.parent / "backups" / f"{ctx.site}-{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
    _refuse_inside_state(ctx, archive, "archive", "write it elsewhere (the next backup would carry it)")
    private_dir(archive.parent)
    staging = Path(tempfile.mkdtemp(prefix="berth-backup-", dir=private_dir(ctx.state_dir.parent)))
    try:

        def stage_state() -> dict[str, Any]:  # under the site lock, just before the databases are copied
            _copy_state(ctx.state_dir, staging)
            return {"backup_staging_dir": str(staging)}

        run_site_playbook(ctx, "backup.yml", timeout=timeout, secrets=False, prepare=stage_state)
        sources = {p.relative_to(staging).as_posix(): p for p in staging.rglob("*") if p.is_file()}
        manifest = Manifest(
            site=ctx.site,
            created=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            berth_version=version("berth-cli"),
            release=openstack_series(ctx),
            clustered=False,
            members=(),
        )
        written = write_archive(archive, key, manifest, sources)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    database = written.member(DATABASE_MEMBER)
    return BackupSummary(
        site=ctx.site,
        archive=str(archive),
        bytes=archive.stat().st_size,
        members=len(written.members),
        database_bytes=database.size if database else 0,
        key_id=key.key_id.hex(),
        seconds=round(time.monotonic() - started, 1),
    )


@dataclass
class RestoreReport:
    site: str
    archive: str
    created: str  # when the backup was taken
    set_aside: str = ""  # the suffix of the database host's old data directory (<datadir>.before-restore-ID)
    state_restored: list[str] = field(default_factory=list)  # state files the site did not have
    state_kept: list[str] = field(default_factory=list)  # state files that differ: the site's own kept
    services: dict[str, bool] = field(default_factory=dict)
    audit_records: int = 0
    audit_intact: bool = False
    plan_changes: int = -1
    seconds: float = 0.0

    @property
    def verified(self) -> bool:
        return (
            all(self.services.values())
            and bool(self.services)
            and self.audit_intact
            and self.plan_changes == 0
        )

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "verified": self.verified}


def _restore_state(manifest: Manifest, root: Path, state_dir: Path, report: RestoreReport) -> None:
    """State files the site lacks come back from the archive; a file the site has and that differs stays the
    site's (it is newer than the backup) and is listed, so nothing the operator has is overwritten."""
    import filecmp

    from berth_core.backup import STATE

    for member in manifest.part(STATE):
        relative = member.name.split("/", 1)[1]
        target, source = state_dir / relative, root / member.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copy2(source, target)
            target.chmod(0o600)
            report.state_restored.append(relative)
        elif not filecmp.cmp(source, target, shallow=False):
            report.state_kept.append(relative)


def restore_site(
    ctx: SiteContext, archive: Path, key: BackupKey, *, skip_preflight: bool = False, timeout: int = 3600
) -> RestoreReport:
    """Restore the site from `archive` with the key `open_key` gave, deploy it, verify it (the report says
    what was found)."""
    from berth_cli.backup.archive import open_archive
    from berth_cli.services.deploy import deploy_site, run_site_playbook
    from berth_cli.state.files import private_dir
    from berth_core.errors import ArchiveRefused

    started = time.monotonic()
    with open_archive(archive, key, ctx.site, private_dir(ctx.state_dir.parent)) as opened:
        manifest = opened.manifest
        series = openstack_series(ctx)
        if manifest.release != series:
            raise ArchiveRefused(
                f"{archive}: a backup of OpenStack {manifest.release}; site {ctx.site} runs {series}",
                hint="restore onto the release the backup was taken from, then upgrade",
            )
        restore_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        report = RestoreReport(
            ctx.site, str(archive), manifest.created, set_aside=f".before-restore-{restore_id}"
        )
        _restore_state(manifest, opened.root, ctx.state_dir, report)
        run_site_playbook(
            ctx,
            "restore.yml",
            timeout=timeout,
            secrets=False,
            prepare=lambda: {
                "backup_staging_dir": str(opened.root),
                "backup_restore_id": restore_id,
            },
        )
    # the OpenStack part of the deploy starts every service on the restored data (hosts, infrastructure and
    # virtualenv are as the restore found them; a full `berth cloud deploy` converges them, if wanted)
    deploy_site(ctx, tags="openstack", skip_preflight=skip_preflight, timeout=timeout)
    _verify(ctx, report)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _verify(ctx: SiteContext, report: RestoreReport, settle_seconds: float = 120.0) -> None:
    """Every service answers (compute hosts report in within `settle_seconds`), the audit chain is intact,
    and a plan over the site's manifests changes nothing."""
    from berth_cli.services.deploy import site_status
    from berth_cli.services.planning import open_cloud, plan_site
    from berth_cli.state.audit_log import AuditLog

    deadline = time.monotonic() + settle_seconds
    while True:
        status = site_status(ctx)
        if status["healthy"] or time.monotonic() > deadline:
            break
        time.sleep(5)
    report.services = {e["service"]: bool(e["ok"]) for e in status["endpoints"]}
    report.services |= {f"compute {h['host']}": bool(h["ok"]) for h in status["computes"]}
    log = AuditLog(ctx.state_dir)
    report.audit_intact, report.audit_records = not log.verify(), len(log.records())
    planned = plan_site(ctx, None, offline=False, override_reason=None, cloud=open_cloud(ctx))
    report.plan_changes = sum(c.action != "no-op" for c in planned.outcome.plan.changes)
