/*
 * MEAN int8: the DSP-extension variant of firmware/nn/nn_mean_s8.c, bit-exact with it (and
 * TFLM's QuantizedMeanOrSum, mean variant).
 *
 * A mean over every axis but the last (Yamnet's global average, 12x8x256 -> 256; batches kept
 * or not) sums columns: 16 channels at a time (then 4, then one), the rows in the loop, each
 * word of 4 int8 added into two words of int16 lanes with SXTAB16 (and SXTAB16 of the word
 * rotated by 8), 4 loads and 8 SXTAB16 per 16 elements; up to 256 rows fit the lanes (256 x -128 = INT16_MIN), so
 * longer reductions go in chunks of 256 into the int32 scratch. Other axis sets take the
 * portable loop. Requantization inline (nn_dsp.h).
 */
#include "nn/nn.h"
#include "nn/dsp/nn_dsp.h"

#define MEAN_CHUNK_ROWS 256   /* rows whose int8 sum an int16 lane holds */

size_t fwgen_nn_mean_s8_get_buffer_size(const fwgen_nn_mean_params_t *p)
{
    return p == NULL ? 0 : (size_t)p->num_outputs * sizeof(int32_t);
}

/* sums[c] += the sum of rows 0 .. rows - 1 of column c (c < 16; rows <= MEAN_CHUNK_ROWS), the
 * rows `stride` bytes apart: 4 loads and 8 SXTAB16 per row. */
static void mean_columns16(const int8_t *src, int32_t rows, int32_t stride, int32_t *sums)
{
    /* word k of a row: channels 4k + (0, 2) in ek, 4k + (1, 3) in ok */
    int32_t e0 = 0, o0 = 0, e1 = 0, o1 = 0, e2 = 0, o2 = 0, e3 = 0, o3 = 0;
    const int8_t *end = src + (size_t)rows * stride;
    for (; src < end; src += stride) {
        const uint32_t x0 = fwgen_nn_dsp_load4(src), x1 = fwgen_nn_dsp_load4(src + 4);
        const uint32_t x2 = fwgen_nn_dsp_load4(src + 8), x3 = fwgen_nn_dsp_load4(src + 12);
        e0 = __sxtab16(e0, (int32_t)x0);
        o0 = fwgen_nn_dsp_sxtab16_ror8(o0, x0);
        e1 = __sxtab16(e1, (int32_t)x1);
        o1 = fwgen_nn_dsp_sxtab16_ror8(o1, x1);
        e2 = __sxtab16(e2, (int32_t)x2);
        o2 = fwgen_nn_dsp_sxtab16_ror8(o2, x2);
        e3 = __sxtab16(e3, (int32_t)x3);
        o3 = fwgen_nn_dsp_sxtab16_ror8(o3, x3);
    }
    const int32_t w[8] = {e0, o0, e1, o1, e2, o2, e3, o3};
    for (int32_t k = 0; k < 4; ++k) {
        sums[4 * k] += (int16_t)w[2 * k];
        sums[4 * k + 1] += (int16_t)w[2 * k + 1];
        sums[4 * k + 2] += w[2 * k] >> 16;
        sums[4 * k + 3] += w[2 * k + 1] >> 16;
    }
}

/* The same for columns c < 4: 1 load and 2 SXTAB16 per row. */
static void mean_columns4(const int8_t *src, int32_t rows, int32_t stride, int32_t *sums)
{
    int32_t even = 0, odd = 0;   /* channels (0, 2) and (1, 3) */
    const int8_t *end = src + (size_t)rows * stride;
    for (; src < end; src += stride) {
        const uint32_t x = fwgen_nn_dsp_load4(src);
        even = __sxtab16(even, (int32_t)x);
        odd = fwgen_nn_dsp_sxtab16_ror8(odd, x);
    }
    sums[0] += (int16_t)even;
    sums[1] += (int16_t)odd;
    sums[2] += even >> 16;
    sums[3] += odd >> 16;
}

/* sums[c] += column sums of rows x channels int8 (channels contiguous, rows `channels` apart). */
static void mean_columns(const int8_t *in, int32_t rows, int32_t channels, int32_t *sums)
{
    for (int32_t r0 = 0; r0 < rows; r0 += MEAN_CHUNK_ROWS) {
        const int32_t n = rows - r0 < MEAN_CHUNK_ROWS ? rows - r0 : MEAN_CHUNK_ROWS;
        const int8_t *src = in + (size_t)r0 * channels;
        int32_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            mean_columns16(src + c, n, channels, sums + c);
        }
        for (; c + 4 <= channels; c += 4) {
            mean_columns4(src + c, n, channels, sums + c);
        }
        for (; c < channels; ++c) {   /* a tail of < 4 channels */
            int32_t acc = 0;
            for (int32_t r = 0; r < n; ++r) {
                acc += src[(size_t)r * channels + c];
            }
            sums[c] += acc;
        }
    }
}

fwgen_status_t fwgen_nn_mean_s8(const fwgen_nn_mean_params_t *p, const int8_t *input, int8_t *output,
                                int32_t *scratch)
{
    if (p == NULL || input == NULL || output == NULL || scratch == NULL || p->rank < 1 || p->rank > 4) {
        return FWGEN_ERR_ARG;
    }
    int32_t dims[4] = {1, 1, 1, 1};
    int32_t strides[4] = {0, 0, 0, 0};
    const int32_t lead = 4 - p->rank;
    for (int32_t i = 0; i < p->rank; ++i) {
        dims[lead + i] = p->dims[i];
        strides[lead + i] = p->out_strides[i];
    }
    const int32_t num_outputs = p->num_outputs;   /* locals: the byte stores may alias p */
    for (int32_t i = 0; i < num_outputs; ++i) {
        scratch[i] = 0;
    }
    const int32_t channels = dims[3];
    /* every axis but the last reduced, or all but the first and the last (kept batches) */
    const int middle = (dims[1] == 1 || strides[1] == 0) && (dims[2] == 1 || strides[2] == 0);
    const int batches_kept = strides[0] == channels && dims[0] > 1;
    if (middle && strides[3] == 1 && channels > 1 && (strides[0] == 0 || dims[0] == 1 || batches_kept)) {
        const int32_t outer = batches_kept ? dims[0] : 1;
        const int32_t rows = dims[0] * dims[1] * dims[2] / outer;
        for (int32_t b = 0; b < outer; ++b) {
            mean_columns(input + (size_t)b * rows * channels, rows, channels,
                         scratch + (size_t)b * channels);
        }
    } else {   /* the portable loop */
        size_t in_index = 0;
        for (int32_t a = 0; a < dims[0]; ++a) {
            for (int32_t b = 0; b < dims[1]; ++b) {
                for (int32_t c = 0; c < dims[2]; ++c) {
                    const int32_t base = a * strides[0] + b * strides[1] + c * strides[2];
                    for (int32_t d = 0; d < dims[3]; ++d) {
                        scratch[base + d * strides[3]] += input[in_index++];
                    }
                }
            }
        }
    }
    const int32_t zero = p->input_zero_point * p->num_reduced;
    const int32_t multiplier = p->multiplier, shift = p->shift, out_zero = p->output_zero_point;
    if (shift <= 0) {   /* a right shift (every MEAN of the zoo models): the cheaper form */
        for (int32_t i = 0; i < num_outputs; ++i) {
            output[i] = fwgen_nn_dsp_output_rshift(scratch[i] - zero, multiplier, shift, out_zero);
        }
    } else {
        for (int32_t i = 0; i < num_outputs; ++i) {
            output[i] = fwgen_nn_dsp_output(scratch[i] - zero, multiplier, shift, out_zero, -128, 127);
        }
    }
    return FWGEN_OK;
}
