"""Write a whole directory atomically: fill a temporary directory beside it, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
