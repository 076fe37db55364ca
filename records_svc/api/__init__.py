"""HTTP layer of the records service: thin blueprints (parse, call, serialise)."""
