"""Entry point for `celery -A videoforge.worker worker`: the app, configured from env."""

from __future__ import annotations

from videoforge import wiring
from videoforge.jobs.celery_app import create_celery

settings = wiring.load_settings()
app = create_celery(wiring.require_redis(settings))
celery = app
