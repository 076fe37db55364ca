"""One `carnet serve` with the demo data and one headless Chromium for the whole session.

The server is a real subprocess on a free port with its own data directory; the
browser is Debian's Chromium driven by Playwright (no browser download).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from carnet import demo, embedded
from config import load_settings
from records_svc.domain import rights, users
from tests.browser.checks import SIZES, Size, settled
from tests.conftest import TEST_HASHING
from tests.services import unavailable
from tests.sirene.fake_provider import INSEE_KEY, FakeProvider
from tests.sirene.fake_provider import running as running_fake_provider
from tests.wait import WaitTimeoutError, wait_until

CHROMIUM = os.environ.get("CARNET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: the salesperson of the scenarios: may validate prospects
SELLER, SELLER_PASSWORD = "camille", "mot de passe de Camille"
#: a salesperson without the right to validate
JUNIOR, JUNIOR_PASSWORD = "junior", "mot de passe du junior"


@dataclass
class Server:
    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def api(self, username: str = SELLER, password: str = SELLER_PASSWORD) -> requests.Session:
        """An API client (bearer token) to arrange or check what the browser does."""
        session = requests.Session()
        reply = session.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=10,
        )
        reply.raise_for_status()
        session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        return session


def free_siret(server: Server, siret: str) -> None:
    """Delete the prospects holding ``siret``: one establishment is one record (a second
    save of it is a 409), and the scenarios share one server."""
    api = server.api()
    found = api.get(f"{server.base_url}/api/v1/prospects", params={"q": siret}, timeout=10)
    for prospect in found.json()["items"]:
        if prospect["siret"] == siret:
            api.delete(f"{server.base_url}/api/v1/prospects/{prospect['id']}", timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def sirene_fake() -> Iterator[FakeProvider]:
    """The local fake of the SIRENE providers that `carnet serve` is pointed at."""
    yield from running_fake_provider()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, sirene_fake: FakeProvider) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("portal") / "var"
    settings = load_settings(data_dir=data_dir, secret_key="portal-test-secret-" * 3)
    rt = embedded.runtime(settings)
    with rt.db.unit_of_work() as uow:
        users.create_user(
            uow.session, SELLER, SELLER_PASSWORD, rights.ALL_RIGHTS, hashing=TEST_HASHING
        )
        users.create_user(uow.session, JUNIOR, JUNIOR_PASSWORD, [], hashing=TEST_HASHING)
    demo.load(rt.db)  # the demo data set, as a new user gets it
    rt.db.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "CARNET_DATA_DIR": str(data_dir),
        "CARNET_SECRET_KEY": settings.secret_key or "",
        "CARNET_SIRENE_PROVIDER": "insee",
        "CARNET_SIRENE_INSEE_URL": f"{sirene_fake.url}/insee",
        "CARNET_SIRENE_INSEE_KEY": INSEE_KEY,
    }
    env.pop("CARNET_DATABASE_URL", None)
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "carnet.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"

    def state() -> str | None:
        if process.poll() is not None:
            return "exited"
        try:
            return "up" if requests.get(f"{base_url}/healthz", timeout=2).ok else None
        except (requests.ConnectionError, requests.Timeout):
            return None  # not listening yet, or slow to answer on a busy machine

    try:
        started = wait_until(state, 120, "carnet serve answers /healthz", interval=0.1)
    except WaitTimeoutError:
        started = "timed out"
    if started != "up":
        process.kill()
        pytest.fail(f"carnet serve did not start: {(data_dir / 'serve.log').read_text()}")
    yield Server(base_url, data_dir, process)
    process.terminate()
    # a graceful stop (the requests in flight, the outbox flush): a loaded machine is slower
    process.wait(timeout=60)
    log.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless; each context in it starts with an empty profile."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        unavailable("Chromium", FileNotFoundError(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def new_context(chromium: Any, **options: Any) -> Any:
    context = chromium.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", accept_downloads=True, **options
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture(scope="session")
def browser_context(chromium: Any) -> Iterator[Any]:
    context = new_context(chromium, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def open_portal(server: Server, context: Any) -> tuple[Any, list[str]]:
    """A new tab on the portal, signed in as the salesperson, and its script errors."""
    context.clear_cookies()
    tab = context.new_page()
    errors: list[str] = []  # script errors and CSP violations: a scenario ends with none
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    tab.goto(server.base_url + "/")
    sign_in(tab)
    return tab, errors


@pytest.fixture
def page(server: Server, browser_context: Any) -> Iterator[Any]:
    """A new tab on the portal, signed in as the salesperson."""
    tab, errors = open_portal(server, browser_context)
    yield tab
    tab.close()
    assert not errors, errors


@pytest.fixture(params=SIZES, ids=[size.name for size in SIZES])
def size(request: pytest.FixtureRequest) -> Size:
    """A phone (390 × 844, mobile emulation, touch) and a desktop (1366 × 768)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def sized_page(server: Server, chromium: Any, size: Size) -> Iterator[Any]:
    """The portal signed in, in a fresh browser context of the given size."""
    context = new_context(chromium, **size.context_options())
    tab, errors = open_portal(server, context)
    yield tab
    context.close()
    assert not errors, errors


def sign_in(tab: Any, username: str = SELLER, password: str = SELLER_PASSWORD) -> None:
    dialog = tab.get_by_role("dialog", name="Connexion")
    dialog.get_by_label("Identifiant").fill(username)
    dialog.get_by_label("Mot de passe").fill(password)
    dialog.get_by_role("button", name="Se connecter").click()
    dialog.wait_for(state="hidden")


def new_prospect(page: Any, name: str) -> int:
    page.get_by_role("link", name="Nouveau prospect").click()
    page.get_by_label("Nom d'appel").fill(name)
    page.get_by_role("button", name="Créer le prospect").click()
    expect(page.locator(".record-name")).to_have_text(name)
    match = re.search(r"#/prospects/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def drop_file(page: Any, selector: str, name: str, text: str) -> None:
    """Drop a file on an element, as the browser does when one is dragged from the desktop."""
    transfer = page.evaluate_handle(
        "([name, text]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([text], name, { type: 'text/plain' })); return dt; }",
        [name, text],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def busy_calendar_month(page: Any) -> Any:
    """The signature calendar (of the opportunities screen) moved on to the first month,
    this one or one of the next three, where something is to be signed; each month is
    drawn from its answer before it is looked at."""
    calendar = page.locator(".signature-calendar")
    expect(calendar.locator(".calendar-day").first).to_be_attached()  # this month, drawn
    for _ in range(3):  # the demo data signs over the next three months
        if calendar.locator(".calendar-day.busy").count():
            break
        with page.expect_response("**/api/v1/opportunities/signature-calendar?*") as month:
            calendar.get_by_role("button", name="Mois suivant ›").click()
        month.value.finished()
        settled(page)
    return calendar
