/*
 * Hann window (internal): applies the Q12 window and finds the shift that scales the result up
 * for the FFT (which applies it while reordering its input).
 */
#ifndef FWGEN_FRONTEND_WINDOW_H
#define FWGEN_FRONTEND_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/*
 * out[i] = (int16)((in[i] * window[i]) >> 12) for i < size, 0 up to fft_length. Returns
 * shift = 15 - msb(max |out[i]|) (0..15; -32768 does not count), the left shift that gives the
 * fixed-point FFT the most headroom (fwgen_fe_fft_real applies it; later stages undo it).
 * in, out 4-byte aligned.
 */
int fwgen_fe_window_apply(const int16_t *window, const int16_t *in, size_t size, int16_t *out,
                          size_t fft_length);

#endif /* FWGEN_FRONTEND_WINDOW_H */
