"""The status route's hot path as data: RESP commands and logins (jobs.pipelined), the
PlainRoute rules (http.plain), and the collector settings of an API process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from videoforge.http.plain import PlainRoute
from videoforge.jobs.pipelined import PipelinedRedis, command_bytes, login_commands
from videoforge.runtime.serve import GC_YOUNG_THRESHOLD, settle_heap


def test_commands_are_resp_arrays_of_bulk_strings() -> None:
    assert command_bytes("HGETALL", "videoforge:job:é") == (
        b"*2\r\n$7\r\nHGETALL\r\n$17\r\nvideoforge:job:\xc3\xa9\r\n"
    )
    assert command_bytes(b"\r\n", 12) == b"*2\r\n$2\r\n\r\n\r\n$2\r\n12\r\n"


@pytest.mark.parametrize(
    ("url", "commands"),
    [
        ("redis://127.0.0.1:6379/0", ()),
        ("redis://127.0.0.1:6379", ()),
        ("redis://:pw@host:1/2", (("AUTH", "pw"), ("SELECT", "2"))),
        ("redis://user:p%40ss%20w@host/0", (("AUTH", "user", "p@ss w"),)),
        ("unix:///run/valkey.sock?db=3", (("SELECT", "3"),)),
        ("unix://:pw@/run/valkey.sock", (("AUTH", "pw"),)),
    ],
)
def test_logins_follow_the_url(url: str, commands: tuple[tuple[str, ...], ...]) -> None:
    assert login_commands(url) == commands


def test_tls_urls_are_left_to_redis_py() -> None:
    with pytest.raises(ValueError, match="not a redis or unix URL"):
        PipelinedRedis("rediss://host:6380/0", timeout_s=1, connect_timeout_s=1, attempts=1)


def plain_app() -> FastAPI:
    app = FastAPI()

    async def item(item_id: str, request: Request) -> JSONResponse:
        return JSONResponse({"item_id": item_id, "path": request.url.path})

    router = APIRouter(route_class=PlainRoute)
    router.add_api_route("/items/{item_id}", item, methods=["GET"])
    app.include_router(router)
    return app


def test_a_plain_route_answers_with_its_path_parameters_and_is_documented() -> None:
    app = plain_app()

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/items/a%20b")

    assert asyncio.run(get()).json() == {"item_id": "a b", "path": "/items/a b"}
    parameters = app.openapi()["paths"]["/items/{item_id}"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("item_id", "path")]


def key(request: Request) -> str:
    return request.headers.get("x-api-key", "")


async def with_dependency(item_id: str, request: Request, k: Annotated[str, Depends(key)]) -> None:
    raise AssertionError("never called")


async def with_query(item_id: str, request: Request, limit: int = 1) -> None:
    raise AssertionError("never called")


async def with_header(
    item_id: str, request: Request, x_key: Annotated[str | None, Header()] = None
) -> None:
    raise AssertionError("never called")


@pytest.mark.parametrize("endpoint", [with_dependency, with_query, with_header])
def test_a_plain_route_refuses_what_it_would_skip(endpoint: Callable[..., Any]) -> None:
    with pytest.raises(TypeError, match="path parameters and the request only"):
        APIRouter(route_class=PlainRoute).add_api_route("/items/{item_id}", endpoint)


def test_a_plain_route_refuses_its_router_s_dependencies() -> None:
    async def item(item_id: str, request: Request) -> None:
        raise AssertionError("never called")

    router = APIRouter(route_class=PlainRoute, dependencies=[Depends(key)])
    with pytest.raises(TypeError, match="path parameters and the request only"):
        router.add_api_route("/items/{item_id}", item)


def test_settle_heap_freezes_what_start_up_made() -> None:
    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 1000
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
