/*
 * Status codes returned by every fwgen C function that can fail.
 * Values are stable: the link protocol and the host binding report them by number.
 */
#ifndef FWGEN_STATUS_H
#define FWGEN_STATUS_H

typedef enum {
    FWGEN_OK = 0,
    FWGEN_ERR_ARG = 1,       /* a NULL pointer or an out-of-range argument */
    FWGEN_ERR_SIZE = 2,      /* a caller-provided buffer is too small */
    FWGEN_ERR_UNSUPPORTED = 3, /* a configuration this build does not implement */
    FWGEN_ERR_CRC = 4,       /* a frame failed its integrity check */
    FWGEN_ERR_FORMAT = 5,    /* malformed input (bad header, length or version) */
    FWGEN_ERR_STATE = 6,     /* called in the wrong state (e.g. before reset) */
    FWGEN_NEED_MORE = 7      /* not an error: more input is needed to produce output */
} fwgen_status_t;

#endif /* FWGEN_STATUS_H */
