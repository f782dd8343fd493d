"""Render the protocol table of `fwgen.link.messages` into the C header firmware/link/link_protocol.h.

The header is committed (the firmware library must build without Python), and a unit test
fails when it differs from a fresh render. After changing a message, regenerate it with::

    python -m fwgen.link.header
"""
from __future__ import annotations

import argparse
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from fwgen.link.frame import CRC_SIZE, HEADER_SIZE
from fwgen.link.messages import MESSAGES, PROTOCOL_VERSION, Direction, FieldSpec, MessageSpec
from fwgen.native import repo_root
from fwgen.render import banner, render

LOG = logging.getLogger(__name__)

HEADER_PATH = Path("firmware/link/link_protocol.h")
TEMPLATE = "link_protocol.h.j2"


@dataclass(frozen=True)
class CField:
    name: str
    decl: str
    offset: int
    size: int
    wire: str
    doc: str
    pack: str
    unpack: str


def _c_field(fs: FieldSpec) -> CField:
    w = fs.wire
    off = fs.offset
    n = fs.name
    if w.length:
        decl = f"{w.c_type} {n}[{w.length}]"
        pack = f"memcpy(out + {off}, m->{n}, {w.length});"
        unpack = f"memcpy(m->{n}, payload + {off}, {w.length});"
    else:
        decl = f"{w.c_type} {n}"
        bits = w.size * 8
        signed = w.c_type.startswith("int")
        if w.size == 1:
            pack = f"out[{off}] = (uint8_t)m->{n};"
            unpack = f"m->{n} = ({w.c_type})payload[{off}];" if signed else f"m->{n} = payload[{off}];"
        else:
            value = f"(uint{bits}_t)m->{n}" if signed else f"m->{n}"
            pack = f"fwgen_link_put_u{bits}(out + {off}, {value});"
            get = f"fwgen_link_get_u{bits}(payload + {off})"
            unpack = f"m->{n} = ({w.c_type}){get};" if signed else f"m->{n} = {get};"
    return CField(n, decl, off, w.size, w.name, fs.doc, pack, unpack)


_DIRECTION_C = {
    Direction.TO_DEVICE: "FWGEN_LINK_TO_DEVICE",
    Direction.TO_HOST: "FWGEN_LINK_TO_HOST",
    Direction.BOTH: "FWGEN_LINK_BOTH_WAYS",
}
_TAIL_C = {"bytes": "const uint8_t *", "pcm16": "const uint8_t *", "int8": "const int8_t *",
           "text": "const char *"}
_TAIL_UNIT_DOC = {"bytes": "bytes", "pcm16": "bytes of int16 LE samples, even",
                  "int8": "int8 values", "text": "bytes of UTF-8, not NUL-terminated"}


def view_model() -> dict:
    messages = []
    for type_id in sorted(MESSAGES):
        spec: MessageSpec = MESSAGES[type_id]
        tail = None
        if spec.tail_kind is not None:
            kind = spec.tail_kind.value
            tail = {"name": spec.tail_name, "ptr": _TAIL_C[kind], "unit": spec.tail_unit,
                    "doc": _TAIL_UNIT_DOC[kind], "field_doc": spec.tail_doc.replace("\u2192", "->")}
        messages.append({
            "name": spec.name,
            "lower": spec.name.lower(),
            "id": f"0x{type_id:02X}",
            "direction": _DIRECTION_C[spec.direction],
            "doc": spec.doc,
            "fixed_size": spec.fixed_size,
            "tail_unit": spec.tail_unit,
            "fields": [_c_field(fs) for fs in spec.fields],
            "tail": tail,
            "has_struct": bool(spec.fields) or tail is not None,
        })
    table = "\n".join(f"{m['id']} {m['name']} {m['direction']} {m['fixed_size']} {m['tail_unit']} "
                      + " ".join(f"{f.name}:{f.wire}@{f.offset}" for f in m["fields"])
                      for m in messages)
    digest = hashlib.sha256(table.encode()).hexdigest()[:16]
    return {
        "banner": banner("serial link protocol layouts (from fwgen.link.messages)",
                         {"protocol version": str(PROTOCOL_VERSION), "layout digest": digest}),
        "version": PROTOCOL_VERSION,
        "header_size": HEADER_SIZE,
        "crc_size": CRC_SIZE,
        "messages": messages,
        "max_fixed": max(m["fixed_size"] for m in messages),
    }


def render_header() -> str:
    return render(TEMPLATE, **view_model())


def write_header(root: Path | None = None) -> Path:
    path = (root or repo_root()) / HEADER_PATH
    text = render_header()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        LOG.info("wrote %s", path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the header is stale")
    args = parser.parse_args(argv)
    path = repo_root() / HEADER_PATH
    if args.check:
        return 0 if path.exists() and path.read_text() == render_header() else 1
    write_header()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
