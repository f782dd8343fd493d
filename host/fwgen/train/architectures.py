"""Keras builders for the zoo's architectures.

Every builder returns an *uncompiled* `keras.Model` whose input is one feature patch laid out
as ``(frames, channels, 1)`` — time on the first spatial axis, frequency (filterbank channels or
mel bands) on the second — exactly the order fwgen's frontends emit features in, so the int8
features a board computes are fed to the model without a transpose.

The layers are chosen so that TensorFlow Lite's converter folds them into the op set fwgen's
compiler implements: batch norm folds into the preceding convolution (conv → BN → ReLU becomes
one CONV_2D with a fused ReLU), hard-swish becomes HARD_SWISH, squeeze-excite becomes MEAN →
CONV_2D → CONV_2D → hard-sigmoid → MUL, and residuals become ADD.

TensorFlow/Keras are imported lazily inside the builders: importing this module is cheap.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

LOG = logging.getLogger(__name__)

#: Keras' default batch-norm epsilon is 1e-3; YAMNet uses 1e-4. Keep YAMNet's.
_YAMNET_BN_EPSILON = 1e-4


def _keras() -> Any:
    import keras  # noqa: PLC0415  (lazy: TensorFlow is heavy)

    return keras


# --------------------------------------------------------------------------------------------
# micro_speech (TFLM "tiny_conv" / MLTK keyword_spotting topology)
# --------------------------------------------------------------------------------------------

def micro_speech(n_classes: int, input_shape: tuple[int, int, int] = (49, 40, 1), *,
                 filters: int = 8, kernel: tuple[int, int] = (10, 8),
                 strides: tuple[int, int] = (2, 2), dropout: float = 0.5,
                 name: str = "micro_speech") -> Any:
    """TFLM micro_speech topology: one strided convolution and one dense layer.

    conv 8 filters 10×8 stride 2 ``same`` → batch norm → ReLU → dropout → flatten → dense →
    softmax. With the default 49×40×1 input (1 s of 30 ms / 20 ms windows, 40 channels) this is
    25×20×8 activations, 336 K MACs and about 16 K parameters, the same as TFLM's model.
    """
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input(shape=input_shape, name="features")
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                      name="conv")(inputs)
    x = layers.BatchNormalization(name="conv_bn")(x)
    x = layers.ReLU(name="conv_relu")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(n_classes, name="logits")(x)
    outputs = layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------------------------
# yamnet_256 (first six YAMNet layers, full width)
# --------------------------------------------------------------------------------------------

#: YAMNet's first layers after the stem: (pointwise filters, depthwise stride).
YAMNET_256_LAYERS: tuple[tuple[int, int], ...] = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1))


def _conv_bn_relu(x: Any, filters: int, kernel: int, stride: int, prefix: str) -> Any:
    layers = _keras().layers
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                      name=f"{prefix}_conv")(x)
    x = layers.BatchNormalization(epsilon=_YAMNET_BN_EPSILON, name=f"{prefix}_bn")(x)
    return layers.ReLU(name=f"{prefix}_relu")(x)


def _separable_bn_relu(x: Any, filters: int, stride: int, prefix: str) -> Any:
    layers = _keras().layers
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=f"{prefix}_depthwise")(x)
    x = layers.BatchNormalization(epsilon=_YAMNET_BN_EPSILON, name=f"{prefix}_depthwise_bn")(x)
    x = layers.ReLU(name=f"{prefix}_depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                      name=f"{prefix}_pointwise")(x)
    x = layers.BatchNormalization(epsilon=_YAMNET_BN_EPSILON, name=f"{prefix}_pointwise_bn")(x)
    return layers.ReLU(name=f"{prefix}_pointwise_relu")(x)


def yamnet_256(n_classes: int, input_shape: tuple[int, int, int] = (96, 64, 1), *,
               dropout: float = 0.0, name: str = "yamnet_256") -> Any:
    """The first six YAMNet layers at width 1.0, a 256-d embedding and a dense head.

    Input: one log-mel patch of 96 frames × 64 mel bands (0.96 s of 25 ms / 10 ms windows),
    frames first like every fwgen frontend. Layers: conv 3×3 stride 2 with 32 filters; separable
    convolutions (depthwise 3×3 + pointwise 1×1) 64/1, 128/2, 128/1, 256/2, 256/1; each followed
    by batch norm and ReLU; global average pool → 256-d embedding → dense → softmax.
    About 131 K parameters in the trunk and 23.9 M MACs for a 96×64 patch.
    """
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input(shape=input_shape, name="logmel")
    x = _conv_bn_relu(inputs, 32, 3, 2, "layer1")
    for index, (filters, stride) in enumerate(YAMNET_256_LAYERS, start=2):
        x = _separable_bn_relu(x, filters, stride, f"layer{index}")
    x = layers.GlobalAveragePooling2D(name="embedding")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(n_classes, name="logits")(x)
    outputs = layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------------------------
# MobileNetV3 audio tagger (EfficientAT style)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvertedResidual:
    """One MobileNetV3 block: kernel, expanded channels, output channels, SE, activation, stride."""

    kernel: int
    expanded: int
    out: int
    squeeze_excite: bool
    hard_swish: bool
    stride: int


#: MobileNetV3-Large at width 1.0, as EfficientAT's ``mn`` models configure it.
MOBILENET_V3_LARGE: tuple[InvertedResidual, ...] = (
    InvertedResidual(3, 16, 16, False, False, 1),
    InvertedResidual(3, 64, 24, False, False, 2),
    InvertedResidual(3, 72, 24, False, False, 1),
    InvertedResidual(5, 72, 40, True, False, 2),
    InvertedResidual(5, 120, 40, True, False, 1),
    InvertedResidual(5, 120, 40, True, False, 1),
    InvertedResidual(3, 240, 80, False, True, 2),
    InvertedResidual(3, 200, 80, False, True, 1),
    InvertedResidual(3, 184, 80, False, True, 1),
    InvertedResidual(3, 184, 80, False, True, 1),
    InvertedResidual(3, 480, 112, True, True, 1),
    InvertedResidual(3, 672, 112, True, True, 1),
    InvertedResidual(5, 672, 160, True, True, 2),
    InvertedResidual(5, 960, 160, True, True, 1),
    InvertedResidual(5, 960, 160, True, True, 1),
)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10 % below `value`.

    The rounding rule of the MobileNet papers and torchvision/EfficientAT (`_make_divisible`).
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _hard_sigmoid(x: Any, prefix: str) -> Any:
    """relu6(x + 3) / 6 written out so the converter emits ADD(+RELU6) and MUL."""
    layers = _keras().layers
    x = layers.Rescaling(1.0, offset=3.0, name=f"{prefix}_plus3")(x)
    x = layers.ReLU(max_value=6.0, name=f"{prefix}_relu6")(x)
    return layers.Rescaling(1.0 / 6.0, name=f"{prefix}_div6")(x)


def _hard_swish(x: Any, prefix: str) -> Any:
    """x * relu6(x + 3) / 6; TensorFlow Lite's converter folds the pattern into HARD_SWISH."""
    layers = _keras().layers
    return layers.Multiply(name=f"{prefix}_hswish")([x, _hard_sigmoid(x, prefix)])


def _activation(x: Any, hard_swish: bool, prefix: str) -> Any:
    if hard_swish:
        return _hard_swish(x, prefix)
    return _keras().layers.ReLU(name=f"{prefix}_relu")(x)


def _squeeze_excite(x: Any, channels: int, prefix: str) -> Any:
    layers = _keras().layers
    squeezed = make_divisible(channels // 4, 8)
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}_se_pool")(x)
    s = layers.Conv2D(squeezed, 1, name=f"{prefix}_se_reduce")(s)
    s = layers.ReLU(name=f"{prefix}_se_relu")(s)
    s = layers.Conv2D(channels, 1, name=f"{prefix}_se_expand")(s)
    s = _hard_sigmoid(s, f"{prefix}_se")
    return layers.Multiply(name=f"{prefix}_se_mul")([x, s])


def _inverted_residual(x: Any, in_channels: int, block: InvertedResidual, width: float,
                       prefix: str, bn_momentum: float = 0.9) -> tuple[Any, int]:
    layers = _keras().layers
    expanded = make_divisible(block.expanded * width)
    out = make_divisible(block.out * width)
    shortcut = x
    if expanded != in_channels:
        x = layers.Conv2D(expanded, 1, use_bias=False, name=f"{prefix}_expand")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"{prefix}_expand_bn")(x)
        x = _activation(x, block.hard_swish, f"{prefix}_expand")
    x = layers.DepthwiseConv2D(block.kernel, strides=block.stride, padding="same",
                               use_bias=False, name=f"{prefix}_depthwise")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name=f"{prefix}_depthwise_bn")(x)
    x = _activation(x, block.hard_swish, f"{prefix}_depthwise")
    if block.squeeze_excite:
        x = _squeeze_excite(x, expanded, prefix)
    x = layers.Conv2D(out, 1, use_bias=False, name=f"{prefix}_project")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name=f"{prefix}_project_bn")(x)
    if block.stride == 1 and in_channels == out:
        x = layers.Add(name=f"{prefix}_add")([shortcut, x])
    return x, out


def mobilenet_v3_tagger(n_classes: int, width: float = 0.4, n_mels: int = 128,
                        n_frames: int = 100, *,
                        blocks: tuple[InvertedResidual, ...] = MOBILENET_V3_LARGE,
                        head_channels: int = 1280, dropout: float = 0.2,
                        bn_momentum: float = 0.9, multi_label: bool = False,
                        name: str | None = None) -> Any:
    """An EfficientAT-style MobileNetV3 audio tagger (``mn04`` at the default width 0.4).

    Input ``(n_frames, n_mels, 1)`` log-mel patch. Stem conv 3×3/2 with hard-swish, the 15
    MobileNetV3-Large inverted-residual blocks (squeeze-excite with a hard-sigmoid gate and MUL,
    residual ADD where shapes allow), a 1×1 conv to 6× the last block's width with hard-swish,
    global average pool, then EfficientAT's MLP head (dense → hard-swish → dropout → dense).
    `multi_label` picks a sigmoid output (AudioSet-style tagging) instead of softmax.
    `bn_momentum` 0.9 (PyTorch's default 0.1): with Keras' 0.99 the moving statistics of this
    deep net lag so far behind on small datasets that inference-mode accuracy stays at chance
    while training accuracy climbs (measured on the synthetic sound-event set).
    """
    keras = _keras()
    layers = keras.layers
    if not 0.0 < width <= 2.0:
        raise ValueError(f"width must be in (0, 2], got {width}")
    inputs = keras.Input(shape=(n_frames, n_mels, 1), name="logmel")
    channels = make_divisible(16 * width)
    x = layers.Conv2D(channels, 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inputs)
    x = layers.BatchNormalization(momentum=bn_momentum, name="stem_bn")(x)
    x = _hard_swish(x, "stem")
    for index, block in enumerate(blocks):
        x, channels = _inverted_residual(x, channels, block, width, f"block{index:02d}",
                                         bn_momentum)
    last = make_divisible(6 * blocks[-1].out * width)
    x = layers.Conv2D(last, 1, use_bias=False, name="last_conv")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name="last_bn")(x)
    x = _hard_swish(x, "last")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(head_channels, name="head_dense")(x)
    x = _hard_swish(x, "head")
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    x = layers.Dense(n_classes, name="logits")(x)
    if multi_label:
        outputs = layers.Activation("sigmoid", name="probabilities")(x)
    else:
        outputs = layers.Softmax(name="probabilities")(x)
    label = name or f"mn{int(round(width * 10)):02d}_tagger"
    return keras.Model(inputs, outputs, name=label)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

#: Builders by architecture name; each takes ``n_classes`` first, then keyword options.
BUILDERS: dict[str, Callable[..., Any]] = {
    "micro_speech": micro_speech,
    "yamnet_256": yamnet_256,
    "mobilenet_v3_tagger": mobilenet_v3_tagger,
}


def build(architecture: str, n_classes: int, **options: Any) -> Any:
    """Build a registered architecture by name (see `BUILDERS`)."""
    try:
        builder = BUILDERS[architecture]
    except KeyError:
        from fwgen.errors import FwgenError  # noqa: PLC0415

        raise FwgenError(f"unknown architecture '{architecture}'",
                         hint=f"known: {', '.join(sorted(BUILDERS))}") from None
    return builder(n_classes, **options)
