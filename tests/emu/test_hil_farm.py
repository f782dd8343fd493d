"""Board farms on one machine. `fwgen test --labgrid PLACE` end to end on loopback: a labgrid
coordinator and an exporter on 127.0.0.1 (free ports), the exporter offering the M33 twin's TCP
UART as a NetworkSerialPort, a place matching it; fwgen test acquires the place, scores on its
serial port with zero host/device differences, and releases it (also on Ctrl-C); a place held by
someone else is refused naming the holder. `--hardware-map` with two twins as the map's boards
shares the clips between them. Everything the tests start is stopped by them."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("labgrid", reason="labgrid is not installed (pip install 'fwgen[labgrid]')")

from fwgen.boards import get_board  # noqa: E402
from fwgen.runners.qemu import QemuRunner, free_tcp_port  # noqa: E402

BIN = Path(sys.executable).parent
SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"
EXPORTER = "fwgen-loopback"
PLACE = "fwgen-twin"


def _wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port}: {log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Farm:
    """A coordinator, one exporter and labgrid-client, all on 127.0.0.1."""

    def __init__(self, root: Path, env: dict):
        self.root, self.env, self.procs = root, env, []
        self.address = f"127.0.0.1:{free_tcp_port()}"

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        proc = subprocess.Popen(argv, cwd=self.root, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def client(self, *args: str, user: str | None = None) -> str:
        env = dict(self.env, **({"LG_USERNAME": user} if user else {}))
        proc = subprocess.run([str(BIN / "labgrid-client"), "-x", self.address, *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.fixture(scope="module")
def farm(tmp_path_factory, twin_elf):
    """The twin, and a farm whose place PLACE holds its UART; all stopped afterwards."""
    root = tmp_path_factory.mktemp("labgrid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LG_")}
    env["LG_USERNAME"] = "fwgen-ci"
    twin = QemuRunner(get_board("mps2_an505")).emulate(twin_elf("mps2_an505"), connect=False)
    farm = Farm(root, env)
    try:
        coordinator = farm.start("coordinator", [str(BIN / "labgrid-coordinator"), "-l",
                                                 farm.address])
        _wait_port(int(farm.address.rpartition(":")[2]), coordinator, root / "coordinator.log")
        (root / "exporter.yaml").write_text(
            f"twin:\n  NetworkSerialPort:\n    host: 127.0.0.1\n    port: {twin.port}\n"
            f"    protocol: raw\n    speed: 115200\n")
        farm.start("exporter", [str(BIN / "labgrid-exporter"), "-c", farm.address, "-n", EXPORTER,
                                "--hostname", "127.0.0.1", str(root / "exporter.yaml")])
        farm.client("-p", PLACE, "create")
        farm.client("-p", PLACE, "add-match", f"{EXPORTER}/twin/NetworkSerialPort")
        deadline = time.monotonic() + 30
        while f"{EXPORTER}/twin/NetworkSerialPort" not in farm.client("resources"):
            assert time.monotonic() < deadline, (root / "exporter.log").read_text()
            time.sleep(0.2)
        yield farm
    finally:
        farm.stop()
        twin.close()


def _dataset(root: Path) -> Path:
    for name, label in (("yes_0", "yes"), ("no_0", "no")):
        (root / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / f"{name}.wav", root / label / f"{name}.wav")
    return root


def _fwgen_test(farm: Farm, shared_data: Path, dataset: Path, *extra: str):
    model = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    settings = SAMPLES.parent / "model.yaml"
    return subprocess.run(
        [sys.executable, "-m", "fwgen", "test", "--board", "mps2_an505", "--labgrid", PLACE,
         "--labgrid-coordinator", farm.address, "--model", str(model), "--settings",
         str(settings), "--dataset", str(dataset), "--no-progress", *extra],
        env=farm.env, capture_output=True, text=True, timeout=600)


def test_fwgen_test_scores_on_a_labgrid_place_and_releases_it(farm, shared_data, tmp_path):
    proc = _fwgen_test(farm, shared_data, _dataset(tmp_path / "ds"),
                       "--report", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"acquired labgrid place {PLACE} at {farm.address} (NetworkSerialPort)" in proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["device"].startswith(f"labgrid place {PLACE} (NetworkSerialPort 127.0.0.1:")
    m = report["metrics"]
    assert m["clips_with_differences"] == 0 and m["accuracy"] == m["host_accuracy"]
    assert all(c["detections"] == c["host_detections"] for c in report["clips"])
    assert [c["file"] for c in report["clips"]] == ["no/no_0.wav", "yes/yes_0.wav"]
    assert "acquired: None" in farm.client("-p", PLACE, "show")          # released


def test_a_place_held_by_someone_else_is_refused_naming_the_holder(farm, shared_data, tmp_path):
    farm.client("-p", PLACE, "acquire", user="alice")
    try:
        proc = _fwgen_test(farm, shared_data, _dataset(tmp_path / "ds"))
    finally:
        farm.client("-p", PLACE, "release", user="alice")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cannot acquire place {PLACE}: Place {PLACE} is already acquired by" in proc.stderr
    assert "/alice" in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_releases_the_place(farm, shared_data, tmp_path):
    dataset = tmp_path / "ds"
    (dataset / "yes").mkdir(parents=True)
    for i in range(10):
        shutil.copy(SAMPLES / "yes_0.wav", dataset / "yes" / f"yes_{i}.wav")
    model = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fwgen", "test", "--board", "mps2_an505", "--labgrid", PLACE,
         "--labgrid-coordinator", farm.address, "--model", str(model), "--settings",
         str(SAMPLES.parent / "model.yaml"), "--dataset", str(dataset), "--no-progress",
         "--report", str(tmp_path / "r.json")],
        env=farm.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:                          # stderr is line-buffered
            if "acquired labgrid place" in line:
                break
        assert re.search(r"acquired: \S+/fwgen-ci\b", farm.client("-p", PLACE, "show"))
        time.sleep(4.0)                                   # a clip or two in
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert json.loads((tmp_path / "r.json").read_text())["interrupted"]
    assert "acquired: None" in farm.client("-p", PLACE, "show")


def test_a_hardware_map_of_two_twins_shares_the_clips(twin_elf, shared_data, tmp_path):
    """Two connected boards of one platform in a twister-style map (here two twins, their UARTs
    on TCP ports) score one dataset together, bit-exact like one device."""
    runner = QemuRunner(get_board("mps2_an505"))
    twins = [runner.emulate(twin_elf("mps2_an505"), connect=False) for _ in range(2)]
    try:
        hw = tmp_path / "map.yaml"
        hw.write_text("".join(f"- {{id: twin-{i}, platform: mps2_an505, product: QEMU, "
                              f"serial: 'socket://127.0.0.1:{t.port}', connected: true}}\n"
                              for i, t in enumerate(twins)))
        dataset = tmp_path / "ds"
        for name in ("yes_0", "no_0"):                     # one clip each
            label = name.split("_")[0]
            (dataset / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(SAMPLES / f"{name}.wav", dataset / label / f"{name}.wav")
        proc = subprocess.run(
            [sys.executable, "-m", "fwgen", "test", "--board", "mps2_an505", "--hardware-map",
             str(hw), "--model",
             str(shared_data / "micro_speech" / "micro_speech_quantized.tflite"),
             "--settings", str(SAMPLES.parent / "model.yaml"), "--dataset", str(dataset),
             "--no-progress", "--report", str(tmp_path / "r.json")],
            capture_output=True, text=True, timeout=600)
    finally:
        for twin in twins:
            twin.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["device"] == "2 devices: " + ", ".join(
        f"socket://127.0.0.1:{t.port}" for t in twins)
    m = report["metrics"]
    assert m["clips"] == 2 and m["clips_with_differences"] == 0
    assert m["accuracy"] == m["host_accuracy"]
    assert [c["file"] for c in report["clips"]] == ["no/no_0.wav", "yes/yes_0.wav"]
