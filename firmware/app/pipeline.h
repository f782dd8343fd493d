/*
 * fwgen app pipeline: int16 audio -> streaming frontend -> feature window -> inference every
 * `stride` frames -> detector -> link messages (FEATURES, LOGITS, DETECTION), with per-stage
 * cycle counts. Built from the generated configuration of one project (frontend_config.h,
 * model.h, detect_config.h, app_config.h); no malloc, all state static in pipeline.c.
 *
 * Semantics (the host reference fwgen.project.reference implements the same, stage for stage):
 *   - Frames are numbered from 0 since the last reset. Every frame is the frontend's uint16
 *     output for the audio so far, however the audio was chunked.
 *   - The window holds the newest FWGEN_APP_N_FRAMES frames. An inference runs after frame f
 *     when f + 1 >= N_FRAMES and (f + 1 - N_FRAMES) % stride == 0. Its input is the window,
 *     oldest frame first: microfrontend frames converted to int8 by fwgen_frontend_to_s8 over
 *     the whole window; log-mel frames (float32) quantized to the model's input scale and zero
 *     point by fwgen_logmel_quantize_s8 as they arrive, transposed for [channel][frame] models.
 *   - The detector sees each inference's int8 outputs at time_ms = end of frame f in stream
 *     time: ((f * hop + window_size) * 1000) / sample_rate, integer division.
 *   - FEATURES carry the uint16 frame (dtype 0; log-mel: the int8 frame, dtype 1); LOGITS the
 *     raw int8 outputs; DETECTION fires
 *     when the detector reports a new event.
 *
 * Stream state (a board keeps running between hosts: nothing of one stream reaches the next):
 *   - init (boot) and fwgen_app_pipeline_reset() (RESET) restore every default: outputs
 *     FWGEN_APP_OUT_DEFAULT, stride FWGEN_APP_STRIDE_FRAMES (the build's), frontend, feature
 *     window, detector and counters. The caller resets its audio buffer and the link's flow
 *     control with it (main.c: new_stream()).
 *   - fwgen_app_pipeline_configure() sets the whole configuration (stride 0: the default) or,
 *     for values this build cannot do, nothing; main.c checks a CONFIG with
 *     fwgen_link_config_check() first, which answers a refused one with an ERROR.
 */
#ifndef FWGEN_APP_PIPELINE_H
#define FWGEN_APP_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"
#include "link/link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output bits (CONFIG.outputs), same values as fwgen.link.Output. */
#define FWGEN_APP_OUT_FEATURES   0x01u
#define FWGEN_APP_OUT_LOGITS     0x02u
#define FWGEN_APP_OUT_DETECTIONS 0x04u
#define FWGEN_APP_OUT_LOG        0x08u
#define FWGEN_APP_OUT_SUPPORTED  0x0Fu   /* every bit this app streams; CONFIG refuses others */
#define FWGEN_APP_OUT_DEFAULT    (FWGEN_APP_OUT_DETECTIONS | FWGEN_APP_OUT_LOG)

/* Largest CONFIG.stride_frames the app runs: any the u16 field holds, as `fwgen build --stride`
 * accepts (an app with a tighter limit defines it lower; CONFIG refuses larger ones). */
#ifndef FWGEN_APP_MAX_STRIDE_FRAMES
#define FWGEN_APP_MAX_STRIDE_FRAMES 65535u
#endif

/* Counters since the last reset (cycles in units of fwgen_app_cycle_unit()). */
typedef struct {
    uint32_t audio_samples;
    uint32_t frames;
    uint32_t inferences;
    uint32_t detections;
    uint64_t frontend_cycles;
    uint64_t inference_cycles;
    uint64_t detect_cycles;
    uint32_t inference_cycles_max;
    uint32_t errors;            /* failed inferences or detector calls (reported with ERROR) */
} fwgen_app_counters_t;

/*
 * Set up the frontend, model arena and detector; messages go out through `link`.
 *   cycles        [in] free-running counter (may be NULL: no timing)
 *   cycles_scale  [in] multiplier turning counter steps into cycle_unit
 * Returns FWGEN_OK or the failing module's status.
 */
fwgen_status_t fwgen_app_pipeline_init(fwgen_link_t *link, uint32_t (*cycles)(void),
                                       uint32_t cycles_scale);

/* A new stream: forget all audio, frames, results and counters, and restore the default
 * outputs and stride. */
void fwgen_app_pipeline_reset(void);

/*
 * Set the optional outputs (FWGEN_APP_OUT_* bits) and the stride (0: FWGEN_APP_STRIDE_FRAMES).
 * Returns FWGEN_OK, or FWGEN_ERR_UNSUPPORTED with nothing changed when outputs has bits outside
 * FWGEN_APP_OUT_SUPPORTED or stride_frames > FWGEN_APP_MAX_STRIDE_FRAMES.
 */
fwgen_status_t fwgen_app_pipeline_configure(uint8_t outputs, uint16_t stride_frames);

/* Current output bits and stride. */
uint8_t fwgen_app_pipeline_outputs(void);
uint16_t fwgen_app_pipeline_stride(void);

/*
 * Process n int16 samples (any chunking gives the same results).
 * Returns FWGEN_OK; inference or detector failures are counted and reported over the link.
 */
fwgen_status_t fwgen_app_pipeline_feed(const int16_t *samples, size_t n);

/* Counters since the last reset. */
const fwgen_app_counters_t *fwgen_app_pipeline_counters(void);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_APP_PIPELINE_H */
