/*
 * fwgen serial link: CRC-32, COBS framing, the receive state machine, the encoder and the
 * audio flow control. See link.h for the format and the contract.
 */
#include "link/link.h"

#include <string.h>

/* ---- CRC-32/ISO-HDLC, 4 bits at a time (64-byte table) --------------------------------- */

static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t crc_update(uint32_t c, uint8_t byte)
{
    c ^= byte;
    c = (c >> 4) ^ crc_nibble[c & 0x0Fu];
    c = (c >> 4) ^ crc_nibble[c & 0x0Fu];
    return c;
}

uint32_t fwgen_link_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < len; i++) {
        c = crc_update(c, data[i]);
    }
    return ~c;
}

/* ---- Encoder: header, fixed part, tail and CRC streamed through a COBS writer ------------ */

typedef struct {
    uint8_t *out;
    size_t cap;
    size_t pos;       /* next byte to write */
    size_t code_pos;  /* where the open block's code byte goes */
    uint8_t code;     /* 1 + data bytes in the open block */
    uint8_t open;     /* a block is open (a 0xFF block closes without opening the next) */
    uint8_t full;     /* out ran out of space */
    uint32_t crc;     /* running CRC register (inverted form) */
} cobs_writer_t;

static void cobs_emit(cobs_writer_t *w, uint8_t byte)
{
    if (w->pos < w->cap) {
        w->out[w->pos] = byte;
    } else {
        w->full = 1;
    }
    w->pos++;
}

static void cobs_open_block(cobs_writer_t *w)
{
    w->code_pos = w->pos;
    w->code = 1;
    w->open = 1;
    cobs_emit(w, 0); /* placeholder for the code byte */
}

static void cobs_close_block(cobs_writer_t *w)
{
    if (w->code_pos < w->cap) {
        w->out[w->code_pos] = w->code;
    }
    w->open = 0;
}

static void cobs_start(cobs_writer_t *w, uint8_t *out, size_t cap)
{
    w->out = out;
    w->cap = cap;
    w->pos = 0;
    w->full = 0;
    w->crc = 0xFFFFFFFFu;
    cobs_open_block(w);
}

/* Canonical COBS: identical output to fwgen.link.frame.cobs_encode(). */
static void cobs_put(cobs_writer_t *w, uint8_t byte)
{
    if (!w->open) {
        cobs_open_block(w);
    }
    if (byte == 0) {
        cobs_close_block(w);
        cobs_open_block(w);
        return;
    }
    cobs_emit(w, byte);
    w->code++;
    if (w->code == 0xFFu) {
        cobs_close_block(w);
    }
}

static void frame_put(cobs_writer_t *w, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        w->crc = crc_update(w->crc, data[i]);
        cobs_put(w, data[i]);
    }
}

fwgen_status_t fwgen_link_encode(uint8_t type, uint16_t seq, const uint8_t *fixed,
                                 size_t fixed_len, const void *tail, size_t tail_len,
                                 uint8_t *out, size_t out_size, size_t *out_len)
{
    if (out == NULL || out_len == NULL || (fixed == NULL && fixed_len != 0) ||
        (tail == NULL && tail_len != 0)) {
        return FWGEN_ERR_ARG;
    }
    *out_len = 0;
    if (fixed_len > 0xFFFFu || tail_len > 0xFFFFu - fixed_len) {
        return FWGEN_ERR_SIZE;
    }
    const uint16_t length = (uint16_t)(fixed_len + tail_len);
    uint8_t header[FWGEN_LINK_HEADER_SIZE];
    header[0] = FWGEN_LINK_PROTOCOL_VERSION;
    header[1] = type;
    fwgen_link_put_u16(header + 2, seq);
    fwgen_link_put_u16(header + 4, length);

    cobs_writer_t w;
    cobs_start(&w, out, out_size);
    frame_put(&w, header, sizeof header);
    frame_put(&w, fixed, fixed_len);
    frame_put(&w, (const uint8_t *)tail, tail_len);
    uint8_t crc[FWGEN_LINK_CRC_SIZE];
    fwgen_link_put_u32(crc, ~w.crc);
    for (size_t i = 0; i < sizeof crc; i++) {
        cobs_put(&w, crc[i]);
    }
    if (w.open) {
        cobs_close_block(&w);
    }
    cobs_emit(&w, 0); /* delimiter */
    if (w.full) {
        return FWGEN_ERR_SIZE;
    }
    *out_len = w.pos;
    return FWGEN_OK;
}

/* ---- Decoder ----------------------------------------------------------------------------- */

static void rx_restart(fwgen_link_rx_t *rx)
{
    rx->len = 0;
    rx->block_left = 0;
    rx->zero_pending = 0;
    rx->started = 0;
    rx->overflow = 0;
}

fwgen_status_t fwgen_link_rx_init(fwgen_link_rx_t *rx, uint8_t accept, uint8_t *buffer,
                                  size_t size)
{
    if (rx == NULL || buffer == NULL || size < FWGEN_LINK_FRAME_SIZE(0) ||
        accept < FWGEN_LINK_TO_DEVICE || accept > FWGEN_LINK_BOTH_WAYS) {
        return FWGEN_ERR_ARG;
    }
    memset(rx, 0, sizeof *rx);
    rx->buf = buffer;
    rx->cap = size;
    rx->accept = accept;
    return FWGEN_OK;
}

void fwgen_link_rx_reset(fwgen_link_rx_t *rx)
{
    if (rx != NULL) {
        rx_restart(rx);
        rx->have_seq = 0;
    }
}

static void rx_append(fwgen_link_rx_t *rx, uint8_t byte)
{
    if (rx->len < rx->cap) {
        rx->buf[rx->len++] = byte;
    } else {
        rx->overflow = 1;
    }
}

/* A delimiter ended a non-empty frame: check it. Returns FWGEN_OK if *frame is valid. */
static fwgen_status_t rx_finish(fwgen_link_rx_t *rx, fwgen_link_frame_t *frame)
{
    fwgen_link_rx_stats_t *st = &rx->stats;
    if (rx->overflow) {
        st->overflows++;
        return FWGEN_ERR_SIZE;
    }
    if (rx->block_left != 0 || rx->len < FWGEN_LINK_FRAME_SIZE(0)) {
        st->format_errors++;
        return FWGEN_ERR_FORMAT;
    }
    const size_t body = rx->len - FWGEN_LINK_CRC_SIZE;
    if (fwgen_link_crc32(0, rx->buf, body) != fwgen_link_get_u32(rx->buf + body)) {
        st->crc_errors++;
        return FWGEN_ERR_CRC;
    }
    if (rx->buf[0] != FWGEN_LINK_PROTOCOL_VERSION) {
        st->version_errors++;
        return FWGEN_ERR_FORMAT;
    }
    const uint8_t type = rx->buf[1];
    const uint16_t seq = fwgen_link_get_u16(rx->buf + 2);
    const uint16_t length = fwgen_link_get_u16(rx->buf + 4);
    if ((size_t)length != rx->len - FWGEN_LINK_FRAME_SIZE(0)) {
        st->format_errors++;
        return FWGEN_ERR_FORMAT;
    }
    uint16_t fixed_size;
    uint8_t tail_unit, direction;
    if (!fwgen_link_type_info(type, &fixed_size, &tail_unit, &direction) ||
        (rx->accept != FWGEN_LINK_BOTH_WAYS && direction != FWGEN_LINK_BOTH_WAYS &&
         direction != rx->accept)) {
        st->type_errors++;
        return FWGEN_ERR_UNSUPPORTED;
    }
    if (length < fixed_size) {
        st->format_errors++;
        return FWGEN_ERR_FORMAT;
    }
    const uint16_t extra = (uint16_t)(length - fixed_size);
    if (extra != 0 && (tail_unit == 0 || extra % tail_unit != 0)) {
        st->format_errors++;
        return FWGEN_ERR_FORMAT;
    }
    if (rx->have_seq && seq != (uint16_t)(rx->last_seq + 1u)) {
        st->seq_gaps++;
    }
    rx->have_seq = 1;
    rx->last_seq = seq;
    st->frames++;
    frame->type = type;
    frame->seq = seq;
    frame->length = length;
    frame->payload = rx->buf + FWGEN_LINK_HEADER_SIZE;
    return FWGEN_OK;
}

fwgen_status_t fwgen_link_rx_push(fwgen_link_rx_t *rx, uint8_t byte, fwgen_link_frame_t *frame)
{
    if (rx == NULL || frame == NULL || rx->buf == NULL) {
        return FWGEN_ERR_ARG;
    }
    if (byte == 0) {
        fwgen_status_t status = FWGEN_NEED_MORE;
        if (rx->started && rx_finish(rx, frame) == FWGEN_OK) {
            status = FWGEN_OK;
        }
        rx_restart(rx);
        return status;
    }
    rx->started = 1;
    if (rx->overflow) {
        return FWGEN_NEED_MORE;
    }
    if (rx->block_left == 0) {
        /* A COBS code byte: the previous block (if any) implied a zero unless it was full. */
        if (rx->zero_pending) {
            rx_append(rx, 0);
        }
        rx->block_left = (uint8_t)(byte - 1u);
        rx->zero_pending = (byte != 0xFFu);
    } else {
        rx_append(rx, byte);
        rx->block_left--;
    }
    return FWGEN_NEED_MORE;
}

fwgen_status_t fwgen_link_rx_feed(fwgen_link_rx_t *rx, const uint8_t *data, size_t len,
                                  size_t *consumed, fwgen_link_frame_t *frame)
{
    if (rx == NULL || consumed == NULL || frame == NULL || (data == NULL && len != 0)) {
        return FWGEN_ERR_ARG;
    }
    for (size_t i = 0; i < len; i++) {
        if (fwgen_link_rx_push(rx, data[i], frame) == FWGEN_OK) {
            *consumed = i + 1u;
            return FWGEN_OK;
        }
    }
    *consumed = len;
    return FWGEN_NEED_MORE;
}

void fwgen_link_rx_get_stats(const fwgen_link_rx_t *rx, fwgen_link_rx_stats_t *out)
{
    if (rx != NULL && out != NULL) {
        *out = rx->stats;
    }
}

/* ---- Session ----------------------------------------------------------------------------- */

fwgen_status_t fwgen_link_init(fwgen_link_t *link, const fwgen_link_params_t *config)
{
    if (link == NULL || config == NULL || config->write == NULL || config->tx_buffer == NULL) {
        return FWGEN_ERR_ARG;
    }
    if (config->rx_buffer_size < FWGEN_LINK_FRAME_SIZE(FWGEN_LINK_MAX_FIXED_SIZE) ||
        config->tx_buffer_size < FWGEN_LINK_ENCODED_SIZE(FWGEN_LINK_MAX_FIXED_SIZE)) {
        return FWGEN_ERR_SIZE;
    }
    memset(link, 0, sizeof *link);
    fwgen_status_t status = fwgen_link_rx_init(&link->rx, config->accept, config->rx_buffer,
                                               config->rx_buffer_size);
    if (status != FWGEN_OK) {
        return status;
    }
    link->tx_buf = config->tx_buffer;
    link->tx_size = config->tx_buffer_size;
    link->write = config->write;
    link->write_ctx = config->write_ctx;
    link->audio_window = config->audio_window;
    return FWGEN_OK;
}

uint16_t fwgen_link_rx_max_payload(const fwgen_link_t *link)
{
    if (link == NULL) {
        return 0;
    }
    const size_t max = link->rx.cap - FWGEN_LINK_FRAME_SIZE(0);
    return (uint16_t)(max > 0xFFFFu ? 0xFFFFu : max);
}

fwgen_status_t fwgen_link_receive(fwgen_link_t *link, const uint8_t *data, size_t len,
                                  size_t *consumed, fwgen_link_frame_t *frame)
{
    if (link == NULL) {
        return FWGEN_ERR_ARG;
    }
    return fwgen_link_rx_feed(&link->rx, data, len, consumed, frame);
}

fwgen_status_t fwgen_link_send(fwgen_link_t *link, uint8_t type, const uint8_t *fixed,
                               size_t fixed_len, const void *tail, size_t tail_len)
{
    if (link == NULL || link->write == NULL) {
        return FWGEN_ERR_ARG;
    }
    size_t n = 0;
    fwgen_status_t status = fwgen_link_encode(type, link->tx_seq, fixed, fixed_len, tail,
                                              tail_len, link->tx_buf, link->tx_size, &n);
    if (status != FWGEN_OK) {
        link->tx_errors++;
        return status;
    }
    if (!link->tx_started) {
        static const uint8_t flush = 0;
        link->write(link->write_ctx, &flush, 1);
        link->tx_started = 1;
    }
    link->write(link->write_ctx, link->tx_buf, n);
    link->tx_seq++;
    link->tx_frames++;
    return FWGEN_OK;
}

fwgen_status_t fwgen_link_log(fwgen_link_t *link, uint8_t level, const char *text)
{
    if (link == NULL || text == NULL) {
        return FWGEN_ERR_ARG;
    }
    /* Largest frame F with F + F / 254 + 2 <= tx_size, minus the LOG frame's fixed bytes. */
    const size_t t = link->tx_size - 2u;
    const size_t frame_max = t - (t + 254u) / 255u;
    size_t room = frame_max > FWGEN_LINK_FRAME_SIZE(FWGEN_LINK_LOG_SIZE) ?
        frame_max - FWGEN_LINK_FRAME_SIZE(FWGEN_LINK_LOG_SIZE) : 0u;
    if (room > 0xFFFFu - FWGEN_LINK_LOG_SIZE) {
        room = 0xFFFFu - FWGEN_LINK_LOG_SIZE;
    }
    size_t len = strlen(text);
    fwgen_link_log_t msg = {
        .level = level,
        .text = text,
        .text_len = (uint16_t)(len < room ? len : room),
    };
    return fwgen_link_send_log(link, &msg);
}

fwgen_status_t fwgen_link_report_error(fwgen_link_t *link, fwgen_status_t status,
                                       uint8_t cause_type, uint32_t detail)
{
    fwgen_link_error_t msg = {
        .status = (uint8_t)status,
        .cause_type = cause_type,
        .detail = detail,
        .text = NULL,
        .text_len = 0,
    };
    return fwgen_link_send_error(link, &msg);
}

/* ---- CONFIG ------------------------------------------------------------------------------ */

static fwgen_status_t refuse_config(fwgen_link_t *link, uint32_t value, const char *text)
{
    fwgen_link_error_t msg = {
        .status = (uint8_t)FWGEN_ERR_UNSUPPORTED,
        .cause_type = FWGEN_LINK_CONFIG,
        .detail = value,
        .text = text,
        .text_len = (uint16_t)strlen(text),
    };
    (void)fwgen_link_send_error(link, &msg);   /* refused whether or not the report went out */
    return FWGEN_ERR_UNSUPPORTED;
}

fwgen_status_t fwgen_link_config_check(fwgen_link_t *link, const fwgen_link_config_t *config,
                                       uint8_t outputs_supported, uint16_t max_stride)
{
    if (link == NULL || config == NULL) {
        return FWGEN_ERR_ARG;
    }
    if ((config->outputs & (uint8_t)~outputs_supported) != 0u) {
        return refuse_config(link, config->outputs,
                             "CONFIG.outputs: output bits this firmware does not stream");
    }
    if (config->stride_frames > max_stride) {
        return refuse_config(link, config->stride_frames,
                             "CONFIG.stride_frames: above the largest stride this firmware runs");
    }
    return FWGEN_OK;
}

/* ---- Audio flow control ------------------------------------------------------------------ */

fwgen_status_t fwgen_link_audio_accept(fwgen_link_t *link, const fwgen_link_audio_t *audio)
{
    if (link == NULL || audio == NULL) {
        return FWGEN_ERR_ARG;
    }
    const uint32_t n = (uint32_t)audio->pcm_len / 2u;
    /* Positions are u32 sample counts that may wrap: compare by signed difference. */
    const int32_t ahead = (int32_t)(audio->offset - link->audio_received);
    if (n == 0) {
        link->credit_requested = 1;
        if (ahead > 0) { /* a poll at a later position: what is missing was lost */
            link->audio_lost += (uint32_t)ahead;
            link->audio_consumed += (uint32_t)ahead;
            link->audio_received = audio->offset;
        }
        return FWGEN_OK;
    }
    if (ahead < 0) {
        link->audio_overruns++;
        return FWGEN_ERR_STATE;
    }
    const uint32_t buffered = link->audio_received - link->audio_consumed;
    if (n > link->audio_window || buffered > link->audio_window - n) {
        link->audio_overruns++;
        return FWGEN_ERR_SIZE;
    }
    link->audio_lost += (uint32_t)ahead;
    link->audio_consumed += (uint32_t)ahead;
    link->audio_received = audio->offset + n;
    return FWGEN_OK;
}

void fwgen_link_audio_consumed(fwgen_link_t *link, uint32_t n)
{
    if (link != NULL) {
        link->audio_consumed += n;
    }
}

fwgen_status_t fwgen_link_audio_service(fwgen_link_t *link)
{
    if (link == NULL) {
        return FWGEN_ERR_ARG;
    }
    const uint32_t freed = link->audio_consumed - link->audio_acked;
    const uint32_t quarter = link->audio_window / 4u > 0u ? link->audio_window / 4u : 1u;
    const int drained = link->audio_consumed == link->audio_received && freed != 0u;
    if (!link->credit_requested && freed < quarter && !drained) {
        return FWGEN_OK;
    }
    fwgen_link_credit_t credit = {
        .consumed = link->audio_consumed,
        .received = link->audio_received,
        .lost = link->audio_lost,
    };
    fwgen_status_t status = fwgen_link_send_credit(link, &credit);
    if (status == FWGEN_OK) {
        link->audio_acked = link->audio_consumed;
        link->credit_requested = 0;
    }
    return status;
}

void fwgen_link_audio_end(fwgen_link_t *link, uint32_t total_samples)
{
    if (link == NULL) {
        return;
    }
    const int32_t missing = (int32_t)(total_samples - link->audio_received);
    if (missing > 0) {
        link->audio_lost += (uint32_t)missing;
        link->audio_consumed += (uint32_t)missing;
        link->audio_received = total_samples;
    }
}

void fwgen_link_audio_reset(fwgen_link_t *link)
{
    if (link == NULL) {
        return;
    }
    link->audio_received = 0;
    link->audio_consumed = 0;
    link->audio_acked = 0;
    link->audio_lost = 0;
    link->audio_overruns = 0;
    link->credit_requested = 0;
}

void fwgen_link_fill_stats(const fwgen_link_t *link, fwgen_link_stats_t *stats)
{
    if (link == NULL || stats == NULL) {
        return;
    }
    const fwgen_link_rx_stats_t *rx = &link->rx.stats;
    stats->rx_frames = rx->frames;
    stats->rx_crc_errors = rx->crc_errors;
    stats->rx_format_errors = rx->format_errors;
    stats->rx_overflows = rx->overflows;
    stats->rx_rejected = rx->version_errors + rx->type_errors;
    stats->audio_lost = link->audio_lost;
    stats->audio_overruns = link->audio_overruns;
}

size_t fwgen_link_rx_sizeof(void) { return sizeof(fwgen_link_rx_t); }
size_t fwgen_link_sizeof(void) { return sizeof(fwgen_link_t); }
