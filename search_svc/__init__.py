"""The type-ahead search service: reads the search index, never the records database.

It verifies the records service's bearer tokens with the shared key and
checks them against the user's current state, which the records service
publishes to Redis (full stack) or shares in process (embedded); the index is
written by the indexing jobs (workers/indexing.py).
"""

from __future__ import annotations

from flask import Flask

import httpkit
from config import ConfigurationError, Settings, load_settings
from httpkit.openapi import Api
from httpkit.userstate import RedisUserStates, UserStates
from search_svc import api
from search_svc.backends import from_settings
from search_svc.backends.base import SearchBackend
from search_svc.fast import FastSearch


def create_app(
    settings: Settings | None = None,
    *,
    backend: SearchBackend | None = None,
    user_states: UserStates | None = None,
) -> Flask:
    """Assemble the search app over ``backend`` (by default the one the settings name).

    ``user_states`` gives users' current state; by default it is read from the Redis
    the records service publishes to. Run on its own with no Redis (development,
    benchmarks), the service trusts the rights a token carries.
    """
    settings = settings or load_settings()
    app = Flask("search_svc")
    app.config.update(
        **httpkit.api_config("Carnet search API"),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    services = api.SearchServices(
        backend=backend or from_settings(settings),
        secret_key=settings.resolved_secret_key(),
        user_states=user_states or _published_states(settings),
    )
    app.extensions["carnet.search"] = services
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
    # The type-ahead's successful searches are answered before Flask (search_svc.fast);
    # inside the proxy fix that httpkit.init_app may wrap around it.
    app.wsgi_app = FastSearch(  # type: ignore[method-assign]
        services, app.wsgi_app, hsts_seconds=settings.hsts_seconds
    )
    httpkit.init_app(app, settings)
    return app


def _published_states(settings: Settings) -> UserStates | None:
    url = settings.resolved_user_state_redis_url
    if url is None:
        if settings.mode == "full":
            raise ConfigurationError(
                "the search service needs CARNET_USER_STATE_REDIS_URL (or a redis:// broker)"
            )
        return None
    return UserStates(
        RedisUserStates.from_url(url, settings.user_state_redis_prefix),
        ttl_seconds=settings.user_state_cache_seconds,
    )
