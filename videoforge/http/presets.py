"""Routes for presets: save (a new version each time), list, show (`name` or `name@2`) and
delete; and how a transcode request that names a preset becomes an order."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from videoforge.engine import Services
from videoforge.errors import InvalidRequest
from videoforge.http.deps import ERRORS, ServicesDep, authorize
from videoforge.http.orders import TranscodeRequest
from videoforge.jobs.presets import MAX_NAME_CHARS, Preset, check_name, merged, parse_ref
from videoforge.submit import TranscodeOrder, check_settings

router = APIRouter(
    prefix="/presets", tags=["presets"], responses=ERRORS, dependencies=[Depends(authorize)]
)


class PresetRequest(TranscodeRequest):
    """A preset: a name, and what a transcode request would say."""

    name: str = Field(
        max_length=MAX_NAME_CHARS,
        description="Lowercase letters, digits and hyphens; saving a name again makes its "
        "next version",
        examples=["phone-480p"],
    )
    description: str = Field(default="", max_length=200)


class PresetBody(BaseModel):
    name: str
    version: int
    preset: str = Field(description="`name@version`: what a job that uses it records")
    builtin: bool = Field(description="Built-in presets cannot be changed or deleted")
    description: str = ""
    created_at: float
    settings: dict[str, Any] = Field(description="The request fields it gives")


class PresetList(BaseModel):
    items: list[PresetBody]


@router.post("", response_model=PresetBody, status_code=status.HTTP_201_CREATED)
def save_preset(body: PresetRequest, services: ServicesDep) -> JSONResponse:
    """Save a preset; an existing name gets its next version (`name@2`...). Checked by the
    rules of a transcode request; built-ins are 409."""
    check_name(body.name)
    if body.preset is not None:
        raise InvalidRequest("preset: a preset cannot start from another preset")
    definition = body.model_dump(
        mode="json", exclude_unset=True, exclude_none=True, exclude={"name", "preset"}
    )
    check_settings(TranscodeRequest.model_validate(definition).order())
    saved = services.presets.save(body.name, definition)
    return JSONResponse(preset_body(saved), status_code=status.HTTP_201_CREATED)


@router.get("", response_model=PresetList)
def list_presets(services: ServicesDep) -> JSONResponse:
    """The latest version of every preset, built-ins first."""
    return JSONResponse({"items": [preset_body(p) for p in services.presets.latest()]})


@router.get("/{name}", response_model=PresetBody)
def get_preset(name: str, services: ServicesDep) -> JSONResponse:
    """A preset's latest version (`name`), or a given one (`name@2`)."""
    return JSONResponse(preset_body(services.presets.get(*parse_ref(name))))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_preset(name: str, services: ServicesDep) -> None:
    """Delete a preset and all its versions; jobs keep the settings they were given.
    Built-ins are 409."""
    services.presets.delete(name)


def preset_body(preset: Preset) -> dict[str, Any]:
    """A preset as the API shows it (PresetBody)."""
    return {
        "name": preset.name,
        "version": preset.version,
        "preset": preset.ref,
        "builtin": preset.builtin,
        "description": preset.definition.get("description", ""),
        "created_at": preset.created_at,
        "settings": preset.request_fields,
    }


def resolve_order(services: Services, body: TranscodeRequest) -> TranscodeOrder:
    """The order a transcode request makes: its own, or its preset's with the request's
    fields over it (refused as a request would be; a preset's absence is 404)."""
    if body.preset is None:
        return body.order()
    preset = services.presets.get(*parse_ref(body.preset))
    given = body.model_dump(mode="json", exclude_unset=True, exclude={"preset"})
    try:
        request = TranscodeRequest.model_validate(merged(preset.request_fields, given))
    except ValidationError as exc:  # only a changed rule can make a stored preset invalid
        raise RequestValidationError(exc.errors()) from None
    return dataclasses.replace(request.order(), preset=preset.ref)
