"""ADD/MUL broadcast geometry (fwgen.compiler.ops._binary.collapse): the collapsed dims and
strides address exactly the elements numpy broadcasting pairs, in the output's order."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from fwgen.compiler.ops._binary import collapse


def _gathered(dims, strides, values):
    """The kernels' loop nest: the input element of each output element, in order."""
    out = []
    for idx in itertools.product(*(range(d) for d in dims)):
        out.append(values[sum(i * s for i, s in zip(idx, strides))])
    return np.array(out)


SHAPES = [(o, a, b) for o in ([1, 3, 4, 5], [2, 1, 3, 4], [1, 1, 1, 6], [1, 1, 1, 1])
          for a in itertools.product(*((1, d) for d in o))
          for b in itertools.product(*((1, d) for d in o))
          if all(max(x, y) == d for x, y, d in zip(a, b, o))]


@pytest.mark.parametrize("out, a, b", SHAPES)
def test_collapsed_loops_pair_the_broadcast_elements(out, a, b):
    va = np.arange(int(np.prod(a)))
    vb = 1000 + np.arange(int(np.prod(b)))
    dims, sa, sb = collapse(list(out), list(a), list(b))
    assert len(dims) == 4 and int(np.prod(dims)) == int(np.prod(out))
    want_a = np.broadcast_to(va.reshape(a), out).reshape(-1)
    want_b = np.broadcast_to(vb.reshape(b), out).reshape(-1)
    assert (_gathered(dims, sa, va) == want_a).all()
    assert (_gathered(dims, sb, vb) == want_b).all()


def test_equal_shapes_are_one_row_and_a_channel_vector_rows_of_channels():
    assert collapse([1, 49, 1, 40], [1, 49, 1, 40], [1, 49, 1, 40]) == \
        ([1, 1, 1, 1960], [0, 0, 0, 1], [0, 0, 0, 1])
    assert collapse([1, 6, 5, 24], [1, 6, 5, 24], [1, 1, 1, 24]) == \
        ([1, 1, 30, 24], [0, 0, 24, 1], [0, 0, 0, 1])
