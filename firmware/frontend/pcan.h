/*
 * Per-channel amplitude normalization (internal): gain from the noise estimate, then shrink.
 */
#ifndef FWGEN_FRONTEND_PCAN_H
#define FWGEN_FRONTEND_PCAN_H

#include <stdint.h>

#include "frontend/frontend.h"

/* signal [in,out] n_channels values; noise_estimate [in] from noise reduction. */
void fwgen_fe_pcan(const fwgen_frontend_config_t *config, uint32_t *signal,
                   const uint32_t *noise_estimate);

#endif /* FWGEN_FRONTEND_PCAN_H */
