"""Inference runtimes: how a model's inference becomes firmware C, and the same inference on
the host. May import compiler/ (and, later, a TFLM runtime's own modules); nothing above it.

A runtime implements `fwgen.runtime.base.Runtime`; `get_runtime(name)` picks one. The
ahead-of-time compiler (`aot`) is the first. Adding a runtime is one module here, registered in
`RUNTIMES`; deploy/ and project/ read only what `Runtime` and `CompiledInference` declare.
"""
from fwgen.runtime.base import CompiledInference, HostInference, Runtime, TensorInfo
from fwgen.runtime.registry import DEFAULT_RUNTIME, RUNTIMES, get_runtime

__all__ = ["CompiledInference", "DEFAULT_RUNTIME", "HostInference", "RUNTIMES", "Runtime",
           "TensorInfo", "get_runtime"]
