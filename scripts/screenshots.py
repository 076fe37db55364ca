"""Screenshots of the portal's main screens for the README (run by hand, not by CI).

    .venv/bin/python scripts/screenshots.py

Starts `carnet serve` with the demo data in a temporary directory, drives Debian's
Chromium headless and writes docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import Page, sync_playwright

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


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"wrote docs/screenshots/{name}.png")


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
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
                locale="fr-FR",
                viewport={"width": 1280, "height": 800},
            )
            page = context.new_page()
            page.goto(base + "/")
            page.get_by_label("Identifiant").fill(USER)
            shoot(page, "connexion")
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_role("combobox").press_sequentially("bou", delay=100)
            shoot(page, "recherche")
            page.goto(f"{base}/#/prospects/{prospect['items'][0]['id']}")
            page.locator(".record-name").wait_for()
            shoot(page, "fiche-prospect")
            if contacts["items"]:
                page.goto(f"{base}/#/contacts/{contacts['items'][0]['id']}")
                page.locator(".record-header").hover()
                shoot(page, "fiche-contact")
            page.goto(f"{base}/#/opportunites")
            shoot(page, "opportunites")
            calendar = page.locator(".signature-calendar")
            calendar.locator(".calendar-week").first.wait_for()
            calendar.screenshot(path=str(OUT / "calendrier.png"))
            print("wrote docs/screenshots/calendrier.png")
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
