"""The compiler's choice of the CONV_2D DSP variant's code path per layer
(fwgen.compiler.ops.conv2d.conv2d_path): what the zoo models' layers take, the generated
fwgen_nn_paths.h that lists them, and the limits it shares with the C (the same numbers)."""
from __future__ import annotations

import re

import pytest

from fwgen.compiler import compile_model
from fwgen.compiler.compile import PATHS_HEADER
from fwgen.compiler.ops import _conv, conv2d
from fwgen.zoo import get_model


def _layer_paths(compiled) -> list[str]:
    c = compiled.files["model.c"]
    return re.findall(r"fwgen_nn_conv_params_t \w+ = \{[^;]*\.path = FWGEN_NN_CONV_PATH_(\w+)\}", c)


def _listed(compiled) -> set[str]:
    return set(re.findall(r"#define FWGEN_NN_CONV2D_USES_(\w+) 1", compiled.files[PATHS_HEADER]))


@pytest.fixture(scope="module")
def zoo():
    return {name: compile_model(get_model(name).require_weights()) for name in ("micro_speech", "yamnet_256")}


def test_micro_speech_takes_the_one_channel_path_only(zoo):
    assert _layer_paths(zoo["micro_speech"]) == ["1CH"]
    assert _listed(zoo["micro_speech"]) == {"1CH"}
    header = zoo["micro_speech"].files[PATHS_HEADER]   # its 10x8/2: nn_dsp_conv1ch.h's 8-wide rows
    assert "#define FWGEN_NN_1CH_PATHS_LISTED 1" in header and "#define FWGEN_NN_1CH_USES_W8 1" in header
    assert "FWGEN_NN_1CH_USES_3X3" not in header and "FWGEN_NN_1CH_USES_RING" not in header


def test_yamnet_paths_per_layer(zoo):
    # the 1 -> 32 stem, then five 1x1 convolutions of 32..256 taps
    assert _layer_paths(zoo["yamnet_256"]) == ["1CH"] + ["1X1"] * 5
    assert _listed(zoo["yamnet_256"]) == {"1CH", "1X1"}
    header = zoo["yamnet_256"].files[PATHS_HEADER]   # its 3x3/2 stem
    assert "#define FWGEN_NN_1CH_USES_3X3 1" in header
    assert "FWGEN_NN_1CH_USES_W8" not in header and "FWGEN_NN_1CH_USES_RING" not in header


def _one_channel_listed(compiled) -> set[str]:
    header = compiled.files[PATHS_HEADER]
    assert "#define FWGEN_NN_1CH_PATHS_LISTED 1" in header
    return set(re.findall(r"#define FWGEN_NN_1CH_USES_(\w+) 1", header))


def test_a_depthwise_layer_lists_its_one_channel_path(shared_data):
    """DEPTHWISE_CONV_2D's DSP variant takes nn_dsp_conv1ch.h for one input channel too: TFLM's
    micro_speech (depthwise 10x8/2, 1 x 8, and dense) lists that layer's 8-wide path."""
    model = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    if not model.is_file():
        pytest.skip(f"needs {model}")
    compiled = compile_model(model)
    assert _one_channel_listed(compiled) == {"W8"}
    assert _listed(compiled) == set()      # no CONV_2D layer


def test_conv_and_depthwise_one_channel_layers_list_both_paths():
    """A model with a one-channel CONV_2D (3x3/2: the 3x3 path) and a one-channel depthwise layer
    (10x8/2 x 8: the 8-wide path) lists both, so neither falls back to the plain loop."""
    import tensorflow as tf  # noqa: PLC0415

    from fwgen.testing import testmodels  # noqa: PLC0415

    def both(x):
        depthwise = tf.keras.layers.DepthwiseConv2D((10, 8), strides=2, depth_multiplier=8,
                                                    padding="same")(x)
        conv = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same")(x)
        return tf.keras.layers.Add()([depthwise, conv])

    compiled = compile_model(testmodels.single_op(both, (49, 40, 1)))
    assert _listed(compiled) == {"1CH"}
    assert _one_channel_listed(compiled) == {"3X3", "W8"}


def _params(in_c, k_h, k_w, k_c, out_c, out_w=8, stride=1, dilation=1):
    return {"input": {"n": 1, "h": 8, "w": 8, "c": in_c}, "filter": {"n": out_c, "h": k_h, "w": k_w, "c": k_c},
            "output": {"n": 1, "h": 8, "w": out_w, "c": out_c}, "stride_h": stride, "stride_w": stride,
            "dilation_h": dilation, "dilation_w": dilation}


@pytest.mark.parametrize("args, path", [
    ((1, 3, 3, 1, 32), "1CH"),
    ((1, 3, 3, 1, 33), "QUAD"),                        # more channels than the 1-channel buffers
    ((1, 3, 3, 1, 8, 8, 1, 2), "QUAD"),                # dilated
    ((1, 17, 1, 1, 4), "QUAD"),                        # more rows than the ring
    ((2, 3, 3, 1, 4), "PAIR"),                         # grouped, one channel per group
    ((256, 1, 1, 256, 8), "1X1"),
    ((40, 1, 1, 40, 120), "1X1"),                      # TENet's
    ((80, 1, 1, 40, 8), "PAIR"),                       # 1x1, grouped
    ((8, 1, 2, 8, 8), "QUAD"),
    ((104, 3, 1, 104, 40), "QUAD"),                    # TENet's first layer: 312 taps
    ((28, 3, 3, 28, 8), "QUAD"),
    ((16, 3, 3, 8, 8), "PAIR"),                        # grouped
    ((36, 3, 3, 36, 8), "PIXEL"),                      # 324 taps
    ((257, 1, 1, 257, 8), "1X1"),
    ((321, 1, 1, 321, 8), "PIXEL"),
    ((56, 3, 3, 56, 3), "PIXEL"),
    ((57, 3, 3, 57, 3), "GENERIC"),
    ((513, 1, 1, 513, 2), "GENERIC"),
])
def test_path_by_shape(args, path):
    assert conv2d.conv2d_path(_params(*args)) == path


def _c_define(text: str, name: str) -> int:
    match = re.search(rf"#define {name} (\d+)", text)
    assert match, name
    return int(match.group(1))


def test_limits_agree_with_the_c(repo_root):
    dsp = repo_root / "firmware" / "nn" / "dsp"
    conv = (dsp / "nn_conv2d_s8.c").read_text()
    one = (dsp / "nn_dsp_conv1ch.h").read_text()
    assert _c_define(conv, "CONV_1X1_TAPS_MAX") == conv2d.ONE_BY_ONE_TAPS_MAX
    assert _c_define(conv, "CONV_PAIR_TAPS_MAX") == conv2d.PAIR_TAPS_MAX
    assert _c_define(conv, "CONV_TAPS_MAX") == conv2d.PIXEL_TAPS_MAX
    assert _c_define(one, "FWGEN_NN_DSP_1CH_WIDE_MAX") == _conv.ONE_CH_WIDE_MAX
    assert _c_define(one, "FWGEN_NN_DSP_1CH_RING_MAX") == _conv.ONE_CH_RING_MAX
    assert _c_define(one, "FWGEN_NN_DSP_1CH_ROWS_MAX") == _conv.ONE_CH_ROWS_MAX
    assert _c_define(one, "FWGEN_NN_DSP_1CH_CHANNELS_MAX") == _conv.ONE_CH_CHANNELS_MAX
    nn_h = (repo_root / "firmware" / "nn" / "nn.h").read_text()
    for path in conv2d.PATHS:   # each path has its nn.h value and a case in the variant
        assert re.search(rf"#define FWGEN_NN_CONV_PATH_{path} \d+", nn_h), path
        assert f"case FWGEN_NN_CONV_PATH_{path}:" in conv or f"p->path == FWGEN_NN_CONV_PATH_{path}" in conv
        assert f"#if {conv2d.path_define(path)}" in conv
