"""One `fwgen bench` measurement: build the firmware as shipped (sizes) and its bench build (region
markers), run the bench build on the board's QEMU twin with the counting plugin while a clip
streams over the link, and put the figures together (`BenchResult`)."""
from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

BENCH_CONFIG = "fwgen_bench_config.h"   # src/generated/: switches the markers on
DEFAULT_INFERENCES = 2
MAX_INFERENCES = 1000
CLIP_SEED = 2026              # the synthetic clip: Gaussian noise, this seed, RMS below
CLIP_RMS = 1000.0
_STACK_LOG = re.compile(r"^stack (\d+)/(\d+) bytes$")


@dataclass(frozen=True)
class OpCount:
    """One op of the inference: what it is and the instructions it executed, per inference."""
    index: int
    opcode: str
    label: str
    shape: str
    macs: int
    instructions: int
    peer: Any = None              # fwgen.bench.peer.PeerOp the peer measured for it, or None

    @property
    def per_mac(self) -> float | None:
        return self.instructions / self.macs if self.macs else None


@dataclass
class BenchResult:
    model: str
    sha256: str
    runtime: str
    board: Any                    # fwgen.boards.Board whose firmware was sized
    twin: Any                     # the emulator twin the bench build ran on
    clip: str
    macs: int
    arena_bytes: int
    weights_bytes: int
    inferences: int
    frames: int
    ops: list[OpCount]
    invoke_overhead: int          # per inference: the invoke's own instructions between ops
    frontend_kind: str
    window_ms: float
    frontend_total: int | None    # instructions of every frontend call; None: never marked
    stack_used: int | None
    stack_size: int | None
    sizes: Any                    # fwgen.project.size.SizeReport of the shipped firmware
    modules: list[Any]            # fwgen.bench.modules.ModuleSize rows
    peer: Any = None              # fwgen.bench.peer.PeerFigures, or None
    peer_frontend: tuple[str, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def inference(self) -> int:
        """Instructions of one inference: every op plus the invoke's own."""
        return sum(op.instructions for op in self.ops) + self.invoke_overhead

    @property
    def frontend_per_window(self) -> int | None:
        """None when the bench build never entered the frontend region: not measured, not 0."""
        if self.frontend_total is None or not self.frames:
            return None
        return round(self.frontend_total / self.frames)

    @property
    def arithmetic_limit(self) -> float:
        """MACs / 2: a dual 16-bit MAC (SMLAD) per instruction and nothing else."""
        return self.macs / 2

    def lines(self) -> list[str]:
        from fwgen.bench.report import result_lines

        return result_lines(self)

    def as_dict(self) -> dict:
        from fwgen.bench.report import result_dict

        return result_dict(self)


def synthetic_clip(n_samples: int) -> np.ndarray:
    """Seeded Gaussian noise, int16: the same clip on every machine."""
    rng = np.random.default_rng(CLIP_SEED)
    return np.clip(np.round(rng.normal(0.0, CLIP_RMS, n_samples)), -32768, 32767).astype(np.int16)


def _clip(deployment, clip: Path | None, inferences: int) -> tuple[np.ndarray, str]:
    frontend = deployment.frontend
    frames = deployment.n_frames + (inferences - 1) * deployment.stride
    if clip is None:
        n = frontend.window_samples(frames)
        return (synthetic_clip(n), f"{n} samples of synthetic noise (seed {CLIP_SEED}, RMS "
                                   f"{CLIP_RMS:g})")
    from fwgen.link import read_wav

    samples, rate = read_wav(clip)
    if rate != frontend.sample_rate:
        raise FwgenError(f"sampled at {rate} Hz, the model's frontend takes {frontend.sample_rate} Hz",
                         where=str(clip), hint="convert it (sox IN.wav -r RATE OUT.wav)")
    if samples.size < frontend.window_samples(deployment.n_frames):
        raise FwgenError(f"{samples.size} samples: too short for one inference "
                         f"({frontend.window_samples(deployment.n_frames)} samples)", where=str(clip))
    return samples, f"{clip} ({samples.size} samples)"


def bench_deployment(deployment):
    """The deployment's bench build: its files plus the header that turns the markers on."""
    from fwgen import render

    text = render.render("fwgen_bench_config.h.j2", banner=render.banner(
        f"{BENCH_CONFIG}, the bench build's switch", {"model sha256": deployment.source.sha256}))
    return replace(deployment, files={**deployment.files, BENCH_CONFIG: text})


def _stack(logs) -> tuple[int | None, int | None]:
    for log in logs:
        if (m := _STACK_LOG.match(log.text)) is not None:
            return int(m.group(1)), int(m.group(2))
    return None, None


def bench_model(model: str | Path, board, *, settings: Path | None = None, runtime: str = "aot",
                tflm_dir: Path | None = None,
                clip: Path | None = None, inferences: int = DEFAULT_INFERENCES,
                out: Path | None = None, timeout: float = 600.0,
                progress: Callable[[str], None] | None = None) -> BenchResult:
    """Measure `model` for `board` (a board with an emulator twin, or a twin). `out` keeps the
    two projects (default: a temporary folder, removed)."""
    from fwgen.bench.ops import OP_TABLES
    from fwgen.boards import twin_of
    from fwgen.runtime import RUNTIMES

    if not 1 <= inferences <= MAX_INFERENCES:
        raise FwgenError(f"must be 1..{MAX_INFERENCES}, got {inferences}", where="--inferences")
    if runtime not in RUNTIMES:
        raise FwgenError(f"unknown runtime {runtime!r}", where="--runtime",
                         hint=f"fwgen bench counts the ops of {', '.join(OP_TABLES)}")
    if runtime not in OP_TABLES:
        raise FwgenError(f"fwgen bench cannot count the ops of runtime {runtime!r} yet",
                         where="--runtime", hint=f"one of {', '.join(OP_TABLES)}")
    twin = twin_of(board)
    if out is not None:
        return _bench(model, board, twin, settings, runtime, clip, inferences, out, timeout, progress,
                      tflm_dir=tflm_dir)
    with tempfile.TemporaryDirectory(prefix="fwgen-bench-") as tmp:
        return _bench(model, board, twin, settings, runtime, clip, inferences, Path(tmp), timeout,
                      progress, tflm_dir=tflm_dir)


def _bench(model, board, twin, settings, runtime, clip, inferences, out: Path, timeout, progress,
           tflm_dir: Path | None = None):
    from fwgen.bench import peer as peers
    from fwgen.bench.modules import module_sizes
    from fwgen.bench.ops import op_table, regions
    from fwgen.bench import qemu_api
    from fwgen.bench.plugin import build_plugin, find_marks, plugin_args, read_counts
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.device import TwinDevice
    from fwgen.link import Output
    from fwgen.project.build import build_firmware
    from fwgen.runners.qemu import qemu_version
    from fwgen.zoo import resolve_model

    say = progress or (lambda text: None)
    source = resolve_model(model, settings)
    deployment = prepare(source, DeployOptions(runtime=runtime, tflm_dir=tflm_dir))
    ops = op_table(runtime, deployment)
    samples, clip_text = _clip(deployment, clip, inferences)
    version = qemu_version()            # asked once: the plugin's API, the progress line, errors
    api = qemu_api.plugin_api(version)
    plugin = build_plugin(api)

    say(f"building {source.name} for {board.id} (as shipped, for its sizes) in {out / 'firmware'}")
    shipped = build_firmware(deployment, board, out / "firmware", include_twin=False, envs=(board.id,))
    say(f"building the bench build for {twin.id} in {out / 'bench'}")
    bench = build_firmware(bench_deployment(deployment), twin, out / "bench", include_twin=False,
                           envs=(twin.id,))
    elf = bench.elf(twin.id)
    marks = find_marks(elf)
    r = regions()
    if marks.regions != r["OP0"] + len(ops):
        raise FwgenError(f"the bench build marks {marks.regions - r['OP0']} ops, the model has "
                         f"{len(ops)}", where=str(elf))
    counts_file = out / "regions.txt"
    counts_file.unlink(missing_ok=True)
    say(f"running it on QEMU {qemu_api.version_text(version)} {twin.qemu_machine} with the "
        f"counting plugin (API {api}): {clip_text}")
    try:
        with TwinDevice(elf, twin, qemu_args=tuple(plugin_args(plugin, marks, counts_file))) as device:
            result = device.stream(samples, outputs=int(Output.DETECTIONS | Output.LOG),
                                   timeout=timeout)
    except FwgenError as exc:     # QEMU refusing the plugin: say which QEMU, which API
        refused = qemu_api.refusal(exc.message, version, api)
        if refused is None:
            raise
        raise refused from None
    counts = read_counts(counts_file)
    if result.errors:
        raise FwgenError(f"the firmware reported an error during the bench run: {result.errors[0]}")
    stats = result.stats
    if stats is None or stats.inferences == 0:
        raise FwgenError("the firmware ran no inference on the clip", hint="give a longer --clip")
    invokes = counts.entered(r["INVOKE"])
    if invokes != stats.inferences:
        raise FwgenError(f"the plugin counted {invokes} invokes, the firmware reported "
                         f"{stats.inferences} inferences", where=str(elf))

    def per_inference(region: int) -> int:
        return round(counts.of(region) / invokes)

    peer = peers.find_peer((source.name, source.path.name), twin.core)
    theirs = peers.match_ops([(op.opcode, op.macs) for op in ops], peer.ops) if peer else [None] * len(ops)
    op_counts = [OpCount(index=op.index, opcode=op.opcode, label=op.label, shape=op.shape,
                         macs=op.macs, instructions=per_inference(r["OP0"] + op.index), peer=p)
                 for op, p in zip(ops, theirs)]
    frontend = deployment.frontend
    stack_used, stack_size = _stack(result.logs)
    notes = []
    frontend_total = counts.of(r["FRONTEND"]) if counts.entered(r["FRONTEND"]) else None
    if frontend_total is None:
        notes.append("the firmware's app marks no frontend region (FWGEN_BENCH_MARK around the "
                     "frontend call in firmware/app/pipeline.c): frontend instructions are not "
                     "counted")
    if not peers.available():
        notes.append(peers.peer_note())
    elif peer is None:
        notes.append(f"{peers.peers_path().name} holds no {peers.PEER_NAME} figures for "
                     f"{source.name} on {twin.core}")
    return BenchResult(
        model=source.name, sha256=source.sha256, runtime=runtime, board=board, twin=twin,
        clip=clip_text, macs=deployment.compiled.macs, arena_bytes=deployment.compiled.arena_bytes,
        weights_bytes=deployment.compiled.weights_bytes, inferences=stats.inferences,
        frames=stats.frames, ops=op_counts, invoke_overhead=per_inference(r["INVOKE"]),
        frontend_kind=frontend.kind, window_ms=frontend.window_size * 1000 / frontend.sample_rate,
        frontend_total=frontend_total, stack_used=stack_used, stack_size=stack_size,
        sizes=shipped.sizes[board.id],
        modules=module_sizes(shipped.elf(board.id), shipped.elf(board.id).parent),
        peer=peer, peer_frontend=peers.peer_frontend(frontend.kind, twin.core), notes=notes)
