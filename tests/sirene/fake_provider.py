"""A local fake of both SIRENE providers: a real HTTP server answering like the real APIs.

Its answers are the recorded bodies of ``shared/fixtures/sirene`` and variants made
from them; a test can program any path with a sequence of replies (the last one
repeats), e.g. a 500 then a success.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from records_svc.domain.numbers import luhn_complete

#: the recorded bodies, unchanged (real responses published by public projects)
FIXTURES = Path(__file__).parent / "fixtures"
INSEE_KEY = "test-insee-key"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def siret_for(prefix8: str, nic4: str = "0001") -> str:
    """A checksum-valid SIRET (and so SIREN) made from 8 digits and a 4-digit NIC start."""
    siren = luhn_complete(prefix8)
    return luhn_complete(siren + nic4)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FakeProvider:
    """Routes are ``/insee/siret/N``, ``/insee/siren/N`` and ``/recherche/search?q=N``."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.routes = default_routes()
            self.seen = []

    def set(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self.routes[route] = list(replies)

    def calls(self, route: str) -> int:
        return sum(1 for s in self.seen if s.path == route)

    def _answer(self, route: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.seen.append(Seen(route, headers, time.monotonic()))
            if (
                route.startswith("/insee/")
                and headers.get("x-insee-api-key-integration") != INSEE_KEY
            ):
                return Reply(401, {"header": {"statut": 401, "message": "Clé d'API invalide"}})
            replies = self.routes.get(route)
            if not replies:
                return _not_found(route)
            return replies.pop(0) if len(replies) > 1 else replies[0]


def _not_found(route: str) -> Reply:
    number = route.rsplit("=", 1)[-1].rsplit("/", 1)[-1]
    if route.startswith("/insee/"):
        kind = "siret" if len(number) == 14 else "siren"
        message = f"Aucun élément trouvé pour le {kind} {number}"
        return Reply(404, {"header": {"statut": 404, "message": message}})
    return Reply(200, {"results": [], "total_results": 0, "page": 1, "per_page": 1})


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            route = parts.path
            if parts.path.endswith("/search"):
                route += "?q=" + parse_qs(parts.query).get("q", [""])[0]
            reply = fake._answer(route, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = body.encode("utf-8")
            try:
                self.send_response(reply.status)
                ctype = "application/json" if not isinstance(reply.body, str) else "text/html"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --- the numbers and bodies served ------------------------------------------------------

DINUM_SIRET, DINUM_SIREN = "13002526500013", "130025265"
SOLE_TRADER_SIRET = "90412387400011"
CARREFOUR_SIRET, CARREFOUR_SIREN = "51076150500013", "510761505"
MASKED_SIRET = siret_for("90412388")
CLOSED_SIRET = siret_for("13002527")
CEASED_SIREN = luhn_complete("13002528")
FOREIGN_SIRET = siret_for("13002529")
OLD_APE_SIREN = luhn_complete("13002530")
RECHERCHE_BRANCH_SIRET = luhn_complete(CARREFOUR_SIREN + "0002")
RECHERCHE_MASKED_SIRET = siret_for("51076151")
RECHERCHE_CLOSED_SIRET = siret_for("51076152")


def masked_sole_trader() -> dict[str, Any]:
    """Statut P as the register serves it since 2023: names and exact address masked."""
    body = fixture("insee_siret_90412387400011_sole_trader_statut_P_3.11.json")
    e = body["etablissement"]
    e["siret"], e["siren"] = MASKED_SIRET, MASKED_SIRET[:9]
    for key in ("nomUniteLegale", "prenom1UniteLegale", "prenomUsuelUniteLegale"):
        e["uniteLegale"][key] = "[ND]"
    for key in ("numeroVoieEtablissement", "typeVoieEtablissement", "libelleVoieEtablissement"):
        e["adresseEtablissement"][key] = "[ND]"
    return body


def closed_establishment() -> dict[str, Any]:
    """A closed secondary establishment with a sign, a repetition index and a CEDEX."""
    body = fixture("insee_siret_13002526500013.json")
    e = body["etablissement"]
    e["siret"], e["siren"], e["etablissementSiege"] = CLOSED_SIRET, CLOSED_SIRET[:9], False
    e["periodesEtablissement"][0].update(
        etatAdministratifEtablissement="F",
        dateDebut="2021-06-30",
        enseigne1Etablissement="CAFE DU PORT",
        activitePrincipaleEtablissement="56.30Z",
    )
    e["adresseEtablissement"].update(
        indiceRepetitionEtablissement="B",
        typeVoieEtablissement="BD",
        complementAdresseEtablissement="BATIMENT C",
        distributionSpecialeEtablissement="BP 42",
        codeCedexEtablissement="75700",
        libelleCedexEtablissement="PARIS CEDEX 07",
    )
    return body


def foreign_establishment() -> dict[str, Any]:
    body = fixture("insee_siret_13002526500013.json")
    e = body["etablissement"]
    e["siret"], e["siren"] = FOREIGN_SIRET, FOREIGN_SIRET[:9]
    e["uniteLegale"]["denominationUsuelle1UniteLegale"] = "DINUM EUROPE"
    e["adresseEtablissement"].update(
        numeroVoieEtablissement="5",
        typeVoieEtablissement="RUE DE LA LOI",
        libelleVoieEtablissement=None,
        codePostalEtablissement=None,
        libelleCommuneEtablissement=None,
        codeCommuneEtablissement=None,
        libelleCommuneEtrangerEtablissement="BRUXELLES",
        codePaysEtrangerEtablissement="99131",
        libellePaysEtrangerEtablissement="BELGIQUE",
    )
    return body


def ceased_unit() -> dict[str, Any]:
    body = fixture("insee_siren_130025265.json")
    u = body["uniteLegale"]
    u["siren"] = CEASED_SIREN
    u["periodesUniteLegale"][0].update(
        etatAdministratifUniteLegale="C",
        dateDebut="2022-12-31",
        denominationUsuelle1UniteLegale="LE NUMERIQUE DE L'ETAT",
    )
    return body


def old_nomenclature_unit() -> dict[str, Any]:
    body = fixture("insee_siren_130025265.json")
    u = body["uniteLegale"]
    u["siren"] = OLD_APE_SIREN
    u["periodesUniteLegale"][0].update(
        activitePrincipaleUniteLegale="75.1A",
        nomenclatureActivitePrincipaleUniteLegale="NAFRev1",
    )
    return body


def recherche_variant(siret: str, **establishment: Any) -> dict[str, Any]:
    """Carrefour's answer, for another SIRET of it (not the head office)."""
    body = fixture("recherche_entreprises_search_q_carrefour.json")
    result = body["results"][0]
    result["siren"] = siret[:9]
    match = result["matching_etablissements"][0]
    match.update(siret=siret, est_siege=False, **establishment)
    return body


def recherche_masked() -> dict[str, Any]:
    body = fixture("recherche_entreprises_search_q_carrefour.json")
    result = body["results"][0]
    result["siren"] = RECHERCHE_MASKED_SIRET[:9]
    result["statut_diffusion"] = "P"
    result["nom_raison_sociale"] = None
    result["nom_complet"] = "[NON-DIFFUSIBLE]"
    result["siege"].update(
        siret=RECHERCHE_MASKED_SIRET,
        numero_voie="[NON-DIFFUSIBLE]",
        type_voie="[NON-DIFFUSIBLE]",
        libelle_voie="[NON-DIFFUSIBLE]",
        adresse="[NON-DIFFUSIBLE]",
    )
    result["matching_etablissements"][0]["siret"] = RECHERCHE_MASKED_SIRET
    return body


def default_routes() -> dict[str, list[Reply]]:
    carrefour = fixture("recherche_entreprises_search_q_carrefour.json")
    return {
        f"/insee/siret/{DINUM_SIRET}": [Reply(body=fixture("insee_siret_13002526500013.json"))],
        f"/insee/siren/{DINUM_SIREN}": [Reply(body=fixture("insee_siren_130025265.json"))],
        f"/insee/siret/{SOLE_TRADER_SIRET}": [
            Reply(body=fixture("insee_siret_90412387400011_sole_trader_statut_P_3.11.json"))
        ],
        f"/insee/siret/{MASKED_SIRET}": [Reply(body=masked_sole_trader())],
        f"/insee/siret/{CLOSED_SIRET}": [Reply(body=closed_establishment())],
        f"/insee/siret/{FOREIGN_SIRET}": [Reply(body=foreign_establishment())],
        f"/insee/siren/{CEASED_SIREN}": [Reply(body=ceased_unit())],
        f"/insee/siren/{OLD_APE_SIREN}": [Reply(body=old_nomenclature_unit())],
        f"/recherche/search?q={CARREFOUR_SIRET}": [Reply(body=carrefour)],
        f"/recherche/search?q={CARREFOUR_SIREN}": [Reply(body=copy.deepcopy(carrefour))],
        f"/recherche/search?q={RECHERCHE_BRANCH_SIRET}": [
            Reply(
                body=recherche_variant(
                    RECHERCHE_BRANCH_SIRET,
                    adresse="BATIMENT A 3 RUE DU PORT 13002 MARSEILLE",
                    code_postal="13002",
                    libelle_commune="MARSEILLE",
                    liste_enseignes=["CARREFOUR CITY"],
                    activite_principale="47.11B",
                )
            )
        ],
        f"/recherche/search?q={RECHERCHE_CLOSED_SIRET}": [
            Reply(
                body=recherche_variant(
                    RECHERCHE_CLOSED_SIRET, etat_administratif="F", date_fermeture="2019-01-31"
                )
            )
        ],
        f"/recherche/search?q={RECHERCHE_MASKED_SIRET}": [Reply(body=recherche_masked())],
    }


def running() -> Iterator[FakeProvider]:
    fake = FakeProvider().start()
    fake.reset()
    try:
        yield fake
    finally:
        fake.stop()
