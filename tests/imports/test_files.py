"""Reading import files and guessing their mapping: plain functions, no database."""

from __future__ import annotations

import pytest

from records_svc.domain import import_mapping as mapping
from records_svc.domain.import_files import UnreadableFileError, read_sheet
from records_svc.domain.import_mapping import Target

PROSPECT_TARGETS = {
    key: Target(key, label, "text")
    for key, label in (
        ("name", "Nom d'appel"),
        ("legal_name", "Raison sociale"),
        ("address.postal_code", "Code postal"),
        ("address.city", "Ville"),
        ("phone", "Téléphone"),
        ("email", "E-mail"),
        ("website", "Site web"),
        ("siret", "SIRET"),
        ("custom.secteur", "Secteur d'activité"),
        ("id", "Identifiant"),
        ("external_ref", "Référence ERP"),
    )
}


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_any_delimiter_with_quoted_cells(delimiter: str) -> None:
    other = "," if delimiter != "," else ";"
    text = (
        f'Nom{delimiter}Adresse\r\n"Martin{other} fils"{delimiter}"1{delimiter} rue ""Haute"""\r\n'
    )
    sheet = read_sheet(text.encode())
    assert sheet.columns == ["Nom", "Adresse"]
    assert list(sheet.rows()) == [(2, [f"Martin{other} fils", f'1{delimiter} rue "Haute"'])]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_french_excel_writes(encoding: str) -> None:
    sheet = read_sheet("Société;Tél.\r\nÉpicerie Zoé;01 02\r\n".encode(encoding))
    assert sheet.columns == ["Société", "Tél."]
    assert list(sheet.rows()) == [(2, ["Épicerie Zoé", "01 02"])]


def test_a_byte_windows_1252_leaves_undefined_is_still_read() -> None:
    sheet = read_sheet(b"Nom\r\nA\x81B\r\n")
    assert list(sheet.rows()) == [(2, ["A\x81B"])]


def test_short_rows_are_padded_and_empty_rows_skipped() -> None:
    sheet = read_sheet(b"Nom;Ville;CP\r\nMartin\r\n;;\r\n\r\nDurand;Pau;64000;extra\r\n")
    assert list(sheet.rows()) == [(2, ["Martin", None, None]), (5, ["Durand", "Pau", "64000"])]
    assert sheet.count() == 2


def test_headers_must_name_distinct_columns() -> None:
    with pytest.raises(UnreadableFileError, match="two columns are named 'Nom'"):
        read_sheet(b"Nom;Nom\r\nA;B\r\n")
    with pytest.raises(UnreadableFileError, match="empty"):
        read_sheet(b"\r\n")
    assert read_sheet(b"Nom;;Ville;\r\n").columns == ["Nom", "Colonne 2", "Ville"]


def test_the_mapping_is_guessed_from_keys_labels_and_common_headers() -> None:
    columns = ["RAISON SOCIALE", "Nom", "CP", "Ville ", "TÉL.", "Courriel", "Site internet",
               "N° SIRET", "Secteur d’activité", "secteur", "id", "Code client", "Notes"]  # fmt: skip
    assert mapping.guess(columns, "prospects", PROSPECT_TARGETS) == {
        "RAISON SOCIALE": "legal_name",
        "Nom": "name",
        "CP": "address.postal_code",
        "Ville ": "address.city",
        "TÉL.": "phone",
        "Courriel": "email",
        "Site internet": "website",
        "N° SIRET": "siret",
        "Secteur d’activité": "custom.secteur",  # the first column wins a field
        "id": "id",
        "Code client": "external_ref",
    }


@pytest.mark.parametrize(
    ("cell", "kind", "value"),
    [
        ("1 250,5", "number", 1250.5),
        ("12", "number", 12),
        ("douze", "number", "douze"),
        ("Oui", "boolean", True),
        ("x", "boolean", True),
        ("non", "boolean", False),
        ("peut-être", "boolean", "peut-être"),
        ("03/04/2026", "date", "2026-04-03"),
        ("31/02/2026", "date", "31/02/2026"),
        ("2026-04-03T00:00:00", "date", "2026-04-03"),
        (33000, "text", "33000"),
        (True, "text", "oui"),
    ],
)
def test_cells_are_converted_to_what_the_field_takes(
    cell: object, kind: str, value: object
) -> None:
    assert mapping.convert(cell, kind) == value  # type: ignore[arg-type]
