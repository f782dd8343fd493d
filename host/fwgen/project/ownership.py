"""Which files of a project folder are fwgen's and which are the user's, and writing them so.

fwgen records every file it generates in the project manifest (``fwgen-project.json``: path ->
sha256 of what it wrote, and the settings the project was built with). When it renders the
project again it compares the folder with that record first: a generated file whose content is
no longer what fwgen wrote was changed by hand, and fwgen refuses to overwrite or remove it
unless forced, naming the files (before anything is written). ``src/user/`` is the user's: fwgen
creates it once, with ``fwgen_user_config.h`` (included by the generated app configuration) and a
README, and never writes there again; nothing under it is recorded.

Public API::

    MANIFEST, USER_DIR (src/user), USER_SRC_DIR (user, under src/), USER_CONFIG
    read_manifest(folder) -> dict | None
    user_files(app) -> dict[str, bytes]          # the seed of src/user/ (pipeline app only)
    changed_by_hand(folder, files, previous) -> list[str]
    write_project(folder, files, user, force=False) -> tuple[str, ...]   # the files overwritten
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping

from fwgen import __version__
from fwgen.errors import FwgenError
from fwgen.render import render, sha256_hex, write_files

LOG = logging.getLogger(__name__)

MANIFEST = "fwgen-project.json"
USER_SRC_DIR = "user"          # under PlatformIO's src/ (on the include path as $PROJECT_SRC_DIR/user)
USER_DIR = f"src/{USER_SRC_DIR}"
USER_CONFIG = "fwgen_user_config.h"
USER_APPS = ("pipeline",)      # apps whose generated app_config.h includes USER_CONFIG
SHOWN = 8                      # changed files named in the error (the rest are counted)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The project manifest in `folder`, or None when there is none (or it is unreadable)."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        LOG.warning("%s: unreadable project manifest, treated as missing", path)
        return None
    return data if isinstance(data, dict) else None


def user_files(app: str) -> dict[str, bytes]:
    """What src/user/ starts with (the user's from then on)."""
    if app not in USER_APPS:
        return {}
    return {f"{USER_DIR}/README.md": render("user/README.md.j2").encode(),
            f"{USER_DIR}/{USER_CONFIG}": render("user/fwgen_user_config.h.j2",
                                                version=__version__).encode()}


def changed_by_hand(folder: Path, files: Mapping[str, bytes], previous: Mapping[str, str]) -> list[str]:
    """Files in `folder` that rendering `files` would overwrite or remove although they are not
    what fwgen wrote there (`previous`: the manifest's path -> sha256). A file fwgen never
    recorded counts when it exists with other content; a deleted one does not (it comes back)."""
    changed = []
    for rel in sorted(set(previous) | set(files)):
        path = folder / rel
        if rel == MANIFEST or not path.is_file():
            continue
        current = path.read_bytes()
        new = files.get(rel)
        if new is not None and current == new:
            continue                                   # already what fwgen would write
        if rel in previous and sha256_hex(current) == previous[rel]:
            continue                                   # as fwgen wrote it
        changed.append(rel)
    return changed


def _refuse(folder: Path, changed: list[str]) -> FwgenError:
    names = ", ".join(changed[:SHOWN]) + (f" and {len(changed) - SHOWN} more" if len(changed) > SHOWN else "")
    what = "file was" if len(changed) == 1 else "files were"
    return FwgenError(f"{len(changed)} generated {what} changed by hand since fwgen wrote them: "
                      f"{names}", where=str(folder),
                      hint=f"keep your changes in {USER_DIR}/ (fwgen never writes there; settings "
                           f"go in {USER_DIR}/{USER_CONFIG}) and rerun, or pass --force to "
                           f"overwrite them")


def write_project(folder: Path, files: Mapping[str, bytes], user: Mapping[str, bytes], *,
                  force: bool = False) -> tuple[str, ...]:
    """Write `files` into `folder`, removing files fwgen wrote before that are no longer part of
    the project, and seed `user` (src/user/) when that folder does not exist yet. Refuses (before
    writing anything) to overwrite or remove a file changed by hand unless `force`; returns the
    changed files that `force` overwrote or removed."""
    manifest = read_manifest(folder)
    if manifest is None and any(folder.iterdir()) and not (folder / "platformio.ini").exists():
        raise FwgenError("output folder is not empty and is not a fwgen project", where=str(folder),
                         hint="choose an empty folder with --out")
    previous = (manifest or {}).get("files", {})
    previous = previous if isinstance(previous, dict) else {}
    changed = changed_by_hand(folder, files, previous)
    if changed and not force:
        raise _refuse(folder, changed)
    for rel in changed:
        LOG.info("%s: overwriting %s, changed by hand (--force)", folder, rel)
    for rel in previous:
        if rel not in files and (folder / rel).is_file():
            (folder / rel).unlink()
    if user and not (folder / USER_DIR).exists():
        write_files(folder, dict(user))
    write_files(folder, dict(files))
    return tuple(changed)
