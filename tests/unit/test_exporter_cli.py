"""`berth exporter serve` and the `berth-exporter` console script: lazy imports, clear errors, exit codes."""

from __future__ import annotations

from berth_cli.main import main as berth
from berth_exporters.main import main as berth_exporter
from tests.unit.test_cli_imports import HEAVY, _modules_loaded


def test_exporter_help_imports_no_heavy_library():
    code, loaded = _modules_loaded(["exporter", "serve", "--help"])
    assert code == 0
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_missing_clouds_yaml_is_an_openstack_error(tmp_path, capsys):
    code = berth(
        ["exporter", "serve", "--clouds-yaml", str(tmp_path / "none.yaml"), "--cloud", "x", "--once"]
    )
    err = capsys.readouterr().err
    assert code == 5, err
    assert err.startswith("Error: ") and "Traceback" not in err


def test_bad_listen_and_interval_are_usage_errors(capsys):
    assert berth(["exporter", "serve", "--listen", "nowhere"]) == 2
    assert "is not HOST:PORT" in capsys.readouterr().err
    assert berth(["exporter", "serve", "--interval", "0"]) == 2
    assert berth(["exporter", "serve", "--endpoint-override", "blockstorage"]) == 2


def test_console_script_reports_errors_without_typer(tmp_path, capsys):
    code = berth_exporter(["--clouds-yaml", str(tmp_path / "none.yaml"), "--cloud", "x"])
    assert code == 5
    assert capsys.readouterr().err.startswith("Error: ")
    assert berth_exporter(["--listen", "localhost:9180"]) == 2
    assert "not an IP address" in capsys.readouterr().err
