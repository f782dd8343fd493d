"""Devices: the thing running fwgen firmware, with a link open to it, whether a QEMU twin or a
board on a serial port. May import boards, runners and link; building firmware is not its job.

    with open_device(twin, elf=firmware_elf) as device:           # QEMU twin (TwinDevice)
        result = device.stream(samples, outputs=Output.DETECTIONS)
    with open_device(board, port="/dev/ttyACM0") as device:       # a board (SerialDevice)
        device.link.reset()                                       # HELLO
    find_serial_port(board, serial_number=None) -> str            # by the board's USB VID:PID

`hardware_map.load_hardware_map(path)`: a twister-style list of the boards attached here;
`labgrid_place.LabgridPlace(name)`: a board in a labgrid farm (labgrid imported lazily).
"""
from fwgen.device.base import Device
from fwgen.device.open import open_device
from fwgen.device.serial_port import SerialDevice, find_serial_port, list_board_ports
from fwgen.device.twin import TwinDevice

__all__ = ["Device", "SerialDevice", "TwinDevice", "find_serial_port", "list_board_ports",
           "open_device"]
