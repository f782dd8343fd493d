/*
 * uint16 features -> int8 (internal): TFLM's fixed mapping and MLTK's dynamic range scaling.
 */
#ifndef FWGEN_FRONTEND_QUANTIZE_H
#define FWGEN_FRONTEND_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = clip((in[i] * 256 + 333) / 666 - 128, -128, 127) */
void fwgen_fe_quantize_fixed_s8(const uint16_t *in, int8_t *out, size_t n);

/* MLTK: top = max(in), bottom = max(top - range, 0); out = clip((in - bottom) * 255 /
 * max(top - bottom, 1) - 128) with C (truncating) division. */
void fwgen_fe_quantize_dynamic_s8(const uint16_t *in, int8_t *out, size_t n, int32_t range);

#endif /* FWGEN_FRONTEND_QUANTIZE_H */
