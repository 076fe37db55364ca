"""What tasks need, built once per worker process from the settings."""

from __future__ import annotations

from functools import cached_property

from config import Settings
from records_svc.db import Database
from records_svc.files import FileStore
from records_svc.jobs import INDEX_EVENTS_TASK, JobQueue, NullJobQueue
from records_svc.sirene.service import SireneService, build_service
from search_svc.backends import from_settings
from search_svc.backends.base import SearchBackend


class WorkerContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: Set by create_celery: index events of writes made here are sent at once.
        self.jobs: JobQueue = NullJobQueue()

    @cached_property
    def db(self) -> Database:
        db = Database(
            self.settings.resolved_database_url,
            on_index_events=lambda ids: self.jobs.enqueue(INDEX_EVENTS_TASK, event_ids=ids),
        )
        db.files = self.files
        return db

    @cached_property
    def files(self) -> FileStore:
        return FileStore(self.settings.resolved_documents_dir)

    @cached_property
    def search(self) -> SearchBackend:
        return from_settings(self.settings)

    @cached_property
    def sirene(self) -> SireneService:
        """The SIRENE provider client, its shared quota and its result cache."""
        return build_service(self.settings)
