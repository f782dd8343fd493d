"""Ahead-of-time compiler: int8 .tflite -> plain C calling firmware/nn kernels.
May import tflite and fwgen's leaves (errors, native, render); `fwgen.runtime.aot` wraps it.

Public API (stable; the firmware builder and `fwgen validate` use it):

    compile_model(model: Path | str | bytes, *, name: str = "model", where: str | None = None)
            -> CompiledModel      (every error names `where`, the model's file, first)
        .files         {"<name>.h": str, "<name>.c": str}
        .arena_bytes   bytes of the caller-provided arena (FWGEN_<NAME>_ARENA_BYTES)
        .weights_bytes bytes of const data (weights, biases, multipliers) in flash
        .macs          multiply-accumulates per inference
        .input/.output (and .inputs/.outputs): TensorSpec(name, shape, dtype, scale,
                       zero_point, offset, nbytes)
    run_on_host(compiled, inputs: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]
        compiles the generated C with firmware/nn for the host and runs one inference.

Before lowering, every operator is checked against its op's `OpSignature` (compiler/checks.py:
inputs, absent inputs, options table), and each lowering checks its tensors' types and
quantization as TFLM's Prepare does: what TFLM refuses or crashes on is refused here first,
naming the op and the field. `fwgen validate` runs TFLM in a child process (compiler/oracle.py),
so a crash the checks miss is reported, not fatal.

Generated C (see templates/model.h.j2): the caller owns one arena of
FWGEN_<NAME>_ARENA_BYTES bytes aligned to FWGEN_<NAME>_ARENA_ALIGN; it writes inputs through
`fwgen_<name>_input(arena, i)`, calls `fwgen_<name>_invoke(arena)` and reads outputs through
`fwgen_<name>_output(arena, i)`.
"""
from fwgen.compiler.compile import CompiledModel, TensorSpec, compile_model
from fwgen.compiler.host import run_on_host

__all__ = ["CompiledModel", "TensorSpec", "compile_model", "run_on_host"]
