/* DC notch filter, MLTK semantics: differences and products wrap to int16. */
#include "frontend/dc_notch.h"

#include "frontend/bits.h"

void fwgen_fe_dc_notch(int16_t coef, int16_t *prev_in, int16_t *prev_out, const int16_t *in,
                       int16_t *out, size_t n)
{
    int16_t x_prev = *prev_in;
    int16_t y_prev = *prev_out;
    for (size_t i = 0; i < n; ++i) {
        const int16_t diff = fwgen_fe_wrap16((int32_t)in[i] - x_prev);
        const int32_t product = (int32_t)coef * y_prev;
        const int16_t y = fwgen_fe_wrap16((int32_t)diff + (((product >> 14) + 1) >> 1));
        out[i] = y;
        x_prev = in[i];
        y_prev = y;
    }
    if (n > 0) {
        *prev_in = x_prev;
        *prev_out = y_prev;
    }
}
