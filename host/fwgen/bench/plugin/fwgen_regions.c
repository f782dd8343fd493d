/*
 * QEMU TCG plugin: exact executed instructions per firmware region.
 *
 * The bench build of fwgen firmware (-DFWGEN_BENCH_OPS, common/fwgen_bench.h) stores to word i
 * of the array fwgen_bench_marks when region i starts (the frontend, the invoke, op k of the
 * model). QEMU 7.2's plugin API shows a store's address but not its value, so the word stored
 * to names the region. Every executed instruction adds one to a counter (an inline add that
 * QEMU emits before the instruction); a store into the array closes the current region at that
 * counter, so the storing instruction is the last one of the region it ends.
 *
 * Built for plugin API version 1 (QEMU 4.2 to 8.2), 2 (9.0 to 10.x) or 7 (11.1) by
 * -DFWGEN_QEMU_PLUGIN_API (qemu_plugin_api.h): they differ only in where the counter lives (a
 * plain variable, or the vCPU's entry of a scoreboard) and in the callbacks' parameters, so all
 * count the same instructions. The twins have one vCPU; the regions follow that one.
 *
 *   qemu-system-arm ... -plugin fwgen_regions.so,marks=0xADDR,regions=N,out=FILE
 *
 * Under -icount QEMU may end a block at an instruction that does I/O and execute that
 * instruction again, so the inline add may count it twice; the marked regions (frontend, model)
 * do no I/O, so only region 0 (the link, the cycle counter reads) can be off by that.
 *
 * At exit FILE holds "total T" and one "region I INSTRUCTIONS ENTRIES" line per region entered
 * (region 0 is everything outside the marked regions, from reset on). Python computes the rest
 * (fwgen.bench.plugin).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

#define MAX_REGIONS 4096u

FWGEN_QEMU_PLUGIN_EXPORT int qemu_plugin_version = FWGEN_QEMU_PLUGIN_API;

/* Instructions executed so far (an inline add before each, exact): count_insn instruments one
 * instruction, executed() reads the counter of a vCPU, executed_total() that of all. */
#if FWGEN_QEMU_PLUGIN_API == 1
static uint64_t s_executed;

static int counter_open(void) { return 0; }
static void counter_close(void) {}
static void count_insn(struct qemu_plugin_insn *insn)
{
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &s_executed, 1);
}
static uint64_t executed(unsigned int vcpu) { (void)vcpu; return s_executed; }
static uint64_t executed_total(void) { return s_executed; }
#else
static qemu_plugin_u64 s_executed;    /* one uint64_t per vCPU, at offset 0 of its entry */

static int counter_open(void)
{
    s_executed.score = qemu_plugin_scoreboard_new(sizeof(uint64_t));
    s_executed.offset = 0;
    return s_executed.score != NULL ? 0 : -1;
}
static void counter_close(void) { qemu_plugin_scoreboard_free(s_executed.score); }
static void count_insn(struct qemu_plugin_insn *insn)
{
    qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                        s_executed, 1);
}
static uint64_t executed(unsigned int vcpu) { return qemu_plugin_u64_get(s_executed, vcpu); }
static uint64_t executed_total(void) { return qemu_plugin_u64_sum(s_executed); }
#endif

static uint64_t s_marks, s_marks_end; /* the marker array [s_marks, s_marks_end) */
static uint64_t s_count[MAX_REGIONS], s_entries[MAX_REGIONS];
static unsigned s_current;            /* the region executing now */
static uint64_t s_since;              /* the counter when it started */
static const char *s_out;

static void on_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *ud)
{
    (void)info;
    (void)ud;
    if (vaddr < s_marks || vaddr >= s_marks_end) {
        return;
    }
    uint64_t now = executed(vcpu);
    s_count[s_current] += now - s_since;
    s_since = now;
    s_current = (unsigned)((vaddr - s_marks) / 4u);
    s_entries[s_current]++;
}

static void instrument(struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        count_insn(insn);
        qemu_plugin_register_vcpu_mem_cb(insn, on_store, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W,
                                         NULL);
    }
}

static void write_counts(void)
{
    uint64_t total = executed_total();
    s_count[s_current] += total - s_since;
    s_since = total;
    counter_close();
    FILE *f = fopen(s_out, "w");
    if (f == NULL) {
        qemu_plugin_outs("fwgen_regions: cannot write the output file\n");
        return;
    }
    fprintf(f, "total %" PRIu64 "\n", total);
    for (unsigned i = 0; i < MAX_REGIONS; i++) {
        if (s_count[i] != 0u || s_entries[i] != 0u) {
            fprintf(f, "region %u %" PRIu64 " %" PRIu64 "\n", i, s_count[i], s_entries[i]);
        }
    }
    fclose(f);
}

/* QEMU's callbacks: version 7 passes the userdata alone where earlier ones passed the id too. */
#if FWGEN_QEMU_PLUGIN_API >= 7
static void on_translate(struct qemu_plugin_tb *tb, void *ud) { (void)ud; instrument(tb); }
static void on_qemu_exit(void *ud) { (void)ud; write_counts(); }
#define REGISTER_TRANSLATE(id) qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate, NULL)
#else
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) { (void)id; instrument(tb); }
static void on_qemu_exit(qemu_plugin_id_t id, void *ud) { (void)id; (void)ud; write_counts(); }
#define REGISTER_TRANSLATE(id) qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate)
#endif

static int parse_u64(const char *text, uint64_t *value)
{
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 0);
    if (end == text || *end != '\0') {
        return -1;
    }
    *value = (uint64_t)v;
    return 0;
}

FWGEN_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                 int argc, char **argv)
{
    uint64_t regions = 0;
    int have_marks = 0;
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "marks=", 6) == 0 && parse_u64(arg + 6, &s_marks) == 0) {
            have_marks = 1;
        } else if (strncmp(arg, "regions=", 8) == 0 && parse_u64(arg + 8, &regions) == 0) {
        } else if (strncmp(arg, "out=", 4) == 0 && arg[4] != '\0') {
            s_out = arg + 4;
        } else {
            fprintf(stderr, "fwgen_regions: bad argument '%s' (marks=ADDR,regions=N,out=FILE)\n", arg);
            return -1;
        }
    }
    if (!have_marks || regions == 0u || regions > MAX_REGIONS || s_out == NULL) {
        fprintf(stderr, "fwgen_regions: need marks=ADDR, regions=1..%u and out=FILE\n", MAX_REGIONS);
        return -1;
    }
    s_marks_end = s_marks + 4u * regions;
    if (counter_open() != 0) {
        fprintf(stderr, "fwgen_regions: QEMU gave no scoreboard for the instruction counter\n");
        return -1;
    }
    REGISTER_TRANSLATE(id);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
