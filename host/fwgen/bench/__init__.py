"""`fwgen bench` as a library: exact executed instructions per op, per inference and per frontend
window on a board's QEMU twin, flash and RAM by section and by module, beside the peer's figures.

May import boards, compiler, tflite, runtime, deploy, project, device, link, runners and zoo;
nothing imports it but cli/.

    result = bench_model("micro_speech", get_board("mps2_an505"))
    result.lines(), result.as_dict()

How it counts: the bench build of the firmware (-DFWGEN_BENCH_OPS, firmware/common/fwgen_bench.h)
stores to one marker word per region (the frontend, the invoke, each op); a QEMU TCG plugin
(plugin/fwgen_regions.c, compiled with the host's gcc on first use: `fwgen.bench.plugin`) counts
every executed instruction and closes a region at each marker store. Sizes come from the ELF of
the firmware as shipped (no markers). Instructions are not cycles: the emulator gives no latency.
"""
from fwgen.bench.measure import DEFAULT_INFERENCES, BenchResult, OpCount, bench_model
from fwgen.bench.plugin import build_plugin

__all__ = ["BenchResult", "DEFAULT_INFERENCES", "OpCount", "bench_model", "build_plugin"]
