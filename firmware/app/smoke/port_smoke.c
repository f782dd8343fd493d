/*
 * Port smoke test: the smallest firmware that exercises a port end to end. It prints a banner
 * with the board, clock and a cycle-counter reading, checks the FPU and the C runtime
 * (.data copied, .bss zeroed), then echoes received bytes line by line. Commands (one byte):
 *   'c'  print the cycles a fixed 10000-iteration loop took
 *   'x'  exit with status 0; 'e' exit with status 3 (tests the exit path)
 * Used by tests/emu/test_port_smoke.py on every twin and by tests/compile on every board.
 */
#include <stdint.h>

#include "fwgen_board.h"
#include "ports/port.h"

static volatile uint32_t s_data_word = 0x12345678u;   /* .data */
static uint32_t s_bss_word;                            /* .bss */

static void put(const char *text)
{
    size_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    fwgen_port_uart_write((const uint8_t *)text, n);
}

static void put_u32(uint32_t value)
{
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u && i > 0);
    put(&buf[i]);
}

static uint32_t busy_loop(void)
{
    volatile uint32_t acc = 0;
    uint32_t start = fwgen_port_cycles();
    for (uint32_t i = 0; i < 10000u; i++) {
        acc += i;
    }
    return fwgen_port_cycles() - start;
}

int main(void)
{
    if (fwgen_port_init(FWGEN_BOARD_UART_BAUD) != FWGEN_OK) {
        fwgen_port_exit(2);
    }
    volatile float a = 1.5f, b = 2.25f;
    uint32_t fpu_ok = (uint32_t)(a * b * 1000.0f) == 3375u;
    put("fwgen-smoke board=");
    put(fwgen_port_name());
    put(" hz=");
    put_u32(fwgen_port_core_hz());
    put(" emulator=");
    put_u32((uint32_t)fwgen_port_is_emulator());
    put(" runtime=");
    put(s_data_word == 0x12345678u && s_bss_word == 0u ? "ok" : "bad");
    put(" fpu=");
    put(fpu_ok ? "ok" : "bad");
    put("\n");

    uint8_t buf[64];
    for (;;) {
        size_t n = fwgen_port_uart_read(buf, sizeof buf);
        for (size_t i = 0; i < n; i++) {
            switch (buf[i]) {
            case 'c':
                put("cycles=");
                put_u32(busy_loop());
                put(" per_tick=");
                put_u32(fwgen_port_cycles_per_tick());
                put("\n");
                break;
            case 'x':
                put("bye\n");
                fwgen_port_exit(0);
            case 'e':
                fwgen_port_exit(3);
            default:
                fwgen_port_uart_write(&buf[i], 1);
                break;
            }
        }
    }
}
