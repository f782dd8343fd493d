"""The TFLM oracle in a child process, so a model that crashes the interpreter (an abort or a
segmentation fault in a kernel's Prepare or Eval) cannot take fwgen with it.

    result = run_isolated(model_bytes, input_sets, where="model.tflite")
    result.outputs[run][k]        # output k of input set `run`, as TFLM computes it
    result.arena_used_bytes       # TFLM's recording allocator total

The child is `python -m fwgen.compiler.oracle FOLDER`: it reads the model and the inputs from
FOLDER (a temporary folder, removed afterwards) and writes its outputs there. A child killed by a
signal becomes a FwgenError "the TFLM interpreter crashed on this model" naming the signal and
TFLM's last words; on Linux the child asks the kernel to kill it when fwgen dies, so it never
outlives fwgen.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 600.0
_MODEL, _INPUTS, _OUTPUTS, _REQUEST, _RESULT, _LOG = (
    "model.tflite", "inputs.npz", "outputs.npz", "request.json", "result.json", "tflm.log")
_LOG_TAIL = 4096           # bytes of TFLM's log kept for a crash report
_MAX_FILE_BYTES = 64 << 20  # the child may write no larger file (its log, its outputs)
_PR_SET_PDEATHSIG = 1
_CHILD_ERROR = 3      # the child's exit status after a FwgenError it wrote to result.json


@dataclass
class OracleResult:
    outputs: list[list[np.ndarray]]      # per input set, per model output
    arena_used_bytes: int | None


def run_isolated(model: bytes, sets: Sequence[Sequence[np.ndarray]], *, where: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> OracleResult:
    """TFLM's outputs for every input set, computed in a child process."""
    with tempfile.TemporaryDirectory(prefix="fwgen-tflm-") as tmp:
        folder = Path(tmp)
        (folder / _MODEL).write_bytes(model)
        np.savez(folder / _INPUTS, **{f"r{r}_i{k}": np.asarray(a) for r, run in enumerate(sets)
                                      for k, a in enumerate(run)})
        (folder / _REQUEST).write_text(json.dumps({
            "runs": len(sets), "inputs": len(sets[0]) if sets else 0, "parent": os.getpid()}))
        with open(folder / _LOG, "wb") as log:   # a file, not a pipe: TFLM may write a lot
            proc = subprocess.Popen([sys.executable, "-m", "fwgen.compiler.oracle", str(folder)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=_child_env())
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FwgenError(f"the TFLM interpreter did not finish within {timeout:g} s",
                             where=where, hint="the model may be corrupted or far too large; "
                             "check it with fwgen's own build first") from None
        finally:
            if proc.poll() is None:    # a timeout, or fwgen interrupted: the child goes too
                proc.kill()
                proc.wait()
        return _result(folder, proc.returncode, _tail(folder / _LOG), where)


def _tail(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - _LOG_TAIL))
        return f.read().decode("utf-8", "replace")


def _result(folder: Path, code: int, log: str, where: str | None) -> OracleResult:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else "unknown"
        last = _last_words(log)
        raise FwgenError(f"the TFLM interpreter crashed on this model (signal {-code}, {name})",
                         where=where,
                         hint=(f"TFLM's last output: {last}; " if last else "") +
                         "fwgen's checks accepted the model but TFLM's kernels did not survive "
                         "it: the file is probably corrupted; re-export it")
    result = json.loads((folder / _RESULT).read_text()) if (folder / _RESULT).is_file() else {}
    if code == _CHILD_ERROR and "error" in result:
        raise FwgenError(result["error"], where=where, hint=result.get("hint"))
    if code != 0 or "outputs" not in result:
        last = _last_words(log)
        raise FwgenError(f"the TFLM interpreter process failed (exit status {code})", where=where,
                         hint=f"its last output: {last}" if last else "run with -vv for details")
    with np.load(folder / _OUTPUTS) as saved:
        outputs = [[saved[f"r{r}_o{k}"] for k in range(result["outputs"])]
                   for r in range(result["runs"])]
    return OracleResult(outputs, result["arena_used_bytes"])


def _last_words(log: str, lines: int = 2) -> str:
    tail = [line.strip() for line in log.splitlines() if line.strip()][-lines:]
    return " / ".join(tail)[-300:]


def _child_env() -> dict[str, str]:
    """The child imports this fwgen, wherever it was imported from (a checkout or a wheel)."""
    import fwgen  # noqa: PLC0415

    source = str(Path(fwgen.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=source + (os.pathsep + path if path else ""))


# ---------------------------------------------------------------- the child

def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:   # the parent died before the request took effect
        os._exit(1)


def _child(folder: Path) -> int:
    import resource  # noqa: PLC0415

    from fwgen.compiler.reference import TflmModel  # noqa: PLC0415

    request = json.loads((folder / _REQUEST).read_text())
    _die_with_parent(int(request["parent"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_FILE_BYTES, _MAX_FILE_BYTES))
    result: dict = {"runs": int(request["runs"])}
    try:
        # TFLM's log goes to this process's stderr, which the parent keeps for a crash report
        tflm = TflmModel((folder / _MODEL).read_bytes(), quiet=False)
        outputs: dict[str, np.ndarray] = {}
        with np.load(folder / _INPUTS) as saved:
            for r in range(result["runs"]):
                run = [saved[f"r{r}_i{k}"] for k in range(int(request["inputs"]))]
                for k, y in enumerate(tflm.run(run)):
                    outputs[f"r{r}_o{k}"] = y
        result.update(outputs=tflm.n_outputs, arena_used_bytes=tflm.arena_used_bytes())
    except FwgenError as exc:
        (folder / _RESULT).write_text(json.dumps({"error": exc.message, "hint": exc.hint}))
        return _CHILD_ERROR
    np.savez(folder / _OUTPUTS, **outputs)
    (folder / _RESULT).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
