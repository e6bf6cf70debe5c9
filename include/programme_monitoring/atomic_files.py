"""Files that readers never see half-written: each is written under a hidden temporary name
in its own folder, flushed to disk, and renamed over the old one in one step.

Readers of the outputs (a BI tool polling ``reports/``, a sender's mail gateway reading its
outbox, another task pulling an area of the store) open either the previous file or the
new one, never a truncated one, even while a task rewrites it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PUBLIC_MODE = 0o644


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block ends
    without an error, and is removed when it fails (``path`` is then left as it was)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        # mkstemp makes the file private (0600); an output is read by others as before
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else PUBLIC_MODE)
        yield Path(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: str | bytes) -> None:
    """``data`` at ``path`` (text as UTF-8), replacing any previous file in one rename."""
    with replacing(path) as temporary:
        temporary.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
