"""docker-compose.yml and .env.example, checked against the code (no Docker engine here)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from carnet.cli import main as carnet_main
from config import Settings

ROOT = Path(__file__).resolve().parents[2]
#: variables of the third-party images, documented by them
THIRD_PARTY = re.compile(
    r"^(POSTGRES_[A-Z_]+|ES_JAVA_OPTS|FLOWER_[A-Z_]+|discovery\.type|xpack\.security\.enabled"
    r"|RECORDS_PORT|SEARCH_PORT|PORTAL_PORT)$"
)
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def celery_app_facts() -> dict[str, Any]:
    """What ``celery -A workers.worker`` loads: imported in a child process, as Celery does,
    since the entry module reads the environment and sets up logging when imported."""
    code = (
        "import json, workers.worker as w;"
        "print(json.dumps({'queues': [q.name for q in w.app.conf.task_queues],"
        " 'tasks': sorted(w.app.tasks)}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


def _known_variable(name: str) -> bool:
    if name.startswith("CARNET_"):
        return name.removeprefix("CARNET_").lower() in Settings.model_fields
    return bool(THIRD_PARTY.match(name))


def test_every_environment_variable_is_a_setting_or_documented(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for variable in service.get("environment") or {}:
            assert _known_variable(variable), f"{name}: unknown variable {variable}"
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in INTERPOLATION.findall(text):
        assert _known_variable(variable), f"interpolated variable {variable} is unknown"


def test_env_example_lists_known_variables_and_every_required_one() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if line.strip() and not line.startswith("#")
    }
    for variable in listed:
        assert _known_variable(variable), f".env.example: unknown variable {variable}"
    required = re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text())
    assert set(required) <= listed


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        # a release (postgres numbers its releases major.minor), never a moving tag
        assert re.match(r"^\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$", tag), f"{name}: {image} moves"
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            image = line.split()[1]
            assert re.search(r":\d+\.\d+\.\d+-", image), f"Dockerfile: {image} is not pinned"


def _option(command: list[str], *names: str) -> str | None:
    for i, arg in enumerate(command):
        for name in names:
            if arg == name and i + 1 < len(command):
                return command[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _check_gunicorn(command: list[str]) -> None:
    config = _option(command, "--config", "-c")
    assert config and config.startswith("python:")
    importlib.import_module(config.removeprefix("python:"))
    target = command[-1]
    module, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module), attribute.removesuffix("()"))
    assert callable(factory)


def _check_celery(command: list[str], facts: dict[str, Any]) -> None:
    assert _option(command, "-A", "--app") == "workers.worker"
    verb = next(a for a in command[1:] if a in ("worker", "beat", "flower"))
    if verb == "worker":
        queues = (_option(command, "--queues", "-Q") or "").split(",")
        assert queues and set(queues) <= set(facts["queues"]), queues
        assert facts["tasks"]


def _check_carnet(command: list[str]) -> None:
    group: Any = carnet_main
    for word in command[1:]:
        group = group.get_command(None, word)  # type: ignore[arg-type]
        assert group is not None, f"no carnet command {' '.join(command)}"


def test_every_command_names_a_real_entry_point(
    compose: dict[str, Any], celery_app_facts: dict[str, Any]
) -> None:
    seen = set()
    for name, service in compose["services"].items():
        command = service.get("command")
        if not service.get("build"):
            continue  # third-party images run their own entry point
        assert isinstance(command, list), f"{name}: command must be an exec list"
        program = command[0]
        seen.add(program)
        if program == "gunicorn":
            _check_gunicorn(command)
        elif program == "celery":
            _check_celery(command, celery_app_facts)
        elif program == "carnet":
            _check_carnet(command)
        else:
            pytest.fail(f"{name}: unknown program {program}")
    assert seen == {"gunicorn", "celery", "carnet"}


def test_one_worker_per_queue_and_the_stack_services(
    compose: dict[str, Any], celery_app_facts: dict[str, Any]
) -> None:
    services = compose["services"]
    workers = {
        _option(s["command"], "--queues"): n
        for n, s in services.items()
        if s.get("command") and "worker" in s["command"]
    }
    assert set(workers) == set(celery_app_facts["queues"])
    assert set(workers) == {"indexing", "sirene", "editions", "maintenance"}
    for needed in ("postgres", "redis", "elasticsearch", "migrate", "records", "search"):
        assert needed in services
    assert {"beat", "flower"} <= set(services)
    for web in ("records", "search"):
        assert "readyz" in " ".join(services[web]["healthcheck"]["test"])
    assert set(compose["volumes"]) >= {"postgres", "elasticsearch", "documents"}


def test_the_gateway_puts_the_portal_and_both_apis_on_one_origin(compose: dict[str, Any]) -> None:
    services = compose["services"]
    mount = next(v for v in services["gateway"]["volumes"] if "gateway.conf" in v)
    config = (ROOT / mount.split(":")[0]).read_text()
    routes = dict(
        re.findall(r"location (?:= )?(\S+) \{\s*proxy_pass http://([a-z]+):8000;", config)
    )
    assert routes == {
        "/api/v1/search": "search",
        "/api/v1/": "records",
        "/openapi.json": "records",
        "/": "portal",
    }
    assert all(target in services for target in routes.values())
    assert "carnet.wsgi:portal()" in services["portal"]["command"]


def test_the_web_services_trust_the_gateway_for_https(compose: dict[str, Any]) -> None:
    """Behind HTTPS the session cookie is Secure and HSTS is sent: the services believe
    exactly the one proxy in front of them, which passes on the scheme and the address."""
    services = compose["services"]
    for web in ("records", "search", "portal"):
        assert services[web]["environment"]["CARNET_TRUSTED_PROXIES"] == (
            "${CARNET_TRUSTED_PROXIES:-1}"
        )
    mount = next(v for v in services["gateway"]["volumes"] if "gateway.conf" in v)
    config = (ROOT / mount.split(":")[0]).read_text()
    headers = dict(re.findall(r"proxy_set_header (X-Forwarded-[A-Za-z]+) (\S+);", config))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    proto = headers["X-Forwarded-Proto"]
    assert proto == "$scheme" or re.search(
        r"map \$http_x_forwarded_proto " + re.escape(proto) + r" \{[^}]*default +\$scheme;",
        config,
    )
    assert "CARNET_TRUSTED_PROXIES=1" in (ROOT / ".env.example").read_text()
