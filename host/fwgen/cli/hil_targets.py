"""`fwgen test` beyond one device on this machine: a labgrid place (--labgrid PLACE), the
connected boards of a twister-style hardware map (--hardware-map FILE), and a share of the
dataset for one of N CI jobs (--shard I/N). test_cmd.py calls these; nothing here prints
scores.

Both farm targets flash unless --no-flash: a place that has a (Network)USBDebugger through
labgrid's OpenOCDDriver, every board of a hardware map with its entry's runner (else the board
file's default) and probe (fwgen flash's runners; twins in a map already run); the image is
--image, else the newest `fwgen build` of the board. The firmware is checked before any clip
is scored either way (HELLO's model hash).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from fwgen.errors import FwgenError


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("board farms and CI shards")
    group.add_argument("--labgrid", metavar="PLACE",
                       help="acquire this labgrid place, flash it, score on its serial port, "
                            "release it")
    group.add_argument("--labgrid-coordinator", metavar="HOST:PORT",
                       help="labgrid coordinator (default: $LG_COORDINATOR, else 127.0.0.1:20408)")
    group.add_argument("--hardware-map", type=Path, metavar="FILE",
                       help="twister-style hardware map: the connected boards of --board score "
                            "the dataset together (clips split across them)")
    group.add_argument("--image", type=Path, metavar="PROJECT_OR_IMAGE",
                       help="firmware to flash with --labgrid / --hardware-map (default: the "
                            "newest fwgen build for the board)")
    group.add_argument("--no-flash", action="store_true",
                       help="do not flash: the boards already run the firmware of --model")
    group.add_argument("--shard", metavar="I/N",
                       help="score only share I of N of the dataset (N CI jobs; fwgen report "
                            "merges their --report files)")


def targets_given(args: argparse.Namespace) -> list[str]:
    """The device options given: exactly one of them must be."""
    given = []
    if args.emulate:
        given.append("--emulate")
    if args.serial or args.serial_number:
        given.append("--serial")
    if args.labgrid:
        given.append("--labgrid")
    if args.hardware_map:
        given.append("--hardware-map")
    return given


def check_target_arguments(args: argparse.Namespace):
    """Refuse impossible combinations before any work; the parsed --shard (or None)."""
    from fwgen.hil.shard import parse_shard

    given = targets_given(args)
    if len(given) != 1:
        raise FwgenError("give one device: --emulate (the twin), --serial PORT (a board), "
                         "--labgrid PLACE (a farm's place) or --hardware-map FILE (boards here)"
                         + (f"; got {' and '.join(given)}" if given else ""),
                         where=given[1] if len(given) > 1 else "--emulate")
    if args.labgrid_coordinator and not args.labgrid:
        raise FwgenError("only means something with --labgrid PLACE", where="--labgrid-coordinator")
    if (args.image or args.no_flash) and not (args.labgrid or args.hardware_map):
        raise FwgenError("only with --labgrid or --hardware-map (fwgen flash flashes a board "
                         "for --serial)", where="--image" if args.image else "--no-flash")
    if args.image and args.no_flash:
        raise FwgenError("--image is the firmware to flash: leave out --no-flash", where="--image")
    if args.image is not None and not args.image.exists():
        raise FwgenError("firmware image or project not found", where=str(args.image))
    if args.hardware_map is not None:
        from fwgen.device.hardware_map import load_hardware_map

        args.hardware_map_loaded = load_hardware_map(args.hardware_map)
    return parse_shard(args.shard) if args.shard is not None else None


def shard_dataset(dataset, shard, floors) -> dict:
    """Keep this shard's clips in `dataset`; the report fields that let fwgen report merge it."""
    from fwgen.hil.shard import dataset_id, shard_clips

    meta = {"dataset_id": dataset_id(dataset), "shard": shard.as_dict() if shard else None}
    if shard is None:
        return meta
    total, negatives = len(dataset.clips), sum(c.negative for c in dataset.clips)
    dataset.clips = shard_clips(dataset.clips, shard)
    if not dataset.clips:
        raise FwgenError(f"shard {shard} holds no clips: the dataset has {total} clips "
                         f"for {shard.count} shards", where="--shard",
                         hint="use fewer shards")
    if floors.max_false_accepts_per_hour is not None and not any(c.negative for c in dataset.clips):
        raise FwgenError(f"shard {shard} holds no negative streams to count false accepts on "
                         f"(the dataset has {negatives} for {shard.count} shards)",
                         where="--max-false-accepts-per-hour",
                         hint="use at most as many shards as negative streams, or leave the floor "
                              "out of the shards' runs")
    return meta


def _progress(text: str) -> None:
    print(f"fwgen test: {text}", file=sys.stderr)


def _image(args: argparse.Namespace, board):
    """The FirmwareImage to flash: --image, else the newest fwgen build of the board."""
    from fwgen.flash import find_image

    try:
        return find_image(board, args.image)
    except FwgenError as exc:
        raise FwgenError(exc.message, where=exc.where or "--image",
                         hint=(exc.hint + "; " if exc.hint else "") + "or give --image, or "
                              "--no-flash") from None


def open_labgrid(args: argparse.Namespace, board) -> Any:
    """The place's board, flashed unless --no-flash; its close() releases the place."""
    from fwgen.device.labgrid_place import LabgridPlace

    place = LabgridPlace(args.labgrid, coordinator=args.labgrid_coordinator).acquire()
    try:
        _progress(f"acquired labgrid place {place.name} at {place.address} "
                  f"({', '.join(place.resource_classes()) or 'no resources'})")
        if not args.no_flash and place.has_debugger():
            image = _image(args, board)
            place.flash(board, image.path)
            _progress(f"flashed {image.path} ({image.found}) through place {place.name}")
        device = place.open_device(board, baudrate=args.baud)
        device.owns_place = True
        return device
    except BaseException:
        place.release()
        raise


def _flash_entry(args: argparse.Namespace, board, entry) -> None:
    from fwgen.flash import flash_board, make_runner

    options = argparse.Namespace(probe=entry.probe, pack=None, dry_run=False, timeout=None)
    runner = make_runner(board, entry.runner, options)     # None: the board's default
    image = _image(args, board)
    flash_board(runner, image)
    _progress(f"flashed {image.path} onto {entry.describe()} with {runner.name}")


def open_hardware_map(args: argparse.Namespace, board) -> Any:
    """The connected boards of --board in the map (flashed when an entry names a runner, unless
    --no-flash): one SerialDevice, or a DeviceGroup that splits the clips across them."""
    from fwgen.device import SerialDevice
    from fwgen.hil.parallel import DeviceGroup

    entries = args.hardware_map_loaded.require(board)
    _progress(f"{len(entries)} connected {board.id} in {args.hardware_map}: "
              + ", ".join(e.describe() for e in entries))
    if not args.no_flash and not board.is_emulator:     # a twin in a map runs already
        for entry in entries:
            _flash_entry(args, board, entry)
    devices: list = []
    try:
        for entry in entries:
            devices.append(SerialDevice(board, entry.serial, baudrate=args.baud or entry.baud))
    except BaseException:
        for device in devices:
            with contextlib.suppress(Exception):
                device.close()
        raise
    return devices[0] if len(devices) == 1 else DeviceGroup(devices)
