"""Web plumbing shared by the Carnet services: problem+json errors and bearer tokens.

Both records_svc and search_svc use it; it knows nothing of either.
"""
