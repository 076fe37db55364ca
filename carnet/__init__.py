"""The ``carnet`` command and the embedded composition. Nothing imports this package."""
