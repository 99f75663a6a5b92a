"""`berth cloud deploy` of a site that asks for TLS, through the real CLI, ansible-runner and a probe
playbook on localhost (a checkout of its own, so nothing of OpenStack runs): the playbook receives the
PEM's and the CA's paths and the https endpoint base, clouds.yaml carries https and the CA, a second deploy
writes nothing; a plain site gets none of it, and a wrong TLS setting stops the deploy before anything runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from berth_cli.main import main

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
SITE = "tlsprobe"
PROBE = """
- name: TLS probe
  hosts: all
  gather_facts: false
  tasks:
    - name: Look at the PEM berth handed over
      ansible.builtin.stat:
        path: "{{ haproxy_tls_pem }}"
      register: probe_pem
      when: haproxy_tls_pem is defined
    - name: Record what the playbook was given
      ansible.builtin.copy:
        dest: "{{ probe_record }}"
        mode: "0600"
        content: >-
          {{ {'haproxy_tls_pem': haproxy_tls_pem | default(None),
              'pem_readable': probe_pem.stat.readable | default(None),
              'berth_ca_certificate': berth_ca_certificate | default(None),
              'berth_public_endpoint_base': berth_public_endpoint_base | default(None)} | to_json }}
"""


def checkout(tmp: Path, tls: str | None) -> Path:
    root = tmp / "checkout"
    (root / "playbooks").mkdir(parents=True)
    (root / "playbooks" / "site.yml").write_text(PROBE)
    (root / "playbooks" / "ansible.cfg").write_text("[defaults]\ninterpreter_python = auto_silent\n")
    site = root / "inventory" / SITE
    (site / "group_vars" / "all").mkdir(parents=True)
    (site / "hosts.yml").write_text(
        "all:\n  hosts:\n    probe:\n      ansible_connection: local\n"
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
        f"      probe_record: {tmp / 'record.json'}\n"
    )
    (site / "group_vars" / "all" / "main.yml").write_text(
        "berth_site: tlsprobe\nberth_internal_address: 10.251.0.99\n"
    )
    if tls is not None:
        (site / "group_vars" / "all" / "tls.yml").write_text(tls)
    return root


TLS = "berth_public_tls: true\nberth_internal_vip: 10.251.0.98\nberth_public_names: [api.probe.test]\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    return tmp_path


def deploy(tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(["cloud", "deploy", "--site", SITE, "--skip-preflight", "--output", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), out + err


def pki_files(state: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((state / "pki").iterdir())}


def test_a_tls_site_hands_the_playbook_its_certificate_and_clouds_yaml_its_ca(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BERTH_ROOT", str(checkout(env, TLS)))
    state = env / "state" / SITE
    code, summary, text = deploy(env, capsys)
    assert code == 0, text
    record = json.loads((env / "record.json").read_text())
    assert record == {
        "haproxy_tls_pem": str(state / "pki" / "api.pem"),
        "pem_readable": True,
        "berth_ca_certificate": str(state / "pki" / "ca.crt"),
        "berth_public_endpoint_base": "https://api.probe.test",
    }
    clouds = yaml.safe_load((state / "clouds.yaml").read_text())["clouds"]
    for cloud in clouds.values():
        assert cloud["auth"]["auth_url"] == "https://api.probe.test:5000/v3"
        assert cloud["cacert"] == str(state / "pki" / "ca.crt")
    tls = summary["tls"]
    assert isinstance(tls, dict) and len(tls["changes"]) == 2  # the CA created, the certificate issued
    artifacts = "".join(p.read_text(errors="replace") for p in (state / "ansible").rglob("*") if p.is_file())
    assert "PRIVATE KEY" not in text + artifacts, "keys stay in their files: not in output, not in artifacts"
    before = pki_files(state)

    code, summary, text = deploy(env, capsys)
    assert code == 0, text
    assert summary["tls"]["changes"] == []  # type: ignore[index]
    assert pki_files(state) == before, "a re-deploy keeps every byte and every mtime"


def test_a_plain_site_gets_no_tls_at_all(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BERTH_ROOT", str(checkout(env, None)))
    state = env / "state" / SITE
    code, summary, text = deploy(env, capsys)
    assert code == 0, text
    assert json.loads((env / "record.json").read_text()) == {
        "haproxy_tls_pem": None,
        "pem_readable": None,
        "berth_ca_certificate": None,
        "berth_public_endpoint_base": None,
    }
    assert "tls" not in summary and not (state / "pki").exists()
    for cloud in yaml.safe_load((state / "clouds.yaml").read_text())["clouds"].values():
        assert cloud["auth"]["auth_url"] == "http://10.251.0.99:5000/v3" and "cacert" not in cloud


def test_a_wrong_tls_setting_stops_the_deploy_before_anything_runs(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "BERTH_ROOT", str(checkout(env, "berth_public_tls: true\nberth_public_address: api.probe.test\n"))
    )
    code, _, text = deploy(env, capsys)
    assert code == 2
    assert "group_vars/all/tls.yml" in text and "berth_public_address must be an IP address" in text
    assert not (env / "state" / SITE / "ansible").exists() and not (env / "state" / SITE / "pki").exists()


URL_ROLES = ("keystone", "nova", "glance", "neutron_server", "placement", "cinder")
URLS_PROBE = """
- name: Endpoint URLs
  hosts: all
  gather_facts: false
  vars_files: {files}
  tasks:
    - name: Show them
      ansible.builtin.debug:
        msg: "URLS {{{{ [{urls}] | join(' ') }}}} END"
"""


def catalogue_urls(tmp: Path, *extra: str) -> list[str]:
    """The catalogue URLs the service roles register, rendered by Ansible with the shared group_vars."""
    playbooks = tmp / "playbooks"
    shutil.copytree(ROOT / "playbooks" / "group_vars", playbooks / "group_vars", dirs_exist_ok=True)
    files = [f"{ROOT}/playbooks/roles/{role}/defaults/main.yml" for role in URL_ROLES]
    urls = ", ".join(f"{role}_public_url" for role in URL_ROLES)
    (playbooks / "urls.yml").write_text(URLS_PROBE.format(files=json.dumps(files), urls=urls))
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbooks / "urls.yml"),
            "-e",
            "berth_internal_address=127.0.0.1",
            "-e",
            "berth_management_address=127.0.0.1",
            "-e",
            "keystone_admin_password=unused",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split("URLS ", 1)[1].split(" END", 1)[0].split()


def test_the_catalogue_urls_are_todays_by_default_and_https_with_the_endpoint_base(tmp_path: Path) -> None:
    assert catalogue_urls(tmp_path) == [
        "http://127.0.0.1:5000/v3",
        "http://127.0.0.1:8774/v2.1",
        "http://127.0.0.1:9292",
        "http://127.0.0.1:9696",
        "http://127.0.0.1:8778",
        "http://127.0.0.1:8776/v3",
    ], "the devcloud's catalogue is unchanged"
    assert catalogue_urls(tmp_path, "-e", "berth_public_endpoint_base=https://api.probe.test") == [
        "https://api.probe.test:5000/v3",
        "https://api.probe.test:8774/v2.1",
        "https://api.probe.test:9292",
        "https://api.probe.test:9696",
        "https://api.probe.test:8778",
        "https://api.probe.test:8776/v3",
    ]
