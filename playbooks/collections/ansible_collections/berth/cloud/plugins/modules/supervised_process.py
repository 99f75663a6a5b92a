#!/usr/bin/python
"""Run a long-lived service without systemd: own process group, pid file, log file."""

from __future__ import annotations

DOCUMENTATION = r"""
module: supervised_process
short_description: Start, stop or restart a service as a detached process group with a pid file
description:
  - For machines without systemd (containers, CI). The process is started in a new session (so it is the
    leader of its own process group), its output goes to a log file and its pid to a pid file.
  - >-
    C(started) is idempotent. Nothing happens when the pid file names a live process whose fingerprint
    (command, environment and the content of the O(watch) files) is unchanged; a changed fingerprint
    restarts it. This replaces restart handlers, which are lost when a run fails between the change
    and the end of the play.
  - >-
    The process runs in C(/), as a daemon does: the module's own working directory over SSH is root's home
    (0700), where a service account cannot even stat C(.), which Python tools on C(sys.path) do.
  - >-
    C(stopped) sends SIGTERM to the whole group and SIGKILL after O(stop_timeout) seconds (some OpenStack
    daemons ignore SIGTERM while threads are busy).
options:
  name: {description: Service name (pid file and log file are named after it)., type: str, required: true}
  command: {description: Program and arguments., type: list, elements: str}
  environment: {description: Extra environment variables., type: dict, default: {}}
  run_dir: {description: Directory of pid files., type: path, default: /opt/berth/run}
  log_dir: {description: Directory of log files., type: path, default: /var/log/berth}
  state:
    description: Desired state.
    type: str
    choices: [started, stopped, restarted]
    default: started
  watch: {description: Files whose content change restarts the service (its configuration)., type: list, elements: path, default: []}
  stop_timeout: {description: Seconds between SIGTERM and SIGKILL., type: float, default: 10}
  settle: {description: Seconds a fresh process must survive to count as started., type: float, default: 1.5}
  user:
    description:
      - Account the service runs as (its primary group unless O(group) is given; no supplementary groups;
        HOME, USER and LOGNAME set to the account's). Unset, it runs as the module's own user.
      - The pid file stays root's; the log file is given to the account and handed to the process open.
    type: str
  group: {description: Group the service runs as (with O(user))., type: str}
author: berth maintainers
"""

EXAMPLES = r"""
- name: Ensure keystone runs
  berth.cloud.supervised_process:
    name: keystone
    command: [/opt/berth/venv/bin/uwsgi, --ini, /etc/berth/uwsgi/keystone.ini]
    environment: {OS_KEYSTONE_CONFIG_DIR: /etc/berth/keystone}
    user: berth
"""

RETURN = r"""
pid: {description: Pid of the running process group leader (0 when stopped)., type: int, returned: always}
"""

import grp
import hashlib
import json
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule


def read_pid(pid_file: Path) -> int:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return 0


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie or a recycled pid outside its own group is not our service
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] != "Z" and int(fields[2]) == pid


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pid_file: Path, timeout: float) -> bool:
    pid = read_pid(pid_file)
    if pid <= 0 or not group_alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and group_alive(pid):
        time.sleep(0.2)
    if group_alive(pid):
        os.killpg(pid, signal.SIGKILL)
        while group_alive(pid):
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True


def fingerprint(params: dict) -> str:
    identity = [params["command"], params["environment"]]
    if params["user"]:  # the account is part of what runs: moving a service to another one restarts it
        identity += [params["user"], params["group"]]
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    for path in params["watch"]:
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def account(module: AnsibleModule) -> tuple[dict, dict]:
    """Popen arguments and environment for O(user)/O(group); nothing when the service runs as we do."""
    user, group = module.params["user"], module.params["group"]
    if not user:
        return {}, {}
    try:
        entry = pwd.getpwnam(user)
        gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
    except KeyError as missing:
        module.fail_json(msg=f"no such account: {missing}")
    popen = {"user": entry.pw_uid, "group": gid, "extra_groups": []}
    return popen, {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user}


def start(module: AnsibleModule, pid_file: Path, log_file: Path) -> int:
    as_account, account_env = account(module)
    env = dict(os.environ)
    env.update(account_env)
    env.update({k: str(v) for k, v in module.params["environment"].items()})
    with Path(os.devnull).open("rb") as devnull, log_file.open("ab") as log:
        if as_account:  # the log is the service's, like the files it writes itself
            os.chown(log_file, as_account["user"], as_account["group"])
        proc = subprocess.Popen(  # noqa: S603 - the command comes from the role, not from users
            module.params["command"],
            stdin=devnull,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
            cwd="/",
            **as_account,
        )
    pid_file.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + module.params["settle"]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid_file.unlink(missing_ok=True)
            tail = log_file.read_text(errors="replace").splitlines()[-15:]
            module.fail_json(
                msg=f"{module.params['name']} exited with {proc.returncode} right after starting; see {log_file}",
                log_tail=tail,
            )
        time.sleep(0.1)
    return proc.pid


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "command": {"type": "list", "elements": "str"},
            "environment": {"type": "dict", "default": {}},
            "run_dir": {"type": "path", "default": "/opt/berth/run"},
            "log_dir": {"type": "path", "default": "/var/log/berth"},
            "state": {"type": "str", "choices": ["started", "stopped", "restarted"], "default": "started"},
            "watch": {"type": "list", "elements": "path", "default": []},
            "stop_timeout": {"type": "float", "default": 10.0},
            "settle": {"type": "float", "default": 1.5},
            "user": {"type": "str"},
            "group": {"type": "str"},
        },
        required_if=[("state", "started", ["command"]), ("state", "restarted", ["command"])],
        supports_check_mode=True,
    )
    name, state = module.params["name"], module.params["state"]
    run_dir, log_dir = Path(module.params["run_dir"]), Path(module.params["log_dir"])
    pid_file, log_file = run_dir / f"{name}.pid", log_dir / f"{name}.log"
    stamp_file = run_dir / f"{name}.fingerprint"
    running = alive(read_pid(pid_file))
    wanted = fingerprint(module.params) if module.params["command"] else ""
    current = stamp_file.read_text().strip() if stamp_file.exists() else ""
    up_to_date = state == "started" and running and current == wanted

    if state == "stopped":
        if not module.check_mode:
            running = stop(pid_file, module.params["stop_timeout"]) or running
            stamp_file.unlink(missing_ok=True)
        module.exit_json(changed=running, pid=0)
    if up_to_date:
        module.exit_json(changed=False, pid=read_pid(pid_file))
    reason = (
        "restart requested"
        if state == "restarted"
        else ("configuration changed" if running else "not running")
    )
    if module.check_mode:
        module.exit_json(changed=True, pid=0, reason=reason)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    stop(pid_file, module.params["stop_timeout"])
    pid = start(module, pid_file, log_file)
    stamp_file.write_text(wanted + "\n")
    module.exit_json(changed=True, pid=pid, reason=reason)


if __name__ == "__main__":
    main()
