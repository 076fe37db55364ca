"""What one edition may cost: render time, pages and output size (settings edition_*).

The time limit holds on every path: the render runs in a child process (forked, so
it starts at once with WeasyPrint already loaded) that is killed when its time is up,
whether the job runs inline (the embedded default, in the request's thread, where no
Celery limit applies) or on a worker, where the task's soft and hard time limits
(workers/editions.py) are the backstop. Killing a process, unlike interrupting a thread,
leaves nothing half done behind.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from config import Settings

T = TypeVar("T")
_FORK = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class EditionLimits:
    seconds: float = 60.0
    pages: int = 500
    output_bytes: int = 25 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> EditionLimits:
        return cls(
            seconds=settings.edition_render_seconds,
            pages=settings.edition_max_pages,
            output_bytes=settings.edition_max_output_bytes,
        )


class EditionLimitError(Exception):
    """An edition over one of its limits; the message is the job's (French) error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def time_limit_message(seconds: float) -> str:
    return f"L'édition a dépassé la durée de rendu autorisée ({seconds:g} s) : elle est abandonnée."


def within(seconds: float, render: Callable[..., T], *args: Any) -> T:
    """``render(*args)`` in a child process, killed (EditionLimitError) after ``seconds``.
    What it raises is raised here; its result must pickle (bytes do)."""
    receiver, sender = _FORK.Pipe(duplex=False)
    child = _FORK.Process(target=_run, args=(sender, render, args), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise EditionLimitError(time_limit_message(seconds))
        ok, value = receiver.recv()
    except EOFError:
        raise RuntimeError(f"the render process ended abnormally ({child.exitcode})") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if ok:
        return cast(T, value)
    raise value


def _run(sender: Connection, render: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        outcome: tuple[bool, Any] = (True, render(*args))
    except BaseException as exc:  # sent to the parent, which raises it
        outcome = (False, exc)
    try:
        sender.send(outcome)
    except Exception as exc:  # an exception that does not pickle: its words do
        sender.send((False, RuntimeError(f"{type(exc).__name__}: {outcome[1]}")))
    sender.close()


def check_output(data: bytes, limits: EditionLimits) -> None:
    if len(data) > limits.output_bytes:
        raise EditionLimitError(
            f"Le fichier produit ({len(data)} octets) dépasse la taille autorisée "
            f"({limits.output_bytes} octets)."
        )


def check_pages(count: int, max_pages: int) -> None:
    if count > max_pages:
        raise EditionLimitError(
            f"L'édition compte {count} pages, plus que les {max_pages} autorisées."
        )
