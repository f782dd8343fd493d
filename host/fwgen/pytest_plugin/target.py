"""Which device a test session runs on: the --fwgen-* options, declared once as data, checked
at start-up (before any test runs) into a `DeviceTarget`, and opened as a `DeviceUnderTest`.

Three ways to name the firmware on a twin (--fwgen-emulate, or a twin's own board id): an ELF
(--fwgen-elf), a project folder `fwgen build` wrote (--fwgen-project: its twin ELF and the model
it records), or a model (--fwgen-model: built like `fwgen run`, in fwgen's cache). A board is
reached on --fwgen-serial PORT or found by its USB VID:PID, flashed already (`fwgen flash`);
--fwgen-model (or --fwgen-project) tells the plugin which model it runs, so clips can be
compared with the host pipeline.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    """One command-line option: its flag, where pytest keeps it, and how it is read."""
    flag: str
    dest: str
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] | None = None
    default: Any = None
    flag_only: bool = False      # a switch (store_true)


OPTIONS: tuple[Option, ...] = (
    Option("--fwgen-board", "fwgen_board", "board id or alias (fwgen boards); a twin's id "
           "(mps2_an505) runs that twin", metavar="ID"),
    Option("--fwgen-emulate", "fwgen_emulate", "run the board's QEMU twin instead of the board",
           flag_only=True, default=False),
    Option("--fwgen-serial", "fwgen_serial", "the board's serial device or pyserial URL "
           "(default: the one port with the board's USB VID:PID)", metavar="PORT"),
    Option("--fwgen-serial-number", "fwgen_serial_number", "pick the board with this USB serial "
           "number when several are attached", metavar="SN"),
    Option("--fwgen-baud", "fwgen_baud", "UART bit rate (default: the board file's uart.baud)",
           metavar="RATE", type=int),
    Option("--fwgen-hardware-map", "fwgen_hardware_map", "twister-style map of the boards "
           "attached here (fwgen.device.hardware_map): the --fwgen-board entry's port and baud; "
           "with pytest-xdist, worker N takes the board's N-th entry", metavar="FILE", type=Path),
    Option("--fwgen-elf", "fwgen_elf", "firmware ELF for the twin (no build)", metavar="FILE",
           type=Path),
    Option("--fwgen-project", "fwgen_project", "a project folder fwgen build wrote: its board, "
           "model and twin ELF", metavar="DIR", type=Path),
    Option("--fwgen-model", "fwgen_model", "the model the device runs (zoo name or .tflite): the "
           "twin firmware is built from it (as fwgen run) and clips are compared with the host",
           metavar="NAME_OR_TFLITE"),
    Option("--fwgen-settings", "fwgen_settings", "deployment settings for a .tflite without "
           "metadata (a zoo model.yaml works too)", metavar="FILE", type=Path),
    Option("--fwgen-timeout", "fwgen_timeout", "seconds to wait for the device per clip "
           "(default 60)", metavar="S", type=float, default=60.0),
)
# Options that choose a device; the others only refine one.
CHOOSING = ("fwgen_board", "fwgen_emulate", "fwgen_serial", "fwgen_serial_number",
            "fwgen_hardware_map", "fwgen_elf", "fwgen_project")


@dataclass(frozen=True)
class DeviceTarget:
    """A checked choice of device. `twin` is set when the firmware runs under QEMU."""
    board: Any                          # fwgen.boards.Board chosen (a board or a twin)
    twin: Any = None                    # the twin that runs, when emulating
    elf: Path | None = None             # twin firmware to run as is
    port: str | None = None
    serial_number: str | None = None
    hardware: Any = None                # the fwgen.device.hardware_map.HardwareEntry used
    baud: int | None = None
    model: str | None = None            # zoo name or .tflite path
    settings: Path | None = None
    stride: int | None = None
    smoothing: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 60.0

    @property
    def description(self) -> str:
        if self.twin is not None:
            via = f"{self.elf}" if self.elf else f"{self.model}, built like fwgen run"
            return f"{self.twin.id} twin (QEMU {self.twin.qemu_machine}) running {via}"
        where = self.hardware.describe() if self.hardware is not None else self.port
        return f"{self.board.id} on {where or 'its USB serial port'}"


def _board(name: str, option: str):
    from fwgen.boards import get_board

    try:
        return get_board(name)
    except FwgenError as exc:
        raise FwgenError(exc.message, where=option, hint=exc.hint) from None


def _project_record(project: Path):
    from fwgen.project.settings import BuildSettings

    if not project.is_dir():
        raise FwgenError("project folder not found", where=f"--fwgen-project {project}",
                         hint="give the folder fwgen build --out wrote")
    return BuildSettings.load(project)


def _from_map(path: Path, board, worker: int, workers: int):
    """The hardware map's entry for `board` that pytest-xdist worker `worker` (0 without
    xdist) uses: one board per worker."""
    from fwgen.device.hardware_map import load_hardware_map

    entries = load_hardware_map(Path(path)).require(board)
    if max(workers, 1) > len(entries):
        raise FwgenError(f"{workers} pytest-xdist workers but {len(entries)} connected "
                         f"{board.id} in the map", where=f"--fwgen-hardware-map {path}",
                         hint=f"run with -n {len(entries)} or fewer (one board per worker)")
    return entries[worker]


def target_from_options(values: Mapping[str, Any], *, worker: int = 0,
                        workers: int = 0) -> DeviceTarget | None:
    """The device the options choose, checked; None when no option chooses one. Raises
    FwgenError naming the option for a contradiction, an unknown board or a missing file.
    `worker`/`workers`: this pytest-xdist worker's index and the worker count (0: no xdist);
    one board serves one worker."""
    if not any(values.get(name) for name in CHOOSING):
        if values.get("fwgen_model") or values.get("fwgen_settings"):
            raise FwgenError("a model needs a device to run on", where="--fwgen-model",
                             hint="add --fwgen-board ID with --fwgen-emulate or --fwgen-serial PORT")
        return None
    timeout = values.get("fwgen_timeout", 60.0)
    if not timeout > 0:
        raise FwgenError(f"must be more than 0 seconds, got {timeout:g}", where="--fwgen-timeout")
    project = values.get("fwgen_project")
    record = _project_record(project) if project is not None else None
    name = values.get("fwgen_board") or (record.board if record else None)
    if not name:
        raise FwgenError("which board? no --fwgen-board given", where="--fwgen-board",
                         hint="e.g. --fwgen-board mps2_an505 (a twin) or --fwgen-board stm32u5 "
                              "--fwgen-serial /dev/ttyACM0 (fwgen boards lists them)")
    board = _board(name, "--fwgen-board")
    serial, serial_number = values.get("fwgen_serial"), values.get("fwgen_serial_number")
    hardware_map = values.get("fwgen_hardware_map")
    emulate = bool(values.get("fwgen_emulate")) or board.is_emulator
    if hardware_map is not None and (serial or serial_number):
        raise FwgenError("the hardware map names the port already",
                         where="--fwgen-serial" if serial else "--fwgen-serial-number",
                         hint="give either --fwgen-hardware-map FILE or --fwgen-serial PORT")
    if emulate and (serial or serial_number or hardware_map is not None):
        raise FwgenError("a twin is reached through QEMU, not a serial port",
                         where="--fwgen-serial" if serial else
                         ("--fwgen-serial-number" if serial_number else "--fwgen-hardware-map"),
                         hint="give either --fwgen-emulate (the twin) or --fwgen-serial PORT "
                              "(a board flashed with fwgen flash)")
    elf, model = values.get("fwgen_elf"), values.get("fwgen_model")
    settings = values.get("fwgen_settings")
    if record is not None:
        model = model or record.model
        settings = settings or record.settings
    if settings is not None and not Path(settings).is_file():
        raise FwgenError("settings file not found", where=f"--fwgen-settings {settings}")
    common = dict(model=model, settings=settings, timeout=float(timeout),
                  stride=record.stride if record else None,
                  smoothing=dict(record.smoothing) if record else {})
    if not emulate:
        if elf is not None:
            raise FwgenError("--fwgen-elf runs on a twin; a board runs what was flashed",
                             where="--fwgen-elf", hint=f"add --fwgen-emulate, or flash it: "
                                                       f"fwgen flash --board {board.id} {elf}")
        baud, entry = values.get("fwgen_baud"), None
        if hardware_map is not None:
            entry = _from_map(hardware_map, board, worker, workers)
            serial, baud = entry.serial, baud or entry.baud
        elif workers > 1:
            raise FwgenError(f"one board ({board.id}) cannot serve {workers} pytest-xdist "
                             f"workers", where="-n",
                             hint="run with -n 0, give --fwgen-hardware-map FILE listing one "
                                  "board per worker, or use twins (--fwgen-emulate)")
        return DeviceTarget(board=board, port=serial, serial_number=serial_number,
                            baud=baud, hardware=entry, **common)
    from fwgen.boards import twin_of
    from fwgen.run.elf import check_twin_elf

    twin = twin_of(board)
    if elf is None and project is not None:
        elf = Path(project) / ".pio" / "build" / twin.id / "firmware.elf"
        if not elf.is_file():
            raise FwgenError(f"the project has no firmware built for the {twin.id} twin",
                             where=f"--fwgen-project {project}",
                             hint=f"build it: fwgen build --out {project} (the twin is built "
                                  f"beside the board unless --no-twin), or give --fwgen-elf")
    if elf is None and model is None:
        raise FwgenError("the twin needs firmware to run", where="--fwgen-emulate",
                         hint="give --fwgen-model NAME (built like fwgen run), --fwgen-elf FILE "
                              "or --fwgen-project DIR")
    if elf is not None:
        check_twin_elf(Path(elf), twin)
    return DeviceTarget(board=board, twin=twin, elf=Path(elf) if elf else None, **common)


def open_target(target: DeviceTarget, *, progress: Callable[[str], None] | None = None):
    """Prepare the model (when known), build the twin firmware when no ELF is given, open the
    device and say hello to it -> DeviceUnderTest. Nothing stays open when this raises."""
    from fwgen.device import open_device
    from fwgen.pytest_plugin.dut import DeviceUnderTest

    deployment = _deployment(target) if target.model else None
    elf = target.elf
    if target.twin is not None and elf is None:
        from fwgen.run import twin_firmware

        elf = twin_firmware(deployment, target.twin, progress=progress, model=target.model,
                            settings=target.settings)
    device = open_device(target.twin or target.board, elf=elf, port=target.port,
                         serial_number=target.serial_number, baudrate=target.baud)
    try:
        return DeviceUnderTest(device, deployment=deployment, timeout=target.timeout,
                               where=str(elf) if elf else device.description)
    except BaseException:
        device.close()
        raise


def _deployment(target: DeviceTarget):
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.zoo import resolve_model

    try:
        source = resolve_model(target.model, target.settings)
    except FwgenError as exc:
        raise FwgenError(exc.message, where=exc.where or "--fwgen-model", hint=exc.hint) from None
    return prepare(source, DeployOptions(stride=target.stride, smoothing=dict(target.smoothing)))
