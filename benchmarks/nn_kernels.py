"""Kernel variants against the portable kernels, bit for bit, with instructions per call and per
MAC, on the QEMU twins (mps2-an505 Cortex-M33, mps2-an386 M4F, mps2-an500 M7).

    .venv/bin/python benchmarks/nn_kernels.py [--boards mps2_an505 ...] [--random 24] > benchmarks/nn_kernels.txt
    .venv/bin/python benchmarks/nn_kernels.py --match depthwise    # one kernel's (or case's) rows

For every kernel with a variant in firmware/nn/dsp/ it builds one test image per twin
(fwgen.testing.harness: built like shipped firmware, so the image links the board's variant) that
also holds the portable kernel under another name: a generated wrapper C file #defines the
kernel's function name to `<name>_portable` and #includes the portable source from firmware/nn/.
The cases are the layers of the zoo models micro_speech and yamnet_256 (and of TFLM's micro_speech
model where ../shared/data holds it) that call the kernel, as
fwgen's compiler lowers them (its parameter structs, constants and calls), and random shapes and
parameters (seeded). Each case runs the portable kernel and then the variant on the same input,
compares the outputs byte for byte in the image, and reads the port's cycle counter around each
call: under `qemu -icount shift=0` a tick is 1e9 / clock_hz instructions (the twin's board file).
Instruction counts are for comparisons between builds and kernels, never latency.

The emulator-tier test tests/emu/test_nn_dsp.py runs the same images (its own seed, fewer cases).
"""
from __future__ import annotations

import argparse
import re
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NN_DIR = ROOT / "firmware" / "nn"
ZOO_MODELS = ("micro_speech", "yamnet_256")
# TFLM's own micro_speech model (its DEPTHWISE_CONV_2D 1 input channel x 8), where the data is
SHARED_MODELS = {"tflm_micro_speech": ROOT.parent / "shared" / "data" / "micro_speech"
                                      / "micro_speech_quantized.tflite"}
RESULT_WORDS = 5            # per case: status, portable ticks, variant ticks, mismatches, reps
MIN_TIMED_MACS = 20000      # small cases are repeated to about this many MACs per timing


@dataclass
class Case:
    """One kernel call: C declarations, the call with @in@/@out@ placeholders, sizes."""

    kernel: str
    label: str
    decls: list[str]
    call: str                 # "<kernel>(..., @in@, ..., @out@)"
    input_values: np.ndarray  # int8
    out_bytes: int
    macs: int
    reps: int = 1
    arrays: list[str] = field(default_factory=list)


def variant_kernels() -> list[str]:
    """Kernel function names with a variant in firmware/nn/dsp/ (file nn_<op>.c -> fwgen_nn_<op>)."""
    return sorted(f"fwgen_{p.stem}" for p in (NN_DIR / "dsp").glob("nn_*.c"))


# ---------------------------------------------------------------- cases from the zoo models

def zoo_cases(kernels: list[str], seed: int = 1) -> list[Case]:
    """The layers of the zoo models that call one of `kernels`, lowered by fwgen's compiler."""
    from fwgen.compiler.compile import lower_all, validate_graph
    from fwgen.testing.harness import c_array
    from fwgen.tflite.reader import read_model
    from fwgen.zoo import get_model

    rng = np.random.default_rng(seed)
    cases = []
    sources = {name: get_model(name).require_weights() for name in ZOO_MODELS}
    sources.update({name: path for name, path in SHARED_MODELS.items() if path.is_file()})
    for model_name, path in sources.items():
        m = read_model(path)
        validate_graph(m)
        for step in lower_all(m):
            if step.kernel not in kernels:
                continue
            prefix = f"{model_name}_op{step.op.index}_"
            rename = lambda text: re.sub(r"\bop\d+_", prefix, text)  # noqa: E731
            x = m.tensors[step.op.inputs[0]]
            y = m.tensors[step.op.outputs[0]]
            call = step.call.replace(f"@t{x.index}@", "@in@").replace(f"@t{y.index}@", "@out@")
            arrays = [rename(c_array(a.ctype, a.name, a.values.reshape(-1))) for a in step.arrays]
            decls = [rename(d.replace("@reverse@", "0")) for d in step.decls]
            for j, nbytes in enumerate(step.scratch):   # MEAN's accumulators
                decls.append(f"static int32_t {prefix}scratch{j}[{(nbytes + 3) // 4}];")
                call = call.replace(f"@s{j}@", f"{prefix}scratch{j}")
            cases.append(Case(step.kernel, f"{model_name} op{step.op.index} {step.op.opcode} "
                              f"{step.comment}".strip(), decls, rename(call),
                              rng.integers(-128, 128, int(np.prod(x.shape)), dtype=np.int8),
                              int(np.prod(y.shape)), step.macs, arrays=arrays))
    return cases


# ---------------------------------------------------------------- random cases

def _quant(rng, count: int, name: str, log2_range=(-14, 2)) -> tuple[list[str], str]:
    """Per-channel multiplier/shift arrays (reals 2^-14 .. 2^2 by default, so both shift signs
    occur)."""
    from fwgen.compiler.quant import quantize_multiplier
    from fwgen.testing.harness import c_array

    pairs = [quantize_multiplier(float(2.0 ** rng.uniform(*log2_range))) for _ in range(count)]
    arrays = [c_array("int32_t", f"{name}_mult", [p[0] for p in pairs]),
              c_array("int8_t", f"{name}_shift", [p[1] for p in pairs])]
    return arrays, (f"static const fwgen_nn_per_channel_t {name}_quant = "
                    f"{{.multiplier = {name}_mult, .shift = {name}_shift}};")


def _act(rng) -> tuple[int, int]:
    if rng.random() < 0.5:
        return -128, 127
    lo = int(rng.integers(-128, 0))
    return lo, int(rng.integers(lo + 1, 128))


def _conv_like(rng, name: str, kernel: str, in_c: int, out_c: int, filter_dims: dict,
               k_h: int, k_w: int, depthwise: bool, rshift: tuple | None = None,
               in_w: int | None = None, stride_w: int | None = None) -> Case:
    """A random (depthwise) convolution; `rshift`: reals 2^lo .. 2^hi (right shifts only), the
    whole int8 clamp and dilations 1, as int8 models have; `in_w`, `stride_w`: the input width
    and the stride along it."""
    from fwgen.compiler.geometry import window
    from fwgen.compiler.lowering import decl
    from fwgen.testing.harness import c_array

    s_h, s_w = (int(v) for v in rng.integers(1, 4, 2))
    s_w = stride_w or s_w
    d_h, d_w = (int(v) for v in (rng.integers(1, 3, 2) if rng.random() < 0.3 else (1, 1)))
    d_h, d_w = (1, 1) if rshift else (d_h, d_w)
    padding = "SAME" if rng.random() < 0.6 else "VALID"
    in_h = int(rng.integers((k_h - 1) * d_h + 1, (k_h - 1) * d_h + 12))
    in_w = in_w or int(rng.integers((k_w - 1) * d_w + 1, (k_w - 1) * d_w + 12))
    win = window(padding, in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w)
    lo, hi = _act(rng) if rshift is None else (-128, 127)
    arrays, quant = _quant(rng, out_c, name, *([rshift] if rshift else []))
    arrays.append(c_array("int8_t", f"{name}_filter",
                          rng.integers(-128, 128, filter_dims["n"] * k_h * k_w * filter_dims["c"])))
    bias = "NULL"
    if rng.random() < 0.8:
        arrays.append(c_array("int32_t", f"{name}_bias", rng.integers(-2**15, 2**15, out_c)))
        bias = f"{name}_bias"
    params = {"input": {"n": 1, "h": in_h, "w": in_w, "c": in_c}, "filter": filter_dims,
              "output": {"n": 1, "h": win.out_h, "w": win.out_w, "c": out_c},
              "stride_h": s_h, "stride_w": s_w, "dilation_h": d_h, "dilation_w": d_w,
              "pad_top": win.pad_top, "pad_left": win.pad_left,
              "input_offset": int(rng.integers(-127, 129)) if rng.random() < 0.8 else 0,
              "output_offset": int(rng.integers(-128, 128)), "act_min": lo, "act_max": hi,
              "reverse": int(rng.random() < 0.3)}
    if not depthwise:   # the compiler's choice of the DSP variant's path, as for a model layer
        from fwgen.compiler.ops.conv2d import conv2d_path
        params["path"] = f"FWGEN_NN_CONV_PATH_{conv2d_path(params)}"
    decls = [decl("fwgen_nn_conv_params_t", f"{name}_params", params), quant]
    pixels = win.out_h * win.out_w
    if depthwise:
        call = (f"{kernel}(&{name}_params, {out_c // in_c}, &{name}_quant, @in@, {name}_filter, "
                f"{bias}, @out@)")
        macs = pixels * out_c * k_h * k_w
    else:
        call = f"{kernel}(&{name}_params, &{name}_quant, @in@, {name}_filter, {bias}, @out@)"
        macs = pixels * out_c * k_h * k_w * filter_dims["c"]
    label = (f"random {in_h}x{in_w}x{in_c} {k_h}x{k_w}/{s_h}x{s_w} d{d_h}x{d_w} {padding} "
             f"-> {out_c}" + (f" x{out_c // in_c}" if depthwise else "")
             + (" rev" if params["reverse"] else ""))
    return Case(kernel, label, decls, call, rng.integers(-128, 128, in_h * in_w * in_c, dtype=np.int8),
                pixels * out_c, macs, arrays=arrays)


def random_case(rng, kernel: str, index: int) -> Case:
    name = f"{kernel.removeprefix('fwgen_nn_')}_r{index}"
    k_h, k_w = (int(v) for v in rng.integers(1, 6, 2))
    if kernel == "fwgen_nn_depthwise_conv2d_s8":
        kind = index % 3
        if kind == 0:     # depth multiplier > 1 (micro_speech's kind)
            in_c, mult = int(rng.integers(1, 4)), int(rng.choice([2, 3, 4, 8]))
        elif kind == 1:   # depth multiplier 1, channel tails
            in_c, mult = int(rng.integers(1, 41)), 1
        else:             # too big for the transposed filter: the generic path
            in_c, mult = int(rng.integers(40, 80)), int(rng.choice([2, 3]))
            k_h, k_w = 5, 5
        out_c = in_c * mult
        return _conv_like(rng, name, kernel, in_c, out_c, {"n": 1, "h": k_h, "w": k_w, "c": out_c},
                          k_h, k_w, depthwise=True)
    if kernel == "fwgen_nn_conv2d_s8":
        kind = index % 3
        if kind == 0:     # 1x1
            k_h = k_w = 1
        groups = int(rng.choice([1, 1, 1, 2, 3]))
        k_c = int(rng.integers(1, 40))
        per_group = int(rng.integers(1, 12))
        in_c, out_c = k_c * groups, per_group * groups
        case = _conv_like(rng, name, kernel, in_c, out_c, {"n": out_c, "h": k_h, "w": k_w, "c": k_c},
                          k_h, k_w, depthwise=False)
        case.label += f" g{groups}" if groups > 1 else ""
        return case
    if kernel == "fwgen_nn_fully_connected_s8":
        return _fully_connected(rng, name, kernel)
    if kernel == "fwgen_nn_mean_s8":
        return _mean(rng, name, kernel, index)
    if kernel in ("fwgen_nn_avg_pool2d_s8", "fwgen_nn_max_pool2d_s8"):
        return _pool(rng, name, kernel)
    if kernel == "fwgen_nn_add_s8":
        return _add(rng, name, kernel)
    raise ValueError(f"no random cases for {kernel}")


def _mean(rng, name: str, kernel: str, index: int, shape=None, axes=None) -> Case:
    """MEAN over random axes of a random shape (every other case over H and W of NHWC, the
    global average pooling the variant sums by columns); fields as fwgen.compiler.ops.mean."""
    from fwgen.compiler.lowering import decl
    from fwgen.compiler.ops.mean import mean_multiplier

    if shape is None and index % 2 == 0:
        shape = [int(rng.integers(1, 3)), int(rng.integers(1, 13)), int(rng.integers(1, 13)),
                 int(rng.integers(1, 41))]
        axes = [1, 2] if rng.random() < 0.7 else [0, 1, 2]
    elif shape is None:
        rank = int(rng.integers(1, 5))
        shape = [int(v) for v in rng.integers(1, 9, rank)]
        axes = sorted(int(a) for a in rng.choice(rank, int(rng.integers(1, rank + 1)), replace=False))
    rank = len(shape)
    strides, acc = [0] * rank, 1
    for i in reversed(range(rank)):
        if i not in axes:
            strides[i] = acc
            acc *= shape[i]
    num = int(np.prod([shape[a] for a in axes]))
    mult, shift = mean_multiplier(2.0 ** rng.uniform(-3, 1), 2.0 ** rng.uniform(-3, 1), num)
    params = {"rank": rank, "dims": shape + [1] * (4 - rank), "out_strides": strides + [0] * (4 - rank),
              "num_outputs": acc, "num_reduced": num, "input_zero_point": int(rng.integers(-128, 128)),
              "output_zero_point": int(rng.integers(-128, 128)), "multiplier": mult, "shift": shift}
    decls = [decl("fwgen_nn_mean_params_t", f"{name}_params", params),
             f"static int32_t {name}_scratch[{acc}];"]
    size = int(np.prod(shape))
    return Case(kernel, f"random {'x'.join(map(str, shape))} axes {axes}", decls,
                f"{kernel}(&{name}_params, @in@, @out@, {name}_scratch)",
                rng.integers(-128, 128, size, dtype=np.int8), acc, size)


def _pool(rng, name: str, kernel: str, shape=None, filt=None, stride=None) -> Case:
    """AVERAGE_POOL_2D / MAX_POOL_2D of a random shape, window, stride and padding."""
    from fwgen.compiler.geometry import window
    from fwgen.compiler.lowering import decl

    n, in_h, in_w, ch = shape or (int(rng.integers(1, 3)), int(rng.integers(1, 10)),
                                  int(rng.integers(1, 10)), int(rng.integers(1, 23)))
    k_h, k_w = filt or (int(rng.integers(1, min(in_h, 4) + 1)), int(rng.integers(1, min(in_w, 4) + 1)))
    s_h, s_w = stride or (int(v) for v in rng.integers(1, 4, 2))
    padding = "SAME" if rng.random() < 0.5 else "VALID"
    win = window(padding, in_h, in_w, k_h, k_w, s_h, s_w)
    lo, hi = _act(rng)
    params = {"input": {"n": n, "h": in_h, "w": in_w, "c": ch},
              "output": {"n": n, "h": win.out_h, "w": win.out_w, "c": ch},
              "filter_h": k_h, "filter_w": k_w, "stride_h": s_h, "stride_w": s_w,
              "pad_top": win.pad_top, "pad_left": win.pad_left, "act_min": lo, "act_max": hi,
              "reverse": int(rng.random() < 0.3)}
    out = n * win.out_h * win.out_w * ch
    return Case(kernel, f"random {n}x{in_h}x{in_w}x{ch} {k_h}x{k_w}/{s_h}x{s_w} {padding}"
                + (" rev" if params["reverse"] else ""),
                [decl("fwgen_nn_pool_params_t", f"{name}_params", params)],
                f"{kernel}(&{name}_params, @in@, @out@)",
                rng.integers(-128, 128, n * in_h * in_w * ch, dtype=np.int8), out, out * k_h * k_w)


def _add(rng, name: str, kernel: str, shapes=None, log2_scales=None, act=None, values=None,
         quant=None) -> Case:
    """ADD as the compiler lowers it (fwgen.compiler.ops: collapsed broadcast, TFLM's
    multipliers) of two [1, h, w, c] inputs, either broadcast over any axes (random by default);
    `log2_scales`: input 1, input 2 and output scales; `act`: the clamp; `values`: both inputs'
    (random by default); `quant`: multipliers, shifts or offsets to put in place of the ones
    drawn."""
    from fwgen.compiler.lowering import decl
    from fwgen.compiler.ops._binary import collapse
    from fwgen.compiler.ops.add import add_multipliers
    from fwgen.testing.harness import c_array

    if shapes is None:
        out = [1] + [int(v) for v in rng.integers(1, 9, 3)]
        kinds = ["full", "full", "channel", "pixel", "scalar", "row"]
        shapes = []
        for kind in (rng.choice(kinds), "full" if rng.random() < 0.5 else rng.choice(kinds)):
            keep = {"full": (1, 2, 3), "channel": (3,), "pixel": (1, 2), "scalar": (),
                    "row": (1, 3)}[str(kind)]
            shapes.append([d if i in keep or i == 0 else 1 for i, d in enumerate(out)])
        shapes = shapes[::-1] if rng.random() < 0.5 else shapes
    out = [max(a, b) for a, b in zip(*shapes)]
    if log2_scales is None:
        s1 = float(rng.uniform(-10, 0))
        s2 = s1 if rng.random() < 0.2 else float(rng.uniform(-10, 0))
        log2_scales = (s1, s2, max(s1, s2) + float(rng.uniform(-1.5, 2)))
    q = {**add_multipliers(*(2.0 ** v for v in log2_scales)), **(quant or {})}
    lo, hi = act if act is not None else _act(rng)
    dims, st1, st2 = collapse(out, *shapes)
    params = {"out_dims": dims, "in1_strides": st1, "in2_strides": st2,
              "input1_offset": int(rng.integers(-127, 129)), "input2_offset": int(rng.integers(-127, 129)),
              "output_offset": int(rng.integers(-128, 128)), **q, "act_min": lo, "act_max": hi}
    n1, n2, n = (int(np.prod(s)) for s in (*shapes, out))
    in1, in2 = values if values is not None else (rng.integers(-128, 128, n1, dtype=np.int8),
                                                  rng.integers(-128, 128, n2))
    arrays = [c_array("int8_t", f"{name}_in2", in2)]
    call = f"{kernel}(&{name}_params, @in@, {name}_in2, @out@)"
    label = (f"random {'x'.join(map(str, shapes[0][1:]))} + {'x'.join(map(str, shapes[1][1:]))} "
             f"sh {q['input1_shift']},{q['input2_shift']},{q['output_shift']} [{lo},{hi}]")
    return Case(kernel, label, [decl("fwgen_nn_binary_params_t", f"{name}_params", params)], call,
                np.asarray(in1, dtype=np.int8), n, n, arrays=arrays)


def add_edge_cases(kernels: list[str], seed: int = 9) -> list[Case]:
    """ADD: MLTK on_off_v3's residual shapes (49x1x40, 2x1x40; the larger input's multiplier
    1/2 either side, ReLU into zero point -128, so the whole int8 clamp), equal scales, the
    ReLU and ReLU6 clamps, the fast loop's limits (output shifts -21 and -22, input shift -31)
    and what lies past them (a left shift on the output), a channel vector and a scalar
    broadcast."""
    kernel = "fwgen_nn_add_s8"
    if kernel not in kernels:
        return []
    rng = np.random.default_rng(seed)
    full = (-128, 127)
    specs = [  # shapes, log2 of the scales (input 1, input 2, output), clamp
        ([1, 49, 1, 40], None, (-3.1, -5.3, -2.9), full), ([1, 49, 1, 40], None, (-6.2, -4.0, -3.7), full),
        ([1, 2, 1, 40], None, (-2.0, -2.6, -1.5), full), ([1, 25, 1, 40], None, (-4.0, -4.0, -3.0), full),
        ([1, 7, 3, 16], None, (-4.5, -3.2, -3.0), (-21, 127)), ([1, 7, 3, 16], None, (-3.2, -4.5, -3.0), (-40, 60)),
        ([1, 5, 4, 9], None, (-3.0, -3.0, -2.0), (5, 127)), ([1, 9, 1, 13], None, (-2.0, -2.1, -2.0 + 2.6), full),
        ([1, 9, 1, 13], None, (-2.0, -2.1, -2.0 + 3.5), full), ([1, 9, 1, 13], None, (-2.0, -2.1, -2.0 - 21.5), full),
        ([1, 3, 3, 11], None, (-2.0, -32.6, -1.0), full), ([1, 6, 2, 8], None, (-4.0, -5.0, -1.5), (-128, -100)),
        ([1, 1, 1, 3], None, (-3.0, -2.0, -2.5), full),
        ([1, 6, 5, 24], [1, 1, 1, 24], (-3.0, -4.0, -2.5), full),
        ([1, 1, 1, 1], [1, 4, 3, 10], (-3.0, -4.0, -2.5), (-100, 127))]
    cases = [_add(rng, f"add_edge{i}", kernel, [a, b or a], scales, act)
             for i, (a, b, scales, act) in enumerate(specs)]
    # every pair of input values: the larger input's multiplier 1/2 on either side, on both
    # (equal scales), on neither (multipliers TFLM's ADD does not give, which the loop takes)
    pairs = (np.tile(np.arange(-128, 128), 256), np.repeat(np.arange(-128, 128), 256))
    for i, (scales, act, quant) in enumerate([
            ((-3.1, -5.3, -2.9), full, {"input1_offset": 128, "input2_offset": -127, "output_offset": -128}),
            ((-4.6, -3.3, -3.0), (-100, 60), {"input1_offset": -127, "input2_offset": 128, "output_offset": 127}),
            ((-4.0, -4.0, -3.2), (5, 127), None),
            ((-2.5, -3.7, -1.2), (-128, 90), {"input1_multiplier": 1589352229, "input1_shift": -1})]):
        cases.append(_add(rng, f"add_pairs{i}", kernel, [[1, 1, 256, 256]] * 2, scales, act,
                          pairs, quant))
        cases[-1].label += " all pairs"
    for c in cases:
        c.label = c.label.replace("random", "edge", 1)
    return cases


def _fully_connected(rng, name: str, kernel: str) -> Case:
    from fwgen.compiler.lowering import decl
    from fwgen.testing.harness import c_array

    batches, depth, out_depth = (int(rng.integers(1, 4)), int(rng.integers(1, 300)),
                                 int(rng.integers(1, 20)))
    per_channel = int(rng.random() < 0.5)
    lo, hi = _act(rng)
    arrays, quant = _quant(rng, out_depth if per_channel else 1, name)
    arrays += [c_array("int8_t", f"{name}_filter", rng.integers(-128, 128, out_depth * depth)),
               c_array("int32_t", f"{name}_bias", rng.integers(-2**20, 2**20, out_depth))]
    params = {"batches": batches, "accum_depth": depth, "out_depth": out_depth,
              "output_offset": int(rng.integers(-128, 128)), "act_min": lo, "act_max": hi,
              "per_channel": per_channel}
    decls = [decl("fwgen_nn_fc_params_t", f"{name}_params", params), quant]
    call = f"{kernel}(&{name}_params, &{name}_quant, @in@, {name}_filter, {name}_bias, @out@)"
    return Case(kernel, f"random {batches}x{depth} -> {out_depth}"
                + (" per-channel" if per_channel else ""), decls, call,
                rng.integers(-128, 128, batches * depth, dtype=np.int8), batches * out_depth,
                batches * depth * out_depth, arrays=arrays)


def random_cases(kernels: list[str], count: int, seed: int) -> list[Case]:
    """`count` random cases per kernel, each kernel's from its own stream (the seed and the
    kernel's name): a new variant leaves the other kernels' cases as they were."""
    cases = []
    for k in kernels:
        rng = np.random.default_rng([seed, zlib.crc32(k.encode())])
        cases += [random_case(rng, k, i) for i in range(count)]
    return cases


def edge_cases(kernels: list[str], seed: int = 5) -> list[Case]:
    """Windows at the variants' stack limits, where a column of 4k + 3 taps is longest (a
    CONV_2D 5x3 over 17 channels overran its column buffer once), and the single-input-channel
    path's shapes and limits."""
    rng = np.random.default_rng(seed)
    cases = []
    if "fwgen_nn_conv2d_s8" in kernels:
        k = "fwgen_nn_conv2d_s8"
        for i, (k_h, k_w, k_c, out_c) in enumerate([(5, 3, 17, 10), (1, 1, 255, 5), (1, 1, 256, 4),
                                                    (1, 1, 511, 3), (3, 3, 57, 3), (1, 1, 513, 2)]):
            cases.append(_conv_like(rng, f"conv_edge{i}", k, k_c, out_c,
                                    {"n": out_c, "h": k_h, "w": k_w, "c": k_c}, k_h, k_w,
                                    depthwise=False))
    if "fwgen_nn_depthwise_conv2d_s8" in kernels:
        k = "fwgen_nn_depthwise_conv2d_s8"
        for i, (k_h, k_w, in_c, mult) in enumerate([(15, 17, 1, 2), (16, 16, 1, 2), (3, 5, 1, 8),
                                                    (3, 3, 255, 1), (3, 3, 257, 1)]):
            out_c = in_c * mult
            cases.append(_conv_like(rng, f"dw_edge{i}", k, in_c, out_c,
                                    {"n": 1, "h": k_h, "w": k_w, "c": out_c}, k_h, k_w,
                                    depthwise=True))
    # one input channel into many (nn_dsp_conv1ch.h): odd widths, channel tails, the filter
    # buffer's limit (16 channels x 5 rows x 4 pairs), the rows' (16), the channels' (32), both
    # filter orders
    for i, (k_h, k_w, out_c) in enumerate([(3, 3, 32), (10, 8, 8), (5, 7, 6), (1, 9, 10),
                                           (5, 7, 16), (16, 1, 4), (2, 2, 32), (4, 5, 3)]):
        if "fwgen_nn_conv2d_s8" in kernels:
            cases.append(_conv_like(rng, f"conv1ch_edge{i}", "fwgen_nn_conv2d_s8", 1, out_c,
                                    {"n": out_c, "h": k_h, "w": k_w, "c": 1}, k_h, k_w,
                                    depthwise=False))
        if "fwgen_nn_depthwise_conv2d_s8" in kernels:
            cases.append(_conv_like(rng, f"dw1ch_edge{i}", "fwgen_nn_depthwise_conv2d_s8", 1,
                                    out_c, {"n": 1, "h": k_h, "w": k_w, "c": out_c}, k_h, k_w,
                                    depthwise=True))
    # its 3x3 path (right shifts of 1 to 22 only): strides, borders, channel counts, a row at
    # the buffer's 96 columns, shifts beyond 22 (the ring then)
    for i, (out_c, log2, width) in enumerate([(32, (-20, -1.05), None), (2, (-20, -1.05), None),
                                              (17, (-12, -1.05), None), (31, (-20, -1.05), 94),
                                              (5, (-23.5, -21.5), None), (32, (-8, -1.05), 5)]):
        for kernel, dims, dw in (("fwgen_nn_conv2d_s8", {"n": out_c, "h": 3, "w": 3, "c": 1}, False),
                                 ("fwgen_nn_depthwise_conv2d_s8", {"n": 1, "h": 3, "w": 3, "c": out_c},
                                  True)):
            if kernel in kernels:
                cases.append(_conv_like(rng, f"{kernel[9:13]}3x3_edge{i}", kernel, 1, out_c, dims,
                                        3, 3, depthwise=dw, rshift=log2, in_w=width))
                cases[-1].label += " rshift"
    # its 8-wide path (rows of 7 or 8 taps at stride 2, right shifts 1 to 22): micro_speech's
    # shape, odd row counts (a padding row), odd widths (an overlapping last pair), channel
    # tails, the table's limit (16 rows x 5 channels) and past it (the ring)
    for i, (k_h, k_w, out_c, width) in enumerate([(10, 8, 8, 40), (9, 7, 3, None), (5, 8, 17, 23),
                                                  (16, 8, 5, None), (16, 8, 6, None), (1, 8, 32, 11),
                                                  (2, 7, 2, None)]):
        for kernel, dims, dw in (("fwgen_nn_conv2d_s8", {"n": out_c, "h": k_h, "w": k_w, "c": 1}, False),
                                 ("fwgen_nn_depthwise_conv2d_s8", {"n": 1, "h": k_h, "w": k_w, "c": out_c},
                                  True)):
            if kernel in kernels:
                cases.append(_conv_like(rng, f"{kernel[9:13]}w8_edge{i}", kernel, 1, out_c, dims,
                                        k_h, k_w, depthwise=dw, rshift=(-20, -1.05), in_w=width,
                                        stride_w=2))
                cases[-1].label += " rshift"
    # CONV_2D's 1X1 path with right shifts only (its fast blocks): TENet's 40 -> 120 and
    # 120 -> 40, group counts odd and even, taps not a multiple of 8 (the other blocks), the
    # taps' and channels' limits, shifts beyond 22 and exactly 1 (the other blocks)
    if "fwgen_nn_conv2d_s8" in kernels:
        r1 = np.random.default_rng(seed + 1)   # their own stream: the cases below keep theirs
        for i, (k_c, out_c, log2) in enumerate([(40, 120, (-20, -1.05)), (120, 40, (-20, -1.05)),
                                                (12, 7, (-16, -1.05)), (8, 1, (-16, -1.05)),
                                                (256, 256, (-20, -1.05)), (44, 9, (-12, -1.05)),
                                                (16, 5, (-23.5, -21.5)), (24, 6, (-0.999, -0.98))]):
            cases.append(_conv_like(r1, f"conv1x1_edge{i}", "fwgen_nn_conv2d_s8", k_c, out_c,
                                    {"n": out_c, "h": 1, "w": 1, "c": k_c}, 1, 1, depthwise=False,
                                    rshift=log2))
            cases[-1].label += " rshift"
        # its QUAD windows (gathered): TENet's first layer 3x1 over 104 channels, the taps'
        # limit (320) and a 4k + 3 column at it (11x1 x 29 = 319)
        for i, (k_h, k_w, k_c, out_c) in enumerate([(3, 1, 104, 40), (1, 1, 320, 6), (11, 1, 29, 5),
                                                    (4, 2, 40, 3)]):
            cases.append(_conv_like(r1, f"convquad_edge{i}", "fwgen_nn_conv2d_s8", k_c, out_c,
                                    {"n": out_c, "h": k_h, "w": k_w, "c": k_c}, k_h, k_w,
                                    depthwise=False, rshift=(-20, -1.05)))
            cases[-1].label += " rshift"
    # MEAN's column sums: more rows than an int16 lane holds (chunks), kept batches, tails;
    # pooling: windows of 256 and 257 taps (the int16 lanes' limit), MLTK on_off_v3's 2x1 over 40
    if "fwgen_nn_mean_s8" in kernels:
        for i, (shape, axes) in enumerate([([1, 12, 8, 256], [1, 2]), ([1, 20, 15, 13], [1, 2]),
                                           ([3, 17, 16, 9], [0, 1, 2]), ([2, 5, 3, 7], [1, 2]),
                                           ([4, 300, 12], [0, 1]), ([6, 5, 24], [2])]):
            cases.append(_mean(rng, f"mean_edge{i}", "fwgen_nn_mean_s8", i, shape, axes))
    for kernel in ("fwgen_nn_avg_pool2d_s8", "fwgen_nn_max_pool2d_s8"):
        if kernel in kernels:
            for i, (shape, filt, stride) in enumerate([((1, 2, 1, 40), (2, 1), (2, 1)),
                                                       ((1, 16, 16, 9), (16, 16), (1, 1)),
                                                       ((1, 17, 16, 6), (17, 16), (1, 1)),
                                                       ((2, 12, 8, 36), (3, 3), (2, 2))]):
                cases.append(_pool(rng, f"{kernel[9:12]}pool_edge{i}", kernel, shape, filt, stride))
    for c in cases:
        c.label = c.label.replace("random", "edge", 1)
    return cases + depthwise_m1_cases(kernels) + add_edge_cases(kernels)


def depthwise_m1_cases(kernels: list[str], seed: int = 7) -> list[Case]:
    """Depth multiplier 1 as int8 models have it (right shifts only, the whole int8 clamp), for
    the DSP variant's tabled path: Yamnet's 3x3 strides 1 and 2 SAME, odd widths, borders,
    channel tails, the table's 256-channel limit and past it, TENet's 9x1 over 98 and 49 rows
    of 1 column, other window sizes, a shift of 0 (which the path leaves to the others)."""
    from fwgen.compiler.geometry import window
    from fwgen.compiler.lowering import decl
    from fwgen.compiler.quant import quantize_multiplier
    from fwgen.testing.harness import c_array

    kernel = "fwgen_nn_depthwise_conv2d_s8"
    if kernel not in kernels:
        return []
    rng = np.random.default_rng(seed)
    cases = []
    # in_h, in_w, channels, k_h, k_w, stride, dilation, padding, reverse, log2 of the scales
    for i, (in_h, in_w, ch, k_h, k_w, s, d, padding, rev, log2, *batch) in enumerate([
            (9, 7, 32, 3, 3, 1, 1, "SAME", 0, (-9, -5)), (11, 9, 64, 3, 3, 2, 1, "SAME", 1, (-9, -5)),
            (10, 6, 64, 3, 3, 2, 1, "SAME", 0, (-9, -5)), (5, 5, 256, 3, 3, 1, 1, "SAME", 1, (-9, -5)),
            (4, 3, 260, 3, 3, 1, 1, "SAME", 0, (-9, -5)), (7, 5, 18, 3, 3, 1, 1, "SAME", 0, (-20, -1.05)),
            (6, 4, 3, 3, 3, 1, 1, "VALID", 1, (-9, -5)), (98, 1, 120, 9, 1, 1, 1, "SAME", 0, (-9, -5)),
            (49, 1, 120, 9, 1, 2, 1, "SAME", 1, (-9, -5)), (8, 9, 20, 5, 5, 1, 1, "SAME", 0, (-12, -2)),
            (7, 8, 8, 2, 3, 2, 1, "VALID", 1, (-12, -2)), (6, 7, 12, 3, 3, 1, 1, "SAME", 0, (-3, -0.2)),
            (9, 10, 16, 3, 3, 1, 2, "SAME", 0, (-9, -5)), (12, 5, 24, 3, 2, 2, 3, "SAME", 1, (-9, -5)),
            (5, 12, 8, 1, 9, 1, 1, "SAME", 1, (-9, -5)), (14, 3, 16, 9, 1, 1, 1, "SAME", 0, (-9, -5)),
            (12, 3, 12, 3, 3, 1, 1, "VALID", 1, (-9, -5)), (30, 1, 40, 9, 1, 2, 1, "VALID", 0, (-9, -5)),
            (20, 2, 8, 9, 1, 1, 2, "SAME", 1, (-9, -5)), (6, 5, 16, 3, 3, 1, 1, "SAME", 1, (-9, -5), 2),
            (9, 1, 8, 9, 1, 1, 1, "SAME", 0, (-9, -5), 2)]):
        n = batch[0] if batch else 1
        name = f"dwm1_edge{i}"
        win = window(padding, in_h, in_w, k_h, k_w, s, s, d, d)
        pairs = [quantize_multiplier(float(2.0 ** rng.uniform(*log2))) for _ in range(ch)]
        arrays = [c_array("int32_t", f"{name}_mult", [p[0] for p in pairs]),
                  c_array("int8_t", f"{name}_shift", [p[1] for p in pairs]),
                  c_array("int8_t", f"{name}_filter", rng.integers(-128, 128, k_h * k_w * ch)),
                  c_array("int32_t", f"{name}_bias", rng.integers(-2**15, 2**15, ch))]
        params = {"input": {"n": n, "h": in_h, "w": in_w, "c": ch},
                  "filter": {"n": 1, "h": k_h, "w": k_w, "c": ch},
                  "output": {"n": n, "h": win.out_h, "w": win.out_w, "c": ch},
                  "stride_h": s, "stride_w": s, "dilation_h": d, "dilation_w": d,
                  "pad_top": win.pad_top, "pad_left": win.pad_left,
                  "input_offset": int(rng.integers(-127, 129)),
                  "output_offset": int(rng.integers(-128, 128)), "act_min": -128, "act_max": 127,
                  "reverse": rev}
        decls = [decl("fwgen_nn_conv_params_t", f"{name}_params", params),
                 f"static const fwgen_nn_per_channel_t {name}_quant = "
                 f"{{.multiplier = {name}_mult, .shift = {name}_shift}};"]
        call = f"{kernel}(&{name}_params, 1, &{name}_quant, @in@, {name}_filter, {name}_bias, @out@)"
        pixels = n * win.out_h * win.out_w
        cases.append(Case(kernel, f"edge {'%dx' % n if n > 1 else ''}{in_h}x{in_w}x{ch} {k_h}x{k_w}/"
                          f"{s}x{s} d{d}x{d} {padding} -> {ch} x1" + (" rev" if rev else "")
                          + " rshift", decls, call,
                          rng.integers(-128, 128, n * in_h * in_w * ch, dtype=np.int8), pixels * ch,
                          pixels * ch * k_h * k_w, arrays=arrays))
    return cases

# ---------------------------------------------------------------- the image

MAIN = r"""
#include <stdint.h>
#include <string.h>
#include "nn/nn.h"
#include "app/harness/harness.h"
#include "nn_cases.h"

static int8_t out_a[NN_OUT_MAX];
static int8_t out_b[NN_OUT_MAX];
static uint32_t results[NN_CASES][5];

int main(void)
{
    if (fwgen_harness_init() != FWGEN_OK) return 2;
    for (uint32_t i = 0; i < NN_CASES; ++i) {
        const nn_case_t *c = &nn_cases[i];
        memset(out_a, 0x55, c->out_bytes);
        memset(out_b, 0xAA, c->out_bytes);
        uint32_t status = 0;
        uint32_t start = fwgen_port_cycles();
        for (uint32_t r = 0; r < c->reps; ++r) status |= (uint32_t)c->portable(out_a);
        const uint32_t ticks_a = fwgen_port_cycles() - start;
        start = fwgen_port_cycles();
        for (uint32_t r = 0; r < c->reps; ++r) status |= (uint32_t)c->variant(out_b) << 8;
        const uint32_t ticks_b = fwgen_port_cycles() - start;
        uint32_t mismatches = 0;
        for (uint32_t k = 0; k < c->out_bytes; ++k) mismatches += out_a[k] != out_b[k];
        results[i][0] = status;
        results[i][1] = ticks_a;
        results[i][2] = ticks_b;
        results[i][3] = mismatches;
        results[i][4] = c->reps;
    }
    int out = fwgen_harness_open("results.bin");
    if (out < 0) return 3;
    fwgen_harness_write(out, results, sizeof results);
    fwgen_harness_close(out);
    return 0;
}
"""


def portable_wrapper(kernel: str) -> str:
    """A C file that compiles firmware/nn/<kernel file> with its function renamed."""
    source = NN_DIR / f"{kernel.removeprefix('fwgen_')}.c"
    return (f"/* the portable kernel under another name, beside the board's variant */\n"
            f"#define {kernel} {kernel}_portable\n"
            f"#define {kernel}_get_buffer_size {kernel}_get_buffer_size_portable\n"
            f"#include \"{source}\"\n")


def image_files(cases: list[Case]) -> dict[str, str]:
    kernels = sorted({c.kernel for c in cases})
    header = ["#include <stdint.h>", "#include \"nn/nn.h\"",
              "typedef struct {", "    fwgen_status_t (*portable)(int8_t *out);",
              "    fwgen_status_t (*variant)(int8_t *out);", "    uint32_t out_bytes;",
              "    uint32_t reps;", "} nn_case_t;",
              f"#define NN_CASES {len(cases)}u",
              f"#define NN_OUT_MAX {max(c.out_bytes for c in cases)}u",
              "extern const nn_case_t nn_cases[NN_CASES];"]
    header += [f"fwgen_status_t {k}_portable{_signature(k)};" for k in kernels]
    body = ["#include <stddef.h>", "#include \"nn_cases.h\""]
    table = []
    for i, c in enumerate(cases):
        body += [f"/* {c.label} */"] + c.arrays
        body.append(f"static const int8_t case{i}_input[{c.input_values.size}] = {{"
                    + ", ".join(str(int(v)) for v in c.input_values) + "};")
        body += c.decls
        call = c.call.replace("@in@", f"case{i}_input").replace("@out@", "out")
        for which, name in (("portable", call.replace(f"{c.kernel}(", f"{c.kernel}_portable(", 1)),
                            ("variant", call)):
            body.append(f"static fwgen_status_t case{i}_{which}(int8_t *out) {{ return {name}; }}")
        table.append(f"    {{case{i}_portable, case{i}_variant, {c.out_bytes}u, {c.reps}u}},")
    body += ["const nn_case_t nn_cases[NN_CASES] = {"] + table + ["};"]
    files = {"nn_cases.h": "\n".join(header) + "\n", "nn_cases.c": "\n".join(body) + "\n"}
    for k in kernels:
        files[f"portable_{k.removeprefix('fwgen_')}.c"] = portable_wrapper(k)
    return files


def _signature(kernel: str) -> str:
    """The kernel's parameter list, from nn.h."""
    text = (NN_DIR / "nn.h").read_text()
    match = re.search(rf"fwgen_status_t {kernel}(\([^;]*\));", text)
    if match is None:
        raise ValueError(f"{kernel} is not declared in nn.h")
    return match.group(1)


@dataclass
class Result:
    case: Case
    status: int
    portable: float     # instructions per call
    variant: float
    mismatches: int


def run_cases(board_id: str, cases: list[Case], work: Path) -> list[Result]:
    """Build and run one image with `cases` on a twin."""
    from fwgen.testing.harness import Twin, build_image, run_image

    for c in cases:
        c.reps = max(1, min(64, MIN_TIMED_MACS // max(1, c.macs)))
    twin = Twin.from_board(board_id)
    elf = build_image(twin, work / "image", MAIN, image_files(cases), modules=("nn",))
    run_image(twin, elf, cwd=work, icount=True, timeout=900)
    words = struct.unpack(f"<{len(cases) * RESULT_WORDS}I", (work / "results.bin").read_bytes())
    results = []
    for i, c in enumerate(cases):
        status, ta, tb, mism, reps = words[i * RESULT_WORDS:(i + 1) * RESULT_WORDS]
        results.append(Result(c, status, ta * twin.ns_per_tick / reps, tb * twin.ns_per_tick / reps,
                              mism))
    return results


def main() -> int:
    sys.path.insert(0, str(ROOT / "host"))
    from fwgen.testing.harness import TWIN_BOARDS, Twin, tools_missing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", nargs="+", default=list(TWIN_BOARDS), metavar="BOARD")
    parser.add_argument("--random", type=int, default=24, help="random cases per kernel")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--match", metavar="REGEX",
                        help="only the cases whose kernel and label (as printed) match REGEX")
    args = parser.parse_args()
    if tools_missing():
        print(f"needs {', '.join(tools_missing())}", file=sys.stderr)
        return 1
    kernels = variant_kernels()
    cases = zoo_cases(kernels) + edge_cases(kernels) + random_cases(kernels, args.random, args.seed)
    if args.match:
        cases = [c for c in cases
                 if re.search(args.match, f"{c.kernel.removeprefix('fwgen_nn_')} {c.label}")]
        if not cases:
            print(f"no case matches --match {args.match!r}", file=sys.stderr)
            return 1
    print("# firmware/nn/dsp/ variants vs the portable kernels on the QEMU twins, arm-none-eabi-gcc "
          "-O2; instructions per call (SysTick under -icount shift=0; 1 tick = 1e9 / clock_hz "
          "instructions)")
    print(f"# kernels with a variant: {', '.join(kernels)}; random seed {args.seed}"
          + (f"; only the cases matching --match {args.match!r}" if args.match else ""))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for board_id in args.boards:
            twin = Twin.from_board(board_id)
            print(f"\n{twin.machine} ({twin.core})")
            header = (f"{'kernel':28} {'case':58} {'MACs':>9} {'portable':>11} {'/MAC':>6} "
                      f"{'variant':>11} {'/MAC':>6} {'x':>5} {'exact':>5}")
            print(header)
            print("-" * len(header))
            totals: dict[str, list[float]] = {}
            for r in run_cases(board_id, cases, Path(tmp) / board_id):
                exact = r.status == 0 and r.mismatches == 0
                failed += not exact
                macs = max(1, r.case.macs)
                print(f"{r.case.kernel.removeprefix('fwgen_nn_'):28} {r.case.label[:58]:58} "
                      f"{r.case.macs:9d} {r.portable:11,.0f} {r.portable / macs:6.2f} "
                      f"{r.variant:11,.0f} {r.variant / macs:6.2f} "
                      f"{r.portable / max(r.variant, 1):5.1f} {str(exact):>5}", flush=True)
                if not r.case.label.startswith(("random", "edge")):   # a model's layer
                    model = r.case.label.split()[0]
                    t = totals.setdefault(f"{model} {r.case.kernel.removeprefix('fwgen_nn_')}",
                                          [0, 0, 0])
                    t[0] += r.case.macs
                    t[1] += r.portable
                    t[2] += r.variant
            for key, (macs, a, b) in totals.items():
                print(f"total {key:56} {macs:9d} {a:11,.0f} {a / macs:6.2f} {b:11,.0f} "
                      f"{b / macs:6.2f} {a / b:5.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
