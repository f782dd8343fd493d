/*
 * Internal helpers shared by the windowed kernels (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D,
 * MAX_POOL_2D): where an output pixel's filter window lies in the input, and clamping.
 * Not part of the public API: kernels include it, the generated model does not.
 */
#ifndef FWGEN_NN_WINDOW_H
#define FWGEN_NN_WINDOW_H

#include <stdint.h>

#include "nn/nn.h"

/** The input window of one output pixel. */
typedef struct {
    int32_t b;         /**< batch */
    int32_t y0, x0;    /**< input row/column of filter tap (0, 0); negative inside top/left padding */
    int32_t ky0, ky1;  /**< filter rows [ky0, ky1) that fall inside the input */
    int32_t kx0, kx1;  /**< filter columns [kx0, kx1) that fall inside the input */
} fwgen_nn_window_t;

/** v clamped to [lo, hi]. */
static inline int32_t fwgen_nn_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/** First and one-past-last filter tap k with 0 <= origin + k * dilation < size (empty: first == end). */
static inline void fwgen_nn_tap_range(int32_t origin, int32_t dilation, int32_t taps, int32_t size,
                                      int32_t *first, int32_t *end)
{
    int32_t k0 = 0;
    while (k0 < taps && origin + k0 * dilation < 0) {
        ++k0;
    }
    int32_t k1 = taps;
    while (k1 > k0 && origin + (k1 - 1) * dilation >= size) {
        --k1;
    }
    *first = k0;
    *end = k1;
}

/**
 * Window of output pixel `px` (index over output n, h, w in that order).
 * @param[in] in, out      NHWC input and output dimensions
 * @param[in] k_h, k_w     filter taps; stride_*, dilation_* >= 1; pad_top/pad_left as TFLM pads
 */
static inline fwgen_nn_window_t fwgen_nn_window(int32_t px, const fwgen_nn_dims_t *in,
                                                const fwgen_nn_dims_t *out, int32_t k_h, int32_t k_w,
                                                int32_t stride_h, int32_t stride_w,
                                                int32_t dilation_h, int32_t dilation_w,
                                                int32_t pad_top, int32_t pad_left)
{
    fwgen_nn_window_t win;
    win.b = px / (out->h * out->w);
    win.y0 = ((px / out->w) % out->h) * stride_h - pad_top;
    win.x0 = (px % out->w) * stride_w - pad_left;
    fwgen_nn_tap_range(win.y0, dilation_h, k_h, in->h, &win.ky0, &win.ky1);
    fwgen_nn_tap_range(win.x0, dilation_w, k_w, in->w, &win.kx0, &win.kx1);
    return win;
}

#endif /* FWGEN_NN_WINDOW_H */
