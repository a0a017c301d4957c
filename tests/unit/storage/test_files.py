"""Files written whole or not at all (storage.files)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from clinic_app.storage import files

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and links")


def test_a_file_is_written_whole_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("old")
    files.write_atomically(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.json"
    path.write_text("old")

    def no_room(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(OSError, match="No space"):
        files.write_atomically(path, b"new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]


@posix_only
def test_a_link_planted_at_the_temporary_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    planted = tmp_path / ".export.json.planted.partial"
    planted.symlink_to(victim)
    monkeypatch.setattr(files, "temporary_name", lambda path, purpose="partial": planted)
    with pytest.raises(FileExistsError):
        files.write_atomically(tmp_path / "export.json", b"data")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "export.json").exists()


def test_temporary_names_are_unique_and_beside_the_file(tmp_path: Path) -> None:
    names = {files.temporary_name(tmp_path / "a.db") for _ in range(100)}
    assert len(names) == 100
    assert all(n.parent == tmp_path and n.name.startswith(".a.db.") for n in names)


def test_a_copy_is_put_in_place_whole(tmp_path: Path) -> None:
    source = tmp_path / "backup.db"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    target = tmp_path / "clinic.db"
    files.copy_atomically(source, target)
    assert target.read_bytes() == source.read_bytes()


def test_replacing_moves_the_file_in_only_when_the_block_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "backup.db"
    with pytest.raises(RuntimeError), files.replacing(path) as tmp:
        tmp.write_bytes(b"half")
        tmp.with_name(tmp.name + "-journal").write_bytes(b"j")
        raise RuntimeError("the backup failed its check")
    assert list(tmp_path.iterdir()) == []
    with files.replacing(path) as tmp:
        tmp.write_bytes(b"whole")
    assert path.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.db"]


def test_a_file_written_now_is_put_in_place_later(tmp_path: Path) -> None:
    """As a document is: written before the register entry commits, moved in after."""
    target = tmp_path / "summary.pdf"
    tmp = files.write_temporary(target, b"%PDF-")
    assert not target.exists() and tmp.read_bytes() == b"%PDF-"
    files.rename_durably(tmp, target)
    assert target.read_bytes() == b"%PDF-" and not tmp.exists()
