/*
 * Fixed-point primitives shared by the int8 kernels (TFLM's integer requantization).
 * Python twin: host/fwgen/compiler/quant.py (tests compare the two).
 */
#include <math.h>

#include "nn/nn.h"

int32_t fwgen_nn_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    /* C division truncates toward zero, as TFLM's does. */
    return (int32_t)((ab + nudge) / (1LL << 31));
}

int32_t fwgen_nn_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t fwgen_nn_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t scaled = (int32_t)((uint32_t)x << left); /* TFLM: x * (1 << left) */
    return fwgen_nn_rounding_divide_by_pot(fwgen_nn_doubling_high_mul(scaled, multiplier), right);
}

void fwgen_nn_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    if (multiplier == NULL || shift == NULL) {
        return;
    }
    if (real == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int exponent = 0;
    const double q = frexp(real, &exponent);
    int64_t q_fixed = (int64_t)round(q * (double)(1LL << 31));
    if (q_fixed == (1LL << 31)) {
        q_fixed /= 2;
        ++exponent;
    }
    if (exponent < -31) {
        exponent = 0;
        q_fixed = 0;
    }
    if (exponent > 30) {
        exponent = 30;
        q_fixed = (1LL << 31) - 1;
    }
    *multiplier = (int32_t)q_fixed;
    *shift = exponent;
}
