/*
 * The MPS2 twins' tick count from SysTick (QEMU does not emulate DWT CYCCNT): pure arithmetic,
 * kept apart from the register reads so the host tests it at every period boundary.
 *
 * SysTick runs with RVR = 0xFFFFFF: after SYST_CVR is cleared at init it reloads to 0xFFFFFF on
 * the first tick, counts down, and raises its exception on reaching 0, when the port's handler
 * counts a wrap. A reading of 0 therefore already belongs to the next period, and a wrap whose
 * handler has not run yet shows as ICSR.PENDSTSET.
 */
#ifndef FWGEN_PORTS_MPS2_TICKS_H
#define FWGEN_PORTS_MPS2_TICKS_H

#include <stdint.h>

#define FWGEN_MPS2_SYSTICK_PERIOD 0x01000000u   /* RVR + 1 ticks */

/*
 * Ticks since init (mod 2^32).
 * [in] wraps    SysTick exceptions handled so far
 * [in] pending  nonzero when a SysTick exception is pending (read together with `value`)
 * [in] value    SYST_CVR, 0 .. 0xFFFFFF
 */
static inline uint32_t fwgen_mps2_ticks(uint32_t wraps, uint32_t pending, uint32_t value)
{
    if (pending) {
        wraps++;
    }
    return wraps * FWGEN_MPS2_SYSTICK_PERIOD
           + ((FWGEN_MPS2_SYSTICK_PERIOD - value) & (FWGEN_MPS2_SYSTICK_PERIOD - 1u));
}

#endif /* FWGEN_PORTS_MPS2_TICKS_H */
