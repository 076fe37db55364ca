"""What one edition may cost: render time, pages and output size (settings edition_*).

The time limit holds on every path: the render runs in a child process (forked, so
it starts at once with WeasyPrint already loaded) that is killed when its time is up,
whether the job runs inline (the embedded default, in the request's thread, where no
Celery limit applies) or on a worker, where the task's soft and hard time limits
(workers/editions.py) are the backstop. Killing a process, unlike interrupting a thread,
leaves nothing half done behind.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from config import Settings

T = TypeVar("T")


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
    """``render(*args)`` in a forked child, killed (EditionLimitError) after ``seconds``.
    What it raises is raised here; its result must pickle (bytes do).

    A plain fork, not multiprocessing: a Celery prefork worker is a daemonic process, which
    multiprocessing forbids to have children; this child never outlives the call."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, send, and leave without running any of the parent's code
        status = 1
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as out:
                out.write(_outcome(render, args))
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    try:
        data = _read_until(read_fd, time.monotonic() + seconds)
    finally:
        os.close(read_fd)
        os.kill(pid, signal.SIGKILL)  # over its time, or already done: reap it either way
        os.waitpid(pid, 0)
    if data is None:
        raise EditionLimitError(time_limit_message(seconds))
    if not data:
        raise RuntimeError("the render process ended without an answer")
    ok, value = pickle.loads(data)
    if ok:
        return cast(T, value)
    raise value


def _outcome(render: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    try:
        return pickle.dumps((True, render(*args)))
    except BaseException as exc:  # sent to the parent, which raises it
        try:
            return pickle.dumps((False, exc))
        except Exception:  # an exception that does not pickle: its words do
            return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child sends, or None if it is not all there by ``deadline``."""
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 1024 * 1024)
        if not chunk:
            return bytes(received)
        received += chunk


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
