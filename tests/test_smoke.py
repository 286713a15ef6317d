from click.testing import CliRunner

from sxtriage import __version__
from sxtriage.cli import main


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for cmd in ("demo", "relay", "sim", "login", "doctor", "config", "handoff"):
        assert cmd in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
