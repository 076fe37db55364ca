"""The ``carnet`` command (section 9 of the architecture)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import click
from sqlalchemy.orm import Session

from config import ConfigurationError, Settings, load_settings
from records_svc.domain import rights as rights_mod
from records_svc.domain import users as users_domain
from records_svc.domain.errors import DomainError
from records_svc.domain.models import User

if TYPE_CHECKING:
    from carnet.embedded import Runtime


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def _runtime(*, upgrade: bool = False) -> Runtime:
    """The runtime of a command; a database not at this release's schema is refused
    (only ``carnet db upgrade`` and ``carnet serve`` on SQLite pass ``upgrade``)."""
    from carnet import embedded
    from records_svc.migrate import SchemaOutOfDateError

    try:
        return embedded.runtime(_settings(), upgrade=upgrade)
    except (ConfigurationError, SchemaOutOfDateError) as exc:
        raise click.ClickException(str(exc)) from exc


def _fail(error: Exception) -> NoReturn:
    detail = getattr(error, "detail", str(error))
    for item in getattr(error, "errors", []) or []:
        detail += f"\n  {item['field']}: {item['message']}"
    raise click.ClickException(detail)


@click.group()
def main() -> None:
    """Carnet: the address book of a field sales team."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--admin-password", default=None, help="Password of the first admin (first run).")
@click.option("--access-log", is_flag=True, help="Log every request (one line each).")
def serve(host: str, port: int, admin_password: str | None, access_log: bool) -> None:
    """Run records and search in one process (the embedded default).

    The embedded SQLite database is created or migrated at start; SIGTERM stops
    the server gracefully (requests in flight finish first).
    """
    from carnet import embedded
    from carnet.server import EmbeddedServer

    settings = _settings()
    rt = _runtime(upgrade=settings.resolved_database_url.startswith("sqlite"))
    try:
        password = embedded.ensure_admin(rt, admin_password)
    finally:
        rt.close()  # the server's worker process opens its own connections
    click.echo(f"Carnet data in {settings.data_dir.resolve()}")
    if password:
        shown = "(the one you gave)" if admin_password else password
        click.echo(f"First run: created user 'admin' with every right, password: {shown}")
        click.echo("Keep it now; it is not shown again.")
    base = f"http://{host}:{port}"
    click.echo(f"Carnet listens on {base} ({settings.serve_threads} threads)")
    click.echo(
        f"Sign in: curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' "
        '-d \'{"username": "admin", "password": "…"}\''
    )
    sys.stdout.flush()
    EmbeddedServer(settings, host, port, access_log=access_log).run()


@main.group()
def db() -> None:
    """The records database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    settings = _settings()
    _runtime(upgrade=True).close()
    click.echo(f"Database at {settings.resolved_database_url.split('@')[-1]} is up to date.")


@main.group()
def users() -> None:
    """Users and their rights."""


def _user_line(user: object) -> str:
    state = "disabled" if getattr(user, "disabled", False) else "active"
    granted = ", ".join(getattr(user, "right_names", [])) or "-"
    return f"{user.username:<20} {state:<8} {granted}"  # type: ignore[attr-defined]


def _read_password() -> str:
    """A password typed twice at a terminal, or the first line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users.command("create")
@click.argument("username")
@click.option(
    "--password",
    default=None,
    help="At least 8 characters. Visible to other local users (ps): prefer the prompt "
    "or standard input.",
)
@click.option("--right", "granted", multiple=True, help="A right name or ERP code; repeatable.")
@click.option("--display-name", default=None, help="The name owner pickers show (Alice Martin).")
def users_create(
    username: str, password: str | None, granted: tuple[str, ...], display_name: str | None
) -> None:
    """Create a user (the password is prompted for, or read from standard input)."""
    rt = _runtime()
    if password is None:
        password = _read_password()
    try:
        with rt.db.unit_of_work() as uow:
            user = users_domain.create_user(
                uow.session, username, password, granted, display_name=display_name
            )
            click.echo(f"created {_user_line(user)}")
    except DomainError as exc:
        _fail(exc)


@users.command("list")
def users_list() -> None:
    """List users, their state and rights."""
    rt = _runtime()
    with rt.db.read() as session:
        for user in users_domain.list_users(session):
            click.echo(_user_line(user))


def _change(change: Callable[[Session], User]) -> None:
    """Apply a change to a user, then tell the services (Redis in the full stack)."""
    from records_svc.userstates import DatabaseUserStates, publisher_for

    settings = _settings()
    rt = _runtime()
    publisher = publisher_for(settings)
    try:
        with rt.db.unit_of_work() as uow:
            user = change(uow.session)
            user_id = user.id
            click.echo(_user_line(user))
        with rt.db.read() as session:
            state = users_domain.state_of(session, user_id)
        if state is not None and not DatabaseUserStates(rt.db, publisher).publish(state):
            click.echo(
                "warning: the search service could not be told (Redis unreachable); it "
                "follows once the user next reaches the records service.",
                err=True,
            )
    except (DomainError, rights_mod.UnknownRightError) as exc:
        _fail(exc)
    finally:
        if publisher is not None:
            publisher.close()
        rt.close()


@users.command("grant")
@click.argument("username")
@click.argument("right")
def users_grant(username: str, right: str) -> None:
    """Grant a right (name or ERP code) to a user."""
    _change(lambda session: users_domain.grant(session, username, right))


@users.command("revoke")
@click.argument("username")
@click.argument("right")
def users_revoke(username: str, right: str) -> None:
    """Revoke a right from a user."""
    _change(lambda session: users_domain.revoke(session, username, right))


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: sign-in and current tokens stop working."""
    _change(lambda session: users_domain.set_disabled(session, username, True))


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled user again."""
    _change(lambda session: users_domain.set_disabled(session, username, False))


@users.command("set-password")
@click.argument("username")
def users_set_password(username: str) -> None:
    """Set a user's password (prompted for, or read from standard input); sessions end."""
    password = _read_password()
    _change(lambda session: users_domain.set_password(session, username, password))


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--count", default=300, show_default=True, help="How many accounts.")
def demo_load(count: int) -> None:
    """Load a realistic French data set (prospects, clients, contacts)."""
    from carnet import demo as demo_mod
    from carnet import embedded

    rt = _runtime()
    password = embedded.ensure_admin(rt)
    if password:
        click.echo(f"Created user 'admin' with every right, password: {password} (shown once)")
    totals = demo_mod.load(rt.db, count=count)
    click.echo(", ".join(f"{value} {key.replace('_', ' ')}" for key, value in totals.items()))
    click.echo(cli_documents.install_defaults(rt))


from carnet import cli_documents  # noqa: E402

main.add_command(cli_documents.documents)
main.add_command(cli_documents.templates)
from carnet.cli_backup import backup_command, restore_command  # noqa: E402
from carnet.cli_search import search as _search_group  # noqa: E402

main.add_command(backup_command)
main.add_command(restore_command)

main.add_command(_search_group)
from carnet.cli_stack import stack as _stack_group  # noqa: E402

main.add_command(_stack_group)
from carnet.bench.cli import bench as _bench_group  # noqa: E402
from carnet.cli_gdpr import gdpr as _gdpr_group  # noqa: E402
from carnet.cli_import import import_command  # noqa: E402

main.add_command(_bench_group)
main.add_command(_gdpr_group)
main.add_command(import_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
