"""Files only Carnet's own user may read: the data directory (0700), the SQLite database,
the secret key and the documents (0600).

Each is *created* with its mode (os.open / mkdir with the mode), never chmod-ed after
being written: there is no moment when another user could open it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """``path`` (and missing parents) created 0700; ``tighten``: an existing one Carnet
    owns (its data directory) loses the group and other bits too."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):  # mkdir(parents=True) would give parents 0777 - umask
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
    if tighten and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)
    return path


def create_private_file(path: Path, data: bytes = b"") -> bool:
    """Create ``path`` 0600 with ``data``; False (and nothing written) if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return True
