"""The link protocol's messages: the one definition both ends are built from.

Every message is a frozen dataclass whose fields carry their wire type in metadata
(`u8`, `u16`, `u32`, `u64`, `i8`, `i16`, `i32`, fixed byte arrays, fixed strings) and, optionally,
a variable-length *tail* (raw bytes, int8 values, int16 PCM or UTF-8 text) after the fixed part.
All integers are little-endian and packed without padding, in declaration order.

This module is the single source of truth: Python packs and unpacks with `struct` formats
computed from it, and `fwgen.link.header` renders the same table into the C header
`firmware/link/link_protocol.h` (type ids, sizes, offsets, structs, pack/unpack functions).
A unit test fails when the committed header differs from a fresh render.
"""
from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from fwgen.errors import FwgenError

#: Bumped on any incompatible change to the frame format or a payload layout.
PROTOCOL_VERSION = 1


class Direction(enum.IntEnum):
    """Who may send a message: the receiver's decoder rejects the other direction."""

    TO_DEVICE = 1
    TO_HOST = 2
    BOTH = 3


class Output(enum.IntFlag):
    """CONFIG.outputs bits: which optional results the device streams back."""

    FEATURES = 0x01
    LOGITS = 0x02
    DETECTIONS = 0x04
    LOG = 0x08


class AudioSource(enum.IntEnum):
    """HELLO.audio_source: where the firmware takes its audio from."""

    LINK = 0
    CLIP = 1
    MIC = 2
    SEMIHOST = 3     # twins: the link, or a file on the emulator's host (semihosting)


class FeatureDtype(enum.IntEnum):
    """HELLO.feature_dtype / FEATURES.dtype: element type of feature values."""

    UINT16 = 0
    INT8 = 1


class CycleUnit(enum.IntEnum):
    """STATS.cycle_unit / HELLO.cycle_unit: what the per-stage counters count."""

    NONE = 0          # no counter on this target
    CYCLES = 1        # core clock cycles (DWT CYCCNT)
    INSTRUCTIONS = 2  # retired instructions (QEMU -icount): for comparisons, not latency


class LogLevel(enum.IntEnum):
    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3


# --- wire types -------------------------------------------------------------------------------

@dataclass(frozen=True)
class WireType:
    """How one fixed field is stored: struct code, C type, size."""

    name: str
    struct_code: str
    c_type: str
    size: int
    length: int = 0          # > 0: fixed array of `length` bytes (bytes or NUL-padded str)
    text: bool = False       # str field (UTF-8, NUL-padded)


_SCALARS = {
    "u8": WireType("u8", "B", "uint8_t", 1),
    "u16": WireType("u16", "H", "uint16_t", 2),
    "u32": WireType("u32", "I", "uint32_t", 4),
    "u64": WireType("u64", "Q", "uint64_t", 8),
    "i8": WireType("i8", "b", "int8_t", 1),
    "i16": WireType("i16", "h", "int16_t", 2),
    "i32": WireType("i32", "i", "int32_t", 4),
}


def _wire(kind: str, doc: str, default: Any = dataclasses.MISSING) -> Any:
    if kind in _SCALARS:
        wire = _SCALARS[kind]
    elif kind.startswith("bytes"):
        n = int(kind[5:])
        wire = WireType(kind, f"{n}s", "uint8_t", n, length=n)
    elif kind.startswith("str"):
        n = int(kind[3:])
        wire = WireType(kind, f"{n}s", "char", n, length=n, text=True)
    else:  # pragma: no cover - programming error in this module
        raise ValueError(kind)
    return field(default=default, metadata={"wire": wire, "doc": doc})


def u8(doc: str) -> Any: return _wire("u8", doc)
def u16(doc: str) -> Any: return _wire("u16", doc)
def u32(doc: str) -> Any: return _wire("u32", doc)
def u64(doc: str) -> Any: return _wire("u64", doc)
def fixed_bytes(n: int, doc: str) -> Any: return _wire(f"bytes{n}", doc)
def fixed_str(n: int, doc: str) -> Any: return _wire(f"str{n}", doc)


class TailKind(enum.Enum):
    """Variable-length part after the fixed fields; its length is what the frame has left."""

    BYTES = "bytes"   # bytes, any length
    PCM16 = "pcm16"   # bytes holding little-endian int16 samples (length even)
    INT8 = "int8"     # tuple[int, ...] of int8 values
    TEXT = "text"     # str, UTF-8

    @property
    def unit(self) -> int:
        return 2 if self is TailKind.PCM16 else 1


def tail(kind: TailKind, doc: str) -> Any:
    default: Any = {"bytes": b"", "pcm16": b"", "int8": (), "text": ""}[kind.value]
    return field(default=default, metadata={"tail": kind, "doc": doc})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    wire: WireType
    offset: int
    doc: str


@dataclass(frozen=True)
class MessageSpec:
    """Layout of one message type, computed once from its dataclass."""

    type_id: int
    name: str                  # protocol name, upper case: "HELLO"
    direction: Direction
    doc: str
    fields: tuple[FieldSpec, ...]
    fixed_size: int
    struct_format: str
    tail_name: str | None
    tail_kind: TailKind | None
    tail_doc: str
    cls: type

    @property
    def tail_unit(self) -> int:
        """0: no tail allowed; else the tail length must be a multiple of this."""
        return self.tail_kind.unit if self.tail_kind else 0


MESSAGES: dict[int, MessageSpec] = {}
_BY_CLASS: dict[type, MessageSpec] = {}


def message(type_id: int, name: str, direction: Direction):
    """Class decorator: register a dataclass as message `name` with wire id `type_id`."""

    def wrap(cls: type) -> type:
        if not dataclasses.is_dataclass(cls):  # pragma: no cover - programming error
            raise TypeError(f"{cls.__name__}: put @message above @dataclass(frozen=True)")
        fields: list[FieldSpec] = []
        tail_name = tail_kind = None
        tail_doc = ""
        offset = 0
        for f in dataclasses.fields(cls):
            if "tail" in f.metadata:
                tail_name, tail_kind, tail_doc = f.name, f.metadata["tail"], f.metadata["doc"]
                continue
            if tail_name is not None:  # pragma: no cover - programming error in this module
                raise ValueError(f"{cls.__name__}: the tail must be the last field")
            wire = f.metadata["wire"]
            fields.append(FieldSpec(f.name, wire, offset, f.metadata["doc"]))
            offset += wire.size
        if type_id in MESSAGES or not 0 < type_id < 256:  # pragma: no cover
            raise ValueError(f"bad or duplicate message id {type_id:#x}")
        doc = " ".join((cls.__doc__ or "").split())
        spec = MessageSpec(type_id, name, direction, doc, tuple(fields), offset,
                           "<" + "".join(fs.wire.struct_code for fs in fields),
                           tail_name, tail_kind, tail_doc, cls)
        MESSAGES[type_id] = spec
        _BY_CLASS[cls] = spec
        cls.SPEC = spec
        return cls

    return wrap


class Message:
    """Base of all messages (for type hints): every subclass has a class attribute SPEC."""

    SPEC: ClassVar[MessageSpec]


# --- the messages -----------------------------------------------------------------------------

@message(0x01, "HELLO", Direction.TO_HOST)
@dataclass(frozen=True)
class Hello(Message):
    """Device -> host, at boot and after RESET: who the device is and how it processes audio."""

    fw_major: int = u8("firmware version, major")
    fw_minor: int = u8("firmware version, minor")
    fw_patch: int = u8("firmware version, patch")
    audio_source: int = u8("AudioSource: 0 link, 1 compiled-in clip, 2 microphone, 3 semihost file (twins)")
    abi: int = u16("FWGEN_ABI the firmware library was built with")
    rx_max_payload: int = u16("largest payload the device accepts, bytes (host must not exceed)")
    audio_window: int = u32("flow-control window: samples the host may have in flight")
    model_hash: bytes = fixed_bytes(8, "first 8 bytes of the SHA-256 of the model flatbuffer")
    board: str = fixed_str(24, "board id, UTF-8, NUL-padded")
    sample_rate: int = u32("audio sample rate, Hz")
    window_samples: int = u16("frontend window, samples")
    hop_samples: int = u16("frontend hop between feature frames, samples")
    n_channels: int = u16("feature values per frame")
    n_frames: int = u16("feature frames per inference window")
    stride_frames: int = u16("an inference runs every stride_frames frames (build default)")
    n_classes: int = u16("model outputs")
    feature_dtype: int = u8("FeatureDtype of FEATURES values: 0 uint16, 1 int8")
    cycle_unit: int = u8("CycleUnit of STATS counters: 0 none, 1 cycles, 2 instructions")
    class_names: str = tail(TailKind.TEXT, "class names, '\\n'-separated; empty if too long "
                            "(host uses model metadata)")


@message(0x02, "AUDIO", Direction.TO_DEVICE)
@dataclass(frozen=True)
class Audio(Message):
    """Host -> device: a chunk of int16 PCM. An empty chunk asks for a CREDIT at once."""

    offset: int = u32("stream position of the first sample (samples since stream start)")
    pcm: bytes = tail(TailKind.PCM16, "int16 little-endian samples")

    @classmethod
    def from_samples(cls, offset: int, samples: Any) -> "Audio":
        return cls(offset, np.asarray(samples, dtype="<i2").tobytes())

    @property
    def samples(self) -> np.ndarray:
        return np.frombuffer(self.pcm, dtype="<i2").astype(np.int16)


@message(0x03, "CREDIT", Direction.TO_HOST)
@dataclass(frozen=True)
class Credit(Message):
    """Device -> host: flow control. Host may send while sent - consumed <= HELLO.audio_window."""

    consumed: int = u32("samples freed from the device's buffer (processed + lost), total")
    received: int = u32("stream position after the newest audio received")
    lost: int = u32("samples never received (gaps in AUDIO offsets), total")


@message(0x04, "CONFIG", Direction.TO_DEVICE)
@dataclass(frozen=True)
class Config(Message):
    """Host -> device: the outputs to stream and the inference stride, both set by each CONFIG;
    values the build cannot do are refused with an ERROR naming the field."""

    outputs: int = u8("Output bits: 1 FEATURES, 2 LOGITS, 4 DETECTIONS, 8 LOG; others refused")
    stride_frames: int = u16("run inference every N feature frames; 0: the build's default")


@message(0x05, "FEATURES", Direction.TO_HOST)
@dataclass(frozen=True)
class Features(Message):
    """Device -> host: one frontend output frame."""

    frame_index: int = u32("feature frame number since stream start")
    dtype: int = u8("FeatureDtype: 0 uint16 little-endian, 1 int8")
    data: bytes = tail(TailKind.BYTES, "n_channels values of dtype")

    @property
    def values(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype="<u2" if self.dtype == FeatureDtype.UINT16
                             else np.int8).copy()


@message(0x06, "LOGITS", Direction.TO_HOST)
@dataclass(frozen=True)
class Logits(Message):
    """Device -> host: the raw int8 model outputs of one inference."""

    inference_index: int = u32("inference number since stream start")
    frame_index: int = u32("newest feature frame in the inference window")
    values: tuple[int, ...] = tail(TailKind.INT8, "n_classes int8 outputs")


@message(0x07, "DETECTION", Direction.TO_HOST)
@dataclass(frozen=True)
class Detection(Message):
    """Device -> host: the detector fired."""

    inference_index: int = u32("inference that triggered")
    frame_index: int = u32("newest feature frame of that inference")
    time_ms: int = u32("stream time of that frame's end, milliseconds")
    class_index: int = u16("detected class")
    score: int = u8("smoothed score, 0..255")


@message(0x08, "STATS", Direction.TO_HOST)
@dataclass(frozen=True)
class Stats(Message):
    """Device -> host, at END: pipeline and audio counters since the stream started (RESET);
    rx_* counters since boot."""

    audio_samples: int = u32("samples processed by the frontend")
    frames: int = u32("feature frames produced")
    inferences: int = u32("inferences run")
    detections: int = u32("detections reported")
    rx_frames: int = u32("valid frames received")
    rx_crc_errors: int = u32("frames dropped: CRC mismatch")
    rx_format_errors: int = u32("frames dropped: bad COBS, too short, bad length for the type")
    rx_overflows: int = u32("frames dropped: longer than the receive buffer")
    rx_rejected: int = u32("frames dropped: wrong version, unknown type or wrong direction")
    audio_lost: int = u32("samples lost in transit (gaps in AUDIO offsets)")
    audio_overruns: int = u32("AUDIO frames dropped: host exceeded the window or out of order")
    frontend_cycles: int = u64("frontend total, in cycle_unit")
    inference_cycles: int = u64("inference total, in cycle_unit")
    detect_cycles: int = u64("detector total, in cycle_unit")
    inference_cycles_max: int = u32("longest single inference, in cycle_unit")
    cycle_unit: int = u8("CycleUnit: 0 none, 1 cycles, 2 instructions")
    uptime_ms: int = u32("milliseconds since boot (0 if the target has no clock)")


@message(0x09, "LOG", Direction.TO_HOST)
@dataclass(frozen=True)
class Log(Message):
    """Device -> host: a line of text."""

    level: int = u8("LogLevel: 0 debug, 1 info, 2 warning, 3 error")
    text: str = tail(TailKind.TEXT, "UTF-8 text, no terminator")


@message(0x0A, "END", Direction.BOTH)
@dataclass(frozen=True)
class End(Message):
    """Host -> device: the stream ended (device flushes, sends STATS, then END back)."""

    total_samples: int = u32("stream length in samples (device counts a missing tail as lost)")


@message(0x0B, "ERROR", Direction.TO_HOST)
@dataclass(frozen=True)
class ErrorReport(Message):
    """Device -> host: something failed; `status` is a fwgen_status_t."""

    status: int = u8("fwgen_status_t value")
    cause_type: int = u8("type id of the message that caused it, 0 if none")
    detail: int = u32("context (e.g. the offending value)")
    text: str = tail(TailKind.TEXT, "optional explanation, UTF-8")


@message(0x0C, "PING", Direction.TO_DEVICE)
@dataclass(frozen=True)
class Ping(Message):
    """Host -> device: answered by PONG once everything sent before it is handled."""

    token: int = u32("echoed in PONG")


@message(0x0D, "PONG", Direction.TO_HOST)
@dataclass(frozen=True)
class Pong(Message):
    """Device -> host: answer to PING."""

    token: int = u32("the PING's token")


@message(0x0E, "RESET", Direction.TO_DEVICE)
@dataclass(frozen=True)
class Reset(Message):
    """Host -> device: restart the stream, every default restored (outputs, stride, frontend,
    detector, audio, counters); device answers HELLO."""


# --- packing ----------------------------------------------------------------------------------

def spec_of(msg: Message | type) -> MessageSpec:
    cls = msg if isinstance(msg, type) else type(msg)
    return _BY_CLASS[cls]


def pack_payload(msg: Message) -> bytes:
    """The payload bytes of `msg` (fixed fields, then its tail)."""
    spec = spec_of(msg)
    values = []
    for fs in spec.fields:
        value = getattr(msg, fs.name)
        if fs.wire.text:
            raw = str(value).encode("utf-8")
            if len(raw) > fs.wire.length:
                raise FwgenError(f"{spec.name}.{fs.name} is longer than {fs.wire.length} bytes",
                                 where=repr(value))
            value = raw
        elif fs.wire.length:
            value = bytes(value)
            if len(value) != fs.wire.length:
                raise FwgenError(f"{spec.name}.{fs.name} must be {fs.wire.length} bytes")
        values.append(value)
    try:
        head = struct.pack(spec.struct_format, *values)
    except struct.error as exc:
        raise FwgenError(f"{spec.name}: a field is out of range: {exc}") from None
    if spec.tail_kind is None:
        return head
    data = getattr(msg, spec.tail_name)
    if spec.tail_kind is TailKind.TEXT:
        data = data.encode("utf-8")
    elif spec.tail_kind is TailKind.INT8:
        data = np.asarray(data, dtype=np.int64)
        if data.size and (data.min() < -128 or data.max() > 127):
            raise FwgenError(f"{spec.name}.{spec.tail_name}: values must be int8")
        data = data.astype(np.int8).tobytes()
    else:
        data = bytes(data)
    if len(data) % spec.tail_unit:
        raise FwgenError(f"{spec.name}.{spec.tail_name} length must be a multiple of "
                         f"{spec.tail_unit}")
    return head + data


class PayloadError(ValueError):
    """A payload does not match its type's layout (counted by decoders, never raised to users)."""


def unpack_payload(type_id: int, payload: bytes) -> Message:
    """Build the message of wire type `type_id` from its payload (PayloadError if malformed)."""
    spec = MESSAGES.get(type_id)
    if spec is None:
        raise PayloadError(f"unknown message type {type_id:#04x}")
    if len(payload) < spec.fixed_size:
        raise PayloadError(f"{spec.name} payload is {len(payload)} bytes, needs {spec.fixed_size}")
    extra = len(payload) - spec.fixed_size
    if spec.tail_kind is None and extra:
        raise PayloadError(f"{spec.name} payload has {extra} unexpected bytes")
    if spec.tail_kind is not None and extra % spec.tail_unit:
        raise PayloadError(f"{spec.name} tail length {extra} is not a multiple of {spec.tail_unit}")
    values: list[Any] = list(struct.unpack_from(spec.struct_format, payload))
    for i, fs in enumerate(spec.fields):
        if fs.wire.text:
            values[i] = values[i].split(b"\0", 1)[0].decode("utf-8", errors="replace")
    if spec.tail_kind is not None:
        data = bytes(payload[spec.fixed_size:])
        if spec.tail_kind is TailKind.TEXT:
            values.append(data.decode("utf-8", errors="replace"))
        elif spec.tail_kind is TailKind.INT8:
            values.append(tuple(np.frombuffer(data, dtype=np.int8).tolist()))
        else:
            values.append(data)
    return spec.cls(*values)
