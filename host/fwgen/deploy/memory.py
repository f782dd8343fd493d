"""The firmware app's RAM, sized from what one build needs: audio source, frame sizes, the link's
flow-control window and the largest message each way. Computed here, rendered as defines
(templates/fwgen_memory.h.j2, one header per environment), reported by buffer.

    plan = plan_memory(deployment, board)      # or plan_memory(facts, board, port_facts)
    plan.defines()                             # [(name, value, comment)] for fwgen_memory.h
    plan.rows()                                # [(buffer, bytes, why)] for the build report

Why each size is what it is (the protocol rules are firmware/link/link.h's CONVERSATION):
  * link audio: the host keeps at most `audio_window` samples in flight (sent - consumed) and
    sends what fits once a quarter of the window is free, so at most
    ceil(window / min(chunk, window / 4)) + 1 AUDIO frames are in flight. The app feeds each
    AUDIO frame to the frontend as it is decoded (no audio ring): what is in flight waits in
    the UART's receive ring, as encoded bytes, with a few control frames beside it.
  * a port that reads its UART directly (the MPS2 twins: the emulator's UART blocks the host
    until the guest reads) has no receive ring.
  * microphone: the ISR fills a sample ring that the main loop drains; while one inference
    interval's work runs (at most one interval, or the board cannot keep up at all) the
    microphone delivers at most that interval's samples.
  * feature window: the model input itself, kept alive by the memory plan (the window lives in
    the arena) unless the frontend's dynamic int8 scaling needs the whole uint16 window.
  * transmit frame: the largest message the device sends (HELLO with the class names, FEATURES,
    LOGITS, STATS, LOG and ERROR texts up to TEXT_ROOM bytes).
The stack is sized by the build from the compiled call graph (fwgen.project.stack).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fwgen.deploy.options import AUDIO_SOURCES
from fwgen.errors import FwgenError
from fwgen.link.messages import (MESSAGES, Audio, Direction, ErrorReport, Features, Hello, Log,
                                 Logits)

# Largest AUDIO the device accepts, samples: 6.2 % wire overhead (benchmarks/link_throughput.txt)
# for a 270-byte receive frame; larger chunks buy 3 % of wire time for hundreds of bytes of RAM.
LINK_CHUNK_SAMPLES = 128
# Flow-control window, in frontend hops: the protocol's least (link.h), since the app consumes
# whatever arrives (the frontend keeps partial windows); 640 samples (40 ms at 16 kHz) still
# stream 4.9x real time over a 28 KiB/s link (benchmarks/link_throughput.txt).
LINK_WINDOW_HOPS = 2
# Control frames (PING, CONFIG, RESET, END, an empty AUDIO poll) that may wait beside the audio.
CONTROL_FRAMES = 4
# Room for the text of a LOG or ERROR the firmware sends (LOG texts are cut to fit; every ERROR
# text in firmware/ is shorter, tests/unit/test_memory_plan.py checks it).
TEXT_ROOM = 80
# HELLO's class names go out only up to this many bytes (longer lists are sent empty: the host
# takes the names from the model's metadata).
CLASS_NAMES_ROOM = 512
# Samples the main loop reads from the microphone ring per call (a stack array in main()): 1 ms
# at 16 kHz; both the ring (one read beyond an interval) and the stack grow with it.
MIC_READ_SAMPLES = 16
HEADER_SIZE, CRC_SIZE = 6, 4


def frame_size(payload: int) -> int:
    """Decoded frame bytes (header, payload, CRC): FWGEN_LINK_FRAME_SIZE."""
    return HEADER_SIZE + payload + CRC_SIZE


def encoded_size(payload: int) -> int:
    """Worst-case wire bytes of one frame (COBS codes, delimiter): FWGEN_LINK_ENCODED_SIZE."""
    f = frame_size(payload)
    return f + f // 254 + 2


@dataclass(frozen=True)
class AppFacts:
    """What the sizing needs to know about a deployment (board-independent)."""
    audio_source: str                 # a key of fwgen.deploy.options.AUDIO_SOURCES
    sample_rate: int
    window_step: int                  # samples per frame (hop)
    n_channels: int
    n_frames: int
    stride: int
    feature_bytes: int                # bytes per feature value on the link (2 uint16, 1 int8)
    dynamic_scale: bool               # microfrontend int8 by dynamic range: uint16 window kept
    n_classes: int
    class_names: tuple[str, ...]
    audio_window: int | None = None   # the user's flow-control window, samples (None: ours)
    window_in_arena: bool = False     # the model's inputs are kept (compile_model keep_inputs)
    frontend_in_arena: bool = False   # the frontend scratch is the arena's idle bytes

    @classmethod
    def of(cls, deployment) -> "AppFacts":
        fe = deployment.frontend
        return cls(audio_source=deployment.options.audio_source, sample_rate=fe.sample_rate,
                   window_step=fe.window_step, n_channels=fe.n_channels,
                   n_frames=deployment.n_frames, stride=deployment.stride,
                   feature_bytes=2 if fe.feature_dtype == 0 else 1,
                   dynamic_scale=window_needs_uint16(fe), n_classes=len(deployment.classes),
                   class_names=tuple(deployment.classes),
                   audio_window=deployment.options.audio_window,
                   window_in_arena=bool(getattr(deployment.compiled, "inputs_kept", False)),
                   frontend_in_arena=bool(getattr(deployment.compiled, "idle_bytes", 0)))


def window_needs_uint16(frontend) -> bool:
    """The microfrontend's dynamic int8 scaling spans the whole uint16 window, so that window is
    kept apart from the model input; every other frontend writes int8 frames straight into it."""
    return frontend.kind != "logmel" and bool(frontend.settings.quantize_dynamic_scale_enable)


def frontend_scratch(frontend) -> int:
    """Bytes of the microfrontend's state that one frame uses and no later frame reads: the app
    puts them in the model arena's idle bytes (compile_model idle_scratch). 0 for log-mel."""
    if frontend.kind == "logmel":
        return 0
    from fwgen.frontend.tables import compute_tables

    return compute_tables(frontend.settings).scratch_size()


@dataclass(frozen=True)
class MemoryPlan:
    """The app's buffer sizes for one environment."""
    board: str
    audio_source: str          # what this environment runs (mic without a driver: link)
    audio_window: int          # link flow-control window, samples (0: no audio over the link)
    rx_payload: int            # largest payload received (HELLO.rx_max_payload)
    tx_payload: int            # largest payload sent
    uart_ring: int             # bytes (0: the port reads its UART directly)
    mic_ring: int              # samples (0: no microphone driver compiled in)
    mic_read: int              # samples per microphone read
    window_in_arena: bool      # the feature window is the model input in the arena
    frontend_in_arena: bool    # the frontend's per-frame scratch is the arena's idle bytes
    window_bytes: int          # a feature window outside the arena (0 when in it)

    def defines(self) -> list[tuple[str, str, str]]:
        return [
            ("FWGEN_APP_AUDIO_WINDOW", f"{self.audio_window}u",
             "link flow-control window, samples (HELLO.audio_window); overridable"),
            ("FWGEN_APP_LINK_RX_PAYLOAD", f"{self.rx_payload}u",
             "largest payload received, bytes (HELLO.rx_max_payload)"),
            ("FWGEN_APP_LINK_TX_PAYLOAD", f"{self.tx_payload}u", "largest payload sent, bytes"),
            ("FWGEN_APP_MIC_READ_SAMPLES", f"{self.mic_read}u", "samples per microphone read"),
            ("FWGEN_APP_WINDOW_IN_ARENA", str(int(self.window_in_arena)),
             "feature window = the model input, kept by the memory plan"),
            ("FWGEN_APP_FRONTEND_IN_ARENA", str(int(self.frontend_in_arena)),
             "frontend scratch = the arena's bytes free between invokes"),
            ("FWGEN_PORT_MIC_RING_SAMPLES", f"{self.mic_ring}u",
             "microphone ring, samples (0: no microphone driver)"),
        ]

    def uart_ring_define(self) -> tuple[str, str, str]:
        """The receive ring, tied to an overridden window: 2 bytes per sample plus the frame
        overhead this plan computed."""
        overhead = self.uart_ring - 2 * self.audio_window
        return ("FWGEN_PORT_RX_RING_BYTES",
                f"(FWGEN_APP_AUDIO_WINDOW * 2u + {overhead}u)" if self.uart_ring else "0u",
                "UART receive ring, bytes: the window's audio as encoded frames + control frames")

    def rows(self) -> list[tuple[str, int, str]]:
        """Buffers this plan sizes: (what, bytes, why)."""
        out = [("link rx frame", frame_size(self.rx_payload),
                f"largest payload received, {self.rx_payload} B"),
               ("link tx frame", encoded_size(self.tx_payload),
                f"largest payload sent, {self.tx_payload} B, COBS-encoded")]
        if self.uart_ring:
            out.append(("UART ring", self.uart_ring,
                        f"{self.audio_window}-sample window in flight + {CONTROL_FRAMES} control frames"))
        if self.mic_ring:
            out.append(("mic ring", 2 * self.mic_ring, f"{self.mic_ring} samples: one inference interval"))
        if self.window_bytes:
            out.append(("feature window", self.window_bytes, "frames kept apart from the model input"))
        return out


def _fixed(cls) -> int:
    return cls.SPEC.fixed_size


def tx_payload(facts: AppFacts) -> int:
    """The largest payload the device sends, from the message layouts (fwgen.link.messages)."""
    names = len("\n".join(facts.class_names).encode("utf-8"))
    fixed_only = max(s.fixed_size for s in MESSAGES.values() if s.direction != Direction.TO_DEVICE
                     and s.tail_kind is None)
    return max(fixed_only,
               _fixed(Hello) + (names if names <= CLASS_NAMES_ROOM else 0),
               _fixed(Features) + facts.n_channels * facts.feature_bytes,
               _fixed(Logits) + facts.n_classes,
               _fixed(Log) + TEXT_ROOM, _fixed(ErrorReport) + TEXT_ROOM)


def control_payload() -> int:
    """The largest fixed part of a message the device receives (AUDIO carries a tail)."""
    return max(s.fixed_size for s in MESSAGES.values() if s.direction != Direction.TO_HOST)


def link_window(facts: AppFacts) -> int:
    """The flow-control window, samples: the user's, or ours; at least two hops (link.h)."""
    least = LINK_WINDOW_HOPS * facts.window_step
    window = facts.audio_window if facts.audio_window is not None else least
    if facts.audio_window is not None and window < least:
        raise FwgenError(f"an audio window of {window} samples is below two frontend hops "
                         f"({least})", where="audio_window",
                         hint=f"use at least {least} samples: the host sends a quarter of it at a time")
    return window


def uart_ring_bytes(window: int, chunk: int, control: int) -> int:
    """Encoded bytes that may wait in the receive ring: the window's audio, as the fewest-sample
    frames the host sends (a quarter of the window, or a chunk) plus one shorter, and control."""
    smallest = max(1, min(chunk, window // 4))
    frames = math.ceil(window / smallest) + 1
    audio = 2 * window + frames * (encoded_size(_fixed(Audio) + 2 * chunk) - 2 * chunk)
    total = audio + CONTROL_FRAMES * encoded_size(control)
    return (total + 3) // 4 * 4


def plan_memory(facts: AppFacts, board, *, uart_rx_ring: bool, mic_driver: bool) -> MemoryPlan:
    """The buffer sizes for `board`. `uart_rx_ring`: the port buffers UART bytes in a ring (its
    port.yaml); `mic_driver`: the port drives the board's microphone."""
    if facts.audio_source not in AUDIO_SOURCES:
        raise FwgenError(f"unknown audio source {facts.audio_source!r}", where="--audio")
    mic = facts.audio_source == "mic" and mic_driver and board.microphone is not None
    # every other source (a clip at boot, a twin's semihosted file) serves the link as well
    source = "mic" if mic else ("link" if facts.audio_source == "mic" else facts.audio_source)
    control = control_payload()
    if mic:
        window, rx = 0, control
        ring = CONTROL_FRAMES * encoded_size(control) if uart_rx_ring else 0
        interval = facts.stride * facts.window_step
        mic_ring = interval + MIC_READ_SAMPLES
    else:
        window = link_window(facts)
        chunk = min(LINK_CHUNK_SAMPLES, window)
        rx = max(control, _fixed(Audio) + 2 * chunk)
        ring = uart_ring_bytes(window, chunk, control) if uart_rx_ring else 0
        mic_ring = 0
    in_arena = facts.window_in_arena
    # outside the arena: the ring of frames (uint16 for the microfrontend), plus the linear copy
    # dynamic scaling converts
    per_value = 2 if facts.feature_bytes == 2 else 1
    window_bytes = 0 if in_arena else (
        facts.n_frames * facts.n_channels * per_value * (2 if facts.dynamic_scale else 1))
    return MemoryPlan(board=board.id, audio_source=source, audio_window=window, rx_payload=rx,
                      tx_payload=tx_payload(facts), uart_ring=(ring + 3) // 4 * 4,
                      mic_ring=mic_ring, mic_read=MIC_READ_SAMPLES,
                      window_in_arena=in_arena, frontend_in_arena=facts.frontend_in_arena,
                      window_bytes=window_bytes)
