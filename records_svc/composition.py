"""What a Carnet process is built from, built once from the settings and never patched.

Every process (the records web app, a Celery worker, ``carnet serve``, the command line)
gets its records database here, with its hooks given at construction:

- **who enqueues the index events**: after a unit of work commits, the ids of the outbox
  rows it wrote (``domain/search_changes.py`` decides which) go to the process's job
  queue as one ``INDEX_EVENTS_TASK`` (``index_events_to``); the indexing worker
  (workers/indexing.py) applies them, the sweep replays what never got there;
- whose access policy a session carries and whom the history names: the signed-in
  caller's inside a request of the records app, the system's everywhere else;
- where document files live.

The worker process's Celery app and these components are assembled together in
``workers.celery_app.create_celery``; the web process in ``carnet.wsgi`` and
``carnet.embedded``, both from here.
"""

from __future__ import annotations

from functools import cached_property

from config import Settings
from records_svc.api.common import request_actor, request_policy
from records_svc.db import Database, OnIndexEvents
from records_svc.files import FileStore
from records_svc.job_queue import INDEX_EVENTS_TASK, JobQueue
from records_svc.sirene.service import SireneService, build_service
from search_svc.backends import from_settings
from search_svc.backends.base import SearchBackend


def index_events_to(jobs: JobQueue) -> OnIndexEvents:
    """The outbox rows a commit wrote, sent as one indexing job."""

    def enqueue(event_ids: list[int]) -> object:
        return jobs.enqueue(INDEX_EVENTS_TASK, event_ids=event_ids)

    return enqueue


def records_database(settings: Settings, jobs: JobQueue, *, url: str | None = None) -> Database:
    """The records database of a process (``url``: another than the settings')."""
    return Database(
        url or settings.resolved_database_url,
        on_index_events=index_events_to(jobs),
        files=FileStore(settings.resolved_documents_dir),
        current_policy=request_policy,
        current_actor=request_actor,
    )


def is_assembled(database: Database) -> bool:
    """Whether ``database`` was built here (the records app refuses any other)."""
    return database.current_policy is request_policy and database.files is not None


class Components:
    """A process's parts: settings, job queue, records database, document store, search
    backend, SIRENE service (the last two made on first use)."""

    def __init__(self, settings: Settings, jobs: JobQueue) -> None:
        self.settings = settings
        #: where this process's jobs go (index events of its writes included)
        self.jobs = jobs

    @cached_property
    def db(self) -> Database:
        return records_database(self.settings, self.jobs)

    @property
    def files(self) -> FileStore:
        assert self.db.files is not None  # records_database always gives one
        return self.db.files

    @cached_property
    def search(self) -> SearchBackend:
        return from_settings(self.settings)

    @cached_property
    def sirene(self) -> SireneService:
        """The SIRENE provider client, its shared quota and its result cache."""
        return build_service(self.settings)


def build_records(settings: Settings, jobs: JobQueue) -> Components:
    """The components of a process whose jobs go to ``jobs``."""
    return Components(settings, jobs)
