"""``keep_versions = "0"`` (or a bare number) is a bad profile at the command line: exit 2, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import CLI, write_profile


@pytest.mark.parametrize("value", ['"0"', '"0d"', '"30"', "30"])
def test_check_and_run_refuse_keep_versions_without_a_unit_or_under_a_day(
    cli: CLI, home: Path, tmp_path: Path, value: str
) -> None:
    (tmp_path / "src").mkdir()
    text = f'kind = "mirror"\n[mirror]\nsource = "{tmp_path / "src"}"\nreplica = "{tmp_path / "dst"}"\n'
    write_profile(home, "usb", text + f"keep_versions = {value}\n")
    for args in (("check", "usb"), ("run", "usb")):
        result = cli(*args)
        assert result.code == 2, (args, result.err)
        assert "[mirror].keep_versions" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "dst").exists()
