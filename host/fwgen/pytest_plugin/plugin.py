"""The pytest hooks (entry point `fwgen` in the `pytest11` group): the --fwgen-* options, checked
when pytest starts (a bad choice is a usage error, exit 4, before any test runs), and the
session-wide `fwgen_device` fixture. What the fixture opens is closed at the end of the session
and also when pytest stops on a failure (-x), on Ctrl-C or on an internal error
(pytest_unconfigure), so no QEMU outlives the run.
"""
from __future__ import annotations

import logging

import pytest

from fwgen.errors import FwgenError
from fwgen.pytest_plugin.target import OPTIONS, DeviceTarget, open_target, target_from_options

LOG = logging.getLogger(__name__)

TARGET = pytest.StashKey[DeviceTarget | None]()
OPENED = pytest.StashKey[list]()

NO_DEVICE = ("no fwgen device chosen: give --fwgen-board ID with --fwgen-emulate (its QEMU twin) "
             "or --fwgen-serial PORT (a flashed board)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fwgen", "fwgen device under test (the fwgen_device fixture)")
    for option in OPTIONS:
        if option.flag_only:
            group.addoption(option.flag, dest=option.dest, action="store_true",
                            default=option.default, help=option.help)
        else:
            group.addoption(option.flag, dest=option.dest, metavar=option.metavar,
                            type=option.type, default=option.default, help=option.help)


def _xdist(config: pytest.Config) -> tuple[int, int]:
    """(this worker's index, the worker count): (0, 0) without pytest-xdist. In a worker the
    count comes from its workerinput; in the controller from -n."""
    info = getattr(config, "workerinput", None)
    if info is not None:
        return int(str(info.get("workerid", "gw0"))[2:] or 0), int(info.get("workercount", 1))
    value = getattr(config.option, "numprocesses", None)
    return 0, value if isinstance(value, int) else 0


def pytest_configure(config: pytest.Config) -> None:
    values = {option.dest: config.getoption(option.dest) for option in OPTIONS}
    worker, workers = _xdist(config)
    try:
        target = target_from_options(values, worker=worker, workers=workers)
    except FwgenError as exc:
        raise pytest.UsageError(f"fwgen: {exc}") from None
    config.stash[TARGET] = target
    config.stash[OPENED] = []


def pytest_report_header(config: pytest.Config) -> str | None:
    target = config.stash.get(TARGET, None)
    return f"fwgen device: {target.description}" if target is not None else None


def _close_all(config: pytest.Config) -> None:
    opened = config.stash.get(OPENED, [])
    while opened:
        dut = opened.pop()
        try:
            dut.close()
        except Exception as exc:     # closing the others matters more than this one's error
            LOG.warning("fwgen: closing %s failed: %s", dut.description, exc)


def pytest_unconfigure(config: pytest.Config) -> None:
    _close_all(config)


@pytest.fixture(scope="session")
def fwgen_target(pytestconfig: pytest.Config) -> DeviceTarget:
    """The device the --fwgen-* options chose (skips the test when none was chosen)."""
    target = pytestconfig.stash.get(TARGET, None)
    if target is None:
        pytest.skip(NO_DEVICE)
    return target


@pytest.fixture(scope="session")
def fwgen_device(fwgen_target: DeviceTarget, pytestconfig: pytest.Config):
    """The device under test (fwgen.pytest_plugin.DeviceUnderTest), open for the whole session:
    a twin's firmware is built (or reused) and QEMU started once."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")

    def progress(text: str) -> None:
        LOG.info("%s", text)
        if reporter is not None:
            reporter.write_line(f"fwgen: {text}")

    problem = None
    try:
        dut = open_target(fwgen_target, progress=progress)
    except FwgenError as exc:
        problem = f"fwgen_device: {exc}"
    if problem is not None:     # outside the except: the report shows the error, no chain
        pytest.fail(problem, pytrace=False)
    opened = pytestconfig.stash[OPENED]
    opened.append(dut)
    try:
        yield dut
    finally:
        if dut in opened:
            opened.remove(dut)
        dut.close()
