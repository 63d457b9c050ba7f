"""Writing a file completely or not at all (shell).

The outbox, the caches and the static build's marker are read by other processes while
they are written (a mail relay, another policybook, a web server): each is written to a
temporary file beside it and renamed into place, so a reader sees the old file or the
new one, never half of one, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Put `data` at `path` in one rename; `mode` sets the permissions (mkstemp makes
    the file readable by its owner only). Raises OSError; nothing stays on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
