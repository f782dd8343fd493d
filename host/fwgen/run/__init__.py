"""`fwgen run` as a library: prepare the deployment, build (or reuse) the twin firmware, open the
device and stream clips through it. May import deploy, project, device, link, zoo and boards;
formatting for the terminal belongs to the CLI.

    reports = run_clips(model="micro_speech", twin=get_board("mps2_an505"), wavs=[...])
    reports = run_elf_clips(elf=Path("firmware.elf"), twin=..., wavs=[...])   # no build
    reports[0].detections, reports[0].stats, reports[0].as_dict()
"""
from fwgen.run.clips import ClipReport, run_clips, run_elf_clips
from fwgen.run.firmware import default_project_dir, twin_deployment, twin_firmware

__all__ = ["ClipReport", "default_project_dir", "run_clips", "run_elf_clips", "twin_deployment",
           "twin_firmware"]
