"""Hostile DOCX templates are refused with a 422 naming the file, never a 500."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from tests.conftest import Api
from tests.documents.editing import docx_template, upload_docx_template

#: nine levels of ten: a billion "lol"s once expanded
ENTITY_DTD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE w:document ['
    b'<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>"
)


def _rewrite(
    data: bytes,
    *,
    part: str | None = None,
    change: Callable[[bytes], bytes] | None = None,
    drop: str | None = None,
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for item in source.infolist():
            if item.filename == drop:
                continue
            content = source.read(item.filename)
            if item.filename == part and change is not None:
                content = change(content)
            package.writestr(item, content)
    return out.getvalue()


def _amplified(xml: bytes) -> bytes:
    return ENTITY_DTD + xml.split(b"?>", 1)[1].replace(b"Bonjour", b"&lol9;")


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        source = zipfile.ZipFile(io.BytesIO(docx_template("Bonjour")))
        for item in source.infolist():
            package.writestr(item, source.read(item.filename))
        package.writestr("word/media/zeros.bin", b"\0" * (101 * 1024 * 1024))
    return out.getvalue()


CASES = {
    "entity-amplification": (
        lambda base: _rewrite(base, part="word/document.xml", change=_amplified),
        "declares XML entities",
    ),
    "no-content-types": (
        lambda base: _rewrite(base, drop="[Content_Types].xml"),
        "has no [Content_Types].xml",
    ),
    "no-document": (lambda base: _rewrite(base, drop="word/document.xml"), "word/document.xml"),
    "damaged-part": (
        lambda base: _rewrite(base, part="word/document.xml", change=lambda x: x[:200]),
        "cannot be read",
    ),
    "zip-bomb": (lambda base: _zip_bomb(), "unpacks to more than"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_docx_template_is_a_422_naming_the_file(admin: Api, case: str) -> None:
    make, message = CASES[case]
    reply = upload_docx_template(
        admin, "prospect", make(docx_template("Bonjour {{ account.name }}"))
    )
    assert reply.status_code == 422, reply.json
    assert reply.mimetype == "application/problem+json"
    assert reply.json["errors"][0]["field"] == "file"
    assert message in reply.json["errors"][0]["message"]
    assert admin.get("/api/v1/edition-templates").json["items"] == []
