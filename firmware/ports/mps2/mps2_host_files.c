/*
 * Twin files on the emulator's host (port.h, fwgen_port_host_*), for the "semihost" audio
 * source: the audio file to read (`fwgen-audio=PATH` on QEMU's semihosting command line) and
 * the link's output (`fwgen-link-out=PATH`: the device-to-host frames, one SYS_WRITE each,
 * where the emulated UART would cost a TCP segment per byte). Arm semihosting: SYS_GET_CMDLINE
 * names the files, SYS_OPEN / SYS_FLEN / SYS_READ / SYS_WRITE / SYS_CLOSE use them. Only that
 * audio source calls these (never a board: BKPT 0xAB without a debugger faults), so the linker
 * drops them from every other build. fwgen_port_wait_rx lets QEMU sleep while the host
 * computes its side of a clip, where the polling loop would take a host core.
 */
#include <string.h>

#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/port.h"

#define UART_STATE       FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x04u)
#define UART_CTRL        FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x08u)
#define UART_INTCLEAR    FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x0Cu)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_RXINTEN (1u << 3)
#define UART_INT_RX       (1u << 1)
#define NVIC_ICER(n)     FWGEN_REG32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n)     FWGEN_REG32(0xE000E280u + 4u * (n))

#define SYS_OPEN        0x01
#define SYS_CLOSE       0x02
#define SYS_WRITE       0x05
#define SYS_READ        0x06
#define SYS_FLEN        0x0C
#define SYS_GET_CMDLINE 0x15
#define OPEN_MODE_RB    1          /* fopen modes "rb", "wb" */
#define OPEN_MODE_WB    5
#define CMDLINE_BYTES   160u

static int s_audio = -1;
static int s_link_out = -1;

/* Open the file named `key`PATH on the semihosting command line: its handle, or -1 (none
 * named: *named is 0). */
static int open_named(const char *key, uint32_t mode, int *named)
{
    char line[CMDLINE_BYTES];
    uint32_t block[3] = {(uint32_t)(uintptr_t)line, sizeof line, 0u};
    *named = 0;
    if (fwgen_cortexm_semihost(SYS_GET_CMDLINE, block) != 0) {
        return -1;
    }
    line[sizeof line - 1u] = '\0';
    char *path = strstr(line, key);
    if (path == NULL) {
        return -1;
    }
    path += strlen(key);
    size_t n = 0;
    while (path[n] != '\0' && path[n] != ' ') {
        n++;
    }
    path[n] = '\0';
    if (n == 0u) {
        return -1;
    }
    *named = 1;
    block[0] = (uint32_t)(uintptr_t)path;
    block[1] = mode;
    block[2] = (uint32_t)n;
    return fwgen_cortexm_semihost(SYS_OPEN, block);
}

static void close_handle(int *handle)
{
    if (*handle >= 0) {
        uint32_t block[1] = {(uint32_t)*handle};
        (void)fwgen_cortexm_semihost(SYS_CLOSE, block);
        *handle = -1;
    }
}

fwgen_status_t fwgen_port_host_audio_open(uint32_t *bytes)
{
    int named = 0;
    close_handle(&s_audio);
    int handle = open_named("fwgen-audio=", OPEN_MODE_RB, &named);
    if (handle < 0) {
        return named ? FWGEN_ERR_STATE : FWGEN_ERR_UNSUPPORTED;
    }
    uint32_t block[1] = {(uint32_t)handle};
    int size = fwgen_cortexm_semihost(SYS_FLEN, block);
    if (size < 0) {
        close_handle(&handle);
        return FWGEN_ERR_STATE;
    }
    s_audio = handle;
    *bytes = (uint32_t)size;
    return FWGEN_OK;
}

size_t fwgen_port_host_audio_read(void *dst, size_t max)
{
    if (s_audio < 0 || max == 0u) {
        return 0;
    }
    uint32_t block[3] = {(uint32_t)s_audio, (uint32_t)(uintptr_t)dst, (uint32_t)max};
    int left = fwgen_cortexm_semihost(SYS_READ, block);   /* bytes NOT read */
    if (left < 0 || (size_t)left > max) {
        return 0;
    }
    return max - (size_t)left;
}

void fwgen_port_host_audio_close(void)
{
    close_handle(&s_audio);
}

fwgen_status_t fwgen_port_host_link_open(void)
{
    int named = 0;
    close_handle(&s_link_out);
    s_link_out = open_named("fwgen-link-out=", OPEN_MODE_WB, &named);
    if (s_link_out < 0) {
        return named ? FWGEN_ERR_STATE : FWGEN_ERR_UNSUPPORTED;
    }
    return FWGEN_OK;
}

void fwgen_port_host_link_write(const uint8_t *data, size_t len)
{
    uint32_t block[3] = {(uint32_t)s_link_out, (uint32_t)(uintptr_t)data, (uint32_t)len};
    if (s_link_out >= 0 && len > 0u) {
        (void)fwgen_cortexm_semihost(SYS_WRITE, block);   /* blocks while the host is behind */
    }
}

/* WFI until the UART holds a byte (or SysTick fires). The RX interrupt is enabled in the NVIC
 * only around the WFI, with PRIMASK set, so it wakes the core and is never taken: the MPS2
 * port has no vector for it. */
void fwgen_port_wait_rx(void)
{
    const uint32_t bit = 1u << (FWGEN_BOARD_UART_IRQ & 31u);
    UART_CTRL |= UART_CTRL_RXINTEN;
    fwgen_irq_disable();
    NVIC_ISER(FWGEN_BOARD_UART_IRQ >> 5) = bit;
    if (!(UART_STATE & UART_STATE_RXFULL)) {
        __asm volatile("wfi" ::: "memory");
    }
    NVIC_ICER(FWGEN_BOARD_UART_IRQ >> 5) = bit;
    UART_INTCLEAR = UART_INT_RX;
    NVIC_ICPR(FWGEN_BOARD_UART_IRQ >> 5) = bit;
    fwgen_irq_enable();                 /* a pending SysTick is taken here */
}
