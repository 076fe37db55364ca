"""Documents over HTTP: upload, list, download, delete, limits, owners and rights."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from config import Settings
from tests.conftest import Api

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 32


def upload(api: Api, path: str, *files: tuple[bytes, str]) -> Any:
    data = {"file": [(io.BytesIO(content), name) for content, name in files]}
    return api.post(path, data=data, content_type="multipart/form-data")


def download(api: Api, path: str) -> Any:
    """GET a file and close the response (the test client leaves streamed files open)."""
    reply = api.get(path)
    _ = reply.data
    reply.close()
    return reply


def stored_files(settings: Settings) -> list[Path]:
    root = settings.resolved_documents_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_list_download_delete(
    seller: Api, prospect: dict[str, Any], settings: Settings
) -> None:
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    reply = upload(seller, base, (PDF, "Devis signé.pdf"), (PNG, "carte.png"))
    assert reply.status_code == 201, reply.json
    first, second = reply.json["items"]
    assert first["name"] == "Devis signé.pdf"
    assert first["size"] == len(PDF)
    assert first["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert first["media_type"] == "application/pdf"
    assert second["media_type"] == "image/png"
    assert first["uploaded_by"] == seller.user_id
    assert first["created_at"]

    listed = seller.get(base)
    assert listed.status_code == 200
    assert [d["name"] for d in listed.json["items"]] == ["Devis signé.pdf", "carte.png"]

    content = download(seller, first["links"]["content"])
    assert content.status_code == 200
    assert content.data == PDF
    assert content.mimetype == "application/pdf"
    disposition = content.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote('Devis signé.pdf')}" in disposition

    # Stored under generated names: nothing on disk carries the client's name.
    assert len(stored_files(settings)) == 2
    assert all("Devis" not in p.name for p in stored_files(settings))

    assert seller.delete(f"/api/v1/documents/{first['id']}").status_code == 204
    assert download(seller, first["links"]["content"]).status_code == 404
    assert [d["id"] for d in seller.get(base).json["items"]] == [second["id"]]
    assert len(stored_files(settings)) == 1


def test_media_type_is_sniffed_not_trusted(seller: Api, prospect: dict[str, Any]) -> None:
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    data = {"file": [(io.BytesIO(b"<html><script>alert(1)</script>"), "x.pdf", "application/pdf")]}
    reply = seller.post(base, data=data, content_type="multipart/form-data")
    assert reply.status_code == 201, reply.json
    document = reply.json["items"][0]
    assert document["media_type"] == "text/plain"
    content = download(seller, document["links"]["content"])
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:/Users/amelie/Bureau/devis\u202e.pdf", "devis .pdf"),
        ("a\x00b\x07c\td.txt", "a b c d.txt"),
        ("....", "document"),
        ("<script>.html", "_script_.html"),
        ("/", "document"),
    ],
)
def test_hostile_names_are_sanitised(
    seller: Api, prospect: dict[str, Any], settings: Settings, hostile: str, expected: str
) -> None:
    reply = upload(seller, f"/api/v1/prospects/{prospect['id']}/documents", (b"hello", hostile))
    assert reply.status_code == 201, reply.json
    assert reply.json["items"][0]["name"] == expected
    root = settings.resolved_documents_dir.resolve()
    assert all(root in p.resolve().parents for p in stored_files(settings))


def test_over_size_is_413_and_keeps_nothing(
    seller: Api, prospect: dict[str, Any], settings: Settings
) -> None:
    settings.max_upload_bytes = 1000
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    reply = upload(seller, base, (b"ok", "small.txt"), (b"x" * 1001, "big.bin"))
    assert reply.status_code == 413
    assert reply.mimetype == "application/problem+json"
    assert seller.get(base).json["items"] == []
    assert stored_files(settings) == []


def test_empty_file_is_422_and_keeps_nothing(
    seller: Api, prospect: dict[str, Any], settings: Settings
) -> None:
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    reply = upload(seller, base, (b"fine", "a.txt"), (b"", "empty.txt"))
    assert reply.status_code == 422
    assert reply.json["errors"][0]["field"] == "file[1]"
    assert reply.json["errors"][0]["code"] == "empty"
    assert seller.get(base).json["items"] == []
    assert stored_files(settings) == []


def test_no_file_part_is_422(seller: Api, prospect: dict[str, Any]) -> None:
    reply = seller.post(
        f"/api/v1/prospects/{prospect['id']}/documents",
        data={"other": "x"},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 422


def test_wrong_owner_kind_is_404(seller: Api, prospect: dict[str, Any]) -> None:
    reply = upload(seller, f"/api/v1/clients/{prospect['id']}/documents", (b"x", "a.txt"))
    assert reply.status_code == 404
    assert seller.get(f"/api/v1/clients/{prospect['id']}/documents").status_code == 404
    assert seller.get("/api/v1/contacts/999/documents").status_code == 404


def test_contact_documents(seller: Api, contact: dict[str, Any]) -> None:
    base = f"/api/v1/contacts/{contact['id']}/documents"
    reply = upload(seller, base, (PNG, "carte de visite.png"))
    assert reply.status_code == 201
    assert reply.json["items"][0]["owner"] == {"kind": "contact", "id": contact["id"]}
    assert len(seller.get(base).json["items"]) == 1
    # A contact's documents are not its account's.
    assert seller.get(f"/api/v1/prospects/{contact['account_id']}/documents").json["items"] == []


def test_missing_token_is_401(anonymous: Api, seller: Api, prospect: dict[str, Any]) -> None:
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    created = upload(seller, base, (b"x", "a.txt")).json["items"][0]
    assert upload(anonymous, base, (b"x", "a.txt")).status_code == 401
    assert anonymous.get(base).status_code == 401
    assert anonymous.get(created["links"]["content"]).status_code == 401
    assert anonymous.delete(created["links"]["self"]).status_code == 401


def test_deleting_a_record_removes_its_files_after_commit(
    seller: Api, prospect: dict[str, Any], contact: dict[str, Any], settings: Settings
) -> None:
    upload(seller, f"/api/v1/prospects/{prospect['id']}/documents", (b"kbis", "kbis.txt"))
    upload(seller, f"/api/v1/contacts/{contact['id']}/documents", (PNG, "carte.png"))
    assert len(stored_files(settings)) == 2
    assert seller.delete(f"/api/v1/prospects/{prospect['id']}").status_code == 204
    assert stored_files(settings) == []


def test_deleting_a_contact_keeps_the_account_files(
    seller: Api, prospect: dict[str, Any], contact: dict[str, Any], settings: Settings
) -> None:
    upload(seller, f"/api/v1/prospects/{prospect['id']}/documents", (b"kbis", "kbis.txt"))
    upload(seller, f"/api/v1/contacts/{contact['id']}/documents", (PNG, "carte.png"))
    assert seller.delete(f"/api/v1/contacts/{contact['id']}").status_code == 204
    assert len(stored_files(settings)) == 1
    items = seller.get(f"/api/v1/prospects/{prospect['id']}/documents").json["items"]
    assert [d["name"] for d in items] == ["kbis.txt"]


def test_list_is_paged(seller: Api, prospect: dict[str, Any]) -> None:
    base = f"/api/v1/prospects/{prospect['id']}/documents"
    upload(seller, base, *[(f"n°{i}".encode(), f"{i}.txt") for i in range(5)])
    first = seller.get(f"{base}?limit=2").json
    assert [d["name"] for d in first["items"]] == ["0.txt", "1.txt"]
    second = seller.get(f"{base}?limit=2&cursor={first['next_cursor']}").json
    third = seller.get(f"{base}?limit=2&cursor={second['next_cursor']}").json
    assert [d["name"] for d in second["items"] + third["items"]] == ["2.txt", "3.txt", "4.txt"]
    assert third["next_cursor"] is None
