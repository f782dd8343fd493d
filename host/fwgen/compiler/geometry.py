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

    def no_padding(self, in_h: int, in_w: int, k_h: int, k_w: int, s_h: int, s_w: int,
                   d_h: int = 1, d_w: int = 1) -> bool:
        """True when every filter tap of every output pixel lies inside the input."""
        return (self.pad_top == 0 and self.pad_left == 0
                and (self.out_h - 1) * s_h + (k_h - 1) * d_h + 1 <= in_h
                and (self.out_w - 1) * s_w + (k_w - 1) * d_w + 1 <= in_w)


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
                      s_h: int, s_w: int, k_h: int, k_w: int, d_h: int = 1, d_w: int = 1,
                      in_bytes: int = 1, out_bytes: int = 1) -> tuple[int, int] | None:
    """Overlap distances (down, up) of a sliding-window kernel over NHWC pixels.

    Forward order (pixel 0 first): while output pixel p is computed, no input byte below the
    lowest byte read by pixels >= p is needed and at most (p + 1) * C_out output bytes are
    written, so the output may start `down = max_p(written_p - lowest_p)` bytes below the input.
    Reverse order (last pixel first): output bytes from p * C_out up are written while input
    bytes below the highest byte read by pixels <= p are still needed, so the output may start
    `up = max_p(highest_p - p * C_out)` bytes above the input. Batches other than 1: None.
    """
    if len(in_shape) != 4 or len(out_shape) != 4 or in_shape[0] != 1 or out_shape[0] != 1:
        return None
    _, in_h, in_w, in_c = in_shape
    _, out_h, out_w, out_c = out_shape
    oy = np.arange(out_h, dtype=np.int64)[:, None]
    ox = np.arange(out_w, dtype=np.int64)[None, :]
    y0 = oy * s_h - win.pad_top
    x0 = ox * s_w - win.pad_left
    y_lo, x_lo = np.clip(y0, 0, in_h - 1), np.clip(x0, 0, in_w - 1)
    y_hi = np.clip(y0 + (k_h - 1) * d_h, 0, in_h - 1)
    x_hi = np.clip(x0 + (k_w - 1) * d_w, 0, in_w - 1)
    lowest = np.broadcast_to((y_lo * in_w + x_lo) * in_c * in_bytes, (out_h, out_w)).reshape(-1)
    highest = np.broadcast_to(((y_hi * in_w + x_hi) + 1) * in_c * in_bytes, (out_h, out_w)).reshape(-1)
    lowest = np.minimum.accumulate(lowest[::-1])[::-1]     # lowest read by any pixel >= p
    highest = np.maximum.accumulate(highest)               # highest read by any pixel <= p
    p = np.arange(out_h * out_w, dtype=np.int64)
    down = int(max(0, ((p + 1) * out_c * out_bytes - lowest).max()))
    up = int(max(0, (highest - p * out_c * out_bytes).max()))
    return down, up


def elementwise_distance(count: int, in_bytes: int, out_bytes: int) -> int:
    """Element i is read before it is written: distance max(0, (count - 1) * (out - in))."""
    return max(0, (count - 1) * (out_bytes - in_bytes))
