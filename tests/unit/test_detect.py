"""Detector: the C (host build) against hand-worked MLTK semantics and against the Python twin."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwgen.detect import (DetectionResult, Detector, NativeDetector, SmoothingSettings,
                          render_detector_config)
from fwgen.detect.native import _Result
from fwgen.errors import FwgenError

CLASSES = ["silence", "unknown", "yes", "no"]
YES = [-128, -128, 127, -128]      # uint8: 0, 0, 255, 0
NO = [-128, -128, -128, 127]
SILENCE = [127, -128, -128, -128]


def both(classes=CLASSES, **smoothing):
    s = SmoothingSettings(**smoothing)
    return Detector(classes, s), NativeDetector(classes, s)


def feed(dets, scores, t):
    results = [d.process(scores, t) for d in dets]
    assert all(r == results[0] for r in results), results
    return results[0]


# -- hand-worked semantics (the oracle is arithmetic written out here, not either implementation)

def test_minimum_count_reports_previous_event_class_with_score_zero():
    dets = both(minimum_count=3, detection_threshold=100, suppression_ms=0)
    assert feed(dets, YES, 0) == DetectionResult(0, 0, False, 1)
    assert feed(dets, YES, 10) == DetectionResult(0, 0, False, 2)
    assert feed(dets, YES, 20) == DetectionResult(2, 255, True, 3)
    # the window restarts after a reset: too few results again, class of the last event
    for d in dets:
        d.reset()
    assert feed(dets, NO, 30) == DetectionResult(0, 0, False, 1)


def test_average_is_floor_of_mean_and_threshold_is_strictly_greater():
    dets = both(minimum_count=1, detection_threshold=127, average_window_duration_ms=1000)
    # uint8 scores for "yes": 255, 0 -> floor(255/2) = 127, not > 127
    assert feed(dets, YES, 0) == DetectionResult(2, 255, True, 1)
    r = feed(dets, SILENCE, 1)  # averages: silence 127, yes 127 -> first max wins: silence
    assert (r.class_index, r.score, r.is_new) == (0, 127, False)
    assert dets[0].last_averages == dets[1].last_averages == [127, 0, 127, 0]


def test_window_keeps_results_exactly_window_old_and_drops_older():
    dets = both(minimum_count=1, average_window_duration_ms=100, detection_threshold=250)
    feed(dets, YES, 0)
    assert feed(dets, SILENCE, 100).n_results == 2      # 100 - 0 == window: kept
    assert feed(dets, SILENCE, 200).n_results == 2      # t=0 dropped (200 > 100), t=100 kept
    assert dets[0].last_averages == dets[1].last_averages == [255, 0, 0, 0]
    assert feed(dets, SILENCE, 301).n_results == 1      # 301 - 200 = 101 > window: only 301 left



def test_suppression_boundary_same_class_and_other_class():
    dets = both(minimum_count=0, detection_threshold=200, suppression_ms=500)
    assert feed(dets, YES, 1000).is_new
    assert not feed(dets, YES, 1500).is_new           # exactly suppression_ms later: suppressed
    assert feed(dets, NO, 1500).is_new                # another class fires at once
    assert feed(dets, YES, 1501).is_new               # class changed since: not suppressed
    assert not feed(dets, YES, 2001).is_new
    assert feed(dets, YES, 2002).is_new               # > suppression_ms after the last event


def test_first_event_is_not_suppressed_even_at_time_zero_for_class_zero():
    dets = both(classes=["on", "off", "_unknown_"], minimum_count=0, suppression_ms=1500)
    assert feed(dets, [127, -128, -128], 0).is_new


def test_ignored_classes_never_trigger():
    dets = both(minimum_count=0, detection_threshold=0)
    assert not feed(dets, SILENCE, 0).is_new
    assert not feed(dets, [-128, 127, -128, -128], 10).is_new
    assert feed(dets, YES, 20).is_new
    custom = both(minimum_count=0, detection_threshold=0, ignored_classes=("yes",))
    assert feed(custom, SILENCE, 0).is_new and not feed(custom, YES, 10).is_new


def test_per_class_thresholds():
    dets = both(minimum_count=0, detection_threshold_list=(0, 0, 254, 255))
    assert feed(dets, YES, 0).is_new
    assert not feed(dets, NO, 10).is_new              # 255 is not > 255


def test_full_queue_drops_oldest():
    dets = both(minimum_count=2, max_results=2, average_window_duration_ms=10_000, detection_threshold=250)
    feed(dets, YES, 0)
    feed(dets, SILENCE, 1)
    r = feed(dets, SILENCE, 2)
    assert r.n_results == 2 and dets[0].last_averages == dets[1].last_averages == [255, 0, 0, 0]


def test_out_of_order_time_is_rejected_and_state_kept():
    dets = both(minimum_count=1)
    feed(dets, YES, 100)
    for d in dets:
        with pytest.raises(FwgenError, match="time order"):
            d.process(YES, 99)
    assert feed(dets, NO, 100).n_results == 2          # equal timestamps are fine


def test_millisecond_counter_may_wrap():
    dets = both(minimum_count=1, average_window_duration_ms=100, suppression_ms=1000)
    start = 2**32 - 50
    assert feed(dets, YES, start).is_new
    assert feed(dets, YES, start + 60).n_results == 2  # wraps to 10: 60 ms later, in window
    assert not feed(dets, YES, start + 900).is_new     # still suppressed across the wrap
    assert feed(dets, YES, start + 1001).is_new


def test_uint8_scores():
    s = SmoothingSettings(minimum_count=0, detection_threshold=100)
    for det in (Detector(CLASSES, s, dtype="uint8"), NativeDetector(CLASSES, s, dtype="uint8")):
        assert det.process([0, 0, 101, 0], 0) == DetectionResult(2, 101, True, 1)
        with pytest.raises(FwgenError, match="uint8 scores"):
            det.process([0, 0, 256, 0], 1)


def test_bad_inputs_are_clear_errors():
    for det in both():
        with pytest.raises(FwgenError, match="expected 4 scores"):
            det.process([0, 0, 0], 0)
        with pytest.raises(FwgenError, match="int8 scores"):
            det.process([0, 0, 200, 0], 0)
        with pytest.raises(FwgenError, match="time_ms"):
            det.process([0, 0, 0, 0], 1.5)


# -- twin == C over random streams, timings and settings ----------------------------------------

score_values = st.one_of(st.integers(-128, 127), st.sampled_from([-128, 127, 126, 0]))


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 6))
    classes = [f"c{i}" for i in range(n)]
    if draw(st.booleans()):
        classes[0] = "_silence_"
    max_results = draw(st.integers(1, 24))
    smoothing = SmoothingSettings(
        average_window_duration_ms=draw(st.integers(1, 3000)),
        detection_threshold=draw(st.integers(0, 255)),
        suppression_ms=draw(st.integers(0, 3000)),
        minimum_count=draw(st.integers(0, max_results)),
        detection_threshold_list=draw(st.none() | st.lists(st.integers(0, 255), min_size=n, max_size=n).map(tuple)),
        ignored_classes=draw(st.none() | st.lists(st.sampled_from(classes), unique=True).map(tuple)),
        max_results=max_results,
    )
    dtype = draw(st.sampled_from(["int8", "uint8"]))
    start = draw(st.one_of(st.integers(0, 1000), st.integers(2**32 - 3000, 2**32 - 1)))
    steps = draw(st.lists(
        st.tuples(st.one_of(st.integers(0, 400), st.sampled_from([0, 1, 1000, 1500])),
                  st.lists(score_values, min_size=n, max_size=n),
                  st.booleans() if draw(st.booleans()) else st.just(False)),
        min_size=1, max_size=120))
    return classes, smoothing, dtype, start, steps


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_twin_is_bit_exact_with_c(scenario):
    classes, smoothing, dtype, start, steps = scenario
    twin = Detector(classes, smoothing, dtype=dtype)
    native = NativeDetector(classes, smoothing, dtype=dtype)
    t = start
    for delta, scores, reset in steps:
        if reset:
            twin.reset()
            native.reset()
        t += delta
        if dtype == "uint8":
            scores = [s + 128 for s in scores]
        a, b = twin.process(scores, t), native.process(scores, t)
        assert a == b
        assert twin.last_averages == native.last_averages


# -- settings -----------------------------------------------------------------------------------

def test_defaults_match_micro_speech_and_round_trip_with_mltk_names():
    s = SmoothingSettings()
    assert (s.average_window_duration_ms, s.detection_threshold, s.suppression_ms, s.minimum_count) == \
        (1000, 185, 1500, 3)
    custom = SmoothingSettings(detection_threshold_list=(10, 20, 30, 40), ignored_classes=("no",),
                               average_window_duration_ms=600, suppression_ms=750, minimum_count=2)
    d = custom.to_dict()
    assert d["detection_threshold_list"] == [10, 20, 30, 40] and d["average_window_duration_ms"] == 600
    assert SmoothingSettings.from_dict(d) == custom
    params = {"average_window_duration_ms": 600, "detection_threshold": 160, "suppression_ms": 750,
              "minimum_count": 3, "volume_gain": 2.0, "latency_ms": 100, "classes": ["on", "off"]}
    assert SmoothingSettings.from_model_parameters(params) == SmoothingSettings(
        average_window_duration_ms=600, detection_threshold=160, suppression_ms=750)


@pytest.mark.parametrize("kwargs, needle", [
    ({"detection_threshold": 256}, "detection_threshold = 256: must be between 0 and 255"),
    ({"detection_threshold": -1}, "detection_threshold = -1"),
    ({"average_window_duration_ms": 0}, "average_window_duration_ms = 0: must be between 1"),
    ({"suppression_ms": -5}, "suppression_ms = -5"),
    ({"minimum_count": 60}, "minimum_count = 60: must not exceed max_results (50)"),
    ({"detection_threshold": 1.5}, "must be an integer"),
    ({"suppression_ms": float("nan")}, "suppression_ms = nan: must be an integer"),
    ({"detection_threshold_list": (1, 300)}, r"detection_threshold_list\[1\] = 300"),
    ({"ignored_classes": "silence"}, "must be a list of class names"),
])
def test_settings_validation_names_field_value_and_limit(kwargs, needle):
    with pytest.raises(FwgenError, match=needle if "[" in needle else None) as info:
        SmoothingSettings(**kwargs)
    if "[" not in needle:
        assert needle in str(info.value)


def test_settings_checked_against_classes():
    with pytest.raises(FwgenError, match="has 2 values but the model has 4 classes"):
        Detector(CLASSES, SmoothingSettings(detection_threshold_list=(1, 2)))
    with pytest.raises(FwgenError, match="'maybe' is not one of the model's classes"):
        Detector(CLASSES, SmoothingSettings(ignored_classes=("maybe",)))
    with pytest.raises(FwgenError, match="appears twice"):
        Detector(["a", "a"])
    with pytest.raises(FwgenError, match="unknown smoothing setting"):
        SmoothingSettings.from_dict({"detection_treshold": 3})


# -- the generated configuration ----------------------------------------------------------------

HARNESS = r"""
#include "detect_config.h"
static uint32_t buf[(FWGEN_DETECT_BUFFER_SIZE + 3) / 4];
static fwgen_detect_state_t st;
int harness_init(void) { return (int)fwgen_detect_init(&fwgen_detect_config, &st, buf, sizeof buf); }
int harness_process(const int8_t *s, uint32_t t, fwgen_detect_result_t *r) {
    return (int)fwgen_detect_process_s8(&fwgen_detect_config, &st, s, t, r, 0);
}
const char *harness_name(int i) { return fwgen_detect_class_names[i]; }
"""


def test_rendered_config_compiles_and_behaves_like_the_twin(tmp_path, repo_root):
    from fwgen.native import compile_shared

    smoothing = SmoothingSettings(detection_threshold_list=(0, 255, 150, 160), suppression_ms=700,
                                  minimum_count=2, average_window_duration_ms=400, max_results=12)
    classes = ["_silence_", 'odd "name"', "yes", "no"]
    files = render_detector_config(classes, smoothing, inference_interval_ms=40)
    assert files == render_detector_config(classes, smoothing, inference_interval_ms=40)
    for name, text in files.items():
        assert text.startswith("/*\n * Generated by fwgen") and "FWGEN_ABI" in files["detect_config.h"]
        (tmp_path / name).write_text(text)
    (tmp_path / "harness.c").write_text(HARNESS)
    so = compile_shared("detect_harness", [tmp_path / "detect_config.c", tmp_path / "harness.c",
                                           repo_root / "firmware/detect/detect.c"],
                        include_dirs=[tmp_path, repo_root / "firmware"])
    lib = ctypes.CDLL(str(so))
    lib.harness_process.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(_Result)]
    lib.harness_name.restype = ctypes.c_char_p
    assert lib.harness_init() == 0
    assert [lib.harness_name(i).decode() for i in range(4)] == classes
    twin = Detector(classes, smoothing)
    rng = np.random.default_rng(7)
    t = 0
    for _ in range(400):
        t += int(rng.integers(0, 80))
        scores = rng.choice([-128, 127, 60, 20, -20], size=4).astype(np.int8)
        r = _Result()
        assert lib.harness_process(scores.ctypes.data, t, ctypes.byref(r)) == 0
        got = DetectionResult(r.class_index, r.score, bool(r.is_new), r.n_results)
        assert got == twin.process(scores, t)


def test_render_checks_queue_capacity_against_inference_interval():
    with pytest.raises(FwgenError, match="max_results = 50: a 1000 ms window with an inference every 10 ms"):
        render_detector_config(CLASSES, SmoothingSettings(), inference_interval_ms=10)
    text = render_detector_config(CLASSES, {"detection_threshold": 200})["detect_config.c"]
    assert text.count("200, /*") == 4 and "0, /* silence */" in text


# -- MLTK's audio_classifier RecognizeCommands, transcribed literally as an oracle ----------------

class MltkRecognizeCommands:
    """MLTK's ProcessLatestResults (int8 model outputs, per-class thresholds, underscore labels
    never trigger), written out from its documented behaviour, quirks included: it starts as if
    class 0 had fired at t = 0, and a full queue drops the newest result."""

    def __init__(self, labels, window, thresholds, suppression, minimum_count, capacity):
        self.labels, self.window, self.thresholds = labels, window, thresholds
        self.suppression, self.minimum_count, self.capacity = suppression, minimum_count, capacity
        self.queue = []
        self.previous_top_index, self.previous_top_time = 0, 0

    def process(self, scores, now):
        converted = [s + 128 for s in scores]
        if self.minimum_count == 0:
            top, top_score = 0, 0
            for i, v in enumerate(converted):
                if v > top_score:
                    top, top_score = i, v
        else:
            if len(self.queue) < self.capacity:
                self.queue.append((now, converted))
            while self.queue and self.queue[0][0] < now - self.window:
                self.queue.pop(0)
            if len(self.queue) < self.minimum_count:
                return self.previous_top_index, 0, False
            averages = [sum(r[i] for _, r in self.queue) // len(self.queue) for i in range(len(scores))]
            top, top_score = 0, 0
            for i, v in enumerate(averages):
                if v > top_score:
                    top, top_score = i, v
        since = now - self.previous_top_time
        is_new = (top_score > self.thresholds[top] and self.labels[top][0] != "_"
                  and (top != self.previous_top_index or since > self.suppression))
        if is_new:
            self.previous_top_index, self.previous_top_time = top, now
        return top, top_score, is_new


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_same_as_mltk_where_its_quirks_do_not_apply(data):
    """Quirks avoided: the stream starts after suppression_ms (so MLTK's pretend event at t = 0
    suppresses nothing) and the queue never fills (capacity above the results in any window)."""
    n = data.draw(st.integers(2, 5))
    labels = ["_unknown_"] + [f"kw{i}" for i in range(1, n)]
    window = data.draw(st.integers(1, 2000))
    suppression = data.draw(st.integers(0, 2000))
    minimum_count = data.draw(st.integers(0, 5))
    thresholds = data.draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    deltas = data.draw(st.lists(st.integers(1, 300), min_size=1, max_size=150))
    rows = data.draw(st.lists(st.lists(score_values, min_size=n, max_size=n),
                              min_size=len(deltas), max_size=len(deltas)))
    capacity = max(window + 2, minimum_count)  # deltas >= 1 ms: at most window + 1 results in a window
    ours = NativeDetector(labels, SmoothingSettings(
        average_window_duration_ms=window, suppression_ms=suppression, minimum_count=minimum_count,
        detection_threshold_list=tuple(thresholds), max_results=min(capacity, 65535)))
    mltk = MltkRecognizeCommands(labels, window, thresholds, suppression, minimum_count, capacity)
    t = suppression + 1
    for delta, row in zip(deltas, rows):
        t += delta
        r = ours.process(row, t)
        assert (r.class_index, r.score, r.is_new) == mltk.process(row, t)


def test_detector_c_uses_integer_math_only(repo_root, tmp_path):
    """No float anywhere: built for a soft-float core, it calls no floating-point helpers."""
    import shutil
    import subprocess

    gcc, nm = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-nm")
    if not gcc or not nm:
        pytest.skip("arm-none-eabi-gcc not installed")
    obj = tmp_path / "detect.o"
    subprocess.run([gcc, "-std=gnu11", "-O2", "-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft",
                    "-Wall", "-Wextra", "-Wconversion", "-Werror", f"-I{repo_root / 'firmware'}", "-c",
                    str(repo_root / "firmware/detect/detect.c"), "-o", str(obj)], check=True)
    undefined = subprocess.run([nm, "-u", str(obj)], check=True, capture_output=True, text=True).stdout.split()
    float_helpers = [s for s in undefined if s.startswith(("__aeabi_f", "__aeabi_d", "__aeabi_i2f", "__aeabi_ui2f"))]
    assert float_helpers == [], float_helpers
    assert "fwgen_detect_process_s8" in subprocess.run([nm, str(obj)], capture_output=True, text=True).stdout


# -- issue 13: "one spoken word, two detections" with MLTK's keyword models ------------------------

# MLTK's keyword_spotting_mobilenetv2 and audio_example1 model parameters (their model scripts):
# 1000 ms averaging window, suppression_ms 750, minimum_count 3; one inference per 20 ms frame.
MLTK_KWS = dict(average_window_duration_ms=1000, suppression_ms=750, minimum_count=3)
MLTK_CLASSES = ["left", "right", "up", "down", "stop", "go", "_unknown_", "_silence_"]


def _word(index, classes, high_ms, step_ms=20, start_ms=2000, total_ms=3000):
    """A stream in which one word's class scores 255 for `high_ms` (the model sees the word for
    that long), everything else is _silence_."""
    n = len(classes)
    word = [-128] * n
    word[index] = 127
    silence = [-128] * n
    silence[classes.index("_silence_")] = 127
    return [(t, word if start_ms <= t < start_ms + high_ms else silence)
            for t in range(0, total_ms, step_ms)]


@pytest.mark.parametrize("threshold, first", [(145, 2580), (165, 2660)])  # mobilenetv2, example1
def test_mltk_settings_repeat_a_word_760_ms_later_as_mltk_does(threshold, first):
    """With MLTK's own settings a word the model sees for 1.1 s (its input window is 1.2 s) is
    reported twice, 760 ms apart, by MLTK's RecognizeCommands (the oracle above) and by fwgen's
    C detector and its twin alike: the average crosses the threshold, suppression_ms = 750
    ends at the first result more than 750 ms later, and the window still holds enough of the
    word's scores. So the detector is right for those settings; the setting is the cause."""
    stream = _word(MLTK_CLASSES.index("up"), MLTK_CLASSES, high_ms=1100, total_ms=5000)
    settings_ = SmoothingSettings(detection_threshold=threshold, max_results=51, **MLTK_KWS)
    mltk = MltkRecognizeCommands(MLTK_CLASSES, 1000, [threshold] * len(MLTK_CLASSES), 750, 3, 51)
    dets = (Detector(MLTK_CLASSES, settings_), NativeDetector(MLTK_CLASSES, settings_))
    found = {"mltk": [], "twin": [], "c": []}
    for t, row in stream:
        if mltk.process(row, t)[2]:
            found["mltk"].append(t)
        for key, det in zip(("twin", "c"), dets):
            if det.process(row, t).is_new:
                found[key].append(t)
    assert found["mltk"] == found["twin"] == found["c"] == [first, first + 760]
    # A suppression longer than the time the average stays above the threshold: one report.
    longer = SmoothingSettings(detection_threshold=threshold, max_results=51,
                               **{**MLTK_KWS, "suppression_ms": 1500})
    for det in (Detector(MLTK_CLASSES, longer), NativeDetector(MLTK_CLASSES, longer)):
        assert [t for t, row in stream if det.process(row, t).is_new] == [first]


def test_repeat_note_names_the_setting_that_allowed_it():
    from fwgen.detect import repeat_detection_notes

    smoothing = SmoothingSettings(detection_threshold=145, **MLTK_KWS)
    notes = repeat_detection_notes([(1040, "up"), (1800, "up")], smoothing)
    assert notes == ["'up' at 1800 ms repeats the 'up' at 1040 ms (760 ms earlier): "
                     "suppression_ms = 750 ms had ended while the 1000 ms averaging window "
                     "(average_window_duration_ms) still held scores from the first one; to "
                     "report one sound once, raise it to at least 760 ms "
                     "(--smoothing suppression_ms=760)"]
    # fwgen run's detection dicts work as they are; a model-parameters mapping as settings.
    runs = [{"time_ms": 1040, "class": "up", "score": 200}, {"time_ms": 1800, "class": "up"}]
    assert repeat_detection_notes(runs, {**MLTK_KWS, "volume_gain": 2}) == notes


def test_repeat_note_for_a_class_detected_in_between():
    from fwgen.detect import repeat_detection_notes

    notes = repeat_detection_notes([(1000, "up"), (1200, "down"), (1400, "up")],
                                   SmoothingSettings(**MLTK_KWS))
    assert notes == ["'up' at 1400 ms repeats the 'up' at 1000 ms (400 ms earlier): "
                     "suppression_ms (750 ms) holds back only the class detected last, and "
                     "'down' at 1200 ms came in between"]


def test_no_repeat_note_for_distinct_or_distant_detections():
    from fwgen.detect import repeat_detection_notes

    s = SmoothingSettings(**MLTK_KWS)          # notes up to 750 + 1000 ms apart
    assert repeat_detection_notes([], s) == []
    assert repeat_detection_notes([(1000, "up"), (1300, "down")], s) == []
    assert repeat_detection_notes([(1000, "up"), (2751, "up")], s) == []
    assert len(repeat_detection_notes([(1000, "up"), (2750, "up")], s)) == 1
    # The model's own input window extends the reach; without averaging only it counts.
    assert len(repeat_detection_notes([(1000, "up"), (3000, "up")], s, input_ms=1200)) == 1
    no_avg = SmoothingSettings(minimum_count=0, suppression_ms=500)
    assert repeat_detection_notes([(0, "up"), (600, "up")], no_avg) == []
    note, = repeat_detection_notes([(0, "up"), (600, "up")], no_avg, input_ms=1000)
    assert "suppression_ms = 500 ms had ended while the model still heard the same sound" in note
