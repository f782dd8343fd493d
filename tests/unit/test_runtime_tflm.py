"""The TFLM runtime without TFLM's sources: the resolver it generates, the arena it sizes, the
tree checks and refusals, `--runtime auto`, and the build it renders (a stand-in tree here: a
few files with the names and declarations fwgen reads, no TFLM code)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fwgen.boards import get_board
from fwgen.compiler import compile_model
from fwgen.compiler.reference import TflmModel
from fwgen.errors import FwgenError
from fwgen.runtime import RuntimeConfig, choose_runtime, get_runtime
from fwgen.runtime import tflm
from fwgen.tflite import read_model

MICRO_SPEECH = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "micro_speech.tflite"
RESOLVER_H = "tensorflow/lite/micro/micro_mutable_op_resolver.h"
# Registrations the stand-in header declares, and the kernel file that defines each.
STAND_IN_OPS = {"AddConv2D": ("Register_CONV_2D", "conv"),
                "AddDepthwiseConv2D": ("Register_DEPTHWISE_CONV_2D", "depthwise_conv"),
                "AddFullyConnected": ("Register_FULLY_CONNECTED", "fully_connected"),
                "AddReshape": ("Register_RESHAPE", "reshape"),
                "AddSoftmax": ("Register_SOFTMAX", "softmax"),
                "AddRelu": ("Register_RELU", "activations")}
CMSIS_NN_KERNELS = ("conv", "depthwise_conv", "fully_connected", "softmax")


def stand_in_tree(root: Path, *, cmsis_nn: bool = True, m_profile: bool = True) -> Path:
    """A folder laid out like create_tflm_tree.py's output, with just what fwgen reads."""
    for rel in tflm.TREE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("/* stand-in */\n")
    header = "".join(f"  TfLiteStatus {m}(\n      const TFLMRegistration& registration = {r}()) {{}}\n"
                     for m, (r, _) in STAND_IN_OPS.items())
    (root / RESOLVER_H).write_text(f"class MicroMutableOpResolver {{\n{header}}};\n")
    kernels = root / tflm.KERNEL_DIR
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel_util.cc").write_text("")
    for _, (reg, stem) in STAND_IN_OPS.items():
        (kernels / f"{stem}.cc").write_text(f"TFLMRegistration {reg}() {{ return {{}}; }}\n")
        (kernels / f"{stem}_common.cc").write_text("")
    if cmsis_nn:
        for rel in tflm.CMSIS_NN_FILES:
            if rel.endswith("m-profile") and not m_profile:
                continue
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir() if rel.endswith("m-profile") else path.write_text("")
        for stem in CMSIS_NN_KERNELS:
            reg = next(r for r, s in STAND_IN_OPS.values() if s == stem)
            (kernels / "cmsis_nn" / f"{stem}.cc").write_text(
                f"TFLMRegistration {reg}() {{ return {{}}; }}\n"
                f"TFLMRegistration {reg}_INT8() {{ return {{}}; }}\n")
    return root


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    return stand_in_tree(tmp_path / "tflm-tree")


@pytest.fixture(scope="module")
def micro_speech() -> bytes:
    return MICRO_SPEECH.read_bytes()


@pytest.mark.parametrize("op, method", [
    ("CONV_2D", "AddConv2D"), ("DEPTHWISE_CONV_2D", "AddDepthwiseConv2D"),
    ("FULLY_CONNECTED", "AddFullyConnected"), ("L2_POOL_2D", "AddL2Pool2D"),
    ("UNIDIRECTIONAL_SEQUENCE_LSTM", "AddUnidirectionalSequenceLSTM"),
    ("BATCH_MATMUL", "AddBatchMatMul"), ("SELECT_V2", "AddSelectV2"), ("RELU6", "AddRelu6"),
    ("PADV2", "AddPadV2"), ("LOG_SOFTMAX", "AddLogSoftmax"), ("TANH", "AddTanh"),
    ("LEAKY_RELU", "AddLeakyRelu"), ("STRIDED_SLICE", "AddStridedSlice"), ("SPLIT", "AddSplit")])
def test_resolver_method_names_the_header_method(op, method):
    assert tflm.resolver_method(op) == method
    assert method in tflm.RESOLVER_METHODS


def test_resolver_refuses_custom_and_unknown_ops(micro_speech):
    m = read_model(micro_speech)
    m.operators[3].opcode = "CUSTOM:MyOp"
    with pytest.raises(FwgenError) as err:
        tflm.resolver_ops(m, "kws.tflite")
    assert "custom operator MyOp" in err.value.message and err.value.where.startswith("kws.tflite")
    m.operators[3].opcode = "CONV_3D"
    with pytest.raises(FwgenError, match="CONV_3D is not supported by TFLM's MicroMutableOpResolver"):
        tflm.resolver_ops(m, "kws.tflite")


def test_compile_micro_speech(micro_speech, monkeypatch):
    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    compiled = get_runtime("tflm").compile(micro_speech, where=str(MICRO_SPEECH))
    ops = sorted({op.opcode for op in read_model(micro_speech).operators})
    assert [op for op, _ in compiled.ops] == ops
    # the arena: TFLM's own figure on the host plus the documented margins, 16-byte rounded
    host = TflmModel(micro_speech)
    host.run([np.zeros((1, 49, 40, 1), np.int8)])
    assert compiled.host_arena_used_bytes == host.arena_used_bytes()
    expected = compiled.host_arena_used_bytes + tflm.ARENA_MARGIN_BYTES + compiled.scratch_bytes
    assert compiled.arena_bytes == -(-expected // 16) * 16
    assert compiled.scratch_bytes == tflm.cmsis_nn_scratch_bytes(read_model(micro_speech)) > 0
    assert compiled.aot_arena_bytes == compile_model(micro_speech).arena_bytes
    assert compiled.weights_bytes == len(micro_speech)
    files = compiled.files
    resolver = files["tflm_resolver.h"]
    assert f"#define FWGEN_TFLM_OP_COUNT {len(ops)}u" in resolver
    assert "MicroMutableOpResolver<FWGEN_TFLM_OP_COUNT>" in resolver
    assert re.findall(r"resolver\.(Add\w+)\(\)", resolver) == [tflm.resolver_method(o) for o in ops]
    # the flatbuffer, byte for byte and 16-byte aligned, in model_data.c
    data = files["model_data.c"]
    body = data[data.index("= {") + 3:data.rindex("};")]
    assert bytes(int(v, 16) for v in re.findall(r"0x[0-9a-f]{2}", body)) == micro_speech
    assert "__attribute__((aligned(16)))" in data
    header = files["model.h"]
    assert f"#define FWGEN_MODEL_ARENA_BYTES   {compiled.arena_bytes}u" in header
    assert "#define FWGEN_MODEL_INPUT0_ELEMENTS 1960u" in header
    assert "#define FWGEN_MODEL_OUTPUT0_ELEMENTS 4u" in header
    glue = files["tflm_model.cc"]
    assert "AllocateTensors()" in glue and "__cxa_pure_virtual" in glue
    assert "operator delete(void *, size_t)" in glue
    lines = compiled.report_lines()
    assert f"arena_used_bytes() {compiled.host_arena_used_bytes} B" in lines[0]
    assert f"fwgen's own plan (--runtime aot) {compiled.aot_arena_bytes} B" in lines[1]


def test_host_reference_is_the_tflm_interpreter(micro_speech, monkeypatch):
    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    runtime = get_runtime("tflm")
    compiled = runtime.compile(micro_speech)
    x = np.random.default_rng(0).integers(-128, 128, (1, 49, 40, 1), dtype=np.int8)
    np.testing.assert_array_equal(runtime.host(compiled).run(x)[0], TflmModel(micro_speech).run(x)[0])


def test_no_tree_is_refused_before_any_work(monkeypatch, tmp_path):
    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    with pytest.raises(FwgenError) as err:
        get_runtime("tflm").check()
    assert err.value.where == "--tflm-dir"
    assert "FWGEN_TFLM_DIR" in err.value.hint and "create_tflm_tree.py" in err.value.hint
    monkeypatch.setenv(tflm.TFLM_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FwgenError, match="not a folder") as err:
        get_runtime("tflm").check()
    assert err.value.where == f"FWGEN_TFLM_DIR {tmp_path / 'nowhere'}"
    (tmp_path / "empty").mkdir()
    with pytest.raises(FwgenError, match="not a TFLM tree: tensorflow/lite/micro/micro_interpreter.h"):
        get_runtime("tflm", RuntimeConfig(tflm_dir=tmp_path / "empty")).check()


def test_tree_kernels(tmp_path):
    assert tflm.tree_kernels(stand_in_tree(tmp_path / "a")) == "cmsis_nn"
    assert tflm.tree_kernels(stand_in_tree(tmp_path / "b", cmsis_nn=False)) == "reference"
    with pytest.raises(FwgenError, match="not third_party/cmsis/CMSIS/Core/Include/m-profile/") as err:
        tflm.tree_kernels(stand_in_tree(tmp_path / "c", m_profile=False))
    assert "create_tflm_tree.py does not copy it" in err.value.hint
    assert "CMSIS/Core/Include/m-profile | tar -x -C" in err.value.hint


def test_cmsis_nn_on_dsp_cores_reference_kernels_elsewhere():
    dsp = get_board("b_u585i_iot02a")
    no_dsp = replace(dsp, id="no_dsp_m33", dsp=False)
    assert tflm.env_kernels(dsp, "cmsis_nn") == "cmsis_nn"
    assert tflm.env_kernels(dsp, "reference") == "reference"
    assert tflm.env_kernels(no_dsp, "reference") == "reference"
    with pytest.raises(FwgenError, match="no DSP extension") as err:
        tflm.env_kernels(no_dsp, "cmsis_nn")
    assert "without OPTIMIZED_KERNEL_DIR" in err.value.hint


def test_kernel_sources_are_the_models_registrations(tree):
    methods = ["AddConv2D", "AddReshape"]
    assert tflm.kernel_sources(tree, methods, "cmsis_nn") == [
        f"{tflm.KERNEL_DIR}/cmsis_nn/conv.cc", f"{tflm.KERNEL_DIR}/conv_common.cc",
        f"{tflm.KERNEL_DIR}/kernel_util.cc", f"{tflm.KERNEL_DIR}/reshape.cc",
        f"{tflm.KERNEL_DIR}/reshape_common.cc"]
    assert f"{tflm.KERNEL_DIR}/conv.cc" in tflm.kernel_sources(tree, methods, "reference")
    # a registration the tree does not define: every kernel is compiled, as TFLM's make does
    assert tflm.kernel_sources(tree, ["AddTanh"], "cmsis_nn") is None


def test_cmsis_nn_sources_follow_the_calls(tree):
    """CMSIS-NN files: those defining what the kernels call, transitively; no float ones."""
    source = tree / tflm.CMSIS_NN_SOURCE
    files = {"ConvolutionFunctions/arm_convolve_wrapper_s8.c":
             "arm_cmsis_nn_status arm_convolve_wrapper_s8(const int *ctx)\n{\n"
             "    return arm_convolve_s8(ctx);\n}\n",
             "ConvolutionFunctions/arm_convolve_s8.c":
             "arm_cmsis_nn_status\narm_convolve_s8(const int *ctx)\n{\n"
             "    arm_nn_mat_mult_kernel_s8_s16(ctx);\n    arm_helper_f32(ctx);\n}\n",
             "ConvolutionFunctions/arm_nn_mat_mult_kernel_s8_s16.c":
             "int8_t *arm_nn_mat_mult_kernel_s8_s16(const int *a)\n{\n    return 0;\n}\n",
             "ConvolutionFunctions/arm_helper_f32.c": "void arm_helper_f32(const int *a)\n{\n}\n",
             "SoftmaxFunctions/arm_softmax_s8.c": "void arm_softmax_s8(const int *a)\n{\n}\n"}
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text)
    conv = tree / tflm.KERNEL_DIR / "cmsis_nn" / "conv.cc"
    conv.write_text(conv.read_text() + "  arm_convolve_wrapper_s8(&ctx);\n")
    assert tflm.cmsis_nn_sources(tree, [conv.relative_to(tree).as_posix()]) == [
        f"{tflm.CMSIS_NN_SOURCE}/ConvolutionFunctions/{name}" for name in
        ("arm_convolve_s8.c", "arm_convolve_wrapper_s8.c", "arm_nn_mat_mult_kernel_s8_s16.c")]


def test_bench_build_marks_each_node(tree, micro_speech):
    """With a tree, every op type's invoke is wrapped in the bench build (the methods take a
    registration), and fwgen bench gets the nodes in invoke order."""
    from fwgen.bench.ops import op_table

    compiled = get_runtime("tflm", RuntimeConfig(tflm_dir=tree)).compile(micro_speech)
    m = read_model(micro_speech)
    assert [n["opcode"] for n in compiled.nodes] == [op.opcode for op in m.operators]
    assert sum(n["macs"] for n in compiled.nodes) == compiled.macs
    resolver = compiled.files["tflm_resolver.h"]
    # CMSIS-NN's int8-only kernels where the tree has them (all of micro_speech is int8)
    assert "fwgen_tflm_bench_wrap<0u>(tflite::Register_CONV_2D_INT8())" in resolver
    assert "resolver.AddConv2D(tflite::Register_CONV_2D_INT8())" in resolver
    assert "fwgen_tflm_bench_wrap<2u>(tflite::Register_RESHAPE())" in resolver
    assert "resolver.AddReshape()" in resolver
    assert f"fwgen_bench_marks[FWGEN_BENCH_OP0 + {len(m.operators)}u]" in compiled.files["tflm_model.cc"]

    class Deployment:
        pass
    deployment = Deployment()
    deployment.compiled = compiled
    assert [op.opcode for op in op_table("tflm", deployment)] == [op.opcode for op in m.operators]
    # without a tree nothing is known to be wrappable: the bench build marks the invoke only
    plain = get_runtime("tflm").compile(micro_speech)
    assert plain.nodes == [] and "fwgen_bench_marks[FWGEN_BENCH_OP0 + 0u]" in plain.files["tflm_model.cc"]


def test_int8_registrations_only_where_every_node_is_int8(tmp_path, micro_speech):
    from compiler_helpers import mutate

    cmsis, reference = stand_in_tree(tmp_path / "a"), stand_in_tree(tmp_path / "b", cmsis_nn=False)
    m = read_model(micro_speech)
    regs = tflm.wrappable_registrations(cmsis)
    assert tflm.int8_registrations(cmsis, m, regs) == {
        "AddConv2D": "Register_CONV_2D_INT8", "AddFullyConnected": "Register_FULLY_CONNECTED_INT8",
        "AddSoftmax": "Register_SOFTMAX_INT8"}
    assert tflm.int8_registrations(reference, m, regs) == {}

    def int16_softmax_out(model, schema):
        op = model.subgraphs[0].operators[3]
        model.subgraphs[0].tensors[op.outputs[0]].type = schema.TensorType.INT16
    m16 = read_model(mutate(micro_speech, int16_softmax_out))
    assert "AddSoftmax" not in tflm.int8_registrations(cmsis, m16, regs)


@pytest.mark.parametrize("board, define", [("b_u585i_iot02a", "CPU_M33=1"),
                                           ("b_l475e_iot01a", "CPU_M4=1"),
                                           ("nucleo_h743zi", "CPU_M7=1")])
def test_cpu_define(board, define):
    assert tflm.cpu_define(get_board(board)) == define


def test_build_settings_are_tflms_release_build():
    s = tflm.TflmBuild(kernels="cmsis_nn", cpu_define="CPU_M33=1").settings()
    for define in ("CMSIS_NN", "TF_LITE_STATIC_MEMORY", "KERNELS_OPTIMIZED_FOR_SPEED",
                   "TF_LITE_STRIP_ERROR_STRINGS", "NDEBUG", "CPU_M33=1"):
        assert define in s["defines"]
    assert s["cxx_flags"] == ["-std=c++17", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics"]
    assert {lib["name"]: lib["opt"] for lib in s["libraries"]} == {
        "tflm_framework": "-Os", "tflm_kernels": "-O2", "cmsis_nn": "-O2"}
    assert "third_party/cmsis/CMSIS/Core/Include" in s["includes"]
    ref = tflm.TflmBuild(kernels="reference", cpu_define="CPU_M33=1").settings()
    assert "CMSIS_NN" not in ref["defines"] and "cmsis_nn" not in {lib["name"] for lib in ref["libraries"]}
    assert not any("cmsis" in inc for inc in ref["includes"])


def test_auto_takes_the_compiler_where_it_can(micro_speech):
    from compiler_helpers import mutate, softmax_to_tanh

    name, why = choose_runtime(micro_speech, "micro_speech.tflite")
    assert (name, why) == ("aot", "fwgen's compiler supports every op of the model")
    name, why = choose_runtime(mutate(micro_speech, softmax_to_tanh), "tanh.tflite")
    assert name == "tflm" and "operator TANH is not supported" in why


def test_rendered_project(tree, micro_speech, tmp_path):
    """The project a TFLM deployment renders: its generated files, the extra script and one
    settings file per environment, platformio.ini naming both, no fwgen kernels, no TFLM source."""
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.project.build import project_spec
    from fwgen.project.render import render_files
    from fwgen.zoo import resolve_model

    deployment = prepare(resolve_model("micro_speech"), DeployOptions(runtime="tflm", tflm_dir=tree))
    assert deployment.inputs["runtime"] == "tflm"
    files = render_files(project_spec(deployment, get_board("b_u585i_iot02a")))
    assert "src/generated/tflm_model.cc" in files and "src/generated/model_data.c" in files
    assert not any(p.startswith("src/fwgen/nn/") for p in files)
    assert not any("tensorflow/" in p or "cmsis" in p.lower() for p in files)
    assert files[tflm.EXTRA_SCRIPT] == (Path(__file__).resolve().parents[2] / "templates" /
                                        "platformio" / "tflm" / "tflm_build.py").read_bytes()
    ini = files["platformio.ini"].decode()
    for env in ("b_u585i_iot02a", "mps2_an505"):
        section = ini[ini.index(f"[env:{env}]"):]
        assert "extra_scripts = post:tflm/tflm_build.py" in section
        assert f"custom_tflm_dir = {tree.resolve()}" in section
        assert f"custom_tflm_settings = tflm/{env}.json" in section
        settings = json.loads(files[f"tflm/{env}.json"])
        assert settings["kernels"] == "cmsis_nn" and "CPU_M33=1" in settings["defines"]
        kernels = next(lib for lib in settings["libraries"] if lib["name"] == "tflm_kernels")
        assert f"+<{tflm.KERNEL_DIR}/cmsis_nn/conv.cc>" in kernels["filter"]
        assert f"+<{tflm.KERNEL_DIR}/cmsis_nn/fully_connected.cc>" in kernels["filter"]


def test_build_without_a_tree_writes_nothing(tmp_path, monkeypatch, capsys):
    from fwgen.cli import main

    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    out = tmp_path / "project"
    code = main(["build", "--model", "micro_speech", "--board", "mps2_an505", "--runtime", "tflm",
                 "--out", str(out), "--render-only"])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "--tflm-dir" in err and "FWGEN_TFLM_DIR" in err and "Traceback" not in err


def test_bench_without_a_tree_is_refused_before_any_build(monkeypatch, capsys):
    from fwgen.cli import main

    monkeypatch.delenv(tflm.TFLM_DIR_ENV, raising=False)
    assert main(["bench", "--model", "micro_speech", "--board", "mps2_an505", "--runtime", "tflm"]) == 2
    err = capsys.readouterr().err
    assert "--tflm-dir" in err and "building" not in err and "Traceback" not in err


def test_reference_tree_needs_no_cmsis_nn_scratch(tmp_path, micro_speech):
    reference = stand_in_tree(tmp_path / "ref", cmsis_nn=False)
    compiled = get_runtime("tflm", RuntimeConfig(tflm_dir=reference)).compile(micro_speech)
    assert compiled.scratch_bytes == 0
    assert compiled.arena_bytes == -(-(compiled.host_arena_used_bytes + tflm.ARENA_MARGIN_BYTES) // 16) * 16
