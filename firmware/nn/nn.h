/*
 * fwgen int8 neural-network kernels (portable C, one op per file).
 *
 * Every kernel is bit-exact with the TensorFlow Lite for Microcontrollers (TFLM) reference
 * kernel of the same op. The compiler (host/fwgen/compiler) computes every quantization
 * constant ahead of time (multipliers, shifts, offsets, activation ranges, folded biases) and
 * the generated model.c calls these kernels with `static const` parameter structs that live in
 * flash. Nothing here allocates memory or uses floating point, except QUANTIZE (float in) and
 * DEQUANTIZE (float out), which exist to wrap float model inputs/outputs.
 *
 * Optimized variants: firmware/nn/dsp/ holds kernels for cores with the DSP extension (boards/
 * <id>.yaml `dsp: true`). A file there named like a portable kernel (nn_conv2d_s8.c) replaces
 * that kernel in firmware builds for such boards (host/fwgen/project/variants.py chooses, for the
 * project renderer, the flash-size figures and the test harness); the host build keeps the
 * portable C. Adding a kernel variant is one new C file in firmware/nn/dsp/; it keeps this
 * header's contract and is tested bit for bit against the portable kernel.
 *
 * Conventions (CMSIS-NN arm_nnfunctions.h style):
 *   - Tensors are dense, row-major; 4-D activations are NHWC.
 *   - `*_offset` fields are ADDED to stored values: input_offset = -input_zero_point,
 *     output_offset = +output_zero_point.
 *   - A (multiplier, shift) pair encodes real = multiplier * 2^(shift - 31), multiplier in
 *     [2^30, 2^31) or 0; shift > 0 is a left shift. Requantization is TFLM's
 *     MultiplyByQuantizedMultiplier (doubling high multiply with rounding, then a rounding
 *     right shift): see fwgen_nn_requantize().
 *   - act_min/act_max: the clamp range of the output in the quantized domain (fused activation).
 *   - Every kernel returns FWGEN_OK, or FWGEN_ERR_ARG for a NULL pointer / invalid parameter.
 *   - Unless a kernel says "in place allowed", input and output buffers must not overlap, except
 *     in the streaming way the fwgen memory planner relies on. Elementwise kernels read element i
 *     before writing element i. Sliding-window kernels (conv, depthwise conv, pooling) compute
 *     output pixels one at a time, in increasing order or, with `reverse` set, from the last
 *     pixel down, and read only the input window of the pixel being computed; the planner lets
 *     the output overlap the part of the input that no remaining pixel reads
 *     (host/fwgen/compiler/geometry.py derives the distances).
 */
#ifndef FWGEN_NN_H
#define FWGEN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- shapes and quantization */

/** NHWC dimensions of a 4-D tensor (lower-rank tensors are padded with leading 1s). */
typedef struct {
    int32_t n; /**< batches */
    int32_t h; /**< height (rows) */
    int32_t w; /**< width (columns) */
    int32_t c; /**< channels (innermost) */
} fwgen_nn_dims_t;

/** Per-channel requantization: arrays of length `count` (output channels). */
typedef struct {
    const int32_t *multiplier; /**< Q31 multipliers, see fwgen_nn_requantize() */
    const int8_t *shift;       /**< exponents (positive = left shift), range [-31, 30] */
} fwgen_nn_per_channel_t;

/* ---------------------------------------------------------------- fixed-point primitives */

/** TFLM SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating INT32_MIN^2. */
int32_t fwgen_nn_doubling_high_mul(int32_t a, int32_t b);

/** TFLM RoundingDivideByPOT: x / 2^exponent rounded half away from zero; exponent in [0, 31]. */
int32_t fwgen_nn_rounding_divide_by_pot(int32_t x, int32_t exponent);

/** TFLM MultiplyByQuantizedMultiplier: x * multiplier * 2^(shift-31) with TFLM's two roundings. */
int32_t fwgen_nn_requantize(int32_t x, int32_t multiplier, int32_t shift);

/**
 * TFLM QuantizeMultiplier (host-side twin of fwgen.compiler.quant.quantize_multiplier, used by
 * the tests; the device never calls it): real = q * 2^(shift-31) with q in [2^30, 2^31).
 * frexp() splits `real`, the significand is rounded half away from zero at 2^31; shifts below
 * -31 flush to zero, above 30 saturate.
 */
void fwgen_nn_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* ---------------------------------------------------------------- CONV_2D */

typedef struct {
    fwgen_nn_dims_t input;  /**< NHWC */
    fwgen_nn_dims_t filter; /**< [out_c, kh, kw, in_c / groups] stored as n=out_c, h, w, c */
    fwgen_nn_dims_t output; /**< NHWC; output.c == filter.n */
    int16_t stride_h, stride_w;
    int16_t dilation_h, dilation_w;
    int16_t pad_top, pad_left;  /**< TFLM padding (total // 2) */
    int32_t input_offset;       /**< -input zero point, [-127, 128] */
    int32_t output_offset;      /**< output zero point, [-128, 127] */
    int32_t act_min, act_max;   /**< output clamp, within [-128, 127] */
    int32_t reverse;            /**< 0: pixels in increasing order; 1: last pixel first */
    int32_t path;               /**< CONV_2D: the kernel variant's code path (FWGEN_NN_CONV_PATH_*),
                                     chosen by the compiler; the portable kernels ignore it */
} fwgen_nn_conv_params_t;

/* Code paths of the CONV_2D DSP variant (firmware/nn/dsp/nn_conv2d_s8.c), one per layer, chosen
 * by fwgen.compiler.ops.conv2d.conv2d_path(); the variant refuses a path its build left out or
 * whose shape limits the layer exceeds (FWGEN_ERR_ARG). */
#define FWGEN_NN_CONV_PATH_NONE 0    /**< none chosen (DEPTHWISE_CONV_2D, the portable kernels) */
#define FWGEN_NN_CONV_PATH_1CH 1     /**< one input channel into many (nn/dsp/nn_dsp_conv1ch.h) */
#define FWGEN_NN_CONV_PATH_PAIR 2    /**< two pixels per filter word, windows <= 256 taps */
#define FWGEN_NN_CONV_PATH_PIXEL 3   /**< one pixel, windows <= 512 taps */
#define FWGEN_NN_CONV_PATH_GENERIC 4 /**< the portable loop, any window */
#define FWGEN_NN_CONV_PATH_1X1 5     /**< 1x1 without groups, four pixels per filter word, <= 320 taps */
#define FWGEN_NN_CONV_PATH_QUAD 6    /**< 1X1's loop for gathered windows, no groups, <= 320 taps */

/**
 * CONV_2D, int8 activations and weights, int32 bias, per-channel requantization
 * (TFLM reference_integer_ops::ConvPerChannel). Grouped convolution when input.c is a multiple
 * of filter.c. Taps outside the input (padding) are skipped.
 * @param[in]  p       shapes, strides, padding, offsets, clamp
 * @param[in]  q       per-output-channel multiplier/shift (filter.n entries)
 * @param[in]  input   input.n*h*w*c int8
 * @param[in]  filter  filter.n*h*w*c int8 (zero point 0)
 * @param[in]  bias    filter.n int32, or NULL
 * @param[out] output  output.n*h*w*c int8, written pixel by pixel in increasing order
 */
fwgen_status_t fwgen_nn_conv2d_s8(const fwgen_nn_conv_params_t *p, const fwgen_nn_per_channel_t *q,
                                  const int8_t *input, const int8_t *filter, const int32_t *bias,
                                  int8_t *output);

/* The arguments fwgen_nn_conv2d_s8 accepts, one definition for the portable kernel and its
 * DSP variant (firmware/nn/dsp/). */
static inline int fwgen_nn_conv2d_args_ok(const fwgen_nn_conv_params_t *p,
                                          const fwgen_nn_per_channel_t *q, const int8_t *input,
                                          const int8_t *filter, const int8_t *output)
{
    return p != NULL && q != NULL && input != NULL && filter != NULL && output != NULL &&
           p->filter.c > 0 && p->input.c % p->filter.c == 0 && p->output.c == p->filter.n &&
           p->output.c % (p->input.c / p->filter.c) == 0;
}

/* ---------------------------------------------------------------- DEPTHWISE_CONV_2D */

/**
 * DEPTHWISE_CONV_2D (TFLM reference_integer_ops::DepthwiseConvPerChannel). Filter dims are
 * [1, kh, kw, out_c] with out_c = input.c * depth_multiplier; output channel
 * ic * depth_multiplier + m reads input channel ic. Same parameter meaning as CONV_2D
 * (p->filter.n is 1); q has out_c entries; bias out_c int32 or NULL.
 */
fwgen_status_t fwgen_nn_depthwise_conv2d_s8(const fwgen_nn_conv_params_t *p, int32_t depth_multiplier,
                                            const fwgen_nn_per_channel_t *q, const int8_t *input,
                                            const int8_t *filter, const int32_t *bias,
                                            int8_t *output);

/* The arguments fwgen_nn_depthwise_conv2d_s8 accepts (portable kernel and DSP variant). */
static inline int fwgen_nn_depthwise_args_ok(const fwgen_nn_conv_params_t *p,
                                             int32_t depth_multiplier,
                                             const fwgen_nn_per_channel_t *q,
                                             const int8_t *input, const int8_t *filter,
                                             const int8_t *output)
{
    return p != NULL && q != NULL && input != NULL && filter != NULL && output != NULL &&
           depth_multiplier > 0 && p->output.c == p->input.c * depth_multiplier &&
           p->filter.c == p->output.c;
}

/* ---------------------------------------------------------------- FULLY_CONNECTED */

typedef struct {
    int32_t batches;      /**< rows of the input */
    int32_t accum_depth;  /**< input elements per row (= filter columns) */
    int32_t out_depth;    /**< filter rows = output elements per row */
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t per_channel;  /**< 0: q arrays hold one entry; 1: out_depth entries */
} fwgen_nn_fc_params_t;

/**
 * FULLY_CONNECTED (TFLM reference_integer_ops::FullyConnected).
 * The input zero point is folded into the bias by the compiler:
 *   folded_bias[o] = bias[o] - input_zero_point * sum_k filter[o][k]
 * which is exact in int32, so acc = folded_bias[o] + sum_k input[k] * filter[o][k].
 * @param[in]  folded_bias  out_depth int32 (never NULL: the compiler always emits it)
 * @param[in]  filter       out_depth x accum_depth int8, zero point 0
 * @param[out] output       batches x out_depth int8
 */
fwgen_status_t fwgen_nn_fully_connected_s8(const fwgen_nn_fc_params_t *p, const fwgen_nn_per_channel_t *q,
                                           const int8_t *input, const int8_t *filter,
                                           const int32_t *folded_bias, int8_t *output);

/* The arguments fwgen_nn_fully_connected_s8 accepts (portable kernel and DSP variant). A macro,
 * not a static inline as for CONV_2D: GCC 12 allocates the FC kernels' registers differently
 * around an inlined call (a few instructions more or less per call); this keeps their code. */
#define FWGEN_NN_FC_ARGS_OK(p, q, input, filter, folded_bias, output)                           \
    ((p) != NULL && (q) != NULL && (input) != NULL && (filter) != NULL &&                       \
     (folded_bias) != NULL && (output) != NULL)

/* ---------------------------------------------------------------- pooling */

typedef struct {
    fwgen_nn_dims_t input;
    fwgen_nn_dims_t output;  /**< output.c == input.c */
    int16_t filter_h, filter_w;
    int16_t stride_h, stride_w;
    int16_t pad_top, pad_left;
    int32_t act_min, act_max;
    int32_t reverse;         /**< 0: pixels in increasing order; 1: last pixel first */
} fwgen_nn_pool_params_t;

/** AVERAGE_POOL_2D (TFLM reference_integer_ops::AveragePool): mean of the in-bounds taps,
 *  rounded half away from zero; no requantization (TFLM requires equal input/output params). */
fwgen_status_t fwgen_nn_avg_pool2d_s8(const fwgen_nn_pool_params_t *p, const int8_t *input, int8_t *output);

/** MAX_POOL_2D (TFLM reference_integer_ops::MaxPool): max of the in-bounds taps, clamped. */
fwgen_status_t fwgen_nn_max_pool2d_s8(const fwgen_nn_pool_params_t *p, const int8_t *input, int8_t *output);

/* ---------------------------------------------------------------- MEAN */

typedef struct {
    int32_t rank;             /**< 1..4 */
    int32_t dims[4];          /**< input dims */
    int32_t out_strides[4];   /**< output stride per input axis; 0 on reduced axes */
    int32_t num_outputs;
    int32_t num_reduced;      /**< elements summed per output */
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier, shift; /**< input_scale / output_scale / num_reduced, as TFLM derives it */
} fwgen_nn_mean_params_t;

/** Scratch bytes fwgen_nn_mean_s8 needs (num_outputs int32 accumulators). */
size_t fwgen_nn_mean_s8_get_buffer_size(const fwgen_nn_mean_params_t *p);

/** MEAN over any set of axes (TFLM reference_ops::QuantizedMeanOrSum, mean variant).
 *  @param[in,out] scratch  fwgen_nn_mean_s8_get_buffer_size() bytes, 4-byte aligned */
fwgen_status_t fwgen_nn_mean_s8(const fwgen_nn_mean_params_t *p, const int8_t *input, int8_t *output,
                                int32_t *scratch);

/* ---------------------------------------------------------------- elementwise binary */

typedef struct {
    int32_t out_dims[4];       /**< output dims (rank padded to 4 with leading 1s) */
    int32_t in1_strides[4];    /**< element stride of input 1 per output axis; 0 = broadcast */
    int32_t in2_strides[4];
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input1_shift;  /**< ADD only */
    int32_t input2_multiplier, input2_shift;  /**< ADD only */
    int32_t left_shift;                       /**< ADD only (20 for int8) */
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} fwgen_nn_binary_params_t;

/** ADD with broadcasting (TFLM reference_integer_ops::Add / BroadcastAdd4DSlow).
 *  In place allowed: output may equal a non-broadcast input. */
fwgen_status_t fwgen_nn_add_s8(const fwgen_nn_binary_params_t *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output);

/** MUL with broadcasting (TFLM reference_integer_ops::Mul / BroadcastMul4DSlow).
 *  In place allowed: output may equal a non-broadcast input. */
fwgen_status_t fwgen_nn_mul_s8(const fwgen_nn_binary_params_t *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output);

/* ---------------------------------------------------------------- activations */

typedef struct {
    int32_t rows;         /**< product of all but the last dimension */
    int32_t depth;        /**< last dimension */
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} fwgen_nn_softmax_params_t;

/** SOFTMAX int8 -> int8 (output scale 1/256, zero point -128), TFLM's gemmlowp fixed-point
 *  algorithm (exp on negative values, 12 accumulation integer bits). In place allowed. */
fwgen_status_t fwgen_nn_softmax_s8(const fwgen_nn_softmax_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} fwgen_nn_logistic_params_t;

/** LOGISTIC int8 (TFLM reference_integer_ops::Logistic: Q4.27 input, gemmlowp logistic,
 *  output scale 1/256, zero point -128). In place allowed. */
fwgen_status_t fwgen_nn_logistic_s8(const fwgen_nn_logistic_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int16_t output_multiplier_fixedpoint_int16;
    int16_t output_multiplier_exponent;
    int16_t reluish_multiplier_fixedpoint_int16;
    int16_t reluish_multiplier_exponent;
} fwgen_nn_hard_swish_params_t;

/** HARD_SWISH int8 (TFLM reference_ops::HardSwish, int16 fixed point). In place allowed. */
fwgen_status_t fwgen_nn_hard_swish_s8(const fwgen_nn_hard_swish_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_offset;
    int32_t multiplier, shift; /**< 0,0 for a pure clamp (RELU6 keeps the input's params) */
    int32_t act_min, act_max;
} fwgen_nn_requant_params_t;

/** RELU / RELU6 / int8->int8 QUANTIZE: out = clamp(output_offset + requantize(in - input_zp)).
 *  multiplier == 0 means "no rescale": out = clamp(in). In place allowed. */
fwgen_status_t fwgen_nn_requantize_s8(const fwgen_nn_requant_params_t *p, const int8_t *input, int8_t *output);

/* ---------------------------------------------------------------- float boundary */

/** QUANTIZE float -> int8 (TFLM AffineQuantize: round(x / scale) + zero_point, in double). */
fwgen_status_t fwgen_nn_quantize_f32_s8(int32_t size, double scale, int32_t zero_point,
                                        const float *input, int8_t *output);

/** DEQUANTIZE int8 -> float (TFLM: (float)(scale * (q - zero_point)), in double). */
fwgen_status_t fwgen_nn_dequantize_s8_f32(int32_t size, double scale, int32_t zero_point,
                                          const int8_t *input, float *output);

/* ---------------------------------------------------------------- data movement */

/** RESHAPE when the planner could not alias: memmove of `bytes`. In place allowed. */
fwgen_status_t fwgen_nn_reshape(const void *input, void *output, size_t bytes);

typedef struct {
    int32_t rank;            /**< 1..6 */
    int32_t out_dims[6];
    int32_t in_strides[6];   /**< input element stride for each OUTPUT axis (permuted) */
} fwgen_nn_transpose_params_t;

/** TRANSPOSE of int8 data (any permutation up to rank 6). */
fwgen_status_t fwgen_nn_transpose_s8(const fwgen_nn_transpose_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t rank;            /**< 1..6 (padded with leading 1s on both shapes) */
    int32_t in_dims[6];
    int32_t out_dims[6];
    int32_t before[6];       /**< padding before each axis */
    int32_t pad_value;       /**< output zero point, or PADV2's constant */
} fwgen_nn_pad_params_t;

/** PAD / PADV2 of int8 data. */
fwgen_status_t fwgen_nn_pad_s8(const fwgen_nn_pad_params_t *p, const int8_t *input, int8_t *output);

/** CONCATENATION of int8 tensors with identical quantization (TFLM copies bytes).
 *  outer: product of dims before the axis; inner_bytes[i]: product of dims from the axis on
 *  for input i. */
fwgen_status_t fwgen_nn_concatenation_s8(int32_t num_inputs, int32_t outer, const int32_t *inner_bytes,
                                         const int8_t *const *inputs, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_NN_H */
