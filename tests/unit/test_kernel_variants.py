"""Kernel variants (fwgen.project.variants): a firmware/nn/dsp/ file replaces its portable namesake
in firmware for DSP cores, in projects and in the flash figures; other cores and the host build
keep the portable C; a variant without a portable kernel is an error naming it."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from fwgen.boards import get_board
from fwgen.compiler import compile_model
from fwgen.project.model_size import model_sources
from fwgen.errors import FwgenError
from fwgen.project.render import ProjectSpec, render_files
from fwgen.project.variants import nn_files, variant_folders

VARIANT = "/* DSP variant of nn_conv2d_s8 (test) */\n"
NN = ("nn",)   # the modules fwgen's ahead-of-time runtime declares (Runtime.firmware_modules)


@pytest.fixture
def dsp_board():
    board = get_board("mps2_an505")
    assert board.dsp
    return board


@pytest.fixture
def plain_board():
    """A core without the DSP extension (no board file has one yet: a board with dsp off)."""
    return dataclasses.replace(get_board("b_u585i_iot02a"), dsp=False)


@pytest.fixture
def nn_dir(tmp_path):
    nn = tmp_path / "nn"
    (nn / "dsp").mkdir(parents=True)
    for name in ("nn.h", "nn_add_s8.c", "nn_conv2d_s8.c"):
        (nn / name).write_text(f"/* portable {name} */\n")
    (nn / "dsp" / "nn_conv2d_s8.c").write_text(VARIANT)
    (nn / "dsp" / "nn_dsp_simd.h").write_text("/* helper */\n")
    (nn / "dsp" / "README.md").write_text("not a source\n")
    return nn


@pytest.fixture
def fw_root(tmp_path, repo_root):
    """A copy of the fwgen tree's firmware/ with a DSP variant of the convolution."""
    root = tmp_path / "tree"
    shutil.copytree(repo_root / "firmware", root / "firmware")
    (root / "templates").symlink_to(repo_root / "templates")
    (root / "firmware" / "nn" / "dsp" / "nn_conv2d_s8.c").write_text(VARIANT)
    return root


def test_a_dsp_core_gets_the_variant(nn_dir, dsp_board):
    assert variant_folders(dsp_board) == ("dsp",)
    files = nn_files(dsp_board, nn_dir)
    assert files["nn_conv2d_s8.c"] == nn_dir / "dsp" / "nn_conv2d_s8.c"
    assert files["nn_add_s8.c"] == nn_dir / "nn_add_s8.c"
    assert files["nn.h"] == nn_dir / "nn.h"
    assert files["dsp/nn_dsp_simd.h"] == nn_dir / "dsp" / "nn_dsp_simd.h"
    assert set(files) == {"nn.h", "nn_add_s8.c", "nn_conv2d_s8.c", "dsp/nn_dsp_simd.h"}


def test_a_core_without_dsp_gets_the_portable_kernels(nn_dir, plain_board):
    assert variant_folders(plain_board) == ()
    files = nn_files(plain_board, nn_dir)
    assert files == {name: nn_dir / name for name in ("nn.h", "nn_add_s8.c", "nn_conv2d_s8.c")}


@pytest.mark.parametrize("dsp", [True, False])
def test_a_variant_without_a_portable_kernel_is_an_error(nn_dir, dsp_board, dsp):
    (nn_dir / "dsp" / "nn_conv3d_s8.c").write_text(VARIANT)
    with pytest.raises(FwgenError, match=r"dsp/nn_conv3d_s8\.c has no portable kernel") as err:
        nn_files(dataclasses.replace(dsp_board, dsp=dsp), nn_dir)
    assert err.value.where == str(nn_dir / "dsp" / "nn_conv3d_s8.c")


def test_the_shipped_tree_has_the_variant_folder_and_no_orphans(repo_root, dsp_board):
    assert (repo_root / "firmware" / "nn" / "dsp" / "README.md").is_file()
    portable = nn_files(dataclasses.replace(dsp_board, dsp=False), repo_root / "firmware" / "nn")
    assert set(nn_files(dsp_board, repo_root / "firmware" / "nn")) >= set(portable)


def test_a_dsp_board_project_compiles_the_variant(fw_root, dsp_board):
    files = render_files(ProjectSpec(board=dsp_board, include_twin=False, inference_modules=NN),
                         root=fw_root)
    assert files["src/fwgen/nn/dsp/nn_conv2d_s8.c"] == VARIANT.encode()
    assert "src/fwgen/nn/nn_conv2d_s8.c" not in files
    assert "src/fwgen/nn/nn_mul_s8.c" in files and "src/fwgen/nn/nn.h" in files
    assert "-<fwgen/nn/" not in files["platformio.ini"].decode()


def test_a_board_without_dsp_gets_the_portable_kernel(fw_root, plain_board):
    files = render_files(ProjectSpec(board=plain_board, include_twin=False, inference_modules=NN),
                         root=fw_root)
    assert files["src/fwgen/nn/nn_conv2d_s8.c"] == (fw_root / "firmware/nn/nn_conv2d_s8.c").read_bytes()
    assert not any(name.startswith("src/fwgen/nn/dsp/") for name in files)


def test_board_and_twin_keep_their_own_kernels(fw_root, plain_board):
    """A non-DSP board with a DSP twin: both files in the project, each env compiles its own."""
    files = render_files(ProjectSpec(board=plain_board, inference_modules=NN), root=fw_root)
    assert "src/fwgen/nn/nn_conv2d_s8.c" in files and "src/fwgen/nn/dsp/nn_conv2d_s8.c" in files
    ini = files["platformio.ini"].decode()
    board_env, twin_env = ini.split("[env:b_u585i_iot02a]")[1].split("[env:mps2_an505]")
    assert "-<fwgen/nn/dsp/nn_conv2d_s8.c>" in board_env and "-<fwgen/nn/nn_conv2d_s8.c>" not in board_env
    assert "-<fwgen/nn/nn_conv2d_s8.c>" in twin_env and "-<fwgen/nn/dsp/" not in twin_env


def test_flash_figures_compile_the_board_kernels(fw_root, shared_data, dsp_board, plain_board, tmp_path):
    compiled = compile_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite")
    assert "fwgen_nn_fully_connected_s8" in compiled.kernels
    nn = fw_root / "firmware" / "nn"
    (nn / "dsp" / "nn_fully_connected_s8.c").write_text(VARIANT)
    dsp = model_sources(compiled, dsp_board, tmp_path, fw_root)
    plain = model_sources(compiled, plain_board, tmp_path, fw_root)
    assert nn / "dsp" / "nn_fully_connected_s8.c" in dsp and nn / "nn_fully_connected_s8.c" not in dsp
    assert nn / "nn_fully_connected_s8.c" in plain and nn / "dsp" / "nn_fully_connected_s8.c" not in plain
    assert nn / "nn_conv2d_s8.c" not in dsp + plain and nn / "dsp" / "nn_conv2d_s8.c" not in dsp + plain
    assert dsp[0] == plain[0] == tmp_path / "model.c" and len(dsp) == len(plain)


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake")
def test_the_host_build_keeps_the_portable_kernels(fw_root, repo_root, tmp_path):
    shutil.copy(repo_root / "CMakeLists.txt", fw_root / "CMakeLists.txt")
    build = tmp_path / "build"
    proc = subprocess.run(["cmake", "-S", str(fw_root), "-B", str(build)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = "".join(p.read_text(errors="replace") for p in build.rglob("*.make"))
    assert "nn/nn_conv2d_s8.c" in text
    assert "nn/dsp/" not in text
