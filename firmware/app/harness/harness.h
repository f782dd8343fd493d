/*
 * Test harness app: what the main() of a test or benchmark image may call besides the firmware
 * library and the port API (ports/port.h). fwgen.testing.harness builds such images exactly as
 * shipped firmware is built (same startup, port, generated linker script, compiler flags and
 * `pio run`); the image's main.c comes from the caller, and main()'s return value becomes
 * QEMU's exit status (the port's fwgen_port_exit()).
 *
 * Output goes through Arm semihosting, so it needs QEMU (-semihosting-config enable=on) or a
 * debugger: files are created in the folder QEMU runs in. Timing uses the port's cycle counter:
 * fwgen_harness_init() starts it, fwgen_port_cycles() reads it, fwgen_port_cycles_per_tick()
 * scales it. On the QEMU twins under `-icount shift=0` one count is 1e9 / clock_hz
 * instructions: counts for regressions and comparisons, never latency.
 */
#ifndef FWGEN_APP_HARNESS_H
#define FWGEN_APP_HARNESS_H

#include <stdint.h>

#include "common/fwgen_status.h"
#include "ports/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bring the port up (clock, cycle counter): FWGEN_OK, or the port's error. */
fwgen_status_t fwgen_harness_init(void);

/*
 * Create (or truncate) the host file `name` for binary writing (semihosting SYS_OPEN "wb").
 * Returns a handle >= 0, or a negative value when the host refused.
 */
int fwgen_harness_open(const char *name);

/* Append `size` bytes from `data` to an open file (semihosting SYS_WRITE). */
void fwgen_harness_write(int handle, const void *data, uint32_t size);

/* Close a file from fwgen_harness_open (semihosting SYS_CLOSE). */
void fwgen_harness_close(int handle);

/* Write a NUL-terminated text to the host's console, QEMU's stdout (semihosting SYS_WRITE0). */
void fwgen_harness_puts(const char *text);

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_APP_HARNESS_H */
