"""The records service: accounts, contacts, field library, users and rights, ERP sync.

It writes; it never searches. Each change that search shows leaves an outbox
row (IndexEvent) in the same transaction; after commit the ids of those rows
go to the job queue that the composition injects.
"""

from __future__ import annotations

from flask import Flask, Response

import httpkit
from config import Settings, load_settings
from httpkit import problems
from httpkit.openapi import Api
from httpkit.userstate import UserStates
from records_svc import composition, throttle
from records_svc.api import (
    accounts,
    auth,
    contacts,
    day,
    documents,
    duplicates,
    editions,
    exports,
    fields,
    health,
    history,
    imports,
    jobs,
    sirene,
    sync,
)
from records_svc.api import actions as actions_api
from records_svc.api import idempotency as idempotency_api
from records_svc.api import opportunities as opportunities_api
from records_svc.api.common import RecordsServices
from records_svc.api.converters import IdConverter
from records_svc.db import Database
from records_svc.domain.errors import DomainError
from records_svc.job_queue import JobQueue, NullJobQueue
from records_svc.userstates import user_states_for

BLUEPRINTS = (
    health.blp,
    auth.blp,
    accounts.blp,
    contacts.blp,
    fields.blp,
    sync.blp,
    jobs.blp,
    documents.blp,
    editions.blp,
    opportunities_api.blp,
    actions_api.blp,
    sirene.blp,
    day.blp,
    history.blp,
    duplicates.blp,
    imports.blp,
    exports.blp,
)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    job_queue: JobQueue | None = None,
    user_states: UserStates | None = None,
) -> Flask:
    """Assemble the records app; ``job_queue`` receives its jobs.

    ``database`` is built by ``records_svc.composition`` (its index events go to the
    queue it was built with); by default one is built here over ``job_queue``.

    ``user_states`` reads users' current state (shared with the search app when both
    run in one process); by default over ``database``, published to Redis if configured.
    """
    settings = settings or load_settings()
    app = Flask("records_svc")
    app.config.update(
        **httpkit.api_config("Carnet records API"),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    queue: JobQueue = job_queue or NullJobQueue()
    if database is None:
        db = composition.records_database(settings, queue)
    elif composition.is_assembled(database):
        db = database
    else:
        raise ValueError(
            "the records app needs a database built by records_svc.composition "
            "(records_database): it carries the caller's policy, history actor and files"
        )
    app.extensions["carnet.records"] = RecordsServices(
        settings=settings,
        db=db,
        secret_key=settings.resolved_secret_key(),
        jobs=queue,
        user_states=user_states or user_states_for(settings, db),
    )
    app.url_map.converters["id"] = IdConverter
    api = Api(app)
    api.register_converter(IdConverter, IdConverter.openapi_schema)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.add_url_rule(
        "/api/v1/openapi.json",
        "openapi_api",
        lambda: app.response_class(app.json.dumps(api.spec.to_dict()), mimetype="application/json"),
    )
    httpkit.init_app(app, settings)
    throttle.init_app(app, settings)
    idempotency_api.init_app(app)  # after the request id: a replay carries its own

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return problems.problem_response(
            error.status, error.detail, errors=error.errors, **error.extra
        )

    return app
