/*
 * Port for EFR32MG24 (xG24-DK2601B: EFR32MG24B310F1536IM48), Series 2 register layout from the
 * EFR32xG24 reference manual. Runs secure (no TrustZone partitioning), secure peripheral aliases.
 *
 * STATUS — what only a board can confirm (no EFR32 emulator exists; compile-tested only):
 *   - Clock: the core stays on HFRCODPLL at its 19 MHz reset frequency. The nominal 78 MHz
 *     needs HFXO (39 MHz, CTUNE from DEVINFO) feeding DPLL0, not implemented yet;
 *     fwgen_port_core_hz() reports the 19 MHz actually used, so cycle figures stay honest.
 *   - UART: USART0 on PA5 (TX) / PA6 (RX), the on-board J-Link VCOM; clocked from the 19 MHz
 *     EM01 group clock (assumed undivided). RX is interrupt-driven (USART0_RX, IRQ 9).
 *   - Microphone: 2 x ICS-43434 (I2S) are not driven yet: fwgen_port_mic_start() returns
 *     FWGEN_ERR_UNSUPPORTED.
 * Cycle counter: DWT CYCCNT.
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/port.h"

#define EFR32_HFRCODPLL_RESET_HZ 19000000u

#define CMU_CLKEN0        FWGEN_REG32(0x40008000u + 0x064u)
#define CMU_CLKEN0_USART0 (1u << 9)
#define CMU_CLKEN0_GPIO   (1u << 26)

#define GPIO_BASE         0x4003C000u
#define GPIO_PORT(n)      (GPIO_BASE + 0x30u + 0x30u * (uint32_t)(n))
#define GPIO_MODEL(p)     FWGEN_REG32(GPIO_PORT(p) + 0x04u)
#define GPIO_MODEH(p)     FWGEN_REG32(GPIO_PORT(p) + 0x08u)
#define GPIO_DOUT(p)      FWGEN_REG32(GPIO_PORT(p) + 0x10u)
#define GPIO_MODE_INPUT     0x1u
#define GPIO_MODE_PUSHPULL  0x4u
/* GPIO USARTROUTE[0] (USART0): ROUTEEN, RXROUTE, TXROUTE; route = PORT[1:0] | PIN[19:16]. */
#define USART0_ROUTEEN    FWGEN_REG32(GPIO_BASE + 0x820u)
#define USART0_RXROUTE    FWGEN_REG32(GPIO_BASE + 0x830u)
#define USART0_TXROUTE    FWGEN_REG32(GPIO_BASE + 0x838u)
#define ROUTEEN_RXPEN     (1u << 2)
#define ROUTEEN_TXPEN     (1u << 4)

#define USART_EN(b)       FWGEN_REG32((b) + 0x04u)
#define USART_CTRL(b)     FWGEN_REG32((b) + 0x08u)
#define USART_FRAME(b)    FWGEN_REG32((b) + 0x0Cu)
#define USART_CMD(b)      FWGEN_REG32((b) + 0x14u)
#define USART_STATUS(b)   FWGEN_REG32((b) + 0x18u)
#define USART_CLKDIV(b)   FWGEN_REG32((b) + 0x1Cu)
#define USART_RXDATA(b)   FWGEN_REG32((b) + 0x24u)
#define USART_TXDATA(b)   FWGEN_REG32((b) + 0x3Cu)
#define USART_IF(b)       FWGEN_REG32((b) + 0x48u)
#define USART_IEN(b)      FWGEN_REG32((b) + 0x4Cu)
#define USART_IF_CLR(b)   FWGEN_REG32((b) + 0x2000u + 0x48u)   /* Series 2 clear alias */
#define USART_CMD_RXEN    (1u << 0)
#define USART_CMD_TXEN    (1u << 2)
#define USART_CMD_CLEARRX (1u << 11)
#define USART_STATUS_TXBL    (1u << 6)
#define USART_STATUS_RXDATAV (1u << 7)
#define USART_IF_RXDATAV  (1u << 2)
#define USART_IF_RXOF     (1u << 4)
#define USART_FRAME_8N1   0x00001005u   /* DATABITS 8, PARITY none, STOPBITS 1 */

#define UART FWGEN_BOARD_UART_BASE

static fwgen_rx_ring_t s_rx;

void fwgen_default_handler(void);

static void fwgen_efr32_uart_isr(void)
{
    if (USART_IF(UART) & USART_IF_RXOF) {
        USART_IF_CLR(UART) = USART_IF_RXOF;
        s_rx.overruns++;
    }
    while (USART_STATUS(UART) & USART_STATUS_RXDATAV) {
        fwgen_rx_ring_put(&s_rx, (uint8_t)USART_RXDATA(UART));
    }
    USART_IF_CLR(UART) = USART_IF_RXDATAV;
}

typedef void (*fwgen_irq_vector_t)(void);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".isr_vector.irq"), used))
const fwgen_irq_vector_t fwgen_port_irq_vectors[FWGEN_BOARD_UART_IRQ + 1] = {
    [0 ... FWGEN_BOARD_UART_IRQ] = fwgen_default_handler,
    [FWGEN_BOARD_UART_IRQ] = fwgen_efr32_uart_isr,
};
#pragma GCC diagnostic pop

static void gpio_mode(unsigned port, unsigned pin, uint32_t mode)
{
    volatile uint32_t *reg = pin < 8u ? &GPIO_MODEL(port) : &GPIO_MODEH(port);
    unsigned shift = 4u * (pin & 7u);
    *reg = (*reg & ~(0xFu << shift)) | (mode << shift);
}

fwgen_status_t fwgen_port_init(uint32_t baud)
{
    fwgen_cortexm_dwt_start();
    CMU_CLKEN0 |= CMU_CLKEN0_GPIO | CMU_CLKEN0_USART0;
    gpio_mode(FWGEN_BOARD_UART_TX_PORT, FWGEN_BOARD_UART_TX_PIN, GPIO_MODE_PUSHPULL);
    GPIO_DOUT(FWGEN_BOARD_UART_TX_PORT) |= 1u << FWGEN_BOARD_UART_TX_PIN;   /* idle high */
    gpio_mode(FWGEN_BOARD_UART_RX_PORT, FWGEN_BOARD_UART_RX_PIN, GPIO_MODE_INPUT);
    USART0_TXROUTE = FWGEN_BOARD_UART_TX_PORT | ((uint32_t)FWGEN_BOARD_UART_TX_PIN << 16);
    USART0_RXROUTE = FWGEN_BOARD_UART_RX_PORT | ((uint32_t)FWGEN_BOARD_UART_RX_PIN << 16);
    USART0_ROUTEEN = ROUTEEN_RXPEN | ROUTEEN_TXPEN;

    USART_EN(UART) = 1u;
    USART_CTRL(UART) = 0u;                       /* asynchronous, 16x oversampling */
    USART_FRAME(UART) = USART_FRAME_8N1;
    /* CLKDIV = 256 * (f / (16 * baud) - 1), in the register's [22:3] field (multiple of 8). */
    uint32_t b = baud ? baud : FWGEN_BOARD_UART_BAUD;
    uint32_t div = (uint32_t)(((uint64_t)EFR32_HFRCODPLL_RESET_HZ * 16u + b / 2u) / b) - 256u;
    USART_CLKDIV(UART) = div & 0x007FFFF8u;
    USART_IEN(UART) = USART_IF_RXDATAV | USART_IF_RXOF;
    USART_CMD(UART) = USART_CMD_CLEARRX | USART_CMD_RXEN | USART_CMD_TXEN;
    fwgen_nvic_enable(FWGEN_BOARD_UART_IRQ);
    fwgen_irq_enable();
    return FWGEN_OK;
}

const char *fwgen_port_name(void) { return FWGEN_BOARD_ID; }
uint32_t fwgen_port_core_hz(void) { return EFR32_HFRCODPLL_RESET_HZ; }

void fwgen_port_uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (!(USART_STATUS(UART) & USART_STATUS_TXBL)) {
        }
        USART_TXDATA(UART) = data[i];
    }
}

size_t fwgen_port_uart_read(uint8_t *data, size_t max) { return fwgen_rx_ring_read(&s_rx, data, max); }
uint32_t fwgen_port_uart_overruns(void) { return s_rx.overruns; }
uint32_t fwgen_port_cycles(void) { return DWT_CYCCNT; }
uint32_t fwgen_port_cycles_per_tick(void) { return 1u; }
int fwgen_port_is_emulator(void) { return 0; }

fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    (void)sample_rate_hz;
    return FWGEN_ERR_UNSUPPORTED;
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    (void)samples;
    (void)max;
    return 0;
}

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
