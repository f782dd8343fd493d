"""`fwgen test` as a library: a labelled audio set streamed through a device (twin or board) and
through the host pipeline, scored (accuracy, confusion, false accepts, latency, per-stage
host/device differences) and written as a summary, JSON, JUnit XML and a self-contained HTML
page (`html.write_report_html`; `stream_dataset(..., traces=True)` keeps what its pictures need).
May import deploy, device, run, project, link, audio, boards and zoo; never cli.

    dataset = load_dataset(Path("data/"))        # label folders, a CSV or testing_list.txt
    clips = read_clips(dataset, 16000, classes)  # bad files -> dataset.skipped, by name
    outcomes = list(stream_dataset(device, clips, deployment))   # device and host, per clip
    metrics = compute_metrics(outcomes, classes); problems = check(metrics, Floors(0.9, 2.0))
    junit_xml(outcomes, dataset.skipped, suite=...), report_dict(...), summary_lines(...)

Beyond one device: `parallel.DeviceGroup` + `parallel.stream_on` (several devices share the
clips), `shard.shard_clips` (--shard I/N: the same split on every machine) and
`merge.merge_reports` (the N reports -> one, refusing reports that do not belong together).
"""
from fwgen.hil.dataset import (BACKGROUND_LABELS, Clip, Dataset, LoadedClip, Skipped, load_dataset,
                               read_clips)
from fwgen.hil.report import junit_xml, report_dict, summary_lines, write_confusion_png
from fwgen.hil.score import (NO_DETECTION, ClipOutcome, Floors, Hit, Metrics, check, compute_metrics,
                             predicted_label, score_clip)
from fwgen.hil.session import ALL_OUTPUTS, stream_dataset

__all__ = ["ALL_OUTPUTS", "BACKGROUND_LABELS", "Clip", "ClipOutcome", "Dataset", "Floors", "Hit", "check",
           "LoadedClip", "Metrics", "NO_DETECTION", "Skipped", "compute_metrics", "junit_xml",
           "load_dataset", "predicted_label", "read_clips", "report_dict", "score_clip",
           "stream_dataset", "summary_lines", "write_confusion_png"]
