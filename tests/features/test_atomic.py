from __future__ import annotations

from pathlib import Path

import pytest

from features.atomic import replacing_dir, write_atomic


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


def test_write_atomic_writes_bytes_owner_only_and_leaves_nothing_beside(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "secret.json"
    write_atomic(path, b'{"k": 1}')
    assert path.read_bytes() == b'{"k": 1}'
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.json"]


def test_write_atomic_replaces_through_a_callback_on_a_temporary_path(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        assert tmp.parent == tmp_path
        assert tmp != path
        tmp.write_text("new")

    write_atomic(path, write)
    assert path.read_text() == "new"
    assert len(seen) == 1
    assert not seen[0].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@pytest.mark.parametrize("failing", ["callback", "bytes"])
def test_write_atomic_error_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")

    def write(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("boom")

    if failing == "bytes":

        def broken_replace(src: object, dst: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr("features.atomic.os.replace", broken_replace)
    with pytest.raises(RuntimeError, match="boom"):
        write_atomic(path, write if failing == "callback" else b"new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
