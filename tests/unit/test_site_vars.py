"""A site's vars files found in Ansible's own order (checked against Ansible's DataLoader on the same tree),
and group `all`'s settings layered as Ansible layers them: hosts.yml's `all: vars:`, then group_vars/all."""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cli.ansible.vars_files import site_vars, vars_files
from berth_core.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def ansible_order(base: Path, name: str) -> list[Path]:
    from ansible.parsing.dataloader import DataLoader

    return [Path(p) for p in DataLoader().find_vars_files(str(base), name)]


TREES = {
    "folder": {
        "all/main.yml": "a: 1\n",
        "all/tls.yml": "b: 2\n",
        "all/00-first.yaml": "c: 3\n",
        "all/zz.json": '{"d": 4}\n',
        "all/plain": "e: 5\n",
        "all/.hidden.yml": "x: 0\n",
        "all/main.yml~": "x: 0\n",
        "all/notes.txt": "x: 0\n",
        "all/sub/inner.yml": "f: 6\n",
        "all/m/inner.yml": "g: 7\n",
    },
    "folder beats file": {"all/main.yml": "a: 1\n", "all.yml": "a: 2\n"},
    "file only": {"all.yaml": "a: 1\n"},
    "nothing": {"other/main.yml": "a: 1\n"},
}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_files_come_in_ansibles_order(tmp_path: Path, tree: str) -> None:
    write(tmp_path, TREES[tree])
    assert vars_files(tmp_path, "all") == ansible_order(tmp_path, "all")


def test_the_folder_order_is_sorted_and_skips_what_ansible_skips(tmp_path: Path) -> None:
    write(tmp_path, TREES["folder"])
    names = [p.relative_to(tmp_path / "all").as_posix() for p in vars_files(tmp_path, "all")]
    assert names == [
        "00-first.yaml",
        "m/inner.yml",
        "main.yml",
        "plain",
        "sub/inner.yml",
        "tls.yml",
        "zz.json",
    ]


def test_site_vars_layer_the_inventory_then_every_group_vars_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "hosts.yml": "all:\n  vars: {berth_site: x, from_hosts: 1, berth_public_tls: false}\n  hosts: {h1: {}}\n",
            "group_vars/all/main.yml": "berth_internal_address: 10.0.0.1\nberth_public_tls: false\n",
            "group_vars/all/tls.yml": "berth_public_tls: true\n",
            "group_vars/controllers/main.yml": "berth_public_tls: nonsense\n",
        },
    )
    site = site_vars(tmp_path)
    assert site.get("berth_public_tls") is True, "tls.yml comes after main.yml and wins"
    assert site.get("from_hosts") == 1 and site.get("berth_internal_address") == "10.0.0.1"
    assert site.location("berth_public_tls").file == str(tmp_path / "group_vars/all/tls.yml")
    assert site.location("from_hosts").file == str(tmp_path / "hosts.yml")
    assert "berth_site" in site and "nowhere" not in site


def test_aio_site_vars_come_from_all_its_files() -> None:
    site = site_vars(ROOT / "inventory" / "aio")
    assert site.get("berth_internal_address") == "127.0.0.1"  # main.yml
    assert "berth_preflight" in site  # preflight.yml: no longer only main.yml
    assert "berth_public_tls" not in site, "the devcloud stays plain http"


def test_a_vars_file_that_is_not_a_mapping_is_located(tmp_path: Path) -> None:
    write(tmp_path, {"group_vars/all/main.yml": "- a\n- b\n"})
    with pytest.raises(UsageError, match="mapping") as err:
        site_vars(tmp_path)
    assert err.value.location is not None
    assert err.value.location.file.endswith("group_vars/all/main.yml")


def test_vault_values_stay_opaque(tmp_path: Path) -> None:
    write(tmp_path, {"group_vars/all/secret.yml": "x: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n"})
    assert site_vars(tmp_path).get("x") == "<vault>"
