"""Realistic, deterministic French companies and people (demo data and benchmarks)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from records_svc.domain.numbers import LA_POSTE_SIREN, luhn_complete

FEMININE_FIRST_NAMES = (
    "Marie",
    "Hélène",
    "Élodie",
    "Anaïs",
    "Chloé",
    "Gaëlle",
    "Noémie",
    "Thérèse",
    "Zoé",
    "Bérénice",
    "Clémence",
    "Faïza",
    "Inès",
    "Léa",
    "Maëlle",
    "Océane",
    "Pénélope",
    "Marie-Claire",
    "Anne-Sophie",
    "Agnès",
    "Lætitia",
    "Solène",
    "Amélie",
)
MASCULINE_FIRST_NAMES = (
    "Jean-Pierre",
    "François",
    "Cédric",
    "Jérôme",
    "Benoît",
    "Loïc",
    "Stéphane",
    "Éric",
    "Aurélien",
    "Désiré",
    "Grégoire",
    "Joël",
    "Nicolas",
    "Rémi",
    "Sébastien",
    "Yannick",
    "Jean-Baptiste",
    "Pierre-Louis",
    "Björn",
    "Ludovic",
    "Raphaël",
    "Mathéo",
    "Hervé",
    "Timothée",
)
FIRST_NAMES = FEMININE_FIRST_NAMES + MASCULINE_FIRST_NAMES
LAST_NAMES = (
    "d'Estienne",
    "Dupré",
    "Lefèvre",
    "Müller",
    "Lemaître",
    "Bénard",
    "Garçon",
    "Chénier",
    "N'Diaye",
    "O'Neill",
    "Le Goff",
    "de La Tour",
    "Duchêne",
    "Fabre",
    "Gauthier",
    "Hébert",
    "Jégou",
    "Laurent",
    "Martin",
    "Noël",
    "Pérez",
    "Quéré",
    "Rousseau",
    "Séguin",
    "Thibault",
    "Vallée",
    "Weiß",
    "Dubois-Crancé",
    "Saint-Exupéry",
    "L'Hôte",
    "Bernard",
    "Moreau",
    "Girard",
    "Mercier",
    "Boyer",
    "Blanc",
    "Guérin",
    "Faure",
    "André",
    "Rivière",
    "Cœur",
    "Lacroix",
    "Aubert",
    "Brunet",
    "Picard",
    "Roussel",
    "Giraud",
    "Colin",
    "Leclerc",
)
JOB_TITLES = (
    "Directeur général",
    "Directrice administrative et financière",
    "Responsable achats",
    "Acheteur",
    "Assistante de direction",
    "Gérant",
    "Responsable informatique",
    "Directeur commercial",
    "Chef de projet",
    "Comptable",
    "Responsable RH",
)
TRADE_WORDS = (
    "Société Générale",
    "Boulangerie",
    "Menuiserie",
    "Transports",
    "Garage",
    "Pharmacie",
    "Imprimerie",
    "Atelier",
    "Cabinet",
    "Laboratoire",
    "Brasserie",
    "Fromagerie",
    "Œuvres Sociales",
    "Électricité",
    "Plomberie",
    "Hôtel",
    "Librairie",
    "Quincaillerie",
    "Pâtisserie",
    "Bâtiment",
    "Équipements",
    "Façades",
    "Chaudronnerie",
    "Éditions",
)
TRADE_NAMES = (
    "du Centre",
    "de l'Ouest",
    "des Alpes",
    "Saint-Michel",
    "Bellevue",
    "du Port",
    "de la Gare",
    "Léonard",
    "Grand Est",
    "Côte d'Azur",
    "Méditerranée",
    "Beauséjour",
    "des Halles",
    "du Marché",
    "Sainte-Anne",
    "de Bretagne",
    "L'Oréal",
    "Pyrénées",
    "Vallée de la Loire",
    "Montmartre",
    "des Écoles",
    "Belle-Île",
    "Lumière",
    "Horizon",
)
LEGAL_FORMS = ("SAS", "SARL", "SA", "EURL", "SASU", "SCI", "SNC")
STREET_TYPES = ("rue", "avenue", "boulevard", "place", "allée", "chemin", "impasse", "quai")
STREETS = (
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Lilas",
    "Gambetta",
    "de la Paix",
    "Émile Zola",
    "du Moulin",
    "Saint-Honoré",
    "des Acacias",
    "Jeanne d'Arc",
    "de Verdun",
    "de l'Église",
    "Foch",
    "Carnot",
)
CITIES = (
    ("75008", "Paris"),
    ("69002", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("06000", "Nice"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
    ("34000", "Montpellier"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("35000", "Rennes"),
    ("51100", "Reims"),
    ("76600", "Le Havre"),
    ("42000", "Saint-Étienne"),
    ("83000", "Toulon"),
    ("38000", "Grenoble"),
    ("21000", "Dijon"),
    ("49000", "Angers"),
    ("30000", "Nîmes"),
    ("63000", "Clermont-Ferrand"),
    ("29200", "Brest"),
    ("64000", "Pau"),
    ("2A004", "Ajaccio"),
    ("97400", "Saint-Denis"),
    ("74000", "Annecy"),
    ("87000", "Limoges"),
    ("25000", "Besançon"),
    ("80000", "Amiens"),
    ("57000", "Metz"),
    ("14000", "Caen"),
    ("45000", "Orléans"),
)


@dataclass
class FakeContact:
    civility: str
    first_name: str
    last_name: str
    job_title: str
    direct_line: str
    mobile: str
    email: str


@dataclass
class FakeCompany:
    name: str
    legal_name: str
    siren: str
    siret: str
    ape_code: str
    line1: str
    postal_code: str
    city: str
    phone: str
    email: str
    website: str
    contacts: list[FakeContact] = field(default_factory=list)


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    return "".join(c for c in folded if c.isalnum() and c.isascii()).lower()


def siren(rng: random.Random) -> str:
    while True:
        value = luhn_complete(f"{rng.randint(10_000_000, 99_999_999):08d}")
        if value != LA_POSTE_SIREN:
            return value


def siret_of(rng: random.Random, siren_value: str) -> str:
    return luhn_complete(f"{siren_value}{rng.randint(1, 9999):04d}")


def phone(rng: random.Random, mobile: bool = False) -> str:
    first = rng.choice("67") if mobile else rng.choice("12345")
    digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
    return f"0{first} {digits[0:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]}"


def person(rng: random.Random, domain: str) -> FakeContact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    feminine = first in FEMININE_FIRST_NAMES
    return FakeContact(
        civility="Mme" if feminine else "M.",
        first_name=first,
        last_name=last,
        job_title=rng.choice(JOB_TITLES),
        direct_line=phone(rng),
        mobile=phone(rng, mobile=True),
        email=f"{_ascii(first)}.{_ascii(last)}@{domain}",
    )


def companies(
    count: int, seed: int = 1, contacts_per_company: tuple[int, int] = (1, 4)
) -> Iterator[FakeCompany]:
    rng = random.Random(seed)
    for i in range(count):
        trade = f"{rng.choice(TRADE_WORDS)} {rng.choice(TRADE_NAMES)}"
        legal = f"{trade.upper()} {rng.choice(LEGAL_FORMS)}"
        number = siren(rng)
        postal_code, city = rng.choice(CITIES)
        domain = f"{_ascii(trade)[:20]}{i}.fr"
        company = FakeCompany(
            name=trade,
            legal_name=legal,
            siren=number,
            siret=siret_of(rng, number),
            ape_code=f"{rng.randint(10, 96):02d}.{rng.randint(10, 99):02d}{rng.choice('ABCZ')}",
            line1=f"{rng.randint(1, 180)} {rng.choice(STREET_TYPES)} {rng.choice(STREETS)}",
            postal_code=postal_code,
            city=city,
            phone=phone(rng),
            email=f"contact@{domain}",
            website=f"https://www.{domain}",
        )
        low, high = contacts_per_company
        company.contacts = [person(rng, domain) for _ in range(rng.randint(low, high))]
        yield company


# A directory for benchmarks: many more names than the demo needs, so that the
# prefixes typed in a million-entry directory spread the way real ones do.
MORE_FIRST_NAMES = (
    "Adèle", "Alexandre", "Alice", "Antoine", "Apolline", "Arthur", "Baptiste", "Camille",
    "Capucine", "Charles", "Chantal", "Christophe", "Damien", "Delphine", "Dominique", "Édouard",
    "Emma", "Étienne", "Fabien", "Florence", "Gabriel", "Gaspard", "Geneviève", "Guillaume",
    "Hugo", "Irène", "Isabelle", "Jacques", "Jules", "Juliette", "Karine", "Kévin", "Laure",
    "Louis", "Lucie", "Manon", "Margaux", "Mathilde", "Maxime", "Michèle", "Nathalie", "Olivier",
    "Pascal", "Patrice", "Philippe", "Quentin", "Romain", "Sandrine", "Sophie", "Sylvie",
    "Théo", "Ulysse", "Valérie", "Victor", "Virginie", "Wilfried", "Xavier", "Yves", "Zacharie",
    "Ève", "Gérald", "Hélèna", "Josué", "Anne-Laure", "Paul-Henri", "Marie-Hélène", "Ysé",
)  # fmt: skip
MORE_LAST_NAMES = (
    "Petit", "Durand", "Leroy", "Simon", "Michel", "Lefebvre", "Garcia", "David", "Bertrand",
    "Roux", "Vincent", "Fournier", "Morel", "Girault", "Bonnet", "François", "Legrand", "Garnier",
    "Chevalier", "Robin", "Clément", "Gautier", "Perrin", "Masson", "Marchand", "Duval", "Denis",
    "Lemoine", "Fontaine", "Rolland", "Joly", "Gaillard", "Barbier", "Arnaud", "Carpentier",
    "Huet", "Prévost", "Baron", "Renaud", "Schmitt", "Œillet", "d'Argenson", "de Saint-Aubin",
    "L'Épée", "Dubois", "Bélanger", "Lévêque", "Pagès", "Ménard", "Thébault", "Béranger",
    "Le Bihan", "Le Floc'h", "Kerguélen", "Zidane", "Nguyen", "Benali", "Da Silva", "Ferrand",
    "Hoarau", "Payet", "Grondin", "Étienne", "Jourdain", "Québec", "Yvon", "Xavier", "Ullmann",
)  # fmt: skip
FAMILY_FIRMS = ("Fils", "Associés", "Cie", "Frères")
DIRECTORY_FIRST_NAMES = FIRST_NAMES + MORE_FIRST_NAMES
DIRECTORY_LAST_NAMES = LAST_NAMES + MORE_LAST_NAMES
#: share of accounts that are clients, and of clients that are closed (about 5 % of all clients)
CLIENT_SHARE = 0.4
CLOSED_SHARE = 0.05


@dataclass(frozen=True)
class DirectoryAccount:
    """One row of ``accounts`` (ids from 1, in generation order)."""

    id: int
    kind: str  # prospect | client
    name: str
    legal_name: str
    siren: str
    siret: str
    ape_code: str
    line1: str
    postal_code: str
    city: str
    phone: str
    email: str
    status: str | None  # prospects: draft | validated
    closed: bool
    external_ref: str | None


@dataclass(frozen=True)
class DirectoryContact:
    """One row of ``contacts``."""

    id: int
    account_id: int
    civility: str
    first_name: str
    last_name: str
    job_title: str
    direct_line: str
    mobile: str
    email: str


def _fast_phone(rng: random.Random, first: str) -> str:
    d = f"{rng.randrange(10**8):08d}"
    return f"0{first} {d[0:2]} {d[2:4]} {d[4:6]} {d[6:8]}"


def directory(
    entries: int, seed: int = 1
) -> Iterator[tuple[DirectoryAccount, list[DirectoryContact]]]:
    """About ``entries`` search entries (accounts + contacts, exactly ``entries`` in total):
    prospects and clients with legal forms, trade names, cities, valid SIREN/SIRET numbers,
    about 5 % of clients closed; 1 to 4 contacts each with accented, hyphenated and
    apostrophe names. Deterministic for a ``seed``; cheap enough for a million entries."""
    rng = random.Random(seed)
    ascii_of: dict[str, str] = {}

    def ascii_cached(text: str) -> str:
        value = ascii_of.get(text)
        if value is None:
            value = ascii_of[text] = _ascii(text)
        return value

    made = 0
    account_id = contact_id = 0
    while made < entries:
        account_id += 1
        roll = rng.random()
        if roll < 0.03:  # "Dupont & Fils"
            trade = f"{rng.choice(DIRECTORY_LAST_NAMES)} & {rng.choice(FAMILY_FIRMS)}"
        elif roll < 0.3:  # a family business: "Boulangerie Dupré", "Garage Martin"
            trade = f"{rng.choice(TRADE_WORDS)} {rng.choice(DIRECTORY_LAST_NAMES)}"
        else:
            trade = f"{rng.choice(TRADE_WORDS)} {rng.choice(TRADE_NAMES)}"
        number = siren(rng)
        postal_code, city = rng.choice(CITIES)
        domain = f"{ascii_cached(trade)[:20]}{account_id}.fr"
        client = rng.random() < CLIENT_SHARE
        account = DirectoryAccount(
            id=account_id,
            kind="client" if client else "prospect",
            name=trade,
            legal_name=f"{trade.upper()} {rng.choice(LEGAL_FORMS)}",
            siren=number,
            siret=siret_of(rng, number),
            ape_code=f"{rng.randrange(10, 97):02d}.{rng.randrange(10, 100):02d}{rng.choice('ABCZ')}",
            line1=f"{rng.randrange(1, 181)} {rng.choice(STREET_TYPES)} {rng.choice(STREETS)}",
            postal_code=postal_code,
            city=city,
            phone=_fast_phone(rng, rng.choice("12345")),
            email=f"contact@{domain}",
            status=None if client else ("validated" if rng.random() < 0.4 else "draft"),
            closed=client and rng.random() < CLOSED_SHARE,
            external_ref=f"ERP-{account_id}" if client else None,
        )
        made += 1
        people: list[DirectoryContact] = []
        for _ in range(min(rng.randint(1, 4), entries - made)):
            contact_id += 1
            first, last = rng.choice(DIRECTORY_FIRST_NAMES), rng.choice(DIRECTORY_LAST_NAMES)
            feminine = first.endswith(("e", "a", "ë", "è")) and first not in ("Rémi", "Stéphane")
            people.append(
                DirectoryContact(
                    id=contact_id,
                    account_id=account_id,
                    civility="Mme" if feminine else "M.",
                    first_name=first,
                    last_name=last,
                    job_title=rng.choice(JOB_TITLES),
                    direct_line=_fast_phone(rng, rng.choice("12345")),
                    mobile=_fast_phone(rng, rng.choice("67")),
                    email=f"{ascii_cached(first)}.{ascii_cached(last)}{contact_id}@{domain}",
                )
            )
        made += len(people)
        yield account, people
