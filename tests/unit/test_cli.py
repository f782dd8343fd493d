import subprocess
import sys

from fwgen import __version__
from fwgen.cli import build_parser, main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"fwgen {__version__}"


def test_help_lists_setup_verb():
    parser, commands = build_parser()
    assert "setup" in commands
    assert "setup" in parser.format_help()


def test_console_entry_point_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "fwgen", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: fwgen" in proc.stdout


def test_no_verb_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: fwgen" in capsys.readouterr().out
