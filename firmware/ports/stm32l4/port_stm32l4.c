/*
 * Port for STM32L4 (B-L475E-IOT01A: STM32L475VG), from RM0351.
 *
 * Clock: MSI 4 MHz (reset default) -> PLL (M=1, N=40, R=2) -> SYSCLK 80 MHz, voltage range 1
 * (reset default), flash 4 wait states with prefetch and caches; AHB/APB1/APB2 undivided, so the
 * USART kernel clock (PCLK, CCIPR default) is 80 MHz.
 * Microphone: MP34DT01 on DFSDM1 (PE9 clock, PE7 data) is not driven yet:
 * fwgen_port_mic_start() returns FWGEN_ERR_UNSUPPORTED (needs a board to bring up).
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/stm32/stm32_common.h"

#define RCC_BASE      0x40021000u
#define RCC_CR        FWGEN_REG32(RCC_BASE + 0x00u)
#define RCC_CFGR      FWGEN_REG32(RCC_BASE + 0x08u)
#define RCC_PLLCFGR   FWGEN_REG32(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR   FWGEN_REG32(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1  FWGEN_REG32(RCC_BASE + 0x58u)
#define RCC_APB2ENR   FWGEN_REG32(RCC_BASE + 0x60u)
#define RCC_CR_MSIRDY (1u << 1)
#define RCC_CR_PLLON  (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define FLASH_ACR     FWGEN_REG32(0x40022000u)

#define STM32_GPIO_BASE(port) (0x48000000u + 0x400u * (uint32_t)(port))
#define STM32_USART_KERNEL_HZ FWGEN_BOARD_CLOCK_HZ

#if FWGEN_BOARD_CLOCK_HZ != 80000000u
#error "the STM32L4 port sets 80 MHz; update fwgen_stm32_clock_init for another clock"
#endif

static int fwgen_stm32_clock_init(void)
{
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_MSIRDY, RCC_CR_MSIRDY, 1000000u)) {
        return 0;
    }
    /* 4 wait states at 80 MHz in range 1; prefetch, instruction and data caches on. */
    FLASH_ACR = (FLASH_ACR & ~7u) | 4u | (1u << 8) | (1u << 9) | (1u << 10);
    if ((FLASH_ACR & 7u) != 4u) {
        return 0;
    }
    RCC_CR &= ~RCC_CR_PLLON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLLRDY, 0u, 1000000u)) {
        return 0;
    }
    /* PLLSRC = MSI (1), PLLM = /1 (0), PLLN = 40, PLLR = /2 (0), PLLREN. */
    RCC_PLLCFGR = 1u | (0u << 4) | (40u << 8) | (0u << 25) | (1u << 24);
    RCC_CR |= RCC_CR_PLLON;
    if (!fwgen_stm32_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, 1000000u)) {
        return 0;
    }
    RCC_CFGR = (RCC_CFGR & ~3u) | 3u;   /* SW = PLL; HPRE/PPRE1/PPRE2 = /1 (reset values) */
    return fwgen_stm32_wait(&RCC_CFGR, 3u << 2, 3u << 2, 1000000u);
}

static void fwgen_stm32_uart_clocks(void)
{
    RCC_AHB2ENR |= (1u << FWGEN_BOARD_UART_TX_PORT) | (1u << FWGEN_BOARD_UART_RX_PORT);
#if FWGEN_BOARD_UART_BASE == 0x40013800u
    RCC_APB2ENR |= 1u << 14;            /* USART1EN */
#elif FWGEN_BOARD_UART_BASE == 0x40004400u
    RCC_APB1ENR1 |= 1u << 17;           /* USART2EN */
#elif FWGEN_BOARD_UART_BASE == 0x40004800u
    RCC_APB1ENR1 |= 1u << 18;           /* USART3EN */
#else
#error "the STM32L4 port knows USART1, USART2 and USART3"
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
