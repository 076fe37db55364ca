"""What a look-up fills, from each provider's answers (the fake provider over HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from records_svc.sirene.errors import UnknownCompanyError
from records_svc.sirene.mapping import street_type_word
from records_svc.sirene.service import SireneService, build_service
from tests.sirene import fake_provider as fp
from tests.sirene.conftest import sirene_settings


def service(tmp_path: Path, fake: fp.FakeProvider, provider: str = "insee") -> SireneService:
    return build_service(sirene_settings(tmp_path, fake, provider))


def test_insee_siret_of_a_legal_person(tmp_path: Path, fake: fp.FakeProvider) -> None:
    result = service(tmp_path, fake).lookup("130 025 265 00013")
    assert result.number_kind == "siret"
    assert result.fields == {
        "name": "DIRECTION INTERMINISTERIELLE DU NUMERIQUE",
        "ape_code": "84.11Z",
        "address": {
            "line1": "20 AVENUE DE SEGUR",
            "line2": None,
            "postal_code": "75007",
            "city": "PARIS 7",
            "country": None,
        },
        "siren": "130025265",
        "siret": "13002526500013",
    }
    assert result.company["legal_name"] == "DIRECTION INTERMINISTERIELLE DU NUMERIQUE"
    assert result.company["state"] == "active"
    assert result.company["establishment_state"] == "open"
    assert result.company["legal_category"] == "7120"
    assert result.company["head_office"] is True
    assert result.warnings == []


def test_insee_siren_fills_name_and_ape_but_no_address(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake).lookup("130025265")
    assert result.number_kind == "siren"
    assert result.fields == {
        "name": "DIRECTION INTERMINISTERIELLE DU NUMERIQUE",
        "ape_code": "84.11Z",
        "siren": "130025265",
    }
    assert result.company["sigle"] == "DINUM"


@pytest.mark.parametrize(
    "body",
    [
        "insee_siret_90412387400011_sole_trader_statut_P_2023.json",
        "insee_siret_90412387400011_sole_trader_statut_P_3.11.json",
    ],
)
def test_a_sole_trader_is_named_first_name_then_last_name_and_street_codes_become_words(
    tmp_path: Path, fake: fp.FakeProvider, body: str
) -> None:
    fake.set(f"/insee/siret/{fp.SOLE_TRADER_SIRET}", fp.Reply(body=fp.fixture(body)))
    result = service(tmp_path, fake).lookup(fp.SOLE_TRADER_SIRET)
    assert result.fields["name"] == "Héloïse LEFÈVRE-MARTIN"
    # "AV" (2023) and "AVENUE" (3.11) give the same line
    assert result.fields["address"]["line1"] == "12 AVENUE DES TILLEULS"
    assert result.fields["address"]["postal_code"] == "06220"
    assert result.fields["ape_code"] == "62.02A"
    assert result.company["legal_category"] == "1000"


def test_masked_values_are_never_written_and_each_is_warned_about(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake).lookup(fp.MASKED_SIRET)
    assert "name" not in result.fields
    assert "line1" not in result.fields["address"]
    assert result.fields["address"]["city"] == "VALLAURIS"  # the commune stays
    assert "[ND]" not in repr(result.fields) and "[ND]" not in repr(result.company)
    assert {(w["field"], w["code"]) for w in result.warnings} == {
        ("name", "masked"),
        ("address.line1", "masked"),
    }


def test_a_closed_establishment_is_filled_but_warned_about(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake).lookup(fp.CLOSED_SIRET)
    assert result.fields["name"] == "CAFE DU PORT"  # the establishment's sign first
    assert result.fields["ape_code"] == "56.30Z"  # the establishment's own activity
    assert result.fields["address"] == {
        "line1": "20 BIS BOULEVARD DE SEGUR",
        "line2": "BATIMENT C, BP 42",
        "postal_code": "75700",
        "city": "PARIS CEDEX 07",
        "country": None,
    }
    assert result.company["establishment_state"] == "closed"
    assert result.company["head_office"] is False
    assert [w["message"] for w in result.warnings] == ["Établissement fermé depuis le 30/06/2021."]


def test_a_foreign_address_keeps_its_city_and_country(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake).lookup(fp.FOREIGN_SIRET)
    assert result.fields["name"] == "DINUM EUROPE"  # the unit's usual name before its legal name
    assert result.fields["address"] == {
        "line1": "5 RUE DE LA LOI",
        "line2": None,
        "postal_code": None,
        "city": "BRUXELLES",
        "country": "BELGIQUE",
    }


def test_a_ceased_unit_is_filled_but_warned_about(tmp_path: Path, fake: fp.FakeProvider) -> None:
    result = service(tmp_path, fake).lookup(fp.CEASED_SIREN)
    assert result.fields["name"] == "LE NUMERIQUE DE L'ETAT"
    assert result.company["state"] == "ceased"
    assert [w["code"] for w in result.warnings] == ["ceased"]
    assert "31/12/2022" in result.warnings[0]["message"]


def test_an_ape_code_outside_naf_rev_2_is_not_written(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake).lookup(fp.OLD_APE_SIREN)
    assert "ape_code" not in result.fields
    assert [(w["field"], w["code"]) for w in result.warnings] == [("ape_code", "nomenclature")]


def test_recherche_entreprises_head_office(tmp_path: Path, fake: fp.FakeProvider) -> None:
    result = service(tmp_path, fake, "recherche-entreprises").lookup(fp.CARREFOUR_SIRET)
    assert result.fields == {
        "name": "CARREFOUR",
        "ape_code": "68.32A",
        "address": {
            "line1": "15 AVENUE DES ECOLES",
            "line2": None,
            "postal_code": "06110",
            "city": "LE CANNET",
            "country": None,
        },
        "siren": "510761505",
        "siret": "51076150500013",
    }
    assert result.company["legal_category"] == "9900"
    seen = fake.seen[-1]
    assert "Carnet" in seen.headers["user-agent"]  # a descriptive User-Agent, no key


def test_recherche_entreprises_secondary_establishment(
    tmp_path: Path, fake: fp.FakeProvider
) -> None:
    result = service(tmp_path, fake, "recherche-entreprises").lookup(fp.RECHERCHE_BRANCH_SIRET)
    assert result.fields["name"] == "CARREFOUR CITY"
    assert result.fields["ape_code"] == "47.11B"
    assert result.fields["address"]["line1"] == "BATIMENT A 3 RUE DU PORT"
    assert result.fields["address"]["city"] == "MARSEILLE"
    assert result.company["head_office"] is False


def test_recherche_entreprises_siren(tmp_path: Path, fake: fp.FakeProvider) -> None:
    result = service(tmp_path, fake, "recherche-entreprises").lookup(fp.CARREFOUR_SIREN)
    assert result.fields == {"name": "CARREFOUR", "ape_code": "68.32A", "siren": "510761505"}


def test_recherche_entreprises_masked_and_closed(tmp_path: Path, fake: fp.FakeProvider) -> None:
    svc = service(tmp_path, fake, "recherche-entreprises")
    masked = svc.lookup(fp.RECHERCHE_MASKED_SIRET)
    assert "name" not in masked.fields and "line1" not in masked.fields["address"]
    assert "[NON-DIFFUSIBLE]" not in repr(masked.fields)
    assert {w["field"] for w in masked.warnings} == {"name", "address.line1"}
    closed = svc.lookup(fp.RECHERCHE_CLOSED_SIRET)
    assert closed.warnings[0]["message"] == "Établissement fermé depuis le 31/01/2019."


def test_an_unknown_number_is_404_for_both_providers(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    with pytest.raises(UnknownCompanyError) as caught:
        service(tmp_path, fake, provider).lookup(fp.siret_for("99999990"))
    assert caught.value.status == 404


def test_a_repeated_look_up_makes_no_second_call(
    tmp_path: Path, fake: fp.FakeProvider, provider: str
) -> None:
    svc = service(tmp_path, fake, provider)
    number = fp.DINUM_SIRET if provider == "insee" else fp.CARREFOUR_SIRET
    first = svc.lookup(number)
    assert svc.lookup(number) == first
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    ("value", "word"),
    [("AV", "Avenue"), ("bd", "Boulevard"), ("ZAC", "Zone d'aménagement concerté"),
     ("AVENUE", "AVENUE"), ("ALLEE", "ALLEE"), ("XYZ", "XYZ")],
)  # fmt: skip
def test_street_type_codes_become_words_and_words_are_kept(value: str, word: str) -> None:
    assert street_type_word(value) == word
