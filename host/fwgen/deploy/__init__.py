"""Deployment: a resolved model plus options -> everything a firmware project is made of
(frontend tables, the runtime's inference C, detector and app configuration, a compiled-in clip),
and the host pipeline the device is diffed against. May import tflite, boards, frontend,
runtime, detect, audio, zoo, render and link (the message layouts the buffers are sized for);
never project/, device/ or the CLI.

    source = fwgen.zoo.resolve_model("micro_speech")        # or a .tflite path
    deployment = prepare(source, DeployOptions(stride=1))   # board-independent
    check_fit(board, deployment)                            # arena, weights vs the board
    ref = run_reference(samples, deployment)                # what the device must send back
"""
from fwgen.deploy.clips import DEFAULT_PAD_MODE, PAD_MODES, default_pad, pad_clip
from fwgen.deploy.options import AUDIO_SOURCES, DEFAULT_AUDIO_WINDOW, DeployOptions
from fwgen.deploy.prepare import Deployment, check_fit, prepare
from fwgen.deploy.reference import ReferenceResult, run_reference, stage_differences

__all__ = ["AUDIO_SOURCES", "DEFAULT_AUDIO_WINDOW", "DEFAULT_PAD_MODE", "DeployOptions",
           "Deployment", "PAD_MODES", "ReferenceResult", "check_fit", "default_pad", "pad_clip", "prepare", "run_reference",
           "stage_differences"]
