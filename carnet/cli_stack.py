"""``carnet stack up|down|status``: the full stack as processes on this machine."""

from __future__ import annotations

import click

from config import ConfigurationError, load_settings


@click.group()
def stack() -> None:
    """The full stack without Docker: gunicorn, Celery workers, beat and Flower."""


@stack.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--records-port", default=8001, show_default=True, type=int)
@click.option("--search-port", default=8002, show_default=True, type=int)
@click.option("--flower-port", default=5555, show_default=True, type=int)
@click.option("--timeout", default=90.0, show_default=True, help="Seconds to wait for readiness.")
def stack_up(
    host: str, records_port: int, search_port: int, flower_port: int, timeout: float
) -> None:
    """Start the supervisor and every process; return once all of them answer.

    The database must be migrated first (`carnet db upgrade`). A process that dies
    is restarted (with back-off) until `carnet stack down`.
    """
    from carnet import stack as stack_mod

    ports = stack_mod.Ports(host, records_port, search_port, flower_port)
    try:
        state = stack_mod.up(load_settings(), ports, timeout=timeout, say=click.echo)
    except (ConfigurationError, stack_mod.StackError) as exc:
        raise click.ClickException(str(exc)) from exc
    for name, url in state.urls.items():
        click.echo(f"{name}: {url}")


@stack.command("down")
def stack_down() -> None:
    """Stop exactly the processes `carnet stack up` started, gracefully (warm shutdown)."""
    from carnet import stack as stack_mod

    try:
        stopped = stack_mod.down(load_settings(), say=click.echo)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    if not stopped:
        click.echo("nothing to stop")


@stack.command("status")
def stack_status() -> None:
    """Each process of the stack and whether it runs; exit status 1 if one does not."""
    from carnet import stack as stack_mod

    rows = stack_mod.status(load_settings())
    for process, running in rows:
        click.echo(f"{process.name:<18} {'running' if running else 'stopped':<8} pid {process.pid}")
    if not rows or not all(running for _, running in rows):
        raise SystemExit(1)
