"""Reading and checking TensorFlow Lite flatbuffers (.tflite) and fwgen/MLTK model metadata.
May import only fwgen.errors: every other layer reads models through it.

`read_model()` turns a file or bytes into plain dataclasses (`Model`, `Tensor`, `Operator`);
`fwgen.compiler` validates and lowers them. Every malformed input raises `FwgenError`.
"""
from fwgen.tflite.model import Model, Operator, Quantization, Tensor
from fwgen.tflite.reader import read_model

__all__ = ["Model", "Operator", "Quantization", "Tensor", "read_model"]
