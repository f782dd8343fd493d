"""QEMU runner: run twin firmware in `qemu-system-arm` with its UART on a local TCP socket.

The command line is the one measured in DESIGN.md::

    qemu-system-arm -M mps2-an505 -display none -monitor none -no-reboot
        -semihosting-config enable=on,target=native -icount shift=0 -kernel fw.elf
        -serial tcp:127.0.0.1:PORT,server=on,wait=on,nodelay=on

``wait=on`` holds the guest until fwgen connects (no boot output is lost), ``nodelay=on`` removes
a 40 ms delay per reply, ``-icount shift=0`` makes SysTick count instructions deterministically,
and semihosting lets the firmware end QEMU with an exit status. QEMU runs in its own process
group; `QemuSession.close()` (always called, also on Ctrl-C, SIGTERM, SIGHUP or errors) ends the
group, and fwgen.process ends it when fwgen dies any other way (SIGKILL), so no emulator
outlives fwgen. QEMU's output goes to an unnamed temporary file (`tempfile.TemporaryFile`:
O_TMPFILE, or removed as soon as it is made), so nothing is left in the temporary folder
whatever ends fwgen. (The twin `fwgen flash` starts is detached on purpose: fwgen.flash.twin.)

Every twin runs `qemu_program()`: the qemu-system-arm on PATH, or the one $FWGEN_QEMU_SYSTEM_ARM
names (another QEMU release, e.g. one unpacked beside the system's); `qemu_version()` is what
its ``--version`` says.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import serial

from fwgen import process
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.runners.core import Runner, RunnerCaps, program_path

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
PROGRAM = "qemu-system-arm"
PROGRAM_ENV = "FWGEN_QEMU_SYSTEM_ARM"      # a path, or a name on PATH
INSTALL_HINT = "install Debian's qemu-system-arm (tools/bootstrap.sh does)"
_VERSION = re.compile(r"QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?")


def qemu_program() -> str:
    """The qemu-system-arm every twin runs: $FWGEN_QEMU_SYSTEM_ARM when set, else PATH's."""
    return os.environ.get(PROGRAM_ENV) or PROGRAM


def program_hint() -> str:
    """What to do when `qemu_program()` is not there."""
    if os.environ.get(PROGRAM_ENV):
        return (f"{PROGRAM_ENV}={os.environ[PROGRAM_ENV]} names no executable: point it at a "
                f"qemu-system-arm, or unset it to use the one on PATH")
    return INSTALL_HINT


def parse_qemu_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, micro) from what ``qemu-system-arm --version`` prints, None if it says none."""
    found = _VERSION.search(text)
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def qemu_version(program: str | None = None) -> tuple[int, int, int]:
    """The version of `program` (default `qemu_program()`); FwgenError naming it when it is
    missing or does not say."""
    program = program or qemu_program()
    path = program_path(program)
    if path is None:
        raise ToolMissingError(program, hint=program_hint())
    proc = process.run([path, "--version"], capture_output=True, text=True, timeout=30)
    version = parse_qemu_version(proc.stdout or "")
    if version is None:
        raise FwgenError(f"cannot tell the version of {path}: {(proc.stdout or proc.stderr).strip()!r}",
                         where=path, hint=f"is it a qemu-system-arm? ({PROGRAM_ENV} names another)")
    return version


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class QemuSession:
    """A running QEMU with its UART connected: `.serial` (pyserial), `.wait()`, `.close()`.
    Its output is in `log_file` (an unnamed file, read with `output()`) or at `log_path`
    (removed by `close()`)."""

    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path | None, argv: list[str],
                 *, log_file: IO[bytes] | None = None):
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.log_file = log_file
        self.argv = argv
        self.serial: serial.SerialBase | None = None

    def connect(self, timeout: float = CONNECT_TIMEOUT_S, read_timeout: float = 0.05) -> serial.SerialBase:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FwgenError(f"QEMU exited with status {self.proc.returncode} before its UART "
                                 f"accepted a connection\n{self.output()}")
            try:
                self.serial = serial.serial_for_url(f"socket://127.0.0.1:{self.port}",
                                                    timeout=read_timeout)
                sock = getattr(self.serial, "_socket", None)
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return self.serial
            except serial.SerialException as exc:
                last_error = exc
                time.sleep(0.02)
        raise FwgenError(f"could not connect to QEMU's UART on port {self.port}: {last_error}")

    def output(self) -> str:
        """What QEMU has printed so far (stdout and stderr)."""
        try:
            if self.log_file is not None:
                fd = self.log_file.fileno()   # pread: QEMU shares the file offset
                return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace").strip()
            if self.log_path is not None:
                return self.log_path.read_text(errors="replace").strip()
        except (OSError, ValueError):   # ValueError: the file was closed
            pass
        return ""

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status once QEMU has exited (semihosting), None if still running at timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Close the UART and end QEMU's whole process group (idempotent)."""
        if self.serial is not None:
            try:
                self.serial.close()
            except Exception:  # noqa: BLE001 - closing must not mask the original error
                LOG.debug("closing QEMU serial failed", exc_info=True)
            self.serial = None
        if self.proc.poll() is None:
            for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.log_file is not None:
            self.log_file.close()
        if self.log_path is not None:
            try:
                self.log_path.unlink()
            except OSError:
                pass

    def __enter__(self) -> "QemuSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass(frozen=True)
class QemuArgs:
    """``runners.qemu`` in a board file."""
    machine: str   # -M, e.g. mps2-an505
    cpu: str       # the core that machine has (documents the twin; -M implies it)


class QemuRunner(Runner):
    name = "qemu"
    caps = RunnerCaps(emulate=True, serial=True, exit_status=True)
    programs = (PROGRAM,)
    install_hint = INSTALL_HINT
    Args = QemuArgs

    def argv(self, elf: Path, port: int, *, icount: bool = True,
             semihost_args: tuple[str, ...] = ()) -> list[str]:
        """The exact qemu-system-arm command line for `elf` with the UART on 127.0.0.1:port;
        `semihost_args` is the firmware's semihosting command line (SYS_GET_CMDLINE)."""
        args: QemuArgs = self.board_args
        for arg in semihost_args:
            if "," in arg or " " in arg:   # QEMU's option syntax and the firmware's parser
                raise FwgenError(f"a semihosting argument may hold no comma or space: {arg!r}")
        config = ",".join(["enable=on,target=native", *(f"arg={a}" for a in semihost_args)])
        argv = [self.require(qemu_program(), hint=program_hint()), "-M", args.machine,
                "-display", "none", "-monitor", "none", "-no-reboot", "-semihosting-config", config]
        if icount:
            argv += ["-icount", "shift=0"]
        argv += ["-kernel", str(elf),
                 "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"]
        return argv + self.extra_args

    def do_run(self, command: str, **kwargs: Any) -> QemuSession | None:
        return self.emulate(**kwargs)

    def emulate(self, elf: Path, *, icount: bool = True, port: int | None = None,
                connect: bool = True, semihost_args: tuple[str, ...] = (),
                pass_fds: tuple[int, ...] = ()) -> QemuSession | None:
        """Start QEMU (returns None on a dry run). The caller must close() the session.
        `pass_fds` stay open in QEMU (a file the firmware opens as /proc/self/fd/N)."""
        elf = Path(elf)
        if not self.dry_run and not elf.is_file():
            raise FwgenError("firmware image not found", where=str(elf))
        for attempt in range(3):
            chosen = port or free_tcp_port()
            argv = self.argv(elf, chosen, icount=icount, semihost_args=semihost_args)
            # Never a name in the temporary folder, so no SIGKILL can leave it behind.
            log = tempfile.TemporaryFile(prefix="fwgen-qemu-", suffix=".log")
            try:
                proc = self.popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, pass_fds=pass_fds)
            except BaseException:
                log.close()
                raise
            if proc is None:
                log.close()
                return None
            session = QemuSession(proc, chosen, None, argv, log_file=log)
            try:
                if connect:
                    session.connect()
                return session
            except FwgenError:
                text = session.output()
                session.close()
                if "Address already in use" in text and port is None and attempt < 2:
                    continue
                raise
            except BaseException:
                session.close()
                raise
        raise FwgenError("could not start QEMU")  # pragma: no cover - loop always returns/raises

    def run_to_exit(self, elf: Path, *, cwd: Path, icount: bool = True,
                    timeout: float = 300) -> tuple[int, str]:
        """Run `elf` with no UART (``-serial none``) until the firmware exits: its exit status and
        QEMU's output (stdout + stderr, where semihosting console text goes). Semihosting files
        are created in `cwd`. (0, "") on a dry run; FwgenError when it runs past `timeout` s."""
        elf = Path(elf)
        if not self.dry_run and not elf.is_file():
            raise FwgenError("firmware image not found", where=str(elf))
        argv = self.argv(elf, 0, icount=icount)
        argv[argv.index("-serial") + 1] = "none"
        self._log(argv)
        if self.dry_run:
            return 0, ""
        try:
            proc = process.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FwgenError(f"QEMU did not exit within {timeout:g} s", where=str(elf)) from None
        return proc.returncode, proc.stdout + proc.stderr
