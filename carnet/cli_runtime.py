"""What every ``carnet`` subcommand shares: its settings, its runtime, its errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import click

from config import ConfigurationError, Settings, load_settings

if TYPE_CHECKING:
    from carnet.embedded import Runtime


def command_settings() -> Settings:
    """The settings (the environment); a bad one is a one-line error."""
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def command_runtime(*, upgrade: bool = False) -> Runtime:
    """The runtime of a command; a database not at this release's schema is refused
    (only ``carnet db upgrade`` and ``carnet serve`` on SQLite pass ``upgrade``)."""
    from carnet import embedded
    from records_svc.migrate import SchemaOutOfDateError

    try:
        return embedded.runtime(command_settings(), upgrade=upgrade)
    except (ConfigurationError, SchemaOutOfDateError) as exc:
        raise click.ClickException(str(exc)) from exc


def fail(error: Exception) -> NoReturn:
    """A domain error as the command's error (its detail, then each field's message)."""
    detail = getattr(error, "detail", str(error))
    for item in getattr(error, "errors", []) or []:
        detail += f"\n  {item['field']}: {item['message']}"
    raise click.ClickException(detail)
