/*
 * Port for STM32U5 (B-U585I-IOT02A: STM32U585AI), from RM0456. Runs with TrustZone disabled
 * (TZEN = 0, the board's default), using the non-secure peripheral aliases.
 *
 * Clock: MSIS 4 MHz (reset default) -> PLL1 (M=1, N=80, R=2) -> SYSCLK 160 MHz. Before the PLL:
 * PWR clock on, voltage scaling range 1 (VOS = 3) and the EPOD booster (BOOSTEN), flash 4 wait
 * states; AHB/APB undivided, so the USART kernel clock (PCLK2, CCIPR1 default) is 160 MHz.
 * The instruction cache (ICACHE) is enabled.
 * Microphone: MP23DB01HP on MDF1 is not driven yet (fwgen_port_mic_start() returns
 * FWGEN_ERR_UNSUPPORTED; needs a board to bring up).
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/stm32/stm32_common.h"

#define RCC_BASE       0x46020C00u
#define RCC_CR         FWGEN_REG32(RCC_BASE + 0x00u)
#define RCC_CFGR1      FWGEN_REG32(RCC_BASE + 0x1Cu)
#define RCC_CFGR2      FWGEN_REG32(RCC_BASE + 0x20u)
#define RCC_PLL1CFGR   FWGEN_REG32(RCC_BASE + 0x28u)
#define RCC_PLL1DIVR   FWGEN_REG32(RCC_BASE + 0x34u)
#define RCC_AHB2ENR1   FWGEN_REG32(RCC_BASE + 0x8Cu)
#define RCC_AHB3ENR    FWGEN_REG32(RCC_BASE + 0x94u)
#define RCC_APB1ENR1   FWGEN_REG32(RCC_BASE + 0x9Cu)
#define RCC_APB2ENR    FWGEN_REG32(RCC_BASE + 0xA4u)
#define RCC_CR_MSISRDY (1u << 2)
#define RCC_CR_PLL1ON  (1u << 24)
#define RCC_CR_PLL1RDY (1u << 25)
#define PWR_VOSR       FWGEN_REG32(0x46020800u + 0x0Cu)
#define PWR_VOSR_BOOSTRDY (1u << 14)
#define PWR_VOSR_VOSRDY   (1u << 15)
#define PWR_VOSR_BOOSTEN  (1u << 18)
#define FLASH_ACR      FWGEN_REG32(0x40022000u)
#define ICACHE_CR      FWGEN_REG32(0x40030400u)

#define STM32_GPIO_BASE(port) (0x42020000u + 0x400u * (uint32_t)(port))
#define STM32_USART_KERNEL_HZ FWGEN_BOARD_CLOCK_HZ

#if FWGEN_BOARD_CLOCK_HZ != 160000000u
#error "the STM32U5 port sets 160 MHz; update fwgen_stm32_clock_init for another clock"
#endif

static int fwgen_stm32_clock_init(void)
{
    RCC_AHB3ENR |= 1u << 2;                                   /* PWREN */
    (void)RCC_AHB3ENR;
    PWR_VOSR = (PWR_VOSR & ~(3u << 16)) | (3u << 16) | PWR_VOSR_BOOSTEN;   /* range 1 + boost */
    if (!fwgen_stm32_wait(&PWR_VOSR, PWR_VOSR_VOSRDY | PWR_VOSR_BOOSTRDY,
                          PWR_VOSR_VOSRDY | PWR_VOSR_BOOSTRDY, 1000000u)) {
        return 0;
    }
    FLASH_ACR = (FLASH_ACR & ~0xFu) | 4u | (1u << 8);        /* 4 WS, prefetch */
    if ((FLASH_ACR & 0xFu) != 4u || !fwgen_stm32_wait(&RCC_CR, RCC_CR_MSISRDY, RCC_CR_MSISRDY, 1000000u)) {
        return 0;
    }
    RCC_CR &= ~RCC_CR_PLL1ON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLL1RDY, 0u, 1000000u)) {
        return 0;
    }
    /* PLL1SRC = MSIS (1), PLL1RGE = 4-8 MHz (0), PLL1M = /1 (0), MBOOST = /1 (0), PLL1REN. */
    RCC_PLL1CFGR = 1u | (0u << 2) | (0u << 8) | (0u << 12) | (1u << 18);
    /* N = 80 (field N-1), P = Q = /2, R = /2 (fields value-1). */
    RCC_PLL1DIVR = (79u << 0) | (1u << 9) | (1u << 16) | (1u << 24);
    RCC_CR |= RCC_CR_PLL1ON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLL1RDY, RCC_CR_PLL1RDY, 1000000u)) {
        return 0;
    }
    RCC_CFGR2 &= ~((0xFu << 0) | (7u << 4) | (7u << 8));       /* AHB, APB1, APB2 = /1 */
    RCC_CFGR1 = (RCC_CFGR1 & ~3u) | 3u;                        /* SW = PLL1 */
    if (!fwgen_stm32_wait(&RCC_CFGR1, 3u << 2, 3u << 2, 1000000u)) {
        return 0;
    }
    ICACHE_CR |= 1u;                                           /* instruction cache on */
    return 1;
}

static void fwgen_stm32_uart_clocks(void)
{
    RCC_AHB2ENR1 |= (1u << FWGEN_BOARD_UART_TX_PORT) | (1u << FWGEN_BOARD_UART_RX_PORT);
#if FWGEN_BOARD_UART_BASE == 0x40013800u
    RCC_APB2ENR |= 1u << 14;            /* USART1EN */
#elif FWGEN_BOARD_UART_BASE == 0x40004400u
    RCC_APB1ENR1 |= 1u << 17;           /* USART2EN */
#elif FWGEN_BOARD_UART_BASE == 0x40004800u
    RCC_APB1ENR1 |= 1u << 18;           /* USART3EN */
#else
#error "the STM32U5 port knows USART1, USART2 and USART3"
#endif
    (void)RCC_APB2ENR;
}

#include "ports/stm32/stm32_port_impl.h"

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
