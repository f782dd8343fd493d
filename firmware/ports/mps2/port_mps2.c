/*
 * Port for the Arm MPS2 FPGA images emulated by QEMU 7.2 (mps2-an505 Cortex-M33, mps2-an386
 * Cortex-M4, mps2-an500 Cortex-M7): the emulator twins of fwgen's boards.
 *
 * UART: CMSDK APB UART0 (Arm CMSDK TRM, DDI 0479). QEMU delivers a received byte only when
 * the guest has read the previous one, so polling loses nothing (the host's write blocks).
 * Cycle counter: QEMU does not emulate DWT CYCCNT; SysTick on the CPU clock advances
 * deterministically under `-icount shift=0` (1 instruction = 1 ns of virtual time).
 * Exit: semihosting SYS_EXIT_EXTENDED, so QEMU exits with the firmware's status.
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/mps2/mps2_ticks.h"
#include "ports/port.h"

#ifndef FWGEN_MPS2_UART_BASE
#error "FWGEN_MPS2_UART_BASE must be defined by the board (generated fwgen_board.h)"
#endif

#define UART_DATA    FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x00u)
#define UART_STATE   FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x04u)
#define UART_CTRL    FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x08u)
#define UART_BAUDDIV FWGEN_REG32(FWGEN_MPS2_UART_BASE + 0x10u)
#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_STATE_RXOVR  (1u << 3)
#define UART_CTRL_TXEN    (1u << 0)
#define UART_CTRL_RXEN    (1u << 1)

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static volatile uint32_t s_systick_wraps;
static uint32_t s_overruns;

void SysTick_Handler(void)
{
    s_systick_wraps++;
}

fwgen_status_t fwgen_port_init(uint32_t baud)
{
    UART_BAUDDIV = FWGEN_BOARD_CLOCK_HZ / (baud ? baud : 115200u);
    UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSRC;
    fwgen_irq_enable();
    return FWGEN_OK;
}

const char *fwgen_port_name(void) { return FWGEN_BOARD_ID; }

uint32_t fwgen_port_core_hz(void) { return FWGEN_BOARD_CLOCK_HZ; }

void fwgen_port_uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (UART_STATE & UART_STATE_TXFULL) {
        }
        UART_DATA = data[i];
    }
}

size_t fwgen_port_uart_read(uint8_t *data, size_t max)
{
    size_t n = 0;
    while (n < max) {
        uint32_t state = UART_STATE;
        if (state & UART_STATE_RXOVR) {
            UART_STATE = UART_STATE_RXOVR;   /* write 1 to clear */
            s_overruns++;
        }
        if (!(state & UART_STATE_RXFULL)) {
            break;
        }
        data[n++] = (uint8_t)UART_DATA;
    }
    return n;
}

uint32_t fwgen_port_uart_overruns(void) { return s_overruns; }

uint32_t fwgen_port_cycles(void)
{
    /* The pending bit is read on both sides of the counter so that the value, the wrap count
     * and the pending wrap belong to the same instant (see mps2_ticks.h). */
    uint32_t wraps, value, pending;
    do {
        wraps = s_systick_wraps;
        pending = SCB_ICSR & SCB_ICSR_PENDSTSET;
        value = SYST_CVR;
    } while (wraps != s_systick_wraps || pending != (SCB_ICSR & SCB_ICSR_PENDSTSET));
    return fwgen_mps2_ticks(wraps, pending, value);
}

/* Instructions per SysTick count: 1e9 ns per second of virtual time / CPU clock. */
uint32_t fwgen_port_cycles_per_tick(void) { return 1000000000u / FWGEN_BOARD_CLOCK_HZ; }

int fwgen_port_is_emulator(void) { return 1; }

/* The MPS2 twins have no microphone. */
#include "ports/cortexm/port_no_mic.h"

void fwgen_port_exit(int code)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    for (;;) {
        fwgen_cortexm_semihost(SEMIHOST_SYS_EXIT_EXTENDED, block);
    }
}
