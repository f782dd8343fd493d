"""`fwgen test --shard I/N`: the split (deterministic, disjoint, complete, balanced) and merging
the N JSON reports: metrics computed again over all clips equal those of one whole run, and
reports that do not belong together are refused, naming the report and the field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwgen.errors import FwgenError
from fwgen.hil import Clip, ClipOutcome, Dataset, Floors, Hit, Skipped, check, compute_metrics, \
    predicted_label, report_dict
from fwgen.hil.merge import load_report, merge_reports
from fwgen.hil.shard import Shard, dataset_id, parse_shard, shard_clips

CLASSES = ("silence", "unknown", "yes", "no")


def clip(name: str, negative: bool = False) -> Clip:
    return Clip(Path("/data") / name, name, name.split("/")[0], negative=negative)


def dataset(n_keyword=10, n_negative=3) -> Dataset:
    clips = [clip(f"{w}/{i:02d}.wav") for i in range(n_keyword) for w in ("yes", "no")]
    clips += [clip(f"_background_noise_/{i}.wav", True) for i in range(n_negative)]
    return Dataset(Path("/data"), "folders", clips)


@pytest.mark.parametrize("text, expected", [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)),
                                            (" 3 / 3 ", Shard(3, 3))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text, why", [("0/2", "1..N"), ("3/2", "1..N"), ("1/0", "1..N"),
                                       ("2", "expected I/N"), ("a/b", "expected I/N"),
                                       ("", "expected I/N"), ("-1/2", "expected I/N")])
def test_bad_shards_are_refused_naming_the_option(text, why):
    with pytest.raises(FwgenError, match=why) as err:
        parse_shard(text)
    assert err.value.where == "--shard"


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_are_disjoint_complete_and_balanced(count):
    data = dataset()
    shares = [shard_clips(data.clips, Shard(i, count)) for i in range(1, count + 1)]
    names = [c.name for share in shares for c in share]
    assert sorted(names) == sorted(c.name for c in data.clips)          # each clip once
    for negative in (False, True):
        sizes = [sum(c.negative == negative for c in share) for share in shares]
        assert max(sizes) - min(sizes) <= 1
    totals = [len(share) for share in shares]
    assert max(totals) - min(totals) <= 1


def test_the_split_does_not_depend_on_listing_order_or_location():
    data = dataset()
    moved = Dataset(Path("/elsewhere"), "folders",
                    [Clip(Path("/elsewhere") / c.name, c.name, c.label, negative=c.negative)
                     for c in reversed(data.clips)])
    for i in (1, 2, 3):
        assert [c.name for c in shard_clips(data.clips, Shard(i, 3))] == \
            [c.name for c in shard_clips(moved.clips, Shard(i, 3))]
    assert dataset_id(data) == dataset_id(moved)
    assert [c.name for c in shard_clips(data.clips, Shard(2, 3))][:4] == \
        ["_background_noise_/1.wav", "no/01.wav", "no/04.wav", "no/07.wav"]
    fewer = Dataset(data.root, data.layout, data.clips[1:])
    assert dataset_id(fewer) != dataset_id(data)


def outcome(name: str, label: str, hits, *, negative=False, duration=1.0, differences=(),
            stack=None, stats=None) -> ClipOutcome:
    hits = [Hit(*h) for h in hits]
    predicted = predicted_label(hits, CLASSES, label)
    return ClipOutcome(name=name, label=label, negative=negative, duration_s=duration,
                       onset_ms=100 if not negative else None, detections=hits,
                       host_detections=hits, predicted=predicted, host_predicted=predicted,
                       differences=list(differences), stack=stack, stats=stats or {}, wall_s=0.25)


def all_outcomes() -> list[ClipOutcome]:
    stats = {"frames": 49, "inferences": 49, "frontend_cycles": 4900, "inference_cycles": 98000,
             "detect_cycles": 490, "cycle_unit": 2, "inference_cycles_max": 2100}
    return [
        outcome("yes/00.wav", "yes", [(300, "yes", 200)], stack=(900, 4096), stats=stats),
        outcome("yes/01.wav", "yes", [(250, "no", 210)], stack=(1000, 4096), stats=stats),
        outcome("no/00.wav", "no", [(400, "no", 190)], stats=stats),
        outcome("no/01.wav", "no", [], differences=["logits: 1 values differ"]),
        outcome("silence/00.wav", "silence", []),
        outcome("_background_noise_/0.wav", "_background_noise_", [(1000, "yes", 200)],
                negative=True, duration=900.0),
        outcome("_background_noise_/1.wav", "_background_noise_", [], negative=True,
                duration=900.0),
    ]


def report(outcomes, *, shard=None, device="QEMU mps2-an505", floors=Floors(0.5, 10.0),
           skipped=(), ident="abc", **meta_over) -> dict:
    metrics = compute_metrics(outcomes, CLASSES)
    meta = {"fwgen": "0.1.0", "model": "micro_speech", "model_sha256": "ab" * 32,
            "board": "mps2_an505", "device": device, "dataset": "/data", "dataset_id": ident,
            "layout": "folders", "classes": list(CLASSES), "stride": 1,
            "floors": {"min_accuracy": floors.min_accuracy,
                       "max_false_accepts_per_hour": floors.max_false_accepts_per_hour},
            "shard": shard.as_dict() if shard else None, **meta_over}
    return json.loads(json.dumps(report_dict(metrics, outcomes, list(skipped), meta=meta,
                                             problems=check(metrics, floors), interrupted=False)))


def shard_reports(count: int, **kw) -> list[dict]:
    outs = all_outcomes()
    by_name = {o.name: o for o in outs}
    clips = [clip(o.name, o.negative) for o in outs]
    return [report([by_name[c.name] for c in shard_clips(clips, Shard(i, count))],
                   shard=Shard(i, count), device=f"place-{i}", **kw) for i in range(1, count + 1)]


@pytest.mark.parametrize("count", [2, 3])
def test_merged_shards_equal_one_whole_run(count):
    whole = report(all_outcomes())
    merged = merge_reports(shard_reports(count), names=[f"r{i}.json" for i in range(count)])
    assert merged["metrics"] == whole["metrics"]
    assert sorted(merged["clips"], key=lambda c: c["file"]) == \
        sorted(whole["clips"], key=lambda c: c["file"])
    assert merged["metrics"]["accuracy"] == 3 / 5
    assert merged["metrics"]["false_accepts_per_hour"] == 2.0
    assert merged["metrics"]["stack"] == {"used": 1000, "size": 4096}
    assert merged["metrics"]["cycles"]["inference_cycles"] == 3 * 98000
    assert merged["problems"] == whole["problems"] and not merged["passed"]   # the difference
    assert merged["shard"] == {"index": None, "count": count, "complete": True}
    assert [m["report"] for m in merged["merged_from"]] == [f"r{i}.json" for i in range(count)]
    assert merged["device"] == ", ".join(f"place-{i}" for i in range(1, count + 1))


def test_a_missing_shard_fails_the_merged_report():
    reports = shard_reports(3)
    merged = merge_reports([reports[0], reports[2]])
    assert merged["shard"]["complete"] is False and not merged["passed"]
    assert any("shard(s) 2/3 missing" in p for p in merged["problems"])


def test_skipped_entries_listed_by_every_shard_appear_once():
    bad = [Skipped("broken.wav", "not a WAV file")]
    merged = merge_reports(shard_reports(2, skipped=bad))
    assert merged["skipped"] == [{"file": "broken.wav", "reason": "not a WAV file"}]


def _refused(reports, match, where):
    with pytest.raises(FwgenError, match=match) as err:
        merge_reports(reports, names=[f"r{i}.json" for i in range(1, len(reports) + 1)])
    assert where in (err.value.where or "")


def test_mismatched_reports_are_refused_naming_report_and_field():
    a, b = shard_reports(2)
    _refused([a, {**b, "model_sha256": "cd" * 32}], "another model", "r2.json: model_sha256")
    _refused([a, {**b, "board": "mps3_an547"}], "another board", "r2.json: board")
    _refused([a, {**b, "classes": ["on", "off"]}], "another model's classes", "r2.json: classes")
    _refused([a, {**b, "floors": {"min_accuracy": 0.9, "max_false_accepts_per_hour": None}}],
             "another floors", "r2.json: floors")
    _refused([a, {**b, "dataset_id": "other"}], "another dataset", "r2.json: dataset_id")
    _refused([a, a], "shard 1/2 is also in r1.json", "r2.json")
    _refused([a, {**b, "shard": {"index": 2, "count": 3}}], "N is 2 and 3", "r1.json, r2.json")
    _refused([a, {**b, "shard": None}], "whole-dataset report", "r2.json")


def test_overlapping_clips_are_refused():
    whole = report(all_outcomes())
    _refused([whole, report(all_outcomes()[:1])], "yes/00.wav is scored in r1.json too", "r2.json")


def test_an_interrupted_shard_makes_the_merge_partial():
    a, b = shard_reports(2)
    b = {**b, "interrupted": True, "stopped_by": "interrupted"}
    merged = merge_reports([a, b], names=["a.json", "b.json"])
    assert merged["interrupted"] and not merged["passed"]
    assert merged["stopped_by"] == "b.json: interrupted"


def test_load_report_names_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(FwgenError, match="not JSON") as err:
        load_report(bad)
    assert err.value.where == str(bad)
    other = tmp_path / "other.json"
    other.write_text('{"model": "x"}')
    with pytest.raises(FwgenError, match="no model_sha256, board, classes, clips, floors"):
        load_report(other)
    with pytest.raises(FwgenError, match="report not found"):
        load_report(tmp_path / "gone.json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(report(all_outcomes())))
    assert load_report(good)["model"] == "micro_speech"


def test_a_damaged_clip_entry_is_named():
    a, b = shard_reports(2)
    broken = {**b, "clips": [{"file": "x.wav"}]}
    _refused([a, broken], "a clip entry that fwgen test did not write", "r2.json: clips[1]")
