from __future__ import annotations

from pathlib import Path

import pytest

from features.atomic_dir import replacing_dir


def test_replaces_an_existing_directory_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    with replacing_dir(out) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != out
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it


def test_an_error_leaves_the_old_directory_and_no_temporary_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("old")

    def fail_halfway() -> None:
        with replacing_dir(out) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_halfway()
    assert (out / "kept.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_creates_a_missing_directory(tmp_path: Path) -> None:
    with replacing_dir(tmp_path / "fresh") as tmp:
        (tmp / "a.txt").write_text("a")
    assert (tmp_path / "fresh" / "a.txt").read_text() == "a"
