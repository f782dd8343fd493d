"""Full-integer (int8) post-training quantization with TensorFlow Lite's converter.

The result is what fwgen's compiler and TFLM consume: int8 weights (per-channel for
convolutions), int32 biases, int8 input and output tensors, and a batch size fixed at 1 —
with an unknown batch dimension the converter lowers Flatten/Reshape into SHAPE,
STRIDED_SLICE and PACK ops, which microcontroller runtimes do not want.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

#: How many representative examples calibration uses at most (TF's own guidance: 100–500).
DEFAULT_CALIBRATION_STEPS = 300


@dataclass(frozen=True)
class QuantizedIO:
    """Quantization of the model's int8 input and output: real = scale * (q - zero_point)."""

    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int


def _single_input_shape(keras_model: Any) -> tuple[int, ...]:
    inputs = keras_model.inputs
    if len(inputs) != 1:
        raise FwgenError(f"model '{keras_model.name}' has {len(inputs)} inputs; "
                         "fwgen deploys single-input audio models")
    shape = tuple(inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise FwgenError(f"model '{keras_model.name}' input shape {shape} is not fully known",
                         hint="build the model with a fixed input shape (frames, channels, 1)")
    return tuple(int(d) for d in shape)


def _as_example(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    example = np.asarray(array, dtype=np.float32)
    if example.shape == shape:
        example = example[np.newaxis]
    if example.shape != (1, *shape):
        raise FwgenError(f"representative example has shape {np.shape(array)}, the model "
                         f"expects {shape} (or {(1, *shape)})")
    return example


def to_int8_tflite(keras_model: Any,
                   representative: Iterable[np.ndarray] | Callable[[], Iterable[np.ndarray]],
                   *, max_steps: int = DEFAULT_CALIBRATION_STEPS) -> bytes:
    """Convert a float Keras model to a full-int8 TFLite flatbuffer with batch size 1.

    `representative` yields float feature patches shaped like one model input — either
    ``input_shape`` or ``(1, *input_shape)`` — and may be an iterable or a zero-argument
    callable that returns one. At most `max_steps` examples are used for calibration.
    Returns the .tflite bytes: int8 input and output, int8 per-channel weights, int32 biases.
    """
    from fwgen.train.tf_logging import load_tensorflow, native_stderr_quiet  # noqa: PLC0415

    load_tensorflow()
    import tensorflow as tf  # noqa: PLC0415  (lazy)

    shape = _single_input_shape(keras_model)
    source = representative() if callable(representative) else representative
    examples: list[np.ndarray] = []
    for array in source:
        examples.append(_as_example(array, shape))
        if len(examples) >= max_steps:
            break
    if not examples:
        raise FwgenError("the representative dataset is empty",
                         hint="full-int8 quantization needs a few hundred real feature patches")

    keras = tf.keras
    fixed_input = keras.Input(batch_shape=(1, *shape), name="input")
    fixed = keras.Model(fixed_input, keras_model(fixed_input, training=False),
                        name=keras_model.name)
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def dataset() -> Iterable[list[np.ndarray]]:
        for example in examples:
            yield [example]

    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    LOG.info("quantizing %s to int8 with %d representative examples", keras_model.name,
             len(examples))
    try:
        # Keras' export prints the traced signature to stdout; keep the CLI's output clean.
        # The MLIR quantizer writes its settings to stderr ("fully_quantize: 0, ...").
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
                native_stderr_quiet():
            # "Statistics for quantized inputs were expected": the calibrator sets them.
            warnings.simplefilter("ignore", UserWarning)
            flatbuffer = converter.convert()
    except Exception as exc:  # the converter raises bare ConverterError/RuntimeError
        raise FwgenError(f"TensorFlow Lite could not quantize '{keras_model.name}': {exc}",
                         hint="every layer must have an int8 TFLite builtin kernel") from exc
    return bytes(flatbuffer)


def quantized_io(tflite_bytes: bytes) -> QuantizedIO:
    """Read the int8 input/output quantization of a single-input, single-output model."""
    from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415  (lazy)

    from fwgen.train.tf_logging import native_stderr_quiet  # noqa: PLC0415

    with native_stderr_quiet():
        interpreter = Interpreter(model_content=tflite_bytes)
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    return QuantizedIO(float(in_scale), int(in_zero), float(out_scale), int(out_zero))
