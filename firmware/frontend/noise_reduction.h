/*
 * Noise reduction (internal): per-channel running noise estimate subtracted from the signal.
 */
#ifndef FWGEN_FRONTEND_NOISE_REDUCTION_H
#define FWGEN_FRONTEND_NOISE_REDUCTION_H

#include <stdint.h>

#include "frontend/frontend.h"

/* signal [in,out] n_channels values; estimate [in,out] n_channels noise estimates. */
void fwgen_fe_noise_reduction(const fwgen_frontend_config_t *config, uint32_t *signal,
                              uint32_t *estimate);

#endif /* FWGEN_FRONTEND_NOISE_REDUCTION_H */
