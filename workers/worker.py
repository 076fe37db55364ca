"""The worker's entry module: ``celery -A workers.worker worker -Q indexing``.

The only module of workers/ that reads the environment (through the settings).
"""

from __future__ import annotations

from config import load_settings
from workers.celery_app import create_celery

app = create_celery(load_settings())
