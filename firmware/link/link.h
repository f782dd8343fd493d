/*
 * fwgen serial link: the device side of fwgen's framed, versioned, CRC-checked protocol.
 *
 * WIRE FORMAT
 *   Each frame is COBS(header | payload | crc32) followed by one 0x00 delimiter:
 *     offset 0  u8   protocol version (FWGEN_LINK_PROTOCOL_VERSION)
 *     offset 1  u8   message type (FWGEN_LINK_HELLO ... in link_protocol.h)
 *     offset 2  u16  sequence number, +1 per frame sent in each direction
 *     offset 4  u16  payload length n
 *     offset 6  n    payload: fixed fields of the type, then its optional tail
 *     6+n       u32  CRC-32/ISO-HDLC (zlib's crc32) of bytes 0 .. 6+n-1
 *   All integers are little-endian. COBS removes every 0x00 from the frame, so a receiver
 *   that lost sync (garbage, dropped bytes, a reset peer) resynchronises at the next 0x00.
 *   Empty frames (consecutive 0x00) are ignored: a sender may send 0x00 to flush a receiver.
 *   Payload layouts of every message are in link_protocol.h, generated from the Python
 *   definition in host/fwgen/link/messages.py (the single source of truth for both ends).
 *
 * CONVERSATION (host = fwgen on the PC, device = this firmware)
 *   device: HELLO at boot (and after RESET): versions, model hash, board, frontend facts,
 *           rx_max_payload and audio_window (flow-control window, samples).
 *   host:   [RESET -> HELLO]  CONFIG (outputs, stride)  PING -> PONG (CONFIG applied, or
 *           an ERROR before the PONG refused it)
 *   host:   AUDIO{offset, int16 pcm}* while (sent - consumed) + n <= audio_window
 *   device: CREDIT{consumed, received, lost} as audio is processed; FEATURES / LOGITS if
 *           enabled; DETECTION; LOG; ERROR.
 *   host:   END{total_samples} -> device flushes, sends STATS, then END{samples processed}.
 *   An empty AUDIO frame asks for a CREDIT at once (the host polls when it saw none for a
 *   while). A gap between AUDIO offsets is audio lost in transit: counted, not waited for.
 *   The host sends whatever fits the window (at least a quarter of it), so audio_window must
 *   be at least 2 frontend hops. On a quiet line the host repeats END; answer each END.
 *
 * STREAM STATE (a board keeps running between hosts, and a host may vanish mid-stream)
 *   Boot and RESET restore every default: the outputs (DETECTIONS | LOG), the build's stride
 *   (HELLO after RESET reports it), frontend, feature window, detector, the audio buffer,
 *   the flow-control position (fwgen_link_audio_reset) and the stream counters; only the
 *   rx_* error counters run since boot. Nothing a previous host configured survives a RESET,
 *   and every host starts its stream with one (fwgen.link.stream_audio does).
 *   CONFIG is absolute: each one sets both fields (stride_frames 0 = the build's stride, not
 *   "keep the current one"), whenever it arrives; a CONFIG the build cannot do (output bits
 *   it does not stream, a stride above its maximum) is refused with an ERROR naming the field
 *   and changes nothing (fwgen_link_config_check). AUDIO before any CONFIG runs with the
 *   defaults; END may come more than once (each answered); PING, and an empty AUDIO (a
 *   CREDIT poll), may come anywhere, and change nothing in the stream's results.
 *
 * ERRORS
 *   A frame with a bad COBS encoding, a CRC mismatch, a wrong version, an unknown type or one
 *   this side must not receive, a length that does not match the header or the type's layout,
 *   or more bytes than the receive buffer holds is counted (fwgen_link_rx_stats_t) and
 *   dropped; the decoder then waits for the next 0x00. It never reads or writes outside the
 *   buffers given to it, whatever bytes arrive.
 *
 * CONTEXT
 *   Not reentrant: call one link's functions from one context (the main loop). Let the UART
 *   interrupt fill a byte ring and hand its bytes to fwgen_link_receive() from the loop.
 *
 * MEMORY
 *   No malloc. The caller owns the state (fwgen_link_t), the receive buffer (decoded frame,
 *   FWGEN_LINK_RX_BUFFER_SIZE) and the transmit buffer (encoded frame,
 *   FWGEN_LINK_TX_BUFFER_SIZE). FWGEN_LINK_MAX_PAYLOAD (default 1024) bounds both; override it
 *   with -DFWGEN_LINK_MAX_PAYLOAD=N. A smaller rx buffer lowers HELLO.rx_max_payload.
 *
 * USE FROM AN APP (UART bytes in -> decoder -> AUDIO to the frontend; results -> UART)
 *   A complete, compiled and tested version of this is tests/c/test_link_app.c.
 *
 *   static uint8_t rx_buf[FWGEN_LINK_RX_BUFFER_SIZE], tx_buf[FWGEN_LINK_TX_BUFFER_SIZE];
 *   static fwgen_link_t link;
 *   static void uart_write(void *ctx, const uint8_t *data, size_t len) { ... blocking ... }
 *
 *   fwgen_link_params_t cfg = { .accept = FWGEN_LINK_TO_DEVICE,
 *       .rx_buffer = rx_buf, .rx_buffer_size = sizeof rx_buf,
 *       .tx_buffer = tx_buf, .tx_buffer_size = sizeof tx_buf,
 *       .audio_window = AUDIO_RING_SAMPLES, .write = uart_write, .write_ctx = NULL };
 *   fwgen_link_init(&link, &cfg);
 *   send_hello();   // fwgen_link_hello_t with .audio_window = AUDIO_RING_SAMPLES,
 *                   // .rx_max_payload = fwgen_link_rx_max_payload(&link), board, rates...
 *   for (;;) {                                        // the main loop
 *       size_t n = uart_read_some(chunk, sizeof chunk), used;
 *       for (size_t at = 0; at < n; at += used) {
 *           fwgen_link_frame_t f;
 *           if (fwgen_link_receive(&link, chunk + at, n - at, &used, &f) == FWGEN_OK)
 *               handle(&f);
 *       }
 *       while (ring_count >= HOP) {                   // frontend / model / detector
 *           ...process one hop; fwgen_link_send_features/_logits/_detection() if enabled...
 *           fwgen_link_audio_consumed(&link, HOP);
 *       }
 *       fwgen_link_audio_service(&link);              // sends CREDIT when due
 *   }
 *
 *   static void handle(const fwgen_link_frame_t *f) {
 *       switch (f->type) {                            // types and sizes are already checked
 *       case FWGEN_LINK_AUDIO: {
 *           fwgen_link_audio_t a;
 *           fwgen_link_audio_unpack(f->payload, f->length, &a);
 *           if (fwgen_link_audio_accept(&link, &a) == FWGEN_OK)     // else: dropped, counted
 *               for (size_t i = 0; i < a.pcm_len / 2u; i++)
 *                   ring_push(fwgen_link_audio_sample(&a, i));
 *           break; }
 *       case FWGEN_LINK_CONFIG: { fwgen_link_config_t c; fwgen_link_config_unpack(f->payload,
 *           f->length, &c);
 *           if (fwgen_link_config_check(&link, &c, OUTPUT_BITS, MAX_STRIDE) == FWGEN_OK) {
 *               outputs = c.outputs; stride = c.stride_frames ? c.stride_frames : DEFAULT;
 *           }                                      // else: ERROR sent, nothing changed
 *           break; }
 *       case FWGEN_LINK_PING: { fwgen_link_ping_t p; fwgen_link_ping_unpack(f->payload,
 *           f->length, &p); fwgen_link_pong_t r = { p.token }; fwgen_link_send_pong(&link, &r);
 *           break; }
 *       case FWGEN_LINK_END: { fwgen_link_end_t e; fwgen_link_end_unpack(f->payload, f->length,
 *           &e); fwgen_link_audio_end(&link, e.total_samples); process the remaining hops;
 *           fwgen_link_audio_consumed(&link, leftover partial hop); send STATS, then
 *           END{samples processed}; break; }
 *       case FWGEN_LINK_RESET: restore outputs and stride to their defaults; reset frontend,
 *           detector, counters and the ring; fwgen_link_audio_reset(&link); send_hello(); break;
 *       }
 *   }
 *
 *   STATS: fill the pipeline counters, then fwgen_link_fill_stats(&link, &stats) adds the
 *   link's own (rx_* errors, audio_lost, audio_overruns) before fwgen_link_send_stats().
 */
#ifndef FWGEN_LINK_H
#define FWGEN_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"
#include "link/link_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FWGEN_LINK_MAX_PAYLOAD
#define FWGEN_LINK_MAX_PAYLOAD 1024
#endif
#if FWGEN_LINK_MAX_PAYLOAD < FWGEN_LINK_MAX_FIXED_SIZE || FWGEN_LINK_MAX_PAYLOAD > 65535
#error "FWGEN_LINK_MAX_PAYLOAD must hold every fixed message part and fit the u16 length"
#endif

/* Decoded frame size (header + payload + CRC) for a payload of p bytes. */
#define FWGEN_LINK_FRAME_SIZE(p) (FWGEN_LINK_HEADER_SIZE + (p) + FWGEN_LINK_CRC_SIZE)
/* Worst-case bytes on the wire for a payload of p bytes: COBS overhead plus the delimiter. */
#define FWGEN_LINK_ENCODED_SIZE(p) (FWGEN_LINK_FRAME_SIZE(p) + FWGEN_LINK_FRAME_SIZE(p) / 254u + 2u)
/* Buffer sizes for the default maximum payload. */
#define FWGEN_LINK_RX_BUFFER_SIZE FWGEN_LINK_FRAME_SIZE(FWGEN_LINK_MAX_PAYLOAD)
#define FWGEN_LINK_TX_BUFFER_SIZE FWGEN_LINK_ENCODED_SIZE(FWGEN_LINK_MAX_PAYLOAD)

/* ---- CRC ------------------------------------------------------------------------------- */

/*
 * CRC-32/ISO-HDLC, same convention as zlib's crc32(): start with crc = 0 and pass the result
 * of the previous call to continue over more data.
 *   crc   [in] running value (0 to start)
 *   data  [in] len bytes (may be NULL when len == 0)
 * Returns the updated CRC.
 */
uint32_t fwgen_link_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* ---- Encoder ----------------------------------------------------------------------------- */

/*
 * Encodes one frame (COBS, trailing 0x00 included) into out.
 *   type, seq   [in]  header fields
 *   fixed       [in]  fixed_len bytes of packed fixed fields (may be NULL when 0)
 *   tail        [in]  tail_len bytes appended after them (may be NULL when 0)
 *   out         [out] out_size bytes; FWGEN_LINK_ENCODED_SIZE(fixed_len + tail_len) suffice
 *   out_len     [out] bytes written
 * Returns FWGEN_OK, FWGEN_ERR_ARG (NULL pointers), FWGEN_ERR_SIZE (payload > 65535 or out too
 * small; nothing usable is in out then).
 */
fwgen_status_t fwgen_link_encode(uint8_t type, uint16_t seq, const uint8_t *fixed,
                                 size_t fixed_len, const void *tail, size_t tail_len,
                                 uint8_t *out, size_t out_size, size_t *out_len);

/* ---- Decoder ----------------------------------------------------------------------------- */

/* Error counters of a decoder (all wrap at 2^32). Same names as fwgen.link.frame.DecoderStats. */
typedef struct {
    uint32_t frames;          /* valid frames delivered */
    uint32_t crc_errors;      /* CRC mismatch */
    uint32_t format_errors;   /* bad COBS, < header+CRC, length field or size wrong for type */
    uint32_t overflows;       /* more bytes than the receive buffer holds */
    uint32_t version_errors;  /* protocol version differs */
    uint32_t type_errors;     /* unknown type, or one this side does not accept */
    uint32_t seq_gaps;        /* a valid frame whose seq is not the previous one + 1 */
} fwgen_link_rx_stats_t;

/* A valid frame. payload points into the decoder's buffer: valid until the next push/feed. */
typedef struct {
    uint8_t type;            /* FWGEN_LINK_* type id, known and accepted */
    uint16_t seq;            /* sender's sequence number */
    uint16_t length;         /* payload bytes; fits the type's layout (fixed size + tail) */
    const uint8_t *payload;  /* length bytes */
} fwgen_link_frame_t;

/* Decoder state. Treat as opaque; read counters with fwgen_link_rx_get_stats(). */
typedef struct {
    uint8_t *buf;            /* caller's buffer for the decoded frame */
    size_t cap;              /* its size */
    size_t len;              /* decoded bytes so far */
    uint8_t accept;          /* FWGEN_LINK_TO_DEVICE, _TO_HOST or _BOTH_WAYS */
    uint8_t block_left;      /* COBS: data bytes left in the current block */
    uint8_t zero_pending;    /* COBS: a 0x00 precedes the next block */
    uint8_t started;         /* at least one byte of this frame seen */
    uint8_t overflow;        /* this frame overflowed: discard up to the delimiter */
    uint8_t have_seq;        /* last_seq is valid */
    uint16_t last_seq;
    fwgen_link_rx_stats_t stats;
} fwgen_link_rx_t;

/*
 * Prepares a decoder.
 *   rx      [out] state
 *   accept  [in]  which message directions to accept: FWGEN_LINK_TO_DEVICE on a device,
 *                 FWGEN_LINK_TO_HOST on a host, FWGEN_LINK_BOTH_WAYS for a monitor/test
 *   buffer  [in]  size bytes, caller-owned, >= FWGEN_LINK_FRAME_SIZE(0); frames with payloads
 *                 over size - FWGEN_LINK_FRAME_SIZE(0) are counted as overflows
 * Returns FWGEN_OK or FWGEN_ERR_ARG.
 */
fwgen_status_t fwgen_link_rx_init(fwgen_link_rx_t *rx, uint8_t accept, uint8_t *buffer,
                                  size_t size);

/* Drops any partial frame and the sequence history (counters are kept). */
void fwgen_link_rx_reset(fwgen_link_rx_t *rx);

/*
 * Feeds one received byte.
 *   frame [out] filled when a valid frame completes
 * Returns FWGEN_OK when *frame holds a new frame, FWGEN_NEED_MORE otherwise (including when
 * the byte ended a corrupt frame, which was counted and dropped), FWGEN_ERR_ARG on NULLs.
 */
fwgen_status_t fwgen_link_rx_push(fwgen_link_rx_t *rx, uint8_t byte, fwgen_link_frame_t *frame);

/*
 * Feeds bytes until a valid frame completes or the data runs out.
 *   data      [in]  len bytes
 *   consumed  [out] bytes used (call again with data + *consumed for the rest)
 *   frame     [out] filled when FWGEN_OK is returned
 * Returns FWGEN_OK (frame ready), FWGEN_NEED_MORE (*consumed == len) or FWGEN_ERR_ARG.
 */
fwgen_status_t fwgen_link_rx_feed(fwgen_link_rx_t *rx, const uint8_t *data, size_t len,
                                  size_t *consumed, fwgen_link_frame_t *frame);

/* Copies the decoder's counters to *out. */
void fwgen_link_rx_get_stats(const fwgen_link_rx_t *rx, fwgen_link_rx_stats_t *out);

/* ---- Link session (decoder + encoder + audio flow control) ------------------------------ */

/* Writes len bytes to the UART (or socket); must not return before they are queued. */
typedef void (*fwgen_link_write_fn)(void *ctx, const uint8_t *data, size_t len);

typedef struct {
    uint8_t accept;             /* FWGEN_LINK_TO_DEVICE on a device */
    uint8_t *rx_buffer;         /* >= FWGEN_LINK_FRAME_SIZE(FWGEN_LINK_MAX_FIXED_SIZE) bytes */
    size_t rx_buffer_size;
    uint8_t *tx_buffer;         /* >= FWGEN_LINK_ENCODED_SIZE(largest payload sent) bytes */
    size_t tx_buffer_size;
    uint32_t audio_window;      /* samples of audio the app can buffer (announce it in HELLO);
                                   at least 2 frontend hops, or the host may starve it */
    fwgen_link_write_fn write;  /* required */
    void *write_ctx;            /* passed to write */
} fwgen_link_params_t;

typedef struct fwgen_link {
    fwgen_link_rx_t rx;
    uint8_t *tx_buf;
    size_t tx_size;
    fwgen_link_write_fn write;
    void *write_ctx;
    uint16_t tx_seq;            /* next sequence number to send */
    uint8_t tx_started;         /* a 0x00 flush has been sent before the first frame */
    uint8_t credit_requested;   /* an empty AUDIO asked for a CREDIT */
    uint32_t tx_frames;         /* frames written */
    uint32_t tx_errors;         /* frames not sent: too large for tx_buffer */
    uint32_t audio_window;      /* flow-control window, samples */
    uint32_t audio_received;    /* stream position after the newest accepted AUDIO */
    uint32_t audio_consumed;    /* samples processed by the app + samples lost */
    uint32_t audio_acked;       /* audio_consumed as last reported in a CREDIT */
    uint32_t audio_lost;        /* samples missing from the stream (gaps), total */
    uint32_t audio_overruns;    /* AUDIO frames refused: out of order or beyond the window */
} fwgen_link_t;

/*
 * Prepares a link session; the first frame sent will be preceded by a 0x00 flush.
 * Returns FWGEN_OK, FWGEN_ERR_ARG (NULLs, no write callback) or FWGEN_ERR_SIZE (buffers too
 * small for the largest fixed message part).
 */
fwgen_status_t fwgen_link_init(fwgen_link_t *link, const fwgen_link_params_t *config);

/* Largest payload this link's receive buffer accepts (announce as HELLO.rx_max_payload). */
uint16_t fwgen_link_rx_max_payload(const fwgen_link_t *link);

/* fwgen_link_rx_feed() on the link's decoder. */
fwgen_status_t fwgen_link_receive(fwgen_link_t *link, const uint8_t *data, size_t len,
                                  size_t *consumed, fwgen_link_frame_t *frame);

/*
 * Encodes one frame (next sequence number) into the tx buffer and writes it. Prefer the
 * typed fwgen_link_send_<message>() functions from link_protocol.h, which call this.
 * Returns FWGEN_OK, FWGEN_ERR_ARG or FWGEN_ERR_SIZE (frame larger than the tx buffer: not
 * sent, counted in tx_errors).
 */
fwgen_status_t fwgen_link_send(fwgen_link_t *link, uint8_t type, const uint8_t *fixed,
                               size_t fixed_len, const void *tail, size_t tail_len);

/* Sends a LOG message with a NUL-terminated text (truncated to fit the tx buffer). */
fwgen_status_t fwgen_link_log(fwgen_link_t *link, uint8_t level, const char *text);

/* Sends an ERROR message (status, the offending message type or 0, a detail value). */
fwgen_status_t fwgen_link_report_error(fwgen_link_t *link, fwgen_status_t status,
                                       uint8_t cause_type, uint32_t detail);

/*
 * CONFIG, the rule every app applies: a CONFIG states the whole stream configuration, and a
 * value the build cannot do is refused, never clipped or half applied.
 *   config             [in] the unpacked CONFIG
 *   outputs_supported  [in] the output bits (FWGEN_APP_OUT_* / fwgen.link.Output) the app streams
 *   max_stride         [in] the largest stride_frames the app runs (stride_frames 0 means the
 *                           app's default stride and is always accepted)
 * Returns FWGEN_OK: apply both fields (outputs as given; stride_frames, or the default for 0).
 * FWGEN_ERR_UNSUPPORTED: an ERROR{FWGEN_ERR_UNSUPPORTED, FWGEN_LINK_CONFIG, the field's value,
 *   "CONFIG.<field>: ..."} has been sent (unknown output bits are checked first, then the
 *   stride); the app keeps the configuration it had. FWGEN_ERR_ARG on NULLs.
 */
fwgen_status_t fwgen_link_config_check(fwgen_link_t *link, const fwgen_link_config_t *config,
                                       uint8_t outputs_supported, uint16_t max_stride);

/* Sample i of an AUDIO message (alignment- and endianness-safe). */
static inline int16_t fwgen_link_audio_sample(const fwgen_link_audio_t *audio, size_t i)
{
    return (int16_t)fwgen_link_get_u16(audio->pcm + 2u * i);
}

/*
 * Flow control, step 1: decide whether an AUDIO message is taken.
 * Returns FWGEN_OK: push all audio->pcm_len / 2 samples to the app's buffer (a jump in offset
 *   was counted as lost audio). An empty AUDIO returns FWGEN_OK and requests a CREDIT.
 * FWGEN_ERR_STATE: offset is before the current position (duplicate or reordered): drop it.
 * FWGEN_ERR_SIZE: the samples would exceed audio_window (the host ignored credits): drop it.
 * Both refusals are counted in audio_overruns.
 */
fwgen_status_t fwgen_link_audio_accept(fwgen_link_t *link, const fwgen_link_audio_t *audio);

/* Flow control, step 2: the app has taken n samples out of its buffer. */
void fwgen_link_audio_consumed(fwgen_link_t *link, uint32_t n);

/*
 * Flow control, step 3: sends a CREDIT when one is due (a poll asked for it, a quarter of the
 * window was freed since the last, or the buffer just ran empty). Call once per loop.
 * Returns FWGEN_OK (sent or not due) or the error of the send.
 */
fwgen_status_t fwgen_link_audio_service(fwgen_link_t *link);

/* The host said END{total_samples}: audio never received up to there is counted as lost. */
void fwgen_link_audio_end(fwgen_link_t *link, uint32_t total_samples);

/* A new stream starts at offset 0 (on RESET): clears the flow-control position and counters. */
void fwgen_link_audio_reset(fwgen_link_t *link);

/*
 * Fills the link-owned STATS fields (rx_frames, rx_crc_errors, rx_format_errors,
 * rx_overflows, rx_rejected, audio_lost, audio_overruns); the app fills the rest.
 */
void fwgen_link_fill_stats(const fwgen_link_t *link, fwgen_link_stats_t *stats);

/* sizeof the state structs, for host bindings that allocate them (ctypes). */
size_t fwgen_link_rx_sizeof(void);
size_t fwgen_link_sizeof(void);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_LINK_H */
