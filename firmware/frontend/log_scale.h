/*
 * Log scale (internal): integer natural log via log2 with a correction table, clipped to uint16.
 */
#ifndef FWGEN_FRONTEND_LOG_SCALE_H
#define FWGEN_FRONTEND_LOG_SCALE_H

#include <stdint.h>

#include "frontend/frontend.h"

/* signal [in] n_channels values; out [out] n_channels uint16 features. */
void fwgen_fe_log_scale(const fwgen_frontend_config_t *config, const uint32_t *signal,
                        uint16_t *out);

#endif /* FWGEN_FRONTEND_LOG_SCALE_H */
