"""Entry point for `celery -A videoforge.worker worker`: the app, configured from env.

It loads the pipeline, Celery, Redis, boto3 and ffmpeg knowledge; never FastAPI, uvicorn,
rich or typer (a test checks)."""

from __future__ import annotations

from videoforge.jobs.celery_app import create_celery
from videoforge.runtime import wiring

settings = wiring.require_redis(wiring.load_settings())
app = create_celery(settings, wiring.build_engine)
celery = app
