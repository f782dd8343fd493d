/*
 * EFR32MG24 registers used by fwgen's port, and the few functions its two files share.
 * fwgen's own definitions, written from the EFR32xG24 reference manual (memory map, CMU, HFXO,
 * HFRCO, DPLL, MSC, GPIO, USART and EUSART chapters); secure peripheral aliases (the port runs
 * secure, without TrustZone partitioning). Series 2 peripherals alias every register at +0x1000
 * (set bits), +0x2000 (clear bits) and +0x3000 (toggle bits).
 */
#ifndef FWGEN_PORTS_EFR32MG24_H
#define FWGEN_PORTS_EFR32MG24_H

#include <stdint.h>

#include "ports/cortexm/cortexm.h"

/* Clock plan (port_efr32mg24.c): HFXO 39 MHz -> DPLL0 -> HFRCODPLL 78 MHz = HCLK, PCLK = HCLK / 2. */
#define EFR32_FSRCO_HZ      20000000u     /* reset SYSCLK */
#define EFR32_HFXO_HZ       39000000u     /* BRD2601B crystal */
#define EFR32_DPLL_N        3839u         /* f = HFXO * (N + 1) / (M + 1) */
#define EFR32_DPLL_M        1919u
#define EFR32_CORE_HZ       ((uint32_t)((uint64_t)EFR32_HFXO_HZ * (EFR32_DPLL_N + 1u) / (EFR32_DPLL_M + 1u)))
#define EFR32_PCLK_DIV      2u            /* PCLK <= 50 MHz */
#define EFR32_PCLK_HZ       (EFR32_CORE_HZ / EFR32_PCLK_DIV)   /* USART0's clock */

#define EFR32_SET(reg_addr) FWGEN_REG32((reg_addr) + 0x1000u)
#define EFR32_CLR(reg_addr) FWGEN_REG32((reg_addr) + 0x2000u)

/* ---- CMU: bus clock enables and clock muxes ------------------------------------------- */
#define CMU_BASE            0x40008000u
#define CMU_CLKEN0          FWGEN_REG32(CMU_BASE + 0x064u)
#define CMU_CLKEN1          FWGEN_REG32(CMU_BASE + 0x068u)
#define CMU_SYSCLKCTRL      FWGEN_REG32(CMU_BASE + 0x070u)
#define CMU_DPLLREFCLKCTRL  FWGEN_REG32(CMU_BASE + 0x100u)
#define CMU_EM01GRPCCLKCTRL FWGEN_REG32(CMU_BASE + 0x128u)   /* clock of EUSART0's EM01 branch */
#define CMU_EUSART0CLKCTRL  FWGEN_REG32(CMU_BASE + 0x220u)
#define CMU_CLKEN0_USART0   (1u << 9)
#define CMU_CLKEN0_DPLL0    (1u << 17)
#define CMU_CLKEN0_HFRCO0   (1u << 18)
#define CMU_CLKEN0_HFXO0    (1u << 20)
#define CMU_CLKEN0_GPIO     (1u << 26)
#define CMU_CLKEN1_MSC      (1u << 16)
#define CMU_CLKEN1_EUSART0  (1u << 22)
#define CMU_SYSCLKCTRL_CLKSEL_MASK      7u
#define CMU_SYSCLKCTRL_CLKSEL_HFRCODPLL 2u
#define CMU_SYSCLKCTRL_PCLKPRESC_DIV2   (1u << 10)
#define CMU_DPLLREFCLKCTRL_HFXO         1u
#define CMU_EM01GRPCCLK_HFRCODPLL       1u              /* reset value */
#define CMU_EM01GRPCCLK_FSRCO           3u
#define CMU_EUSART0CLK_EM01GRPCCLK      1u              /* reset value */

/* ---- HFXO0, HFRCO0, DEVINFO, DPLL0, MSC: the clock tree (port_efr32mg24.c) ------------- */
#define HFXO0_BASE          0x4A004000u   /* xG24: in the low-power block, not xG21's 0x4000C000 */
#define HFXO0_CTRL_SET      EFR32_SET(HFXO0_BASE + 0x028u)
#define HFXO0_STATUS        FWGEN_REG32(HFXO0_BASE + 0x058u)
#define HFXO_CTRL_FORCEEN   (1u << 16)
#define HFXO_STATUS_RDY     (1u << 0)
#define HFRCO0_CAL          FWGEN_REG32(0x40010000u + 0x008u)
#define DEVINFO_HFRCODPLLCAL(i) FWGEN_REG32(0x0FE08000u + 0x058u + 4u * (uint32_t)(i))
#define HFRCODPLL_BAND_80MHZ 16u        /* DEVINFO HFRCODPLLCAL index of the 80 MHz band */
#define DPLL0_BASE          0x4001C000u
#define DPLL0_EN            FWGEN_REG32(DPLL0_BASE + 0x004u)
#define DPLL0_CFG           FWGEN_REG32(DPLL0_BASE + 0x008u)
#define DPLL0_CFG1          FWGEN_REG32(DPLL0_BASE + 0x00Cu)
#define DPLL0_IF            FWGEN_REG32(DPLL0_BASE + 0x010u)
#define DPLL0_IF_CLR        EFR32_CLR(DPLL0_BASE + 0x010u)
#define DPLL_EN_EN          (1u << 0)
#define DPLL_EN_DISABLING   (1u << 1)
#define DPLL_CFG_FLL        0u            /* MODE = FLL (frequency lock), EDGESEL rising */
#define DPLL_IF_LOCK        (1u << 0)
#define DPLL_IF_LOCKFAILLOW  (1u << 1)
#define DPLL_IF_LOCKFAILHIGH (1u << 2)
#define MSC_READCTRL        FWGEN_REG32(0x40030000u + 0x004u)
#define MSC_READCTRL_MODE_SHIFT 20
#define MSC_READCTRL_MODE_MASK  (3u << MSC_READCTRL_MODE_SHIFT)

/* ---- GPIO: ports A-D at 0x30 + 0x30 * n; peripheral routes in the DBUS block ----------- */
#define GPIO_BASE           0x4003C000u
#define GPIO_PORT(n)        (GPIO_BASE + 0x30u + 0x30u * (uint32_t)(n))
#define GPIO_MODEL(n)       FWGEN_REG32(GPIO_PORT(n) + 0x04u)   /* pins 0-7, 4 bits each */
#define GPIO_MODEH(n)       FWGEN_REG32(GPIO_PORT(n) + 0x0Cu)   /* pins 8-15 */
#define GPIO_DOUT(n)        FWGEN_REG32(GPIO_PORT(n) + 0x10u)
#define GPIO_MODE_INPUT     0x1u
#define GPIO_MODE_PUSHPULL  0x4u
#define GPIO_PORT_A         0u
#define GPIO_PORT_C         2u
#define GPIO_PORT_D         3u
/* A route register selects one pin: PORT in [1:0], PIN in [19:16]. */
#define GPIO_ROUTE(port, pin) ((uint32_t)(port) | ((uint32_t)(pin) << 16))
/* GPIO_EUSARTROUTE[0] (EUSART0) and GPIO_USARTROUTE[0] (USART0): same layout. */
#define GPIO_EUSART0ROUTE   (GPIO_BASE + 0x494u)
#define GPIO_USART0ROUTE    (GPIO_BASE + 0x720u)
#define ROUTE_ROUTEEN(r)    FWGEN_REG32((r) + 0x00u)
#define ROUTE_CSROUTE(r)    FWGEN_REG32((r) + 0x04u)
#define ROUTE_RXROUTE(r)    FWGEN_REG32((r) + 0x10u)
#define ROUTE_CLKROUTE(r)   FWGEN_REG32((r) + 0x14u)   /* SCLKROUTE on the EUSART */
#define ROUTE_TXROUTE(r)    FWGEN_REG32((r) + 0x18u)
#define ROUTEEN_CSPEN       (1u << 0)
#define ROUTEEN_RXPEN       (1u << 2)
#define ROUTEEN_CLKPEN      (1u << 3)
#define ROUTEEN_TXPEN       (1u << 4)

/* Set the mode of one pin (MODEL for pins 0-7, MODEH for 8-15). */
static inline void efr32_gpio_mode(unsigned port, unsigned pin, uint32_t mode)
{
    volatile uint32_t *reg = pin < 8u ? &GPIO_MODEL(port) : &GPIO_MODEH(port);
    unsigned shift = 4u * (pin & 7u);
    *reg = (*reg & ~(0xFu << shift)) | (mode << shift);
}

/* ---- EUSART0: the console (VCOM) -------------------------------------------------------- */
#define EUSART0_BASE        0x4B010000u
#define EUSART_EN(b)        FWGEN_REG32((b) + 0x004u)
#define EUSART_CFG0(b)      FWGEN_REG32((b) + 0x008u)
#define EUSART_CFG1(b)      FWGEN_REG32((b) + 0x00Cu)
#define EUSART_CFG2(b)      FWGEN_REG32((b) + 0x010u)
#define EUSART_FRAMECFG(b)  FWGEN_REG32((b) + 0x014u)
#define EUSART_CLKDIV(b)    FWGEN_REG32((b) + 0x030u)
#define EUSART_CMD(b)       FWGEN_REG32((b) + 0x038u)
#define EUSART_RXDATA(b)    FWGEN_REG32((b) + 0x03Cu)
#define EUSART_TXDATA(b)    FWGEN_REG32((b) + 0x044u)
#define EUSART_STATUS(b)    FWGEN_REG32((b) + 0x048u)
#define EUSART_IF(b)        FWGEN_REG32((b) + 0x04Cu)
#define EUSART_IEN(b)       FWGEN_REG32((b) + 0x050u)
#define EUSART_SYNCBUSY(b)  FWGEN_REG32((b) + 0x054u)
#define EUSART_IF_CLR(b)    EFR32_CLR((b) + 0x04Cu)
#define EUSART_EN_EN        (1u << 0)
#define EUSART_CFG0_OVS_X16 (0u << 5)       /* asynchronous (SYNC = 0), LSB first */
#define EUSART_CFG1_RXFIW_1 (0u << 27)      /* RXFL once one frame is in the RX FIFO */
#define EUSART_FRAMECFG_8N1 0x00001002u     /* DATABITS 8, PARITY none, STOPBITS 1 */
#define EUSART_CMD_RXEN     (1u << 0)
#define EUSART_CMD_TXEN     (1u << 2)
#define EUSART_STATUS_RXENS (1u << 0)
#define EUSART_STATUS_TXENS (1u << 1)
#define EUSART_STATUS_TXFL  (1u << 6)       /* TX FIFO at or below its watermark: room */
#define EUSART_STATUS_RXFL  (1u << 7)       /* RX FIFO holds at least one frame */
#define EUSART_IF_RXFL      (1u << 2)
#define EUSART_IF_RXOF      (1u << 4)
#define EUSART_SYNCBUSY_DIV (1u << 0)
#define EUSART_SYNCBUSY_ALL 0x00000FFFu

/* ---- USART0: the microphone, in I2S master mode ----------------------------------------- */
#define USART0_BASE         0x4005C000u
#define USART_EN(b)         FWGEN_REG32((b) + 0x04u)
#define USART_CTRL(b)       FWGEN_REG32((b) + 0x08u)
#define USART_FRAME(b)      FWGEN_REG32((b) + 0x0Cu)
#define USART_CMD(b)        FWGEN_REG32((b) + 0x14u)
#define USART_STATUS(b)     FWGEN_REG32((b) + 0x18u)
#define USART_CLKDIV(b)     FWGEN_REG32((b) + 0x1Cu)
#define USART_RXDOUBLE(b)   FWGEN_REG32((b) + 0x2Cu)   /* both RX buffer bytes: one 16-bit frame */
#define USART_IF(b)         FWGEN_REG32((b) + 0x48u)
#define USART_IEN(b)        FWGEN_REG32((b) + 0x4Cu)
#define USART_I2SCTRL(b)    FWGEN_REG32((b) + 0x54u)
#define USART_IF_CLR(b)     EFR32_CLR((b) + 0x48u)
#define USART_EN_EN         (1u << 0)
#define USART_CTRL_SYNC     (1u << 0)       /* CLKPOL = CLKPHA = 0: idle low, sample on rising */
#define USART_CTRL_MSBF     (1u << 10)
#define USART_CTRL_AUTOTX   (1u << 29)      /* keep clocking while the RX buffer has room */
#define USART_FRAME_16BIT   0x0000100Du     /* DATABITS 16 (STOPBITS/PARITY unused in sync) */
#define USART_CMD_RXEN      (1u << 0)
#define USART_CMD_RXDIS     (1u << 1)
#define USART_CMD_TXEN      (1u << 2)
#define USART_CMD_TXDIS     (1u << 3)
#define USART_CMD_MASTEREN  (1u << 4)
#define USART_CMD_MASTERDIS (1u << 5)
#define USART_CMD_CLEARTX   (1u << 10)
#define USART_CMD_CLEARRX   (1u << 11)
#define USART_STATUS_RXDATAV      (1u << 7)
#define USART_STATUS_RXDATAVRIGHT (1u << 11)  /* the next RX read gives right-channel data */
#define USART_IF_RXDATAV    (1u << 2)
#define USART_IF_RXOF       (1u << 4)
#define USART_I2SCTRL_EN    (1u << 0)       /* MONO = 0 (stereo WS), JUSTIFY = 0 (left) */
#define USART_I2SCTRL_DELAY (1u << 4)       /* data one bit clock after the WS edge (I2S) */
#define USART_I2SCTRL_W32D16 (3u << 8)      /* 32-bit slots, the 16 MSBs received */

/* ---- IRQ numbers (RM / datasheet interrupt table) --------------------------------------- */
#define EFR32_USART0_RX_IRQ  9
#define EFR32_EUSART0_RX_IRQ 11

/* Shared between port_efr32mg24.c and efr32mg24_mic.c. */
uint32_t fwgen_efr32_pclk_hz(void);     /* USART0's clock (PCLK) as fwgen_port_init left it */
void fwgen_efr32_mic_isr(void);         /* USART0_RX: one I2S frame (IRQ EFR32_USART0_RX_IRQ) */
void fwgen_efr32_delay_cycles(uint32_t cycles);

#endif /* FWGEN_PORTS_EFR32MG24_H */
