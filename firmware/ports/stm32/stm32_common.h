/*
 * Peripherals whose register layout is the same on STM32L4, STM32H7 and STM32U5: GPIO
 * (RM0351 §8, RM0433 §11, RM0456 §13) and the USART with ISR/RDR/TDR (RM0351 §40, RM0433 §48,
 * RM0456 §67). fwgen's own definitions, written from those reference manuals; header-only so
 * each STM32 port compiles exactly what it uses. Base addresses and bus-clock enables are per
 * family and live in the port.
 */
#ifndef FWGEN_PORTS_STM32_COMMON_H
#define FWGEN_PORTS_STM32_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "ports/cortexm/cortexm.h"

/* GPIO: one 1 KiB block per port (A, B, C...). */
#define GPIO_MODER(b)   FWGEN_REG32((b) + 0x00u)
#define GPIO_OSPEEDR(b) FWGEN_REG32((b) + 0x08u)
#define GPIO_PUPDR(b)   FWGEN_REG32((b) + 0x0Cu)
#define GPIO_AFRL(b)    FWGEN_REG32((b) + 0x20u)
#define GPIO_AFRH(b)    FWGEN_REG32((b) + 0x24u)

/* USART (oversampling by 16). */
#define USART_CR1(b)    FWGEN_REG32((b) + 0x00u)
#define USART_CR2(b)    FWGEN_REG32((b) + 0x04u)
#define USART_CR3(b)    FWGEN_REG32((b) + 0x08u)
#define USART_BRR(b)    FWGEN_REG32((b) + 0x0Cu)
#define USART_ISR(b)    FWGEN_REG32((b) + 0x1Cu)
#define USART_ICR(b)    FWGEN_REG32((b) + 0x20u)
#define USART_RDR(b)    FWGEN_REG32((b) + 0x24u)
#define USART_TDR(b)    FWGEN_REG32((b) + 0x28u)
#define USART_CR1_UE     (1u << 0)
#define USART_CR1_RE     (1u << 2)
#define USART_CR1_TE     (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_ISR_ORE    (1u << 3)
#define USART_ISR_RXNE   (1u << 5)
#define USART_ISR_TXE    (1u << 7)
#define USART_ICR_ORECF  (1u << 3)
#define USART_ICR_ALL    0x0012BB5Fu   /* every clear flag this driver may see */

/* Pin `pin` of the GPIO block at `base` to alternate function `af`, very high speed. */
static inline void fwgen_stm32_gpio_af(uint32_t base, unsigned pin, unsigned af)
{
    GPIO_MODER(base) = (GPIO_MODER(base) & ~(3u << (2u * pin))) | (2u << (2u * pin));
    GPIO_OSPEEDR(base) |= 3u << (2u * pin);
    GPIO_PUPDR(base) = (GPIO_PUPDR(base) & ~(3u << (2u * pin))) | (1u << (2u * pin)); /* pull-up */
    if (pin < 8u) {
        GPIO_AFRL(base) = (GPIO_AFRL(base) & ~(0xFu << (4u * pin))) | (af << (4u * pin));
    } else {
        GPIO_AFRH(base) = (GPIO_AFRH(base) & ~(0xFu << (4u * (pin - 8u)))) | (af << (4u * (pin - 8u)));
    }
}

/* 8N1 at `baud` from a kernel clock of `kernel_hz`, receive interrupt enabled. */
static inline void fwgen_stm32_usart_init(uint32_t base, uint32_t kernel_hz, uint32_t baud)
{
    USART_CR1(base) = 0u;
    USART_BRR(base) = (kernel_hz + baud / 2u) / baud;
    USART_CR2(base) = 0u;
    USART_CR3(base) = 0u;
    USART_CR1(base) = USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE | USART_CR1_UE;
}

static inline void fwgen_stm32_usart_write(uint32_t base, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (!(USART_ISR(base) & USART_ISR_TXE)) {
        }
        USART_TDR(base) = data[i];
    }
}

/* Receive interrupt body: move every pending byte into the ring, count overruns. */
static inline void fwgen_stm32_usart_irq(uint32_t base, fwgen_rx_ring_t *ring)
{
    uint32_t isr = USART_ISR(base);
    if (isr & USART_ISR_ORE) {
        USART_ICR(base) = USART_ICR_ORECF;
        ring->overruns++;
    }
    while (USART_ISR(base) & USART_ISR_RXNE) {
        fwgen_rx_ring_put(ring, (uint8_t)USART_RDR(base));
    }
}

/* Spin until (reg & mask) == want, at most `limit` polls. Returns 1 on success. */
static inline int fwgen_stm32_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t limit)
{
    while (limit--) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

#endif /* FWGEN_PORTS_STM32_COMMON_H */
