"""Screenshots of the portal's main screens for the README (run by hand, not by CI).

    .venv/bin/python scripts/screenshots.py

Starts `carnet serve` with the demo data in a temporary directory, drives Debian's
Chromium headless and writes docs/screenshots/<screen>-<size>.png at two sizes: a
desktop (1366 × 768) and a phone (390 × 844, mobile emulation).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
USER, PASSWORD = "camille", "mot de passe de Camille"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def carnet(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "carnet.cli", *args], env=env, check=True, cwd=ROOT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: (name, viewport, phone emulation): the README shows both
SIZES = (
    ("bureau", {"width": 1366, "height": 768}, False),
    ("telephone", {"width": 390, "height": 844}, True),
)


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"wrote docs/screenshots/{name}.png")


def tour(
    browser: Browser,
    base: str,
    size: str,
    viewport: dict[str, int],
    phone: bool,
    prospect_id: int,
    contact_id: int | None,
) -> None:
    """The main screens at one size, written as docs/screenshots/<screen>-<size>.png."""
    options: dict[str, Any] = {"viewport": viewport, "locale": "fr-FR"}
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(base + "/")
    page.get_by_label("Identifiant").fill(USER)
    shoot(page, f"connexion-{size}")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("combobox").press_sequentially("bou", delay=100)
    shoot(page, f"recherche-{size}")
    page.goto(f"{base}/#/prospects/{prospect_id}")
    page.locator(".record-name").wait_for()
    shoot(page, f"fiche-prospect-{size}")
    if contact_id is not None:
        page.goto(f"{base}/#/contacts/{contact_id}")
        page.locator(".record-name").wait_for()
        shoot(page, f"fiche-contact-{size}")
    page.goto(f"{base}/#/opportunites")
    page.locator(".portfolio tbody tr").first.wait_for()
    shoot(page, f"opportunites-{size}")
    calendar = page.locator(".signature-calendar")
    calendar.scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    calendar.screenshot(path=str(OUT / f"calendrier-{size}.png"))
    print(f"wrote docs/screenshots/calendrier-{size}.png")
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = tempfile.mkdtemp(prefix="carnet-screens-")
    env = {**os.environ, "CARNET_DATA_DIR": data_dir}
    env.pop("CARNET_DATABASE_URL", None)
    carnet(env, "users", "create", USER, "--password", PASSWORD, "--right", "validate_prospect")
    carnet(env, "demo", "load")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "carnet.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        api = requests.Session()
        token = api.post(
            f"{base}/api/v1/auth/token", json={"username": USER, "password": PASSWORD}, timeout=5
        ).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        prospect = api.get(f"{base}/api/v1/prospects?limit=1&status=draft", timeout=5).json()
        contacts = api.get(
            f"{base}/api/v1/accounts/{prospect['items'][0]['id']}/contacts", timeout=5
        ).json()
        contact_id = contacts["items"][0]["id"] if contacts["items"] else None
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            for size, viewport, phone in SIZES:
                tour(browser, base, size, viewport, phone, prospect["items"][0]["id"], contact_id)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
