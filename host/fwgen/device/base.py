"""What every device offers: a link to the firmware, audio streamed through it, close()."""
from __future__ import annotations

import abc
from typing import Any

import numpy as np

from fwgen.errors import FwgenError


class Device(abc.ABC):
    """Firmware running somewhere with a fwgen link open to it. Always close() it."""

    board: Any        # fwgen.boards.Board the firmware was built for
    link: Any         # fwgen.link.Link

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """One line naming the device ("QEMU mps2-an505", "/dev/ttyACM0")."""

    def check_alive(self) -> None:
        """Raise FwgenError when the firmware is known to have stopped (twins know)."""

    def stream(self, samples: np.ndarray, *, outputs: int, timeout: float = 60.0,
               stride_frames: int = 0):
        """Stream one clip (RESET, CONFIG, AUDIO, END) -> fwgen.link.StreamResult."""
        from fwgen.link import stream_audio

        self.check_alive()
        try:
            return stream_audio(self.link, samples, outputs=outputs, stride_frames=stride_frames,
                                timeout=timeout, end_timeout=timeout)
        except FwgenError:
            self.check_alive()
            raise

    @abc.abstractmethod
    def close(self) -> None:
        """Close the link and release what the device holds (an emulator process, a port)."""

    def __enter__(self) -> "Device":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
