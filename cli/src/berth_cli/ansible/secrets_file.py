"""The site's generated service passwords: `.berth/<site>/secrets/passwords.yml`, mode 0600.

The playbooks read this file by path (vars_files); its values never go into extra vars, artifacts, logs or
output. Missing keys are generated with `secrets`; existing ones are kept, so re-deploys change nothing.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import yaml

from berth_cli.state.files import write_atomic
from berth_core.cephx import new_cephx_key
from berth_core.errors import BerthError

SERVICES_WITH_DB = ("keystone", "placement", "nova", "neutron", "cinder", "glance")
SERVICE_USERS = ("placement", "nova", "neutron", "cinder", "glance")
SECRET_KEYS: tuple[str, ...] = (
    "keystone_admin_password",
    "rabbitmq_openstack_password",
    "rabbitmq_erlang_cookie",  # the shared secret of a RabbitMQ cluster's nodes
    "mariadb_sst_password",  # the Galera state-transfer account (mariabackup)
    "keepalived_vrrp_password",  # VRRP authentication between the VIP's holders
    *(f"{s}_db_password" for s in SERVICES_WITH_DB),
    *(f"{s}_service_password" for s in SERVICE_USERS),
)
# Ceph's cephx keys (berth_core.cephx): the monitors' shared key, the admin's, each OpenStack client's
# (glance: images; cinder, which nova uses too: volumes and vms) and berth's own read-only one (status).
CEPHX_KEYS: tuple[str, ...] = tuple(
    f"ceph_{name}_key" for name in ("mon", "admin", "glance", "cinder", "berth")
)


def secrets_path(state_dir: Path) -> Path:
    return state_dir / "secrets" / "passwords.yml"


def load_secrets(state_dir: Path) -> dict[str, str]:
    path = secrets_path(state_dir)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BerthError(f"{path} is not valid YAML", hint="restore it or remove it to re-generate") from exc
    if not isinstance(data, dict):
        raise BerthError(f"{path} must be a mapping of names to passwords")
    return {str(k): str(v) for k, v in data.items()}


def ensure_secrets(state_dir: Path) -> Path:
    """Create or complete the secrets file (0600) and return its path."""
    path = secrets_path(state_dir)
    current = load_secrets(state_dir)
    missing = [key for key in (*SECRET_KEYS, *CEPHX_KEYS) if key not in current]
    if missing or not path.exists():
        current.update({key: _generate(key) for key in missing})
        write_atomic(path, yaml.safe_dump(current, sort_keys=True))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path


def _generate(key: str) -> str:
    return new_cephx_key() if key in CEPHX_KEYS else secrets.token_urlsafe(24)


def write_clouds_yaml(
    state_dir: Path, *, site: str, auth_url: str, region: str, cacert: Path | None = None
) -> Path:
    """`.berth/<site>/clouds.yaml` (0600) with the site's admin, project- and system-scoped; `cacert`: the
    CA certificate that verifies the site's TLS endpoints (its PKI's ca.crt), for an https auth_url."""
    password = load_secrets(state_dir).get("keystone_admin_password")
    if not password:
        raise BerthError(
            f"no admin password in {secrets_path(state_dir)}", hint="run `berth cloud deploy` first"
        )
    common: dict[str, object] = {"region_name": region, "identity_api_version": 3, "interface": "public"}
    if cacert is not None:
        common["cacert"] = str(cacert)
    auth = {"auth_url": auth_url, "username": "admin", "password": password, "user_domain_name": "Default"}
    clouds = {
        "clouds": {
            f"{site}-admin": {
                "auth": {**auth, "project_name": "admin", "project_domain_name": "Default"},
                **common,
            },
            f"{site}-system": {"auth": {**auth, "system_scope": "all"}, **common},
        }
    }
    path = state_dir / "clouds.yaml"
    write_atomic(path, yaml.safe_dump(clouds, sort_keys=False))
    return path
