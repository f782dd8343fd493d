/*
 * The part of the port API every STM32 family implements the same way (UART through the
 * board's USART with an interrupt-fed ring buffer, DWT cycle counter, exit). Included once by
 * each family's port_<family>.c after it defines:
 *   STM32_GPIO_BASE(port_index)   address of GPIOA + port_index
 *   STM32_USART_KERNEL_HZ         USART kernel clock after fwgen_stm32_clock_init()
 *   fwgen_stm32_clock_init()      clock tree to FWGEN_BOARD_CLOCK_HZ; returns 1 on success
 *   fwgen_stm32_uart_clocks()     bus clocks of the UART's GPIO ports and the USART on
 * and optionally, for one more interrupt (e.g. a microphone filter):
 *   STM32_EXTRA_IRQ               its number
 *   fwgen_stm32_extra_isr()       its handler
 */
#ifndef FWGEN_PORTS_STM32_PORT_IMPL_H
#define FWGEN_PORTS_STM32_PORT_IMPL_H

#include "fwgen_board.h"
#include "ports/port.h"
#include "ports/stm32/stm32_common.h"

static fwgen_rx_ring_t s_rx;
static uint32_t s_core_hz;

void fwgen_default_handler(void);
static void fwgen_stm32_uart_isr(void) { fwgen_stm32_usart_irq(FWGEN_BOARD_UART_BASE, &s_rx); }

#if defined(STM32_EXTRA_IRQ) && STM32_EXTRA_IRQ > FWGEN_BOARD_UART_IRQ
#define STM32_LAST_IRQ STM32_EXTRA_IRQ
#else
#define STM32_LAST_IRQ FWGEN_BOARD_UART_IRQ
#endif

typedef void (*fwgen_irq_vector_t)(void);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
/* Device vectors up to the last one the port enables; every other entry is the default. */
__attribute__((section(".isr_vector.irq"), used))
const fwgen_irq_vector_t fwgen_port_irq_vectors[STM32_LAST_IRQ + 1] = {
    [0 ... STM32_LAST_IRQ] = fwgen_default_handler,
    [FWGEN_BOARD_UART_IRQ] = fwgen_stm32_uart_isr,
#ifdef STM32_EXTRA_IRQ
    [STM32_EXTRA_IRQ] = fwgen_stm32_extra_isr,
#endif
};
#pragma GCC diagnostic pop

fwgen_status_t fwgen_port_init(uint32_t baud)
{
    if (!fwgen_stm32_clock_init()) {
        return FWGEN_ERR_STATE;
    }
    s_core_hz = FWGEN_BOARD_CLOCK_HZ;
    fwgen_cortexm_dwt_start();
    fwgen_stm32_uart_clocks();
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(FWGEN_BOARD_UART_TX_PORT), FWGEN_BOARD_UART_TX_PIN, FWGEN_BOARD_UART_AF);
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(FWGEN_BOARD_UART_RX_PORT), FWGEN_BOARD_UART_RX_PIN, FWGEN_BOARD_UART_AF);
    fwgen_stm32_usart_init(FWGEN_BOARD_UART_BASE, STM32_USART_KERNEL_HZ, baud ? baud : FWGEN_BOARD_UART_BAUD);
    fwgen_nvic_enable(FWGEN_BOARD_UART_IRQ);
    fwgen_irq_enable();
    return FWGEN_OK;
}

const char *fwgen_port_name(void) { return FWGEN_BOARD_ID; }
uint32_t fwgen_port_core_hz(void) { return s_core_hz; }

void fwgen_port_uart_write(const uint8_t *data, size_t len)
{
    fwgen_stm32_usart_write(FWGEN_BOARD_UART_BASE, data, len);
}

size_t fwgen_port_uart_read(uint8_t *data, size_t max) { return fwgen_rx_ring_read(&s_rx, data, max); }
uint32_t fwgen_port_uart_overruns(void) { return s_rx.overruns; }
uint32_t fwgen_port_cycles(void) { return DWT_CYCCNT; }
uint32_t fwgen_port_cycles_per_tick(void) { return 1u; }
int fwgen_port_is_emulator(void) { return 0; }

void fwgen_port_exit(int code)
{
    if (DHCSR & DHCSR_C_DEBUGEN) {
        uint32_t block[2] = {0x20026u, (uint32_t)code};
        fwgen_cortexm_semihost(0x20, block);
    }
    fwgen_irq_disable();
    for (;;) {
        __asm volatile("wfi");
    }
}

#endif /* FWGEN_PORTS_STM32_PORT_IMPL_H */
