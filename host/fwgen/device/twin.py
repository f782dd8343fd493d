"""A QEMU twin: the firmware ELF running under the QEMU runner, its UART as the link.

With `audio_file=True` (firmware built with the "semihost" audio source) the twin bypasses the
emulated UART, which moves 13-28 KiB/s to the guest (QEMU hands it one byte per main-loop
turn: slower than 16 kHz audio) and sends every byte from it as a TCP segment of its own
(reading those costs the host more CPU than QEMU spends on the model). Instead, through
semihosting at MB/s:

- each clip is written to an unnamed file (`tempfile.TemporaryFile`) QEMU inherits, which the
  firmware reads as /proc/self/fd/N (`fwgen-audio=` on its semihosting command line);
- the link's device-to-host frames come through a pipe (`fwgen-link-out=`), one write each.

Host-to-device frames (RESET, CONFIG, END) still go over the UART, and the messages are the
link's own, so host/device comparisons do not change. Nothing has a name in the file system,
so nothing is left behind whatever ends fwgen.
"""
from __future__ import annotations

import fcntl
import logging
import os
import select
import struct
import tempfile
import termios
import time
from pathlib import Path

import numpy as np

from fwgen.device.base import Device
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


class TwinDevice(Device):
    """QEMU running `elf` on `twin` (an emulator board), with a fwgen link on its UART."""

    def __init__(self, elf: Path, twin, *, icount: bool = True, qemu_args: tuple[str, ...] = (),
                 audio_file: bool = False):
        """`qemu_args` go after QEMU's own (e.g. fwgen bench's ``-plugin``); `audio_file`: clips
        go through a host file (firmware built with the "semihost" audio source)."""
        from fwgen.link import Link
        from fwgen.runners.qemu import QemuRunner

        if not twin.is_emulator:
            raise FwgenError(f"{twin.id} is not an emulator twin", where="--board",
                             hint=f"its twin is {twin.twin}" if twin.twin else None)
        self.board = twin
        self.qemu = None
        self.audio = audio_file_for_qemu() if audio_file else None
        fds: tuple[int, ...] = ()
        args: tuple[str, ...] = ()
        link_in = link_out = -1
        try:
            if self.audio is not None:
                link_in, link_out = os.pipe()
                os.set_blocking(link_in, False)
                fds = (self.audio.fileno(), link_out)
                args = (f"fwgen-audio=/proc/self/fd/{fds[0]}", f"fwgen-link-out=/proc/self/fd/{link_out}")
            self.qemu = QemuRunner(twin, extra_args=qemu_args).run(
                "emulate", elf=elf, icount=icount, semihost_args=args, pass_fds=fds)
            assert self.qemu is not None and self.qemu.serial is not None
            port = self.qemu.serial if link_in < 0 else PipePort(self.qemu.serial, link_in)
            link_in = -1                   # the port's now
            self.link = Link(port)
        except BaseException:
            if link_in >= 0:
                os.close(link_in)
            self.close()
            raise
        finally:
            if link_out >= 0:
                os.close(link_out)         # QEMU holds it: its end is the pipe's end

    @property
    def twin(self):
        return self.board

    @property
    def description(self) -> str:
        return f"QEMU {self.board.qemu_machine}"

    def check_alive(self) -> None:
        if self.qemu is not None and not self.qemu.running:
            raise FwgenError(f"the firmware stopped: QEMU exited with status "
                             f"{self.qemu.proc.returncode}\n{self.qemu.output()}")

    def stream(self, samples: np.ndarray, *, outputs: int, timeout: float = 60.0,
               stride_frames: int = 0):
        """Stream one clip: through the host file with `audio_file`, else over the UART."""
        if self.audio is None:
            return super().stream(samples, outputs=outputs, timeout=timeout,
                                  stride_frames=stride_frames)
        from fwgen.link import End, stream_preloaded

        pcm = np.asarray(samples)
        if pcm.ndim != 1 or pcm.dtype != np.int16:
            raise FwgenError(f"audio must be mono int16 samples, got {pcm.dtype} shape {pcm.shape}")
        self.check_alive()
        os.ftruncate(self.audio.fileno(), 0)
        os.pwrite(self.audio.fileno(), pcm.astype("<i2", copy=False).tobytes(), 0)
        try:
            result = stream_preloaded(self.link, pcm.size, outputs=outputs,
                                      stride_frames=stride_frames, timeout=timeout)
        except FwgenError:
            self.check_alive()
            raise
        refused = [e for e in result.errors if e.cause_type == End.SPEC.type_id]
        if refused:
            raise FwgenError(f"the {self.board.id} twin could not read its audio file "
                             f"(status {refused[0].status})", where=self.description,
                             hint="the firmware reads the file named fwgen-audio=PATH on QEMU's "
                                  "semihosting command line")
        return result

    def close(self) -> None:
        if self.qemu is not None:
            try:
                if getattr(self, "link", None) is not None:
                    self.link.close()
            finally:
                self.qemu.close()
                self.qemu = None
        if self.audio is not None:
            self.audio.close()
            self.audio = None


class PipePort:
    """A link port that writes to the twin's UART (pyserial) and reads the pipe the firmware
    writes its frames to: what fwgen.link.Link uses of a pyserial port."""

    def __init__(self, uart, read_fd: int):
        self.uart = uart
        self.fd = read_fd
        self.timeout: float | None = 0.02
        self.portstr = f"{getattr(uart, 'portstr', 'QEMU UART')} (link out: pipe)"

    @property
    def in_waiting(self) -> int:
        if self.fd < 0:
            return 0
        return struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0"))[0]

    def read(self, size: int = 1) -> bytes:
        """Up to `size` bytes: what is there, else waiting up to `timeout` for some."""
        import serial

        if self.fd < 0:
            raise serial.SerialException("the port is closed")
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                data = os.read(self.fd, max(size, 1))
            except BlockingIOError:
                data = None
            if data == b"":
                raise serial.SerialException("QEMU closed the link pipe (it exited)")
            if data:
                return data
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return b""
            select.select([self.fd], [], [], left)

    def write(self, data: bytes) -> int | None:
        return self.uart.write(data)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.uart.close()


def audio_file_for_qemu():
    """An unnamed file QEMU inherits and the firmware reopens as /proc/self/fd/N (Linux)."""
    if not Path("/proc/self/fd").is_dir():
        raise FwgenError("a twin reads its audio file through /proc/self/fd, which this system "
                         "lacks", hint="stream the audio over the UART (fwgen test --twin-audio uart)")
    return tempfile.TemporaryFile(prefix="fwgen-audio-", suffix=".pcm")
