"""Building import files and posting them, as the portal and scripts do."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import pytest

from records_svc.domain.numbers import luhn_complete
from tests.conftest import Api

API = "/api/v1"


def siret(n: int) -> str:
    """A valid SIRET (its SIREN and itself pass Luhn), different for each ``n``."""
    siren = luhn_complete(f"{40000000 + n:08d}")
    return luhn_complete(f"{siren}{n % 10000:04d}")


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, delimiter: str = ";", encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def post_import(
    api: Api,
    content: bytes,
    entity: str = "prospects",
    *,
    name: str = "fichier.csv",
    mapping: dict[str, Any] | None = None,
    dry_run: bool = False,
    update_existing: bool = False,
) -> Any:
    data: dict[str, Any] = {
        "file": (io.BytesIO(content), name),
        "entity": entity,
        "dry_run": "true" if dry_run else "false",
        "update_existing": "true" if update_existing else "false",
    }
    if mapping is not None:
        data["mapping"] = json.dumps(mapping)
    return api.post(f"{API}/imports", data=data, content_type="multipart/form-data")


def run_import(api: Api, content: bytes, entity: str = "prospects", **kwargs: Any) -> Any:
    """Post the file and return the import when done (jobs run inline in these tests)."""
    reply = post_import(api, content, entity, **kwargs)
    assert reply.status_code == 202, reply.json
    body = reply.json
    assert body["state"] == "done", body
    assert reply.headers["Location"] == body["links"]["self"]
    return body


def outcomes(body: dict[str, Any]) -> dict[int, str]:
    return {r["row"]: r["outcome"] for r in body["report"]}


def by_row(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["row"]: r for r in body["report"]}


def calls_of(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[tuple[Any, ...]]:
    """``owner.name`` still runs, its calls' arguments noted (which path an import took)."""
    seen: list[tuple[Any, ...]] = []
    real = getattr(owner, name)

    def noted(*args: Any, **kwargs: Any) -> Any:
        seen.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, noted)
    return seen
