"""Import an EfficientAT MobileNetV3 (``mn04``-style) PyTorch checkpoint as a Keras model.

EfficientAT (Schmid, Koutini, Widmer, ICASSP 2023; github.com/fschmid56/EfficientAT) ships its
audio taggers as PyTorch ``state_dict`` files. This module reads one (``torch.load`` with
``weights_only=True``: no pickled code runs) and rebuilds the same network in Keras with those
weights, so the rest of fwgen — int8 quantization, the compiler, ``fwgen build`` — treats it like
any other Keras model. torch is an optional extra: ``pip install 'fwgen[torch]'``.

What the checkpoint is expected to hold (EfficientAT's ``models/mn`` naming)::

    features.0.{0,1}                  stem: conv 3x3/2 (no bias) + batch norm, hard-swish
    features.{1..N}.block.{k}.{0,1}   inverted residual: [expand 1x1] -> depthwise kxk ->
                                      [squeeze-excite] -> project 1x1, each conv + batch norm
    features.{i}.block.{k}.conc_se_layers.0.fc{1,2}   channel squeeze-excite (Linear, ReLU,
                                      Linear, sigmoid)
    features.{N+1}.{0,1}              last conv 1x1 to 6x the last block's width, hard-swish
    classifier.{2,5}                  "mlp" head: pool, Linear, hard-swish, dropout, Linear
    classifier.{0,1}                  "fully_convolutional" head: conv 1x1 + batch norm, pool

Layout: EfficientAT feeds ``(batch, 1, mels, frames)``; fwgen's models take ``(frames, mels, 1)``
(time first, as fwgen's frontends emit features). Swapping the two spatial axes means a PyTorch
kernel ``W[o, i, kf, kt]`` becomes the Keras kernel ``K[kt, kf, i, o]`` (``W.transpose(3, 2, 1,
0)``), a depthwise kernel ``W[c, 0, kf, kt]`` becomes ``K[kt, kf, c, 0]``. PyTorch pads ``(k-1)/2``
on both sides; Keras' ``"same"`` pads the extra row at the end for stride 2, so stride-2 layers
get an explicit symmetric ``ZeroPadding2D`` and a ``"valid"`` convolution (TFLite PAD + CONV_2D).
"""
from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.spec import LOGMEL, frontend_kind
from fwgen.train.architectures import MOBILENET_V3_LARGE, InvertedResidual, make_divisible

LOG = logging.getLogger(__name__)

#: EfficientAT's batch norm: ``nn.BatchNorm2d(eps=0.001)`` everywhere in ``features``.
BN_EPSILON = 1e-3
#: PyTorch's ``nn.BatchNorm2d`` default epsilon (EfficientAT's fully-convolutional head).
TORCH_BN_EPSILON = 1e-5
#: EfficientAT's squeeze-excite reduction (``se_r``).
SE_REDUCTION = 4
#: Penultimate width of the "mlp" head at width 1.0 (scaled by the width multiplier).
HEAD_CHANNELS = 1280
#: Widths EfficientAT publishes (mn01 ... mn40), tried when a checkpoint does not match.
KNOWN_WIDTHS = (0.1, 0.2, 0.4, 0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
OUTPUTS = ("sigmoid", "softmax", "logits")
#: EfficientAT's feature normalisation ``(log_mel + 4.5) / 5`` (models/preprocess.py), applied
#: to natural-log mel power before the network: ``(offset, divisor)``.
EFFICIENTAT_NORMALIZATION = (4.5, 5.0)
TORCH_HINT = "install the optional extra: pip install 'fwgen[torch]' (torch==2.13.0, CPU build)"

_BN_PARAMS = ("weight", "bias", "running_mean", "running_var")


@dataclass(frozen=True)
class EfficientATConfig:
    """The structure of one EfficientAT ``mn`` network (enough to name and shape every tensor)."""

    width: float = 0.4
    blocks: tuple[InvertedResidual, ...] = MOBILENET_V3_LARGE
    head: str = "mlp"
    n_classes: int = 527

    @property
    def stem_channels(self) -> int:
        return make_divisible(16 * self.width)

    @property
    def last_channels(self) -> int:
        return 6 * make_divisible(self.blocks[-1].out * self.width)

    @property
    def head_channels(self) -> int:
        return make_divisible(HEAD_CHANNELS * self.width)

    def block_plan(self) -> list[tuple[InvertedResidual, int, int, int]]:
        """``(block, in, expanded, out)`` channels per block, as EfficientAT computes them."""
        plan = []
        channels = self.stem_channels
        for block in self.blocks:
            expanded = make_divisible(block.expanded * self.width)
            out = make_divisible(block.out * self.width)
            plan.append((block, channels, expanded, out))
            channels = out
        return plan

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor the checkpoint must hold, by state_dict key (PyTorch layouts)."""
        shapes: dict[str, tuple[int, ...]] = {}

        def conv_bn(prefix: str, out: int, cin: int, kernel: int) -> None:
            shapes[f"{prefix}.0.weight"] = (out, cin, kernel, kernel)
            for name in _BN_PARAMS:
                shapes[f"{prefix}.1.{name}"] = (out,)

        conv_bn("features.0", self.stem_channels, 1, 3)
        for index, (block, cin, expanded, out) in enumerate(self.block_plan(), start=1):
            prefix = f"features.{index}.block"
            layer = 0
            if expanded != cin:
                conv_bn(f"{prefix}.{layer}", expanded, cin, 1)
                layer += 1
            conv_bn(f"{prefix}.{layer}", expanded, 1, block.kernel)
            layer += 1
            if block.squeeze_excite:
                squeezed = make_divisible(expanded // SE_REDUCTION, 8)
                se = f"{prefix}.{layer}.conc_se_layers.0"
                shapes[f"{se}.fc1.weight"] = (squeezed, expanded)
                shapes[f"{se}.fc1.bias"] = (squeezed,)
                shapes[f"{se}.fc2.weight"] = (expanded, squeezed)
                shapes[f"{se}.fc2.bias"] = (expanded,)
                layer += 1
            conv_bn(f"{prefix}.{layer}", out, expanded, 1)
        last_in = make_divisible(self.blocks[-1].out * self.width)
        conv_bn(f"features.{len(self.blocks) + 1}", self.last_channels, last_in, 1)
        if self.head == "mlp":
            shapes["classifier.2.weight"] = (self.head_channels, self.last_channels)
            shapes["classifier.2.bias"] = (self.head_channels,)
            shapes["classifier.5.weight"] = (self.n_classes, self.head_channels)
            shapes["classifier.5.bias"] = (self.n_classes,)
        else:
            shapes["classifier.0.weight"] = (self.n_classes, self.last_channels, 1, 1)
            for name in _BN_PARAMS:
                shapes[f"classifier.1.{name}"] = (self.n_classes,)
        return shapes

    def classifier_keys(self) -> tuple[str, ...]:
        """The keys that depend on the number of classes."""
        if self.head == "mlp":
            return ("classifier.5.weight", "classifier.5.bias")
        return ("classifier.0.weight",) + tuple(f"classifier.1.{n}" for n in _BN_PARAMS)


def _torch() -> Any:
    try:
        import torch  # noqa: PLC0415  (optional extra, heavy)
    except ImportError:
        raise FwgenError("importing an EfficientAT checkpoint needs PyTorch, which is not "
                         "installed", hint=TORCH_HINT) from None
    return torch


def load_state_dict(checkpoint: Path) -> dict[str, np.ndarray]:
    """Read a PyTorch checkpoint as ``{key: float32 array}`` without running pickled code.

    Accepts a raw ``state_dict`` or a dict holding one under ``"model"`` or ``"state_dict"``;
    a ``module.`` prefix (DataParallel) is removed; ``num_batches_tracked`` counters are dropped.
    """
    torch = _torch()
    checkpoint = Path(checkpoint)
    where = str(checkpoint)
    if not checkpoint.is_file():
        raise FwgenError("checkpoint not found", where=where,
                         hint="pass the .pt file EfficientAT saved (a state_dict)")
    try:
        loaded = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError/RuntimeError/EOFError/...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FwgenError(f"not a PyTorch checkpoint ({first[:200]})", where=where,
                         hint="pass a state_dict saved with torch.save(model.state_dict(), path)"
                         ) from None
    if isinstance(loaded, Mapping):
        for wrapper in ("model", "state_dict"):
            if isinstance(loaded.get(wrapper), Mapping):
                loaded = loaded[wrapper]
                break
    if not isinstance(loaded, Mapping) or not loaded:
        raise FwgenError(f"the checkpoint holds a {type(loaded).__name__}, not a state_dict",
                         where=where,
                         hint="save it with torch.save(model.state_dict(), path)")
    state: dict[str, np.ndarray] = {}
    for key, value in loaded.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise FwgenError(f"entry {key!r} of the checkpoint is a {type(value).__name__}, "
                             "not a tensor", where=where,
                             hint="save it with torch.save(model.state_dict(), path)")
        if key.endswith("num_batches_tracked"):
            continue
        state[key] = value.detach().to(torch.float32).cpu().numpy()
    if state and all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    return state


def _head_of(state: Mapping[str, np.ndarray]) -> str:
    if "classifier.5.weight" in state or "classifier.2.weight" in state:
        return "mlp"
    if "classifier.0.weight" in state:
        return "fully_convolutional"
    heads = sorted({k.split(".")[0] + "." + k.split(".")[1] for k in state
                    if k.startswith("classifier.")})
    raise FwgenError("the checkpoint has no EfficientAT classifier head ('mlp': classifier.2/5, "
                     "'fully_convolutional': classifier.0/1)"
                     + (f"; found {', '.join(heads)}" if heads else ""),
                     hint="multi-head attention pooling heads are not supported")


def _classes_of(state: Mapping[str, np.ndarray], head: str) -> int | None:
    key = "classifier.5.bias" if head == "mlp" else "classifier.0.weight"
    return int(state[key].shape[0]) if key in state else None


def _guess_width(state: Mapping[str, np.ndarray], config: EfficientATConfig) -> float | None:
    skip = set(config.classifier_keys())
    for width in KNOWN_WIDTHS:
        shapes = dataclasses.replace(config, width=width).shapes()
        if shapes.keys() == state.keys() and all(
                tuple(state[k].shape) == shape for k, shape in shapes.items() if k not in skip):
            return width
    return None


def _short_list(keys: list[str], limit: int = 8) -> str:
    text = ", ".join(keys[:limit])
    return text + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def check_state_dict(state: Mapping[str, np.ndarray], config: EfficientATConfig, *,
                     where: str | None = None, check_classifier: bool = True) -> None:
    """Raise `FwgenError` naming what differs between `state` and `config`'s network."""
    expected = config.shapes()
    stem = "features.0.0.weight"
    if stem in state and tuple(state[stem].shape[:1]) != expected[stem][:1]:
        guess = _guess_width(state, config)
        found = f"width {guess:g} (mn{int(round(guess * 10)):02d})" if guess else \
            f"a stem of {state[stem].shape[0]} channels"
        raise FwgenError(f"the checkpoint is {found}, not width {config.width:g} "
                         f"({expected[stem][0]} stem channels)", where=where,
                         hint=f"pass width={guess:g}" if guess else
                         "pass the width multiplier the checkpoint was trained with")
    missing = sorted(set(expected) - set(state), key=_natural)
    unexpected = sorted(set(state) - set(expected), key=_natural)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing keys: {_short_list(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {_short_list(unexpected)}")
        raise FwgenError("the checkpoint does not match an EfficientAT MobileNetV3 at width "
                         f"{config.width:g}: " + "; ".join(parts), where=where,
                         hint="only EfficientAT 'mn' models (models/mn/model.py) with channel "
                         "squeeze-excite are supported; check width and strides")
    skip = () if check_classifier else config.classifier_keys()
    for key in sorted(expected, key=_natural):
        if key in skip:
            continue
        found = tuple(state[key].shape)
        if found != expected[key]:
            guess = _guess_width(state, config)
            raise FwgenError(f"shape mismatch for '{key}': expected {expected[key]}, found "
                             f"{found}", where=where,
                             hint=f"the checkpoint looks like width {guess:g}" if guess else
                             "the checkpoint's structure differs from EfficientAT's mn models")


def _natural(key: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


# --------------------------------------------------------------------------------------------
# Keras graph
# --------------------------------------------------------------------------------------------

class _Builder:
    """Builds the Keras graph layer by layer and records which weights go where."""

    def __init__(self, state: Mapping[str, np.ndarray]):
        import keras  # noqa: PLC0415  (lazy: TensorFlow is heavy)

        self.keras = keras
        self.layers = keras.layers
        self.state = state
        self.assign: list[tuple[Any, list[np.ndarray]]] = []

    def conv_bn(self, x: Any, prefix: str, name: str, *, stride: int = 1,
                depthwise: bool = False) -> Any:
        layers = self.layers
        weight = self.state[f"{prefix}.0.weight"]
        kernel = int(weight.shape[2])
        pad = (kernel - 1) // 2
        padding = "same"
        if stride != 1 and pad:
            x = layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
            padding = "valid"
        if depthwise:
            conv = layers.DepthwiseConv2D(kernel, strides=stride, padding=padding,
                                          use_bias=False, name=name)
            keras_kernel = weight.transpose(3, 2, 0, 1)
        else:
            conv = layers.Conv2D(int(weight.shape[0]), kernel, strides=stride, padding=padding,
                                 use_bias=False, name=name)
            keras_kernel = weight.transpose(3, 2, 1, 0)
        x = conv(x)
        self.assign.append((conv, [keras_kernel]))
        return self.batch_norm(x, f"{prefix}.1", f"{name}_bn", BN_EPSILON)

    def batch_norm(self, x: Any, prefix: str, name: str, epsilon: float) -> Any:
        bn = self.layers.BatchNormalization(epsilon=epsilon, name=name)
        x = bn(x)
        self.assign.append((bn, [self.state[f"{prefix}.{n}"] for n in _BN_PARAMS]))
        return x

    def dense(self, x: Any, prefix: str, name: str, units: int | None = None,
              pointwise: bool = False) -> Any:
        """A PyTorch Linear as Dense (or as a 1x1 Conv2D when `pointwise`)."""
        weight = self.state.get(f"{prefix}.weight")
        units = int(weight.shape[0]) if weight is not None else int(units or 0)
        if pointwise:
            layer = self.layers.Conv2D(units, 1, name=name)
        else:
            layer = self.layers.Dense(units, name=name)
        x = layer(x)
        if weight is not None:
            kernel = weight.T.reshape((1, 1, *weight.T.shape)) if pointwise else weight.T
            self.assign.append((layer, [kernel, self.state[f"{prefix}.bias"]]))
        return x

    def hard_sigmoid(self, x: Any, name: str) -> Any:
        layers = self.layers
        x = layers.Rescaling(1.0, offset=3.0, name=f"{name}_plus3")(x)
        x = layers.ReLU(max_value=6.0, name=f"{name}_relu6")(x)
        return layers.Rescaling(1.0 / 6.0, name=f"{name}_div6")(x)

    def hard_swish(self, x: Any, name: str) -> Any:
        """x * relu6(x + 3) / 6; TFLite's converter folds the pattern into HARD_SWISH."""
        return self.layers.Multiply(name=f"{name}_hswish")([x, self.hard_sigmoid(x, name)])

    def activation(self, x: Any, hard_swish: bool, name: str) -> Any:
        if hard_swish:
            return self.hard_swish(x, name)
        return self.layers.ReLU(name=f"{name}_relu")(x)

    def squeeze_excite(self, x: Any, prefix: str, name: str) -> Any:
        layers = self.layers
        s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_se_pool")(x)
        s = self.dense(s, f"{prefix}.fc1", f"{name}_se_reduce", pointwise=True)
        s = layers.ReLU(name=f"{name}_se_relu")(s)
        s = self.dense(s, f"{prefix}.fc2", f"{name}_se_expand", pointwise=True)
        s = layers.Activation("sigmoid", name=f"{name}_se_sigmoid")(s)
        return layers.Multiply(name=f"{name}_se_mul")([x, s])

    def apply(self) -> None:
        for layer, weights in self.assign:
            expected = [tuple(w.shape) for w in layer.get_weights()]
            got = [tuple(w.shape) for w in weights]
            if expected != got:  # a bug here, not a user mistake: shapes were checked before
                raise AssertionError(f"{layer.name}: Keras wants {expected}, got {got}")
            layer.set_weights([np.asarray(w, dtype=np.float32) for w in weights])


def import_efficientat(checkpoint: Path, *, width: float = 0.4, n_classes: int | None = None,
                       n_frames: int = 100, n_mels: int = 128,
                       strides: tuple[int, int, int, int] = (2, 2, 2, 2),
                       output: str = "sigmoid", dropout: float = 0.2,
                       normalization: tuple[float, float] | None = None,
                       name: str | None = None) -> Any:
    """Build the Keras equivalent of an EfficientAT MobileNetV3 checkpoint, with its weights.

    `checkpoint`: a ``.pt`` state_dict of EfficientAT's ``models/mn`` network (raw, or under
    ``"model"``/``"state_dict"``). `width`: its width multiplier (0.4 for ``mn04``); a
    checkpoint of another width is an error that names the width it is. `n_classes`: ``None``
    keeps the checkpoint's classifier (527 AudioSet classes for ``mn*_as``); another number
    replaces the last classifier layer with a freshly initialised one, for fine-tuning.
    `n_frames` × `n_mels`: the input patch, laid out ``(n_frames, n_mels, 1)`` (EfficientAT's
    models take any length; TFLite needs a fixed one). `strides`: EfficientAT's ``strides``
    option (the four stride-2 stages). `output`: ``"sigmoid"`` (AudioSet multi-label
    tagging, EfficientAT's training objective), ``"softmax"`` or ``"logits"``.
    `normalization`: ``(offset, divisor)`` applied to the input first, ``(x + offset) /
    divisor`` — `EFFICIENTAT_NORMALIZATION` reproduces EfficientAT's preprocessing on a natural-log
    mel input; ``None`` (default) feeds the input unchanged, exactly as the PyTorch module does.

    Returns an uncompiled ``keras.Model`` whose float output matches PyTorch's ``eval()``
    output on the transposed input. Raises `FwgenError` for a missing torch, an unreadable
    file, missing/unexpected keys, mismatched shapes or the wrong width.
    """
    if output not in OUTPUTS:
        raise FwgenError(f"unknown output '{output}'", hint=f"one of: {', '.join(OUTPUTS)}")
    if not 0.0 < width <= 4.0:
        raise FwgenError(f"width must be in (0, 4], got {width}")
    if len(strides) != 4 or any(s not in (1, 2) for s in strides):
        raise FwgenError(f"strides must be four values of 1 or 2, got {tuple(strides)}")
    if normalization is not None and not normalization[1]:
        raise FwgenError("the normalization divisor must not be 0")
    if n_classes is not None and n_classes < 1:
        raise FwgenError(f"n_classes must be positive, got {n_classes}")
    where = str(checkpoint)
    state = load_state_dict(Path(checkpoint))
    head = _head_of(state)
    blocks = _with_strides(MOBILENET_V3_LARGE, strides)
    stored_classes = _classes_of(state, head)
    config = EfficientATConfig(width=width, blocks=blocks, head=head,
                               n_classes=stored_classes or 1)
    check_state_dict(state, config, where=where)
    replace_head = n_classes is not None and n_classes != stored_classes
    if replace_head:
        LOG.info("%s: replacing the %d-class classifier with a new %d-class one", where,
                 stored_classes, n_classes)
        state = {k: v for k, v in state.items() if k not in config.classifier_keys()}
        config = dataclasses.replace(config, n_classes=n_classes)
    model = _build(state, config, n_frames=n_frames, n_mels=n_mels, output=output,
                   dropout=dropout, normalization=normalization, name=name or f"mn{int(round(width * 10)):02d}_efficientat")
    LOG.info("imported %s: %d parameters, %d classes", where, model.count_params(),
             config.n_classes)
    return model


def _with_strides(blocks: tuple[InvertedResidual, ...],
                  strides: tuple[int, ...]) -> tuple[InvertedResidual, ...]:
    """EfficientAT's ``strides`` option: the i-th downsampling block gets ``strides[i]``."""
    out = []
    stage = 0
    for block in blocks:
        if block.stride == 2:
            block = dataclasses.replace(block, stride=int(strides[stage]))
            stage += 1
        out.append(block)
    return tuple(out)


def _build(state: Mapping[str, np.ndarray], config: EfficientATConfig, *, n_frames: int,
           n_mels: int, output: str, dropout: float,
           normalization: tuple[float, float] | None, name: str) -> Any:
    b = _Builder(state)
    layers = b.layers
    inputs = b.keras.Input(shape=(n_frames, n_mels, 1), name="logmel")
    x = inputs
    if normalization is not None:
        offset, divisor = (float(v) for v in normalization)
        x = layers.Rescaling(1.0 / divisor, offset=offset / divisor, name="normalize")(x)
    x = b.conv_bn(x, "features.0", "stem_conv", stride=2)
    x = b.hard_swish(x, "stem")
    for index, (block, cin, expanded, out) in enumerate(config.block_plan(), start=1):
        prefix = f"features.{index}.block"
        label = f"block{index - 1:02d}"
        shortcut = x
        layer = 0
        if expanded != cin:
            x = b.conv_bn(x, f"{prefix}.{layer}", f"{label}_expand")
            x = b.activation(x, block.hard_swish, f"{label}_expand")
            layer += 1
        x = b.conv_bn(x, f"{prefix}.{layer}", f"{label}_depthwise", stride=block.stride,
                      depthwise=True)
        x = b.activation(x, block.hard_swish, f"{label}_depthwise")
        layer += 1
        if block.squeeze_excite:
            x = b.squeeze_excite(x, f"{prefix}.{layer}.conc_se_layers.0", label)
            layer += 1
        x = b.conv_bn(x, f"{prefix}.{layer}", f"{label}_project")
        if block.stride == 1 and cin == out:
            x = layers.Add(name=f"{label}_add")([shortcut, x])
    x = b.conv_bn(x, f"features.{len(config.blocks) + 1}", "last_conv")
    x = b.hard_swish(x, "last")
    if config.head == "mlp":
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        x = b.dense(x, "classifier.2", "head_dense")
        x = b.hard_swish(x, "head")
        if dropout:
            x = layers.Dropout(dropout, name="head_dropout")(x)
        x = b.dense(x, "classifier.5", "logits", units=config.n_classes)
    else:
        conv = layers.Conv2D(config.n_classes, 1, use_bias=False, name="head_conv")
        x = conv(x)
        if "classifier.0.weight" in state:
            b.assign.append((conv, [state["classifier.0.weight"].transpose(3, 2, 1, 0)]))
            x = b.batch_norm(x, "classifier.1", "head_bn", TORCH_BN_EPSILON)
        else:
            x = layers.BatchNormalization(epsilon=TORCH_BN_EPSILON, name="head_bn")(x)
        x = layers.GlobalAveragePooling2D(name="logits")(x)
    if output == "sigmoid":
        x = layers.Activation("sigmoid", name="probabilities")(x)
    elif output == "softmax":
        x = layers.Softmax(name="probabilities")(x)
    model = b.keras.Model(inputs, x, name=name)
    b.apply()
    return model


def import_for_settings(checkpoint: Path, frontend: Mapping[str, Any], classes: Sequence[str],
                        *, width: float = 0.4, output: str = "sigmoid",
                        normalization: tuple[float, float] | None = EFFICIENTAT_NORMALIZATION
                        ) -> Any:
    """`import_efficientat` with the input patch and classes taken from deployment settings.

    `frontend` are the ``fe.*`` settings (a ``logmel`` frontend: ``fe.patch_frames`` frames of
    ``fe.filterbank_n_channels`` mels); `classes` must be as many as the checkpoint's outputs.
    The input gets EfficientAT's normalisation by default (its checkpoints expect it; set
    ``fe.log_offset`` to EfficientAT's 1e-5 for the closest match). Used by ``fwgen quantize MODEL.pt``.
    """
    where = str(checkpoint)
    kind = frontend_kind(frontend, where)
    if kind != LOGMEL or "fe.patch_frames" not in frontend:
        raise FwgenError(f"an EfficientAT model needs a log-mel frontend with fe.patch_frames; "
                         f"the settings give a '{kind}' frontend"
                         + ("" if kind != LOGMEL else " without fe.patch_frames"),
                         where=where, hint="use settings like the mn04_tagger zoo model's "
                                           "(--zoo mn04_tagger) with its classes replaced")
    model = import_efficientat(Path(checkpoint), width=width,
                               n_frames=int(frontend["fe.patch_frames"]),
                               n_mels=int(frontend.get("fe.filterbank_n_channels", 128)),
                               output=output, normalization=normalization)
    outputs = int(model.output_shape[-1])
    if outputs != len(classes):
        raise FwgenError(f"the checkpoint has {outputs} outputs but the settings name "
                         f"{len(classes)} classes", where=where,
                         hint="list one class name per output, in the checkpoint's order")
    return model
