/*
 * Port for STM32H743/753 (NUCLEO-H743ZI: STM32H743ZI), from RM0433.
 *
 * Clock: HSI 64 MHz -> PLL1 (M=4: 16 MHz reference, wide VCO, N=60: 960 MHz, P=2) -> 480 MHz.
 * Before the PLL: LDO supply (the board's default), VOS1 then VOS0 (SYSCFG ODEN), flash 4 wait
 * states with WRHIGHFREQ = 2. AHB/AXI = 240 MHz, all APBs = 120 MHz, so the USART3 kernel clock
 * (rcc_pclk1, the reset default) is 120 MHz. The instruction cache is enabled.
 * 480 MHz needs a revision V device; revision Y parts stop at 400 MHz (see ES0392).
 * The board has no microphone: audio comes over the serial link or from a compiled-in clip.
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/stm32/stm32_common.h"

#define RCC_BASE        0x58024400u
#define RCC_CR          FWGEN_REG32(RCC_BASE + 0x00u)
#define RCC_CFGR        FWGEN_REG32(RCC_BASE + 0x10u)
#define RCC_D1CFGR      FWGEN_REG32(RCC_BASE + 0x18u)
#define RCC_D2CFGR      FWGEN_REG32(RCC_BASE + 0x1Cu)
#define RCC_D3CFGR      FWGEN_REG32(RCC_BASE + 0x20u)
#define RCC_PLLCKSELR   FWGEN_REG32(RCC_BASE + 0x28u)
#define RCC_PLLCFGR     FWGEN_REG32(RCC_BASE + 0x2Cu)
#define RCC_PLL1DIVR    FWGEN_REG32(RCC_BASE + 0x30u)
#define RCC_AHB4ENR     FWGEN_REG32(RCC_BASE + 0xE0u)
#define RCC_APB1LENR    FWGEN_REG32(RCC_BASE + 0xE8u)
#define RCC_APB2ENR     FWGEN_REG32(RCC_BASE + 0xF0u)
#define RCC_APB4ENR     FWGEN_REG32(RCC_BASE + 0xF4u)
#define RCC_CR_HSIRDY   (1u << 2)
#define RCC_CR_PLL1ON   (1u << 24)
#define RCC_CR_PLL1RDY  (1u << 25)
#define PWR_BASE        0x58024800u
#define PWR_CSR1        FWGEN_REG32(PWR_BASE + 0x04u)
#define PWR_CR3         FWGEN_REG32(PWR_BASE + 0x0Cu)
#define PWR_D3CR        FWGEN_REG32(PWR_BASE + 0x18u)
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_D3CR_VOSRDY (1u << 13)
#define SYSCFG_PWRCR    FWGEN_REG32(0x58000400u + 0x2Cu)
#define FLASH_ACR       FWGEN_REG32(0x52002000u)
#define SCB_CCR         FWGEN_REG32(0xE000ED14u)
#define SCB_ICIALLU     FWGEN_REG32(0xE000EF50u)

#define STM32_GPIO_BASE(port) (0x58020000u + 0x400u * (uint32_t)(port))
#define STM32_USART_KERNEL_HZ (FWGEN_BOARD_CLOCK_HZ / 4u)

#if FWGEN_BOARD_CLOCK_HZ != 480000000u
#error "the STM32H7 port sets 480 MHz; update fwgen_stm32_clock_init for another clock"
#endif

static int fwgen_stm32_clock_init(void)
{
    /* Supply: LDO on, SMPS bypass off (write-once after reset). */
    PWR_CR3 = (PWR_CR3 & ~7u) | (1u << 1) | (1u << 2);
    if (!fwgen_stm32_wait(&PWR_CSR1, PWR_CSR1_ACTVOSRDY, PWR_CSR1_ACTVOSRDY, 1000000u)) {
        return 0;
    }
    PWR_D3CR = (PWR_D3CR & ~(3u << 14)) | (3u << 14);                   /* VOS1 */
    if (!fwgen_stm32_wait(&PWR_D3CR, PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY, 1000000u)) {
        return 0;
    }
    RCC_APB4ENR |= 1u << 1;                                             /* SYSCFGEN */
    (void)RCC_APB4ENR;
    SYSCFG_PWRCR |= 1u;                                                 /* ODEN: VOS0 */
    if (!fwgen_stm32_wait(&PWR_D3CR, PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY, 1000000u)) {
        return 0;
    }
    FLASH_ACR = (FLASH_ACR & ~0x3Fu) | 4u | (2u << 4);                  /* 4 WS, WRHIGHFREQ 2 */
    if ((FLASH_ACR & 0xFu) != 4u || !fwgen_stm32_wait(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY, 1000000u)) {
        return 0;
    }
    RCC_CR &= ~RCC_CR_PLL1ON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLL1RDY, 0u, 1000000u)) {
        return 0;
    }
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~((3u << 0) | (0x3Fu << 4))) | (0u << 0) | (4u << 4); /* HSI, M=4 */
    /* PLL1: no fraction, wide VCO, input range 8-16 MHz (3), P and Q outputs on. */
    RCC_PLLCFGR = (RCC_PLLCFGR & ~0x0007000Fu) | (3u << 2) | (1u << 16) | (1u << 17);
    /* N = 60 (field N-1), P = /2, Q = /4, R = /2 (fields value-1). */
    RCC_PLL1DIVR = (59u << 0) | (1u << 9) | (3u << 16) | (1u << 24);
    RCC_CR |= RCC_CR_PLL1ON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLL1RDY, RCC_CR_PLL1RDY, 1000000u)) {
        return 0;
    }
    /* D1CPRE /1, HPRE /2 (AXI/AHB 240 MHz), D1PPRE /2; D2PPRE1/2 /2; D3PPRE /2 (120 MHz). */
    RCC_D1CFGR = (0u << 8) | (8u << 0) | (4u << 4);
    RCC_D2CFGR = (4u << 4) | (4u << 8);
    RCC_D3CFGR = (4u << 4);
    RCC_CFGR = (RCC_CFGR & ~7u) | 3u;                                   /* SW = PLL1 */
    if (!fwgen_stm32_wait(&RCC_CFGR, 7u << 3, 3u << 3, 1000000u)) {
        return 0;
    }
    fwgen_dsb_isb();
    SCB_ICIALLU = 0u;                                                   /* I-cache on */
    fwgen_dsb_isb();
    SCB_CCR |= 1u << 17;
    fwgen_dsb_isb();
    return 1;
}

static void fwgen_stm32_uart_clocks(void)
{
    RCC_AHB4ENR |= (1u << FWGEN_BOARD_UART_TX_PORT) | (1u << FWGEN_BOARD_UART_RX_PORT);
#if FWGEN_BOARD_UART_BASE == 0x40004800u
    RCC_APB1LENR |= 1u << 18;           /* USART3EN */
#elif FWGEN_BOARD_UART_BASE == 0x40004400u
    RCC_APB1LENR |= 1u << 17;           /* USART2EN */
#else
#error "the STM32H7 port knows USART2 and USART3"
#endif
    (void)RCC_APB1LENR;
    (void)RCC_APB2ENR;
}

#include "ports/stm32/stm32_port_impl.h"

fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    (void)sample_rate_hz;
    return FWGEN_ERR_UNSUPPORTED;   /* NUCLEO-H743ZI has no microphone */
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    (void)samples;
    (void)max;
    return 0;
}
