/*
 * Port for STM32U5 (B-U585I-IOT02A: STM32U585AI), from RM0456. Runs with TrustZone disabled
 * (TZEN = 0, the board's default), using the non-secure peripheral aliases.
 *
 * Clock: MSIS 4 MHz (reset default) -> PLL1 (M=1, N=80, R=2) -> SYSCLK 160 MHz. Before the PLL:
 * PWR clock on, voltage scaling range 1 (VOS = 3) and the EPOD booster (BOOSTEN), flash 4 wait
 * states; AHB/APB undivided, so the USART kernel clock (PCLK2, CCIPR1 default) is 160 MHz.
 * The instruction cache (ICACHE) is enabled.
 * Microphone (RM0456 "Multi-function digital filter (MDF)"; pins from UM2839): the board has two
 * MP23DB01HP PDM microphones, one on MDF1 (MDF1_CCK1 on PF10, MDF1_SDI0 on PB1, AF6) and one on
 * ADF1 (PE9/PE10, AF3). fwgen drives the MDF1 one, mono:
 *   kernel clock HCLK 160 MHz (RCC_CCIPR2.MDF1SEL = 0) / 10 = 16 MHz processing clock,
 *   / 10 = 1.6 MHz on CCK1 (microphone clock, MP23DB01HP normal mode);
 *   serial interface 0 in LF_MASTER SPI mode clocked by CCK1, bitstream BS0_R (rising edge);
 *   filter 0: Sinc4 CIC, decimation 25 -> 64 kHz, reshape filter decimation 4 -> 16 kHz,
 *   high-pass filter on (lowest cut-off, removes the DC offset); the first 255 samples after
 *   start are discarded in hardware (mic wake-up and filter settling, ~16 ms).
 *   One interrupt (MDF1_FLT0, IRQ 102) per sample (FIFO threshold 1) into a ring buffer.
 *   Sinc4 gain is 25^4 = 390625 (< 2^19); the 24-bit result is shifted right by 4 with
 *   saturation, so a full-scale PDM stream reads about +-24400.
 * UNVERIFIED on hardware: the data edge (BS0_R vs BS0_F depends on the microphone's L/R strap),
 * LF_MASTER vs normal SPI mode, the reshape filter's unity gain and the overall level.
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
#define RCC_AHB1ENR    FWGEN_REG32(RCC_BASE + 0x88u)
#define RCC_AHB2ENR1   FWGEN_REG32(RCC_BASE + 0x8Cu)
#define RCC_AHB3ENR    FWGEN_REG32(RCC_BASE + 0x94u)
#define RCC_APB1ENR1   FWGEN_REG32(RCC_BASE + 0x9Cu)
#define RCC_APB2ENR    FWGEN_REG32(RCC_BASE + 0xA4u)
#define RCC_CCIPR2     FWGEN_REG32(RCC_BASE + 0xE4u)
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

#if FWGEN_PORT_MIC_RING_SAMPLES > 0   /* the build takes audio from the microphone */
/* ---- MDF1 (RM0456, MDF chapter) -------------------------------------------------------- */
#define MDF1_BASE         0x40025000u
#define MDF_CKGCR         FWGEN_REG32(MDF1_BASE + 0x04u)
#define MDF_FLT(n)        (MDF1_BASE + 0x80u * ((uint32_t)(n) + 1u))   /* filter/interface n */
#define MDF_SITFCR(n)     FWGEN_REG32(MDF_FLT(n) + 0x00u)
#define MDF_BSMXCR(n)     FWGEN_REG32(MDF_FLT(n) + 0x04u)
#define MDF_DFLTCR(n)     FWGEN_REG32(MDF_FLT(n) + 0x08u)
#define MDF_DFLTCICR(n)   FWGEN_REG32(MDF_FLT(n) + 0x0Cu)
#define MDF_DFLTRSFR(n)   FWGEN_REG32(MDF_FLT(n) + 0x10u)
#define MDF_DFLTINTR(n)   FWGEN_REG32(MDF_FLT(n) + 0x14u)
#define MDF_DLYCR(n)      FWGEN_REG32(MDF_FLT(n) + 0x24u)
#define MDF_DFLTIER(n)    FWGEN_REG32(MDF_FLT(n) + 0x2Cu)
#define MDF_DFLTISR(n)    FWGEN_REG32(MDF_FLT(n) + 0x30u)
#define MDF_OECCR(n)      FWGEN_REG32(MDF_FLT(n) + 0x34u)
#define MDF_DFLTDR(n)     FWGEN_REG32(MDF_FLT(n) + 0x70u)
#define MDF_CKGCR_CKGDEN  (1u << 0)
#define MDF_CKGCR_CCK1EN  (1u << 2)
#define MDF_CKGCR_CCK1DIR (1u << 6)       /* CCK1 pin is an output */
#define MDF_CKGCR_CKGACTIVE (1u << 31)
#define MDF_SITF_EN       (1u << 0)
#define MDF_SITF_SCKSRC_CCK1 (1u << 1)
#define MDF_SITF_MOD_LF_MASTER (0u << 4)
#define MDF_SITF_STH(x)   ((uint32_t)(x) << 8)
#define MDF_BSSEL_BS0_R   0u
#define MDF_DFLT_EN       (1u << 0)
#define MDF_DFLT_NBDIS(x) ((uint32_t)(x) << 20)
#define MDF_DFLT_ACTIVE   (1u << 31)
#define MDF_CIC_SINC4     (4u << 4)
#define MDF_CIC_MCICD(d)  (((uint32_t)(d) - 1u) << 8)
#define MDF_RSF_DEC4_HPF  0u              /* RSF on, decimation 4, HPF on, lowest cut-off */
#define MDF_IER_FTHIE     (1u << 0)
#define MDF_IER_DOVRIE    (1u << 1)
#define MDF_ISR_FTHF      (1u << 0)
#define MDF_ISR_DOVRF     (1u << 1)
#define MDF_ISR_RXNEF     (1u << 3)
#define MDF_ISR_SATF      (1u << 9)
#define MDF_ISR_RFOVRF    (1u << 11)
#define MIC_PROCDIV       10u             /* 160 MHz / 10 = 16 MHz processing clock */
#define MIC_CCKDIV        10u             /* 16 MHz / 10 = 1.6 MHz microphone clock */
#define MIC_CIC_DECIM     25u             /* 1.6 MHz / 25 = 64 kHz */
#define MIC_RSF_DECIM     4u              /* 64 kHz / 4 = 16 kHz */
#define MIC_RATE_HZ (FWGEN_BOARD_CLOCK_HZ / MIC_PROCDIV / MIC_CCKDIV / MIC_CIC_DECIM / MIC_RSF_DECIM)
#define MIC_SHIFT         4               /* 24-bit sample (Sinc4 gain 25^4 < 2^19) -> int16 */
#define MIC_DISCARD       255u            /* samples dropped by hardware after start */
#define STM32_EXTRA_IRQ   102             /* MDF1_FLT0 */

#include "ports/stm32/stm32_mic_ring.h"

static void fwgen_stm32_extra_isr(void)
{
    uint32_t isr = MDF_DFLTISR(0);
    if (isr & (MDF_ISR_DOVRF | MDF_ISR_RFOVRF | MDF_ISR_SATF)) {
        MDF_DFLTISR(0) = isr & (MDF_ISR_DOVRF | MDF_ISR_RFOVRF | MDF_ISR_SATF);   /* write 1 to clear */
        if (isr & (MDF_ISR_DOVRF | MDF_ISR_RFOVRF)) {
            s_mic_overruns++;
        }
    }
    while (MDF_DFLTISR(0) & MDF_ISR_RXNEF) {
        int32_t value = (int32_t)MDF_DFLTDR(0) >> 8;      /* 24-bit sample in [31:8] */
        stm32_mic_push(value >> MIC_SHIFT);
    }
}

#endif

#include "ports/stm32/stm32_port_impl.h"

#if FWGEN_PORT_MIC_RING_SAMPLES > 0
fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    if (sample_rate_hz != MIC_RATE_HZ) {
        return FWGEN_ERR_UNSUPPORTED;   /* this clock plan gives 16 kHz only */
    }
    RCC_AHB1ENR |= 1u << 3;                                     /* MDF1EN */
    RCC_AHB2ENR1 |= (1u << 1) | (1u << 5);                      /* GPIOB, GPIOF */
    (void)RCC_AHB2ENR1;
    RCC_CCIPR2 &= ~7u;                                          /* MDF1SEL = HCLK */
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(5), 10u, 6u);           /* PF10 MDF1_CCK1 */
    fwgen_stm32_gpio_af(STM32_GPIO_BASE(1), 1u, 6u);            /* PB1  MDF1_SDI0 */

    MDF_CKGCR = ((MIC_PROCDIV - 1u) << 24) | ((MIC_CCKDIV - 1u) << 16) | MDF_CKGCR_CCK1DIR;
    MDF_CKGCR |= MDF_CKGCR_CKGDEN;
    if (!fwgen_stm32_wait(&MDF_CKGCR, MDF_CKGCR_CKGACTIVE, MDF_CKGCR_CKGACTIVE, 1000000u)) {
        return FWGEN_ERR_STATE;
    }
    MDF_SITFCR(0) = MDF_SITF_SCKSRC_CCK1 | MDF_SITF_MOD_LF_MASTER | MDF_SITF_STH(31);
    MDF_SITFCR(0) |= MDF_SITF_EN;
    MDF_BSMXCR(0) = MDF_BSSEL_BS0_R;
    MDF_DFLTCICR(0) = MDF_CIC_SINC4 | MDF_CIC_MCICD(MIC_CIC_DECIM);   /* DATSRC = BSMX, SCALE 0 dB */
    MDF_DFLTRSFR(0) = MDF_RSF_DEC4_HPF;
    MDF_DFLTINTR(0) = 0u;                                       /* no integrator */
    MDF_DLYCR(0) = 0u;
    MDF_OECCR(0) = 0u;                                          /* no offset correction */
    MDF_DFLTIER(0) = MDF_IER_FTHIE | MDF_IER_DOVRIE;
    MDF_DFLTCR(0) = MDF_DFLT_NBDIS(MIC_DISCARD);                /* async continuous, FIFO threshold 1 */
    stm32_mic_clear();
    fwgen_nvic_enable(STM32_EXTRA_IRQ);
    MDF_CKGCR |= MDF_CKGCR_CCK1EN;                              /* clock the microphone */
    MDF_DFLTCR(0) |= MDF_DFLT_EN;
    return fwgen_stm32_wait(&MDF_DFLTCR(0), MDF_DFLT_ACTIVE, MDF_DFLT_ACTIVE, 1000000u) ? FWGEN_OK
                                                                                      : FWGEN_ERR_STATE;
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    return stm32_mic_drain(samples, max);
}
#else
#include "ports/cortexm/port_no_mic.h"
#endif
