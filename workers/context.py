"""What tasks need, built once per worker process from the settings."""

from __future__ import annotations

from functools import cached_property

from config import Settings
from records_svc.db import Database
from records_svc.sirene.service import SireneService, build_service


class WorkerContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.resolved_database_url)

    @cached_property
    def sirene(self) -> SireneService:
        """The SIRENE provider client, its shared quota and its result cache."""
        return build_service(self.settings)
