"""flask-smorest's ``Api`` with an OpenAPI document built when it is first read.

flask-smorest documents each blueprint as it is registered: about 60 % of building the
records app goes into the document (apispec resolving every schema), which only
``/openapi.json`` reads. Here ``register_blueprint`` registers the routes at once and the
documentation of the registered blueprints when ``api.spec`` is first read, in the same
order, so the document is the same.
"""

from __future__ import annotations

import threading
from typing import Any

import flask_smorest
from apispec import APISpec


class Api(flask_smorest.Api):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> APISpec:
        """The OpenAPI document, completed with the blueprints registered since last read."""
        if self._undocumented:
            with self._documenting:
                while self._undocumented:
                    blp, name, parameters = self._undocumented.pop(0)
                    blp.register_views_in_doc(
                        self, self._app, self._spec, name=name, parameters=parameters
                    )
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:
        self._spec = value

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's register_blueprint, with the documentation left for later."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
