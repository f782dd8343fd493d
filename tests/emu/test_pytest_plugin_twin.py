"""fwgen's pytest plugin on the M33 twin: a user's test file (run by pytester) gets a
`fwgen_device`, streams a clip, reads its detections, features and logits, and compares them
with the host pipeline (zero differences); a failing test and Ctrl-C both leave no QEMU behind.
The twin firmware is the emulator tier's session build (tests/emu/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from fwgen.audio import read_wav
from fwgen.deploy import default_pad

pytest_plugins = ["pytester"]

USER_TESTS = '''
from pathlib import Path

YES = r"{yes}"

def test_a_clip_is_heard_as_the_host_hears_it(fwgen_device):
    Path(r"{pid}").write_text(str(fwgen_device.device.qemu.proc.pid))
    clip = fwgen_device.stream_clip(YES, features=True, logits=True)
    outcome = fwgen_device.compare(YES, label="yes")
    assert outcome.differences == []
    assert clip.labels == [hit.label for hit in outcome.host_detections]
    assert [h.time_ms for h in clip.heard] == [hit.time_ms for hit in outcome.host_detections]
    assert clip.features.shape == ({frames}, 40)
    assert clip.logits.shape[1] == len(fwgen_device.classes) == 4
    assert clip.stats["frames"] == {frames} and clip.stats["frontend_cycles"] > 0
    print("HEARD", "+".join(clip.labels))

def test_that_fails(fwgen_device):
    assert fwgen_device.classes == ("not", "its", "classes")
'''

CTRL_C = '''
from pathlib import Path

def test_interrupted(fwgen_device):
    Path(r"{pid}").write_text(str(fwgen_device.device.qemu.proc.pid))
    raise KeyboardInterrupt

def test_never_runs(fwgen_device):
    pass
'''


def gone(pid_file: Path) -> bool:
    """Whether the QEMU whose pid the user's test wrote has ended (reaped, or a zombie)."""
    proc = Path(f"/proc/{int(pid_file.read_text())}/stat")
    return not proc.exists() or proc.read_text().split(") ")[-1].startswith("Z")


@pytest.fixture(scope="module")
def options(twin_elf, shared_data, repo_root) -> list[str]:
    # labgrid's plugin starts a process-wide logger once: it stays out of the nested runs
    return ["-p", "no:labgrid", "--fwgen-board", "mps2_an505",
            "--fwgen-elf", str(twin_elf("mps2_an505")),
            "--fwgen-model", str(shared_data / "micro_speech" / "micro_speech_quantized.tflite"),
            "--fwgen-settings", str(repo_root / "models" / "micro_speech" / "model.yaml")]


def test_user_tests_on_the_twin_pass_and_fail_and_stop_qemu(pytester, options, shared_data,
                                                            deployment, tmp_path):
    pid = tmp_path / "qemu.pid"
    yes = shared_data / "micro_speech" / "yes_1000ms.wav"
    spec = deployment.frontend
    padded = read_wav(yes).size + 2 * default_pad(spec, deployment.n_frames)
    frames = (padded - spec.window_size) // spec.window_step + 1
    pytester.makepyfile(USER_TESTS.format(yes=yes, pid=pid, frames=frames))
    result = pytester.runpytest(*options, "-s", "--rootdir", str(pytester.path))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["fwgen device: mps2_an505 twin (QEMU mps2-an505) running *",
                                 "*HEARD yes*"])
    assert gone(pid)


def test_ctrl_c_in_a_user_test_stops_qemu(pytester, options, tmp_path):
    pid = tmp_path / "qemu.pid"
    pytester.makepyfile(CTRL_C.format(pid=pid))
    result = pytester.runpytest(*options, "--rootdir", str(pytester.path), no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert gone(pid)
