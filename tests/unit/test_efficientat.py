"""EfficientAT checkpoint importer: PyTorch eval output == Keras output; int8 deploys bit-exactly.

The oracle is PyTorch itself: a network with EfficientAT's ``models/mn`` structure and
state_dict naming (written here, our own code) with random weights and random batch-norm
statistics, run in ``eval()`` mode. The int8 oracle is TFLM on the quantized import.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from fwgen.errors import FwgenError  # noqa: E402
from fwgen.train import efficientat  # noqa: E402
from fwgen.train.architectures import MOBILENET_V3_LARGE, make_divisible  # noqa: E402

N_FRAMES, N_MELS = 32, 32
N_CLASSES = 7


# ---- a PyTorch network named and shaped like EfficientAT's MN (models/mn) -------------------

def _conv_norm_act(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                   act: type[nn.Module] | None = None) -> nn.Sequential:
    parts: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=0.001),
    ]
    if act is not None:
        parts.append(act())
    return nn.Sequential(*parts)


class _SE(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        squeezed = make_divisible(channels // 4, 8)
        self.fc1 = nn.Linear(channels, squeezed)
        self.fc2 = nn.Linear(squeezed, channels)

    def forward(self, x):
        s = x.mean((2, 3))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
        return x * s[:, :, None, None]


class _ConcurrentSE(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conc_se_layers = nn.ModuleList([_SE(channels)])

    def forward(self, x):
        return self.conc_se_layers[0](x)


class _Block(nn.Module):
    def __init__(self, cin: int, kernel: int, expanded: int, out: int, se: bool, hs: bool,
                 stride: int):
        super().__init__()
        act = nn.Hardswish if hs else nn.ReLU
        parts: list[nn.Module] = []
        if expanded != cin:
            parts.append(_conv_norm_act(cin, expanded, 1, act=act))
        parts.append(_conv_norm_act(expanded, expanded, kernel, stride, groups=expanded, act=act))
        if se:
            parts.append(_ConcurrentSE(expanded))
        parts.append(_conv_norm_act(expanded, out, 1))
        self.block = nn.Sequential(*parts)
        self.residual = stride == 1 and cin == out

    def forward(self, x):
        y = self.block(x)
        return y + x if self.residual else y


class TorchMN(nn.Module):
    """EfficientAT's MobileNetV3 with the 'mlp' or 'fully_convolutional' head."""

    def __init__(self, width: float = 0.4, n_classes: int = N_CLASSES, head: str = "mlp"):
        super().__init__()
        ch = lambda c: make_divisible(c * width)  # noqa: E731
        cin = ch(16)
        layers: list[nn.Module] = [_conv_norm_act(1, cin, 3, 2, act=nn.Hardswish)]
        for b in MOBILENET_V3_LARGE:
            layers.append(_Block(cin, b.kernel, ch(b.expanded), ch(b.out), b.squeeze_excite,
                                 b.hard_swish, b.stride))
            cin = ch(b.out)
        layers.append(_conv_norm_act(cin, 6 * cin, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        if head == "mlp":
            self.classifier = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(6 * cin, ch(1280)),
                nn.Hardswish(), nn.Dropout(0.2), nn.Linear(ch(1280), n_classes))
        else:
            self.classifier = nn.Sequential(
                nn.Conv2d(6 * cin, n_classes, 1, bias=False), nn.BatchNorm2d(n_classes),
                nn.AdaptiveAvgPool2d(1), nn.Flatten(1))

    def forward(self, x):
        return self.classifier(self.features(x))


def _randomise(model: nn.Module, seed: int) -> nn.Module:
    """Random weights and random batch-norm statistics (not the identity init)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=gen))
                module.bias.copy_(0.2 * torch.randn(n, generator=gen))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=gen))
                module.running_var.copy_(0.5 + torch.rand(n, generator=gen))
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen)
                                    * (2.0 / fan_in) ** 0.5)
                if module.bias is not None:
                    module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))
    return model.eval()


def _save(model: nn.Module, path: Path, wrap: str | None = None) -> Path:
    state = model.state_dict()
    torch.save({wrap: state, "epoch": 3} if wrap else state, path)
    return path


def _torch_logits(model: nn.Module, patches: np.ndarray) -> np.ndarray:
    """`patches` (batch, frames, mels, 1) in fwgen's layout -> EfficientAT's (batch, 1, mels, frames)."""
    x = torch.from_numpy(np.ascontiguousarray(patches[..., 0].transpose(0, 2, 1)[:, None]))
    with torch.no_grad():
        return model(x).numpy()


def _logmel(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # log-mel-like: negative offset, a few dB of spread, time-correlated structure
    base = rng.normal(-4.0, 1.5, size=(count, 1, N_MELS, 1))
    return (base + rng.normal(0.0, 1.0, size=(count, N_FRAMES, N_MELS, 1))).astype(np.float32)


@pytest.fixture(scope="module")
def mn04(tmp_path_factory) -> tuple[nn.Module, Path]:
    model = _randomise(TorchMN(0.4), seed=1)
    return model, _save(model, tmp_path_factory.mktemp("efficientat") / "mn04.pt")


# ---- float equivalence -----------------------------------------------------------------------

def test_keras_import_matches_torch_eval_output(mn04):
    torch_model, path = mn04
    keras_model = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS,
                                                 output="logits")
    patches = _logmel(8, seed=2)
    want = _torch_logits(torch_model, patches)
    got = keras_model(patches, training=False).numpy()
    assert got.shape == (8, N_CLASSES)
    assert np.abs(want).max() > 0.1  # not a degenerate all-zero network
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    # and the model can tell inputs apart (the comparison is not vacuous)
    assert np.ptp(want, axis=0).max() > 1e-2


def test_efficientat_normalization_is_applied_first(mn04):
    torch_model, path = mn04
    keras_model = efficientat.import_efficientat(
        path, n_frames=N_FRAMES, n_mels=N_MELS, output="logits",
        normalization=efficientat.EFFICIENTAT_NORMALIZATION)
    patches = _logmel(4, seed=11)
    want = _torch_logits(torch_model, (patches + 4.5) / 5.0)
    np.testing.assert_allclose(keras_model(patches).numpy(), want, atol=1e-4, rtol=1e-4)
    assert np.abs(want - _torch_logits(torch_model, patches)).max() > 1e-2


def test_sigmoid_and_softmax_outputs(mn04):
    torch_model, path = mn04
    patches = _logmel(3, seed=3)
    logits = _torch_logits(torch_model, patches)
    sig = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS)
    np.testing.assert_allclose(sig(patches).numpy(), 1 / (1 + np.exp(-logits)), atol=1e-5)
    soft = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS,
                                          output="softmax")
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(soft(patches).numpy(), e / e.sum(axis=1, keepdims=True),
                               atol=1e-5)


@pytest.mark.parametrize("wrap", ["model", "state_dict"])
def test_wrapped_checkpoint_and_fully_convolutional_head(tmp_path, wrap):
    torch_model = _randomise(TorchMN(0.4, n_classes=5, head="fully_convolutional"), seed=4)
    path = _save(torch_model, tmp_path / "fc.pt", wrap=wrap)
    keras_model = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS,
                                                 output="logits")
    patches = _logmel(4, seed=5)
    np.testing.assert_allclose(keras_model(patches).numpy(), _torch_logits(torch_model, patches),
                               atol=1e-4, rtol=1e-4)


def test_n_classes_replaces_only_the_last_layer(mn04):
    _, path = mn04
    same = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS)
    new = efficientat.import_efficientat(path, n_classes=3, n_frames=N_FRAMES, n_mels=N_MELS)
    assert new.output_shape == (None, 3)
    for name in ("stem_conv", "block14_project", "head_dense"):
        for a, b in zip(same.get_layer(name).get_weights(), new.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


# ---- int8: quantize the import, compile with fwgen, compare with TFLM --------------------------

def test_int8_import_compiles_bit_exact_with_tflm(mn04):
    from fwgen.compiler.validate import validate_model
    from fwgen.train.quantize import to_int8_tflite

    _, path = mn04
    keras_model = efficientat.import_efficientat(path, n_frames=N_FRAMES, n_mels=N_MELS)
    tflite = to_int8_tflite(keras_model, list(_logmel(32, seed=6)))
    report = validate_model(tflite, random=4, seed=7, measure_code=False)
    assert report.total_elements == 4 * N_CLASSES
    assert report.ok, report.first_mismatch


# ---- errors ----------------------------------------------------------------------------------

def _message(excinfo) -> str:
    return str(excinfo.value)


def test_wrong_width_names_the_checkpoint_width(tmp_path):
    path = _save(_randomise(TorchMN(1.0), seed=8), tmp_path / "mn10.pt")
    with pytest.raises(FwgenError, match=r"width 1 \(mn10\), not width 0.4") as excinfo:
        efficientat.import_efficientat(path, width=0.4)
    assert "width=1" in excinfo.value.hint


def test_missing_and_unexpected_keys_are_named(tmp_path, mn04):
    torch_model, _ = mn04
    state = dict(torch_model.state_dict())
    del state["features.3.block.1.1.running_var"]
    state["features.3.block.9.0.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "odd.pt")
    with pytest.raises(FwgenError) as excinfo:
        efficientat.import_efficientat(tmp_path / "odd.pt")
    text = _message(excinfo)
    assert "missing keys: features.3.block.1.1.running_var" in text
    assert "unexpected keys: features.3.block.9.0.weight" in text


def test_shape_mismatch_names_key_expected_and_found(tmp_path, mn04):
    torch_model, _ = mn04
    state = dict(torch_model.state_dict())
    state["features.5.block.2.conc_se_layers.0.fc1.weight"] = torch.zeros(8, 5)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(FwgenError, match=r"shape mismatch for "
                       r"'features\.5\.block\.2\.conc_se_layers\.0\.fc1\.weight': "
                       r"expected \(16, 48\), found \(8, 5\)"):
        efficientat.import_efficientat(tmp_path / "bad.pt")


def test_not_a_checkpoint(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a pickle or a zip")
    with pytest.raises(FwgenError, match="not a PyTorch checkpoint") as excinfo:
        efficientat.import_efficientat(junk)
    assert str(junk) in _message(excinfo)
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(FwgenError, match="holds a list, not a state_dict"):
        efficientat.import_efficientat(tmp_path / "list.pt")
    with pytest.raises(FwgenError, match="checkpoint not found"):
        efficientat.import_efficientat(tmp_path / "absent.pt")


def test_a_checkpoint_with_pickled_code_is_refused(tmp_path):
    """weights_only=True: an arbitrary pickled object is not loaded (and its code never runs)."""
    torch.save({"model": TorchMN(0.4)}, tmp_path / "whole_module.pt")
    with pytest.raises(FwgenError, match="not a PyTorch checkpoint"):
        efficientat.import_efficientat(tmp_path / "whole_module.pt")


def test_missing_torch_hint(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(FwgenError, match="needs PyTorch") as excinfo:
        efficientat.import_efficientat(tmp_path / "x.pt")
    assert "pip install 'fwgen[torch]'" in excinfo.value.hint


def test_bad_options():
    with pytest.raises(FwgenError, match="unknown output"):
        efficientat.import_efficientat(Path("x.pt"), output="relu")
    with pytest.raises(FwgenError, match="strides"):
        efficientat.import_efficientat(Path("x.pt"), strides=(2, 2, 3, 2))


# ---- CLI: fwgen quantize MODEL.pt ------------------------------------------------------------

def _tiny_esc50(root: Path, classes) -> Path:
    """An ESC-50-layout folder: one 1 s noise clip per class, all in training fold 1."""
    import soundfile

    (root / "audio").mkdir(parents=True)
    rng = np.random.default_rng(10)
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for target, name in enumerate(classes):
        clip = f"1-{target}-A-{target}.wav"
        soundfile.write(root / "audio" / clip, 0.1 * rng.standard_normal(16000), 16000,
                        subtype="PCM_16")
        rows.append(f"{clip},1,{target},{name},False,{target},A")
    (root / "meta").mkdir()
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    return root


def test_cli_quantize_imports_a_checkpoint(tmp_path, capsys):
    """`fwgen quantize mn04.pt --zoo mn04_tagger`: an int8 .tflite with the zoo's metadata,
    whose float source is the checkpoint (TFLM runs it; fwgen compiles it bit-exactly)."""
    from fwgen.cli import main
    from fwgen.compiler.validate import validate_model
    from fwgen.tflite.metadata import read_model_metadata
    from fwgen.zoo import get_model

    classes = get_model("mn04_tagger").metadata.classes
    path = _save(_randomise(TorchMN(0.4, n_classes=len(classes)), seed=9), tmp_path / "mn04.pt")
    data = _tiny_esc50(tmp_path / "esc", classes)
    assert main(["quantize", str(path), "--zoo", "mn04_tagger", "--data", str(data),
                 "--examples", "4"]) == 0
    out = tmp_path / "mn04.tflite"
    assert str(out) in capsys.readouterr().out
    metadata = read_model_metadata(out)
    assert metadata.classes == tuple(classes)
    import hashlib

    recorded = metadata.provenance["float_model"]   # the checkpoint, not a temporary .keras
    assert recorded["path"] == "mn04.pt"
    assert recorded["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert validate_model(out, random=1, measure_code=False).ok


def test_cli_quantize_checkpoint_errors(tmp_path, capsys, mn04):
    from fwgen.cli import main

    _, path = mn04  # 7 classes; the zoo model names 10
    assert main(["quantize", str(path), "--zoo", "mn04_tagger", "--data", "synthetic"]) == 2
    assert "the checkpoint has 7 outputs but the settings name 10 classes" in \
        capsys.readouterr().err
    assert main(["quantize", str(path), "--zoo", "micro_speech", "--data", "synthetic"]) == 2
    assert "needs a log-mel frontend" in capsys.readouterr().err
    assert main(["quantize", str(path), "--zoo", "mn04_tagger", "--width", "1.0",
                 "--data", "synthetic"]) == 2
    assert "not width 1" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.tflite"))
