/* int8 feature mappings (TFLM micro_features_generator, MLTK audio feature generator). */
#include "frontend/quantize.h"

static int8_t clip_s8(int32_t v)
{
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}

void fwgen_fe_quantize_fixed_s8(const uint16_t *in, int8_t *out, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        out[i] = clip_s8(((int32_t)in[i] * 256 + 666 / 2) / 666 - 128);
    }
}

void fwgen_fe_quantize_dynamic_s8(const uint16_t *in, int8_t *out, size_t n, int32_t range)
{
    int32_t top = 0;
    for (size_t i = 0; i < n; ++i) {
        if ((int32_t)in[i] > top) {
            top = in[i];
        }
    }
    const int32_t bottom = top - range > 0 ? top - range : 0;
    const int32_t span = top - bottom > 1 ? top - bottom : 1;
    for (size_t i = 0; i < n; ++i) {
        out[i] = clip_s8(((int32_t)in[i] - bottom) * 255 / span - 128);
    }
}
