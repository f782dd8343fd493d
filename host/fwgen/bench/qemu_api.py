"""Which TCG plugin API the qemu-system-arm in use loads, so fwgen_regions.c is built for it.

QEMU loads a plugin whose exported ``qemu_plugin_version`` lies between the oldest and the newest
API version it supports. Facts from QEMU's releases (docs/devel/tcg-plugins.rst and the version
notes of its plugin header):

* 4.2 brought TCG plugins, at API version 1 (Debian 12 ships 7.2);
* 9.0 made 2 the oldest version it loads: version 1's inline counters
  (``qemu_plugin_register_vcpu_insn_exec_inline``) gave way to per-vCPU scoreboards;
* versions 3 to 6 changed or added nothing fwgen_regions.c calls, so the plugin declares 2 up
  to 10.x (Debian 13 ships 10.0; 10.0 loads 2 to 4);
* 11.1 loads version 7 alone (Debian unstable ships 11.1.3): callbacks get their userdata and no
  plugin id, and the translation callback is registered with userdata.

11.0 has not been checked: fwgen builds version 2 for it. A QEMU that refuses what fwgen builds
(11.0, if it raised its oldest version; a release after 11.1) refuses the plugin at start, and
`refusal()` turns QEMU's words into an error naming both versions.

    api = plugin_api(qemu_version())     # 1, 2 or 7; FwgenError for a QEMU without plugins
    argv += [define(api)]                # -DFWGEN_QEMU_PLUGIN_API=N for the plugin's compiler
"""
from __future__ import annotations

import re

from fwgen.errors import FwgenError

PLUGINS_SINCE = (4, 2)
API2_SINCE = (9, 0)
API7_SINCE = (11, 1)
APIS = (1, 2, 7)            # the versions qemu_plugin_api.h declares
NEWEST_CHECKED = (11, 1)    # 10.0 and 11.1: counts compared with 7.2's on the same ELF (tests/emu)
DEFINE = "FWGEN_QEMU_PLUGIN_API"
# QEMU's plugin loader: the version the plugin declares is outside what it loads, or the plugin
# calls a function this QEMU does not export.
_REFUSED = re.compile(r"Could not load plugin [^\n]*?: (?:plugin requires API version \d+, but "
                      r"this QEMU supports only (a minimum version of|up to version) (\d+)"
                      r"|plugin does not declare API version[^\n]*"
                      r"|[^\n]*undefined symbol: (qemu_plugin_\w+))")


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(v) for v in version)


def plugin_api(version: tuple[int, ...]) -> int:
    """The plugin API version to build for QEMU `version` (major, minor[, micro])."""
    if tuple(version[:2]) < PLUGINS_SINCE:
        raise FwgenError(f"QEMU {version_text(version)} has no TCG plugins (they came with QEMU "
                         f"{version_text(PLUGINS_SINCE)}): fwgen bench cannot count instructions "
                         f"with it", hint="install a newer qemu-system-arm (Debian 12's is 7.2), "
                                          "or point FWGEN_QEMU_SYSTEM_ARM at one")
    if tuple(version[:2]) < API2_SINCE:
        return 1
    return 2 if tuple(version[:2]) < API7_SINCE else 7


def define(api: int) -> str:
    """The compiler flag that builds fwgen_regions.c for plugin API version `api`."""
    if api not in APIS:
        raise ValueError(f"no plugin declarations for API version {api}")
    return f"-D{DEFINE}={api}"


def refusal(output: str, version: tuple[int, ...], api: int) -> FwgenError | None:
    """The error to report when QEMU's `output` says it refused the plugin built for `api`
    (None when it says nothing of the kind)."""
    found = _REFUSED.search(output)
    if found is None:
        return None
    qemu = f"QEMU {version_text(version)}"
    if found.group(1) == "a minimum version of":
        why = f"it loads plugin API version {found.group(2)} and later"
    elif found.group(1):
        why = f"it loads plugin API versions up to {found.group(2)}"
    elif found.group(3):
        why = f"it exports no {found.group(3)}, which the plugin calls"
    else:
        why = "it found no API version in it"
    return FwgenError(f"{qemu} refuses fwgen bench's counting plugin (built for plugin API "
                      f"version {api}): {why}\n{found.group(0)}",
                      hint=f"fwgen's plugin declarations cover QEMU {version_text(PLUGINS_SINCE)} "
                           f"to {version_text(NEWEST_CHECKED)}: point FWGEN_QEMU_SYSTEM_ARM at a "
                           f"qemu-system-arm of those, or report this QEMU")
