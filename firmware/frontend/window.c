/* Hann window and FFT input scaling (TFLM window.c + fft.c input scaling semantics). */
#include "frontend/window.h"

#include "frontend/bits.h"
#include "frontend/frontend.h"

int fwgen_fe_window_apply(const int16_t *window, const int16_t *in, size_t size, int16_t *out,
                          size_t fft_length)
{
    int32_t max_abs = 0;
    for (size_t i = 0; i < size; ++i) {
        const int32_t v = ((int32_t)in[i] * window[i]) >> FWGEN_FRONTEND_WINDOW_BITS;
        out[i] = (int16_t)v;
        /* |v| as an int16: -32768 stays negative and never becomes the maximum. */
        const int32_t a = v < 0 ? -v : v;
        if (a <= 32767 && a > max_abs) {
            max_abs = a;
        }
    }
    const int shift = 15 - fwgen_fe_msb32((uint32_t)max_abs);
    for (size_t i = 0; i < size; ++i) {
        out[i] = (int16_t)(uint16_t)((uint32_t)(uint16_t)out[i] << shift);
    }
    for (size_t i = size; i < fft_length; ++i) {
        out[i] = 0;
    }
    return shift;
}
