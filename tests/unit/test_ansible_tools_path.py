"""Where berth finds ansible-playbook (issue 15, item 10): beside its own interpreter, first on the PATH the
run gets, whatever PATH berth itself was started with."""

from __future__ import annotations

import sys
from pathlib import Path

from berth_cli.ansible.args import PlaybookRun, runner_kwargs, search_path
from berth_cli.ansible.runner import ansible_tools_dir


def test_the_tools_dir_comes_first_and_only_once() -> None:
    assert search_path(Path("/v/bin"), "/usr/bin:/bin") == "/v/bin:/usr/bin:/bin"
    assert search_path(Path("/v/bin"), "/usr/bin:/v/bin::/bin") == "/v/bin:/usr/bin:/bin"
    assert search_path(None, "/usr/bin:/bin") == "/usr/bin:/bin"
    assert search_path(Path("/v/bin"), "") == "/v/bin"


def test_the_run_gets_that_path() -> None:
    run = PlaybookRun(playbooks_dir=Path("/repo/playbooks"), playbook="site.yml", inventory=Path("/i.yml"))
    kwargs = runner_kwargs(run, Path("/p"), Path("/a"), "x", path="/v/bin:/usr/bin")
    assert kwargs["envvars"]["PATH"] == "/v/bin:/usr/bin"
    assert "PATH" not in runner_kwargs(run, Path("/p"), Path("/a"), "x")["envvars"]


def test_the_tools_dir_is_beside_this_interpreter() -> None:
    found = ansible_tools_dir()
    assert found is not None and (found / "ansible-playbook").is_file()
    assert found == Path(sys.executable).parent or str(found) in sys.prefix + "/bin"
