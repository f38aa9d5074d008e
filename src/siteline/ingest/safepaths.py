"""Paths named by hostile files: only ever inside the folder the person gave, never beyond.

An export names its media by path. A damaged or malicious one may name `/etc/shadow`,
`../../.ssh/id_rsa`, or a link planted in the export that points out of it; none of these
may be read, or handed on as evidence. Nothing here opens a file.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")


def inside_folder(root: Path, name: str) -> Path | None:
    """The path `name` (relative, '/'- or '\\'-separated) names inside `root`; None if it leaves.

    Checked twice: on the text (absolute, a drive, '..'), then once links are resolved,
    so that a link inside the folder pointing elsewhere is refused too.
    """
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or _DRIVE.match(name) or ".." in relative.parts or "\x00" in name:
        return None
    try:
        base = root.resolve()
        resolved = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a name too long
        return None
    return resolved if resolved.is_relative_to(base) and resolved != base else None


def is_regular_file(path: Path) -> bool:
    """A plain file (not a folder, device or pipe, which could hang or flood a reader)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
