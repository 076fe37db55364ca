"""The two providers: INSEE API Sirene 3.11 (key) and API Recherche d'entreprises (keyless).

Each fetches one entry and reads it into a ``RegisterEntry``; the rules of what a
record receives are in ``mapping``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import requests

from httpkit.error_codes import field_error
from records_svc.domain.numbers import CompanyNumber
from records_svc.sirene.errors import (
    InvalidCompanyNumberError,
    ProviderKeyRejectedError,
    ProviderUnavailableError,
    UnknownCompanyError,
)
from records_svc.sirene.http import ProviderClient
from records_svc.sirene.mapping import Lookup, RegisterEntry, build_lookup, first

log = logging.getLogger(__name__)

INSEE_KEY_HEADER = "X-INSEE-Api-Key-Integration"
_INSEE_ADDRESS = {
    "number": "numeroVoieEtablissement",
    "repetition": "indiceRepetitionEtablissement",
    "street_type": "typeVoieEtablissement",
    "street": "libelleVoieEtablissement",
    "complement": "complementAdresseEtablissement",
    "postal_code": "codePostalEtablissement",
    "city": "libelleCommuneEtablissement",
    "special_distribution": "distributionSpecialeEtablissement",
    "cedex_code": "codeCedexEtablissement",
    "cedex_label": "libelleCedexEtablissement",
    "foreign_city": "libelleCommuneEtrangerEtablissement",
    "foreign_country": "libellePaysEtrangerEtablissement",
}
_RECHERCHE_ADDRESS = {
    "number": "numero_voie",
    "repetition": "indice_repetition",
    "street_type": "type_voie",
    "street": "libelle_voie",
    "complement": "complement_adresse",
    "postal_code": "code_postal",
    "city": "libelle_commune",
    "special_distribution": "distribution_speciale",
    "cedex_code": "cedex",
    "cedex_label": "libelle_cedex",
    "foreign_city": "libelle_commune_etranger",
    "foreign_country": "libelle_pays_etranger",
}


class Provider(Protocol):
    name: str

    def fetch(self, number: CompanyNumber) -> Lookup: ...


def _current(periods: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The current period: the one without an end date (INSEE lists it first)."""
    periods = periods or [{}]
    return next((p for p in periods if p.get("dateFin") is None), periods[0])


def _json(response: requests.Response, provider: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderUnavailableError(
            f"The SIRENE provider ({provider}) answered something that is not JSON."
        )
    return body


def _key_rejected(provider: str, status: int) -> ProviderKeyRejectedError:
    # For operations: the key is never logged, only that it was refused.
    log.error("SIRENE provider %s refused the API key (HTTP %s)", provider, status)
    return ProviderKeyRejectedError(
        f"The SIRENE provider ({provider}) refused Carnet's access key; "
        "an administrator has to check the configuration."
    )


def insee_siret_entry(body: dict[str, Any]) -> RegisterEntry:
    e = body["etablissement"]
    u = e.get("uniteLegale") or {}
    period = _current(e.get("periodesEtablissement"))
    address = e.get("adresseEtablissement") or {}
    closed = period.get("etatAdministratifEtablissement") == "F"
    return RegisterEntry(
        siren=e.get("siren") or e["siret"][:9],
        siret=e.get("siret"),
        legal_name=u.get("denominationUniteLegale"),
        sigle=u.get("sigleUniteLegale"),
        unit_usual_names=[u.get(f"denominationUsuelle{i}UniteLegale") for i in (1, 2, 3)],
        establishment_names=[
            *(period.get(f"enseigne{i}Etablissement") for i in (1, 2, 3)),
            period.get("denominationUsuelleEtablissement"),
        ],
        first_name=first(u.get("prenomUsuelUniteLegale"), u.get("prenom1UniteLegale")),
        last_name=first(u.get("nomUsageUniteLegale"), u.get("nomUniteLegale")),
        ape=period.get("activitePrincipaleEtablissement"),
        ape_nomenclature=period.get("nomenclatureActivitePrincipaleEtablissement"),
        address={key: address.get(name) for key, name in _INSEE_ADDRESS.items()},
        unit_state=u.get("etatAdministratifUniteLegale"),
        establishment_state=period.get("etatAdministratifEtablissement"),
        establishment_closed_since=period.get("dateDebut") if closed else None,
        legal_category=u.get("categorieJuridiqueUniteLegale"),
        head_office=e.get("etablissementSiege"),
        diffusion=e.get("statutDiffusionEtablissement"),
    )


def insee_siren_entry(body: dict[str, Any]) -> RegisterEntry:
    u = body["uniteLegale"]
    period = _current(u.get("periodesUniteLegale"))
    ceased = period.get("etatAdministratifUniteLegale") == "C"
    return RegisterEntry(
        siren=u["siren"],
        legal_name=period.get("denominationUniteLegale"),
        sigle=u.get("sigleUniteLegale"),
        unit_usual_names=[period.get(f"denominationUsuelle{i}UniteLegale") for i in (1, 2, 3)],
        first_name=first(u.get("prenomUsuelUniteLegale"), u.get("prenom1UniteLegale")),
        last_name=first(period.get("nomUsageUniteLegale"), period.get("nomUniteLegale")),
        ape=period.get("activitePrincipaleUniteLegale"),
        ape_nomenclature=period.get("nomenclatureActivitePrincipaleUniteLegale"),
        unit_state=period.get("etatAdministratifUniteLegale"),
        unit_ceased_since=period.get("dateDebut") if ceased else None,
        legal_category=period.get("categorieJuridiqueUniteLegale"),
        diffusion=u.get("statutDiffusionUniteLegale"),
    )


class InseeProvider:
    """INSEE API Sirene 3.11: ``GET /siret/{siret}``, ``GET /siren/{siren}``, key in a header."""

    name = "insee"

    def __init__(self, client: ProviderClient, base_url: str, key: str | None) -> None:
        self.client, self.base_url, self.key = client, base_url.rstrip("/"), key

    def fetch(self, number: CompanyNumber) -> Lookup:
        if not self.key:
            raise _key_rejected(self.name, 401)
        response = self.client.get(
            f"{self.base_url}/{number.kind}/{number.value}",
            headers={INSEE_KEY_HEADER: self.key, "Accept": "application/json"},
        )
        status = response.status_code
        if status in (401, 403):
            raise _key_rejected(self.name, status)
        if status == 404:
            raise UnknownCompanyError(f"The SIRENE register has no {number.kind} {number.value}.")
        if status == 400:
            message = _json(response, self.name).get("header", {}).get("message") or ""
            raise InvalidCompanyNumberError(
                f"The SIRENE register refuses {number.value}: {message}".rstrip(": "),
                errors=[
                    field_error(
                        "number", "refused_by_register", message or "refused by the register"
                    )
                ],
            )
        if status != 200:
            raise ProviderUnavailableError(
                f"The SIRENE provider ({self.name}) answered HTTP {status}; try again later."
            )
        body = _json(response, self.name)
        key = "etablissement" if number.kind == "siret" else "uniteLegale"
        if not isinstance(body.get(key), dict):
            raise ProviderUnavailableError(f"The SIRENE provider ({self.name}) sent no {key}.")
        entry = insee_siret_entry(body) if number.kind == "siret" else insee_siren_entry(body)
        return build_lookup(number, entry)


def _street_from_whole(whole: str | None, postal_code: str | None, city: str | None) -> str | None:
    """``15 AVENUE DES ECOLES 06110 LE CANNET`` → ``15 AVENUE DES ECOLES``."""
    if not whole:
        return None
    tail = " ".join(p for p in (postal_code, city) if p)
    if tail and whole.endswith(tail):
        whole = whole[: -len(tail)]
    return re.sub(r"\s+", " ", whole).strip() or None


def recherche_entry(result: dict[str, Any], number: CompanyNumber) -> RegisterEntry:
    siege = result.get("siege") or {}
    establishment: dict[str, Any] = {}
    if number.kind == "siret":
        matching = result.get("matching_etablissements") or []
        establishment = next((m for m in matching if m.get("siret") == number.value), {})
        if siege.get("siret") == number.value:
            establishment = {**establishment, **siege}
        if not establishment:
            raise UnknownCompanyError(f"The SIRENE register has no siret {number.value}.")
    has_parts = any(k in establishment for k in ("libelle_voie", "numero_voie"))
    person = next(
        (
            d
            for d in result.get("dirigeants") or []
            if d.get("type_dirigeant") == "personne physique"
        ),
        None,
    )
    is_person = not result.get("nom_raison_sociale")
    closed = establishment.get("etat_administratif") == "F"
    ceased = result.get("etat_administratif") == "C"
    return RegisterEntry(
        siren=result["siren"],
        siret=establishment.get("siret"),
        legal_name=result.get("nom_raison_sociale")
        or (None if person else result.get("nom_complet")),
        sigle=result.get("sigle"),
        establishment_names=[
            *(establishment.get("liste_enseignes") or []),
            establishment.get("nom_commercial"),
        ],
        first_name=(person.get("prenoms") or "").split(" ")[0] if person and is_person else None,
        last_name=person.get("nom") if person and is_person else None,
        ape=(establishment if number.kind == "siret" else result).get("activite_principale"),
        address=(
            {key: establishment.get(name) for key, name in _RECHERCHE_ADDRESS.items()}
            if has_parts
            else {
                "postal_code": establishment.get("code_postal"),
                "city": establishment.get("libelle_commune"),
            }
        ),
        street_line=None
        if has_parts
        else _street_from_whole(
            establishment.get("adresse"),
            establishment.get("code_postal"),
            establishment.get("libelle_commune"),
        ),
        unit_state=result.get("etat_administratif"),
        unit_ceased_since=result.get("date_fermeture") if ceased else None,
        establishment_state=establishment.get("etat_administratif"),
        establishment_closed_since=establishment.get("date_fermeture") if closed else None,
        legal_category=result.get("nature_juridique"),
        head_office=establishment.get("est_siege") if number.kind == "siret" else None,
        diffusion=result.get("statut_diffusion"),
    )


class RechercheEntreprisesProvider:
    """API Recherche d'entreprises: ``GET /search?q=<9 or 14 digits>`` is a direct look-up."""

    name = "recherche-entreprises"

    def __init__(self, client: ProviderClient, base_url: str, user_agent: str) -> None:
        self.client, self.base_url, self.user_agent = client, base_url.rstrip("/"), user_agent

    def fetch(self, number: CompanyNumber) -> Lookup:
        response = self.client.get(
            f"{self.base_url}/search",
            params={"q": number.value, "page": "1", "per_page": "1"},
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
        )
        status = response.status_code
        if status in (401, 403):
            raise _key_rejected(self.name, status)
        if status == 404:
            raise UnknownCompanyError(f"The SIRENE register has no {number.kind} {number.value}.")
        if status == 400:
            message = str(_json(response, self.name).get("erreur") or "")
            raise InvalidCompanyNumberError(
                f"The SIRENE register refuses {number.value}: {message}".rstrip(": "),
                errors=[
                    field_error(
                        "number", "refused_by_register", message or "refused by the register"
                    )
                ],
            )
        if status != 200:
            raise ProviderUnavailableError(
                f"The SIRENE provider ({self.name}) answered HTTP {status}; try again later."
            )
        results = _json(response, self.name).get("results") or []
        result = next((r for r in results if r.get("siren") == number.siren), None)
        if result is None:
            raise UnknownCompanyError(f"The SIRENE register has no {number.kind} {number.value}.")
        return build_lookup(number, recherche_entry(result, number))
