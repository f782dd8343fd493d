/*
 * The xG24 Dev Kit's microphone: two ICS-43434 I2S microphones sharing one bus on USART0 in I2S
 * master mode (the EUSARTs have no I2S mode, hence the console on EUSART0). Pins from Silicon
 * Labs' board configuration (sl_mic_i2s_config.h, sl_board_control_config.h; see
 * boards/xg24_dk2601b.yaml): bit clock PD3 (USART0 CLK), data PD4 (USART0 RX), word select PD5
 * (USART0 CS, driven as the I2S word clock), microphone power enable PC8.
 *
 * Frame (ICS-43434 datasheet): I2S (Philips), 24-bit two's complement, MSB first, 64 bit clocks
 * per word-select period, data one bit clock after the WS edge, left channel while WS is low;
 * the microphone drives data on the falling edge and the USART samples on the rising edge
 * (CLKPOL = CLKPHA = 0). USART0: synchronous master, MSB first, 16-bit frames, I2SCTRL format
 * W32D16 (32-bit slots of which the 16 MSBs are received, i.e. the sample's bits 23..8), DELAY,
 * stereo; AUTOTX keeps the clock running without feeding TX.
 *
 * Rate: the bit clock is PCLK / (2 * (1 + N)), N kept integral (as Silicon Labs' emlib does in
 * synchronous mode: no fractional jitter on the bit clock), so fs = PCLK / (128 * (1 + N)). An
 * exact 16 kHz, or an exact D x 16 kHz to decimate by D, needs (1 + N) * D = 39 MHz / (128 *
 * 16 kHz) = 19.04, not an integer: PCLK = 39 MHz allows neither. N = 18 gives a 1.0263 MHz
 * bit clock and fs = 39 MHz / (38 * 64) = 16036 Hz, 0.23 % fast, delivered as is (no
 * resampling: a 4-cent pitch shift). 16 kHz is in the ICS-43434's low-power mode (6.25-18.75
 * kHz).
 *
 * Data path: interrupt-driven, one USART0_RX interrupt (IRQ 9) per received frame, i.e. two per
 * sample period (left and right). Chosen over LDMA because it needs no descriptors, DMA request
 * routing or DMA/ring position bookkeeping, and mirrors the STM32 drivers (one ISR feeding the
 * shared sample ring); the cost is ~32k short interrupts per second, a few % of the 78 MHz core.
 * The ISR reads each 16-bit frame from RXDOUBLE and keeps it only when STATUS.RXDATAVRIGHT says
 * it is left-channel data; the right channel (the second microphone) is dropped. The first
 * MIC_DISCARD samples (256 ms) are dropped too, the amount Silicon Labs' own I2S microphone
 * driver drops at start (power-up and the microphone's soft unmute).
 * Level: the 16 MSBs of the 24-bit word, so the microphone's digital full scale is int16 full
 * scale (as on the STM32 ports); MIC_GAIN_SHIFT adds gain with saturation if silicon shows the
 * level too low.
 * UNVERIFIED on hardware: see firmware/ports/README.md.
 */
#include "fwgen_board.h"
#include "ports/cortexm/cortexm.h"
#include "ports/efr32mg24/efr32mg24.h"
#include "ports/port.h"
#if FWGEN_PORT_MIC_RING_SAMPLES > 0   /* the build takes audio from the microphone */
#include "ports/stm32/stm32_mic_ring.h"   /* the sample ring the STM32 microphone drivers use */

#define MIC               USART0_BASE
#define MIC_CLK_PIN       3u              /* PD3: USART0 CLK, I2S bit clock */
#define MIC_DATA_PIN      4u              /* PD4: USART0 RX, I2S data */
#define MIC_WS_PIN        5u              /* PD5: USART0 CS, I2S word select */
#define MIC_ENABLE_PIN    8u              /* PC8: microphone power */
#define MIC_NOMINAL_HZ    16000u          /* the rate fwgen_port_mic_start() accepts */
#define MIC_SCK_PER_WS    64u             /* two 32-bit slots per sample (ICS-43434) */
#define MIC_CLKDIV_N      18u             /* bit clock = PCLK / (2 * (1 + N)) */
#define MIC_RATE_HZ       (EFR32_PCLK_HZ / (2u * (MIC_CLKDIV_N + 1u) * MIC_SCK_PER_WS))
#define MIC_DISCARD       4096u           /* left samples dropped after start (256 ms) */
#define MIC_POWER_UP_CYCLES (EFR32_CORE_HZ / 100u)   /* >= 10 ms of power before any clock */
#define MIC_GAIN_SHIFT    0               /* digital gain 2^shift, saturated by the ring */

#if FWGEN_BOARD_UART_BASE == USART0_BASE
#error "USART0 drives the microphone; the console must be on EUSART0"
#endif
_Static_assert(MIC_RATE_HZ * 1000u > MIC_NOMINAL_HZ * 995u && MIC_RATE_HZ * 1000u < MIC_NOMINAL_HZ * 1005u,
               "the I2S bit clock must give 16 kHz within 0.5 %");
_Static_assert(MIC_RATE_HZ >= 6250u && MIC_RATE_HZ <= 18750u, "ICS-43434 low-power mode range");

static volatile uint32_t s_discard;

/* USART0_RX: one 16-bit frame per slot; keep the left channel. Flags are cleared before the
 * buffer is drained so a frame arriving meanwhile raises the interrupt again. */
void fwgen_efr32_mic_isr(void)
{
    uint32_t flags = USART_IF(MIC);
    USART_IF_CLR(MIC) = flags & (USART_IF_RXDATAV | USART_IF_RXOF);
    if (flags & USART_IF_RXOF) {
        s_mic_overruns++;
    }
    for (uint32_t status; (status = USART_STATUS(MIC)) & USART_STATUS_RXDATAV;) {
        int16_t sample = (int16_t)(USART_RXDOUBLE(MIC) & 0xFFFFu);
        if (status & USART_STATUS_RXDATAVRIGHT) {
            continue;                               /* right channel: the other microphone */
        }
        if (s_discard > 0u) {
            s_discard--;
            continue;
        }
        stm32_mic_push((int32_t)sample * (1 << MIC_GAIN_SHIFT));
    }
}

fwgen_status_t fwgen_port_mic_start(uint32_t sample_rate_hz)
{
    if (sample_rate_hz != MIC_NOMINAL_HZ || fwgen_efr32_pclk_hz() != EFR32_PCLK_HZ) {
        return FWGEN_ERR_UNSUPPORTED;   /* this clock plan gives (about) 16 kHz only */
    }
    CMU_CLKEN0 |= CMU_CLKEN0_GPIO | CMU_CLKEN0_USART0;

    /* Power first: clocking an unpowered ICS-43434 would feed it through its ESD diodes. */
    efr32_gpio_mode(GPIO_PORT_C, MIC_ENABLE_PIN, GPIO_MODE_PUSHPULL);
    GPIO_DOUT(GPIO_PORT_C) |= 1u << MIC_ENABLE_PIN;
    fwgen_efr32_delay_cycles(MIC_POWER_UP_CYCLES);

    efr32_gpio_mode(GPIO_PORT_D, MIC_CLK_PIN, GPIO_MODE_PUSHPULL);   /* DOUT 0: idle low */
    efr32_gpio_mode(GPIO_PORT_D, MIC_WS_PIN, GPIO_MODE_PUSHPULL);
    efr32_gpio_mode(GPIO_PORT_D, MIC_DATA_PIN, GPIO_MODE_INPUT);
    ROUTE_CLKROUTE(GPIO_USART0ROUTE) = GPIO_ROUTE(GPIO_PORT_D, MIC_CLK_PIN);
    ROUTE_RXROUTE(GPIO_USART0ROUTE) = GPIO_ROUTE(GPIO_PORT_D, MIC_DATA_PIN);
    ROUTE_CSROUTE(GPIO_USART0ROUTE) = GPIO_ROUTE(GPIO_PORT_D, MIC_WS_PIN);
    ROUTE_ROUTEEN(GPIO_USART0ROUTE) = ROUTEEN_RXPEN | ROUTEEN_CLKPEN | ROUTEEN_CSPEN;

    /* Series 2 USART registers are written with the peripheral enabled. */
    USART_EN(MIC) = USART_EN_EN;
    USART_CMD(MIC) = USART_CMD_RXDIS | USART_CMD_TXDIS | USART_CMD_MASTERDIS
                     | USART_CMD_CLEARTX | USART_CMD_CLEARRX;
    USART_CTRL(MIC) = USART_CTRL_SYNC | USART_CTRL_MSBF | USART_CTRL_AUTOTX;
    USART_FRAME(MIC) = USART_FRAME_16BIT;
    USART_CLKDIV(MIC) = MIC_CLKDIV_N << 8;         /* integer part in [22:8] */
    USART_I2SCTRL(MIC) = USART_I2SCTRL_EN | USART_I2SCTRL_DELAY | USART_I2SCTRL_W32D16;

    stm32_mic_clear();
    s_discard = MIC_DISCARD;
    USART_IF_CLR(MIC) = USART_IF_RXDATAV | USART_IF_RXOF;
    USART_IEN(MIC) = USART_IF_RXDATAV | USART_IF_RXOF;
    fwgen_nvic_enable(EFR32_USART0_RX_IRQ);
    USART_CMD(MIC) = USART_CMD_MASTEREN;
    USART_CMD(MIC) = USART_CMD_RXEN | USART_CMD_TXEN;   /* bit clock and word select start */
    return FWGEN_OK;
}

size_t fwgen_port_mic_read(int16_t *samples, size_t max)
{
    return stm32_mic_drain(samples, max);
}
#else
#include "ports/cortexm/port_no_mic.h"

void fwgen_efr32_mic_isr(void) {}   /* never enabled: the vector table names it */
#endif
