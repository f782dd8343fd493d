"""Window geometry (TFLM's padding rules) and the streaming-overlap distances the planner uses."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    out_h: int
    out_w: int
    pad_top: int
    pad_left: int


def out_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    eff = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size - eff + stride) // stride


def pad_before(in_size: int, filter_size: int, stride: int, dilation: int, out: int) -> int:
    """TFLM ComputePaddingWithOffset: total = max(0, (out-1)*stride + eff - in); before = total // 2."""
    eff = (filter_size - 1) * dilation + 1
    total = max(0, (out - 1) * stride + eff - in_size)
    return total // 2


def window(padding: str, in_h: int, in_w: int, k_h: int, k_w: int, s_h: int, s_w: int,
           d_h: int = 1, d_w: int = 1) -> Window:
    oh = out_size(padding, in_h, k_h, s_h, d_h)
    ow = out_size(padding, in_w, k_w, s_w, d_w)
    return Window(oh, ow, pad_before(in_h, k_h, s_h, d_h, oh), pad_before(in_w, k_w, s_w, d_w, ow))


def windowed_distance(in_shape: tuple[int, ...], out_shape: tuple[int, ...], win: Window,
                      s_h: int, s_w: int, in_bytes: int = 1, out_bytes: int = 1) -> int | None:
    """Overlap distance of a sliding-window kernel that writes NHWC output pixel by pixel.

    While output pixel p = (oy, ox) is computed, the kernel reads no input byte below
    (max(0, oy*s_h - pad_top) * W + max(0, ox*s_w - pad_left)) * C, and it has written at most
    (p + 1) * C_out output bytes. The output may start `max_p(written_p - lowest_read_p)` bytes
    below the input. Batches other than 1 are not streamed (None).
    """
    if len(in_shape) != 4 or len(out_shape) != 4 or in_shape[0] != 1 or out_shape[0] != 1:
        return None
    _, in_h, in_w, in_c = in_shape
    _, out_h, out_w, out_c = out_shape
    oy = np.arange(out_h, dtype=np.int64)[:, None]
    ox = np.arange(out_w, dtype=np.int64)[None, :]
    y0 = np.clip(oy * s_h - win.pad_top, 0, in_h)
    x0 = np.clip(ox * s_w - win.pad_left, 0, in_w)
    lowest = (y0 * in_w + x0) * in_c * in_bytes
    p = oy * out_w + ox
    written = (p + 1) * out_c * out_bytes
    return int(max(0, (written - lowest).max()))


def elementwise_distance(count: int, in_bytes: int, out_bytes: int) -> int:
    """Element i is read before it is written: distance max(0, (count - 1) * (out - in))."""
    return max(0, (count - 1) * (out_bytes - in_bytes))
