"""`fwgen flash` as a library: find the firmware image for a board, pick and run its runner, or
start a twin in the background. May import boards, runners, device.twin_state, native and errors;
building firmware is not its job (fwgen.project.build is).

    image = find_image(board)                        # newest build/<model>-<board>, or a PROJECT/ELF/HEX
    runner = make_runner(board, "openocd", probe="0669FF...")
    result = flash_board(runner, image, erase=False) # FlashResult: commands run, twin record
    reset_board(runner); erase_board(runner)
    flash_commands(board, image="$SOURCE") -> list[argv]   # what a runner runs (PlatformIO upload)

A twin (an emulator board) is flashed by starting QEMU on the image in the background, its UART
on a 127.0.0.1 TCP port; fwgen.device.twin_state records it (running_twin, stop_twin).
"""
from fwgen.flash.flasher import (FlashResult, erase_board, flash_board, flash_commands,
                                 make_runner, reset_board, upload_command)
from fwgen.flash.images import FirmwareImage, board_id_for, find_image, image_for_runner
from fwgen.flash.twin import start_twin

__all__ = ["FirmwareImage", "FlashResult", "board_id_for", "erase_board", "find_image",
           "flash_board", "flash_commands", "image_for_runner", "make_runner", "reset_board",
           "start_twin", "upload_command"]
