"""The generated platformio.ini uploads and monitors as fwgen does: `pio run -t upload` runs the
command `fwgen flash` runs for the board (upload_protocol = custom), and `pio device monitor`
decodes the serial link with the project's monitor filter (fwgen.monitor's LinkTextFilter)."""
from __future__ import annotations

import configparser
import importlib.util
import shlex
import shutil
import sys
import types
from pathlib import Path

import pytest

from fwgen.boards import get_board, load_boards
from fwgen.cli import main
from fwgen.cli.build_cmd import upload_specs
from fwgen.link.frame import encode_message
from fwgen.link.messages import Detection, FeatureDtype, Hello
from fwgen.monitor.pio_filter import LinkTextFilter
from fwgen.project.render import ProjectSpec, render_files, render_project

from test_flash_images import make_elf

BOARDS = sorted(b for b in load_boards() if not get_board(b).is_emulator)
GENERATED = {"model.c": "/* model */\n"}
HELLO = Hello(0, 3, 1, 0, 7, 1024, 4096, bytes.fromhex("0011223344556677"), "mps2_an505", 16000,
              480, 320, 40, 49, 1, 4, FeatureDtype.INT8, 2, "silence\nunknown\nyes\nno")


def _ini(files: dict[str, bytes]) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
    parser.read_string(files["platformio.ini"].decode())
    return parser


def _spec(board_id: str) -> ProjectSpec:
    board = get_board(board_id)
    return ProjectSpec(board=board, generated=dict(GENERATED), inputs={"model": "test"},
                       uploads=upload_specs(board))


def _same_tcl_word(a: str, b: str, image: str) -> bool:
    """openocd's Tcl word for a $-placeholder is braced ({$SOURCE}); Tcl reads {X} as X."""
    return a == b or a.replace("{" + image + "}", image) == b


@pytest.mark.parametrize("board_id", BOARDS)
def test_pio_upload_runs_what_fwgen_flash_runs(tmp_path, capsys, board_id):
    board = get_board(board_id)
    project = render_project(_spec(board_id), tmp_path / "p").path
    env = _ini(render_files(_spec(board_id)))[f"env:{board.id}"]
    assert env["upload_protocol"] == "custom"
    fmt = env["custom_fwgen_upload_format"]
    folder = project / ".pio" / "build" / board.id
    make_elf(folder / "firmware.elf", board.memory.flash.origin)
    for suffix in ("hex", "bin"):
        (folder / f"firmware.{suffix}").write_bytes(b"image")
    assert main(["flash", "--board", board.id, "--dry-run", str(project)]) == 0
    out = capsys.readouterr().out
    lines = [line[len("would run: "):] for line in out.splitlines() if line.startswith("would run: ")]
    assert lines, out
    image = str(folder / f"firmware.{fmt}")
    flashed = shlex.split(" && ".join(lines))
    uploaded = shlex.split(env["upload_command"].replace("$SOURCE", image))
    assert len(uploaded) == len(flashed) and image in " ".join(flashed)
    assert all(_same_tcl_word(u, f, image) for u, f in zip(uploaded, flashed)), (uploaded, flashed)


def test_a_twin_env_has_no_upload_command():
    ini = _ini(render_files(_spec("stm32u5")))
    assert "upload_protocol" not in ini["env:mps2_an505"]
    assert "upload_protocol" not in _ini(render_files(
        ProjectSpec(board=get_board("mps2_an505"), generated=dict(GENERATED))))["env:mps2_an505"]


def test_upload_specs_are_deterministic_and_name_the_runner():
    a, b = render_files(_spec("efr32xg24")), render_files(_spec("efr32xg24"))
    assert a == b
    ini = a["platformio.ini"].decode()
    assert "pycommander-cli flash $SOURCE --device EFR32MG24B310F1536IM48" in ini
    assert "fwgen flash --board xg24_dk2601b" in ini


@pytest.mark.parametrize("board_id", ["stm32u5", "efr32xg24", "mps2_an505"])
def test_monitor_settings_come_from_the_board(board_id):
    board = get_board(board_id)
    files = render_files(_spec(board_id) if not board.is_emulator else
                         ProjectSpec(board=board, generated=dict(GENERATED)))
    ini = _ini(files)
    assert ini["env"]["monitor_encoding"] == "latin-1"
    assert ini["env"]["monitor_filters"] == "fwgen_link"
    assert ini[f"env:{board.id}"]["monitor_speed"] == str(board.uart.baud)
    assert "monitor/filter_fwgen_link.py" in files


def test_the_smoke_app_has_no_link_filter():
    files = render_files(ProjectSpec(board=get_board("stm32u5"), app="smoke"))
    assert "monitor/filter_fwgen_link.py" not in files
    assert "monitor_filters" not in files["platformio.ini"].decode()


def _load_filter(path: Path, monkeypatch):
    """The generated filter module, with a stand-in for PlatformIO's base class (whose
    constructor reads the project's configuration through PlatformIO)."""
    base = types.ModuleType("platformio.device.monitor.filters.base")

    class DeviceMonitorFilterBase:
        def __init__(self, options=None):
            self.options = options or {}

    base.DeviceMonitorFilterBase = DeviceMonitorFilterBase
    monkeypatch.setitem(sys.modules, "platformio.device.monitor.filters.base", base)
    spec = importlib.util.spec_from_file_location("filter_fwgen_link", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    filters = [v for v in vars(module).values() if isinstance(v, type)
               and issubclass(v, DeviceMonitorFilterBase) and v is not DeviceMonitorFilterBase]
    assert len(filters) == 1
    return filters[0]


def test_the_monitor_filter_shows_what_fwgen_monitor_shows(tmp_path, monkeypatch):
    project = render_project(_spec("stm32u5"), tmp_path / "p").path
    cls = _load_filter(project / "monitor" / "filter_fwgen_link.py", monkeypatch)
    assert cls.NAME == "fwgen_link"
    wire = encode_message(HELLO, 0) + encode_message(Detection(1, 2, 1500, 2, 250), 1)
    text = wire.decode("latin-1")                 # as PlatformIO hands it (monitor_encoding)
    pio = cls({"project_dir": str(project)})
    shown = pio.rx(text[:7]) + pio.rx(text[7:])
    assert shown == LinkTextFilter().rx(wire)
    assert "yes          score 250" in shown and "HELLO board mps2_an505" in shown
    assert pio.tx("typed") == "typed"


def test_platformio_loads_the_filter_from_the_project(tmp_path, monkeypatch):
    """PlatformIO's own loader finds it in the project's monitor/ folder (filter_*.py)."""
    pytest.importorskip("platformio")
    from platformio.device.monitor.filters.base import load_monitor_filter
    from platformio.project.config import ProjectConfig
    from serial.tools import miniterm

    project = render_project(_spec("stm32u5"), tmp_path / "p").path
    monkeypatch.chdir(project)
    ProjectConfig.get_instance(str(project / "platformio.ini"))
    monkeypatch.setattr(miniterm, "TRANSFORMATIONS", dict(miniterm.TRANSFORMATIONS))
    assert load_monitor_filter(str(project / "monitor" / "filter_fwgen_link.py"),
                               {"project_dir": str(project), "environment": "b_u585i_iot02a"})
    shown = miniterm.TRANSFORMATIONS["fwgen_link"].rx(
        encode_message(Detection(1, 2, 1500, 2, 250), 1).decode("latin-1"))
    assert "score 250" in shown


def _platform_uri(files: dict[str, bytes]) -> str:
    return _ini(files)["env"]["platform"]


def test_the_platform_folder_is_named_by_its_content(tmp_path, repo_root):
    """PlatformIO reuses an installed symlink:// platform whose URI string matches, even one
    registered by another project folder: the URI must change whenever the platform does, or a
    project builds (and uploads) with another project's, possibly older, builder."""
    files = render_files(_spec("stm32u5"))
    uri = _platform_uri(files)
    assert uri.startswith("symlink://platform/fwgen-")
    folder = uri[len("symlink://"):]
    for name in ("platform.json", "platform.py", "builder/main.py"):
        assert f"{folder}/{name}" in files, name
    assert "boards_dir = platform/boards" in files["platformio.ini"].decode()
    tree = tmp_path / "tree"
    shutil.copytree(repo_root / "templates", tree / "templates")
    (tree / "firmware").symlink_to(repo_root / "firmware")
    builder = tree / "templates" / "platformio" / "platform" / "builder" / "main.py"
    builder.write_text(builder.read_text() + "\n# changed\n")
    changed = render_files(_spec("stm32u5"), root=tree)
    assert _platform_uri(changed) != uri
    assert render_files(_spec("stm32u5"), root=tree) == changed
