/*
 * Cortex-M startup shared by every fwgen port: the 16 architectural vectors, the reset handler
 * (.data copy, .bss zero, FPU enable) and default handlers. Each port adds its device
 * interrupt vectors in section ".isr_vector.irq", which the generated linker script places right
 * after these, so the table is contiguous at the start of the image.
 */
#include <stdint.h>

#include "ports/cortexm/cortexm.h"
#include "ports/port.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack, _fwgen_stack_limit;

#define STACK_PAINT 0xA5A5A5A5u
extern int main(void);

typedef void (*fwgen_vector_t)(void);

void fwgen_default_handler(void);
void Reset_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void HardFault_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void MemManage_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void BusFault_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void SecureFault_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void SVC_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void PendSV_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));
void SysTick_Handler(void) __attribute__((weak, alias("fwgen_default_handler")));

__attribute__((section(".isr_vector"), used))
const fwgen_vector_t fwgen_core_vectors[16] = {
    (fwgen_vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler,   /* Armv8-M Mainline; reserved on Armv7-M */
    0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

/* An unexpected exception: report it as exit status 128 + exception number. */
void fwgen_default_handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    fwgen_port_exit(128 + (int)(ipsr & 0x1FFu));
}

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Full access to CP10/CP11 before any code that may use the FPU. */
    SCB_CPACR |= (0xFu << 20);
    fwgen_dsb_isb();
#endif
    SCB_VTOR = (uint32_t)(uintptr_t)fwgen_core_vectors;
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    /* Paint the unused stack so fwgen_port_stack_used() can find the high-water mark. */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &_fwgen_stack_limit; p < sp - 16; p++) {
        *p = STACK_PAINT;
    }
    int code = main();
    fwgen_port_exit(code);
}

void fwgen_cortexm_dwt_start(void)
{
    SCB_DEMCR |= DEMCR_TRCENA;
#if defined(__ARM_ARCH_7EM__)
    DWT_LAR = 0xC5ACCE55u;   /* Cortex-M7 locks the DWT until this key is written */
#endif
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

size_t fwgen_port_stack_used(void)
{
    const uint32_t *p = &_fwgen_stack_limit;
    while (p < &_estack && *p == STACK_PAINT) {
        p++;
    }
    return (size_t)((const uint8_t *)&_estack - (const uint8_t *)p);
}

size_t fwgen_port_stack_size(void)
{
    return (size_t)((const uint8_t *)&_estack - (const uint8_t *)&_fwgen_stack_limit);
}

int fwgen_cortexm_semihost(int op, void *arg)
{
    register int r0 __asm("r0") = op;
    register void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

size_t fwgen_rx_ring_read(fwgen_rx_ring_t *ring, uint8_t *out, size_t max)
{
    size_t n = 0;
    uint32_t tail = ring->tail;
    while (n < max && tail != ring->head) {
        out[n++] = ring->data[tail];
        tail = (tail + 1u) % FWGEN_RX_RING_BYTES;
    }
    ring->tail = tail;
    return n;
}

/* newlib hooks: the library never allocates or prints through stdio, so these only satisfy
 * the linker if something pulls them in. */
void _exit(int code) { fwgen_port_exit(code); }
