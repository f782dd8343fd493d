/*
 * The microphone API of a build that takes no audio from the microphone
 * (FWGEN_PORT_MIC_RING_SAMPLES 0, cortexm/port_buffers.h): no driver, no ring, no interrupt.
 * Included once, by a port's .c file, in place of its driver.
 */
#ifndef FWGEN_PORT_NO_MIC_H
#define FWGEN_PORT_NO_MIC_H

#include "ports/port.h"

fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    (void)sample_rate_hz;
    return FWGEN_ERR_UNSUPPORTED;
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    (void)samples;
    (void)max;
    return 0u;
}

#endif /* FWGEN_PORT_NO_MIC_H */
