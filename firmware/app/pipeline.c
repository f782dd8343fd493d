/*
 * fwgen app pipeline (see pipeline.h for the semantics the host reference shares).
 */
#include "app/pipeline.h"

#include <string.h>

#include "app_config.h"
#include "common/fwgen_bench.h"
#include "detect/detect.h"
#include "detect_config.h"
#include "model.h"
#if FWGEN_APP_FRONTEND_LOGMEL
#include "frontend/logmel.h"
#include "logmel_tables.h"
#else
#include "frontend/frontend.h"
#include "frontend_config.h"
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the pipeline sends uint16 features as stored: little-endian targets only"
#endif

#define N_CH     FWGEN_APP_N_CHANNELS
#define N_FRAMES FWGEN_APP_N_FRAMES
#define N_IN     (N_FRAMES * N_CH)

#if FWGEN_APP_FRONTEND_LOGMEL
#if FWGEN_LOGMEL_N_CHANNELS != FWGEN_APP_N_CHANNELS || FWGEN_LOGMEL_WINDOW_STEP != FWGEN_APP_WINDOW_STEP
#error "logmel_tables.h and app_config.h disagree: regenerate the project"
#endif
typedef int8_t feature_t;      /* frames are quantized to the model input as they arrive */
#else
#if FWGEN_FRONTEND_N_CHANNELS != FWGEN_APP_N_CHANNELS || FWGEN_FRONTEND_WINDOW_STEP != FWGEN_APP_WINDOW_STEP
#error "frontend_config.h and app_config.h disagree: regenerate the project"
#endif
typedef uint16_t feature_t;    /* microfrontend output, converted to int8 per inference */
#endif

#if FWGEN_MODEL_INPUT_COUNT != 1u || FWGEN_MODEL_OUTPUT_COUNT != 1u
#error "the app runs models with one input and one output"
#endif
#if FWGEN_MODEL_INPUT0_ELEMENTS != N_IN
#error "model input size differs from FWGEN_APP_N_FRAMES x FWGEN_FRONTEND_N_CHANNELS"
#endif
#if FWGEN_MODEL_OUTPUT0_ELEMENTS != FWGEN_DETECT_N_CLASSES
#error "model outputs differ from the detector's class count"
#endif

#if FWGEN_APP_FRONTEND_LOGMEL
static uint64_t s_frontend_mem[(FWGEN_LOGMEL_BUFFER_SIZE + 7u) / 8u];
static fwgen_logmel_state_t s_logmel;
#elif FWGEN_APP_FRONTEND_IN_ARENA
/* What persists between frames; the per-frame scratch is the arena's idle bytes (fwgen_memory.h):
 * the frontend runs only between invokes, where the model plans nothing over them. */
#if FWGEN_MODEL_IDLE_BYTES < FWGEN_FRONTEND_SCRATCH_SIZE
#error "model.h leaves fewer idle arena bytes than the frontend's scratch: regenerate the project"
#endif
static uint64_t s_frontend_mem[(FWGEN_FRONTEND_STATE_SIZE - FWGEN_FRONTEND_SCRATCH_SIZE + 7u) / 8u];
#else
static uint64_t s_frontend_mem[(FWGEN_FRONTEND_STATE_SIZE + 7u) / 8u];
#endif
static uint32_t s_detect_buf[(FWGEN_DETECT_BUFFER_SIZE + 3u) / 4u];
static uint8_t s_arena[FWGEN_MODEL_ARENA_BYTES]
    __attribute__((aligned(FWGEN_MODEL_ARENA_ALIGN), section(".fwgen_arena")));
#if FWGEN_APP_WINDOW_IN_ARENA
/* The window is the model input itself, newest frame last: the memory plan keeps the input's
 * bytes for the window alone (model.h: FWGEN_MODEL_INPUTS_KEPT), so no copy of it exists. */
#if !FWGEN_MODEL_INPUTS_KEPT
#error "app_config.h keeps the feature window in the arena, model.h plans over its input: regenerate"
#endif
#if !FWGEN_APP_FRONTEND_LOGMEL && FWGEN_FRONTEND_DYNAMIC_SCALE
#error "dynamic int8 scaling needs the uint16 window: it cannot live in the model input"
#endif
#else
static feature_t s_window[N_FRAMES][N_CH];  /* ring of the newest frames */
#endif
#if !FWGEN_APP_FRONTEND_LOGMEL && FWGEN_FRONTEND_DYNAMIC_SCALE
static uint16_t s_linear[N_IN];             /* window, oldest first: dynamic scaling spans it all */
#endif

static struct {
    fwgen_link_t *link;
#if !FWGEN_APP_FRONTEND_LOGMEL
    fwgen_frontend_t *frontend;
#endif
    fwgen_detect_state_t detect;
    uint32_t (*cycles)(void);
    uint32_t cycles_scale;
    uint8_t outputs;
    uint16_t stride;
    fwgen_app_counters_t counters;
} s;

static inline uint32_t now(void) { return s.cycles ? s.cycles() : 0u; }

fwgen_status_t fwgen_app_pipeline_init(fwgen_link_t *link, uint32_t (*cycles)(void),
                                       uint32_t cycles_scale)
{
    memset(&s, 0, sizeof s);
    s.link = link;
    s.cycles = cycles;
    s.cycles_scale = cycles_scale ? cycles_scale : 1u;
    s.outputs = FWGEN_APP_OUT_DEFAULT;
    s.stride = FWGEN_APP_STRIDE_FRAMES;
#if FWGEN_APP_FRONTEND_LOGMEL
    fwgen_status_t st = fwgen_logmel_init(&fwgen_logmel_config, &s_logmel, s_frontend_mem,
                                          sizeof s_frontend_mem);
#elif FWGEN_APP_FRONTEND_IN_ARENA
    fwgen_status_t st = fwgen_frontend_init_split(&fwgen_frontend_config, s_frontend_mem,
                                                  sizeof s_frontend_mem,
                                                  s_arena + FWGEN_MODEL_IDLE_OFFSET,
                                                  FWGEN_MODEL_IDLE_BYTES, &s.frontend);
#else
    fwgen_status_t st = fwgen_frontend_init(&fwgen_frontend_config, s_frontend_mem,
                                            sizeof s_frontend_mem, &s.frontend);
#endif
    if (st != FWGEN_OK) {
        return st;
    }
    return fwgen_detect_init(&fwgen_detect_config, &s.detect, s_detect_buf, sizeof s_detect_buf);
}

void fwgen_app_pipeline_reset(void)
{
#if FWGEN_APP_FRONTEND_LOGMEL
    fwgen_logmel_reset(&s_logmel);
#else
    fwgen_frontend_reset(s.frontend);
#endif
    fwgen_detect_reset(&s.detect);
    memset(&s.counters, 0, sizeof s.counters);
#if FWGEN_APP_WINDOW_IN_ARENA
    memset(fwgen_model_input(s_arena, 0), 0, N_IN);
#else
    memset(s_window, 0, sizeof s_window);
#endif
    s.outputs = FWGEN_APP_OUT_DEFAULT;          /* a host's CONFIG ends with its stream */
    s.stride = FWGEN_APP_STRIDE_FRAMES;
}

fwgen_status_t fwgen_app_pipeline_configure(uint8_t outputs, uint16_t stride_frames)
{
    static const uint16_t max_stride = FWGEN_APP_MAX_STRIDE_FRAMES;   /* no -Wtype-limits */
    if ((outputs & (uint8_t)~FWGEN_APP_OUT_SUPPORTED) != 0u || stride_frames > max_stride) {
        return FWGEN_ERR_UNSUPPORTED;
    }
    s.outputs = outputs;
    s.stride = stride_frames != 0u ? stride_frames : (uint16_t)FWGEN_APP_STRIDE_FRAMES;
    return FWGEN_OK;
}

uint8_t fwgen_app_pipeline_outputs(void) { return s.outputs; }
uint16_t fwgen_app_pipeline_stride(void) { return s.stride; }
const fwgen_app_counters_t *fwgen_app_pipeline_counters(void) { return &s.counters; }

static void report_results(uint32_t frame_index, uint32_t inference_index);

static void run_inference(uint32_t frame_index)
{
    fwgen_app_counters_t *c = &s.counters;
    uint32_t t0 = now();
#if FWGEN_APP_WINDOW_IN_ARENA
    fwgen_status_t st = FWGEN_OK;              /* the input holds the window already */
#else
    uint32_t oldest = (frame_index + 1u) % N_FRAMES;   /* ring slot of the oldest frame */
    int8_t *input = (int8_t *)fwgen_model_input(s_arena, 0);
#endif
#if FWGEN_APP_WINDOW_IN_ARENA
#elif FWGEN_APP_FRONTEND_LOGMEL
    /* frames are already int8: copy them into the model input in its layout */
    fwgen_status_t st = FWGEN_OK;
    for (uint32_t i = 0; i < N_FRAMES; i++) {
        const int8_t *row = s_window[(oldest + i) % N_FRAMES];
#if FWGEN_APP_CHANNELS_MAJOR
        for (uint32_t ch = 0; ch < N_CH; ch++) {
            input[ch * N_FRAMES + i] = row[ch];
        }
#else
        memcpy(&input[i * N_CH], row, N_CH);
#endif
    }
#elif FWGEN_FRONTEND_DYNAMIC_SCALE
    for (uint32_t i = 0; i < N_FRAMES; i++) {
        memcpy(&s_linear[i * N_CH], s_window[(oldest + i) % N_FRAMES], sizeof s_window[0]);
    }
    fwgen_status_t st = fwgen_frontend_to_s8(&fwgen_frontend_config, s_linear, input, N_IN);
#else
    /* value-by-value mapping: convert each frame straight into the model input, oldest first */
    fwgen_status_t st = FWGEN_OK;
    for (uint32_t i = 0; i < N_FRAMES && st == FWGEN_OK; i++) {
        st = fwgen_frontend_to_s8(&fwgen_frontend_config, s_window[(oldest + i) % N_FRAMES],
                                  &input[i * N_CH], N_CH);
    }
#endif
    if (st == FWGEN_OK) {
        st = fwgen_model_invoke(s_arena);
    }
    uint32_t dt = (now() - t0) * s.cycles_scale;
    c->inference_cycles += dt;
    if (dt > c->inference_cycles_max) {
        c->inference_cycles_max = dt;
    }
    uint32_t inference_index = c->inferences++;
    if (st != FWGEN_OK) {
        c->errors++;
        fwgen_link_report_error(s.link, st, 0u, inference_index);
        return;
    }
    report_results(frame_index, inference_index);
}

/* LOGITS, the detector and DETECTION after an inference. Not inlined: its message structs
 * would otherwise sit in the frame that calls the model, on the deepest stack path. */
__attribute__((noinline)) static void report_results(uint32_t frame_index, uint32_t inference_index)
{
    fwgen_app_counters_t *c = &s.counters;
    fwgen_status_t st;
    uint32_t t0;
    const int8_t *out = (const int8_t *)fwgen_model_output(s_arena, 0);
    if (s.outputs & FWGEN_APP_OUT_LOGITS) {
        fwgen_link_logits_t m = {inference_index, frame_index, out, FWGEN_DETECT_N_CLASSES};
        fwgen_link_send_logits(s.link, &m);
    }
    uint32_t time_ms = (uint32_t)((((uint64_t)frame_index * FWGEN_APP_WINDOW_STEP
                                    + FWGEN_APP_WINDOW_SIZE) * 1000u)
                                  / FWGEN_APP_SAMPLE_RATE_HZ);
    fwgen_detect_result_t result;
    t0 = now();
    st = fwgen_detect_process_s8(&fwgen_detect_config, &s.detect, out, time_ms, &result, NULL);
    c->detect_cycles += (now() - t0) * s.cycles_scale;
    if (st != FWGEN_OK) {
        c->errors++;
        fwgen_link_report_error(s.link, st, 0u, inference_index);
        return;
    }
    if (result.is_new) {
        c->detections++;
        if (s.outputs & FWGEN_APP_OUT_DETECTIONS) {
            fwgen_link_detection_t d = {inference_index, frame_index, time_ms,
                                        result.class_index, result.score};
            fwgen_link_send_detection(s.link, &d);
        }
    }
}

#if FWGEN_APP_WINDOW_IN_ARENA
/* Shift the model input by one frame and put the new one, as int8, at its end (not inlined:
 * its row would sit in the frame that calls the model). */
__attribute__((noinline)) static void append_to_input(const feature_t *frame)
{
    int8_t *input = (int8_t *)fwgen_model_input(s_arena, 0);
    int8_t row[N_CH];
#if FWGEN_APP_FRONTEND_LOGMEL
    memcpy(row, frame, N_CH);
#else
    /* value-by-value mapping (no dynamic scaling): each frame converts on its own */
    (void)fwgen_frontend_to_s8(&fwgen_frontend_config, frame, row, N_CH);
#endif
#if FWGEN_APP_CHANNELS_MAJOR
    for (uint32_t ch = 0; ch < N_CH; ch++) {
        memmove(&input[ch * N_FRAMES], &input[ch * N_FRAMES + 1u], N_FRAMES - 1u);
        input[ch * N_FRAMES + N_FRAMES - 1u] = row[ch];
    }
#else
    memmove(input, input + N_CH, (N_FRAMES - 1u) * N_CH);
    memcpy(&input[(N_FRAMES - 1u) * N_CH], row, N_CH);
#endif
}
#endif

static void on_frame(const feature_t *frame)
{
    uint32_t frame_index = s.counters.frames++;
#if FWGEN_APP_WINDOW_IN_ARENA
    append_to_input(frame);
#else
    memcpy(s_window[frame_index % N_FRAMES], frame, sizeof s_window[0]);
#endif
    if (s.outputs & FWGEN_APP_OUT_FEATURES) {
        fwgen_link_features_t m = {frame_index, FWGEN_APP_FEATURE_DTYPE, (const uint8_t *)frame,
                                   (uint16_t)(N_CH * sizeof(feature_t))};
        fwgen_link_send_features(s.link, &m);
    }
    uint32_t have = frame_index + 1u;
    if (have >= N_FRAMES && (have - N_FRAMES) % s.stride == 0u) {
        run_inference(frame_index);
    }
}

fwgen_status_t fwgen_app_pipeline_feed(const int16_t *samples, size_t n)
{
    s.counters.audio_samples += (uint32_t)n;
    while (n > 0u) {
        size_t used = 0;
        uint32_t t0 = now();
        FWGEN_BENCH_MARK(FWGEN_BENCH_FRONTEND);
#if FWGEN_APP_FRONTEND_LOGMEL
        float values[N_CH];
        int8_t frame[N_CH];
        int ready = 0;
        fwgen_status_t st = fwgen_logmel_process(&fwgen_logmel_config, &s_logmel, samples, n,
                                                 &used, values, &ready);
        if (st == FWGEN_OK && ready) {
            st = fwgen_logmel_quantize_s8(values, N_CH, FWGEN_LOGMEL_INPUT_SCALE,
                                          FWGEN_LOGMEL_INPUT_ZERO_POINT, frame);
        }
        st = (st == FWGEN_OK && !ready) ? FWGEN_NEED_MORE : st;
#else
        uint16_t frame[N_CH];
        fwgen_status_t st = fwgen_frontend_process(s.frontend, samples, n, &used, frame);
#endif
        FWGEN_BENCH_MARK(FWGEN_BENCH_OTHER);
        s.counters.frontend_cycles += (uint64_t)(now() - t0) * s.cycles_scale;
        samples += used;
        n -= used;
        if (st == FWGEN_OK) {
            on_frame(frame);
        } else if (st != FWGEN_NEED_MORE) {
            return st;
        }
    }
    return FWGEN_OK;
}
