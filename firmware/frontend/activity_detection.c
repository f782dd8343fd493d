/* Activity detection with MLTK semantics (Q8 filter coefficients, Q12 thresholds). */
#include "frontend/activity_detection.h"

/* out = ((1-k)*in + k*out) in Q8 with rounding; products wrap to 32 bits like the reference. */
static int32_t one_pole(int32_t in, int32_t state, int16_t k)
{
    const int32_t one_minus_k = (int16_t)((1 << 8) - k);
    const int64_t p1 = (int32_t)((uint32_t)one_minus_k * (uint32_t)in);
    const int64_t p2 = (int32_t)((uint32_t)(int32_t)k * (uint32_t)state);
    return (int32_t)((((p1 + p2) >> 7) + 1) >> 1);
}

void fwgen_fe_activity_update(fwgen_frontend_t *frontend, const uint32_t *channels)
{
    const fwgen_frontend_config_t *config = frontend->config;
    uint32_t total = 0;
    for (uint32_t c = 0; c < config->n_channels; ++c) {
        total += channels[c];
    }
    total >>= config->activity_scale;
    frontend->activity_filter_a = one_pole((int32_t)total, frontend->activity_filter_a,
                                           config->activity_alpha_a);
    frontend->activity_filter_b = one_pole((int32_t)total, frontend->activity_filter_b,
                                           config->activity_alpha_b);
    const int64_t slow = frontend->activity_filter_b;
    if (!frontend->activity_armed) {
        const int32_t arm = (int32_t)((slow * config->activity_arm_threshold) >> 12);
        if (frontend->activity_filter_a < arm) {
            frontend->activity_armed = 1;
        }
    } else {
        const int32_t trip = (int32_t)((slow * config->activity_trip_threshold) >> 12);
        if (frontend->activity_filter_a > trip) {
            frontend->activity_armed = 0;
            frontend->activity_tripped = 1;
        }
    }
}
