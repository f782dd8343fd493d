"""`fwgen validate MODEL.tflite`: generated C vs the TFLM interpreter, element by element."""
from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

DEFAULT_RANDOM = 10
MAX_RANDOM = 100_000    # random inputs per run: each is one host and one TFLM inference


class ValidateCommand(Command):
    name = "validate"
    help = "prove a model's generated C bit-exact with TFLM and compare memory"
    description = ("Compile MODEL.tflite to C, build it for this machine, run it and the TFLM\n"
                   "interpreter on the same inputs and report differing output elements (must be\n"
                   "0), fwgen's arena vs TFLM's arena_used_bytes, const data and code bytes.\n"
                   "Exit status 1 on any mismatch, 2 on an unsupported or malformed model.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", type=Path, help="an int8 .tflite model")
        parser.add_argument("--inputs", type=Path, metavar="X.npy",
                            help=".npy (one example, or a batch along the first axis) or .npz (one "
                                 "array per model input)")
        parser.add_argument("--random", type=int, default=None, metavar="N",
                            help=f"also run N random inputs (default {DEFAULT_RANDOM} without --inputs, "
                                 "0 with --inputs)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
        parser.add_argument("--emit", type=Path, metavar="DIR",
                            help="also write the generated model.h/model.c into DIR")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def invoke(self, args: argparse.Namespace) -> int:
        random = _check_arguments(args)
        from fwgen.compiler import compile_model  # noqa: PLC0415 (heavy imports)
        from fwgen.compiler.validate import validate_model  # noqa: PLC0415
        from fwgen.project.model_size import DEFAULT_BOARD, code_bytes  # noqa: PLC0415

        compiled = compile_model(args.model)
        report = validate_model(args.model, inputs=args.inputs, random=random, seed=args.seed,
                                compiled=compiled, measure_code=code_bytes)
        if args.emit is not None:
            for path in _write_atomically(args.emit, compiled.files):
                LOG.info("wrote %s", path)
        if args.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            ratio = (f" ({100.0 * report.arena_bytes / report.tflm_arena_bytes:.0f} % of TFLM)"
                     if report.tflm_arena_bytes else "")
            code = (f"{report.code_bytes:,} B ({DEFAULT_BOARD}'s firmware flags)"
                    if report.code_bytes is not None else "n/a")
            print(f"model            {report.model}")
            print(f"runs             {report.runs}")
            print(f"differing        {report.differing_elements} of {report.total_elements} output elements")
            print(f"arena            {report.arena_bytes:,} B{ratio}")
            tflm = f"{report.tflm_arena_bytes:,} B" if report.tflm_arena_bytes is not None else "n/a"
            print(f"TFLM arena       {tflm}")
            print(f"weights+consts   {report.weights_bytes:,} B")
            print(f"code             {code}")
            print(f"MACs             {report.macs:,}")
            if report.first_mismatch:
                print(f"first mismatch   {report.first_mismatch}")
            print("result           " + ("BIT-EXACT" if report.ok else "MISMATCH"))
        return 0 if report.ok else 1


def _check_arguments(args: argparse.Namespace) -> int:
    """Reject every argument mistake before the (slow) compile and runs; returns the random count."""
    if args.random is not None and args.random < 0:
        raise FwgenError(f"--random {args.random}: the number of random inputs must be >= 0")
    if args.random is not None and args.random > MAX_RANDOM:
        raise FwgenError(f"--random {args.random}: the number of random inputs must be at most "
                         f"{MAX_RANDOM:,}", hint="a few hundred already cover a model well")
    if not 0 <= args.seed < 2 ** 32:
        raise FwgenError(f"--seed {args.seed}: a seed is 0 to 2**32 - 1")
    if args.random == 0 and args.inputs is None:
        raise FwgenError("--random 0 without --inputs leaves nothing to run",
                         hint=f"give --inputs X.npy, or N >= 1 (default {DEFAULT_RANDOM})")
    random = args.random if args.random is not None else (0 if args.inputs is not None else DEFAULT_RANDOM)
    if not args.model.exists():
        raise FwgenError("model file not found", where=str(args.model))
    if args.inputs is not None and not args.inputs.exists():
        raise FwgenError("inputs file not found", where=str(args.inputs))
    if args.emit is not None:
        for d in (args.emit, *args.emit.parents):
            if d.exists() and not d.is_dir():
                raise FwgenError(f"--emit needs a directory, but '{d}' is a file", where=str(args.emit),
                                 hint="name a new or existing directory")
            if d.exists():
                break
    return random


def _write_atomically(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write every file to a temporary beside its target first, then rename them all into place,
    so an error leaves no partly written file."""
    temps: list[tuple[Path, Path]] = []
    unchanged: list[Path] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for rel, content in sorted(files.items()):
            target = out_dir / rel
            data = content.encode("utf-8")
            if target.is_file() and target.read_bytes() == data:
                unchanged.append(target)   # keeps incremental builds from recompiling
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=out_dir)
            temps.append((Path(tmp), target))
            os.fchmod(fd, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        for tmp, target in temps:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise FwgenError(f"cannot write the generated files: {exc.strerror or exc}", where=str(out_dir),
                         hint="choose a writable directory for --emit") from None
    return sorted(unchanged + [target for _, target in temps])
