"""SIRENE auto-fill: company look-ups by SIREN/SIRET through INSEE or Recherche d'entreprises.

``service`` (number → look-up: cache, quota, provider), ``providers`` (the two APIs),
``mapping`` (what a record receives), ``jobs`` (look-ups as jobs on the ``sirene`` queue).
"""
