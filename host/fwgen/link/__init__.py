"""fwgen's serial link: the host end of the protocol the firmware speaks over its UART.
May import only fwgen's leaves (errors, native, render, audio); devices and verbs build on it.

Frames are COBS-encoded with a 0x00 delimiter and carry ``{version, type, seq, length}``, a
payload and a CRC-32 (see `fwgen.link.frame`). Message types and payload layouts are defined
once, in `fwgen.link.messages`; the C header firmware/link/link_protocol.h is rendered from
them (`python -m fwgen.link.header`), and firmware/link/link.h documents the device side.

Typical use (what ``fwgen run`` does after starting QEMU or finding the board's port)::

    from fwgen.link import Link, Output, stream_audio, stream_wav

    with Link.open("socket://127.0.0.1:5555") as link:        # or /dev/ttyACM0, loop://
        result = stream_wav(link, "yes_1000ms.wav",
                            outputs=Output.FEATURES | Output.LOGITS | Output.DETECTIONS)
    result.hello.board, result.feature_matrix(), result.logits_matrix()
    [(d.class_index, d.score, d.time_ms) for d in result.detections]
    result.stats            # the device's final STATS (cycle counts, dropped frames...)

Lower level: ``link.reset()`` -> HELLO (every device default restored),
``link.configure(Config(...))`` (ConfigRefused when the device answers it with an ERROR),
``link.ping()``,
``link.send_audio(samples)`` (honours the device's CREDIT window), ``link.end()``,
``stream_preloaded(link, n)`` (a twin that reads the clip from a host file by itself),
``for msg in link.messages(timeout=1.0): ...``.

`fwgen.link.text`: ``to_dict(msg)`` (JSON lines) and ``describe(msg, hello)`` (one human line).
`fwgen.link.simulator.DeviceSimulator` plays the device with the C link library (for tests and
as the reference of how firmware drives firmware/link).
"""
from fwgen.link.frame import DecoderStats, Frame, StreamDecoder, encode_frame, encode_message
from fwgen.link.messages import (MESSAGES, PROTOCOL_VERSION, Audio, AudioSource, Config, Credit,
                                 CycleUnit, Detection, Direction, End, ErrorReport, FeatureDtype,
                                 Features, Hello, Log, LogLevel, Logits, Message, Output, Ping,
                                 Pong, Reset, Stats)
from fwgen.link.stream import StreamResult, read_wav, stream_audio, stream_preloaded, stream_wav
from fwgen.link.text import describe, to_dict
from fwgen.link.transport import ConfigRefused, Link, LinkError, LinkTimeout

__all__ = [
    "MESSAGES", "PROTOCOL_VERSION", "Audio", "AudioSource", "Config", "ConfigRefused", "Credit",
    "CycleUnit", "DecoderStats", "Detection", "Direction", "End", "ErrorReport", "FeatureDtype",
    "Features", "Frame", "Hello", "Link", "LinkError", "LinkTimeout", "Log", "LogLevel", "Logits",
    "Message", "Output", "Ping", "Pong", "Reset", "Stats", "StreamDecoder", "StreamResult",
    "encode_frame", "describe", "encode_message", "read_wav", "stream_audio", "stream_preloaded",
    "stream_wav",
    "to_dict",
]
