"""What the HTML report embeds: images and audio as data: URIs, so the page is one file that
opens offline (a CI artefact store, an e-mail).

Audio is G.711 mu-law WAV (8 bits a sample, format tag 7): half the size of 16-bit PCM, about
38 dB signal to noise, and played by Chromium, Firefox and Safari. 200 one-second clips then
take 4.3 MB of the page instead of 8.5 MB.
"""
from __future__ import annotations

import base64
import struct

import numpy as np

MULAW_BIAS = 0x84
MULAW_CLIP = 8159                  # of the 14-bit magnitude
SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
WAVE_FORMAT_MULAW = 7


def mulaw_encode(samples: np.ndarray) -> np.ndarray:
    """int16 PCM -> G.711 mu-law bytes, as the reference coder of Sun (CCITT G.711) that sox and
    Python's audioop use: the top 14 bits, biased, coded as segment and 4-bit step."""
    value = np.asarray(samples, dtype=np.int32) >> 2
    negative = value < 0
    mask = np.where(negative, 0x7F, 0xFF)
    magnitude = np.minimum(np.where(negative, -value, value), MULAW_CLIP) + (MULAW_BIAS >> 2)
    segment = np.searchsorted(SEGMENT_ENDS, magnitude, side="left")
    code = (np.minimum(segment, 7) << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    return (np.where(segment >= 8, 0x7F, code) ^ mask).astype(np.uint8)


def mulaw_decode(codes: np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes -> int16 PCM (the inverse of `mulaw_encode`, within one step)."""
    u = ~np.asarray(codes, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + MULAW_BIAS) << exponent
    value = magnitude - MULAW_BIAS
    return np.where(u & 0x80, -value, value).astype(np.int16)


def mulaw_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """A mono mu-law WAV file (fmt with cbSize 0, a fact chunk, as the WAVE spec asks for
    non-PCM data)."""
    data = mulaw_encode(samples).tobytes()
    fmt = struct.pack("<HHIIHHH", WAVE_FORMAT_MULAW, 1, sample_rate, sample_rate, 1, 8, 0)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"fact" + struct.pack("<II", 4, len(data))
            + b"data" + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b""))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def data_uri(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def png_uri(png: bytes) -> str:
    return data_uri("image/png", png)


def wav_uri(samples: np.ndarray, sample_rate: int) -> str:
    return data_uri("audio/wav", mulaw_wav(samples, sample_rate))
