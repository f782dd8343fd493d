"""`fwgen report`: a saved `fwgen test --report` JSON again, as the summary or an HTML page."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.cli.options import check_output_file
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


def merged(reports: list[dict], paths: list[Path]) -> dict:
    """One report of several (the shards of one run, boards of one map): merge_reports refuses
    reports of other models, boards or datasets, naming the file and the field."""
    from fwgen.hil.merge import merge_reports

    if len(reports) == 1:
        return reports[0]
    out = merge_reports(reports, names=[str(p) for p in paths])
    # merge_reports recomputes clips from their scores; their traces (pictures) ride along.
    traces = {c["file"]: c["trace"] for r in reports for c in r["clips"] if "trace" in c}
    for clip in out["clips"]:
        if clip["file"] in traces:
            clip["trace"] = traces[clip["file"]]
    return out


class ReportCommand(Command):
    name = "report"
    help = "show a saved fwgen test report again: the summary, or a self-contained HTML page"
    description = (
        "Read the JSON that fwgen test --report wrote (several: the shards of one run, merged) "
        "and print its summary, or with --html write the page fwgen test --html writes: "
        "summary, confusion matrix with links to the clips, per clip the device's spectrogram, "
        "smoothed scores, detections, an audio player and the host/device status per stage. "
        "Pictures need the clips' traces (fwgen test --traces); the audio is read from the "
        "report's dataset, or from --audio-root.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("reports", nargs="+", type=Path, metavar="RESULT.json",
                            help="fwgen test --report files (several: merged)")
        parser.add_argument("--html", type=Path, metavar="OUT.html",
                            help="write the self-contained HTML report")
        parser.add_argument("--audio-root", type=Path, metavar="DIR",
                            help="where the clips' WAVs are (default: the report's dataset)")
        parser.add_argument("--no-audio", action="store_true",
                            help="no audio players in the page (a smaller file)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.hil.html import dataset_audio, read_report, write_report_html

        if args.html is not None:
            check_output_file(args.html, "--html")
        if args.audio_root is not None and not args.audio_root.is_dir():
            raise FwgenError("not a folder", where=str(args.audio_root),
                             hint="give the dataset folder the clips' names are relative to")
        report = merged([read_report(path) for path in args.reports], list(args.reports))
        if args.html is None:
            print("\n".join(self._summary(report)))
            return 0
        audio = None if args.no_audio else dataset_audio(report, args.audio_root)
        write_report_html(args.html, report, audio)
        print(f"fwgen report: wrote {args.html} ({len(report['clips'])} clips)")
        return 0

    @staticmethod
    def _summary(report: dict) -> list[str]:
        from fwgen.hil import Metrics, Skipped, summary_lines

        if "metrics" not in report:
            raise FwgenError("this report has no metrics (fwgen run --html data?)",
                             where="report", hint="give a file fwgen test --report wrote")
        try:
            metrics = Metrics(**report["metrics"])
        except TypeError as exc:
            raise FwgenError(f"the report's metrics do not match this fwgen ({exc})",
                             where="report", hint="write it again with this fwgen") from None
        skipped = [Skipped(s["file"], s["reason"]) for s in report.get("skipped", [])]
        title = f"fwgen test: {report['model']} on {report['board']} ({report.get('device', '-')})"
        return summary_lines(metrics, title=title, problems=report.get("problems", []),
                             interrupted=bool(report.get("interrupted")), skipped=skipped,
                             stopped_by=report.get("stopped_by") or "")
