/* Hann window and the FFT input's headroom shift (TFLM window.c + fft.c input scaling). */
#include "frontend/window.h"

#include "frontend/bits.h"
#include "frontend/frontend.h"
#include "frontend/simd.h"

/* max |v| over the windowed values, -32768 left out (as an int16 it stays negative, so the
 * reference never takes it for the maximum). */
static int32_t max_magnitude(const int16_t *v, size_t size)
{
    int32_t max_abs = 0;
    for (size_t i = 0; i < size; ++i) {
        const int32_t a = v[i] < 0 ? -(int32_t)v[i] : v[i];
        if (a <= 32767 && a > max_abs) {
            max_abs = a;
        }
    }
    return max_abs;
}

int fwgen_fe_window_apply(const int16_t *window, const int16_t *in, size_t size, int16_t *out,
                          size_t fft_length)
{
    int32_t max_abs;
#if FWGEN_FE_SIMD
    /* Two samples at a time; the largest and smallest value of each half are kept with
     * SSUB16 + SEL, and max |v| follows from them unless -32768 occurred (then one more pass). */
    fwgen_fe_pair_t highest = 0, lowest = 0;
    size_t i = 0;
    for (; i + 1u < size; i += 2u) {
        const fwgen_fe_pair_t x = fwgen_fe_load(in + i);
        const fwgen_fe_pair_t w = fwgen_fe_load(window + i);
        /* SMULBB and SMULTT (GCC 12's arm_acle.h has no intrinsics for them) */
        const fwgen_fe_pair_t v = fwgen_fe_pack(
            (fwgen_fe_lo(x) * fwgen_fe_lo(w)) >> FWGEN_FRONTEND_WINDOW_BITS,
            (fwgen_fe_hi(x) * fwgen_fe_hi(w)) >> FWGEN_FRONTEND_WINDOW_BITS);
        fwgen_fe_store(out + i, v);
        (void)__ssub16((int32_t)v, (int32_t)highest);
        highest = (fwgen_fe_pair_t)__sel(v, highest);
        (void)__ssub16((int32_t)lowest, (int32_t)v);
        lowest = (fwgen_fe_pair_t)__sel(v, lowest);
    }
    if (i < size) {
        out[i] = (int16_t)(((int32_t)in[i] * window[i]) >> FWGEN_FRONTEND_WINDOW_BITS);
        highest = fwgen_fe_pack(fwgen_fe_lo(highest) > out[i] ? fwgen_fe_lo(highest) : out[i],
                                fwgen_fe_hi(highest));
        lowest = fwgen_fe_pack(fwgen_fe_lo(lowest) < out[i] ? fwgen_fe_lo(lowest) : out[i],
                               fwgen_fe_hi(lowest));
    }
    const int32_t top = fwgen_fe_lo(highest) > fwgen_fe_hi(highest) ? fwgen_fe_lo(highest)
                                                                    : fwgen_fe_hi(highest);
    const int32_t bottom = fwgen_fe_lo(lowest) < fwgen_fe_hi(lowest) ? fwgen_fe_lo(lowest)
                                                                     : fwgen_fe_hi(lowest);
    if (bottom == -32768) {
        max_abs = max_magnitude(out, size);
    } else {
        max_abs = top > -bottom ? top : -bottom;
    }
#else
    for (size_t i = 0; i < size; ++i) {
        out[i] = (int16_t)(((int32_t)in[i] * window[i]) >> FWGEN_FRONTEND_WINDOW_BITS);
    }
    max_abs = max_magnitude(out, size);
#endif
    for (size_t pad = size; pad < fft_length; ++pad) {
        out[pad] = 0;
    }
    return 15 - fwgen_fe_msb32((uint32_t)max_abs);
}
