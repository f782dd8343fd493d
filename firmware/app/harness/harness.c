/*
 * Test harness app (see harness.h): semihosting file output for test and benchmark images.
 * Semihosting operation numbers and argument blocks: Arm "Semihosting for AArch32 and AArch64".
 */
#include "app/harness/harness.h"

#include <string.h>

#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"

#define SYS_OPEN   0x01
#define SYS_CLOSE  0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE  0x05
#define OPEN_MODE_WB 5u   /* fopen mode "wb" */

fwgen_status_t fwgen_harness_init(void)
{
    fwgen_status_t status = fwgen_port_init(FWGEN_BOARD_UART_BAUD);
    if (status != FWGEN_OK) {
        return status;
    }
    return FWGEN_OK;
}

int fwgen_harness_open(const char *name)
{
    uint32_t args[3] = {(uint32_t)(uintptr_t)name, OPEN_MODE_WB, (uint32_t)strlen(name)};
    return fwgen_cortexm_semihost(SYS_OPEN, args);
}

void fwgen_harness_write(int handle, const void *data, uint32_t size)
{
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)data, size};
    (void)fwgen_cortexm_semihost(SYS_WRITE, args);
}

void fwgen_harness_close(int handle)
{
    uint32_t args[1] = {(uint32_t)handle};
    (void)fwgen_cortexm_semihost(SYS_CLOSE, args);
}

void fwgen_harness_puts(const char *text)
{
    (void)fwgen_cortexm_semihost(SYS_WRITE0, (void *)(uintptr_t)text);
}
