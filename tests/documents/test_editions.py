"""Edition templates and printing records over HTTP (jobs run inline, as embedded)."""

from __future__ import annotations

from typing import Any

import pytest

from records_svc.db import Database
from records_svc.editions import templates as templates_domain
from tests.conftest import Api
from tests.documents.editing import (
    docx_template,
    docx_text,
    download,
    html_template,
    pdf_text,
    print_record,
    upload_docx_template,
)


@pytest.fixture
def defaults(database: Database) -> dict[str, int]:
    with database.unit_of_work() as uow:
        created = templates_domain.install_defaults(uow)
        return {t.entity: t.id for t in created}


def test_templates_need_the_right(seller: Api, admin: Api, anonymous: Api) -> None:
    body = "<p>{{ account.name }}</p>"
    assert html_template(anonymous, "prospect", body).status_code == 401
    assert html_template(seller, "prospect", body).status_code == 403
    created = html_template(admin, "prospect", body)
    assert created.status_code == 201, created.json
    template = created.json
    assert template["entity"] == "prospect" and template["format"] == "html"
    assert created.headers["Location"] == template["links"]["self"]
    # Everyone signed in may list and read templates (to choose one when printing).
    assert [t["id"] for t in seller.get("/api/v1/edition-templates").json["items"]] == [
        template["id"]
    ]
    path = template["links"]["self"]
    assert seller.put(path, json={**template, "name": "x"}).status_code == 403
    assert seller.delete(path).status_code == 403
    replaced = admin.put(
        path, json={"name": "Fiche courte", "entity": "prospect", "format": "html", "body": body}
    )
    assert replaced.status_code == 200
    assert admin.get(path).json["name"] == "Fiche courte"
    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404


def test_syntax_error_is_422_with_the_line(admin: Api) -> None:
    body = "<h1>{{ account.name }}</h1>\n<p>\n{{ account.city | }}\n</p>"
    reply = html_template(admin, "client", body)
    assert reply.status_code == 422
    assert reply.json["line"] == 3
    assert reply.json["errors"][0]["field"] == "body"
    assert reply.json["errors"][0]["code"] == "template_syntax"
    assert "line 3" in reply.json["errors"][0]["message"]
    assert admin.get("/api/v1/edition-templates").json["items"] == []


def test_docx_syntax_error_and_bad_file_are_422(admin: Api) -> None:
    broken = upload_docx_template(admin, "client", docx_template("{{ account.name }", "x"))
    assert broken.status_code == 422
    assert broken.json["errors"][0]["field"] == "file"
    not_docx = upload_docx_template(admin, "client", b"plain text, not a DOCX")
    assert not_docx.status_code == 422


def test_pdf_edition_of_a_prospect_with_its_contacts(
    seller: Api, prospect: dict[str, Any], contact: dict[str, Any], defaults: dict[str, int]
) -> None:
    path = prospect["links"]["self"]
    reply = print_record(seller, path, defaults["prospect"])
    assert reply.status_code == 202, reply.json
    assert reply.headers["Location"] == f"/api/v1/jobs/{reply.json['id']}"
    job = seller.get(reply.headers["Location"]).json
    assert job["state"] == "done", job
    pdf = download(seller, job["links"]["download"])
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert "filename*=UTF-8''Fiche%20prospect" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    for expected in (
        "Société Générale",
        "29 boulevard Haussmann",
        "75009 Paris",
        "552 120 222",
        "Amélie Dupré",
        "Directrice des achats",
        "01 42 14 20 00",
        "par alice",
    ):
        assert expected in text, (expected, text)
    # Nothing attached unless asked.
    assert seller.get(f"{path}/documents").json["items"] == []


def test_pdf_edition_of_a_contact(
    seller: Api, contact: dict[str, Any], defaults: dict[str, int]
) -> None:
    reply = print_record(seller, contact["links"]["self"], defaults["contact"])
    job = seller.get(reply.headers["Location"]).json
    assert job["state"] == "done", job
    text = pdf_text(download(seller, job["links"]["download"]).data)
    assert "Mme Amélie Dupré" in text
    assert "Société Générale" in text
    assert "75009 Paris" in text


def test_attach_adds_exactly_one_document(
    seller: Api, prospect: dict[str, Any], defaults: dict[str, int]
) -> None:
    path = prospect["links"]["self"]
    job = seller.get(
        print_record(seller, path, defaults["prospect"], attach=True).headers["Location"]
    ).json
    assert job["state"] == "done", job
    items = seller.get(f"{path}/documents").json["items"]
    assert len(items) == 1
    document = items[0]
    assert document["media_type"] == "application/pdf"
    assert document["name"] == "Fiche prospect - Société Générale.pdf"
    assert document["uploaded_by"] == seller.user_id
    assert job["result"]["document_id"] == document["id"]
    attached = download(seller, document["links"]["content"]).data
    assert attached == download(seller, job["links"]["download"]).data


def test_deleting_the_record_removes_its_printed_editions(
    seller: Api, prospect: dict[str, Any], contact: dict[str, Any], defaults: dict[str, int]
) -> None:
    printed = {}
    for kind, record in (("prospect", prospect), ("contact", contact)):
        location = print_record(seller, record["links"]["self"], defaults[kind]).headers["Location"]
        printed[kind] = location
        assert download(seller, seller.get(location).json["links"]["download"]).status_code == 200
    download_of_contact = seller.get(printed["contact"]).json["links"]["download"]
    assert seller.delete(prospect["links"]["self"]).status_code == 204
    for location in printed.values():
        job = seller.get(location).json
        assert job["state"] == "done"
        assert job["links"]["download"] is None
    assert download(seller, download_of_contact).status_code == 404


def test_only_templates_of_the_record_kind(
    seller: Api, prospect: dict[str, Any], contact: dict[str, Any], defaults: dict[str, int]
) -> None:
    wrong = print_record(seller, prospect["links"]["self"], defaults["client"])
    assert wrong.status_code == 422
    assert wrong.json["errors"][0]["field"] == "template_id"
    assert print_record(seller, prospect["links"]["self"], 9999).status_code == 422
    assert print_record(seller, "/api/v1/clients/" + str(prospect["id"]), 1).status_code == 404
    assert print_record(seller, contact["links"]["self"], defaults["prospect"]).status_code == 422


def test_render_failure_fails_the_job_and_attaches_nothing(
    seller: Api, admin: Api, prospect: dict[str, Any]
) -> None:
    # The sandbox refuses to reach Python internals: the job fails with a clear message.
    body = "<p>{{ account.name.__class__.__mro__[1].__subclasses__() }}</p>"
    template = html_template(admin, "prospect", body).json
    path = prospect["links"]["self"]
    job = seller.get(
        print_record(seller, path, template["id"], attach=True).headers["Location"]
    ).json
    assert job["state"] == "failed"
    assert job["error"].startswith("The edition could not be rendered")
    assert job["links"]["download"] is None
    assert seller.get(f"{path}/documents").json["items"] == []


def test_docx_edition_contains_the_record_and_contacts(
    seller: Api, admin: Api, prospect: dict[str, Any], contact: dict[str, Any]
) -> None:
    data = docx_template(
        "Fiche de {{ account.name }}",
        "{{ account.address_lines | join(', ') }}",
        "{% for c in contacts %}{{ c.full_name }} ({{ c.direct_line | phone_fr }}) {% endfor %}",
        "Le {{ today | date_fr }}",
    )
    template = upload_docx_template(admin, "prospect", data)
    assert template.status_code == 201, template.json
    assert template.json["format"] == "docx"
    path = prospect["links"]["self"]
    job = seller.get(
        print_record(seller, path, template.json["id"], attach=True).headers["Location"]
    ).json
    assert job["state"] == "done", job
    reply = download(seller, job["links"]["download"])
    assert reply.mimetype.endswith("wordprocessingml.document")
    text = docx_text(reply.data)
    assert "Fiche de Société Générale" in text
    assert "29 boulevard Haussmann, 75009 Paris" in text
    assert "Amélie Dupré (01 42 14 20 00)" in text
    documents = seller.get(f"{path}/documents").json["items"]
    assert len(documents) == 1
    assert documents[0]["name"].endswith(".docx")


def test_someone_elses_job_is_404(
    seller: Api, manager: Api, prospect: dict[str, Any], defaults: dict[str, int]
) -> None:
    location = print_record(seller, prospect["links"]["self"], defaults["prospect"]).headers[
        "Location"
    ]
    assert manager.get(location).status_code == 404
    assert download(manager, f"{location}/download").status_code == 404
