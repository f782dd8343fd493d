"""PlatformIO projects for a model on a board, built offline.

* `fwgen.project.build`: ``resolve_model(name_or_tflite, settings=None) -> ModelSource``,
  ``prepare(source, BuildOptions(...)) -> Deployment`` (compiled model + every generated file),
  ``build_firmware(source_or_deployment, board, options, out_dir, envs=None) -> Firmware``
  (``.elf(env)``, ``.sizes[env]``, ``.logs[env]``).
* `fwgen.project.render`: ``ProjectSpec`` -> ``render_project(spec, out_dir)`` /
  ``render_files(spec)`` (byte-identical for identical inputs), ``linker_script(board)``,
  ``board_header(board)``, ``pio_board_json(board)``.
* `fwgen.project.platformio`: ``provision()`` (tool-scons from PyPI's scons into the PlatformIO
  core dir), ``run_pio(project, env)``, ``pio_environment()``.
* `fwgen.project.size`: ``size_report(board, elf) -> SizeReport`` (code, weights, tables, const,
  data, bss, arena, stack against the board's flash and RAM).
* `fwgen.project.reference`: ``run_reference(...)``, the host pipeline the firmware app must
  equal bit for bit.
"""
