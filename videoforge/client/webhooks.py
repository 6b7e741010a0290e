"""`videoforge webhooks ...`: register endpoints, list them and their deliveries, test-send,
rotate secrets, retry a delivery, and show the secret that signs callback URLs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from videoforge.client.protocol import JSON
from videoforge.client.shell import (
    DEFAULT_SERVER,
    ApiKeyOption,
    JsonOption,
    ServerOption,
    session,
    show,
)

if TYPE_CHECKING:
    from rich.table import Table

webhooks_cli = typer.Typer(help="Webhook endpoints and their deliveries.", no_args_is_help=True)
IdArgument = Annotated[str, typer.Argument(help="An endpoint id (see `videoforge webhooks list`)")]


@webhooks_cli.command("add")
def add(
    url: str,
    event: Annotated[list[str] | None, typer.Option(
        "--event", help="An event type to send (repeat it); default: all but job.progress")] = None,
    description: Annotated[str, typer.Option(help="A note for people")] = "",
    server: ServerOption = DEFAULT_SERVER, api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Register URL; prints the endpoint's id and its signing secret (shown only now)."""
    with session(server, api_key) as client:
        body = client.webhooks(
            "POST", body={"url": url, "events": event, "description": description}
        )
    show(body, as_json, f"{body['id']}  {body['secret']}\n(keep the secret: it is not shown again)")


@webhooks_cli.command("list")
def list_endpoints(
    server: ServerOption = DEFAULT_SERVER, api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Endpoints: URL, events, and whether each is enabled."""
    with session(server, api_key) as client:
        body = client.webhooks("GET")
    show(body, as_json, endpoints_table(body))


@webhooks_cli.command("deliveries")
def deliveries(
    endpoint_id: IdArgument, server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None, as_json: JsonOption = False,
) -> None:  # fmt: skip
    """An endpoint's newest deliveries (`callback` lists those to callback URLs)."""
    with session(server, api_key) as client:
        body = client.webhooks("GET", endpoint_id, "deliveries")
    show(body, as_json, deliveries_table(body))


@webhooks_cli.command("test")
def test(
    endpoint_id: IdArgument, server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None, as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Send a webhook.test event to an endpoint now."""
    with session(server, api_key) as client:
        body = client.webhooks("POST", endpoint_id, "test")
    show(body, as_json, f"queued {body['id']}")


@webhooks_cli.command("retry")
def retry(
    endpoint_id: IdArgument, delivery_id: str, server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None, as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Send a delivery again now, under the same webhook-id."""
    with session(server, api_key) as client:
        body = client.webhooks("POST", endpoint_id, "deliveries", delivery_id, "retry")
    show(body, as_json, f"queued {body['id']} again")


@webhooks_cli.command("rotate-secret")
def rotate_secret(
    endpoint_id: IdArgument, server: ServerOption = DEFAULT_SERVER,
    api_key: ApiKeyOption = None, as_json: JsonOption = False,
) -> None:  # fmt: skip
    """A new secret (the old one keeps signing beside it for a day)."""
    with session(server, api_key) as client:
        body = client.webhooks("POST", endpoint_id, "rotate-secret")
    show(body, as_json, body["secret"])


@webhooks_cli.command("remove")
def remove(
    endpoint_id: IdArgument, server: ServerOption = DEFAULT_SERVER, api_key: ApiKeyOption = None
) -> None:
    """Delete an endpoint; its pending deliveries are dropped."""
    with session(server, api_key) as client:
        client.delete_webhook(endpoint_id)
    typer.echo(f"removed {endpoint_id}")


@webhooks_cli.command("secret")
def secret(
    server: ServerOption = DEFAULT_SERVER, api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """The secret that signs deliveries to transcode requests' callback_url."""
    with session(server, api_key) as client:
        body = client.webhooks("GET", "callback-secret")
    show(body, as_json, body["secret"])


def _when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else ""


def endpoints_table(body: JSON) -> Table:
    from rich.table import Table

    items = body.get("items", [])
    table = Table(caption=f"{len(items)} endpoints" if items else "none")
    for header in ("id", "url", "events", "enabled", "created"):
        table.add_column(header, no_wrap=header == "id", overflow="fold")
    for item in items:
        enabled = "yes" if item["enabled"] else f"no: {item.get('disabled_reason')}"
        table.add_row(item["id"], item["url"], " ".join(item["events"]), enabled,
                      _when(item["created_at"]))  # fmt: skip
    return table


def deliveries_table(body: JSON) -> Table:
    from rich.table import Table

    items = body.get("items", [])
    table = Table(caption=f"{len(items)} of {body.get('total', 0)}")
    for header in ("id", "event", "subject", "status", "tries", "last answer", "next try"):
        table.add_column(header, no_wrap=header in ("id", "subject"), overflow="fold")
    for item in items:
        answer = str(item["last_response_code"] or item.get("last_error") or "")
        table.add_row(item["id"], item["event"], item.get("subject") or "", item["status"],
                      str(item["attempts"]), answer, _when(item.get("next_try_at")))  # fmt: skip
    return table
