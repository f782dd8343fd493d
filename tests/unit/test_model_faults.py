"""Fault injection in the suite (issue 14): mutated models into `fwgen validate` and `fwgen build
--render-only`, a fixed seed, a few hundred cases per run; benchmarks/model_faults.py runs
thousands of the same kind and commits the figures.

Target: no traceback, no crash (a signal), no hang, no file left behind, and every error names
the model's file. The cases run in worker processes (tests/unit/fault_injection.py), so a crash
is caught as a signal instead of ending the test run. mn04_tagger (121 ops, ~20 s per accepted
`validate`) is left to the benchmark to keep this under a minute.
"""
from __future__ import annotations

import pytest

import fault_injection as fi
from fwgen.compiler import compile_model
from fwgen.errors import FwgenError

SEED = 14
SEEDS = ("micro_speech", "yamnet_256", "shared/micro_speech_quantized",
         "shared/audio_preprocessor_int8")


@pytest.fixture(scope="module")
def seeds():
    found, skipped = fi.seed_models(names=SEEDS)
    for reason in skipped:
        print(reason)   # ../shared absent: the zoo models alone
    if not found:
        pytest.skip("no seed models")
    return found


def _report(summary: fi.Summary) -> str:
    lines = [f"{o.verb} {o.status}: {o.case.label}\n    "
             f"{(o.traceback or o.stderr or '').strip().splitlines()[-1:]}"
             + (f" leftovers {o.leftovers}" if o.leftovers else "")
             for o in summary.failures()[:20]]
    return "\n".join([str(summary.figures())] + lines)


def test_mutated_models_into_validate_and_build(seeds):
    cases = list(fi.cases(seeds, 120, seed=SEED, weights={"yamnet_256": 0.5}))
    summary = fi.run_cases(cases, fi.VERBS, workers=2, timeout=120)
    figures = summary.figures()
    assert figures["cases"] == 240
    # no traceback, crash, hang or leftover, and every error names the model's file
    assert not summary.failures(), _report(summary)
    # the fuzzer reaches both outcomes: models rejected with an error, and models accepted
    assert figures["exit codes"].get("exit 0", 0) > 20 and figures["exit codes"].get("exit 2", 0) > 100


def test_every_compile_error_names_the_file_and_has_a_hint(seeds):
    # in-process and cheap: many more mutants straight into the compiler
    for case in fi.cases(seeds, 400, seed=SEED + 1):
        try:
            compile_model(case.data, where="mutant.tflite")
        except FwgenError as exc:
            assert str(exc).startswith("mutant.tflite: "), (case.label, str(exc))
            assert exc.hint, (case.label, str(exc))


@pytest.mark.parametrize("sig, status", [("SIGSEGV", "signal SIGSEGV"), ("SIGSTOP", "hang")])
def test_the_runner_records_a_crash_and_a_hang(seeds, tmp_path, sig, status):
    # the runner itself: a worker killed by a signal mid-case, and one that stops answering
    import os
    import signal
    import threading

    seed = next(s for s in seeds if s.name == "micro_speech")
    case = fi.Case(seed, "bytes", "unchanged", seed.data)   # validate takes about a second
    worker = fi.Worker(tmp_path / "w")
    try:
        assert worker.run(case, "build", timeout=60).rc == 0          # the worker is up
        timer = threading.Timer(0.3, lambda: os.kill(worker.proc.pid, getattr(signal, sig)))
        timer.start()
        outcome = worker.run(case, "validate", timeout=5)
        timer.join()
        assert outcome.status == status and outcome.rc is None
        assert outcome in fi.Summary([outcome]).failures()
        assert worker.run(case, "build", timeout=60).rc == 0          # a fresh worker took over
    finally:
        worker.stop()
