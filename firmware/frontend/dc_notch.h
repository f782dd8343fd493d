/*
 * DC notch filter (internal): y[n] = x[n] - x[n-1] + round(coef * y[n-1] / 2^15), int16 wrap.
 */
#ifndef FWGEN_FRONTEND_DC_NOTCH_H
#define FWGEN_FRONTEND_DC_NOTCH_H

#include <stddef.h>
#include <stdint.h>

/* Filter n samples from `in` to `out`; *prev_in / *prev_out carry the state across calls. */
void fwgen_fe_dc_notch(int16_t coef, int16_t *prev_in, int16_t *prev_out, const int16_t *in,
                       int16_t *out, size_t n);

#endif /* FWGEN_FRONTEND_DC_NOTCH_H */
