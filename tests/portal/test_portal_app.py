"""The portal's files: served at / under a strict Content-Security-Policy, beside the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

import portal
from carnet import embedded
from config import Settings, load_settings


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Client]:
    """What ``carnet serve`` serves: the portal, search and records in one WSGI app."""
    settings: Settings = load_settings(data_dir=tmp_path / "var", secret_key="s" * 48)
    rt = embedded.runtime(settings)
    yield Client(embedded.wsgi_app(rt))
    rt.close()


def test_index_is_served_at_the_root_with_a_strict_csp(mounted: Client) -> None:
    with mounted.get("/") as reply:
        assert reply.status_code == 200
        assert 'lang="fr"' in reply.text
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (portal.STATIC_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    for source in (portal.STATIC_DIR / "js").glob("*.js"):
        text = source.read_text()
        assert "innerHTML" not in text and "eval(" not in text, source.name
        assert "cdn" not in text.lower() and "https://" not in text, source.name


def test_every_module_the_page_imports_is_served(mounted: Client) -> None:
    client = mounted
    seen: set[str] = set()
    queue = ["/portal/js/app.js", "/portal/portal.css"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        with client.get(path) as reply:
            assert reply.status_code == 200, path
            assert reply.mimetype in ("text/javascript", "application/javascript", "text/css")
            queue.extend(
                f"/portal/js/{name}" for name in re.findall(r'from "\./([\w.]+)"', reply.text)
            )
    assert len(seen) > 5


def test_the_api_stays_under_its_paths(mounted: Client) -> None:
    client = mounted
    assert client.get("/api/v1/prospects").status_code == 401
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/portal/nothing-here.js").status_code == 404


def test_config_says_whether_sirene_is_offered_and_the_upload_limit(
    mounted: Client, tmp_path: Path
) -> None:
    assert mounted.get("/portal/config.json").json == {
        "sirene": False,
        "max_upload_bytes": 25 * 1024 * 1024,
    }
    configured = load_settings(
        data_dir=tmp_path / "other", sirene_provider="insee", max_upload_bytes=1000
    )
    reply = portal.create_app(configured).test_client().get("/portal/config.json")
    assert reply.json == {"sirene": True, "max_upload_bytes": 1000}
