"""Webhook endpoints: register, list, show, delete, rotate a secret, re-enable, test-send;
their deliveries, listed and retried; the secret that signs callback URLs. The dispatcher
(webhooks/dispatcher.py) runs on threads of this process; `render` shows events' data the
way GET /videos/task/{id} and GET /videos/{file_id} show jobs and files."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from videoforge.engine import Services
from videoforge.errors import InvalidRequest, NotFound
from videoforge.http.bodies import task_body
from videoforge.http.deps import ERRORS, Limit, Offset, ServicesDep, authorize
from videoforge.http.schemas import FileSummary
from videoforge.jobs.records import decode
from videoforge.models import SourceFile
from videoforge.webhooks import events as ev
from videoforge.webhooks.deliveries import DeliveryStore
from videoforge.webhooks.dispatcher import Dispatcher
from videoforge.webhooks.endpoints import EndpointStore
from videoforge.webhooks.fanout import Stores
from videoforge.webhooks.guard import check_url

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], responses=ERRORS, dependencies=[Depends(authorize)]
)


class EndpointRequest(BaseModel):
    url: str = Field(max_length=2048, description="http(s) URL that receives the POSTs")
    events: list[str] | None = Field(
        default=None,
        max_length=len(ev.EVENT_TYPES),
        description=f"Event types to send (default: all but job.progress): {list(ev.EVENT_TYPES)}",
    )
    description: str = Field(default="", max_length=500)


class Endpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    created_at: float
    enabled: bool = Field(description="False once every delivery failed for days (see reason)")
    disabled_reason: str | None = None
    failing_since: float | None = None
    last_success_at: float | None = None


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="whsec_...: verify signatures with it. Shown only here")


class Delivery(BaseModel):
    id: str = Field(description="The `webhook-id` header: the same on every try")
    endpoint_id: str
    event: str
    subject: str | None = Field(description="The task_id or file_id")
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_response_code: int | None
    last_error: str | None
    next_try_at: float | None
    created_at: float | None
    delivered_at: float | None


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int
    offset: int
    limit: int


class BacklogCollector(Collector):
    """The webhook backlog for /metrics: deliveries due, events not yet fanned out."""

    def __init__(self, deliveries: DeliveryStore) -> None:
        self.deliveries = deliveries

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "videoforge_webhook_backlog", "Webhook work waiting", labels=["kind"]
        )
        for kind, count in self.deliveries.backlog().items():
            family.add_metric([kind], count)
        yield family


def stores(services: Services) -> Stores:
    client = services.engine.jobs.client
    return Stores(client, EndpointStore(client), DeliveryStore(client), services.engine.metrics)


def dispatcher(services: Services) -> Dispatcher:
    """The dispatcher of this API process (started by the app when WEBHOOK_DISPATCHER)."""
    return Dispatcher(stores(services), services.engine.settings, lambda e: render(services, e))


def render(services: Services, event: ev.Event) -> dict[str, Any] | None:
    """An event's `data`: the job or file as the API shows it at the time of the event."""
    if event.kind in ev.JOB_EVENTS:
        return task_body(services, decode(event.record))
    if event.kind in ev.FILE_EVENTS:
        return FileSummary.of(SourceFile.from_dict(event.record)).model_dump(mode="json")
    return None


@router.post("", status_code=201, response_model=EndpointWithSecret)
async def add_endpoint(body: EndpointRequest, services: ServicesDep) -> dict[str, Any]:
    """Register an endpoint. The answer carries its signing secret, this once."""
    try:
        events = ev.check_events(body.events)
    except ValueError as exc:
        raise InvalidRequest(f"events: {exc}") from None
    allow_private = services.engine.settings.webhook_allow_private
    await run_in_threadpool(check_url, body.url, allow_private)  # resolves the host
    return await run_in_threadpool(
        stores(services).endpoints.create, body.url, events, body.description
    )


@router.get("", response_model=dict[str, list[Endpoint]])
async def list_endpoints(services: ServicesDep) -> dict[str, Any]:
    return {"items": await run_in_threadpool(stores(services).endpoints.all)}


@router.get("/callback-secret", response_model=dict[str, str])
async def callback_secret(services: ServicesDep) -> dict[str, str]:
    """The secret that signs deliveries to transcode requests' `callback_url`."""
    configured = services.engine.settings.webhook_secret
    found = await run_in_threadpool(stores(services).endpoints.callback_secret, configured)
    return {"secret": found}


@router.get("/{endpoint_id}", response_model=Endpoint)
async def get_endpoint(endpoint_id: str, services: ServicesDep) -> dict[str, Any]:
    return await run_in_threadpool(stores(services).endpoints.get, endpoint_id)


@router.delete("/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: str, services: ServicesDep) -> Response:
    """Remove an endpoint; its pending deliveries are dropped."""
    await run_in_threadpool(stores(services).endpoints.delete, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
async def rotate_secret(endpoint_id: str, services: ServicesDep) -> dict[str, Any]:
    """A new secret. For a day, deliveries carry signatures by both, the old and the new."""
    return await run_in_threadpool(stores(services).endpoints.rotate_secret, endpoint_id)


@router.post("/{endpoint_id}/enable", response_model=Endpoint)
async def enable_endpoint(endpoint_id: str, services: ServicesDep) -> dict[str, Any]:
    """Turn a disabled endpoint back on. Events from while it was off were not kept for it;
    its failed deliveries can be sent again one by one (.../deliveries/{id}/retry)."""
    return await run_in_threadpool(stores(services).endpoints.enable, endpoint_id)


@router.post("/{endpoint_id}/test", status_code=202, response_model=Delivery)
async def test_endpoint(endpoint_id: str, services: ServicesDep) -> dict[str, Any]:
    """Send a `webhook.test` event to this endpoint now."""
    found = stores(services)

    def send() -> dict[str, Any]:
        found.endpoints.get(endpoint_id)
        delivery_id = f"msg_test_{secrets.token_hex(8)}_{endpoint_id}"
        data = {"endpoint_id": endpoint_id, "message": "a test delivery from videoforge"}
        body = ev.envelope(ev.TEST_EVENT, time.time(), data)
        fields = {"event": ev.TEST_EVENT, "subject": "", "url": "", "body": body}
        found.deliveries.create(delivery_id, endpoint_id, fields)
        return found.deliveries.get(delivery_id)

    return await run_in_threadpool(send)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    endpoint_id: str, services: ServicesDep, limit: Limit = 20, offset: Offset = 0
) -> dict[str, Any]:
    """An endpoint's deliveries, newest first (the last 1000 are kept listed). The id
    `callback` lists deliveries to transcode requests' callback URLs."""
    found = stores(services)

    def page() -> dict[str, Any]:
        if endpoint_id != ev.CALLBACK_ENDPOINT:
            found.endpoints.get(endpoint_id)
        items, total = found.deliveries.page(endpoint_id, offset, limit)
        return {"items": items, "total": total, "offset": offset, "limit": limit}

    return await run_in_threadpool(page)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry", status_code=202,
             response_model=Delivery)  # fmt: skip
async def retry_delivery(
    endpoint_id: str, delivery_id: str, services: ServicesDep
) -> dict[str, Any]:
    """Send a delivery again now, under the same `webhook-id`."""
    found = stores(services)

    def retry() -> dict[str, Any]:
        if found.deliveries.get(delivery_id)["endpoint_id"] != endpoint_id:
            raise NotFound(f"no delivery {delivery_id} for {endpoint_id}")
        return found.deliveries.retry_now(delivery_id)

    return await run_in_threadpool(retry)
