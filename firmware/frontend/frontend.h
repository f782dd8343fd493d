/*
 * fwgen fixed-point audio frontend: int16 audio in, one feature frame per window step out.
 *
 * Semantics are those of TFLM's microfrontend as Silicon Labs' MLTK runs it (the `fe.*`
 * settings), bit for bit:
 *
 *   samples -> [DC notch] -> Hann window (Q12) -> scale up by 15 - msb(max|x|)
 *           -> real FFT (kiss_fft FIXED_POINT=16 arithmetic) -> |X|^2
 *           -> triangular mel filterbank (Q12 weights) -> sqrt -> scale back down
 *           -> [activity detection] -> [noise reduction] -> [PCAN gain control]
 *           -> [log scale] -> uint16 frame  (-> int8 with fwgen_frontend_to_s8)
 *
 * Every table and constant lives in a `fwgen_frontend_config_t` that fwgen computes in Python
 * and renders as `static const` data (templates/frontend_config.{c,h}.j2, which define
 * `fwgen_frontend_config` and FWGEN_FRONTEND_STATE_SIZE). Nothing here uses float, allocates
 * memory or builds tables at run time. The caller owns the state memory.
 *
 * Typical use on a device:
 *
 *   #include "frontend/frontend.h"
 *   #include "frontend_config.h"                         // generated
 *   static uint64_t fe_mem[(FWGEN_FRONTEND_STATE_SIZE + 7) / 8];
 *   fwgen_frontend_t *fe;
 *   fwgen_frontend_init(&fwgen_frontend_config, fe_mem, sizeof fe_mem, &fe);
 *   ...
 *   while (n > 0) {                                      // any chunk size
 *       size_t used;
 *       uint16_t frame[FWGEN_FRONTEND_N_CHANNELS];
 *       fwgen_status_t st = fwgen_frontend_process(fe, samples, n, &used, frame);
 *       samples += used; n -= used;
 *       if (st == FWGEN_OK) { ... one new frame ... }    // else FWGEN_NEED_MORE
 *   }
 *
 * Portability: like the reference, the code assumes two's complement integers, arithmetic right
 * shifts of negative values and modulo conversion to narrower signed types (GCC, Clang, armcc).
 */
#ifndef FWGEN_FRONTEND_FRONTEND_H
#define FWGEN_FRONTEND_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of this implementation (the Python side validates settings against them). */
#define FWGEN_FRONTEND_MAX_FFT_STAGES 8      /* radix-2/4 stages of the half-length complex FFT */
#define FWGEN_FRONTEND_PCAN_LUT_SIZE 125     /* 4 * 32 - 3 entries, TFLM layout */
#define FWGEN_FRONTEND_LOG_LUT_SIZE 130      /* 128 segments + 1 + 1 padding */

/* Fixed-point formats used by the tables. */
#define FWGEN_FRONTEND_WINDOW_BITS 12        /* window coefficients: Q12 */
#define FWGEN_FRONTEND_FILTERBANK_BITS 12    /* filterbank weights: Q12 */
#define FWGEN_FRONTEND_NOISE_BITS 14         /* noise reduction coefficients: Q14 */

/*
 * Everything the frontend needs, computed in Python (fwgen.frontend.tables) from `fe.*` settings.
 * All pointers reference read-only tables; the struct and the tables can live in flash.
 */
typedef struct {
    uint32_t abi;                    /* FWGEN_ABI the tables were generated for */
    uint32_t sample_rate_hz;         /* informational; the math is rate independent */

    /* Framing */
    uint16_t window_size;            /* samples per window, 1 .. fft_length */
    uint16_t window_step;            /* samples between frames, 1 .. window_size */

    /* DC notch filter: y[n] = x[n] - x[n-1] + round(coef * y[n-1] / 2^15), int16 wrap-around */
    uint8_t dc_notch_enable;         /* 0 or 1 */
    int16_t dc_notch_coef;           /* Q15 */

    /* Hann window */
    const int16_t *window;           /* [window_size], Q12 */

    /* Real FFT of fft_length points as a complex FFT of fft_length/2 points (kiss_fftr) */
    uint16_t fft_length;             /* 256, 512 or 1024 */
    uint8_t fft_n_stages;            /* number of entries used in fft_radix */
    uint8_t fft_radix[FWGEN_FRONTEND_MAX_FFT_STAGES]; /* 4 or 2, outermost stage first */
    const uint16_t *fft_input_order; /* [fft_length/2] complex input index for each slot */
    const int16_t *fft_twiddles;     /* [fft_length/2][2] (re, im), Q15; [0] is 32767 + 0j */
    const int16_t *fft_super_twiddles; /* [fft_length/4][2] (re, im), Q15 */

    /* Mel filterbank. Band b covers FFT bins [band_edges[b], band_edges[b+1]); output channel c
     * is sqrt(sum over band c+1 of weight*|X|^2 + sum over band c of unweight*|X|^2). */
    uint16_t n_channels;             /* output channels per frame */
    uint16_t spectrum_start;         /* == band_edges[0], first FFT bin used (never DC) */
    uint16_t spectrum_end;           /* == band_edges[n_channels + 1], <= fft_length/2 */
    const uint16_t *band_edges;      /* [n_channels + 2], non-decreasing */
    const int16_t *weights;          /* [spectrum_end - spectrum_start], Q12, bin - spectrum_start */
    const int16_t *unweights;        /* [spectrum_end - spectrum_start], Q12 */

    /* Noise reduction */
    uint8_t noise_reduction_enable;  /* 0 or 1 */
    uint8_t smoothing_bits;          /* 0 .. 16 */
    uint16_t even_smoothing;         /* Q14, even channels */
    uint16_t odd_smoothing;          /* Q14, odd channels */
    uint16_t min_signal_remaining;   /* Q14 */

    /* PCAN gain control (needs noise reduction: it reads the noise estimate) */
    uint8_t pcan_enable;             /* 0 or 1 */
    uint8_t pcan_snr_shift;          /* gain_bits - log_correction_bits - 12 */
    const int16_t *pcan_gain_lut;    /* [FWGEN_FRONTEND_PCAN_LUT_SIZE] or NULL when disabled */

    /* Log scale */
    uint8_t log_enable;              /* 0 or 1 */
    uint8_t log_scale_shift;         /* 0 .. 15 */
    int8_t log_correction_bits;      /* log2(fft_length) - 1 - FILTERBANK_BITS/2 */
    const uint16_t *log_lut;         /* [FWGEN_FRONTEND_LOG_LUT_SIZE], log2(1+x) - x in Q16 */

    /* Activity detection (MLTK): two one-pole filters on the total channel energy */
    uint8_t activity_enable;         /* 0 or 1 */
    uint8_t activity_scale;          /* ceil(log2(n_channels)) */
    int16_t activity_alpha_a;        /* Q8, fast filter */
    int16_t activity_alpha_b;        /* Q8, slow filter */
    int16_t activity_arm_threshold;  /* Q12 */
    int16_t activity_trip_threshold; /* Q12 */

    /* int8 output (fwgen_frontend_to_s8) */
    uint8_t dynamic_scale_enable;    /* 0: TFLM mapping clip((u16*256 + 333)/666 - 128) */
    int32_t dynamic_scale_range;     /* MLTK range_db * 2^log_scale_shift * ln(10)/20, > 0 */
} fwgen_frontend_config_t;

/*
 * Frontend state. Lives in caller-provided memory (fwgen_frontend_init); treat as opaque.
 * Declared here only so that FWGEN_FRONTEND_STATE_HEADER_SIZE can be a constant expression.
 */
typedef struct fwgen_frontend {
    const fwgen_frontend_config_t *config;
    int16_t *input;                  /* [window_size] samples waiting for the next window */
    int16_t *fft_input;              /* [fft_length] windowed samples (the FFT scales them) */
    int16_t *fft_work;               /* [fft_length/2][2] complex FFT work */
    int16_t *fft_output;             /* [fft_length/2 + 1][2] spectrum */
    uint32_t *channels;              /* [n_channels] filterbank output, then NR/PCAN in place */
    uint32_t *noise_estimate;        /* [n_channels] */
    uint32_t input_used;             /* samples held in `input` */
    int32_t activity_filter_a;
    int32_t activity_filter_b;
    uint8_t activity_armed;
    uint8_t activity_tripped;
    int16_t dc_prev_in;
    int16_t dc_prev_out;
} fwgen_frontend_t;

/* Bytes of the state header; the buffers follow it, each 8-byte aligned. */
#define FWGEN_FRONTEND_ALIGN8(n) (((size_t)(n) + 7u) & ~(size_t)7u)
#define FWGEN_FRONTEND_STATE_HEADER_SIZE FWGEN_FRONTEND_ALIGN8(sizeof(fwgen_frontend_t))

/*
 * Bytes of state memory `config` needs (header + buffers). The generated frontend_config.h
 * defines the same number as FWGEN_FRONTEND_STATE_SIZE for static allocation.
 *   config  [in]  frontend tables; NULL gives 0
 */
size_t fwgen_frontend_get_state_size(const fwgen_frontend_config_t *config);

/*
 * Check `config`, lay the state out in `memory` and reset it.
 *   config       [in]  tables; must outlive the frontend (normally `fwgen_frontend_config`)
 *   memory       [in]  caller-owned buffer, 8-byte aligned, >= fwgen_frontend_get_state_size()
 *   memory_size  [in]  bytes available at `memory`
 *   frontend     [out] the initialized frontend (points into `memory`)
 * Returns FWGEN_OK, FWGEN_ERR_ARG (NULL pointer, misaligned memory, inconsistent config),
 * FWGEN_ERR_SIZE (memory too small) or FWGEN_ERR_FORMAT (config made for another FWGEN_ABI).
 */
fwgen_status_t fwgen_frontend_init(const fwgen_frontend_config_t *config, void *memory,
                                   size_t memory_size, fwgen_frontend_t **frontend);

/*
 * Bytes of the state that is scratch: what one frame's computation uses and no later frame
 * reads (FFT buffers, channel energies). The generated frontend_config.h defines the same
 * number as FWGEN_FRONTEND_SCRATCH_SIZE.
 *   config  [in]  frontend tables; NULL gives 0
 */
size_t fwgen_frontend_get_scratch_size(const fwgen_frontend_config_t *config);

/*
 * fwgen_frontend_init with the scratch apart: `state` keeps what persists between frames
 * (>= get_state_size - get_scratch_size bytes), `scratch` (>= get_scratch_size bytes) is used
 * only inside fwgen_frontend_process*() calls, so between them the caller may use it for
 * anything else (the firmware app lends the model arena's idle bytes, fwgen_memory.h).
 * Both 8-byte aligned. Returns as fwgen_frontend_init.
 */
fwgen_status_t fwgen_frontend_init_split(const fwgen_frontend_config_t *config, void *state,
                                         size_t state_size, void *scratch, size_t scratch_size,
                                         fwgen_frontend_t **frontend);

/* Forget all audio seen so far (window contents, filter and noise states, activity flag). */
void fwgen_frontend_reset(fwgen_frontend_t *frontend);

/*
 * Feed samples until one frame is complete or the samples run out.
 *   frontend     [in,out] initialized frontend
 *   samples      [in]  int16 mono audio at config->sample_rate_hz; may be NULL if n_samples is 0
 *   n_samples    [in]  number of samples available (any value, including 0)
 *   n_consumed   [out] samples taken from `samples` (<= n_samples); feed the rest next call
 *   frame        [out] n_channels uint16 features, written only when FWGEN_OK is returned
 * Returns FWGEN_OK when `frame` holds a new frame, FWGEN_NEED_MORE when all samples were
 * consumed without completing a window, FWGEN_ERR_ARG for NULL pointers.
 */
fwgen_status_t fwgen_frontend_process(fwgen_frontend_t *frontend, const int16_t *samples,
                                      size_t n_samples, size_t *n_consumed, uint16_t *frame);

/*
 * Feed a whole buffer and collect every frame it completes (the host binding's entry point).
 *   samples      [in]  int16 audio, n_samples long
 *   frames       [out] row-major [max_frames][n_channels] uint16
 *   max_frames   [in]  capacity of `frames`; once it is full, only samples that do not complete
 *                      another window are consumed
 *   n_frames     [out] frames written
 *   n_consumed   [out] samples consumed (== n_samples unless `frames` filled up first; with
 *                      max_frames = frames for (buffered + n_samples) samples, all are consumed)
 * Returns FWGEN_OK or FWGEN_ERR_ARG.
 */
fwgen_status_t fwgen_frontend_process_frames(fwgen_frontend_t *frontend, const int16_t *samples,
                                             size_t n_samples, uint16_t *frames,
                                             size_t max_frames, size_t *n_frames,
                                             size_t *n_consumed);

/*
 * Returns 1 once after the activity detector tripped since the last call (then clears it),
 * else 0. Always 0 when config->activity_enable is 0.
 */
int fwgen_frontend_activity_tripped(fwgen_frontend_t *frontend);

/*
 * Convert uint16 features to int8 as the model expects them.
 *   config    [in]  selects the mapping: dynamic_scale_enable 0 gives TFLM's fixed mapping
 *                   clip((v*256 + 333)/666 - 128, -128, 127) value by value; 1 gives MLTK's
 *                   dynamic range scaling over all n_values together (pass the whole
 *                   spectrogram the model sees: max over it sets the top of the range)
 *   features  [in]  n_values uint16
 *   out       [out] n_values int8 (may not alias `features`)
 * Returns FWGEN_OK or FWGEN_ERR_ARG.
 */
fwgen_status_t fwgen_frontend_to_s8(const fwgen_frontend_config_t *config, const uint16_t *features,
                                    int8_t *out, size_t n_values);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_FRONTEND_FRONTEND_H */
