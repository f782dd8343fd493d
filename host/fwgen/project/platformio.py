"""PlatformIO, offline: provision `tool-scons` from PyPI's scons and run `pio run`.

PlatformIO's registry is unreachable here. A project that uses fwgen's own development platform
(`platform = symlink://…`, no frameworks, no packages) builds offline once PlatformIO finds its
`tool-scons` core package; fwgen provisions it from the `scons` distribution already installed
in this Python environment, into the PlatformIO core dir in effect (``$PLATFORMIO_CORE_DIR`` or
``~/.platformio``, the same one a plain ``pio run`` uses), with a ``.piopm`` whose owner is
``platformio`` so PlatformIO accepts it as its own.

Public API::

    core_dir() -> Path
    provision(core: Path | None = None) -> Path         # idempotent; returns the package dir
    pio_environment() -> dict[str, str]                 # os.environ + offline settings
    pio_command() -> list[str]                          # how to start PlatformIO
    run_pio(project: Path, env: str, *, verbose=False) -> None   # FwgenError on failure
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

SCONS_PACKAGE = "tool-scons"

_LAUNCHER = '''"""scons launcher provisioned by fwgen from PyPI's scons (see fwgen.project.platformio)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import SCons.Script  # noqa: E402

SCons.Script.main()
'''


def core_dir() -> Path:
    """The PlatformIO core dir a plain `pio run` would use."""
    env = os.environ.get("PLATFORMIO_CORE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".platformio"


def _scons_version() -> tuple[str, Path]:
    try:
        import SCons  # noqa: F401 (the installed distribution)
        from importlib.metadata import version
    except ImportError:
        raise FwgenError("the 'scons' Python package is not installed",
                         hint="run tools/bootstrap.sh (it installs fwgen's pinned dependencies)") from None
    return version("scons"), Path(SCons.__file__).parent


def pio_package_version(scons_version: str) -> str:
    """PlatformIO's tool-scons version for a scons release: 4.11.1 -> 4.41101.0."""
    parts = [int(p) for p in scons_version.split(".")[:3]] + [0, 0]
    major, minor, patch = parts[:3]
    return f"{major}.{major * 10000 + minor * 100 + patch}.0"


def _required_spec() -> str | None:
    try:
        from platformio.dependencies import get_core_dependencies
    except ImportError:
        return None
    return get_core_dependencies().get(SCONS_PACKAGE)


def provision(core: Path | None = None) -> Path:
    """Install tool-scons into the PlatformIO core dir from the local scons (idempotent)."""
    core = core or core_dir()
    scons_version, scons_src = _scons_version()
    pkg_version = pio_package_version(scons_version)
    required = _required_spec()
    if required:
        import semantic_version
        if not semantic_version.SimpleSpec(required).match(semantic_version.Version(pkg_version)):
            raise FwgenError(f"PlatformIO wants {SCONS_PACKAGE} {required} but the installed scons "
                             f"{scons_version} makes {pkg_version}",
                             hint="install the scons version pinned in constraints.txt")
    dest = core / "packages" / SCONS_PACKAGE
    manifest = dest / "package.json"
    if manifest.is_file() and (dest / ".piopm").is_file() and (dest / "scons.py").is_file():
        try:
            if json.loads(manifest.read_text()).get("version") == pkg_version:
                return dest
        except (OSError, ValueError):
            pass
    LOG.info("provisioning %s %s into %s", SCONS_PACKAGE, pkg_version, dest)
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        shutil.copytree(scons_src, tmp / "SCons",
                        ignore=shutil.ignore_patterns("__pycache__", "*Tests.py"))
        (tmp / "scons.py").write_text(_LAUNCHER)
        (tmp / "package.json").write_text(json.dumps({
            "name": SCONS_PACKAGE, "version": pkg_version,
            "description": f"SCons {scons_version} from PyPI, provisioned by fwgen",
            "keywords": ["build tool"], "homepage": "https://scons.org",
            "license": "MIT", "system": "*"}, indent=2) + "\n")
        (tmp / ".piopm").write_text(json.dumps({
            "type": "tool", "name": SCONS_PACKAGE, "version": pkg_version,
            "spec": {"owner": "platformio", "id": None, "name": SCONS_PACKAGE,
                     "requirements": None, "uri": None}}))
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def pio_environment() -> dict[str, str]:
    """Environment for PlatformIO: no telemetry, no update checks, no registry lookups."""
    env = dict(os.environ)
    env.update({
        "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
        "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "3650",
        "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
        "PLATFORMIO_SETTING_ENABLE_PROXY_STRICT_SSL": "No",
        "PLATFORMIO_DISABLE_PROGRESSBAR": "true",
        "PLATFORMIO_NO_ANSI": "true",
    })
    return env


def pio_command() -> list[str]:
    """PlatformIO from this Python environment (the pinned one), else `pio` from PATH."""
    try:
        import platformio  # noqa: F401
        return [sys.executable, "-m", "platformio"]
    except ImportError:
        pio = shutil.which("pio")
        if pio is None:
            raise ToolMissingError("pio") from None
        return [pio]


def run_pio(project: Path, env_name: str, *, verbose: bool = False,
            targets: tuple[str, ...] = ()) -> str:
    """`pio run -e ENV` in `project`; returns its output, raises FwgenError with it on failure."""
    provision()
    argv = [*pio_command(), "run", "-d", str(project), "-e", env_name]
    for target in targets:
        argv += ["-t", target]
    if verbose:
        argv.append("-v")
    LOG.info("running %s", " ".join(argv))
    from fwgen import process  # pio, SCons and the compilers die with fwgen, whatever kills it
    proc = process.run(argv, capture_output=True, text=True, env=pio_environment())
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise FwgenError(f"firmware build failed (pio run -e {env_name}, exit {proc.returncode})\n{tail}",
                         where=str(project), hint="rerun with -v, or run 'pio run' in that folder")
    return output
