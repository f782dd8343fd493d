/*
 * fwgen port API: the few things the app needs from a board, one implementation per MCU family
 * (firmware/ports/<port>/) plus one for the MPS2 emulator twins (firmware/ports/mps2/).
 *
 * A port owns the startup code (vector table, .data/.bss init, FPU enable), the clock tree (the
 * core runs at the board's nominal frequency after fwgen_port_init), the virtual-COM-port UART,
 * a cycle counter and, where the board has one, the microphone. Register definitions are
 * fwgen's own, written from the vendors' reference manuals; no vendor HAL is used.
 */
#ifndef FWGEN_PORTS_PORT_H
#define FWGEN_PORTS_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/fwgen_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bring the board up: clock tree to the nominal frequency, UART at `baud` (8N1, receive
 * buffered by interrupt or by emulator back-pressure), cycle counter running.
 * [in] baud  UART bit rate; ignored by emulated UARTs.
 * Returns FWGEN_OK, or FWGEN_ERR_STATE when a clock or regulator did not become ready.
 */
fwgen_status_t fwgen_port_init(uint32_t baud);

/* Port and board name for HELLO messages (static storage, NUL-terminated). */
const char *fwgen_port_name(void);

/* Core clock in Hz after fwgen_port_init (the board's nominal clock). */
uint32_t fwgen_port_core_hz(void);

/*
 * Write `len` bytes to the UART, blocking until all are queued in hardware.
 * [in] data  bytes to send (may be NULL when len == 0)
 */
void fwgen_port_uart_write(const uint8_t *data, size_t len);

/*
 * Read up to `max` received bytes without blocking.
 * [out] data  destination, at least `max` bytes
 * Returns the number of bytes copied (0 when nothing is pending). Bytes lost to a receive
 * overrun are counted in fwgen_port_uart_overruns().
 */
size_t fwgen_port_uart_read(uint8_t *data, size_t max);

/* Number of receive overruns (bytes dropped) since init. */
uint32_t fwgen_port_uart_overruns(void);

/*
 * Free-running 32-bit counter for per-stage timing. Real cores: DWT CYCCNT (core cycles).
 * Emulator twins: SysTick under `qemu -icount shift=0`, which advances deterministically with
 * executed instructions (`fwgen_port_cycles_per_tick()` instructions per count): good for
 * regressions and comparisons, never a latency claim.
 */
uint32_t fwgen_port_cycles(void);

/* How many CPU cycles (real cores) or instructions (twins) one fwgen_port_cycles() step is. */
uint32_t fwgen_port_cycles_per_tick(void);

/* 1 when fwgen_port_cycles() counts instructions of an emulator, 0 on real silicon. */
int fwgen_port_is_emulator(void);

/*
 * Stack high-water mark: bytes of the main stack ever used since reset (the startup code
 * paints the stack; a word still holding the paint was never written), and the stack's size.
 */
size_t fwgen_port_stack_used(void);
size_t fwgen_port_stack_size(void);

/*
 * Start the microphone at `sample_rate_hz`, 16-bit mono. Returns FWGEN_ERR_UNSUPPORTED on
 * boards without one (or where the port does not implement it yet).
 */
fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz);

/*
 * Read up to `max` microphone samples without blocking; returns the number copied.
 */
size_t fwgen_port_mic_read(int16_t *samples, size_t max);

/*
 * Twins only (firmware/ports/mps2, for FWGEN_APP_AUDIO_SOURCE 3 "semihost"): files on the
 * machine running the emulator, through semihosting at MB/s where the emulated UART moves
 * KB/s, named on the emulator's semihosting command line
 * (qemu -semihosting-config enable=on,arg=fwgen-audio=PATH,arg=fwgen-link-out=PATH).
 * host_audio_open: the raw PCM file (int16 little-endian, mono) `fwgen-audio=`: FWGEN_OK and
 *   its size in bytes; FWGEN_ERR_UNSUPPORTED when none is named, FWGEN_ERR_STATE when it cannot
 *   be opened. One audio file is open at a time.
 * host_audio_read: up to `max` bytes into `dst`; returns the number read (0 at the end).
 * host_link_open: the file (a pipe the host reads) `fwgen-link-out=` that takes the link's
 *   device-to-host bytes instead of the UART; FWGEN_OK, or as host_audio_open.
 * host_link_write: `len` bytes to it, blocking while the host has not read enough.
 */
fwgen_status_t fwgen_port_host_audio_open(uint32_t *bytes);
size_t fwgen_port_host_audio_read(void *dst, size_t max);
void fwgen_port_host_audio_close(void);
fwgen_status_t fwgen_port_host_link_open(void);
void fwgen_port_host_link_write(const uint8_t *data, size_t len);
/* Sleep until the UART has received a byte (or another interrupt fires): an idle twin then
 * leaves its host core to the host's side of the work. */
void fwgen_port_wait_rx(void);

/*
 * Stop: on emulators, exit QEMU with `code` (semihosting SYS_EXIT_EXTENDED); on boards, wait
 * for a debugger (breakpoint when one is attached) and otherwise spin.
 */
void fwgen_port_exit(int code) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* FWGEN_PORTS_PORT_H */
