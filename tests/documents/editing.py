"""Helpers shared by the edition tests: templates, printing, reading PDF and DOCX."""

from __future__ import annotations

import io
from typing import Any

import docx
import pypdf

from tests.conftest import Api


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF"), data[:20]
    reader = pypdf.PdfReader(io.BytesIO(data))
    # Words only: where a PDF line wraps is layout, not content.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def docx_template(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_template(api: Api, entity: str, body: str, name: str = "Fiche") -> Any:
    return api.post(
        "/api/v1/edition-templates",
        json={"name": name, "entity": entity, "format": "html", "body": body},
    )


def upload_docx_template(api: Api, entity: str, data: bytes, name: str = "Fiche Word") -> Any:
    return api.post(
        "/api/v1/edition-templates",
        data={
            "name": name,
            "entity": entity,
            "format": "docx",
            "file": (io.BytesIO(data), "fiche.docx"),
        },
        content_type="multipart/form-data",
    )


def print_record(api: Api, path: str, template_id: int, attach: bool = False) -> Any:
    return api.post(f"{path}/editions", json={"template_id": template_id, "attach": attach})


def download(api: Api, path: str) -> Any:
    reply = api.get(path)
    _ = reply.data
    reply.close()
    return reply
