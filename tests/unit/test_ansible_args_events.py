"""Event accounting of the ansible-runner wrapper, from events shaped like ansible-runner's."""

from __future__ import annotations

from berth_cli.ansible.events import RunTally, failure_message


def ev(kind: str, **data: object) -> dict[str, object]:
    return {"event": kind, "event_data": data}


def test_tally_counts_results_per_host_and_remembers_play_and_task() -> None:
    tally = RunTally()
    tally.apply(ev("playbook_on_play_start", play="Controller services"))
    tally.apply(ev("playbook_on_task_start", task="Configure keystone"))
    assert (
        tally.apply(ev("runner_on_ok", host="aio", task="Configure keystone", res={"changed": True}))
        == "changed"
    )
    assert tally.apply(ev("runner_on_ok", host="aio", task="Run keystone", res={"changed": False})) == "ok"
    assert tally.apply(ev("runner_on_skipped", host="c1", task="x")) == "skipped"
    assert tally.play == "Controller services"
    assert tally.task == "Configure keystone"
    assert tally.hosts["aio"].ok == 2
    assert tally.hosts["aio"].changed == 1
    assert tally.hosts["c1"].skipped == 1
    assert tally.changed == 1
    assert tally.changed_tasks == [("aio", "Configure keystone")]


def test_failures_name_host_task_and_message() -> None:
    tally = RunTally()
    outcome = tally.apply(
        ev(
            "runner_on_failed",
            host="hp-ctl01",
            task="Run keystone",
            res={"msg": "keystone exited with 1", "log_tail": ["ImportError: no module x"]},
        )
    )
    assert outcome == "failed"
    assert tally.failed == 1
    failure = tally.failures[0]
    assert (failure.host, failure.task) == ("hp-ctl01", "Run keystone")
    assert "keystone exited with 1" in failure.message
    assert "ImportError" in failure.message


def test_ignored_failures_and_unreachable_hosts() -> None:
    tally = RunTally()
    assert tally.apply(ev("runner_on_failed", host="a", task="t", ignore_errors=True, res={})) == "ignored"
    assert (
        tally.apply(
            ev(
                "runner_on_unreachable",
                host="b",
                task="Gathering Facts",
                res={"msg": "ssh: connect to host b port 22: No route to host"},
            )
        )
        == "unreachable"
    )
    assert tally.hosts["a"].ignored == 1
    assert tally.failed == 1
    assert tally.failures[0].host == "b"


def test_stats_event_is_authoritative() -> None:
    tally = RunTally()
    tally.apply(ev("runner_on_ok", host="aio", task="t", res={"changed": True}))
    tally.apply(
        ev(
            "playbook_on_stats",
            ok={"aio": 40, "n1": 3},
            changed={"aio": 0},
            failures={},
            dark={"n2": 1},
            skipped={"aio": 5},
            ignored={},
        )
    )
    assert tally.hosts["aio"].ok == 40
    assert tally.hosts["aio"].changed == 0
    assert tally.hosts["aio"].skipped == 5
    assert tally.hosts["n2"].unreachable == 1
    assert tally.changed == 0


def test_failure_message_prefers_msg_then_stderr_and_item_failures() -> None:
    assert failure_message({}) == "failed (no message)"
    assert failure_message({"msg": "non-zero return code", "stderr": "a\nERROR 1045 access denied"}) == (
        "non-zero return code | ERROR 1045 access denied"
    )
    looped = {
        "msg": "One or more items failed",
        "results": [{"failed": False}, {"failed": True, "msg": "boom"}],
    }
    assert failure_message(looped) == "One or more items failed | boom"
    assert len(failure_message({"msg": "x" * 5000})) == 600
