/*
 * Activity detection (internal, MLTK): a fast and a slow one-pole filter over the total channel
 * energy; the detector arms when fast/slow drops below arm_threshold and trips when it rises
 * above trip_threshold.
 */
#ifndef FWGEN_FRONTEND_ACTIVITY_DETECTION_H
#define FWGEN_FRONTEND_ACTIVITY_DETECTION_H

#include <stdint.h>

#include "frontend/frontend.h"

/* channels [in] filterbank output of one frame; updates the activity fields of `frontend`. */
void fwgen_fe_activity_update(fwgen_frontend_t *frontend, const uint32_t *channels);

#endif /* FWGEN_FRONTEND_ACTIVITY_DETECTION_H */
