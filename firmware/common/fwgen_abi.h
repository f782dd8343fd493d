/*
 * fwgen ABI version shared by the firmware library and the code fwgen generates.
 *
 * Generated files carry `#if FWGEN_ABI != N #error ...` so a project rendered by an older
 * fwgen fails to compile with a clear message instead of misbehaving.
 */
#ifndef FWGEN_ABI_H
#define FWGEN_ABI_H

#include <stdint.h>

#define FWGEN_ABI 1

/* Returns FWGEN_ABI as compiled into the library (lets the host binding check it). */
uint32_t fwgen_abi_version(void);

#endif /* FWGEN_ABI_H */
