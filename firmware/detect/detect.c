/*
 * fwgen detector: MLTK-style averaging, thresholds and suppression over a stream of scores.
 * Integer math only. See detect.h for the exact rules. Our own implementation.
 */
#include "detect/detect.h"

#include <string.h>

static size_t row_bytes(uint32_t n_classes) { return ((size_t)n_classes + 3u) & ~(size_t)3u; }

size_t fwgen_detect_get_buffer_size(const fwgen_detect_config_t *cfg)
{
    if (cfg == NULL) {
        return 0;
    }
    return FWGEN_DETECT_BUFFER_BYTES(cfg->n_classes, cfg->max_results);
}

static fwgen_status_t check_config(const fwgen_detect_config_t *cfg)
{
    if (cfg == NULL || cfg->thresholds == NULL || cfg->can_trigger == NULL) {
        return FWGEN_ERR_ARG;
    }
    if (cfg->n_classes == 0u || cfg->n_classes > FWGEN_DETECT_MAX_CLASSES || cfg->max_results == 0u ||
        cfg->minimum_count > cfg->max_results || cfg->average_window_duration_ms == 0u ||
        cfg->average_window_duration_ms > 0x7fffffffu || cfg->suppression_ms > 0x7fffffffu) {
        return FWGEN_ERR_ARG;
    }
    return FWGEN_OK;
}

fwgen_status_t fwgen_detect_init(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                 void *buffer, size_t size)
{
    fwgen_status_t status = check_config(cfg);
    if (status != FWGEN_OK) {
        return status;
    }
    if (state == NULL || buffer == NULL || ((uintptr_t)buffer & 3u) != 0u) {
        return FWGEN_ERR_ARG;
    }
    if (size < fwgen_detect_get_buffer_size(cfg)) {
        return FWGEN_ERR_SIZE;
    }
    state->times = (uint32_t *)buffer;
    state->scores = (uint8_t *)buffer + (size_t)cfg->max_results * 4u;
    return fwgen_detect_reset(state);
}

fwgen_status_t fwgen_detect_reset(fwgen_detect_state_t *state)
{
    if (state == NULL || state->times == NULL || state->scores == NULL) {
        return FWGEN_ERR_ARG;
    }
    state->head = 0;
    state->count = 0;
    state->last_time = 0;
    state->event_time = 0;
    state->event_class = 0;
    state->has_last = 0;
    state->has_event = 0;
    state->reserved = 0;
    return FWGEN_OK;
}

static uint8_t score_at(const void *scores, int is_s8, uint32_t c)
{
    if (is_s8) {
        return (uint8_t)((int32_t)((const int8_t *)scores)[c] + 128);
    }
    return ((const uint8_t *)scores)[c];
}

static fwgen_status_t process(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                              const void *scores, int is_s8, uint32_t time_ms,
                              fwgen_detect_result_t *result, uint8_t *averages)
{
    fwgen_status_t status = check_config(cfg);
    if (status != FWGEN_OK) {
        return status;
    }
    if (state == NULL || state->times == NULL || state->scores == NULL || scores == NULL ||
        result == NULL || state->count > cfg->max_results || state->head >= cfg->max_results) {
        return FWGEN_ERR_ARG;
    }
    if (state->has_last && (int32_t)(time_ms - state->last_time) < 0) {
        return FWGEN_ERR_ARG; /* results must come in time order */
    }
    state->has_last = 1;
    state->last_time = time_ms;
    memset(result, 0, sizeof *result);

    const uint32_t n_classes = cfg->n_classes;
    const size_t row = row_bytes(n_classes);
    uint32_t top_class = 0;
    uint32_t top_score = 0;

    if (cfg->minimum_count == 0u) {
        /* No averaging: the latest result alone. */
        for (uint32_t c = 0; c < n_classes; ++c) {
            const uint32_t s = score_at(scores, is_s8, c);
            if (averages != NULL) {
                averages[c] = (uint8_t)s;
            }
            if (s > top_score) {
                top_score = s;
                top_class = c;
            }
        }
        result->n_results = 1;
    } else {
        /* Drop results that fell out of the window, then make room and queue this one. */
        while (state->count > 0u &&
               (uint32_t)(time_ms - state->times[state->head]) > cfg->average_window_duration_ms) {
            state->head = (uint16_t)((state->head + 1u) % cfg->max_results);
            state->count = (uint16_t)(state->count - 1u);
        }
        if (state->count == cfg->max_results) {
            state->head = (uint16_t)((state->head + 1u) % cfg->max_results);
            state->count = (uint16_t)(state->count - 1u);
        }
        const uint32_t slot = ((uint32_t)state->head + state->count) % cfg->max_results;
        state->times[slot] = time_ms;
        uint8_t *dst = &state->scores[slot * row];
        for (uint32_t c = 0; c < n_classes; ++c) {
            dst[c] = score_at(scores, is_s8, c);
        }
        state->count = (uint16_t)(state->count + 1u);
        result->n_results = state->count;

        if (state->count < cfg->minimum_count) {
            result->class_index = state->event_class;
            if (averages != NULL) {
                memset(averages, 0, n_classes);
            }
            return FWGEN_OK;
        }
        for (uint32_t c = 0; c < n_classes; ++c) {
            uint32_t sum = 0;
            uint32_t index = state->head;
            for (uint32_t i = 0; i < state->count; ++i) {
                sum += state->scores[index * row + c];
                index = index + 1u == cfg->max_results ? 0u : index + 1u;
            }
            const uint32_t average = sum / state->count;
            if (averages != NULL) {
                averages[c] = (uint8_t)average;
            }
            if (average > top_score) {
                top_score = average;
                top_class = c;
            }
        }
    }

    result->class_index = (uint8_t)top_class;
    result->score = (uint8_t)top_score;
    const int suppressed = state->has_event && top_class == state->event_class &&
                           (uint32_t)(time_ms - state->event_time) <= cfg->suppression_ms;
    if (top_score > cfg->thresholds[top_class] && cfg->can_trigger[top_class] != 0u && !suppressed) {
        state->has_event = 1;
        state->event_class = (uint8_t)top_class;
        state->event_time = time_ms;
        result->is_new = 1;
    }
    return FWGEN_OK;
}

fwgen_status_t fwgen_detect_process_s8(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                       const int8_t *scores, uint32_t time_ms,
                                       fwgen_detect_result_t *result, uint8_t *averages)
{
    return process(cfg, state, scores, 1, time_ms, result, averages);
}

fwgen_status_t fwgen_detect_process_u8(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                       const uint8_t *scores, uint32_t time_ms,
                                       fwgen_detect_result_t *result, uint8_t *averages)
{
    return process(cfg, state, scores, 0, time_ms, result, averages);
}
