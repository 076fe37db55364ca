"""What a SIRENE entry puts in a record: the product's rules, once for both providers.

Each provider reads its own JSON into a ``RegisterEntry`` (the register's facts in
its own words); ``build_lookup`` applies the rules: which name is the trade name
(*nom d'appel*), which APE code, the address lines, and what is never written
(masked values, ``[ND]`` / ``[NON-DIFFUSIBLE]``), with a warning for each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from records_svc.domain.fields import clean_ape
from records_svc.domain.numbers import CompanyNumber

#: every code of a look-up's ``warnings[]`` (their messages are in French already);
#: ``cleared`` is added by records_svc.domain.sirene when the look-up is applied
WARNING_CODES = frozenset(
    {"masked", "missing", "nomenclature", "replaced", "closed", "ceased", "cleared"}
)
MASKED_VALUES = frozenset({"[ND]", "[NON-DIFFUSIBLE]"})

#: INSEE street type codes (typeVoie) → the word; other values (full words since 2024) are kept.
STREET_TYPES = {
    "AIRE": "Aire", "ALL": "Allée", "AV": "Avenue", "BASE": "Base", "BD": "Boulevard",
    "CAMI": "Cami", "CAR": "Carrefour", "CHE": "Chemin", "CHEM": "Cheminement",
    "CHS": "Chaussée", "CITE": "Cité", "CLOS": "Clos", "COIN": "Coin", "COR": "Corniche",
    "COTE": "Cote", "COUR": "Cour", "CRS": "Cours", "DOM": "Domaine", "DSC": "Descente",
    "ECA": "Ecart", "ESP": "Esplanade", "FG": "Faubourg", "GARE": "Gare", "GR": "Grande Rue",
    "HAM": "Hameau", "HLE": "Halle", "ILOT": "Ilôt", "IMP": "Impasse", "LD": "Lieu dit",
    "LOT": "Lotissement", "MAR": "Marché", "MTE": "Montée", "PARC": "Parc", "PAS": "Passage",
    "PL": "Place", "PLAN": "Plan", "PLN": "Plaine", "PLT": "Plateau", "PONT": "Pont",
    "PORT": "Port", "PRO": "Promenade", "PRV": "Parvis", "QUA": "Quartier", "QUAI": "Quai",
    "RES": "Résidence", "RLE": "Ruelle", "ROC": "Rocade", "RPT": "Rond Point", "RTE": "Route",
    "RUE": "Rue", "SEN": "Sente - Sentier", "SQ": "Square", "TOUR": "Tour",
    "TPL": "Terre-plein", "TRA": "Traverse", "VLA": "Villa", "VLGE": "Village", "VOIE": "Voie",
    "ZA": "Zone artisanale", "ZAC": "Zone d'aménagement concerté",
    "ZAD": "Zone d'aménagement différé", "ZI": "Zone industrielle", "ZONE": "Zone",
}  # fmt: skip
#: INSEE repetition index letters (indiceRepetition) with a word of their own
REPETITION_WORDS = {"B": "BIS", "T": "TER", "Q": "QUATER", "C": "QUINQUIES"}

LABELS = {
    "name": "nom d'appel",
    "ape_code": "code APE",
    "address.line1": "adresse",
    "address.line2": "complément d'adresse",
    "address.postal_code": "code postal",
    "address.city": "ville",
    "address.country": "pays",
}


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in MASKED_VALUES


def present(value: Any) -> str | None:
    """A register value as a stripped string, None when absent or empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def first(*values: Any) -> str | None:
    """The first value present (a masked value counts as present: it hides the real one)."""
    for value in values:
        text = present(value)
        if text is not None:
            return text
    return None


def street_type_word(value: str) -> str:
    """``AV`` → ``Avenue``; a value that is not a known code is kept as it is."""
    return STREET_TYPES.get(value.strip().upper(), value.strip())


@dataclass
class RegisterEntry:
    """The facts of one SIRENE entry, read from either provider's answer."""

    siren: str
    siret: str | None = None
    legal_name: str | None = None
    sigle: str | None = None
    unit_usual_names: list[Any] = field(default_factory=list)
    establishment_names: list[Any] = field(default_factory=list)
    first_name: str | None = None
    last_name: str | None = None
    ape: str | None = None
    ape_nomenclature: str | None = None
    address: dict[str, Any] = field(default_factory=dict)
    #: a street line given whole (the provider has no parts for it), used when parts are absent
    street_line: str | None = None
    unit_state: str | None = None
    unit_ceased_since: str | None = None
    establishment_state: str | None = None
    establishment_closed_since: str | None = None
    legal_category: str | None = None
    head_office: bool | None = None
    diffusion: str | None = None


@dataclass
class Lookup:
    """The answer of ``POST /sirene/lookup``: what the record would receive, and the rest."""

    number_kind: Literal["siren", "siret"]
    fields: dict[str, Any]
    company: dict[str, Any]
    warnings: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "number_kind": self.number_kind,
            "fields": self.fields,
            "company": self.company,
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lookup:
        return cls(data["number_kind"], data["fields"], data["company"], data["warnings"])


class _Builder:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.warnings: list[dict[str, Any]] = []

    def warn(self, field_key: str | None, code: str, message: str) -> None:
        if code not in WARNING_CODES:
            raise ValueError(f"warning code {code!r} is not in WARNING_CODES")
        self.warnings.append({"field": field_key, "code": code, "message": message})

    def masked(self, field_key: str) -> None:
        self.warn(
            field_key,
            "masked",
            f"{LABELS[field_key].capitalize()} non diffusible au répertoire SIRENE : "
            "laissé tel quel.",
        )


def person_name(first_name: str | None, last_name: str | None) -> str | None:
    """A sole trader as "First-name LAST-NAME" (masked if either part is)."""
    last = present(last_name)
    if last is None:
        return None
    given = present(first_name)
    if is_masked(last) or is_masked(given):
        return "[ND]"
    return f"{given.title()} {last.upper()}" if given else last.upper()


def trade_name(entry: RegisterEntry, kind: str) -> str | None:
    """The *nom d'appel*: establishment trade name (SIRET), unit usual name, legal name, person."""
    candidates = [*(entry.establishment_names if kind == "siret" else []), *entry.unit_usual_names]
    return first(*candidates, entry.legal_name) or person_name(entry.first_name, entry.last_name)


def _street_line(a: dict[str, str | None], whole: str | None) -> str | None:
    """Number, repetition index, street type as a word, street — in the register's capitals."""
    keys = ("number", "repetition", "street_type", "street")
    given = [a.get(k) for k in keys if a.get(k)]
    if any(map(is_masked, given)):
        return "[ND]"
    if not given:
        return present(whole)
    number, repetition, street_type, street = (a.get(k) for k in keys)
    words = [
        number,
        REPETITION_WORDS.get(repetition.upper(), repetition) if repetition else None,
        street_type_word(street_type) if street_type else None,
        street,
    ]
    return " ".join(w for w in words if w).upper()


def _address(entry: RegisterEntry, out: _Builder) -> None:
    """The whole address (parts the register leaves empty are cleared), masked parts kept."""
    a = {key: present(value) for key, value in entry.address.items()}
    line2_parts = [p for p in (a.get("complement"), a.get("special_distribution")) if p]
    cedex = a.get("cedex_code")
    values = {
        "address.line1": _street_line(a, entry.street_line),
        "address.line2": (
            "[ND]" if any(map(is_masked, line2_parts)) else ", ".join(line2_parts) or None
        ),
        "address.postal_code": cedex or a.get("postal_code"),
        "address.city": (a.get("cedex_label") if cedex else None)
        or a.get("foreign_city")
        or a.get("city"),
        "address.country": a.get("foreign_country"),
    }
    address: dict[str, Any] = {}
    for key, value in values.items():
        if is_masked(value):
            out.masked(key)
        else:
            address[key.split(".", 1)[1]] = value
    out.fields["address"] = address


def _french_date(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else None
    except ValueError:
        return value


def _company(entry: RegisterEntry, kind: str, out: _Builder) -> dict[str, Any]:
    legal = first(entry.legal_name) or person_name(entry.first_name, entry.last_name)
    unit_ceased = (entry.unit_state or "").upper() == "C"
    closed = (entry.establishment_state or "").upper() == "F"
    if kind == "siret" and closed:
        since = _french_date(entry.establishment_closed_since)
        out.warn(
            None, "closed", "Établissement fermé" + (f" depuis le {since}" if since else "") + "."
        )
    if unit_ceased:
        since = _french_date(entry.unit_ceased_since)
        out.warn(
            None, "ceased", "Entreprise cessée" + (f" depuis le {since}" if since else "") + "."
        )
    company: dict[str, Any] = {
        "siren": entry.siren,
        "siret": entry.siret if kind == "siret" else None,
        "legal_name": None if is_masked(legal) else legal,
        "sigle": None if is_masked(entry.sigle) else present(entry.sigle),
        "legal_category": present(entry.legal_category),
        "state": None if entry.unit_state is None else ("ceased" if unit_ceased else "active"),
        "ceased_since": entry.unit_ceased_since if unit_ceased else None,
        "head_office": entry.head_office,
        "diffusion": {"O": "public", "P": "partial"}.get((entry.diffusion or "").upper()),
    }
    if kind == "siret":
        company["establishment_state"] = (
            None if entry.establishment_state is None else ("closed" if closed else "open")
        )
        company["closed_since"] = entry.establishment_closed_since if closed else None
    return company


def _digits(value: str | None, length: int) -> str | None:
    return value if value and value.isdigit() and len(value) == length else None


def build_lookup(number: CompanyNumber, entry: RegisterEntry) -> Lookup:
    """Apply the product's rules to one register entry."""
    out = _Builder()
    name = trade_name(entry, number.kind)
    if is_masked(name):
        out.masked("name")
    elif name:
        out.fields["name"] = name[:200]
    else:
        out.warn("name", "missing", "Aucun nom au répertoire SIRENE : nom d'appel laissé tel quel.")
    ape = present(entry.ape)
    if is_masked(ape):
        out.masked("ape_code")
    elif ape:
        try:
            out.fields["ape_code"] = clean_ape(ape)
        except ValueError:
            nomenclature = entry.ape_nomenclature or "inconnue"
            out.warn(
                "ape_code",
                "nomenclature",
                f"Code APE {ape} (nomenclature {nomenclature}) hors NAF rév. 2 : non repris.",
            )
    if number.kind == "siret":
        _address(entry, out)
        siret = _digits(entry.siret, 14) or number.value
        out.fields["siren"], out.fields["siret"] = siret[:9], siret
    else:
        siren = _digits(entry.siren, 9) or number.value
        out.fields["siren"] = siren
    registered = out.fields[number.kind]
    if registered != number.value:  # INSEE redirects a duplicate SIREN to the one it kept
        out.warn(
            number.kind,
            "replaced",
            f"{number.kind.upper()} {number.value} remplacé au répertoire par {registered}.",
        )
    company = _company(entry, number.kind, out)
    return Lookup(number.kind, out.fields, company, out.warnings)
