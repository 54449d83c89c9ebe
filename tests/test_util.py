"""Shared private helpers: text checks, key text decoding, safe reads, atomic writes."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import ValidationError
from hf_api_governance._base.checks import check_optional_text, check_text
from hf_api_governance._base.encoding import b64decode_strict, decode_key_text
from hf_api_governance._base.files import (
    FileTooLarge,
    NotARegularFile,
    atomic_write,
    read_regular_file,
    size_text,
)
from hf_api_governance._facade import Governance


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3, "name: must be text, got int"),
        ("  ", "name: must not be empty"),
        ("x" * 201, "name: must be at most 200 characters"),
        ("a\nb", "name: must not contain control characters"),
        ("a\ud800b", "name: must not contain control characters"),  # not encodable as UTF-8
    ],
)
def test_check_text_names_the_field_and_the_problem(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=f"^{message}"):
        check_text("name", value)


def test_check_text_returns_plain_text_and_optional_allows_none() -> None:
    class Sub(str):
        pass

    assert type(check_text("name", Sub("Acme"))) is str
    assert check_optional_text("name", None) is None
    assert check_text("name", "x" * 300, max_len=300) == "x" * 300


@given(st.binary(min_size=1, max_size=64))
def test_base64_in_either_alphabet_with_or_without_padding_decodes(data: bytes) -> None:
    for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
        assert b64decode_strict(encoded) == data
        assert b64decode_strict(encoded.rstrip(b"=").decode()) == data


def test_a_character_outside_the_alphabet_refuses_the_whole_text() -> None:
    good = base64.b64encode(bytes(range(32))).decode()
    assert b64decode_strict(good[:10] + "!" + good[10:]) is None
    assert b64decode_strict(good[:10] + " " + good[10:]) is None
    assert b64decode_strict("pässphrase") is None


def test_key_text_prefers_hex_and_falls_back_to_base64() -> None:
    key = bytes(range(32))
    assert decode_key_text(key.hex()) == key
    assert decode_key_text(key.hex().upper()) == key
    assert decode_key_text(base64.b64encode(key).decode()) == key
    assert decode_key_text("not a key at all!") is None


def test_the_audit_key_from_the_environment_is_decoded_strictly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in HF_GOV_AUDIT_KEY is refused, never silently dropped (a different key)."""
    text = base64.b64encode(os.urandom(33)).decode()
    monkeypatch.setenv("HF_GOV_AUDIT_KEY", text[:20] + "*" + text[20:])
    with pytest.raises(ValidationError, match=r"^HF_GOV_AUDIT_KEY:") as info:
        Governance.open(tmp_path / "r.db", actor="ci")
    assert text[:20] not in str(info.value)
    monkeypatch.setenv("HF_GOV_AUDIT_KEY", text)
    with Governance.open(tmp_path / "r.db", actor="ci") as gov:
        assert gov.audit is not None


def test_atomic_write_replaces_the_whole_file_with_the_mode_asked(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"old")
    atomic_write(path, [b"new ", b"content"], mode=0o644)
    assert path.read_bytes() == b"new content"
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"half"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, chunks())
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


# -- regular files only, size caps, writes that replace nothing else ------------------


def test_reading_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="not a regular file: it is a named pipe"):
        read_regular_file(fifo, limit=100)


@pytest.mark.parametrize(
    ("target", "kind"), [("/dev/zero", "a character device"), (".", "a directory")]
)
def test_a_link_to_a_device_or_a_directory_is_refused_before_reading(
    tmp_path: Path, target: str, kind: str
) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path if target == "." else Path(target))
    with pytest.raises(NotARegularFile, match=f"it is {kind}"):
        read_regular_file(link, limit=100)


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLarge, match="larger than the 100 bytes limit") as info:
        read_regular_file(path, limit=100)
    assert info.value.filename == str(path)
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, limit=100) == b"x" * 100
    assert size_text(64 << 10) == "64 KiB"
    assert size_text(32 << 20) == "32 MiB"


def test_atomic_write_never_replaces_a_fifo_a_device_or_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "dir").mkdir()
    for target in (fifo, tmp_path / "dir", Path("/dev/null")):
        with pytest.raises(NotARegularFile, match="not a regular file"):
            atomic_write(target, [b"x"])
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "pipe"]


def test_atomic_write_refuses_a_symlink_unless_asked_then_writes_its_target(
    tmp_path: Path,
) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with pytest.raises(NotARegularFile, match="symbolic link"):
        atomic_write(link, [b"new"])
    assert target.read_bytes() == b"old"
    atomic_write(link, [b"new"], follow_symlinks=True)
    assert link.is_symlink()
    assert target.read_bytes() == b"new"
    to_fifo = tmp_path / "to-fifo"
    os.mkfifo(tmp_path / "pipe")
    to_fifo.symlink_to(tmp_path / "pipe")
    with pytest.raises(NotARegularFile, match="named pipe"):
        atomic_write(to_fifo, [b"x"], follow_symlinks=True)


def test_copier_keeps_every_other_field_and_refuses_unknown_names() -> None:
    """The generated copy equals attrs.evolve with the same changes, field for field."""
    import attrs

    from hf_api_governance._base.construct import copier
    from hf_api_governance._model.values import IntegrationState
    from hf_api_governance.testing import make_integration

    source = make_integration(state=IntegrationState.SUSPENDED)
    copy = copier(type(source), ("state", "history"))
    made = copy(source, IntegrationState.ACTIVE, source.history[:1])
    assert made == attrs.evolve(source, state=IntegrationState.ACTIVE, history=source.history[:1])
    assert made is not source
    assert source.state is IntegrationState.SUSPENDED  # the source is untouched
    with pytest.raises(ValueError, match="not fields of Integration"):
        copier(type(source), ("colour",))
