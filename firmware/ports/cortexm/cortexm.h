/*
 * Armv7-M / Armv8-M system registers used by fwgen's ports (Arm ARMv7-M and ARMv8-M
 * Architecture Reference Manuals, System Control Space). fwgen's own definitions.
 */
#ifndef FWGEN_PORTS_CORTEXM_H
#define FWGEN_PORTS_CORTEXM_H

#include <stddef.h>
#include <stdint.h>

#include "ports/cortexm/port_buffers.h"

#define FWGEN_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block */
#define SCB_CPACR        FWGEN_REG32(0xE000ED88u)   /* coprocessor access control */
#define SCB_ICSR         FWGEN_REG32(0xE000ED04u)   /* interrupt control and state */
#define SCB_ICSR_PENDSTSET (1u << 26)                 /* SysTick exception pending */
#define SCB_VTOR         FWGEN_REG32(0xE000ED08u)
#define SCB_AIRCR        FWGEN_REG32(0xE000ED0Cu)
#define SCB_DEMCR        FWGEN_REG32(0xE000EDFCu)   /* debug exception and monitor control */
#define DEMCR_TRCENA     (1u << 24)
#define DHCSR            FWGEN_REG32(0xE000EDF0u)
#define DHCSR_C_DEBUGEN  (1u << 0)

/* SysTick */
#define SYST_CSR         FWGEN_REG32(0xE000E010u)
#define SYST_RVR         FWGEN_REG32(0xE000E014u)
#define SYST_CVR         FWGEN_REG32(0xE000E018u)
#define SYST_CSR_ENABLE  (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSRC  (1u << 2)

/* Data Watchpoint and Trace unit */
#define DWT_CTRL         FWGEN_REG32(0xE0001000u)
#define DWT_CYCCNT       FWGEN_REG32(0xE0001004u)
#define DWT_LAR          FWGEN_REG32(0xE0001FB0u)   /* lock access (Cortex-M7) */
#define DWT_CTRL_CYCCNTENA (1u << 0)

/* NVIC */
#define NVIC_ISER(n)     FWGEN_REG32(0xE000E100u + 4u * (n))

static inline void fwgen_nvic_enable(unsigned irq) { NVIC_ISER(irq >> 5) = 1u << (irq & 31u); }
static inline void fwgen_irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void fwgen_irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void fwgen_dsb_isb(void) { __asm volatile("dsb 0xF\n isb 0xF" ::: "memory"); }

/* Start the DWT cycle counter (real cores; QEMU reads it as 0). */
void fwgen_cortexm_dwt_start(void);

/* Semihosting call (Arm semihosting v2: BKPT 0xAB in Thumb state). */
int fwgen_cortexm_semihost(int op, void *arg);

/* Receive ring buffer shared by the interrupt-driven UART drivers, sized by the build. */
#define FWGEN_RX_RING_BYTES FWGEN_PORT_RX_RING_BYTES
typedef struct {
    volatile uint32_t head;   /* written by the IRQ handler */
    volatile uint32_t tail;   /* written by the reader */
    volatile uint32_t overruns;
    uint8_t data[FWGEN_RX_RING_BYTES];
} fwgen_rx_ring_t;

/* IRQ side: store one byte (counts an overrun when full). */
static inline void fwgen_rx_ring_put(fwgen_rx_ring_t *ring, uint8_t byte)
{
    uint32_t head = ring->head;
    uint32_t next = (head + 1u) % FWGEN_RX_RING_BYTES;
    if (next == ring->tail) {
        ring->overruns++;
        return;
    }
    ring->data[head] = byte;
    ring->head = next;
}

/* Reader side: copy out up to `max` bytes; returns how many. */
size_t fwgen_rx_ring_read(fwgen_rx_ring_t *ring, uint8_t *out, size_t max);

#endif /* FWGEN_PORTS_CORTEXM_H */
