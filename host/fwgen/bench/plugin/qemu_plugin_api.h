/*
 * The few functions of QEMU's TCG plugin API (docs/devel/tcg-plugins.rst) that fwgen_regions.c
 * calls, declared by fwgen: Debian's qemu-system-arm exports the API but no package ships QEMU's
 * own header. Types and signatures follow the documented API; nothing else of it is declared.
 *
 * Three versions, chosen by -DFWGEN_QEMU_PLUGIN_API=N (fwgen.bench.qemu_api reads N from
 * `qemu-system-arm --version`):
 *   1  QEMU 4.2 to 8.2 (Debian 12's 7.2): an inline add increments a plain uint64_t.
 *   2  QEMU 9.0 to 10.x (Debian 13's 10.0): version 1's inline ops are gone; an inline add
 *      increments one uint64_t per vCPU in a scoreboard that QEMU allocates. What versions 3
 *      to 6 changed (qemu_plugin_insn_data, memory and register access) fwgen does not call,
 *      so the plugin declares 2, the oldest version these QEMUs load.
 *   7  QEMU 11.1 (its only version): as 2, but callbacks get the userdata given when they were
 *      registered and no plugin id, and the translation callback is registered with userdata.
 * Everything else the plugin calls is the same in all three.
 */
#ifndef FWGEN_QEMU_PLUGIN_API_H
#define FWGEN_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef FWGEN_QEMU_PLUGIN_API
#define FWGEN_QEMU_PLUGIN_API 1
#endif
#if FWGEN_QEMU_PLUGIN_API != 1 && FWGEN_QEMU_PLUGIN_API != 2 && FWGEN_QEMU_PLUGIN_API != 7
#error "FWGEN_QEMU_PLUGIN_API must be 1 (QEMU 4.2 to 8.2), 2 (QEMU 9.0 to 10.x) or 7 (QEMU 11.1)"
#endif

#define FWGEN_QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;     /* opaque memory access handle */
struct qemu_plugin_tb;                      /* opaque: a translation block */
struct qemu_plugin_insn;                    /* opaque: one translated instruction */

/* What QEMU tells a plugin when it loads it (only valid during qemu_plugin_install). */
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };   /* the first op in every version */

#if FWGEN_QEMU_PLUGIN_API >= 7
/* Version 7: every callback gets the userdata given when it was registered, and no plugin id. */
typedef void (*qemu_plugin_udata_cb_t)(void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(struct qemu_plugin_tb *tb, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb,
                                           void *userdata);
#else
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
#endif
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);

/* Exported by the plugin: the API version it was written for, and its entry point. */
extern FWGEN_QEMU_PLUGIN_EXPORT int qemu_plugin_version;
FWGEN_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                 int argc, char **argv);

/* Provided by QEMU, in every version. */
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
                                      void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
void qemu_plugin_outs(const char *string);

#if FWGEN_QEMU_PLUGIN_API == 1
/* Version 1: the inline op adds to the plugin's own variable at `ptr`. */
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
#else
/* Version 2 on: the inline op adds to a uint64_t at `offset` in the vCPU's entry of a scoreboard
 * (one entry of `element_size` bytes per vCPU, allocated and grown by QEMU). */
struct qemu_plugin_scoreboard;
typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;

struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);
void qemu_plugin_scoreboard_free(struct qemu_plugin_scoreboard *score);
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn,
                                                         enum qemu_plugin_op op,
                                                         qemu_plugin_u64 entry, uint64_t imm);
uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry, unsigned int vcpu_index);
uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 entry);
#endif

#endif /* FWGEN_QEMU_PLUGIN_API_H */
