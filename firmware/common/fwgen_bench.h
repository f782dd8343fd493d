/*
 * Region markers of the bench build (`fwgen bench`): compiled only when FWGEN_BENCH_OPS is
 * defined, which the bench build does in a generated fwgen_bench_config.h (src/generated/) that
 * shipped firmware does not have, so it carries none of them.
 *
 * A store to fwgen_bench_marks[i] says "region i starts here" to the QEMU plugin
 * (host/fwgen/bench/plugin/fwgen_regions.c), which counts the instructions executed in each
 * region exactly. The word stored to names the region (QEMU 7.2's plugin API does not show the
 * value stored). The generated model defines the array, one word per region it can mark.
 */
#ifndef FWGEN_COMMON_BENCH_H
#define FWGEN_COMMON_BENCH_H

#include <stdint.h>

#if defined(__has_include)
#if __has_include("fwgen_bench_config.h")
#include "fwgen_bench_config.h"
#endif
#endif

#define FWGEN_BENCH_OTHER    0u   /* outside every region below (link, detector, idle) */
#define FWGEN_BENCH_FRONTEND 1u   /* the frontend turning audio into feature frames */
#define FWGEN_BENCH_INVOKE   2u   /* the model's invoke between its ops */
#define FWGEN_BENCH_OP0      3u   /* op k of the model is region FWGEN_BENCH_OP0 + k */

#ifdef FWGEN_BENCH_OPS
extern volatile uint32_t fwgen_bench_marks[];
#define FWGEN_BENCH_MARK(region) (fwgen_bench_marks[(region)] = 1u)
#else
#define FWGEN_BENCH_MARK(region) ((void)0)
#endif

#endif /* FWGEN_COMMON_BENCH_H */
