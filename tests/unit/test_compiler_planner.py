"""The memory planner: legality under random lifetimes, overlap rules, optimality cases."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fwgen.compiler import planner
from fwgen.compiler.geometry import Window, elementwise_distance, window, windowed_distance


def _max_live(buffers):
    steps = range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)
    return max(sum(b.size for b in buffers if b.first <= t <= b.last) for t in steps)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, 20), st.integers(0, 6)), min_size=1, max_size=25))
def test_plan_is_legal_and_bounded(specs):
    buffers = [planner.Buffer(f"b{i}", size, first, first + length) for i, (size, first, length) in enumerate(specs)]
    arena = planner.plan(buffers, [])
    planner.check(buffers, [])
    assert arena % 4 == 0
    assert arena >= _max_live(buffers)
    assert arena <= sum((b.size + 3) // 4 * 4 for b in buffers)


def test_dead_buffers_are_reused():
    chain = [planner.Buffer(f"t{i}", 1000, i, i + 1) for i in range(6)]
    assert planner.plan(chain, []) == 2000
    planner.check(chain, [])


def test_overlap_rule_down_and_up():
    a = planner.Buffer("in", 1000, 0, 1)
    b = planner.Buffer("out", 2000, 1, 2)
    rule = planner.OverlapRule("in", "out", down=1500, up=40)
    arena = planner.plan([a, b], [rule])
    planner.check([a, b], [rule])
    assert arena == 2040  # the output starts 40 bytes above the input (reverse order)
    assert planner.reverse_needed(a.offset, b.offset, a.size, b.size, rule)
    # without the rule the buffers cannot share bytes
    a2, b2 = planner.Buffer("in", 1000, 0, 1), planner.Buffer("out", 2000, 1, 2)
    assert planner.plan([a2, b2], []) == 3000


def test_illegal_overlap_is_detected():
    a = planner.Buffer("in", 1000, 0, 1, offset=0)
    b = planner.Buffer("out", 1000, 1, 2, offset=10)
    try:
        planner.check([a, b], [planner.OverlapRule("in", "out", down=0, up=20)])
    except AssertionError:
        return
    raise AssertionError("an overlap closer than the rule allows was accepted")


def test_windowed_distances_1x1_expansion():
    win = window("SAME", 4, 4, 1, 1, 1, 1)
    down, up = windowed_distance((1, 4, 4, 8), (1, 4, 4, 16), win, 1, 1, 1, 1)
    assert down == 16 * 16 - 15 * 8  # last pixel: 256 bytes written, input read from 120
    assert up == 8                     # first pixel: reads 8 bytes, writes from 0


def test_windowed_distance_handles_clamped_padding_rows():
    # 3x3 SAME stride 1: the first two output rows both read input row 0 from column 0
    win = Window(out_h=3, out_w=3, pad_top=1, pad_left=1)
    down, up = windowed_distance((1, 3, 3, 1), (1, 3, 3, 1), win, 1, 1, 3, 3)
    assert down == 5 and up == 5  # pixel 4 has written 5 bytes and still reads input byte 0


def test_elementwise_distance():
    assert elementwise_distance(10, 1, 1) == 0
    assert elementwise_distance(10, 4, 1) == 0
    assert elementwise_distance(10, 1, 4) == 27


def test_compiled_plan_holds_scratch_and_reshape_in_place(shared_data):
    """On a real graph: a MEAN's int32 accumulator scratch is planned for its one step and shares
    the arena with buffers dead by then; RESHAPE adds no buffer (micro_speech's input reshape)."""
    import numpy as np
    import pytest

    from fwgen.compiler import compile_model
    from fwgen.testing import testmodels
    from fwgen.tflite import read_model

    tf = pytest.importorskip("tensorflow")
    L = tf.keras.layers
    data = testmodels.single_op(
        lambda x: L.Dense(3)(L.GlobalAveragePooling2D()(L.Conv2D(16, 3, padding="same")(L.Conv2D(8, 1)(x)))),
        (10, 10, 4))
    compiled = compile_model(data)
    scratch = {k: v for k, v in compiled.plan.items() if "scratch" in k}
    assert len(scratch) == 1
    (offset, size), = scratch.values()
    assert size == 4 * 16                      # one int32 accumulator per output channel
    assert offset + size <= compiled.arena_bytes
    sizes = sorted(s for k, (_, s) in compiled.plan.items() if "scratch" not in k)
    assert compiled.arena_bytes < sum(sizes)   # dead buffers reused
    ms = compile_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite")
    m = read_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite")
    activations = [t for t in m.tensors if not t.is_constant]
    assert len(ms.plan) < len(activations)     # RESHAPE's output aliases its input
    assert ms.arena_bytes == max(o + s for o, s in ms.plan.values())
    assert np.prod(ms.input.shape) == 1960
