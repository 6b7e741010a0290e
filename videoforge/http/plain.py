"""PlainRoute: a FastAPI route, documented like any other, whose requests skip FastAPI's
per-request dependency solving and validation. For the hottest route only (a task's
status): solving cost more CPU than the route's Redis read and its body together."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class PlainRoute(APIRoute):
    """The endpoint is called with its path parameters, as strings, and `request`: it takes
    nothing else, checks its own key, and returns a Response. Dependencies are refused
    when the route is made, so none can be declared and then silently skipped."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        d = self.dependant
        if (
            d.dependencies
            or d.query_params
            or d.header_params
            or d.cookie_params
            or self.body_field
        ):
            raise TypeError(f"{path}: a PlainRoute takes path parameters and the request only")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            response: Response = await endpoint(request=request, **request.path_params)
            return response

        return handle
