"""The ``carnet`` command (section 9 of the architecture)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from sqlalchemy.orm import Session

from carnet import cli_documents
from carnet.bench.cli import bench as bench_group
from carnet.cli_backup import backup_command, restore_command
from carnet.cli_gdpr import gdpr as gdpr_group
from carnet.cli_import import import_command
from carnet.cli_runtime import command_runtime, command_settings, fail
from carnet.cli_search import search as search_group
from carnet.cli_stack import stack as stack_group
from config import ConfigurationError
from records_svc.domain import rights as rights_mod
from records_svc.domain import users as users_domain
from records_svc.domain.errors import DomainError
from records_svc.domain.models import User


@click.group()
def main() -> None:
    """Carnet: the address book of a field sales team."""


for _command in (
    cli_documents.documents,
    cli_documents.templates,
    backup_command,
    restore_command,
    search_group,
    stack_group,
    bench_group,
    gdpr_group,
    import_command,
):
    main.add_command(_command)


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

    settings = command_settings()
    try:
        settings.refuse_test_only_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    rt = command_runtime(upgrade=settings.resolved_database_url.startswith("sqlite"))
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
    settings = command_settings()
    command_runtime(upgrade=True).close()
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
    rt = command_runtime()
    if password is None:
        password = _read_password()
    try:
        with rt.db.unit_of_work() as uow:
            user = users_domain.create_user(
                uow.session,
                username,
                password,
                granted,
                display_name=display_name,
                hashing=rt.settings.password_hashing,
            )
            click.echo(f"created {_user_line(user)}")
    except DomainError as exc:
        fail(exc)


@users.command("list")
def users_list() -> None:
    """List users, their state and rights."""
    rt = command_runtime()
    with rt.db.read() as session:
        for user in users_domain.list_users(session):
            click.echo(_user_line(user))


def _change(change: Callable[[Session], User]) -> None:
    """Apply a change to a user, then tell the services (Redis in the full stack)."""
    from records_svc.userstates import DatabaseUserStates, publisher_for

    settings = command_settings()
    rt = command_runtime()
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
        fail(exc)
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
    hashing = command_settings().password_hashing
    _change(lambda session: users_domain.set_password(session, username, password, hashing=hashing))


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--count", default=300, show_default=True, help="How many accounts.")
def demo_load(count: int) -> None:
    """Load a realistic French data set (prospects, clients, contacts)."""
    from carnet import demo as demo_mod
    from carnet import embedded

    rt = command_runtime()
    password = embedded.ensure_admin(rt)
    if password:
        click.echo(f"Created user 'admin' with every right, password: {password} (shown once)")
    totals = demo_mod.load(rt.db, count=count)
    click.echo(", ".join(f"{value} {key.replace('_', ' ')}" for key, value in totals.items()))
    click.echo(cli_documents.install_defaults(rt))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
