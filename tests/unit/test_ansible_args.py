"""Pure argument building for ansible-runner: playbook, inventory, limit, tags, check mode, extra vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cli.ansible.args import (
    PlaybookRun,
    check_limit,
    cmdline_for,
    extravars_for,
    parse_tags,
    runner_kwargs,
)
from berth_core.errors import UsageError

PLAYBOOKS = Path("/repo/playbooks")
INVENTORY = Path("/repo/inventory/aio/hosts.yml")


def make(**overrides: object) -> PlaybookRun:
    base: dict[str, object] = {"playbooks_dir": PLAYBOOKS, "playbook": "site.yml", "inventory": INVENTORY}
    base.update(overrides)
    return PlaybookRun(**base)  # type: ignore[arg-type]


def kwargs_of(run: PlaybookRun) -> dict[str, object]:
    return runner_kwargs(run, Path("/tmp/private"), Path("/state/ansible"), "run-1")


def test_minimal_run_targets_the_playbook_and_inventory_with_safe_defaults() -> None:
    kw = kwargs_of(make())
    assert kw["playbook"] == "/repo/playbooks/site.yml"
    assert kw["inventory"] == str(INVENTORY)
    assert kw["project_dir"] == str(PLAYBOOKS)
    assert kw["private_data_dir"] == "/tmp/private"
    assert kw["artifact_dir"] == "/state/ansible"
    assert kw["ident"] == "run-1"
    assert kw["suppress_env_files"] is True
    assert kw["rotate_artifacts"] == 30
    assert kw["timeout"] == 3600
    assert kw["envvars"]["ANSIBLE_CONFIG"] == "/repo/playbooks/ansible.cfg"  # type: ignore[index]
    # ansible-runner would turn host-key checking off (ANSIBLE_HOST_KEY_CHECKING=False) unless told
    assert kw["envvars"]["ANSIBLE_HOST_KEY_CHECKING"] == "True"  # type: ignore[index]
    for absent in ("limit", "tags", "skip_tags", "cmdline", "forks"):
        assert absent not in kw
    assert kw["extravars"] == {}


def test_limit_tags_and_check_mode_are_passed_through() -> None:
    kw = kwargs_of(make(limit="controllers,aio", tags=("infra", "keystone"), skip_tags=("venv",), check=True))
    assert kw["limit"] == "controllers,aio"
    assert kw["tags"] == "infra,keystone"
    assert kw["skip_tags"] == "venv"
    assert kw["cmdline"] == "--check"


def test_check_and_diff_build_one_cmdline() -> None:
    assert cmdline_for(make(check=True, diff=True)) == "--check --diff"
    assert cmdline_for(make()) == ""


def test_secrets_file_is_passed_by_path_only() -> None:
    run = make(secrets_file=Path("/state/secrets/passwords.yml"), extravars={"berth_site": "aio"})
    assert extravars_for(run) == {"berth_site": "aio", "berth_secrets_file": "/state/secrets/passwords.yml"}


@pytest.mark.parametrize("name", ["keystone_admin_password", "db_secret", "api_token", "ssh_private_key"])
def test_secret_looking_extravars_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="refusing"):
        extravars_for(make(extravars={name: "x"}))


def test_timeout_and_forks() -> None:
    kw = kwargs_of(make(timeout_s=120, forks=4))
    assert kw["timeout"] == 120
    assert kw["forks"] == 4


def test_parse_tags() -> None:
    assert parse_tags(None) == ()
    assert parse_tags("") == ()
    assert parse_tags("infra, nova ,compute") == ("infra", "nova", "compute")
    with pytest.raises(UsageError):
        parse_tags("infra;rm -rf")


def test_check_limit() -> None:
    assert check_limit(None) is None
    assert check_limit("") is None
    assert check_limit("hp-cmp[01:04],!hp-cmp02") == "hp-cmp[01:04],!hp-cmp02"
    with pytest.raises(UsageError):
        check_limit("aio; reboot")
