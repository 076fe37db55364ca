"""The type-ahead search service: reads the search index, never the records database.

It verifies the records service's bearer tokens with the shared key; the
index is written by the indexing jobs (workers/indexing.py).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

import httpkit
from config import Settings, load_settings
from search_svc import api
from search_svc.backends import from_settings
from search_svc.backends.base import SearchBackend


def create_app(settings: Settings | None = None, *, backend: SearchBackend | None = None) -> Flask:
    """Assemble the search app over ``backend`` (by default the one the settings name)."""
    settings = settings or load_settings()
    app = Flask("search_svc")
    app.config.update(
        **httpkit.api_config("Carnet search API"),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["carnet.search"] = api.Services(
        backend=backend or from_settings(settings), secret_key=settings.resolved_secret_key()
    )
    spec = Api(app)
    spec.register_blueprint(api.blp)
    # Mounted beside the records API (carnet serve), its document is also under /api/v1/search.
    app.add_url_rule(
        f"{api.PATH}/openapi.json",
        "openapi_search",
        lambda: app.response_class(
            app.json.dumps(spec.spec.to_dict()), mimetype="application/json"
        ),
    )
    httpkit.init_app(app, settings)
    return app
