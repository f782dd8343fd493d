/*
 * Internal fixed-point helpers (gemmlowp semantics, as TFLM's softmax/logistic use them).
 * Not part of the public API: kernels include it, the generated model does not.
 *
 * A Q(i) value is an int32 with i integer bits and 31 - i fractional bits.
 */
#ifndef FWGEN_NN_FIXEDPOINT_H
#define FWGEN_NN_FIXEDPOINT_H

#include <stdint.h>

/** x * 2^exponent with saturation (exponent > 0) or rounding (exponent < 0). */
int32_t fwgen_nn_fp_mul_pot(int32_t x, int32_t exponent);

/** exp(a) for a <= 0, a in Q(integer_bits) (integer_bits in [1, 6]); result in Q0. */
int32_t fwgen_nn_fp_exp_on_negative_values(int32_t a, int32_t integer_bits);

/** 1 / (1 + x) for x in [0, 1) in Q0; result in Q0 (Newton-Raphson, three iterations). */
int32_t fwgen_nn_fp_one_over_one_plus_x(int32_t x);

/** Logistic of a Q(integer_bits) value; result in Q0. */
int32_t fwgen_nn_fp_logistic(int32_t a, int32_t integer_bits);

#endif /* FWGEN_NN_FIXEDPOINT_H */
