"""Filters over the site description (inventory/<site>/cloud.yml), thin shims over berth_core.site."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError


def site_compute_hosts(cloud_yml_text: str) -> list[dict[str, Any]]:
    """The compute hosts a site declares: name, zone, vcpus, ram_mib, disk_gib (validated by berth_core)."""
    import yaml

    try:
        from berth_core.site import Site
    except ImportError as exc:
        raise AnsibleFilterError(
            "berth_core is not importable: run Ansible through `berth cloud deploy`"
        ) from exc
    try:
        site = Site.model_validate(yaml.safe_load(cloud_yml_text))
    except Exception as exc:
        raise AnsibleFilterError(f"cloud.yml is invalid (check it with berth): {exc}") from exc
    return [
        {"name": h.name, "zone": h.zone, "vcpus": h.vcpus, "ram_mib": h.ram_mib, "disk_gib": h.disk_gib}
        for h in site.spec.hosts
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"site_compute_hosts": site_compute_hosts}
