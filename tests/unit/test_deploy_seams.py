"""The deployment layer's seams: the runtime interface (aot first), the one frontend dispatch,
and prepare() reading nothing of a runtime but what the interface declares."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.deploy import DeployOptions, prepare
from fwgen.errors import FwgenError
from fwgen.frontend.spec import (LOGMEL, MICROFRONTEND, LogMelSpec, MicroFrontendSpec,
                                 frontend_kind, frontend_spec)
from fwgen.runtime import RUNTIMES, get_runtime
from fwgen.zoo import get_model, resolve_model


def test_the_aot_runtime_is_the_default_and_tflm_the_second():
    assert list(RUNTIMES) == ["aot", "tflm"]
    runtime = get_runtime()
    assert runtime.name == "aot" and runtime.firmware_modules == ("nn",)
    assert get_runtime("tflm").firmware_modules == ()
    with pytest.raises(FwgenError, match="unknown runtime 'tvm'") as err:
        get_runtime("tvm")
    assert "--runtime" in str(err.value) and "one of aot, tflm, auto" in str(err.value)


def test_the_runtime_host_inference_is_the_compilers():
    """Runtime.host runs the same generated C as compiler.run_on_host, and both agree with
    the TFLM interpreter (the oracle) on the zoo model."""
    from tflite_micro.python.tflite_micro import runtime as tflm

    from fwgen.compiler import run_on_host

    data = get_model("micro_speech").require_weights().read_bytes()
    runtime = get_runtime("aot")
    compiled = runtime.compile(data)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, compiled.input.shape, dtype=np.int8)
    ours = runtime.host(compiled).run(x)[0]
    assert np.array_equal(ours, run_on_host(compiled, x))
    interpreter = tflm.Interpreter.from_bytes(data)
    interpreter.set_input(x, 0)
    interpreter.invoke()
    assert np.array_equal(ours.reshape(-1), interpreter.get_output(0).reshape(-1))


def test_prepare_takes_the_runtime_from_its_options():
    source = resolve_model("micro_speech")
    deployment = prepare(source, DeployOptions())
    assert deployment.runtime == "aot" and "model.c" in deployment.files
    with pytest.raises(FwgenError, match="unknown runtime 'nope'"):
        prepare(source, DeployOptions(runtime="nope"))


def test_frontend_kind_is_read_in_one_place():
    assert frontend_kind({}) == MICROFRONTEND
    assert frontend_kind({"fe.frontend": "logmel"}) == LOGMEL
    with pytest.raises(FwgenError, match="fe.frontend = 'mfcc' is not a frontend fwgen has") as err:
        frontend_kind({"fe.frontend": "mfcc"}, where="m.yaml")
    assert str(err.value).startswith("m.yaml: ") and "microfrontend, logmel" in str(err.value)


def test_each_frontend_kind_has_its_spec():
    micro = frontend_spec(get_model("micro_speech").metadata.frontend)
    assert isinstance(micro, MicroFrontendSpec)
    assert (micro.sample_rate, micro.window_size, micro.window_step, micro.n_channels) == \
        (16000, 480, 320, 40)
    assert micro.feature_dtype == 0 and micro.default_stride == 1
    assert micro.window_samples(49) == 48 * 320 + 480
    logmel = frontend_spec(get_model("yamnet_256").metadata.frontend)
    assert isinstance(logmel, LogMelSpec)
    assert logmel.feature_dtype == 1 and logmel.n_channels == 64
    assert logmel.default_stride == logmel.settings.patch_hop_frames
    logmel.check_window(logmel.settings.patch_frames, "m")
    with pytest.raises(FwgenError, match="model input holds 95 frames, fe.patch_frames is 96"):
        logmel.check_window(95, "m")


def test_the_spec_builds_the_model_input_as_the_app_does():
    """Microfrontend: int8 over the whole window from the same C; log-mel: the quantized
    frames, transposed for a channels-first model."""
    from fwgen.frontend import Frontend

    micro = frontend_spec(get_model("micro_speech").metadata.frontend)
    pcm = (np.random.default_rng(1).standard_normal(16000) * 3000).astype(np.int16)
    features = micro.link_features(pcm, (0.1, -128))
    assert features.dtype == np.uint16 and features.shape == (49, 40)
    expected = Frontend(micro.settings, output="uint16").to_int8(features)
    assert np.array_equal(micro.model_input(features, (0.1, -128)), expected)
    logmel = frontend_spec({**get_model("yamnet_256").metadata.frontend,
                            "fe.patch_layout": "channels_frames"})
    window = np.arange(12, dtype=np.int8).reshape(4, 3)
    assert np.array_equal(logmel.model_input(window, (0.1, 0)), window.T)
