"""Inference runtimes: how a model's inference becomes firmware C, and the same inference on
the host. May import compiler/ and tflite/ (the TFLM runtime reads the model's ops); nothing above it.

A runtime implements `fwgen.runtime.base.Runtime`; `get_runtime(name)` picks one. The
ahead-of-time compiler (`aot`) is the first; TFLM (`tflm`, from a TFLM tree the user gives) the
second; `choose_runtime` is `--runtime auto`. Adding a runtime is one module here, registered in
`RUNTIMES`; deploy/ and project/ read only what `Runtime` and `CompiledInference` declare.
"""
from fwgen.runtime.base import CompiledInference, HostInference, Runtime, RuntimeConfig, TensorInfo
from fwgen.runtime.registry import (AUTO, DEFAULT_RUNTIME, RUNTIME_CHOICES, RUNTIMES,
                                    choose_runtime, get_runtime)

__all__ = ["AUTO", "CompiledInference", "DEFAULT_RUNTIME", "HostInference", "RUNTIMES",
           "RUNTIME_CHOICES", "Runtime", "RuntimeConfig", "TensorInfo", "choose_runtime",
           "get_runtime"]
