"""`fwgen build` as a library, after deploy/: a deployment + board -> PlatformIO project ->
firmware ELFs, with flash/RAM by section. Building (pio) is all this module does.

    deployment = fwgen.deploy.prepare(fwgen.zoo.resolve_model("micro_speech"))
    firmware = build_firmware(deployment, get_board("stm32u5"), out_dir)
    firmware.elf("b_u585i_iot02a"), firmware.sizes["b_u585i_iot02a"].lines()

The generated files come from their owners through the deployment (fwgen.deploy.prepare); the
board header and linker script from `fwgen.project.render`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from fwgen.boards import Board
from fwgen.deploy import Deployment, check_fit
from fwgen.errors import FwgenError
from fwgen.project.memory import memory_headers
from fwgen.project.platformio import run_pio
from fwgen.project.render import (Project, ProjectSpec, Upload, port_info, removed_on_error,
                                  render_project)
from fwgen.project.size import SizeReport, overflow_from_linker, size_report
from fwgen.project.stack import StackBound, StackError, stack_bound

# A first link's stack where the board file's does not fit beside the rest: enough to link, for
# the call graph that sizes the real one.
PROVISIONAL_STACK = 256

LOG = logging.getLogger(__name__)


@dataclass
class Firmware:
    project: Project
    sizes: dict[str, SizeReport]
    compiled: Any          # fwgen.runtime.CompiledInference
    frontend: Any          # fwgen.frontend.spec.FrontendSpec
    smoothing: Any         # SmoothingSettings
    classes: tuple[str, ...]
    stride: int
    logs: dict[str, str] = field(default_factory=dict)   # pio output per environment
    stacks: dict[str, StackBound] = field(default_factory=dict)   # the stack each env reserves

    def elf(self, env: str) -> Path:
        return self.project.elf(env)


def check_audio_source(deployment: Deployment, board: Board) -> None:
    """Refuse a microphone build for a board with no microphone, or one whose port has no
    driver for it (the firmware would build and then hear nothing), and a semihosting file
    source on anything but an emulator twin (a board faults on the semihosting call)."""
    if deployment.options.audio_source == "semihost" and not board.is_emulator:
        raise FwgenError(f"{board.id} is a board: only an emulator twin reads audio from a host "
                         f"file (semihosting)", where="--audio",
                         hint="stream audio over the serial link (--audio link) instead")
    if deployment.options.audio_source != "mic":
        return
    if board.microphone is None:
        raise FwgenError(f"{board.id} has no microphone", where="--audio",
                         hint="stream audio over the serial link (--audio link) instead")
    if not port_info(board.port).get("microphone"):
        raise FwgenError(f"the {board.port} port has no driver for the {board.microphone.part} "
                         f"microphone yet", where="--audio",
                         hint="use --audio link, or see firmware/ports/README.md")


def project_spec(deployment: Deployment, board: Board, *, include_twin: bool = True,
                 uploads: Mapping[str, Upload] | None = None,
                 settings: Mapping[str, Any] | None = None) -> ProjectSpec:
    """The project a deployment makes for a board (and, by default, its emulator twin), with
    the `uploads` the caller computed (env -> flash command for `pio run -t upload`) and the
    `settings` to record for rebuilding it (fwgen.project.settings.BuildSettings.record);
    refuses an audio source the board cannot have (`check_audio_source`)."""
    check_audio_source(deployment, board)
    spec = ProjectSpec(board=board, generated=deployment.files, inputs=deployment.inputs,
                       include_twin=include_twin, inference_modules=deployment.firmware_modules,
                       uploads=dict(uploads or {}), settings=dict(settings or {}))
    # each environment's buffer sizes (fwgen.deploy.memory), in its own include folder
    spec = replace(spec, generated={**spec.generated, **memory_headers(deployment, spec.envs())})
    additions = deployment.project_additions(spec.envs())
    return replace(spec, inference_files=dict(additions["files"]),
                   inference_options={env: tuple(lines)
                                      for env, lines in additions["options"].items()})


def build_firmware(deployment: Deployment, board: Board, out_dir: Path, *,
                   include_twin: bool = True, envs: tuple[str, ...] | None = None,
                   verbose: bool = False, uploads: Mapping[str, Upload] | None = None,
                   settings: Mapping[str, Any] | None = None, force: bool = False) -> Firmware:
    """Render the project into out_dir and build `envs` (default: every env) with `pio run`.

    `include_twin` adds the board's emulator twin as a second environment; `uploads` and
    `settings` go into the project (see `project_spec`); `force` overwrites generated files
    changed by hand (see `fwgen.project.render.render_project`)."""
    spec = project_spec(deployment, board, include_twin=include_twin, uploads=uploads,
                        settings=settings)
    for env_board in spec.envs():
        check_fit(env_board, deployment)
    fresh = not out_dir.exists()
    with removed_on_error(out_dir):
        project = render_project(spec, out_dir, force=force)
        sizes: dict[str, SizeReport] = {}
        logs: dict[str, str] = {}
        stacks: dict[str, StackBound] = {}
        by_id = {b.id: b for b in spec.envs()}

        def pio(env: str, *, may_overflow: bool = False) -> bool:
            """pio run; False when the image overflows RAM only and `may_overflow`."""
            try:
                logs[env] = logs.get(env, "") + run_pio(project.path, env, verbose=verbose)
                return True
            except FwgenError as exc:
                over = overflow_from_linker(exc.message)
                if over and may_overflow and set(over) == {"RAM"}:
                    return False
                if over:
                    b = by_id[env]
                    detail = ", ".join(f"{region} overflowed by {n} B" for region, n in over.items())
                    raise FwgenError(
                        f"the firmware does not fit {env}: {detail} (flash {b.memory.flash.length} B, "
                        f"RAM {b.memory.ram.length} B; model arena {deployment.compiled.arena_bytes} B, "
                        f"weights {deployment.compiled.weights_bytes} B, stack "
                        f"{spec.stack_bytes.get(env, b.stack_bytes)} B)",
                        where="--board",
                        hint="choose a board with more memory (fwgen boards) or a smaller model") from None
                if fresh:
                    raise FwgenError(exc.message,
                                     hint="the unfinished project was removed; to debug the build "
                                          "by hand, write it with --render-only and run 'pio run' "
                                          "in that folder") from None
                raise

        def with_stack(env: str, nbytes: int) -> None:
            nonlocal spec, project
            spec = replace(spec, stack_bytes={**spec.stack_bytes, env: nbytes})
            project = render_project(spec, out_dir, force=force)

        for env in envs or project.envs:
            if env not in by_id:
                raise FwgenError(f"project has no environment {env!r}", hint=f"one of {', '.join(by_id)}")
            # First link with the board file's stack (or, where that overflows, a token one):
            # its call graph sizes the stack; the second link reserves that (only the linker
            # script changed, so pio only links again).
            if not pio(env, may_overflow=True):
                with_stack(env, PROVISIONAL_STACK)
                project.elf(env).unlink(missing_ok=True)
                pio(env)
            try:
                stacks[env] = stack_bound(project.elf(env), project.elf(env).parent,
                                          fpu=by_id[env].fpu != "none")
            except StackError as exc:
                LOG.warning("%s: the stack keeps the board file's %d B: %s", env,
                            by_id[env].stack_bytes, exc.message)
                if spec.stack_bytes.get(env, by_id[env].stack_bytes) != by_id[env].stack_bytes:
                    raise       # the provisional stack of an image that does not fit otherwise
            if env in stacks and stacks[env].required != spec.stack_bytes.get(env, by_id[env].stack_bytes):
                with_stack(env, stacks[env].required)
                project.elf(env).unlink()      # SCons does not track the linker script
                pio(env)
            report = replace(size_report(by_id[env], project.elf(env)), stack=stacks.get(env))
            if not report.fits:
                raise FwgenError(f"the firmware does not fit {env}:\n" + "\n".join(report.lines()))
            sizes[env] = report
    return Firmware(project=project, sizes=sizes, compiled=deployment.compiled,
                    frontend=deployment.frontend, smoothing=deployment.smoothing,
                    classes=deployment.classes, stride=deployment.stride, logs=logs, stacks=stacks)
