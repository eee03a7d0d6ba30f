"""Atomic writes: a file or a whole directory appears complete or not at all.

Everything is first written beside its destination (same directory, so the same file system)
and then renamed into place with `os.replace`, which readers see as one step: a crash or an
error leaves the old content, never a half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: Path, data: bytes | Callable[[Path], object]) -> None:
    """Write `data` to `path` through a temporary file beside it, then rename it into place.

    `data` is the content, or a callback that writes a given temporary path (for writers that
    take a path, such as `polars.DataFrame.write_parquet`). The temporary file is created by
    `tempfile.mkstemp`, readable and writable by the owner only (0600) from its creation, so
    secrets are never exposed, and the written file keeps that mode. Bytes are flushed to disk
    before the rename. Missing parent directories are created. On any error the temporary file
    is removed and `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        else:
            os.close(fd)
            data(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_dir(out: Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside `out`; on success it becomes `out`.

    An existing `out` is replaced as a whole (moved aside first, then deleted), so readers see
    the old directory or the new one, never a mix. On any error the temporary directory is
    removed and `out` is left as it was. The parent of `out` must exist.
    """
    out = Path(out)
    parent = out.parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "x")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
