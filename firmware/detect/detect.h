/*
 * fwgen detector: turns the stream of per-inference class scores into detection events, with
 * the smoothing semantics of MLTK's audio_classifier (RecognizeCommands). Integer math only,
 * deterministic, no malloc: the caller owns the configuration, the state and its buffer.
 *
 * Per call (one call per inference, timestamps in ms, non-decreasing):
 *   1. scores become uint8: int8 outputs as s + 128, uint8 outputs as they are.
 *   2. minimum_count == 0: no averaging, the latest scores are used directly. Otherwise the
 *      result is queued, results older than average_window_duration_ms are dropped
 *      (kept while now - t <= window), and when fewer than minimum_count remain the call reports
 *      the previous detection's class with score 0 and no event.
 *   3. average[c] = floor(sum of queued scores[c] / queued results).
 *   4. top = the first class with the highest average (a class only wins if its average > 0;
 *      all zero gives class 0, score 0).
 *   5. An event fires when average[top] > threshold[top], the top class may trigger (classes
 *      such as silence/unknown never do), and either top differs from the previous event's
 *      class or now - previous event time > suppression_ms.
 *
 * Differences from MLTK, all deliberate: before the first event nothing is suppressed (MLTK
 * starts as if class 0 had fired at t = 0); a full queue drops its oldest result (MLTK drops
 * the newest); timestamps are checked against the newest result, not the oldest; timestamps
 * are uint32 and compared modulo 2^32, so the ms counter may wrap.
 */
#ifndef FWGEN_DETECT_DETECT_H
#define FWGEN_DETECT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FWGEN_DETECT_MAX_CLASSES 255u

/* Bytes of working buffer for a configuration (use for static allocation): per queued result
 * a uint32 timestamp plus n_classes uint8 scores rounded up to 4 bytes. */
#define FWGEN_DETECT_BUFFER_BYTES(n_classes, max_results) \
    ((size_t)(max_results) * (4u + (((size_t)(n_classes) + 3u) & ~(size_t)3u)))

/*
 * Configuration (never modified by the library).
 * n_classes                  [in] model output classes, 1 .. FWGEN_DETECT_MAX_CLASSES
 * max_results                [in] results the averaging queue holds, 1 .. 65535; size it to
 *                                 window / inference interval + 1 (a full queue drops its oldest)
 * minimum_count              [in] results needed in the window to report, 0 .. max_results
 *                                 (0 disables averaging: each result stands alone)
 * average_window_duration_ms [in] averaging window, 1 .. 2^31-1
 * suppression_ms             [in] after an event, the same class is ignored this long, 0 .. 2^31-1
 * thresholds                 [in] n_classes values 0 .. 255: an event needs average > threshold
 * can_trigger                [in] n_classes flags: 0 = the class never triggers (silence, unknown)
 */
typedef struct {
    uint16_t n_classes;
    uint16_t max_results;
    uint16_t minimum_count;
    uint32_t average_window_duration_ms;
    uint32_t suppression_ms;
    const uint8_t *thresholds;
    const uint8_t *can_trigger;
} fwgen_detect_config_t;

/* Streaming state. Opaque to callers: set up by fwgen_detect_init, cleared by _reset. */
typedef struct {
    uint32_t *times;      /* max_results timestamps (ring) */
    uint8_t *scores;      /* max_results rows of n_classes uint8 scores (ring) */
    uint16_t head;        /* index of the oldest queued result */
    uint16_t count;       /* queued results */
    uint32_t last_time;   /* timestamp of the latest call (valid when has_last) */
    uint32_t event_time;  /* time of the previous event (valid when has_event) */
    uint8_t event_class;  /* class of the previous event, 0 before any */
    uint8_t has_last;
    uint8_t has_event;
    uint8_t reserved;
} fwgen_detect_state_t;

/* What one call reports. */
typedef struct {
    uint8_t class_index; /* top class; the previous event's class when too few results */
    uint8_t score;       /* its averaged score 0 .. 255; 0 when too few results */
    uint8_t is_new;      /* 1 when this call fires a detection event */
    uint8_t reserved;    /* 0 */
    uint16_t n_results;  /* results averaged (1 when minimum_count is 0) */
    uint16_t reserved2;  /* 0 */
} fwgen_detect_result_t;

/* Bytes of working buffer for this configuration (FWGEN_DETECT_BUFFER_BYTES); 0 for NULL. */
size_t fwgen_detect_get_buffer_size(const fwgen_detect_config_t *cfg);

/*
 * Checks the configuration and binds the state to a caller-owned buffer.
 * buffer [in] at least fwgen_detect_get_buffer_size(cfg) bytes, 4-byte aligned, living as
 *             long as the state. Returns FWGEN_OK, FWGEN_ERR_ARG or FWGEN_ERR_SIZE.
 */
fwgen_status_t fwgen_detect_init(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                 void *buffer, size_t size);

/* Forgets all results and the previous event (as after init). */
fwgen_status_t fwgen_detect_reset(fwgen_detect_state_t *state);

/*
 * Processes one inference's scores.
 * scores   [in]  n_classes int8 model outputs (dequantization is not needed: s + 128 is used)
 * time_ms  [in]  timestamp of the inference; must not be before the previous call's
 *                (FWGEN_ERR_ARG, state unchanged)
 * result   [out] what the detector reports for this call
 * averages [out] optional (NULL allowed): n_classes averaged scores; zeros when too few results
 */
fwgen_status_t fwgen_detect_process_s8(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                       const int8_t *scores, uint32_t time_ms,
                                       fwgen_detect_result_t *result, uint8_t *averages);

/* As fwgen_detect_process_s8 for uint8 model outputs (used as they are). */
fwgen_status_t fwgen_detect_process_u8(const fwgen_detect_config_t *cfg, fwgen_detect_state_t *state,
                                       const uint8_t *scores, uint32_t time_ms,
                                       fwgen_detect_result_t *result, uint8_t *averages);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_DETECT_DETECT_H */
