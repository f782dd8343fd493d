"""PlatformIO projects for a deployment on a board, rendered and built offline.
May import boards, deploy, compiler, render and native; never device/, runners/, run/ or the CLI.

* `fwgen.project.build`: ``build_firmware(deployment, board, out_dir, include_twin=True,
  envs=None) -> Firmware`` (``.elf(env)``, ``.sizes[env]``, ``.logs[env]``); the deployment
  comes from `fwgen.deploy.prepare`.
* `fwgen.project.render`: ``ProjectSpec`` -> ``render_project(spec, out_dir)`` /
  ``render_files(spec)`` (byte-identical for identical inputs), ``linker_script(board)``,
  ``board_header(board)``, ``pio_board_json(board)``.
* `fwgen.project.platformio`: ``provision()`` (tool-scons from PyPI's scons into the PlatformIO
  core dir), ``run_pio(project, env)``, ``pio_environment()``.
* `fwgen.project.size`: ``size_report(board, elf) -> SizeReport`` (code, weights, tables, const,
  data, bss, arena, stack against the board's flash and RAM).
* `fwgen.project.toolchain`: the firmware's compiler flags, defined once (the PlatformIO builder
  reads them from the rendered board definition).
* `fwgen.project.variants`: ``nn_files(board, nn_dir)``, the one choice of firmware/nn kernel
  variants; adding a kernel variant is one new C file in firmware/nn/dsp/.
* `fwgen.project.model_size`: ``flash_size(compiled, board=None) -> FlashSize``, a compiled
  model's code and const bytes with the board's firmware flags and kernels.
* `fwgen.project.ownership`: what in a project folder is fwgen's (the manifest's digests; a
  file changed by hand is not overwritten without force) and what is the user's (src/user/).
* `fwgen.project.settings`: ``BuildSettings``, what a project was built with, recorded in its
  manifest so `fwgen build` in the folder rebuilds it.
* `fwgen.project.realtime`: ``feasibility(deployment, board)``, the inference interval against
  a lower bound on its work (the twin's instructions from benchmarks/ over the board's clock).
"""
