"""Reference int8 models built with Keras and TF's converter, for tests and benchmarks
(compiler tests, tests/compile, benchmarks/arena.py); the tool itself never builds them.

The oracles are TFLM runs of these models; the models themselves are random-weight versions of
the architectures fwgen targets (YAMNet-256, a MobileNetV3 block) plus single-op graphs. Building
and converting takes seconds to minutes, so `cached()` keeps the .tflite bytes on disk keyed by
builder name and arguments. TensorFlow is imported lazily.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np

LOG = logging.getLogger(__name__)


def _set_seed(seed: int) -> None:
    import tensorflow as tf  # noqa: PLC0415

    tf.keras.utils.set_random_seed(seed)


def _randomize_batchnorm(model: Any, rng: np.random.Generator) -> None:
    """Give batch-norm layers non-trivial statistics so folded weights are realistic."""
    for layer in model.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                               rng.normal(0, 0.2, beta.shape).astype(np.float32),
                               rng.normal(0, 0.2, mean.shape).astype(np.float32),
                               rng.uniform(0.5, 1.5, var.shape).astype(np.float32)])


def quantize(model: Any, seed: int = 0, examples: int = 16, scale: float = 1.0) -> bytes:
    """Full-int8 conversion (batch 1) with random normal calibration data."""
    from fwgen.train.quantize import to_int8_tflite  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    data = [rng.normal(0, scale, shape).astype(np.float32) for _ in range(examples)]
    return to_int8_tflite(model, data, max_steps=examples)


def yamnet_256(seed: int = 0, n_classes: int = 10) -> bytes:
    """YAMNet-256 (fwgen.train.architectures.yamnet_256, 96x64x1 input), random weights, int8."""
    from fwgen.train.architectures import yamnet_256 as build  # noqa: PLC0415

    _set_seed(seed)
    model = build(n_classes)
    _randomize_batchnorm(model, np.random.default_rng(seed))
    return quantize(model, seed)


def yamnet_256_trunk(seed: int = 0) -> bytes:
    """YAMNet-256 up to its last pointwise ReLU (12x8x256 output): the layers whose outputs the
    full model averages away, so a bit-exactness check sees every activation of the trunk."""
    import tensorflow as tf  # noqa: PLC0415

    from fwgen.train.architectures import yamnet_256 as build  # noqa: PLC0415

    _set_seed(seed)
    model = build(10)
    _randomize_batchnorm(model, np.random.default_rng(seed))
    trunk = tf.keras.Model(model.inputs, model.get_layer("layer6_pointwise_relu").output)
    return quantize(trunk, seed)


def mobilenet_v3_block(seed: int = 0, size: int = 12, channels: int = 16) -> bytes:
    """A MobileNetV3-style block: expand 1x1 + hard-swish, depthwise 3x3 + hard-swish,
    squeeze-excite (global mean, 1x1 convs, hard-sigmoid, MUL), project 1x1, residual ADD, then a
    global MEAN, dense and logistic output. The converter turns x * relu6(x + 3) / 6 into
    HARD_SWISH and folds the hard-sigmoid's +3/relu6 into the SE convolution."""
    import tensorflow as tf  # noqa: PLC0415

    _set_seed(seed)
    layers = tf.keras.layers

    def hard_sigmoid(x: Any) -> Any:
        x = layers.Rescaling(1.0, offset=3.0)(x)
        return layers.Rescaling(1.0 / 6.0)(layers.ReLU(6.0)(x))

    def hard_swish(x: Any) -> Any:
        return layers.Multiply()([x, hard_sigmoid(x)])

    expanded = channels * 3
    inputs = tf.keras.Input(shape=(size, size, channels))
    x = layers.Conv2D(expanded, 1, use_bias=False)(inputs)
    x = hard_swish(layers.BatchNormalization()(x))
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = hard_swish(layers.BatchNormalization()(x))
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.ReLU()(layers.Conv2D(expanded // 4, 1)(s))
    s = hard_sigmoid(layers.Conv2D(expanded, 1)(s))
    x = layers.Multiply()([x, s])
    x = layers.BatchNormalization()(layers.Conv2D(channels, 1, use_bias=False)(x))
    x = layers.Add()([inputs, x])
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Activation("sigmoid")(layers.Dense(5)(x))
    model = tf.keras.Model(inputs, outputs)
    _randomize_batchnorm(model, np.random.default_rng(seed))
    return quantize(model, seed)


def tenet_kws(seed: int = 0, n_classes: int = 3, frames: int = 98, channels: int = 104,
              width: int = 50, expand: int = 3) -> bytes:
    """A TENet-style keyword spotter shaped like MLTK's keyword_spotting_on_off_v3 (from its
    published op summary): the [T, F] spectrogram as [T, 1, F]; a 3x1 convolution to `width`
    channels; inverted residual blocks of 1x1 expand (ReLU), 9x1 depthwise (ReLU), 1x1 project
    and a residual ADD with ReLU, the first block of each stage strided by 2 with a 1x1 strided
    ReLU shortcut; then a mean over time, dense and softmax. Random weights, int8 by TF."""
    import tensorflow as tf  # noqa: PLC0415

    _set_seed(seed)
    layers = tf.keras.layers

    def block(x: Any, stride: int) -> Any:
        y = layers.Conv2D(width * expand, 1, activation="relu")(x)
        y = layers.DepthwiseConv2D((9, 1), strides=(stride, 1), padding="same", activation="relu")(y)
        y = layers.Conv2D(width, 1)(y)
        if stride != 1:
            x = layers.Conv2D(width, 1, strides=(stride, 1), padding="same", activation="relu")(x)
        return layers.ReLU()(layers.Add()([x, y]))

    inputs = tf.keras.Input(shape=(frames, 1, channels))
    x = layers.Conv2D(width, (3, 1), padding="same")(inputs)
    for stage in range(3):
        for k in range(4):
            x = block(x, 2 if k == 0 and stage < 2 else 1)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Softmax()(layers.Dense(n_classes)(x))
    return quantize(tf.keras.Model(inputs, outputs), seed)


def single_op(layer_factory: Callable[[Any], Any], input_shape: tuple[int, ...], seed: int = 0,
              scale: float = 1.0) -> bytes:
    """A model of one Keras layer (or small sub-graph) on one input."""
    import tensorflow as tf  # noqa: PLC0415

    _set_seed(seed)
    inputs = tf.keras.Input(shape=input_shape)
    outputs = layer_factory(inputs)
    return quantize(tf.keras.Model(inputs, outputs), seed, scale=scale)


def single_op_float_io(layer_factory: Callable[[Any], Any], input_shape: tuple[int, ...],
                       seed: int = 0, scale: float = 1.0) -> bytes:
    """Like `single_op`, but float32 input and output: the converter wraps the int8 graph in
    QUANTIZE (first op) and DEQUANTIZE (last op)."""
    import tensorflow as tf  # noqa: PLC0415

    _set_seed(seed)
    inputs = tf.keras.Input(shape=input_shape, batch_size=1)
    model = tf.keras.Model(inputs, layer_factory(inputs))
    rng = np.random.default_rng(seed)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.normal(0, scale, (1, *input_shape)).astype(np.float32)]
                                                for _ in range(16))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return bytes(converter.convert())


def cached(cache: Path, key: str, build: Callable[[], bytes]) -> bytes:
    """Return build() from `cache/<key hash>.tflite`, building it once."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = Path(cache) / f"{digest}.tflite"
    if path.exists():
        return path.read_bytes()
    data = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    (Path(cache) / f"{digest}.json").write_text(json.dumps({"key": key}))
    return data
