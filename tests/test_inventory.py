"""Inventory files: TOML round-trip, validation with file/line/id/field, and sync."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    ApiKind,
    FrozenClock,
    Integration,
    InventoryError,
    Licence,
    LicenceStatus,
    Registry,
    ValidationError,
    dump_inventory,
    load_inventory,
)
from hf_api_governance import strategies as hst
from hf_api_governance._registry.inventory import load_inventory_with_lines

EXAMPLE = Path(__file__).parent.parent / "examples" / "inventory.toml"
CANARY = "Zq8Xv3Lm0Pn7Rt2Wb9Yc4Kd6"

GOOD = """\
# two integrations
[[integration]]
id = "okta-directory"
name = "Okta directory sync"
service = "engage"
kind = "third_party_api"
vendor = "Okta"
base_url = "https://example.okta.com/api/v1"
owner = "identity-team@example.com"
credential = "okta-api-token"
info_verified_at = 2026-09-01T09:00:00Z

[integration.enablement]
tenant = "example"

[[integration.licence]]
grantor = "Okta"
scope = "Workforce Identity API"
valid_from = 2026-01-01
valid_until = 2026-12-31

[[integration]]
id = "mimecast-aware"
name = "Mimecast API 2.0 for Aware"
service = "aware"
kind = "mimecast_api"
vendor = "Mimecast"
base_url = "https://api.services.mimecast.com"
owner = "security-awareness@example.com"

[integration.auth]
scheme = "oauth2_client_credentials"
token_url = "https://api.services.mimecast.com/oauth/token"
client_id = "mc-aware-client-id"
client_secret = "mc-aware-client-secret"

[[integration.licence]]
grantor = "Mimecast"
scope = "Aware subscription"
valid_from = 2026-01-01T00:00:00Z
"""


def write(tmp_path: Path, text: str, name: str = "inventory.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    return lines[occurrence - 1]


# ------------------------------------------------------------------ loading


def test_a_valid_file_loads_with_dates_and_datetimes_kept_apart(tmp_path: Path) -> None:
    okta, aware = load_inventory(write(tmp_path, GOOD))
    assert okta.id == "okta-directory"
    assert okta.info_verified_at == datetime(2026, 9, 1, 9, tzinfo=UTC)
    assert dict(okta.enablement) == {"tenant": "example"}
    (licence,) = okta.licences
    assert type(licence.valid_from) is date
    assert type(licence.valid_until) is date
    assert aware.kind is ApiKind.MIMECAST_API
    assert aware.auth is not None
    assert aware.credential_entries == ("mc-aware-client-id", "mc-aware-client-secret")
    assert type(aware.licences[0].valid_from) is datetime


def test_an_empty_file_declares_nothing(tmp_path: Path) -> None:
    assert load_inventory(write(tmp_path, "# nothing yet\n")) == []


def test_the_example_inventory_covers_every_licence_status() -> None:
    items = load_inventory(EXAMPLE)
    assert 8 <= len(items) <= 10
    at = datetime(2026, 11, 26, tzinfo=UTC)
    statuses = {lic.status(at) for item in items for lic in item.licences}
    assert statuses >= {
        LicenceStatus.VALID,
        LicenceStatus.EXPIRING,
        LicenceStatus.EXPIRED,
        LicenceStatus.NOT_YET_VALID,
    }
    unlicensed = [i for i in items if i.kind is ApiKind.THIRD_PARTY_API and not i.licences]
    assert len(unlicensed) == 1
    assert any(i.info_verified_at is None for i in items)
    assert any(
        i.info_verified_at is not None and at - i.info_verified_at > timedelta(days=180)
        for i in items
    )
    mimecast = {i.service for i in items if i.kind is ApiKind.MIMECAST_API}
    assert len(mimecast) == 3
    for item in items:
        if item.kind is ApiKind.MIMECAST_API:
            assert item.base_url == "https://api.services.mimecast.com"
            assert item.auth is not None
            assert item.auth.scheme == "oauth2_client_credentials"
            assert any(lic.grantor == "Mimecast" for lic in item.licences)


def test_the_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "registry.md").read_text(encoding="utf-8")
    block = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    (item,) = load_inventory(write(tmp_path, block))
    assert item.id == "okta-directory"
    assert item.credential_entries == ("okta-api-token", "okta-bearer-token")


# ------------------------------------------------------------------ round trip


@given(st.lists(hst.integrations(), max_size=4, unique_by=lambda i: i.id))
def test_dump_then_load_gives_equal_integrations(items: list[Integration]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.toml"
        dump_inventory(items, path)
        loaded = load_inventory(path)
    assert loaded == [i.declared() for i in items]
    for got, want in zip(loaded, items, strict=True):
        assert dict(got.enablement) == dict(want.enablement)
        for a, b in zip(got.licences, want.licences, strict=True):
            assert type(a.valid_from) is type(b.valid_from)
            assert type(a.valid_until) is type(b.valid_until)


@given(st.lists(hst.integrations(), max_size=4, unique_by=lambda i: i.id))
def test_lines_point_at_the_header_that_declares_each_integration(
    items: list[Integration],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.toml"
        dump_inventory(items, path, header="generated\n[[integration]] in a comment")
        loaded, lines = load_inventory_with_lines(path)
        text = path.read_text(encoding="utf-8").splitlines()
    assert loaded == load_inventory_from_text(text)
    assert set(lines) == {i.id for i in items}
    for ident, line in lines.items():
        assert text[line - 1] == "[[integration]]"
        assert text[line] == f'id = "{ident}"'


def load_inventory_from_text(lines: list[str]) -> list[Integration]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "again.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return load_inventory(path)


def test_dump_quotes_awkward_text_and_keys(tmp_path: Path) -> None:
    tricky = Integration(
        id="tricky",
        name='Quote " backslash \\ and émoji ✓',
        service="engage",
        kind="third_party_api",
        vendor="Vendor ] [ # = ,",
        base_url="https://api.example.com/v1",
        owner="Platform Team",
        enablement={
            "key with space": 'a"b\tc\x7f',
            "nested": {"a b": [1, 2.5, True, "x\ny"]},
            "ratio": 1e16,
            "list": ["p", 3],
        },
    )
    path = tmp_path / "out.toml"
    dump_inventory([tricky], path)
    assert load_inventory(path) == [tricky]


def test_dump_is_atomic_and_replaces_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "old content that is not even TOML [[[")
    items = load_inventory(EXAMPLE)
    dump_inventory(items, path, header="Generated from the registry")
    assert path.read_text(encoding="utf-8").startswith("# Generated from the registry\n")
    assert load_inventory(path) == items
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_dump_refuses_what_toml_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "out.toml"
    item = load_inventory(EXAMPLE)[0]
    with pytest.raises(InventoryError, match="duplicate id"):
        dump_inventory([item, item], path)
    with pytest.raises(InventoryError, match=r"field 'enablement.note': has no value"):
        dump_inventory([attrs.evolve(item, enablement={"note": None})], path)
    assert not path.exists()
    with pytest.raises(InventoryError, match="cannot write"):
        dump_inventory([item], tmp_path / "missing" / "out.toml")


# ------------------------------------------------------------------ bad input


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


BAD = [
    # (case, new text, line fragment (occurrence), integration id, field, problem)
    (
        "unknown key",
        replace(GOOD, 'credential = "okta-api-token"', 'credentail = "okta-api-token"'),
        ("credentail =", 1),
        "okta-directory",
        "credentail",
        "unknown key 'credentail'",
    ),
    (
        "unknown licence key",
        replace(GOOD, "valid_until = 2026-12-31", "valid_to = 2026-12-31"),
        ("valid_to =", 1),
        "okta-directory",
        "licence[0].valid_to",
        "unknown key",
    ),
    (
        "wrong type",
        replace(GOOD, 'name = "Okta directory sync"', "name = 42"),
        ("name = 42", 1),
        "okta-directory",
        "name",
        "must be text, got int",
    ),
    (
        "missing key",
        replace(GOOD, 'owner = "security-awareness@example.com"\n', ""),
        ("[[integration]]", 2),
        "mimecast-aware",
        "owner",
        "is required",
    ),
    (
        "duplicate id",
        replace(GOOD, 'id = "mimecast-aware"', 'id = "okta-directory"'),
        ('id = "okta-directory"', 2),
        "okta-directory",
        "id",
        "duplicate id: already declared at line 3",
    ),
    (
        "bad id",
        replace(GOOD, 'id = "mimecast-aware"', 'id = "Mimecast Aware!"'),
        ('id = "Mimecast Aware!"', 1),
        None,
        "id",
        "must be a slug",
    ),
    (
        "bad date",
        replace(GOOD, "valid_until = 2026-12-31", 'valid_until = "2026-12-31"'),
        ('valid_until = "2026-12-31"', 1),
        "okta-directory",
        "licence[0].valid_until",
        "must be a date",
    ),
    (
        "window ends before it starts",
        replace(GOOD, "valid_until = 2026-12-31", "valid_until = 2025-12-31"),
        ("valid_until = 2025-12-31", 1),
        "okta-directory",
        "licence[0].valid_until",
        "must be after valid_from",
    ),
    (
        "local datetime",
        replace(
            GOOD,
            "info_verified_at = 2026-09-01T09:00:00Z",
            "info_verified_at = 2026-09-01T09:00:00",
        ),
        ("info_verified_at =", 1),
        "okta-directory",
        "info_verified_at",
        "local datetime (no offset)",
    ),
    (
        "local datetime in a licence",
        replace(GOOD, "valid_from = 2026-01-01T00:00:00Z", "valid_from = 2026-01-01T00:00:00"),
        ("valid_from = 2026-01-01T00:00:00", 1),
        "mimecast-aware",
        "licence[0].valid_from",
        "local datetime",
    ),
    (
        "date where an instant belongs",
        replace(GOOD, "info_verified_at = 2026-09-01T09:00:00Z", "info_verified_at = 2026-09-01"),
        ("info_verified_at =", 1),
        "okta-directory",
        "info_verified_at",
        "must be an offset datetime",
    ),
    (
        "secret as credential",
        replace(GOOD, 'credential = "okta-api-token"', f'credential = "{CANARY}"'),
        ("credential =", 1),
        "okta-directory",
        "credential",
        "looks like a secret value",
    ),
    (
        "secret in auth",
        replace(GOOD, 'client_secret = "mc-aware-client-secret"', f'client_secret = "{CANARY}"'),
        ("client_secret =", 1),
        "mimecast-aware",
        "auth.client_secret",
        "looks like a secret value",
    ),
    (
        "secret in enablement",
        replace(GOOD, 'tenant = "example"', f'tenant = "{CANARY}"'),
        ("tenant =", 1),
        "okta-directory",
        "enablement.tenant",
        "looks like a secret",
    ),
    (
        "plain http to a remote host",
        replace(GOOD, "https://example.okta.com/api/v1", "http://example.okta.com/api/v1"),
        ("base_url =", 1),
        "okta-directory",
        "base_url",
        "must use https",
    ),
    (
        "plain http token url",
        replace(
            GOOD,
            'token_url = "https://api.services.mimecast.com/oauth/token"',
            'token_url = "http://api.services.mimecast.com/oauth/token"',
        ),
        ("token_url =", 1),
        "mimecast-aware",
        "auth.token_url",
        "must use https",
    ),
    (
        "unknown auth parameter",
        replace(
            GOOD,
            'client_id = "mc-aware-client-id"',
            'client_id = "mc-aware-client-id"\nrealm = "x"',
        ),
        ("realm =", 1),
        "mimecast-aware",
        "auth.realm",
        "is not a parameter of scheme",
    ),
    (
        "bad enum",
        replace(GOOD, 'service = "aware"', 'service = "awareness"'),
        ('service = "awareness"', 1),
        "mimecast-aware",
        "service",
        "must be one of: engage, aware, incydr",
    ),
    (
        "enablement not a table",
        replace(
            GOOD,
            'owner = "security-awareness@example.com"',
            'owner = "security-awareness@example.com"\nenablement = "none"',
        ),
        ('enablement = "none"', 1),
        "mimecast-aware",
        "enablement",
        "must be a table",
    ),
    (
        "secret in the base_url query",
        replace(
            GOOD,
            'base_url = "https://example.okta.com/api/v1"',
            f'base_url = "https://example.okta.com/api/v1?apiToken={CANARY}"',
        ),
        ("base_url =", 1),
        "okta-directory",
        "base_url",
        "query parameter 'apiToken'",
    ),
    (
        "secret in the token_url query",
        replace(
            GOOD,
            'token_url = "https://api.services.mimecast.com/oauth/token"',
            f'token_url = "https://api.services.mimecast.com/oauth/token?client_secret={CANARY}"',
        ),
        ("token_url =", 1),
        "mimecast-aware",
        "auth.token_url",
        "query parameter 'client_secret'",
    ),
    (
        "fragment in the base_url",
        replace(
            GOOD,
            'base_url = "https://example.okta.com/api/v1"',
            f'base_url = "https://example.okta.com/api/v1#{CANARY}"',
        ),
        ("base_url =", 1),
        "okta-directory",
        "base_url",
        "must not have a fragment",
    ),
    (
        "instant outside the UTC range",
        replace(GOOD, "valid_until = 2026-12-31", "valid_until = 9999-12-31T23:00:00-05:00"),
        ("valid_until =", 1),
        "okta-directory",
        "licence[0].valid_until",
        "is out of range",
    ),
    (
        "licence not an array of tables",
        replace(
            GOOD.split('[[integration.licence]]\ngrantor = "Mimecast"')[0],
            'owner = "security-awareness@example.com"',
            'owner = "security-awareness@example.com"\nlicence = "none"',
        ),
        ('licence = "none"', 1),
        "mimecast-aware",
        "licence",
        "must be an array of tables",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "ident", "field", "problem"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input_names_file_line_integration_and_field(
    tmp_path: Path,
    text: str,
    where: tuple[str, int],
    ident: str | None,
    field: str,
    problem: str,
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    error = info.value
    line = line_of(text, *where)
    assert (error.path, error.line, error.integration_id, error.field) == (
        str(path),
        line,
        ident,
        field,
    )
    message = str(error)
    assert message.startswith(f"{path}:{line}")
    assert f"field {field!r}" in message
    if ident is not None:
        assert f"integration {ident!r}" in message
    assert problem in message
    assert CANARY not in message
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('[[integration]]\nid = "a"\nname = "unterminated\n', 3, "invalid TOML"),
        ('[[integration]]\nid = "a"\nid = "b"\n', 3, "invalid TOML"),
        ("[[integration]]\nid = \n", 2, "invalid TOML"),
        ('[[integrations]]\nid = "a"\n', None, "unknown top-level key 'integrations'"),
        ('integration = "x"\n', None, "must be an array of tables"),
    ],
)
def test_toml_syntax_and_shape_errors_give_the_line(
    tmp_path: Path, text: str, line: int | None, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError, match=problem) as info:
        load_inventory(path)
    assert info.value.line == line
    assert info.value.path == str(path)


def test_unreadable_files_are_inventory_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read the file") as info:
        load_inventory(tmp_path / "missing.toml")
    assert info.value.path == str(tmp_path / "missing.toml")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "café"'.encode("latin-1"))
    with pytest.raises(InventoryError, match="not UTF-8"):
        load_inventory(latin1)


def test_a_last_day_of_9999_loads_and_round_trips(tmp_path: Path) -> None:
    """``valid_until = 9999-12-31`` (users' "no end") loads as date.max and round-trips."""
    text = replace(GOOD, "valid_until = 2026-12-31", "valid_until = 9999-12-31")
    okta, _ = load_inventory(write(tmp_path, text))
    assert okta.licences[0].valid_until == date.max
    assert okta.licences[0].ends_at == datetime.max.replace(tzinfo=UTC)
    dump_inventory([okta], tmp_path / "again.toml")
    assert load_inventory(tmp_path / "again.toml") == [okta]


def test_a_secret_pasted_as_a_key_is_not_quoted(tmp_path: Path) -> None:
    text = replace(GOOD, 'credential = "okta-api-token"', f'{CANARY} = "x"')
    with pytest.raises(InventoryError, match="unknown key") as info:
        load_inventory(write(tmp_path, text))
    assert CANARY not in str(info.value)


# ------------------------------------------------------------------ sync from a file


def test_sync_from_the_example_then_from_an_edited_file(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 12, tzinfo=UTC))
    items = load_inventory(EXAMPLE)
    with Registry.open(tmp_path / "registry.db", clock=clock) as registry:
        first = registry.sync(items, actor="ci")
        assert first.added == tuple(i.id for i in items)
        assert registry.integrations(with_history=False) == sorted(
            (i.declared() for i in items), key=lambda i: i.id
        )
        renewed = Licence(
            "Mimecast",
            "Human Factors: Aware service subscription",
            date(2026, 12, 16),
            date(2027, 12, 15),
        )
        edited = [
            attrs.evolve(i, licences=(*i.licences, renewed)) if i.id == "mimecast-aware" else i
            for i in items
            if i.id != "splunk-siem"
        ]
        path = tmp_path / "edited.toml"
        dump_inventory(edited, path)
        second = registry.sync(load_inventory(path), actor="ci")
        assert second.added == ()
        assert second.updated == ("mimecast-aware",)
        assert second.undeclared == ("splunk-siem",)
        assert len(second.unchanged) == len(items) - 2


def test_nothing_is_written_from_a_file_with_any_error(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + '\n[[integration]]\nid = "broken"\n'
    path = write(tmp_path, text)
    with Registry.open(tmp_path / "registry.db") as registry:
        with pytest.raises(InventoryError, match=r"'broken'.*'name': is required"):
            registry.sync(load_inventory(path), actor="ci")
        assert registry.integrations() == []


@pytest.mark.parametrize("path", [None, 42, ""])
def test_a_path_that_is_not_a_path_is_an_inventory_error(path: object) -> None:
    """load_inventory and dump_inventory refuse a non-path with an InventoryError on ``path``."""
    with pytest.raises(InventoryError, match=r"^field 'path': must") as info:
        load_inventory(path)  # type: ignore[arg-type]
    assert info.value.field == "path"
    with pytest.raises(InventoryError, match=r"^field 'path': must") as info:
        dump_inventory([], path)  # type: ignore[arg-type]


# ---------------------------------------------------------------- input that must not hang


def test_a_fifo_a_device_or_a_directory_is_refused_without_reading(tmp_path: Path) -> None:
    """A named pipe would block a plain open(); /dev/zero would fill memory."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    for path, kind in ((fifo, "a named pipe"), (zero, "a character device"), (folder, "a dir")):
        with pytest.raises(InventoryError, match=f"not a regular file: it is {kind}") as info:
            load_inventory(path)
        assert info.value.path == str(path)


def test_an_inventory_over_the_size_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hf_api_governance._registry import inventory

    monkeypatch.setattr(inventory, "MAX_INVENTORY_SIZE", 1000)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1000 + "\n", encoding="utf-8")
    with pytest.raises(InventoryError, match="larger than the 1000 bytes limit"):
        load_inventory(big)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
        ("9" * 5000, "a number has too many digits"),
    ],
)
def test_tomllib_recursion_and_big_integer_errors_are_inventory_errors(
    tmp_path: Path, value: str, problem: str
) -> None:
    path = tmp_path / "evil.toml"
    path.write_text(f'[[integration]]\nid = "x"\nname = {value}\n', encoding="utf-8")
    with pytest.raises(InventoryError, match=problem) as info:
        load_inventory(path)
    assert info.value.path == str(path)


def test_an_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """``$`` with re.match would accept "okta-directory\\n": ids are matched whole."""
    path = tmp_path / "nl.toml"
    path.write_text(GOOD.replace('id = "okta-directory"', 'id = "okta-directory\\n"'), "utf-8")
    with pytest.raises(InventoryError, match="id") as info:
        load_inventory(path)
    assert info.value.field == "id"
