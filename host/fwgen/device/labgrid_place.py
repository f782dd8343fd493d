"""A board in a labgrid farm: a place acquired through labgrid's coordinator (gRPC, labgrid 24
and later), flashed through the place's debugger, its serial port opened with labgrid's
SerialDriver, released on close. labgrid is imported lazily (pip install fwgen[labgrid]).

    with LabgridPlace("u585-1", coordinator="farm:20408") as place:   # else LG_COORDINATOR,
        if place.has_debugger():                                      # else 127.0.0.1:20408
            place.flash(board, Path("build/.../firmware.elf"))
        with place.open_device(board) as device:                      # a fwgen Device
            device.stream(samples, outputs=Output.DETECTIONS)
    # device.owns_place = True: the device's close() releases the place (fwgen test --labgrid)

The place is the user's as labgrid-client sees it (LG_USERNAME, LG_HOSTNAME), so
``labgrid-client who`` shows who holds it, and a place already held by someone else is an
error naming the holder. Its serial port is a NetworkSerialPort (an exporter's RawSerialPort
or USBSerialPort, served by ser2net; or a TCP port exported as is, like a twin's UART) or,
on the exporter's own machine, a RawSerialPort. Flashing: a (Network)USBDebugger goes to
labgrid's OpenOCDDriver with the board file's OpenOCD scripts (`openocd_load_commands`).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
from pathlib import Path
from typing import Any

from fwgen.device.base import Device
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

DEFAULT_COORDINATOR = "127.0.0.1:20408"       # labgrid-client's default
SERIAL_RESOURCES = ("NetworkSerialPort", "RawSerialPort", "USBSerialPort")
DEBUGGER_RESOURCES = ("NetworkUSBDebugger", "USBDebugger")
INSTALL_HINT = "install it: pip install 'fwgen[labgrid]' (labgrid 26, its gRPC coordinator)"


def coordinator_address(option: str | None) -> str:
    """--labgrid-coordinator, else LG_COORDINATOR (as labgrid-client), else labgrid's default."""
    return option or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR


def _text(exc: Exception) -> str:
    """A labgrid error's message without its class name ("Error: ...")."""
    return " ".join(str(a) for a in exc.args) or type(exc).__name__


def _import_labgrid():
    # gRPC's INFO lines ("skipping fork() handlers" whenever fwgen starts a build while the
    # session is open) would land amid fwgen's output; the user's own settings win.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    try:
        from labgrid.remote import client
    except ImportError as exc:
        raise FwgenError(f"labgrid is not installed ({exc.name or exc})", where="--labgrid",
                         hint=INSTALL_HINT) from None
    return client


def openocd_load_commands(board) -> list[str]:
    """The OpenOCD commands that flash `board` by its board file (``runners.openocd``), as
    labgrid's OpenOCDDriver runs them (scripts by `source [find ...]` from OpenOCD's search path;
    {filename} is the image, put on the exporter by the driver): the same order as
    `fwgen flash --runner openocd`."""
    try:
        args = board.runners.get("openocd")
    except KeyError:
        raise FwgenError(f"the place has a debugger, but {board.id} has no openocd runner to flash "
                         f"it with", where=f"{board.source}: runners",
                         hint="add runners.openocd to the board file, or give --no-flash") from None
    commands = []
    if args.interface:
        commands.append(f"source [find {args.interface}]")
    if args.transport:
        commands.append(f"transport select {args.transport}")
    commands += [f"source [find {script}]" for script in args.config]
    commands += list(args.commands)
    commands.append("program {filename} verify reset exit")
    return commands


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close the session's loop as asyncio.run() does: gRPC's tasks cancelled and awaited
    first, so none complains later about a closed loop."""
    try:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception as exc:
        LOG.debug("closing the labgrid session's loop: %s", exc)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


class LabgridPlace:
    """A labgrid place held by this process between acquire() and release()."""

    def __init__(self, name: str, *, coordinator: str | None = None):
        self.name = name
        self.address = coordinator_address(coordinator)
        self.session: Any = None
        self.target: Any = None
        self.acquired = False

    # -- acquiring and releasing ---------------------------------------------------------------

    @staticmethod
    def _call(session, coroutine) -> str:
        """Run a session coroutine; what labgrid prints goes to the log, not the terminal."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            session.loop.run_until_complete(coroutine)
        for line in out.getvalue().splitlines():
            LOG.info("labgrid: %s", line)
        return out.getvalue()

    def acquire(self) -> "LabgridPlace":
        client = _import_labgrid()
        args = argparse.Namespace(place=self.name, allow_unmatched=False, kick=False)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)       # grpc.aio binds the session's channel to it
        try:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    self.session = client.start_session(self.address, loop=loop,
                                                        extra={"args": args, "prog": "fwgen"})
            except (client.Error, OSError, ConnectionError) as exc:
                raise FwgenError(f"cannot reach the labgrid coordinator at {self.address}: "
                                 f"{_text(exc)}",
                                 where="--labgrid-coordinator",
                                 hint="start labgrid-coordinator there, or give its HOST:PORT "
                                      "(--labgrid-coordinator, LG_COORDINATOR)") from None
            try:
                place = self.session.get_place(self.name)
            except client.Error as exc:
                known = ", ".join(sorted(self.session.places)) or "none"
                raise FwgenError(f"{_text(exc)} at {self.address} (places: {known})",
                                 where="--labgrid",
                                 hint="labgrid-client create / add-match make a place") from None
            self.name = place.name
            try:
                self._call(self.session, self.session.acquire())
            except client.Error as exc:
                raise FwgenError(f"cannot acquire place {self.name}: {_text(exc)}",
                                 where="--labgrid",
                                 hint="wait until it is released (labgrid-client who), or "
                                      "choose another place") from None
            self.acquired = True
            try:
                self.target = self._make_target(place)
            except client.Error as exc:       # e.g. an exporter that went away since
                raise FwgenError(f"place {self.name}: {_text(exc)}", where="--labgrid",
                                 hint="check its exporter (labgrid-client resources)") from None
        except BaseException:
            self.release()
            if not loop.is_closed():
                _close_loop(loop)
            raise
        LOG.info("acquired labgrid place %s at %s", self.name, self.address)
        return self

    def _make_target(self, place):
        """A labgrid Target with the place's resources (RemotePlace fills them in), on this
        session: what labgrid-client does for console and bootstrap."""
        from labgrid import Target
        from labgrid.resource.remote import RemotePlace, RemotePlaceManager

        manager = RemotePlaceManager.get()
        manager.session, manager.loop = self.session, self.session.loop
        target = Target(place.name)
        RemotePlace(target, name=place.name)
        return target

    def release(self) -> None:
        """Release the place (when this process holds it) and close the session; never raises
        for a coordinator that went away (it says so in the log)."""
        session, self.session = self.session, None
        if session is None:
            return
        try:
            if self.target is not None:
                with contextlib.suppress(Exception):
                    self.target.deactivate_all_drivers()
            if self.acquired:
                self.acquired = False
                try:
                    self._call(session, session.release())
                    LOG.info("released labgrid place %s", self.name)
                except Exception as exc:      # the coordinator went away: say how to free it
                    LOG.warning("could not release labgrid place %s (labgrid-client -p %s "
                                "release frees it): %s", self.name, self.name, exc)
            with contextlib.suppress(Exception):
                session.loop.run_until_complete(session.stop())
            with contextlib.suppress(Exception):
                session.loop.run_until_complete(session.close())
        finally:
            from labgrid.resource.remote import RemotePlaceManager

            manager = RemotePlaceManager.get()
            if manager.session is session:
                manager.session = manager.loop = None
            manager.resources.clear()
            manager.unmanaged_resources.clear()
            _close_loop(session.loop)

    def __enter__(self) -> "LabgridPlace":
        return self.acquire() if not self.acquired else self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    # -- what the place holds ------------------------------------------------------------------

    def resource_classes(self) -> list[str]:
        return sorted({type(r).__name__ for r in self.target.resources} - {"RemotePlace"})

    def _resource(self, classes: tuple[str, ...]):
        found = [r for r in self.target.resources if type(r).__name__ in classes]
        return found[0] if found else None

    def has_debugger(self) -> bool:
        """Whether the place can be flashed (a (Network)USBDebugger); without one the firmware
        must be there already (the link's HELLO says which model it runs)."""
        return self._resource(DEBUGGER_RESOURCES) is not None

    def flash(self, board, image: Path) -> None:
        """Flash `image` through the place's debugger (labgrid's OpenOCDDriver)."""
        if not self.has_debugger():
            raise FwgenError(f"place {self.name} has no debugger to flash through (its "
                             f"resources: {', '.join(self.resource_classes()) or 'none'})",
                             where="--labgrid", hint="add-match a USBDebugger, or --no-flash")
        from labgrid.driver import OpenOCDDriver

        driver = OpenOCDDriver(self.target, name=None, load_commands=openocd_load_commands(board))
        try:
            self.target.activate(driver)
            driver.load(str(image))
        except Exception as exc:
            raise FwgenError(f"flashing {image} through place {self.name} failed: {exc}",
                             where="--labgrid",
                             hint="labgrid-client -p PLACE show lists its resources; check the "
                                  "exporter's log") from None
        finally:
            with contextlib.suppress(Exception):
                self.target.deactivate(driver)

    def open_device(self, board, *, baudrate: int | None = None) -> "LabgridSerialDevice":
        port = self._resource(SERIAL_RESOURCES)
        if port is None:
            raise FwgenError(f"place {self.name} has no serial port (its resources: "
                             f"{', '.join(self.resource_classes()) or 'none'})", where="--labgrid",
                             hint="add-match a NetworkSerialPort (an exporter's RawSerialPort or "
                                  "USBSerialPort) to the place")
        return LabgridSerialDevice(self, board, port, baudrate=baudrate)


class LabgridSerialDevice(Device):
    """The board's link on its place's serial port (labgrid's SerialDriver). `owns_place`:
    close() releases the place too."""

    def __init__(self, place: LabgridPlace, board, port, *, baudrate: int | None = None,
                 owns_place: bool = False):
        from labgrid.driver import SerialDriver

        from fwgen.link import Link

        self.board = board
        self.place = place
        self.owns_place = owns_place
        if baudrate or board.uart.baud:
            port.speed = int(baudrate or board.uart.baud)
        self.driver = SerialDriver(place.target, name=None)
        where = f"{getattr(port, 'host', 'local')}:{port.port}"
        try:
            place.target.activate(self.driver)
        except Exception as exc:
            raise FwgenError(f"cannot open place {place.name}'s serial port {where}: {exc}",
                             where="--labgrid") from None
        self.link = Link(self.driver.serial)
        self.link.url = f"labgrid://{place.name} ({where})"
        self._description = f"labgrid place {place.name} ({type(port).__name__} {where})"

    @property
    def description(self) -> str:
        return self._description

    def close(self) -> None:
        try:
            self.link.close()
            with contextlib.suppress(Exception):
                self.place.target.deactivate(self.driver)
        finally:
            if self.owns_place:
                self.place.release()

