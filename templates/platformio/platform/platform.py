"""fwgen's PlatformIO development platform (offline, system arm-none-eabi toolchain)."""
from platformio.public import PlatformBase


class FwgenPlatform(PlatformBase):
    def is_embedded(self):
        # ARM images: `pio test` must upload/emulate them, never run them on the host.
        return True
