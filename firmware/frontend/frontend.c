/*
 * fwgen frontend: state layout in caller memory, streaming window management and the per-frame
 * pipeline (see frontend.h). The stages live in their own files.
 */
#include "frontend/frontend.h"

#include <string.h>

#include "common/fwgen_abi.h"
#include "frontend/activity_detection.h"
#include "frontend/dc_notch.h"
#include "frontend/fft.h"
#include "frontend/filterbank.h"
#include "frontend/log_scale.h"
#include "frontend/noise_reduction.h"
#include "frontend/pcan.h"
#include "frontend/quantize.h"
#include "frontend/window.h"

/* Byte sizes of the buffers, in layout order: after the header what persists between frames
 * (input, noise_estimate), then the scratch one frame uses (fft_*, channels), which
 * fwgen_frontend_init_split() takes from memory of its own. */
typedef struct {
    size_t input, noise_estimate, fft_input, fft_work, fft_output, channels;
} layout_t;

static layout_t layout_of(const fwgen_frontend_config_t *c)
{
    layout_t l;
    l.input = FWGEN_FRONTEND_ALIGN8((size_t)c->window_size * sizeof(int16_t));
    l.fft_input = FWGEN_FRONTEND_ALIGN8((size_t)c->fft_length * sizeof(int16_t));
    l.fft_work = FWGEN_FRONTEND_ALIGN8((size_t)(c->fft_length / 2u) * 2u * sizeof(int16_t));
    l.fft_output = FWGEN_FRONTEND_ALIGN8((size_t)(c->fft_length / 2u + 1u) * 2u * sizeof(int16_t));
    l.channels = FWGEN_FRONTEND_ALIGN8((size_t)c->n_channels * sizeof(uint32_t));
    l.noise_estimate = l.channels;
    return l;
}

static size_t scratch_of(const layout_t *l)
{
    return l->fft_input + l->fft_work + l->fft_output + l->channels;
}

static int config_is_consistent(const fwgen_frontend_config_t *c)
{
    const uint32_t n = c->fft_length / 2u;
    uint32_t product = 1;
    if (c->fft_length < 4u || (c->fft_length & (c->fft_length - 1u)) != 0u ||
        c->fft_n_stages == 0u || c->fft_n_stages > FWGEN_FRONTEND_MAX_FFT_STAGES) {
        return 0;
    }
    for (uint32_t s = 0; s < c->fft_n_stages; ++s) {
        if (c->fft_radix[s] != 2u && c->fft_radix[s] != 4u) {
            return 0;
        }
        product *= c->fft_radix[s];
    }
    if (product != n || c->window_size == 0u || c->window_size > c->fft_length ||
        c->window_step == 0u || c->window_step > c->window_size || c->n_channels == 0u) {
        return 0;
    }
    /* The FFT skips products by its first twiddle, which must be 1 (32767 + 0j, Q15). */
    if (c->fft_twiddles != NULL && (c->fft_twiddles[0] != 32767 || c->fft_twiddles[1] != 0)) {
        return 0;
    }
    if (c->window == NULL || c->fft_input_order == NULL || c->fft_twiddles == NULL ||
        c->fft_super_twiddles == NULL || c->band_edges == NULL || c->weights == NULL ||
        c->unweights == NULL || (c->log_enable && c->log_lut == NULL) ||
        (c->pcan_enable && (c->pcan_gain_lut == NULL || !c->noise_reduction_enable))) {
        return 0;
    }
    /* The filterbank never includes DC (TFLM) and stays within the half spectrum. */
    if (c->spectrum_start == 0u || c->spectrum_start > c->spectrum_end || c->spectrum_end > n ||
        c->band_edges[0] != c->spectrum_start || c->band_edges[c->n_channels + 1u] != c->spectrum_end) {
        return 0;
    }
    for (uint32_t b = 0; b <= c->n_channels; ++b) {
        if (c->band_edges[b] > c->band_edges[b + 1u]) {
            return 0;
        }
    }
    if (c->smoothing_bits > 16u || c->log_scale_shift > 31u || c->pcan_snr_shift > 63u ||
        (c->dynamic_scale_enable && c->dynamic_scale_range <= 0)) {
        return 0;
    }
    return 1;
}

size_t fwgen_frontend_get_state_size(const fwgen_frontend_config_t *config)
{
    if (config == NULL) {
        return 0;
    }
    const layout_t l = layout_of(config);
    return FWGEN_FRONTEND_STATE_HEADER_SIZE + l.input + l.noise_estimate + scratch_of(&l);
}

size_t fwgen_frontend_get_scratch_size(const fwgen_frontend_config_t *config)
{
    if (config == NULL) {
        return 0;
    }
    const layout_t l = layout_of(config);
    return scratch_of(&l);
}

fwgen_status_t fwgen_frontend_init(const fwgen_frontend_config_t *config, void *memory,
                                   size_t memory_size, fwgen_frontend_t **frontend)
{
    if (config == NULL || memory == NULL) {
        return FWGEN_ERR_ARG;
    }
    /* one block: the state, then the scratch (8-byte aligned: every part is a multiple of 8) */
    const size_t scratch = fwgen_frontend_get_scratch_size(config);
    const size_t state = fwgen_frontend_get_state_size(config) - scratch;
    const int fits = memory_size >= state + scratch;   /* else init_split answers FWGEN_ERR_SIZE */
    return fwgen_frontend_init_split(config, memory, fits ? state : 0u, (uint8_t *)memory + state,
                                     fits ? scratch : 0u, frontend);
}

fwgen_status_t fwgen_frontend_init_split(const fwgen_frontend_config_t *config, void *state,
                                         size_t state_size, void *scratch, size_t scratch_size,
                                         fwgen_frontend_t **frontend)
{
    if (config == NULL || state == NULL || scratch == NULL || frontend == NULL ||
        ((uintptr_t)state & 7u) != 0u || ((uintptr_t)scratch & 7u) != 0u) {
        return FWGEN_ERR_ARG;
    }
    if (config->abi != FWGEN_ABI) {
        return FWGEN_ERR_FORMAT;
    }
    if (!config_is_consistent(config)) {
        return FWGEN_ERR_ARG;
    }
    const layout_t l = layout_of(config);
    if (state_size < FWGEN_FRONTEND_STATE_HEADER_SIZE + l.input + l.noise_estimate ||
        scratch_size < scratch_of(&l)) {
        return FWGEN_ERR_SIZE;
    }
    uint8_t *p = (uint8_t *)state;
    fwgen_frontend_t *fe = (fwgen_frontend_t *)(void *)p;
    memset(fe, 0, sizeof(*fe));
    fe->config = config;
    p += FWGEN_FRONTEND_STATE_HEADER_SIZE;
    fe->input = (int16_t *)(void *)p;
    p += l.input;
    fe->noise_estimate = (uint32_t *)(void *)p;
    p = (uint8_t *)scratch;
    fe->fft_input = (int16_t *)(void *)p;
    p += l.fft_input;
    fe->fft_work = (int16_t *)(void *)p;
    p += l.fft_work;
    fe->fft_output = (int16_t *)(void *)p;
    p += l.fft_output;
    fe->channels = (uint32_t *)(void *)p;
    fwgen_frontend_reset(fe);
    *frontend = fe;
    return FWGEN_OK;
}

void fwgen_frontend_reset(fwgen_frontend_t *frontend)
{
    if (frontend == NULL) {
        return;
    }
    const fwgen_frontend_config_t *c = frontend->config;
    memset(frontend->input, 0, (size_t)c->window_size * sizeof(int16_t));
    memset(frontend->noise_estimate, 0, (size_t)c->n_channels * sizeof(uint32_t));
    frontend->input_used = 0;
    frontend->dc_prev_in = 0;
    frontend->dc_prev_out = 0;
    frontend->activity_filter_a = 0;
    frontend->activity_filter_b = 0;
    frontend->activity_armed = 0;
    frontend->activity_tripped = 0;
}

/* One full window is in `input`: run the pipeline into `frame`, then slide by one step. */
static void compute_frame(fwgen_frontend_t *fe, uint16_t *frame)
{
    const fwgen_frontend_config_t *c = fe->config;
    const int shift = fwgen_fe_window_apply(c->window, fe->input, c->window_size, fe->fft_input,
                                            c->fft_length);
    fwgen_fe_fft_real(c, fe->fft_input, (uint32_t)shift, fe->fft_work, fe->fft_output);
    fwgen_fe_filterbank(c, fe->fft_output, fe->channels, shift);
    if (c->activity_enable) {
        fwgen_fe_activity_update(fe, fe->channels);
    }
    if (c->noise_reduction_enable) {
        fwgen_fe_noise_reduction(c, fe->channels, fe->noise_estimate);
    }
    if (c->pcan_enable) {
        fwgen_fe_pcan(c, fe->channels, fe->noise_estimate);
    }
    fwgen_fe_log_scale(c, fe->channels, frame);

    memmove(fe->input, fe->input + c->window_step,
            (size_t)(c->window_size - c->window_step) * sizeof(int16_t));
    fe->input_used -= c->window_step;
}

/* Move up to `n` samples into the window buffer (through the DC notch); returns how many. */
static size_t feed(fwgen_frontend_t *fe, const int16_t *samples, size_t n)
{
    const fwgen_frontend_config_t *c = fe->config;
    size_t take = (size_t)c->window_size - fe->input_used;
    if (take > n) {
        take = n;
    }
    if (take > 0u) {
        int16_t *dst = fe->input + fe->input_used;
        if (c->dc_notch_enable) {
            fwgen_fe_dc_notch(c->dc_notch_coef, &fe->dc_prev_in, &fe->dc_prev_out, samples, dst,
                              take);
        } else {
            memcpy(dst, samples, take * sizeof(int16_t));
        }
        fe->input_used += (uint32_t)take;
    }
    return take;
}

fwgen_status_t fwgen_frontend_process(fwgen_frontend_t *frontend, const int16_t *samples,
                                      size_t n_samples, size_t *n_consumed, uint16_t *frame)
{
    if (frontend == NULL || n_consumed == NULL || frame == NULL || (samples == NULL && n_samples)) {
        return FWGEN_ERR_ARG;
    }
    *n_consumed = feed(frontend, samples, n_samples);
    if (frontend->input_used < frontend->config->window_size) {
        return FWGEN_NEED_MORE;
    }
    compute_frame(frontend, frame);
    return FWGEN_OK;
}

fwgen_status_t fwgen_frontend_process_frames(fwgen_frontend_t *frontend, const int16_t *samples,
                                             size_t n_samples, uint16_t *frames,
                                             size_t max_frames, size_t *n_frames,
                                             size_t *n_consumed)
{
    if (frontend == NULL || n_frames == NULL || n_consumed == NULL ||
        (samples == NULL && n_samples) || (frames == NULL && max_frames)) {
        return FWGEN_ERR_ARG;
    }
    const fwgen_frontend_config_t *c = frontend->config;
    size_t done = 0;
    size_t count = 0;
    while (done < n_samples) {
        if (count == max_frames) {
            /* No room for another frame: buffer only what does not complete a window. */
            const size_t room = (size_t)c->window_size - 1u - frontend->input_used;
            done += feed(frontend, samples + done, room < n_samples - done ? room : n_samples - done);
            break;
        }
        done += feed(frontend, samples + done, n_samples - done);
        if (frontend->input_used == c->window_size) {
            compute_frame(frontend, frames + count * c->n_channels);
            ++count;
        }
    }
    *n_frames = count;
    *n_consumed = done;
    return FWGEN_OK;
}

int fwgen_frontend_activity_tripped(fwgen_frontend_t *frontend)
{
    if (frontend == NULL || !frontend->activity_tripped) {
        return 0;
    }
    frontend->activity_tripped = 0;
    return 1;
}

fwgen_status_t fwgen_frontend_to_s8(const fwgen_frontend_config_t *config, const uint16_t *features,
                                    int8_t *out, size_t n_values)
{
    if (config == NULL || ((features == NULL || out == NULL) && n_values)) {
        return FWGEN_ERR_ARG;
    }
    if (config->dynamic_scale_enable) {
        fwgen_fe_quantize_dynamic_s8(features, out, n_values, config->dynamic_scale_range);
    } else {
        fwgen_fe_quantize_fixed_s8(features, out, n_values);
    }
    return FWGEN_OK;
}
