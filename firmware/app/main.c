/*
 * fwgen app: the firmware every `fwgen build` produces.
 *
 * Boot: port (clock, UART, cycle counter) -> pipeline -> HELLO over the serial link. Then, by
 * audio source (FWGEN_APP_AUDIO_SOURCE, app_config.h):
 *   link (0)  the host streams PCM in AUDIO frames with credit flow control (firmware/link);
 *   clip (1)  a clip compiled into the image runs once at boot as a self-test (its results,
 *             STATS and END go out as for a streamed clip), then the link serves as in (0);
 *   mic  (2)  the board microphone feeds the pipeline continuously (falls back to the link,
 *             with a LOG warning, where the port has no microphone driver);
 *   semihost (3, twins only) as (0), and a stream that got no AUDIO before its END{n} is read
 *             from the emulator host's file (fwgen_port_host_audio_*) at MB/s: n samples fed
 *             hop by hop through the same ring, flow-control counters and CREDITs as link
 *             audio, then STATS and END as for a streamed clip; when the emulator names a
 *             link-out file, everything the link sends goes there instead of the UART.
 * The link always answers RESET (-> HELLO), CONFIG, PING and END (-> STATS, END). Corrupt or
 * unexpected frames are counted by the link and skipped; nothing the host sends stops the loop.
 * The board outlives its hosts: RESET restores every boot default (new_stream()), and a CONFIG
 * this build cannot do is answered with an ERROR and changes nothing (link.h, STREAM STATE).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/pipeline.h"
#include "app_config.h"
#include "detect_config.h"
#include "fwgen_board.h"
#include "link/link.h"
#include "ports/port.h"
#if FWGEN_APP_HAS_CLIP
#include "clip.h"
#endif

/* the audio ring: the link window (a build with no link audio, window 0, keeps one sample) */
#define AUDIO_WINDOW (FWGEN_APP_AUDIO_WINDOW > 0u ? FWGEN_APP_AUDIO_WINDOW : 1u)
#define HOP          FWGEN_APP_WINDOW_STEP

/* Link buffers and the audio ring, as fwgen.deploy.memory sized them (fwgen_memory.h). */
static uint8_t s_rx_buf[FWGEN_LINK_FRAME_SIZE(FWGEN_APP_LINK_RX_PAYLOAD)];
static uint8_t s_tx_buf[FWGEN_LINK_ENCODED_SIZE(FWGEN_APP_LINK_TX_PAYLOAD)];
static fwgen_link_t s_link;
static int16_t s_audio[AUDIO_WINDOW];   /* ring of received samples, never over the window */
static uint32_t s_audio_head, s_audio_count;
static uint8_t s_source = FWGEN_APP_AUDIO_SOURCE;
static uint64_t s_clock;                /* 64-bit extension of fwgen_port_cycles() */
static uint32_t s_clock_last;
#if FWGEN_APP_AUDIO_SOURCE == 3
enum { FILE_IDLE, FILE_READING, FILE_DONE };
static uint8_t s_file_state;            /* the host file of this stream */
static uint32_t s_file_end;             /* stream position the END asked for */
static uint8_t s_link_out;              /* device-to-host bytes go to a host file, not the UART */
#endif

static void uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
#if FWGEN_APP_AUDIO_SOURCE == 3
    if (s_link_out) {
        fwgen_port_host_link_write(data, len);
        return;
    }
#endif
    fwgen_port_uart_write(data, len);
}

static uint64_t clock_now(void)
{
    uint32_t t = fwgen_port_cycles();
    s_clock += (uint32_t)(t - s_clock_last);
    s_clock_last = t;
    return s_clock;
}

static uint32_t uptime_ms(void)
{
    uint64_t steps = clock_now() * fwgen_port_cycles_per_tick();
    /* emulators count instructions at 1 ns of virtual time each; boards count core cycles */
    uint64_t per_ms = fwgen_port_is_emulator() ? 1000000u : fwgen_port_core_hz() / 1000u;
    return (uint32_t)(steps / (per_ms ? per_ms : 1u));
}

/* Not inlined, here and in the two below: their message structs would otherwise sit in main()'s
 * frame, under the deepest call path (the pipeline), and the stack the build reserves. */
__attribute__((noinline)) static void send_hello(void)
{
    static const uint8_t hash[8] = FWGEN_APP_MODEL_HASH;
    static const char names[] = FWGEN_APP_CLASS_NAMES;
    fwgen_link_hello_t h;
    memset(&h, 0, sizeof h);
    h.fw_major = FWGEN_APP_VERSION_MAJOR;
    h.fw_minor = FWGEN_APP_VERSION_MINOR;
    h.fw_patch = FWGEN_APP_VERSION_PATCH;
    h.audio_source = s_source;
    h.abi = FWGEN_ABI;
    h.rx_max_payload = fwgen_link_rx_max_payload(&s_link);
    h.audio_window = FWGEN_APP_AUDIO_WINDOW;
    memcpy(h.model_hash, hash, sizeof hash);
    strncpy(h.board, FWGEN_BOARD_ID, sizeof h.board);
    h.sample_rate = FWGEN_APP_SAMPLE_RATE_HZ;
    h.window_samples = FWGEN_APP_WINDOW_SIZE;
    h.hop_samples = FWGEN_APP_WINDOW_STEP;
    h.n_channels = FWGEN_APP_N_CHANNELS;
    h.n_frames = FWGEN_APP_N_FRAMES;
    h.stride_frames = fwgen_app_pipeline_stride();
    h.n_classes = FWGEN_DETECT_N_CLASSES;
    h.feature_dtype = FWGEN_APP_FEATURE_DTYPE;
    h.cycle_unit = fwgen_port_is_emulator() ? 2u : 1u;
    h.class_names = names;
    h.class_names_len = (uint16_t)(sizeof names - 1u);
    fwgen_link_send_hello(&s_link, &h);
}

__attribute__((noinline)) static void send_stats(void)
{
    const fwgen_app_counters_t *c = fwgen_app_pipeline_counters();
    fwgen_link_stats_t st;
    memset(&st, 0, sizeof st);
    st.audio_samples = c->audio_samples;
    st.frames = c->frames;
    st.inferences = c->inferences;
    st.detections = c->detections;
    st.frontend_cycles = c->frontend_cycles;
    st.inference_cycles = c->inference_cycles;
    st.detect_cycles = c->detect_cycles;
    st.inference_cycles_max = c->inference_cycles_max;
    st.cycle_unit = fwgen_port_is_emulator() ? 2u : 1u;
    st.uptime_ms = uptime_ms();
    fwgen_link_fill_stats(&s_link, &st);
    fwgen_link_send_stats(&s_link, &st);
}

static void log_text(uint8_t level, const char *text)
{
    if (fwgen_app_pipeline_outputs() & FWGEN_APP_OUT_LOG) {
        fwgen_link_log(&s_link, level, text);
    }
}

static char *put_u32(char *out, uint32_t value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    while (n > 0) {
        *out++ = digits[--n];
    }
    return out;
}

/* LOG "stack N/M bytes": the main stack's high-water mark against its size. */
__attribute__((noinline)) static void log_stack(void)
{
    char text[48] = "stack ";
    char *p = put_u32(text + 6, (uint32_t)fwgen_port_stack_used());
    *p++ = '/';
    p = put_u32(p, (uint32_t)fwgen_port_stack_size());
    memcpy(p, " bytes", 7);
    log_text(0u, text);
}

/* Everything a stream leaves behind goes: pipeline (config included), audio ring, flow control. */
static void new_stream(void)
{
    fwgen_app_pipeline_reset();
    fwgen_link_audio_reset(&s_link);
    s_audio_head = s_audio_count = 0u;
#if FWGEN_APP_AUDIO_SOURCE == 3
    fwgen_port_host_audio_close();
    s_file_state = FILE_IDLE;
#endif
}

/* Feed every buffered sample to the pipeline (contiguous runs of the ring, at most a hop each). */
static void drain_audio(void)
{
    while (s_audio_count > 0u) {
        uint32_t start = (s_audio_head + AUDIO_WINDOW - s_audio_count) % AUDIO_WINDOW;
        uint32_t n = s_audio_count;
        if (n > AUDIO_WINDOW - start) {
            n = AUDIO_WINDOW - start;
        }
        if (n > HOP) {
            n = HOP;
        }
        fwgen_app_pipeline_feed(&s_audio[start], n);
        s_audio_count -= n;
        fwgen_link_audio_consumed(&s_link, n);
        clock_now();
    }
}

static void on_audio(const fwgen_link_frame_t *f)
{
    fwgen_link_audio_t a;
    if (fwgen_link_audio_unpack(f->payload, f->length, &a) != FWGEN_OK) {
        return;
    }
    if (s_source == 2u || fwgen_link_audio_accept(&s_link, &a) != FWGEN_OK) {
        return;
    }
    size_t n = a.pcm_len / 2u;
    for (size_t i = 0; i < n && s_audio_count < AUDIO_WINDOW; i++) {
        s_audio[s_audio_head] = fwgen_link_audio_sample(&a, i);
        s_audio_head = (s_audio_head + 1u) % AUDIO_WINDOW;
        s_audio_count++;
    }
}

/* END: the rest of the stream through the pipeline, then STATS and END{samples processed}. */
static void finish_stream(uint32_t total_samples)
{
    drain_audio();
    fwgen_link_audio_end(&s_link, total_samples);
    log_stack();
    send_stats();
    fwgen_link_end_t done = {fwgen_app_pipeline_counters()->audio_samples};
    fwgen_link_send_end(&s_link, &done);
}

#if FWGEN_APP_AUDIO_SOURCE == 3
/* END{n} of a stream that got no AUDIO: read n samples from the host file instead, finishing
 * in the main loop (file_step). 1 when the END is answered later, 0 to answer it now (a link
 * stream, a file already read, or no file: an ERROR says why and the samples count as lost). */
static int file_start(uint32_t total_samples)
{
    if (s_file_state == FILE_READING) {
        return 1;                              /* a repeated END: answered once, when done */
    }
    if (s_file_state == FILE_DONE || s_link.audio_received != 0u || total_samples == 0u) {
        return 0;
    }
    uint32_t bytes = 0;
    fwgen_status_t st = fwgen_port_host_audio_open(&bytes);
    if (st != FWGEN_OK) {
        fwgen_link_report_error(&s_link, st, FWGEN_LINK_END, 0u);
        s_file_state = FILE_DONE;
        return 0;
    }
    s_file_end = total_samples;
    s_file_state = FILE_READING;
    return 1;
}

/* Up to one hop from the file into the ring, accepted by the link's flow control like an
 * AUDIO frame; at the file's (or the stream's) end, the stream finishes. */
static void file_step(void)
{
    uint32_t want = s_file_end - s_link.audio_received;
    uint32_t room = AUDIO_WINDOW - s_audio_count;
    uint32_t tail = AUDIO_WINDOW - s_audio_head;   /* contiguous room at the head */
    want = want < HOP ? want : HOP;
    want = want < room ? want : room;
    want = want < tail ? want : tail;
    size_t got = want ? fwgen_port_host_audio_read(&s_audio[s_audio_head], 2u * want) / 2u : 0u;
    if (got > 0u) {
        fwgen_link_audio_t a = {s_link.audio_received, (const uint8_t *)&s_audio[s_audio_head],
                                (uint16_t)(2u * got)};
        if (fwgen_link_audio_accept(&s_link, &a) == FWGEN_OK) {
            s_audio_head = (s_audio_head + (uint32_t)got) % AUDIO_WINDOW;
            s_audio_count += (uint32_t)got;
        }
    }
    if (s_link.audio_received == s_file_end || (want > 0u && got == 0u)) {
        fwgen_port_host_audio_close();
        s_file_state = FILE_DONE;
        finish_stream(s_file_end);            /* a short file: the rest counts as lost */
    }
}
#endif

static void on_frame(const fwgen_link_frame_t *f)
{
    switch (f->type) {
    case FWGEN_LINK_AUDIO:
        on_audio(f);
        break;
    case FWGEN_LINK_CONFIG: {
        fwgen_link_config_t c;
        if (fwgen_link_config_unpack(f->payload, f->length, &c) == FWGEN_OK &&
            fwgen_link_config_check(&s_link, &c, FWGEN_APP_OUT_SUPPORTED,
                                    FWGEN_APP_MAX_STRIDE_FRAMES) == FWGEN_OK) {
            (void)fwgen_app_pipeline_configure(c.outputs, c.stride_frames);   /* checked */
        }
        break;
    }
    case FWGEN_LINK_PING: {
        fwgen_link_ping_t p;
        if (fwgen_link_ping_unpack(f->payload, f->length, &p) == FWGEN_OK) {
            fwgen_link_pong_t r = {p.token};
            fwgen_link_send_pong(&s_link, &r);
        }
        break;
    }
    case FWGEN_LINK_RESET:
        new_stream();
        send_hello();
        break;
    case FWGEN_LINK_END: {
        fwgen_link_end_t e;
        if (fwgen_link_end_unpack(f->payload, f->length, &e) == FWGEN_OK) {
#if FWGEN_APP_AUDIO_SOURCE == 3
            if (file_start(e.total_samples)) {
                break;
            }
#endif
            finish_stream(e.total_samples);
        }
        break;
    }
    default:
        break;   /* types a device never receives are rejected by the decoder already */
    }
}

/* Returns the number of bytes the UART had. */
static size_t service_link(void)
{
    uint8_t chunk[32];   /* on the deepest stack path (main's frame): small */
    size_t n = fwgen_port_uart_read(chunk, sizeof chunk);
    size_t at = 0;
    while (at < n) {
        size_t used = 0;
        fwgen_link_frame_t f;
        fwgen_status_t st = fwgen_link_receive(&s_link, chunk + at, n - at, &used, &f);
        at += used;
        if (st == FWGEN_OK) {
            on_frame(&f);
        } else if (used == 0u) {
            break;
        }
    }
    return n;
}

#if FWGEN_APP_HAS_CLIP
static void run_clip(void)
{
    new_stream();
    log_text(1u, "self-test: compiled-in clip");
    for (uint32_t at = 0; at < fwgen_clip_length; at += HOP) {
        uint32_t n = fwgen_clip_length - at < HOP ? fwgen_clip_length - at : HOP;
        fwgen_app_pipeline_feed(&fwgen_clip_samples[at], n);
        clock_now();
    }
    send_stats();
    fwgen_link_end_t done = {fwgen_app_pipeline_counters()->audio_samples};
    fwgen_link_send_end(&s_link, &done);
    new_stream();
}
#endif

int main(void)
{
    if (fwgen_port_init(FWGEN_BOARD_UART_BAUD) != FWGEN_OK) {
        fwgen_port_exit(2);
    }
#if FWGEN_APP_AUDIO_SOURCE == 3
    s_link_out = fwgen_port_host_link_open() == FWGEN_OK;
#endif
    s_clock_last = fwgen_port_cycles();
    static const fwgen_link_params_t params = {   /* in flash: not on main()'s frame */
        .accept = FWGEN_LINK_TO_DEVICE,
        .rx_buffer = s_rx_buf, .rx_buffer_size = sizeof s_rx_buf,
        .tx_buffer = s_tx_buf, .tx_buffer_size = sizeof s_tx_buf,
        .audio_window = FWGEN_APP_AUDIO_WINDOW, .write = uart_write, .write_ctx = NULL,
    };
    if (fwgen_link_init(&s_link, &params) != FWGEN_OK) {
        fwgen_port_exit(3);
    }
    fwgen_status_t st = fwgen_app_pipeline_init(&s_link, fwgen_port_cycles, fwgen_port_cycles_per_tick());
    if (s_source == 2u && fwgen_port_mic_start(FWGEN_APP_SAMPLE_RATE_HZ) != FWGEN_OK) {
        s_source = 0u;
        send_hello();
        log_text(2u, "no microphone driver on this port: audio comes over the link");
    } else {
        send_hello();
    }
    if (st != FWGEN_OK) {
        fwgen_link_report_error(&s_link, st, 0u, 0u);
        fwgen_port_exit(4);
    }
#if FWGEN_APP_HAS_CLIP
    if (s_source == 1u) {
        run_clip();
    }
#endif
    for (;;) {
        size_t received = service_link();
        if (s_source == 2u) {
            int16_t mic[FWGEN_APP_MIC_READ_SAMPLES];
            size_t n = fwgen_port_mic_read(mic, FWGEN_APP_MIC_READ_SAMPLES);
            if (n > 0u) {
                fwgen_app_pipeline_feed(mic, n);
            }
        } else {
#if FWGEN_APP_AUDIO_SOURCE == 3
            if (s_file_state == FILE_READING) {
                file_step();
            }
#endif
            drain_audio();
        }
#if FWGEN_APP_AUDIO_SOURCE == 3
        /* a file drains at every hop: a CREDIT per quarter window tells the host enough */
        if (s_file_state != FILE_READING ||
            s_link.audio_consumed - s_link.audio_acked >= AUDIO_WINDOW / 4u)
#endif
        fwgen_link_audio_service(&s_link);
        clock_now();
#if FWGEN_APP_AUDIO_SOURCE == 3
        if (received == 0u && s_file_state != FILE_READING && s_audio_count == 0u) {
            fwgen_port_wait_rx();          /* nothing to do until the host sends */
        }
#else
        (void)received;
#endif
    }
}
