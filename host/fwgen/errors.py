"""User-facing errors: what is wrong, where, and how to fix it.

Library code raises `FwgenError` (or a subclass) for every mistake a user can make;
the CLI layer prints it without a traceback and exits non-zero.
"""
from __future__ import annotations


class FwgenError(Exception):
    """An error caused by user input or the environment, reported without a traceback.

    `where` names the file, field, op or byte offset; `hint` says how to fix it.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ToolMissingError(FwgenError):
    """An external program (compiler, emulator, flasher) is not installed."""

    def __init__(self, program: str, *, hint: str | None = None):
        super().__init__(f"required program '{program}' was not found on PATH",
                         hint=hint or "run tools/bootstrap.sh to install fwgen's toolchain")
        self.program = program
