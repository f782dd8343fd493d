/*
 * Port for STM32L4 (B-L475E-IOT01A: STM32L475VG), from RM0351.
 *
 * Clock: MSI 4 MHz (reset default) -> PLL (M=1, N=40, R=2) -> SYSCLK 80 MHz, voltage range 1
 * (reset default), flash 4 wait states with prefetch and caches; AHB/APB1/APB2 undivided, so the
 * USART kernel clock (PCLK, CCIPR default) is 80 MHz.
 * Microphone: MP34DT01 PDM microphone on DFSDM1 (CKOUT on PE9, DATIN2 on PE7, AF6). The
 * DFSDM kernel clock (PCLK2, 80 MHz) / 50 gives a 1.6 MHz PDM clock; filter 0 (sinc3, oversampling
 * 100) converts channel 2 continuously at exactly 16 kHz, one interrupt (DFSDM1_FLT0, IRQ 61) per
 * sample into a ring buffer. The sinc3 output spans +-100^3, scaled to int16 by >> 5 with
 * saturation. UNVERIFIED on hardware: the data edge (SITP, rising assumed) and the gain need a
 * board to confirm.
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

#if FWGEN_PORT_MIC_RING_SAMPLES > 0   /* the build takes audio from the microphone */
/* ---- DFSDM1 (RM0351 section 24) -------------------------------------------------------- */
#define DFSDM_BASE        0x40016000u
#define DFSDM_CHCFGR1(y)  FWGEN_REG32(DFSDM_BASE + 0x20u * (y))
#define DFSDM_CHCFGR2(y)  FWGEN_REG32(DFSDM_BASE + 0x20u * (y) + 0x04u)
#define DFSDM_FLT0        (DFSDM_BASE + 0x100u)
#define DFSDM_FLTCR1      FWGEN_REG32(DFSDM_FLT0 + 0x00u)
#define DFSDM_FLTCR2      FWGEN_REG32(DFSDM_FLT0 + 0x04u)
#define DFSDM_FLTISR      FWGEN_REG32(DFSDM_FLT0 + 0x08u)
#define DFSDM_FLTICR      FWGEN_REG32(DFSDM_FLT0 + 0x0Cu)
#define DFSDM_FLTFCR      FWGEN_REG32(DFSDM_FLT0 + 0x14u)
#define DFSDM_FLTRDATAR   FWGEN_REG32(DFSDM_FLT0 + 0x1Cu)
#define DFSDM_CH0_DFSDMEN (1u << 31)
#define DFSDM_CH_CHEN     (1u << 7)
#define DFSDM_CH_SPICKSEL_CKOUT (1u << 2)
#define DFSDM_FLT_DFEN    (1u << 0)
#define DFSDM_FLT_RSWSTART (1u << 17)
#define DFSDM_FLT_RCONT   (1u << 18)
#define DFSDM_FLT_REOCIE  (1u << 1)
#define DFSDM_FLT_ROVRF   (1u << 3)
#define MIC_CHANNEL       2u          /* DATIN2 on PE7 */
#define MIC_CKOUT_DIV     50u         /* 80 MHz / 50 = 1.6 MHz PDM clock */
#define MIC_OSR           100u        /* 1.6 MHz / 100 = 16 kHz */
#define MIC_SHIFT         5           /* +-100^3 -> int16 */
#define STM32_EXTRA_IRQ   61          /* DFSDM1_FLT0 */

#include "ports/stm32/stm32_mic_ring.h"

static void fwgen_stm32_extra_isr(void)
{
    if (DFSDM_FLTISR & DFSDM_FLT_ROVRF) {
        DFSDM_FLTICR = DFSDM_FLT_ROVRF;
        s_mic_overruns++;
    }
    int32_t value = (int32_t)DFSDM_FLTRDATAR >> 8;          /* reading clears REOCF */
    stm32_mic_push(value >> MIC_SHIFT);
}

#endif

#include "ports/stm32/stm32_port_impl.h"

#if FWGEN_PORT_MIC_RING_SAMPLES > 0
fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    if (sample_rate_hz != FWGEN_BOARD_CLOCK_HZ / MIC_CKOUT_DIV / MIC_OSR) {
        return FWGEN_ERR_UNSUPPORTED;   /* this clock plan gives 16 kHz only */
    }
    RCC_AHB2ENR |= 1u << 4;                                     /* GPIOE */
    RCC_APB2ENR |= 1u << 24;                                    /* DFSDM1EN */
    (void)RCC_APB2ENR;
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(4), 9u, 6u);            /* PE9 DFSDM1_CKOUT */
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(4), 7u, 6u);            /* PE7 DFSDM1_DATIN2 */
    DFSDM_CHCFGR1(0) = (MIC_CKOUT_DIV - 1u) << 16;              /* CKOUT from system clock */
    DFSDM_CHCFGR2(MIC_CHANNEL) = 0u;                            /* no offset, no right shift */
    DFSDM_CHCFGR1(MIC_CHANNEL) = DFSDM_CH_SPICKSEL_CKOUT;       /* SPI, rising edge */
    DFSDM_CHCFGR1(MIC_CHANNEL) |= DFSDM_CH_CHEN;
    DFSDM_FLTFCR = (3u << 29) | ((MIC_OSR - 1u) << 16);         /* sinc3, FOSR, IOSR = 1 */
    DFSDM_FLTCR1 = (MIC_CHANNEL << 24) | DFSDM_FLT_RCONT;       /* regular channel 2, continuous */
    DFSDM_FLTCR2 = DFSDM_FLT_REOCIE;
    stm32_mic_clear();
    fwgen_nvic_enable(STM32_EXTRA_IRQ);
    DFSDM_CHCFGR1(0) |= DFSDM_CH0_DFSDMEN;
    DFSDM_FLTCR1 |= DFSDM_FLT_DFEN;
    DFSDM_FLTCR1 |= DFSDM_FLT_RSWSTART;
    return FWGEN_OK;
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    return stm32_mic_drain(samples, max);
}
#else
#include "ports/cortexm/port_no_mic.h"
#endif
