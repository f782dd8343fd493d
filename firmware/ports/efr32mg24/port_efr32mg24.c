/*
 * Port for EFR32MG24 (xG24-DK2601B: EFR32MG24B310F1536IM48), Series 2 register layout from the
 * EFR32xG24 reference manual (register map in efr32mg24.h). Runs secure (no TrustZone
 * partitioning), secure peripheral aliases. The microphone is in efr32mg24_mic.c.
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
 *
 * Console: EUSART0 on PA5 (TX) / PA6 (RX), the on-board J-Link OB VCOM, as Silicon Labs' board
 * configuration for BRD2601B routes it (sl_iostream_eusart_vcom_config.h; BRD2601B has no VCOM
 * enable pin). USART0, the only USART and the only peripheral with an I2S mode, is left to the
 * microphone. EUSART0 is clocked by EUSART0CLK = EM01GRPCCLK (both reset selections), which this
 * port sets to HFRCODPLL (78 MHz) once the DPLL has locked, or to FSRCO (20 MHz) when the clock
 * sequence failed, so the console always runs at a known baud rate. Asynchronous mode, 16x
 * oversampling, 8N1; RX is interrupt-driven (EUSART0_RX, IRQ 11) into a ring buffer.
 *
 * STATUS - what only a board can confirm (no EFR32 emulator exists; compile-tested only):
 *   - the whole clock sequence above, in particular the DPLL lock time and that 1 flash wait
 *     state is enough at 78 MHz (set EFR32_FLASH_WS to 2, the reset value, if not);
 *   - the HFXO runs with its reset-value tuning (CTUNE): BRD2601B's board-specific CTUNE (140
 *     in Silicon Labs' sl_device_init_hfxo_config.h) is not applied, so the 39 MHz reference may
 *     be off by tens of ppm (harmless for UART and audio, not good enough for the radio);
 *   - the EUSART0 VCOM at 115200 baud: register sequence, EUSART0CLK = 78 MHz, GPIO route.
 * Cycle counter: DWT CYCCNT. If any clock step times out, fwgen_port_init() returns
 * FWGEN_ERR_STATE and the core stays on FSRCO (fwgen_port_core_hz() then reports 20 MHz).
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/efr32mg24/efr32mg24.h"
#include "ports/port.h"

#define EFR32_FLASH_WS    1u            /* MSC_READCTRL.MODE: 0 WS <= 40 MHz, 1 WS <= 80 MHz */
#define EFR32_TIMEOUT     2000000u      /* polling iterations before giving up */

#if FWGEN_BOARD_CLOCK_HZ != 78000000u
#error "the EFR32MG24 port sets 78 MHz (39 MHz HFXO x 3840 / 1920); update EFR32_DPLL_N/M for another clock"
#endif
#if FWGEN_BOARD_UART_BASE != EUSART0_BASE || FWGEN_BOARD_UART_IRQ != EFR32_EUSART0_RX_IRQ
#error "the EFR32MG24 console driver is for EUSART0 (base 0x4B010000, EUSART0_RX IRQ 11); USART0 is the microphone's"
#endif

#define UART FWGEN_BOARD_UART_BASE

static fwgen_rx_ring_t s_rx;

void fwgen_default_handler(void);

/* EUSART0_RX: clear the flag first, then drain the FIFO, so a byte arriving meanwhile re-raises it. */
static void fwgen_efr32_uart_isr(void)
{
    uint32_t flags = EUSART_IF(UART);
    EUSART_IF_CLR(UART) = flags & (EUSART_IF_RXFL | EUSART_IF_RXOF);
    if (flags & EUSART_IF_RXOF) {
        s_rx.overruns++;
    }
    while (EUSART_STATUS(UART) & EUSART_STATUS_RXFL) {
        fwgen_rx_ring_put(&s_rx, (uint8_t)EUSART_RXDATA(UART));
    }
}

#define EFR32_LAST_IRQ (EFR32_EUSART0_RX_IRQ > EFR32_USART0_RX_IRQ ? EFR32_EUSART0_RX_IRQ : EFR32_USART0_RX_IRQ)

typedef void (*fwgen_irq_vector_t)(void);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
/* Device vectors up to the last one the port enables; every other entry is the default. */
__attribute__((section(".isr_vector.irq"), used))
const fwgen_irq_vector_t fwgen_port_irq_vectors[EFR32_LAST_IRQ + 1] = {
    [0 ... EFR32_LAST_IRQ] = fwgen_default_handler,
    [EFR32_EUSART0_RX_IRQ] = fwgen_efr32_uart_isr,
    [EFR32_USART0_RX_IRQ] = fwgen_efr32_mic_isr,
};
#pragma GCC diagnostic pop

static uint32_t s_core_hz = EFR32_FSRCO_HZ;
static uint32_t s_pclk_hz = EFR32_FSRCO_HZ;

uint32_t fwgen_efr32_pclk_hz(void) { return s_pclk_hz; }

/* At least `cycles` core cycles (each pass of a volatile loop takes several); independent of
 * the DWT, which a debugger may reconfigure. */
void fwgen_efr32_delay_cycles(uint32_t cycles)
{
    for (volatile uint32_t i = 0; i < cycles; i++) {
    }
}

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
    s_pclk_hz = EFR32_PCLK_HZ;
    return 1;
}

/* EUSART0 as an 8N1 UART from a `clk_hz` EUSART0CLK; the CFG registers are written while the
 * EUSART is disabled (RM: they are locked while EN = 1), CLKDIV and CMD after it is enabled. */
static int efr32_console_init(uint32_t clk_hz, uint32_t baud)
{
    CMU_EUSART0CLKCTRL = CMU_EUSART0CLK_EM01GRPCCLK;
    CMU_CLKEN0 |= CMU_CLKEN0_GPIO;
    CMU_CLKEN1 |= CMU_CLKEN1_EUSART0;

    efr32_gpio_mode(FWGEN_BOARD_UART_TX_PORT, FWGEN_BOARD_UART_TX_PIN, GPIO_MODE_PUSHPULL);
    GPIO_DOUT(FWGEN_BOARD_UART_TX_PORT) |= 1u << FWGEN_BOARD_UART_TX_PIN;   /* idle high */
    efr32_gpio_mode(FWGEN_BOARD_UART_RX_PORT, FWGEN_BOARD_UART_RX_PIN, GPIO_MODE_INPUT);
    ROUTE_TXROUTE(GPIO_EUSART0ROUTE) = GPIO_ROUTE(FWGEN_BOARD_UART_TX_PORT, FWGEN_BOARD_UART_TX_PIN);
    ROUTE_RXROUTE(GPIO_EUSART0ROUTE) = GPIO_ROUTE(FWGEN_BOARD_UART_RX_PORT, FWGEN_BOARD_UART_RX_PIN);
    ROUTE_ROUTEEN(GPIO_EUSART0ROUTE) = ROUTEEN_RXPEN | ROUTEEN_TXPEN;

    EUSART_CFG1(UART) = EUSART_CFG1_RXFIW_1;
    EUSART_CFG0(UART) = EUSART_CFG0_OVS_X16;
    EUSART_FRAMECFG(UART) = EUSART_FRAMECFG_8N1;
    EUSART_EN(UART) = EUSART_EN_EN;
    if (!efr32_wait(&EUSART_SYNCBUSY(UART), EUSART_SYNCBUSY_ALL, 0u)) {
        return 0;
    }
    /* baud = f / (16 * (1 + DIV / 256)): DIV = 256 * f / (16 * baud) - 256, rounded, in the
     * register's [22:3] field (5 fractional bits). 78 MHz, 115200 -> 10576 (115214 baud). */
    uint32_t div = (uint32_t)(((uint64_t)clk_hz * 16u + baud / 2u) / baud) - 256u;
    EUSART_CLKDIV(UART) = div & 0x007FFFF8u;
    if (!efr32_wait(&EUSART_SYNCBUSY(UART), EUSART_SYNCBUSY_DIV, 0u)) {
        return 0;
    }
    EUSART_IF_CLR(UART) = EUSART_IF_RXFL | EUSART_IF_RXOF;
    EUSART_IEN(UART) = EUSART_IF_RXFL | EUSART_IF_RXOF;
    EUSART_CMD(UART) = EUSART_CMD_RXEN | EUSART_CMD_TXEN;
    if (!efr32_wait(&EUSART_SYNCBUSY(UART), EUSART_SYNCBUSY_ALL, 0u)) {
        return 0;
    }
    return efr32_wait(&EUSART_STATUS(UART), EUSART_STATUS_RXENS | EUSART_STATUS_TXENS,
                      EUSART_STATUS_RXENS | EUSART_STATUS_TXENS);
}

fwgen_status_t fwgen_port_init(uint32_t baud)
{
    int clock_ok = efr32_clock_init();
    fwgen_cortexm_dwt_start();
    /* EM01GRPCCLK feeds EUSART0: the 78 MHz HFRCODPLL when it locked, else the 20 MHz FSRCO. */
    CMU_EM01GRPCCLKCTRL = clock_ok ? CMU_EM01GRPCCLK_HFRCODPLL : CMU_EM01GRPCCLK_FSRCO;
    uint32_t uart_hz = clock_ok ? EFR32_CORE_HZ : EFR32_FSRCO_HZ;
    int uart_ok = efr32_console_init(uart_hz, baud ? baud : FWGEN_BOARD_UART_BAUD);
    fwgen_nvic_enable(FWGEN_BOARD_UART_IRQ);
    fwgen_irq_enable();
    return clock_ok && uart_ok ? FWGEN_OK : FWGEN_ERR_STATE;
}

const char *fwgen_port_name(void) { return FWGEN_BOARD_ID; }
uint32_t fwgen_port_core_hz(void) { return s_core_hz; }

void fwgen_port_uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (!(EUSART_STATUS(UART) & EUSART_STATUS_TXFL)) {
        }
        EUSART_TXDATA(UART) = data[i];
    }
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
