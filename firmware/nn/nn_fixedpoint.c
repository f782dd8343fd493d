/*
 * gemmlowp-style fixed-point transcendental functions, written from their published
 * mathematical definition (Taylor polynomial around -1/8, barrel shifter of exp(-2^k),
 * Newton-Raphson reciprocal) so that results match TFLM's int8 softmax and logistic bit for bit.
 */
#include "nn/nn.h"
#include "nn/nn_fixedpoint.h"

#define FP_ONE_Q0 INT32_MAX

static int32_t mul(int32_t a, int32_t b)
{
    return fwgen_nn_doubling_high_mul(a, b);
}

int32_t fwgen_nn_fp_mul_pot(int32_t x, int32_t exponent)
{
    if (exponent == 0) {
        return x;
    }
    if (exponent < 0) {
        return fwgen_nn_rounding_divide_by_pot(x, -exponent);
    }
    const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), a and result in Q0. */
static int32_t exp_on_quarter_interval(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);              /* a + 1/8 */
    const int32_t x2 = mul(x, x);
    const int32_t x3 = mul(x2, x);
    const int32_t x4 = mul(x2, x2);
    const int32_t x4_over_4 = fwgen_nn_fp_mul_pot(x4, -2);
    const int32_t poly = fwgen_nn_fp_mul_pot(mul(x4_over_4 + x3, constant_1_over_3) + x2, -1);
    return constant_term + mul(constant_term, x + poly);
}

int32_t fwgen_nn_fp_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    static const int32_t multipliers[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242,        /* exp(-16) */
    };
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
    int32_t result = exp_on_quarter_interval(fwgen_nn_fp_mul_pot(a_mod_quarter_minus_quarter, integer_bits));
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    for (int32_t k = -2; k <= 4; ++k) {
        if (integer_bits > k) {
            const int32_t bit = fractional_bits + k;
            if (remainder & (int32_t)(1U << bit)) {
                result = mul(result, multipliers[k + 2]);
            }
        }
    }
    if (integer_bits > 5) {
        const int32_t clamp = -(int32_t)(1LL << (fractional_bits + 5)); /* -32 */
        if (a < clamp) {
            result = 0;
        }
    }
    return a == 0 ? FP_ONE_Q0 : result;
}

static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

int32_t fwgen_nn_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = rounding_half_sum(a, FP_ONE_Q0);      /* Q0 */
    const int32_t constant_48_over_17 = 1515870810;                        /* Q2 */
    const int32_t constant_neg_32_over_17 = -1010580540;                   /* Q2 */
    const int32_t one_q2 = 1 << 29;
    int32_t x = constant_48_over_17 + mul(half_denominator, constant_neg_32_over_17); /* Q2 */
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = mul(half_denominator, x);  /* Q2 */
        const int32_t one_minus = one_q2 - half_denominator_times_x;        /* Q2 */
        x = x + fwgen_nn_fp_mul_pot(mul(x, one_minus), 2);                  /* Q4 -> Q2 */
    }
    /* x / 2 in Q1, then Q1 -> Q0. */
    return fwgen_nn_fp_mul_pot(x, 1);
}

int32_t fwgen_nn_fp_logistic(int32_t a, int32_t integer_bits)
{
    if (a == 0) {
        return 1 << 30; /* one half in Q0 */
    }
    const int32_t abs_a = a > 0 ? a : -a;
    const int32_t positive = fwgen_nn_fp_one_over_one_plus_x(fwgen_nn_fp_exp_on_negative_values(-abs_a, integer_bits));
    return a > 0 ? positive : FP_ONE_Q0 - positive;
}
