"""One declaration per standard field of accounts and contacts: everything else derives
from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from marshmallow import Schema

from records_svc.api import duplicate_schemas, schemas
from records_svc.api.sirene import FilledProspectSchema
from records_svc.domain import (
    access,
    accounts,
    contacts,
    field_declarations,
    fields,
    merge,
    snapshots,
)
from records_svc.domain.models import Account, Contact
from search_svc import documents

ROOT = Path(__file__).resolve().parents[2]
DECLARED = field_declarations.account_fields()


def test_each_declared_field_reaches_every_place_that_shows_or_takes_it() -> None:
    read, write = schemas.AccountSchema().fields, schemas.AccountWriteSchema().fields
    address = schemas.AddressSchema().fields
    library = {f.key: f for f in fields.STANDARD_FIELDS["prospect"]}
    assert fields.STANDARD_FIELDS["client"] == fields.STANDARD_FIELDS["prospect"]
    for declared in DECLARED:
        assert declared.api_key in read and declared.api_key in write, declared.key
        if declared.address_part:
            assert declared.address_part in address, declared.key
        assert library[declared.key].label == declared.label
        assert accounts.COLUMNS[declared.key] == declared.column
        column = Account.__table__.c[declared.column]
        assert column.type.length == declared.column_length, declared.key
        assert column.nullable is not declared.required, declared.key
        if declared.erp_owned:
            assert declared.api_key in access.ERP_OWNED_FIELDS
    assert set(library) == {f.key for f in DECLARED}
    # the library keeps the form's order, the API the declarations'
    assert [f.key for f in fields.STANDARD_FIELDS["prospect"]] == [
        f.key for f in field_declarations.library_order()
    ]


def test_each_declared_contact_field_reaches_every_place_that_shows_or_takes_it() -> None:
    read, write = schemas.ContactSchema().fields, schemas.ContactWriteSchema().fields
    probe = duplicate_schemas.ContactProbeSchema().fields
    library = {f.key: f for f in fields.STANDARD_FIELDS["contact"]}
    for declared in field_declarations.contact_fields():
        assert declared.key in read and declared.key in write and declared.key in probe
        assert library[declared.key].label == declared.label
        assert declared.key in contacts.COLUMNS and declared.key in merge.CONTACT_FIELDS
        column = Contact.__table__.c[declared.column]
        assert column.type.length == declared.column_length, declared.key
        assert column.nullable is not declared.required, declared.key
    assert set(library) == {f.key for f in field_declarations.contact_fields()}
    # what search matches of a contact: its label, its e-mail, and its searchable fields
    read_for_search = {c.key for c in snapshots.CONTACT_COLUMNS}
    assert {"first_name", "last_name", "email"} <= read_for_search
    assert set(field_declarations.CONTACTS.searchable("words")) <= read_for_search


def test_the_search_snapshot_reads_the_searchable_fields_and_the_document_matches_them() -> None:
    read = {c.key for c in snapshots.ACCOUNT_COLUMNS}
    words, numbers = field_declarations.searchable("words"), field_declarations.searchable("number")
    assert set(words) | set(numbers) <= read
    # search_svc's own defaults (for callers that pass none) are the declared ones
    assert words == documents.ACCOUNT_WORDS
    assert numbers == documents.ACCOUNT_NUMBERS


@pytest.mark.parametrize(
    "schema",
    [
        schemas.AccountSchema(),
        schemas.AddressSchema(),
        schemas.AccountLinksSchema(),
        schemas.ContactSchema(),
        schemas.AccountRefSchema(),
        FilledProspectSchema(),
    ],
    ids=lambda s: type(s).__name__,
)
def test_a_response_schema_never_drops_a_key_silently(schema: Schema) -> None:
    with pytest.raises(ValueError, match="does not declare surprise"):
        schema.dump({"surprise": 1})


def test_a_field_declared_after_the_model_is_built_is_refused() -> None:
    late = field_declarations.AccountField(
        "late", "late", "Tardif", "text", field_declarations.IDENTIFICATION, 1
    )
    with pytest.raises(RuntimeError, match="before the records model is imported"):
        field_declarations.declare(late)
    assert "late" not in field_declarations.by_key()


def test_a_declared_field_flows_through_api_form_editions_and_search(tmp_path: Path) -> None:
    """Declared in a test (tests/records/extra_field.py), its column added by the test."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.records.extra_field", str(tmp_path / "var")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "extra field: ok" in done.stdout
