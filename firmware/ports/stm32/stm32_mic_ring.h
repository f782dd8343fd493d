/*
 * The microphone sample ring shared by the STM32 ports (L4 DFSDM, U5 MDF): the filter ISR
 * pushes one filtered sample at a time, fwgen_port_mic_read() drains it from the main loop.
 * Single producer (ISR), single consumer (main): head is written only by the ISR, tail only
 * by the reader, so no lock is needed. Included once by a port's .c file.
 */
#ifndef FWGEN_STM32_MIC_RING_H
#define FWGEN_STM32_MIC_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ports/cortexm/port_buffers.h"

#define STM32_MIC_RING FWGEN_PORT_MIC_RING_SAMPLES   /* samples, sized by the build */
#if STM32_MIC_RING == 0
#error "a port includes the microphone ring with FWGEN_PORT_MIC_RING_SAMPLES 0: guard its driver"
#endif

static int16_t s_mic[STM32_MIC_RING];
static volatile uint32_t s_mic_head, s_mic_tail, s_mic_overruns;

/* Empty the ring (before the filter starts). */
static inline void stm32_mic_clear(void)
{
    s_mic_head = s_mic_tail = 0u;
}

/* Saturate a filter result, already shifted to the int16 scale, and append it; a full ring
 * drops the sample and counts an overrun. Called from the filter ISR. */
static inline void stm32_mic_push(int32_t value)
{
    if (value > 32767) {
        value = 32767;
    } else if (value < -32768) {
        value = -32768;
    }
    uint32_t next = (s_mic_head + 1u) % STM32_MIC_RING;
    if (next == s_mic_tail) {
        s_mic_overruns++;
        return;
    }
    s_mic[s_mic_head] = (int16_t)value;
    s_mic_head = next;
}

/* fwgen_port_mic_read()'s body: copy up to `max` queued samples out, oldest first. */
static inline size_t stm32_mic_drain(int16_t *samples, size_t max)
{
    size_t n = 0;
    uint32_t tail = s_mic_tail;
    while (n < max && tail != s_mic_head) {
        samples[n++] = s_mic[tail];
        tail = (tail + 1u) % STM32_MIC_RING;
    }
    s_mic_tail = tail;
    return n;
}

#endif /* FWGEN_STM32_MIC_RING_H */
