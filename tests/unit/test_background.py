"""berth_cli.state.background: the demo's exporter is stopped by its recorded PID, and only while that PID is
still berth's exporter for the site (real processes: a stand-in whose command line reads like the exporter's)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from berth_cli.state.background import EXPORTER_PID, running_exporter, stop_exporter

SLEEP = (
    "import signal, sys, time\n"
    "if 'stubborn' in sys.argv: signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)"
)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:  # whatever a failing test left: ours, by PID
        if p.poll() is None:
            p.kill()
            p.wait()


def spawn(processes: list[subprocess.Popen[bytes]], *words: str) -> subprocess.Popen[bytes]:
    p = subprocess.Popen([sys.executable, "-c", SLEEP, *words], stdout=subprocess.PIPE)
    processes.append(p)
    assert p.stdout is not None and p.stdout.readline() == b"ready\n"  # its signal handling is in place
    return p


def record(state: Path, pid: int) -> None:
    (state / EXPORTER_PID).write_text(f"{pid}\n")


def test_the_recorded_exporter_is_stopped_and_forgotten(tmp_path: Path, processes) -> None:
    exporter = spawn(processes, "--site", "aio", "exporter", "serve")
    record(tmp_path, exporter.pid)
    assert running_exporter(tmp_path, "aio") == exporter.pid
    assert stop_exporter(tmp_path, "aio") == exporter.pid
    assert exporter.wait(timeout=5) == -15  # SIGTERM was enough
    assert not (tmp_path / EXPORTER_PID).exists()
    assert stop_exporter(tmp_path, "aio") is None, "a second stop finds nothing to do"


def test_an_exporter_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path, processes) -> None:
    exporter = spawn(processes, "--site", "aio", "exporter", "serve", "stubborn")
    record(tmp_path, exporter.pid)
    assert stop_exporter(tmp_path, "aio", grace=0.5) == exporter.pid
    assert exporter.wait(timeout=5) == -9


def test_a_reused_pid_is_never_signalled(tmp_path: Path, processes) -> None:
    stranger = spawn(processes, "something", "else")  # the recorded number now belongs to another program
    record(tmp_path, stranger.pid)
    assert running_exporter(tmp_path, "aio") is None
    assert stop_exporter(tmp_path, "aio") is None
    assert stranger.poll() is None, "not ours: left running"
    assert not (tmp_path / EXPORTER_PID).exists(), "the stale record is dropped"


def test_another_sites_exporter_is_not_this_sites(tmp_path: Path, processes) -> None:
    other = spawn(processes, "--site", "haiphong", "exporter", "serve")
    record(tmp_path, other.pid)
    assert stop_exporter(tmp_path, "aio") is None
    assert other.poll() is None


def test_no_or_garbled_record_is_nothing_to_stop(tmp_path: Path) -> None:
    assert stop_exporter(tmp_path, "aio") is None
    (tmp_path / EXPORTER_PID).write_text("not a pid")
    assert stop_exporter(tmp_path, "aio") is None
