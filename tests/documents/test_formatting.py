"""French formatting helpers, file-name sanitising and the rendering sandbox, as plain functions."""

from __future__ import annotations

import unicodedata
import zlib
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from records_svc.domain.documents import sanitise_name, sniff_media_type
from records_svc.editions import render
from records_svc.editions.formatting import address_lines, date_fr, phone_fr, siren_fr


def test_dates_in_french() -> None:
    assert date_fr(date(2026, 11, 27)) == "27 novembre 2026"
    assert date_fr(date(2026, 12, 1)) == "1er décembre 2026"
    assert date_fr("2026-08-15T10:00:00Z") == "15 août 2026"
    assert date_fr(None) == ""


def test_phone_numbers_in_national_format() -> None:
    assert phone_fr("+33142142000") == "01 42 14 20 00"
    assert phone_fr("0612345678") == "06 12 34 56 78"
    assert phone_fr("+44 20 7946 0958") == "+44 20 7946 0958"
    assert phone_fr("not a number") == "not a number"
    assert phone_fr(None) == ""


def test_addresses_on_lines() -> None:
    address = {
        "line1": "29 boulevard Haussmann",
        "line2": None,
        "postal_code": "75009",
        "city": "Paris",
        "country": "France",
    }
    assert address_lines(address) == ["29 boulevard Haussmann", "75009 Paris"]
    abroad = {"line1": "Rue de la Loi 16", "postal_code": "1000", "city": "Bruxelles"}
    assert address_lines({**abroad, "country": "Belgique"})[-1] == "Belgique"
    assert address_lines(None) == []


def test_siren_and_siret_grouped() -> None:
    assert siren_fr("552120222") == "552 120 222"
    assert siren_fr("55212022200013") == "552 120 222 00013"


@given(st.text(max_size=300))
def test_sanitised_names_are_never_paths(raw: str) -> None:
    name = sanitise_name(raw)
    assert name
    assert len(name) <= 200
    assert "/" not in name and "\\" not in name
    assert not name.startswith(".")
    assert Path(name).name == name
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)


def test_sniffing_ignores_the_name() -> None:
    assert sniff_media_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_media_type(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20) == "image/png"
    assert sniff_media_type("Devis signé".encode()) == "text/plain"
    assert sniff_media_type(b"\x00\x01\x02binary") == "application/octet-stream"


def test_pdf_rendering_loads_no_local_file() -> None:
    body = (
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>'
        '<img src="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/hostname">'
        "<p>{{ name }}</p>"
    )
    pdf = render.render_pdf(body, {"name": "Dupont & Fils"})
    assert pdf.startswith(b"%PDF")
    # An embedded attachment would appear as a (compressed) stream holding the file.
    secret = Path("/etc/passwd").read_bytes()[:12]
    streams = [pdf]
    for chunk in pdf.split(b"stream\n")[1:]:
        try:
            streams.append(zlib.decompress(chunk.split(b"endstream")[0]))
        except zlib.error:
            continue
    assert not any(secret in data for data in streams)
