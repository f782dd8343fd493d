/*
 * Hann window (internal): applies the Q12 window and scales the result up for the FFT.
 */
#ifndef FWGEN_FRONTEND_WINDOW_H
#define FWGEN_FRONTEND_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/*
 * out[i] = (int16)(((in[i] * window[i]) >> 12) << shift) for i < size, 0 up to fft_length, where
 * shift = 15 - msb(max |windowed value|) gives the fixed-point FFT the most headroom.
 * Returns the shift (0..15) so that later stages can undo it.
 */
int fwgen_fe_window_apply(const int16_t *window, const int16_t *in, size_t size, int16_t *out,
                          size_t fft_length);

#endif /* FWGEN_FRONTEND_WINDOW_H */
