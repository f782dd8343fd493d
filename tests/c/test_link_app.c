/*
 * The usage documented in firmware/link/link.h, as a complete (tiny) device app: a ring
 * buffer of audio, the receive dispatch, hop-by-hop processing with flow control, and the
 * END/RESET/PING/CONFIG handling. A scripted host (built with the same encoder) drives it
 * through a whole stream, a refused CONFIG and a RESET that restores the defaults; every reply
 * is decoded and checked. Exit status 0 = pass.
 */
#include <stdio.h>
#include <string.h>

#include "link/link.h"

static int failures;
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* ---------------- the device app ---------------- */

#define AUDIO_RING_SAMPLES 1024u
#define HOP 160u

static uint8_t rx_buf[FWGEN_LINK_RX_BUFFER_SIZE], tx_buf[FWGEN_LINK_TX_BUFFER_SIZE];
static fwgen_link_t link;
static int16_t ring[AUDIO_RING_SAMPLES];
static uint32_t ring_head, ring_count;   /* samples buffered */
static uint32_t frames, processed;        /* "pipeline" counters */
static int64_t energy;                    /* stands in for the frontend's work */
#define DEFAULT_OUTPUTS 0x04u
#define OUTPUT_BITS 0x0Fu
static uint8_t outputs = DEFAULT_OUTPUTS;

static uint8_t uart_tx[1 << 16];          /* what the device wrote */
static size_t uart_tx_len;

static void uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (uart_tx_len + len <= sizeof uart_tx) {
        memcpy(uart_tx + uart_tx_len, data, len);
        uart_tx_len += len;
    }
}

static void ring_push(int16_t s)
{
    ring[(ring_head + ring_count) % AUDIO_RING_SAMPLES] = s;
    ring_count++;
}

static void send_hello(void)
{
    fwgen_link_hello_t hello;
    memset(&hello, 0, sizeof hello);
    hello.fw_minor = 1;
    hello.abi = 1;
    hello.rx_max_payload = fwgen_link_rx_max_payload(&link);
    hello.audio_window = AUDIO_RING_SAMPLES;
    memcpy(hello.board, "test_board", 10);
    hello.sample_rate = 16000;
    hello.window_samples = 480;
    hello.hop_samples = HOP;
    hello.class_names = "a\nb";
    hello.class_names_len = 3;
    CHECK(fwgen_link_send_hello(&link, &hello) == FWGEN_OK);
}

static void process_hops(void)
{
    while (ring_count >= HOP) {
        for (uint32_t i = 0; i < HOP; i++) {
            int16_t s = ring[ring_head];
            energy += s < 0 ? -s : s;
            ring_head = (ring_head + 1u) % AUDIO_RING_SAMPLES;
        }
        ring_count -= HOP;
        processed += HOP;
        if (outputs & 0x01) {
            uint8_t feature = (uint8_t)frames;
            fwgen_link_features_t f = {frames, 1, &feature, 1};
            CHECK(fwgen_link_send_features(&link, &f) == FWGEN_OK);
        }
        frames++;
        fwgen_link_audio_consumed(&link, HOP);
    }
}

static void handle(const fwgen_link_frame_t *f)
{
    switch (f->type) {
    case FWGEN_LINK_AUDIO: {
        fwgen_link_audio_t a;
        CHECK(fwgen_link_audio_unpack(f->payload, f->length, &a) == FWGEN_OK);
        if (fwgen_link_audio_accept(&link, &a) == FWGEN_OK) {
            for (size_t i = 0; i < a.pcm_len / 2u; i++) {
                ring_push(fwgen_link_audio_sample(&a, i));
            }
        }
        break;
    }
    case FWGEN_LINK_CONFIG: {
        fwgen_link_config_t c;
        CHECK(fwgen_link_config_unpack(f->payload, f->length, &c) == FWGEN_OK);
        if (fwgen_link_config_check(&link, &c, OUTPUT_BITS, 0) == FWGEN_OK) {
            outputs = c.outputs;   /* this app has one stride: only stride_frames 0 passes */
        }
        break;
    }
    case FWGEN_LINK_PING: {
        fwgen_link_ping_t p;
        CHECK(fwgen_link_ping_unpack(f->payload, f->length, &p) == FWGEN_OK);
        fwgen_link_pong_t r = {p.token};
        CHECK(fwgen_link_send_pong(&link, &r) == FWGEN_OK);
        break;
    }
    case FWGEN_LINK_END: {
        fwgen_link_end_t e;
        CHECK(fwgen_link_end_unpack(f->payload, f->length, &e) == FWGEN_OK);
        fwgen_link_audio_end(&link, e.total_samples);
        process_hops();
        fwgen_link_audio_consumed(&link, ring_count); /* a partial hop is dropped */
        ring_count = 0;
        fwgen_link_stats_t stats;
        memset(&stats, 0, sizeof stats);
        stats.audio_samples = processed;
        stats.frames = frames;
        fwgen_link_fill_stats(&link, &stats);
        CHECK(fwgen_link_send_stats(&link, &stats) == FWGEN_OK);
        fwgen_link_end_t done = {processed};
        CHECK(fwgen_link_send_end(&link, &done) == FWGEN_OK);
        break;
    }
    case FWGEN_LINK_RESET:
        outputs = DEFAULT_OUTPUTS;   /* nothing the previous host configured survives */
        ring_head = ring_count = frames = processed = 0;
        fwgen_link_audio_reset(&link);
        send_hello();
        break;
    default:
        break;
    }
}

/* One main-loop iteration with the bytes the UART delivered. */
static void app_poll(const uint8_t *data, size_t n)
{
    size_t used = 0;
    for (size_t at = 0; at < n; at += used) {
        fwgen_link_frame_t f;
        if (fwgen_link_receive(&link, data + at, n - at, &used, &f) == FWGEN_OK) {
            handle(&f);
        }
    }
    process_hops();
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
}

/* ---------------- the scripted host ---------------- */

static uint16_t host_seq;
static fwgen_link_rx_t host_rx;
static uint8_t host_rx_buf[FWGEN_LINK_RX_BUFFER_SIZE];
static uint32_t credit_consumed, pongs, stats_frames, stats_samples, end_total, hellos, features;
static uint32_t config_errors, error_detail;

static void host_send(uint8_t type, const uint8_t *fixed, size_t n, const void *tail, size_t t)
{
    uint8_t wire[FWGEN_LINK_TX_BUFFER_SIZE];
    size_t len = 0;
    CHECK(fwgen_link_encode(type, host_seq++, fixed, n, tail, t, wire, sizeof wire, &len) ==
          FWGEN_OK);
    /* Deliver in odd-sized pieces, as a UART driver would. */
    for (size_t at = 0; at < len; at += 7) {
        app_poll(wire + at, len - at < 7 ? len - at : 7);
    }
}

static void host_read(void)
{
    fwgen_link_frame_t f;
    for (size_t i = 0; i < uart_tx_len; i++) {
        if (fwgen_link_rx_push(&host_rx, uart_tx[i], &f) != FWGEN_OK) {
            continue;
        }
        if (f.type == FWGEN_LINK_CREDIT) {
            fwgen_link_credit_t c;
            CHECK(fwgen_link_credit_unpack(f.payload, f.length, &c) == FWGEN_OK);
            credit_consumed = c.consumed;
        } else if (f.type == FWGEN_LINK_PONG) {
            pongs++;
        } else if (f.type == FWGEN_LINK_HELLO) {
            fwgen_link_hello_t h;
            CHECK(fwgen_link_hello_unpack(f.payload, f.length, &h) == FWGEN_OK);
            CHECK(h.audio_window == AUDIO_RING_SAMPLES && h.class_names_len == 3);
            CHECK(memcmp(h.board, "test_board", 11) == 0);
            hellos++;
        } else if (f.type == FWGEN_LINK_ERROR) {
            fwgen_link_error_t e;
            CHECK(fwgen_link_error_unpack(f.payload, f.length, &e) == FWGEN_OK);
            CHECK(e.cause_type == FWGEN_LINK_CONFIG && e.status == FWGEN_ERR_UNSUPPORTED);
            error_detail = e.detail;
            config_errors++;
        } else if (f.type == FWGEN_LINK_FEATURES) {
            features++;
        } else if (f.type == FWGEN_LINK_STATS) {
            fwgen_link_stats_t s;
            CHECK(fwgen_link_stats_unpack(f.payload, f.length, &s) == FWGEN_OK);
            stats_frames = s.frames;
            stats_samples = s.audio_samples;
            CHECK(s.audio_lost == 0 && s.audio_overruns == 0 && s.rx_crc_errors == 0);
        } else if (f.type == FWGEN_LINK_END) {
            fwgen_link_end_t e;
            CHECK(fwgen_link_end_unpack(f.payload, f.length, &e) == FWGEN_OK);
            end_total = e.total_samples;
        }
    }
    uart_tx_len = 0;
}

int main(void)
{
    fwgen_link_params_t cfg = {
        .accept = FWGEN_LINK_TO_DEVICE,
        .rx_buffer = rx_buf, .rx_buffer_size = sizeof rx_buf,
        .tx_buffer = tx_buf, .tx_buffer_size = sizeof tx_buf,
        .audio_window = AUDIO_RING_SAMPLES, .write = uart_write, .write_ctx = NULL,
    };
    CHECK(fwgen_link_init(&link, &cfg) == FWGEN_OK);
    CHECK(fwgen_link_rx_init(&host_rx, FWGEN_LINK_TO_HOST, host_rx_buf, sizeof host_rx_buf) ==
          FWGEN_OK);
    send_hello(); /* boot */
    host_read();

    host_send(FWGEN_LINK_RESET, NULL, 0, NULL, 0);
    uint8_t config[FWGEN_LINK_CONFIG_SIZE];
    fwgen_link_config_t c = {0x05, 0};
    fwgen_link_config_pack(&c, config);
    host_send(FWGEN_LINK_CONFIG, config, sizeof config, NULL, 0);
    uint8_t ping[FWGEN_LINK_PING_SIZE];
    fwgen_link_ping_t p = {42};
    fwgen_link_ping_pack(&p, ping);
    host_send(FWGEN_LINK_PING, ping, sizeof ping, NULL, 0);
    host_read();
    CHECK(hellos == 2 && pongs == 1);

    /* 5000 samples in chunks of 300, never more than the window in flight. */
    const uint32_t total = 5000, chunk = 300;
    uint32_t sent = 0;
    while (sent < total) {
        uint32_t n = total - sent < chunk ? total - sent : chunk;
        CHECK(sent - credit_consumed + n <= AUDIO_RING_SAMPLES);
        uint8_t pcm[2 * 300], head[FWGEN_LINK_AUDIO_SIZE];
        for (uint32_t i = 0; i < n; i++) {
            fwgen_link_put_u16(pcm + 2 * i, (uint16_t)(int16_t)((sent + i) % 2000u - 1000));
        }
        fwgen_link_audio_t a = {sent, pcm, (uint16_t)(2 * n)};
        fwgen_link_audio_pack(&a, head);
        host_send(FWGEN_LINK_AUDIO, head, sizeof head, pcm, 2 * n);
        sent += n;
        host_read();
    }
    uint8_t end[FWGEN_LINK_END_SIZE];
    fwgen_link_end_t e = {total};
    fwgen_link_end_pack(&e, end);
    host_send(FWGEN_LINK_END, end, sizeof end, NULL, 0);
    host_read();

    CHECK(stats_samples == total / HOP * HOP && end_total == stats_samples);
    CHECK(stats_frames == total / HOP && features == total / HOP);
    CHECK(credit_consumed == total);
    fwgen_link_rx_stats_t hs;
    fwgen_link_rx_get_stats(&host_rx, &hs);
    CHECK(hs.crc_errors == 0 && hs.format_errors == 0 && hs.seq_gaps == 0);
    CHECK(energy > 0);

    /* CONFIG the app cannot do (an unknown output bit, a stride): ERROR, nothing changes. */
    fwgen_link_config_t bad[] = {{0x45, 0}, {0x05, 3}};
    for (size_t i = 0; i < 2; i++) {
        fwgen_link_config_pack(&bad[i], config);
        host_send(FWGEN_LINK_CONFIG, config, sizeof config, NULL, 0);
    }
    host_read();
    CHECK(config_errors == 2 && error_detail == 3 && outputs == 0x05);

    /* RESET: the next host's stream runs with the defaults (no FEATURES), whatever came before. */
    host_send(FWGEN_LINK_RESET, NULL, 0, NULL, 0);
    host_read();
    CHECK(hellos == 3 && outputs == DEFAULT_OUTPUTS);
    features = 0;
    uint8_t pcm[2 * 320] = {0}, head[FWGEN_LINK_AUDIO_SIZE];
    fwgen_link_audio_t a = {0, pcm, sizeof pcm};
    fwgen_link_audio_pack(&a, head);
    host_send(FWGEN_LINK_AUDIO, head, sizeof head, pcm, sizeof pcm);
    e.total_samples = 320;
    fwgen_link_end_pack(&e, end);
    host_send(FWGEN_LINK_END, end, sizeof end, NULL, 0);
    host_read();
    CHECK(features == 0 && stats_frames == 2 && end_total == 320);
    if (failures) {
        fprintf(stderr, "test_link_app: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_link_app: all checks passed\n");
    return 0;
}
