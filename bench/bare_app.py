"""P5's baseline: a bare FastAPI app with one `async def` route at the path of a task status,
answering a fixed JSON body (a real task status, read from a file), served by uvicorn in one
process exactly as `videoforge serve` serves its API (videoforge/runtime/serve.py's
uvicorn_config and settle_heap: the same loop, HTTP implementation and collector settings, its
access log going through the same logging set-up).

    python bench/bare_app.py --port 8100 --body status.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from videoforge.runtime.logs import configure_logging
from videoforge.runtime.serve import settle_heap, uvicorn_config
from videoforge.runtime.wiring import load_settings


def create_app(body: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/videos/task/{task_id}")
    async def task_status(task_id: str) -> JSONResponse:
        return JSONResponse({**body, "task_id": task_id})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="JSON file: the answer")
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings)
    app = create_app(json.loads(args.body.read_text()))
    settle_heap()
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", args.port)).run()


if __name__ == "__main__":
    main()
