"""The firmware library modules a project copies: the app's own, plus the ones the deployment's
runtime says its inference needs (`Runtime.firmware_modules`), so a second runtime changes no
project code."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import ClassVar

import pytest

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, prepare
from fwgen.project import render
from fwgen.project.build import project_spec
from fwgen.project.render import ProjectSpec, render_files
from fwgen.runtime import get_runtime, registry
from fwgen.runtime.aot import AotRuntime
from fwgen.zoo import resolve_model


@pytest.fixture(scope="module")
def deployment():
    return prepare(resolve_model("micro_speech"), DeployOptions())


def test_the_renderer_names_no_inference_module():
    assert "nn" not in render.LIBRARY_MODULES
    # the file itself: the loader may be pytest's assertion rewriter (no get_source)
    tree = ast.parse(Path(render.__file__).read_text())
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert "nn" not in literals


def test_the_deployment_names_its_runtimes_modules(deployment):
    assert deployment.firmware_modules == get_runtime(deployment.runtime).firmware_modules == ("nn",)
    spec = project_spec(deployment, get_board("stm32u5"))
    assert spec.inference_modules == ("nn",)
    files = render_files(spec)
    assert "src/fwgen/nn/nn.h" in files and "src/fwgen/nn/nn_mul_s8.c" in files
    assert "src/fwgen/detect/detect.c" in files and "src/fwgen/link/link.c" in files


class _OtherRuntime(AotRuntime):
    """A second runtime whose inference needs no fwgen kernels (as TFLM would bring its own)."""
    name: ClassVar[str] = "other"
    firmware_modules: ClassVar[tuple[str, ...]] = ()


def test_a_second_runtime_changes_the_modules_not_the_project_code(deployment, monkeypatch):
    monkeypatch.setitem(registry.RUNTIMES, "other", _OtherRuntime)
    other = dataclasses.replace(deployment,
                                options=dataclasses.replace(deployment.options, runtime="other"))
    assert other.firmware_modules == ()
    files = render_files(project_spec(other, get_board("stm32u5")))
    assert not any(name.startswith("src/fwgen/nn/") for name in files)
    assert "src/fwgen/frontend/frontend.c" in files and "src/fwgen/app/pipeline.c" in files
    assert "-<fwgen/nn/" not in files["platformio.ini"].decode()


def test_unknown_modules_are_refused_and_the_harness_gets_every_module():
    with pytest.raises(Exception, match="unknown firmware module 'dsp'"):
        render_files(ProjectSpec(board=get_board("mps2_an505"), inference_modules=("dsp",)))
    harness = render_files(ProjectSpec(board=get_board("mps2_an505"), app="harness",
                                       generated={"main.c": "int main(void) { return 0; }\n"}))
    for module in ("common", "frontend", "detect", "link", "nn"):
        assert any(name.startswith(f"src/fwgen/{module}/") for name in harness), module
