"""fwgen's pytest plugin without a device: the entry point, the --fwgen-* option checks (usage
errors, exit 4, no traceback, before any test runs), the skip without options, and a device
that cannot be opened failing its tests cleanly. Each case runs pytest on a tiny user test file
with pytester; the twin itself is exercised in tests/emu/test_pytest_plugin_twin.py."""
from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from fwgen.pytest_plugin.plugin import NO_DEVICE

pytest_plugins = ["pytester"]

USER_TESTS = """
def test_uses_the_device(fwgen_device):
    assert fwgen_device.board is not None

def test_without_the_device():
    pass
"""


def run(pytester, *args):
    """pytest in-process on the user's file; labgrid's plugin starts a process-wide logger once
    per process, so it stays out of the nested runs."""
    return pytester.runpytest("-p", "no:labgrid", *args)


def test_the_entry_point_is_installed():
    found = [e for e in entry_points(group="pytest11") if e.name == "fwgen"]
    assert found, "fwgen's pytest11 entry point is missing: reinstall fwgen (pip install -e .)"
    assert found[0].value == "fwgen.pytest_plugin.plugin"


def test_without_options_the_fixture_skips_with_the_reason(pytester):
    pytester.makepyfile(USER_TESTS)
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"*{NO_DEVICE[:60]}*"])


def test_a_chosen_board_is_named_in_the_header_and_opened_only_when_asked(pytester):
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = run(pytester, "--fwgen-board", "stm32u5", "--fwgen-serial", "loop://")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["fwgen device: b_u585i_iot02a on loop://"])


def test_a_board_that_cannot_be_opened_fails_its_tests_without_a_traceback(pytester, tmp_path):
    pytester.makepyfile(USER_TESTS)
    missing = tmp_path / "no-such-port"
    result = run(pytester, "--fwgen-board", "stm32u5", "--fwgen-serial", str(missing))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"fwgen_device: cannot open serial port {missing}*"])
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def _not_an_elf(path):
    path.write_text("not firmware\n")
    return path


def _project_without_manifest(path):
    path.mkdir()
    return path


MAP = """\
- id: 004C00283433510F37363934
  platform: stm32u5
  product: STLINK-V3
  runner: openocd
  serial: /dev/ttyACM7
  baud: 921600
  connected: true
- id: 0672FF485550755187121022
  platform: b_u585i_iot02a
  product: STLINK-V3
  serial: /dev/ttyACM8
  connected: true
- id: 'E0001'
  platform: stm32l4
  serial: /dev/ttyACM9
  connected: false
"""


def _hardware_map(path):
    path.write_text(MAP)
    return path


def test_the_hardware_map_gives_each_xdist_worker_its_own_board(tmp_path):
    from fwgen.pytest_plugin import target_from_options

    values = {"fwgen_board": "stm32u5", "fwgen_hardware_map": _hardware_map(tmp_path / "map.yaml")}
    alone = target_from_options(values)
    first, second = (target_from_options(values, worker=w, workers=2) for w in (0, 1))
    assert (alone.port, alone.baud, alone.hardware.id) == ("/dev/ttyACM7", 921600,
                                                           "004C00283433510F37363934")
    assert first == alone
    assert (second.port, second.baud) == ("/dev/ttyACM8", None)


def test_a_hardware_map_board_is_named_in_the_header(pytester, tmp_path):
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = run(pytester, "--fwgen-board", "stm32u5", "--fwgen-hardware-map",
                 str(_hardware_map(tmp_path / "map.yaml")))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["fwgen device: b_u585i_iot02a on /dev/ttyACM7 (STLINK-V3 "
                                 "004C00283433510F37363934)"])


# (options, what the error must say); {tmp} is a temporary folder.
CASES = [
    (["--fwgen-board", "nosuch"], "--fwgen-board: unknown board 'nosuch'"),
    (["--fwgen-emulate"], "--fwgen-board: which board? no --fwgen-board given"),
    (["--fwgen-model", "micro_speech"], "--fwgen-model: a model needs a device to run on"),
    (["--fwgen-board", "mps2_an505", "--fwgen-serial", "/dev/ttyACM0"],
     "--fwgen-serial: a twin is reached through QEMU, not a serial port"),
    (["--fwgen-board", "stm32u5", "--fwgen-emulate", "--fwgen-serial-number", "0672FF"],
     "--fwgen-serial-number: a twin is reached through QEMU, not a serial port"),
    (["--fwgen-board", "stm32u5", "--fwgen-emulate"],
     "--fwgen-emulate: the twin needs firmware to run"),
    (["--fwgen-board", "stm32u5", "--fwgen-elf", "{tmp}/fw.elf"],
     "--fwgen-elf: --fwgen-elf runs on a twin; a board runs what was flashed"),
    (["--fwgen-board", "mps2_an505", "--fwgen-elf", "{tmp}/missing.elf"],
     "{tmp}/missing.elf: ELF file not found"),
    (["--fwgen-board", "mps2_an505", "--fwgen-elf", "{tmp}/notes.txt"],
     "{tmp}/notes.txt: not an ELF file"),
    (["--fwgen-project", "{tmp}/nothing"], "--fwgen-project {tmp}/nothing: project folder not found"),
    (["--fwgen-project", "{tmp}/empty"],
     "{tmp}/empty: no fwgen project here to rebuild (no fwgen-project.json)"),
    (["--fwgen-board", "mps2_an505", "--fwgen-model", "micro_speech", "--fwgen-timeout", "0"],
     "--fwgen-timeout: must be more than 0 seconds, got 0"),
    (["--fwgen-board", "mps2_an505", "--fwgen-model", "x.tflite", "--fwgen-settings",
      "{tmp}/none.yaml"], "--fwgen-settings {tmp}/none.yaml: settings file not found"),
    (["--fwgen-board", "stm32u5", "--fwgen-hardware-map", "{tmp}/map.yaml", "-n", "3"],
     "--fwgen-hardware-map {tmp}/map.yaml: 3 pytest-xdist workers but 2 connected b_u585i_iot02a"),
    (["--fwgen-board", "stm32l4", "--fwgen-hardware-map", "{tmp}/map.yaml"],
     "{tmp}/map.yaml: no connected b_l475e_iot01a in the hardware map (1 entry of it is "
     "connected: false)"),
    (["--fwgen-board", "stm32u5", "--fwgen-hardware-map", "{tmp}/map.yaml", "--fwgen-serial",
      "/dev/ttyACM0"], "--fwgen-serial: the hardware map names the port already"),
    (["--fwgen-board", "stm32u5", "--fwgen-emulate", "--fwgen-hardware-map", "{tmp}/map.yaml"],
     "--fwgen-hardware-map: a twin is reached through QEMU, not a serial port"),
    (["--fwgen-board", "stm32u5", "--fwgen-serial", "loop://", "-n", "2"],
     "-n: one board (b_u585i_iot02a) cannot serve 2 pytest-xdist workers"),
]


@pytest.mark.parametrize("options, message", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_option_errors_are_usage_errors_before_any_test(pytester, tmp_path, options, message):
    _not_an_elf(tmp_path / "notes.txt")
    _project_without_manifest(tmp_path / "empty")
    _hardware_map(tmp_path / "map.yaml")
    pytester.makepyfile(USER_TESTS)
    result = run(pytester, *[o.format(tmp=tmp_path) for o in options])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: fwgen: {message.format(tmp=tmp_path)}*"])
    assert "Traceback" not in result.stderr.str()
    assert "test_uses_the_device" not in result.stdout.str()     # nothing ran


def test_the_readme_names_only_options_the_plugin_has(repo_root):
    import re

    from fwgen.pytest_plugin.target import OPTIONS

    text = (repo_root / "README.md").read_text()
    section = text.split("### Your own device tests (pytest)", 1)[1].split("\n### ", 1)[0]
    named = set(re.findall(r"--fwgen-[a-z-]+", section))
    assert {"--fwgen-board", "--fwgen-emulate", "--fwgen-hardware-map"} <= named
    assert named <= {option.flag for option in OPTIONS}
