/*
 * C unit test of firmware/link: CRC check value, COBS reference vectors, encode/decode round
 * trips, every error counter, resynchronisation, byte-at-a-time vs chunked input, overflow of
 * a small buffer, the audio flow control of a link session and the CONFIG check. Exit status
 * 0 = pass.
 * Also built with -fsanitize=address,undefined by tests/unit/test_link_c.py.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* Payload bytes of a frame encoded into a fresh buffer; returns the wire length. */
static size_t encode_simple(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len,
                            uint8_t *out, size_t cap)
{
    size_t n = 0;
    fwgen_status_t st = fwgen_link_encode(type, seq, payload, len, NULL, 0, out, cap, &n);
    CHECK(st == FWGEN_OK);
    return n;
}

/* Reference COBS written out plainly (the obvious algorithm, trailing delimiter added). */
static size_t cobs_by_hand(const uint8_t *body, size_t len, uint8_t *out)
{
    size_t e = 0, code_at = e++;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (body[i] == 0) {
            out[code_at] = code;
            code_at = e++;
            code = 1;
        } else {
            out[e++] = body[i];
            if (++code == 0xFF && i + 1 < len) {
                out[code_at] = code;
                code_at = e++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out[e++] = 0;
    return e;
}

/* A PING frame body with a chosen version and CRC error mask, COBS-encoded. */
static size_t ping_wire(uint8_t version, uint32_t crc_xor, uint8_t *out)
{
    uint8_t body[14] = {version, FWGEN_LINK_PING, 9, 0, 4, 0, 1, 2, 3, 4};
    fwgen_link_put_u32(body + 10, fwgen_link_crc32(0, body, 10) ^ crc_xor);
    return cobs_by_hand(body, sizeof body, out);
}

static void test_crc(void)
{
    const uint8_t check[] = "123456789";
    CHECK(fwgen_link_crc32(0, check, 9) == 0xCBF43926u);
    /* Incremental use equals one pass. */
    CHECK(fwgen_link_crc32(fwgen_link_crc32(0, check, 4), check + 4, 5) == 0xCBF43926u);
    CHECK(fwgen_link_crc32(0, NULL, 0) == 0u);
}

static void test_cobs_vector(void)
{
    /* PING {token = 0} with seq 0: header 01 0C 00 00 04 00, payload 00 00 00 00, CRC. */
    uint8_t body[14] = {1, 0x0C, 0, 0, 4, 0, 0, 0, 0, 0};
    fwgen_link_put_u32(body + 10, fwgen_link_crc32(0, body, 10));
    uint8_t out[32];
    const uint8_t payload[4] = {0, 0, 0, 0};
    size_t n = encode_simple(FWGEN_LINK_PING, 0, payload, 4, out, sizeof out);
    uint8_t expect[32];
    size_t e = cobs_by_hand(body, sizeof body, expect);
    CHECK(n == e);
    CHECK(memcmp(out, expect, e) == 0);
    for (size_t i = 0; i + 1 < n; i++) {
        CHECK(out[i] != 0);
    }
}

static void test_roundtrip_and_chunking(void)
{
    uint8_t payload[600];
    for (size_t i = 0; i < sizeof payload; i++) {
        payload[i] = (uint8_t)((i * 7u) % 5u == 0 ? 0 : i); /* zeros and 254+ runs */
    }
    uint8_t wire[FWGEN_LINK_ENCODED_SIZE(600)];
    /* AUDIO with offset + 298 samples: fixed 4 + tail 596 = 600 bytes. */
    size_t n = encode_simple(FWGEN_LINK_AUDIO, 41, payload, sizeof payload, wire, sizeof wire);
    CHECK(n <= sizeof wire);

    uint8_t buf[FWGEN_LINK_RX_BUFFER_SIZE];
    fwgen_link_rx_t rx;
    CHECK(fwgen_link_rx_init(&rx, FWGEN_LINK_TO_DEVICE, buf, sizeof buf) == FWGEN_OK);
    fwgen_link_frame_t f;
    int got = 0;
    for (size_t i = 0; i < n; i++) { /* byte at a time */
        fwgen_status_t st = fwgen_link_rx_push(&rx, wire[i], &f);
        if (st == FWGEN_OK) {
            got++;
            CHECK(i == n - 1);
        } else {
            CHECK(st == FWGEN_NEED_MORE);
        }
    }
    CHECK(got == 1);
    CHECK(f.type == FWGEN_LINK_AUDIO && f.seq == 41 && f.length == sizeof payload);
    CHECK(memcmp(f.payload, payload, sizeof payload) == 0);

    fwgen_link_audio_t audio = {0};
    CHECK(fwgen_link_audio_unpack(f.payload, f.length, &audio) == FWGEN_OK);
    CHECK(audio.offset == fwgen_link_get_u32(payload));
    CHECK(audio.pcm_len == 596);
    CHECK(fwgen_link_audio_sample(&audio, 1) == (int16_t)fwgen_link_get_u16(payload + 6));

    /* Three frames in one chunk, fed with rx_feed. */
    uint8_t three[3 * sizeof wire];
    memcpy(three, wire, n);
    memcpy(three + n, wire, n);
    memcpy(three + 2 * n, wire, n);
    size_t at = 0, used = 0;
    got = 0;
    while (at < 3 * n) {
        if (fwgen_link_rx_feed(&rx, three + at, 3 * n - at, &used, &f) == FWGEN_OK) {
            got++;
        }
        at += used;
    }
    CHECK(got == 3);
    fwgen_link_rx_stats_t st;
    fwgen_link_rx_get_stats(&rx, &st);
    CHECK(st.frames == 4 && st.seq_gaps == 3); /* same seq repeated: 3 gaps */
    CHECK(st.crc_errors == 0 && st.format_errors == 0 && st.overflows == 0);
}

/* Feeds bytes, returns the number of valid frames. */
static int feed_all(fwgen_link_rx_t *rx, const uint8_t *data, size_t len)
{
    int got = 0;
    fwgen_link_frame_t f;
    for (size_t i = 0; i < len; i++) {
        if (fwgen_link_rx_push(rx, data[i], &f) == FWGEN_OK) {
            got++;
        }
    }
    return got;
}

static void test_errors(void)
{
    uint8_t buf[64];
    fwgen_link_rx_t rx;
    fwgen_link_rx_stats_t st;
    CHECK(fwgen_link_rx_init(&rx, FWGEN_LINK_TO_DEVICE, buf, sizeof buf) == FWGEN_OK);
    uint8_t good[32], bad[32];
    size_t m;
    const uint8_t token[4] = {1, 2, 3, 4};
    size_t n = encode_simple(FWGEN_LINK_PING, 1, token, 4, good, sizeof good);

    /* Garbage without a delimiter merges into the next frame: one format/CRC error, then
     * the frame after the next delimiter is received. Leading 0x00 avoids even that. */
    const uint8_t garbage[] = {0x13, 0x37, 0xFF, 0x02};
    CHECK(feed_all(&rx, garbage, sizeof garbage) == 0);
    CHECK(feed_all(&rx, good, n) == 0);
    CHECK(feed_all(&rx, good, n) == 1);
    const uint8_t flush = 0;
    CHECK(feed_all(&rx, garbage, sizeof garbage) == 0);
    CHECK(feed_all(&rx, &flush, 1) == 0);
    CHECK(feed_all(&rx, good, n) == 1);
    fwgen_link_rx_get_stats(&rx, &st);
    CHECK(st.crc_errors + st.format_errors == 2);

    /* CRC mismatch and wrong version (COBS valid), then recovery. */
    uint32_t crc_before = st.crc_errors;
    m = ping_wire(FWGEN_LINK_PROTOCOL_VERSION, 0x00010000u, bad);
    CHECK(feed_all(&rx, bad, m) == 0);
    m = ping_wire(FWGEN_LINK_PROTOCOL_VERSION + 1, 0, bad);
    CHECK(feed_all(&rx, bad, m) == 0);
    fwgen_link_rx_get_stats(&rx, &st);
    CHECK(st.crc_errors == crc_before + 1);
    CHECK(st.version_errors == 1);
    m = ping_wire(FWGEN_LINK_PROTOCOL_VERSION, 0, bad);
    CHECK(feed_all(&rx, bad, m) == 1);
    CHECK(feed_all(&rx, good, n) == 1);

    /* Unknown type, wrong direction, wrong size for the type. */
    uint8_t wire[48];
    fwgen_link_rx_get_stats(&rx, &st);
    fwgen_link_rx_stats_t base = st;
    m = encode_simple(0x7F, 2, token, 4, wire, sizeof wire);                 /* unknown */
    CHECK(feed_all(&rx, wire, m) == 0);
    m = encode_simple(FWGEN_LINK_PONG, 3, token, 4, wire, sizeof wire);      /* to host */
    CHECK(feed_all(&rx, wire, m) == 0);
    m = encode_simple(FWGEN_LINK_PING, 4, token, 3, wire, sizeof wire);      /* short */
    CHECK(feed_all(&rx, wire, m) == 0);
    m = encode_simple(FWGEN_LINK_AUDIO, 5, token, 3, wire, sizeof wire);     /* odd pcm */
    CHECK(feed_all(&rx, wire, m) == 0);
    fwgen_link_rx_get_stats(&rx, &st);
    CHECK(st.type_errors == base.type_errors + 2);
    CHECK(st.format_errors == base.format_errors + 2);

    /* Overflow: a payload larger than this 64-byte buffer, then recovery. */
    uint8_t big[100];
    memset(big, 0xAB, sizeof big);
    uint8_t bigwire[FWGEN_LINK_ENCODED_SIZE(100)];
    m = encode_simple(FWGEN_LINK_AUDIO, 6, big, sizeof big, bigwire, sizeof bigwire);
    CHECK(feed_all(&rx, bigwire, m) == 0);
    fwgen_link_rx_get_stats(&rx, &st);
    CHECK(st.overflows == base.overflows + 1);
    CHECK(feed_all(&rx, good, n) == 1);

    /* Truncated frame: its bytes then the delimiter of nothing. */
    CHECK(feed_all(&rx, good, n - 3) == 0);
    CHECK(feed_all(&rx, &flush, 1) == 0);
    CHECK(feed_all(&rx, good, n) == 1);

    /* Encoder refuses a too-small output buffer. */
    size_t out_len = 99;
    CHECK(fwgen_link_encode(FWGEN_LINK_PING, 0, token, 4, NULL, 0, wire, 8, &out_len) ==
          FWGEN_ERR_SIZE);
    CHECK(out_len == 0);
    CHECK(fwgen_link_rx_init(&rx, 0, buf, sizeof buf) == FWGEN_ERR_ARG);
    CHECK(fwgen_link_rx_init(&rx, FWGEN_LINK_TO_HOST, buf, 4) == FWGEN_ERR_ARG);
}

/* ---- session ---- */

static uint8_t sent[4096];
static size_t sent_len;

static void capture(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (sent_len + len <= sizeof sent) {
        memcpy(sent + sent_len, data, len);
    }
    sent_len += len;
}

/* Decodes what the session sent; returns the number of CREDIT frames, last one in *credit. */
static int sent_credits(fwgen_link_credit_t *credit)
{
    static uint8_t buf[FWGEN_LINK_RX_BUFFER_SIZE];
    fwgen_link_rx_t rx;
    fwgen_link_rx_init(&rx, FWGEN_LINK_TO_HOST, buf, sizeof buf);
    fwgen_link_frame_t f;
    int credits = 0;
    for (size_t i = 0; i < sent_len; i++) {
        if (fwgen_link_rx_push(&rx, sent[i], &f) == FWGEN_OK && f.type == FWGEN_LINK_CREDIT) {
            CHECK(fwgen_link_credit_unpack(f.payload, f.length, credit) == FWGEN_OK);
            credits++;
        }
    }
    sent_len = 0;
    return credits;
}

static void test_session_flow(void)
{
    static uint8_t rxb[FWGEN_LINK_RX_BUFFER_SIZE], txb[FWGEN_LINK_TX_BUFFER_SIZE];
    fwgen_link_t link;
    fwgen_link_params_t p = {FWGEN_LINK_TO_DEVICE, rxb, sizeof rxb, txb, sizeof txb, 400,
                             capture, NULL};
    CHECK(fwgen_link_init(&link, &p) == FWGEN_OK);
    CHECK(fwgen_link_rx_max_payload(&link) == FWGEN_LINK_MAX_PAYLOAD);
    uint8_t pcm[200 * 2] = {0};
    fwgen_link_audio_t a = {0, pcm, 200};
    fwgen_link_credit_t c;

    CHECK(fwgen_link_audio_accept(&link, &a) == FWGEN_OK);          /* 100 samples at 0 */
    a.offset = 100;
    a.pcm_len = 400;
    CHECK(fwgen_link_audio_accept(&link, &a) == FWGEN_OK);          /* 200 at 100: 300 held */
    a.offset = 300;
    CHECK(fwgen_link_audio_accept(&link, &a) == FWGEN_ERR_SIZE);    /* 500 > window 400 */
    a.offset = 50;
    CHECK(fwgen_link_audio_accept(&link, &a) == FWGEN_ERR_STATE);   /* in the past */
    CHECK(link.audio_overruns == 2);
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
    CHECK(sent_credits(&c) == 0);                                    /* nothing freed yet */

    fwgen_link_audio_consumed(&link, 100);                           /* quarter freed */
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
    CHECK(sent_credits(&c) == 1);
    CHECK(c.consumed == 100 && c.received == 300 && c.lost == 0);

    a.offset = 350;                                                  /* 50 lost in transit */
    a.pcm_len = 100;
    CHECK(fwgen_link_audio_accept(&link, &a) == FWGEN_OK);
    CHECK(link.audio_lost == 50 && link.audio_received == 400);
    fwgen_link_audio_consumed(&link, 250);                           /* drained */
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
    CHECK(sent_credits(&c) == 1);
    CHECK(c.consumed == 400 && c.received == 400 && c.lost == 50);
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
    CHECK(sent_credits(&c) == 0);                                    /* not due again */

    fwgen_link_audio_t poll = {450, pcm, 0};                         /* empty AUDIO = poll */
    CHECK(fwgen_link_audio_accept(&link, &poll) == FWGEN_OK);
    CHECK(fwgen_link_audio_service(&link) == FWGEN_OK);
    CHECK(sent_credits(&c) == 1);
    CHECK(c.consumed == 450 && c.received == 450 && c.lost == 100);

    fwgen_link_audio_end(&link, 500);
    CHECK(link.audio_lost == 150);
    fwgen_link_stats_t stats;
    memset(&stats, 0, sizeof stats);
    fwgen_link_fill_stats(&link, &stats);
    CHECK(stats.audio_lost == 150 && stats.audio_overruns == 2);

    fwgen_link_audio_reset(&link);
    CHECK(link.audio_received == 0 && link.audio_lost == 0);

    /* LOG longer than the tx buffer is truncated, not refused. */
    static char text[3000];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    CHECK(fwgen_link_log(&link, 1, text) == FWGEN_OK);
    CHECK(sent_len > 0 && sent_len <= sizeof txb);
    sent_len = 0;
    /* A frame larger than the tx buffer is refused and counted. */
    CHECK(fwgen_link_send(&link, FWGEN_LINK_LOG, NULL, 0, text, 2000) == FWGEN_ERR_SIZE);
    CHECK(link.tx_errors == 1);
    CHECK(sent_len == 0);
}

/* Decodes what the session sent; returns the number of ERROR frames, last one in *error (its
 * text copied to text, NUL-terminated). */
static int sent_errors(fwgen_link_error_t *error, char *text, size_t text_size)
{
    static uint8_t buf[FWGEN_LINK_RX_BUFFER_SIZE];
    fwgen_link_rx_t rx;
    fwgen_link_rx_init(&rx, FWGEN_LINK_TO_HOST, buf, sizeof buf);
    fwgen_link_frame_t f;
    int errors = 0;
    for (size_t i = 0; i < sent_len; i++) {
        if (fwgen_link_rx_push(&rx, sent[i], &f) == FWGEN_OK && f.type == FWGEN_LINK_ERROR) {
            CHECK(fwgen_link_error_unpack(f.payload, f.length, error) == FWGEN_OK);
            size_t n = error->text_len < text_size - 1u ? error->text_len : text_size - 1u;
            memcpy(text, error->text, n);
            text[n] = '\0';
            errors++;
        }
    }
    sent_len = 0;
    return errors;
}

/* CONFIG: accepted within the app's limits (stride 0 always), else one ERROR naming the field. */
static void test_config_check(void)
{
    static uint8_t rxb[FWGEN_LINK_RX_BUFFER_SIZE], txb[FWGEN_LINK_TX_BUFFER_SIZE];
    fwgen_link_t link;
    fwgen_link_params_t p = {FWGEN_LINK_TO_DEVICE, rxb, sizeof rxb, txb, sizeof txb, 400,
                             capture, NULL};
    CHECK(fwgen_link_init(&link, &p) == FWGEN_OK);
    sent_len = 0;
    fwgen_link_error_t e;
    char text[128];

    fwgen_link_config_t ok[] = {{0x0F, 4}, {0x00, 0}, {0x05, 1}, {0x0A, 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK(fwgen_link_config_check(&link, &ok[i], 0x0F, 4) == FWGEN_OK);
    }
    fwgen_link_config_t any_default = {0x01, 0};
    CHECK(fwgen_link_config_check(&link, &any_default, 0x0F, 0) == FWGEN_OK);
    CHECK(sent_len == 0);                                            /* accepted: silent */

    fwgen_link_config_t bits = {0x34, 2};
    CHECK(fwgen_link_config_check(&link, &bits, 0x0F, 4) == FWGEN_ERR_UNSUPPORTED);
    CHECK(sent_errors(&e, text, sizeof text) == 1);
    CHECK(e.status == FWGEN_ERR_UNSUPPORTED && e.cause_type == FWGEN_LINK_CONFIG);
    CHECK(e.detail == 0x34 && strncmp(text, "CONFIG.outputs:", 15) == 0);

    fwgen_link_config_t stride = {0x04, 5};
    CHECK(fwgen_link_config_check(&link, &stride, 0x0F, 4) == FWGEN_ERR_UNSUPPORTED);
    CHECK(sent_errors(&e, text, sizeof text) == 1);
    CHECK(e.detail == 5 && strncmp(text, "CONFIG.stride_frames:", 21) == 0);

    fwgen_link_config_t both = {0x80, 0xFFFF};                       /* outputs reported first */
    CHECK(fwgen_link_config_check(&link, &both, 0x0F, 4) == FWGEN_ERR_UNSUPPORTED);
    CHECK(sent_errors(&e, text, sizeof text) == 1);
    CHECK(e.detail == 0x80 && strncmp(text, "CONFIG.outputs:", 15) == 0);

    CHECK(fwgen_link_config_check(NULL, &ok[0], 0x0F, 4) == FWGEN_ERR_ARG);
    CHECK(fwgen_link_config_check(&link, NULL, 0x0F, 4) == FWGEN_ERR_ARG);
    CHECK(sent_len == 0);
}

/* Deterministic fuzz: valid frames of every type, randomly corrupted (bit flips, dropped,
 * inserted and zeroed bytes, truncation) into small and large buffers. The decoder must stay
 * inside its buffer, deliver only well-formed frames, and take the next clean frame after a
 * delimiter. Meant to run under AddressSanitizer/UBSan. */
static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_fuzz(void)
{
    static const uint8_t types[] = {FWGEN_LINK_AUDIO, FWGEN_LINK_CONFIG, FWGEN_LINK_PING,
                                    FWGEN_LINK_RESET, FWGEN_LINK_END, FWGEN_LINK_HELLO, 0x00,
                                    0xFF};
    static uint8_t small[FWGEN_LINK_FRAME_SIZE(16)], large[FWGEN_LINK_RX_BUFFER_SIZE];
    static uint8_t payload[1100], wire[FWGEN_LINK_ENCODED_SIZE(1100) + 8];
    fwgen_link_rx_t rxs[2];
    CHECK(fwgen_link_rx_init(&rxs[0], FWGEN_LINK_TO_DEVICE, small, sizeof small) == FWGEN_OK);
    CHECK(fwgen_link_rx_init(&rxs[1], FWGEN_LINK_BOTH_WAYS, large, sizeof large) == FWGEN_OK);
    uint8_t clean[32];
    const uint8_t token[4] = {9, 8, 7, 6};
    size_t clean_len = encode_simple(FWGEN_LINK_PING, 0, token, 4, clean, sizeof clean);

    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rng() % 3u == 0 ? rng() % 1100u : rng() % 24u;
        for (size_t i = 0; i < len; i++) {
            payload[i] = (uint8_t)(rng() % 4u == 0 ? 0 : rng());
        }
        size_t n = 0;
        fwgen_status_t st = fwgen_link_encode(types[rng() % sizeof types], (uint16_t)rng(),
                                              payload, len, NULL, 0, wire, sizeof wire - 8, &n);
        CHECK(st == FWGEN_OK);
        int edits = (int)(rng() % 4u);
        for (int e = 0; e < edits && n > 1; e++) {
            size_t at = rng() % n;
            switch (rng() % 5u) {
            case 0: wire[at] ^= (uint8_t)(1u << (rng() % 8u)); break;
            case 1: memmove(wire + at, wire + at + 1, n - at - 1); n--; break;
            case 2: memmove(wire + at + 1, wire + at, n - at); wire[at] = (uint8_t)rng(); n++;
                    if (n > sizeof wire - 8) { n = sizeof wire - 8; } break;
            case 3: wire[at] = 0; break;
            default: n = at; break;
            }
        }
        for (int r = 0; r < 2; r++) {
            fwgen_link_rx_t *rx = &rxs[r];
            fwgen_link_frame_t f;
            for (size_t i = 0; i < n; i++) {
                if (fwgen_link_rx_push(rx, wire[i], &f) == FWGEN_OK) {
                    CHECK(f.payload == rx->buf + FWGEN_LINK_HEADER_SIZE);
                    CHECK(FWGEN_LINK_FRAME_SIZE((size_t)f.length) <= rx->cap);
                    uint16_t fixed = 0;
                    uint8_t unit = 0, dir = 0;
                    CHECK(fwgen_link_type_info(f.type, &fixed, &unit, &dir));
                    CHECK(f.length >= fixed);
                }
            }
            /* After a delimiter, a clean frame always gets through. */
            if (iter % 7 == 0) {
                const uint8_t flush = 0;
                feed_all(rx, &flush, 1);
                CHECK(feed_all(rx, clean, clean_len) == 1);
            }
        }
    }
    fwgen_link_rx_stats_t st0, st1;
    fwgen_link_rx_get_stats(&rxs[0], &st0);
    fwgen_link_rx_get_stats(&rxs[1], &st1);
    CHECK(st0.overflows > 0 && st0.crc_errors > 0 && st0.format_errors > 0);
    CHECK(st1.type_errors > 0 && st1.frames > 0);
}

int main(void)
{
    test_crc();
    test_cobs_vector();
    test_roundtrip_and_chunking();
    test_errors();
    test_session_flow();
    test_config_check();
    test_fuzz();
    if (failures) {
        fprintf(stderr, "test_link: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_link: all checks passed\n");
    return 0;
}
