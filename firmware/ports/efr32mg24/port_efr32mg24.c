/*
 * Port for EFR32MG24 (xG24-DK2601B: EFR32MG24B310F1536IM48), Series 2 register layout from the
 * EFR32xG24 reference manual. Runs secure (no TrustZone partitioning), secure peripheral aliases.
 *
 * Clock (EFR32xG24 RM, CMU / HFXO / DPLL / HFRCO / MSC chapters): the core leaves reset on FSRCO
 * (20 MHz; CMU_SYSCLKCTRL reset value CLKSEL = FSRCO). fwgen_port_init():
 *   1. bus clocks on for HFXO0, DPLL0, HFRCO0 (CMU_CLKEN0) and MSC (CMU_CLKEN1);
 *   2. HFXO0 force-enabled and waited for (HFXO_STATUS.RDY) - BRD2601B has a 39 MHz crystal;
 *   3. flash wait states raised before the switch: MSC_READCTRL.MODE = 1 WS (0 WS only up to
 *      40 MHz; reset value is 2 WS);
 *   4. HFRCODPLL put in its 80 MHz band with the factory tuning word DEVINFO->HFRCODPLLCAL[16],
 *      DPLL0 referenced to HFXO (CMU_DPLLREFCLKCTRL) with N = 3839, M = 1919:
 *      f = 39 MHz * (N + 1) / (M + 1) = 78 MHz, frequency-lock mode, wait for DPLL_IF.LOCK;
 *   5. PCLK = HCLK / 2 (CMU_SYSCLKCTRL.PCLKPRESC; PCLK is limited to 50 MHz), then
 *      SYSCLK = HFRCODPLL. HCLK = 78 MHz, PCLK = 39 MHz.
 * USART0 is clocked from PCLK, so its baud divisor is computed from 39 MHz.
 *
 * STATUS - what only a board can confirm (no EFR32 emulator exists; compile-tested only):
 *   - the whole clock sequence above, in particular the DPLL lock time and that 1 flash wait
 *     state is enough at 78 MHz (set EFR32_FLASH_WS to 2, the reset value, if not);
 *   - the HFXO runs with its reset-value tuning (CTUNE): BRD2601B's board-specific CTUNE is not
 *     applied, so the 39 MHz reference may be off by tens of ppm (harmless for UART and audio,
 *     not good enough for the radio);
 *   - UART: USART0 on PA5 (TX) / PA6 (RX), the on-board J-Link VCOM, route and register offsets;
 *     RX is interrupt-driven (USART0_RX, IRQ 9). That USART0 is clocked from PCLK is from our
 *     reading of the clock-tree chapter.
 *   - Microphone: 2 x ICS-43434 (I2S on USART0: PD3 clock, PD4 data, PD5 WS, power PC8) are
 *     not driven: USART0 is this port's VCOM, so fwgen_port_mic_start() returns
 *     FWGEN_ERR_UNSUPPORTED (see firmware/ports/README.md).
 * Cycle counter: DWT CYCCNT. If any clock step times out, fwgen_port_init() returns
 * FWGEN_ERR_STATE and the core stays on FSRCO (fwgen_port_core_hz() then reports 20 MHz).
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/port.h"

#define EFR32_FSRCO_HZ    20000000u     /* reset SYSCLK */
#define EFR32_HFXO_HZ     39000000u     /* BRD2601B crystal */
#define EFR32_DPLL_N      3839u         /* f = HFXO * (N + 1) / (M + 1) */
#define EFR32_DPLL_M      1919u
#define EFR32_CORE_HZ     ((uint32_t)((uint64_t)EFR32_HFXO_HZ * (EFR32_DPLL_N + 1u) / (EFR32_DPLL_M + 1u)))
#define EFR32_PCLK_DIV    2u            /* PCLK <= 50 MHz */
#define EFR32_FLASH_WS    1u            /* MSC_READCTRL.MODE: 0 WS <= 40 MHz, 1 WS <= 80 MHz */
#define EFR32_TIMEOUT     2000000u      /* polling iterations before giving up */

#if FWGEN_BOARD_CLOCK_HZ != 78000000u
#error "the EFR32MG24 port sets 78 MHz (39 MHz HFXO x 3840 / 1920); update EFR32_DPLL_N/M for another clock"
#endif

/* CMU (RM: CMU register map). Series 2 peripherals have SET/CLR aliases at +0x1000/+0x2000. */
#define CMU_BASE          0x40008000u
#define CMU_CLKEN0        FWGEN_REG32(CMU_BASE + 0x064u)
#define CMU_CLKEN1        FWGEN_REG32(CMU_BASE + 0x068u)
#define CMU_SYSCLKCTRL    FWGEN_REG32(CMU_BASE + 0x070u)
#define CMU_DPLLREFCLKCTRL FWGEN_REG32(CMU_BASE + 0x100u)
#define CMU_CLKEN0_USART0 (1u << 9)
#define CMU_CLKEN0_DPLL0  (1u << 17)
#define CMU_CLKEN0_HFRCO0 (1u << 18)
#define CMU_CLKEN0_HFXO0  (1u << 20)
#define CMU_CLKEN0_GPIO   (1u << 26)
#define CMU_CLKEN1_MSC    (1u << 16)
#define CMU_SYSCLKCTRL_CLKSEL_MASK      7u
#define CMU_SYSCLKCTRL_CLKSEL_HFRCODPLL 2u
#define CMU_SYSCLKCTRL_PCLKPRESC_DIV2   (1u << 10)
#define CMU_DPLLREFCLKCTRL_HFXO 1u

/* HFXO0 (RM: HFXO register map; base from the RM memory map, not the xG21/xG22 0x4000C000) */
#define HFXO0_BASE        0x4A004000u   /* xG24: HFXO0 sits in the low-power peripheral block */
#define HFXO0_CTRL_SET    FWGEN_REG32(HFXO0_BASE + 0x1000u + 0x028u)
#define HFXO0_STATUS      FWGEN_REG32(HFXO0_BASE + 0x058u)
#define HFXO_CTRL_FORCEEN (1u << 16)
#define HFXO_STATUS_RDY   (1u << 0)

/* HFRCO0 (RM: HFRCO register map) and the device-information page (RM: DEVINFO) */
#define HFRCO0_CAL        FWGEN_REG32(0x40010000u + 0x008u)
#define DEVINFO_BASE      0x0FE08000u
#define DEVINFO_HFRCODPLLCAL(i) FWGEN_REG32(DEVINFO_BASE + 0x058u + 4u * (uint32_t)(i))
#define HFRCODPLL_BAND_80MHZ 16u       /* DEVINFO HFRCODPLLCAL index of the 80 MHz band */

/* DPLL0 (RM: DPLL register map) */
#define DPLL0_BASE        0x4001C000u
#define DPLL0_EN          FWGEN_REG32(DPLL0_BASE + 0x004u)
#define DPLL0_CFG         FWGEN_REG32(DPLL0_BASE + 0x008u)
#define DPLL0_CFG1        FWGEN_REG32(DPLL0_BASE + 0x00Cu)
#define DPLL0_IF          FWGEN_REG32(DPLL0_BASE + 0x010u)
#define DPLL0_IF_CLR      FWGEN_REG32(DPLL0_BASE + 0x2000u + 0x010u)
#define DPLL_EN_EN        (1u << 0)
#define DPLL_EN_DISABLING (1u << 1)
#define DPLL_CFG_FLL      0u            /* MODE = FLL (frequency lock), EDGESEL rising */
#define DPLL_IF_LOCK      (1u << 0)
#define DPLL_IF_LOCKFAILLOW  (1u << 1)
#define DPLL_IF_LOCKFAILHIGH (1u << 2)

/* MSC (RM: MSC register map) */
#define MSC_READCTRL      FWGEN_REG32(0x40030000u + 0x004u)
#define MSC_READCTRL_MODE_SHIFT 20
#define MSC_READCTRL_MODE_MASK  (3u << MSC_READCTRL_MODE_SHIFT)

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

static uint32_t s_core_hz = EFR32_FSRCO_HZ;
static uint32_t s_pclk_hz = EFR32_FSRCO_HZ;

static int efr32_wait(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    for (uint32_t i = 0; i < EFR32_TIMEOUT; i++) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

/* HFXO (39 MHz) -> DPLL0 -> HFRCODPLL 78 MHz -> SYSCLK; PCLK = HCLK / 2. Returns 1 on success. */
static int efr32_clock_init(void)
{
    CMU_CLKEN0 |= CMU_CLKEN0_HFXO0 | CMU_CLKEN0_DPLL0 | CMU_CLKEN0_HFRCO0;
    CMU_CLKEN1 |= CMU_CLKEN1_MSC;

    HFXO0_CTRL_SET = HFXO_CTRL_FORCEEN;
    if (!efr32_wait(&HFXO0_STATUS, HFXO_STATUS_RDY, HFXO_STATUS_RDY)) {
        return 0;
    }

    /* Flash wait states for 78 MHz, set before the clock goes up (read back to be sure). */
    MSC_READCTRL = (MSC_READCTRL & ~MSC_READCTRL_MODE_MASK) | (EFR32_FLASH_WS << MSC_READCTRL_MODE_SHIFT);
    if (((MSC_READCTRL & MSC_READCTRL_MODE_MASK) >> MSC_READCTRL_MODE_SHIFT) != EFR32_FLASH_WS) {
        return 0;
    }

    /* SYSCLK is still FSRCO here, so HFRCODPLL can be retuned and locked without a glitch. */
    DPLL0_EN &= ~DPLL_EN_EN;
    if (!efr32_wait(&DPLL0_EN, DPLL_EN_DISABLING, 0u)) {
        return 0;
    }
    CMU_DPLLREFCLKCTRL = CMU_DPLLREFCLKCTRL_HFXO;
    uint32_t cal = DEVINFO_HFRCODPLLCAL(HFRCODPLL_BAND_80MHZ);
    if (cal == 0u || cal == 0xFFFFFFFFu) {
        return 0;                                   /* no factory tuning: refuse to guess */
    }
    HFRCO0_CAL = cal;
    DPLL0_CFG = DPLL_CFG_FLL;
    DPLL0_CFG1 = (EFR32_DPLL_N << 16) | EFR32_DPLL_M;
    DPLL0_IF_CLR = DPLL_IF_LOCK | DPLL_IF_LOCKFAILLOW | DPLL_IF_LOCKFAILHIGH;
    DPLL0_EN |= DPLL_EN_EN;
    uint32_t any = DPLL_IF_LOCK | DPLL_IF_LOCKFAILLOW | DPLL_IF_LOCKFAILHIGH;
    for (uint32_t i = 0; (DPLL0_IF & any) == 0u; i++) {
        if (i == EFR32_TIMEOUT) {
            return 0;
        }
    }
    if ((DPLL0_IF & any) != DPLL_IF_LOCK) {
        return 0;                                   /* lock failure (too low / too high) */
    }

    /* PCLK / 2 first (it must never exceed 50 MHz), then switch SYSCLK to HFRCODPLL. */
    CMU_SYSCLKCTRL |= CMU_SYSCLKCTRL_PCLKPRESC_DIV2;
    CMU_SYSCLKCTRL = (CMU_SYSCLKCTRL & ~CMU_SYSCLKCTRL_CLKSEL_MASK) | CMU_SYSCLKCTRL_CLKSEL_HFRCODPLL;
    if ((CMU_SYSCLKCTRL & CMU_SYSCLKCTRL_CLKSEL_MASK) != CMU_SYSCLKCTRL_CLKSEL_HFRCODPLL) {
        return 0;
    }
    s_core_hz = EFR32_CORE_HZ;
    s_pclk_hz = EFR32_CORE_HZ / EFR32_PCLK_DIV;
    return 1;
}

static void gpio_mode(unsigned port, unsigned pin, uint32_t mode)
{
    volatile uint32_t *reg = pin < 8u ? &GPIO_MODEL(port) : &GPIO_MODEH(port);
    unsigned shift = 4u * (pin & 7u);
    *reg = (*reg & ~(0xFu << shift)) | (mode << shift);
}

fwgen_status_t fwgen_port_init(uint32_t baud)
{
    int clock_ok = efr32_clock_init();
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
    /* CLKDIV = 256 * (f_PCLK / (16 * baud) - 1), in the register's [22:3] field (multiple of 8);
     * computed from the clock actually running (39 MHz PCLK, or 20 MHz FSRCO on failure). */
    uint32_t b = baud ? baud : FWGEN_BOARD_UART_BAUD;
    uint32_t div = (uint32_t)(((uint64_t)s_pclk_hz * 16u + b / 2u) / b) - 256u;
    USART_CLKDIV(UART) = div & 0x007FFFF8u;
    USART_IEN(UART) = USART_IF_RXDATAV | USART_IF_RXOF;
    USART_CMD(UART) = USART_CMD_CLEARRX | USART_CMD_RXEN | USART_CMD_TXEN;
    fwgen_nvic_enable(FWGEN_BOARD_UART_IRQ);
    fwgen_irq_enable();
    return clock_ok ? FWGEN_OK : FWGEN_ERR_STATE;
}

const char *fwgen_port_name(void) { return FWGEN_BOARD_ID; }
uint32_t fwgen_port_core_hz(void) { return s_core_hz; }

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
