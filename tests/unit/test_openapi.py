"""The OpenAPI document: every route once, unique operation ids, no generation warnings."""

from __future__ import annotations

import collections

from videoforge.http.app import create_app
from videoforge.settings import Settings


def test_openapi_lists_every_route_with_unique_operation_ids() -> None:
    spec = create_app(Settings(_env_file=None)).openapi()
    assert set(spec["paths"]) == {
        "/healthz",
        "/metrics",
        "/readyz",
        "/videos/upload",
        "/videos/import",
        "/videos/tus/",
        "/videos/tus/{upload_id}",
        "/videos/transcode/{file_id}",
        "/videos/task/{task_id}",
        "/videos/task/{task_id}/cancel",
        "/videos/status/{file_id}",
        "/videos/stream/{filename}",
        "/videos/download/{filename}",
        "/videos",
        "/videos/tasks",
        "/videos/{file_id}",
        "/videos/task/{task_id}/events",
        "/videos/{file_id}/thumbnail.{extension}",
        "/videos/{file_id}/storyboard.{extension}",
        "/videos/{file_id}/animated.{extension}",
        "/presets",
        "/presets/{name}",
        "/workers",
        "/workers/{name}/drain",
        "/workers/{name}/resume",
        "/webhooks",
        "/videos/uploads/direct",
        "/videos/uploads/direct/{upload_id}",
        "/videos/uploads/direct/{upload_id}/complete",
        "/videos/uploads/direct/{upload_id}/abort",
        "/webhooks/callback-secret",
        "/webhooks/{endpoint_id}",
        "/webhooks/{endpoint_id}/rotate-secret",
        "/webhooks/{endpoint_id}/enable",
        "/webhooks/{endpoint_id}/test",
        "/webhooks/{endpoint_id}/deliveries",
        "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
    }
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
    upload = spec["paths"]["/videos/upload"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"206", "416"} <= set(spec["paths"]["/videos/stream/{filename}"]["get"]["responses"])


def test_library_routes_are_documented() -> None:
    spec = create_app(Settings(_env_file=None)).openapi()
    assert set(spec["paths"]["/videos/{file_id}"]) == {"get", "delete"}
    events = spec["paths"]["/videos/task/{task_id}/events"]["get"]["responses"]["200"]
    assert "text/event-stream" in events["content"]
    listing = spec["paths"]["/videos"]["get"]["parameters"]
    assert {p["name"] for p in listing} == {"limit", "offset"}
