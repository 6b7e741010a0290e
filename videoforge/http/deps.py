"""What every router depends on: the process's Services, and the API-key check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from videoforge.engine import Services
from videoforge.errors import Unauthorized
from videoforge.http.schemas import ErrorBody


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# Paging of the listings.
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]

# The error answers routes document; each is `{"detail": ...}` (see app.py's handler).
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 409, 413, 415, 422, 503)
}


def presented_key(request: Request) -> str | None:
    """The API key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key")


def authorize(request: Request, services: ServicesDep) -> None:
    """Let the request through if keys are not required, or it carries a valid key."""
    if not services.auth_required:
        return
    key = presented_key(request)
    if key and services.keys.verify(key):
        return
    raise Unauthorized("an API key is required: send Authorization: Bearer <key> or X-API-Key")
