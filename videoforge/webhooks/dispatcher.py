"""The dispatcher: two loops on threads of whichever process runs it (the API, see
http/webhooks.py). Any number of them may run, on any hosts:

- fan-out turns events into deliveries (fanout.py);
- sending takes due deliveries (each held while it is tried, so no two senders try one at
  once) and tries them on a few threads; a failed try is due again after a backoff.

At least once: a crash between a try and its record means one more try, under the same id.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from videoforge.errors import NotFound
from videoforge.settings import Settings
from videoforge.webhooks import events as ev
from videoforge.webhooks.fanout import FanOut, Render, Stores
from videoforge.webhooks.guard import RefusedTarget, parse_target, resolve
from videoforge.webhooks.sender import Outcome, headers, post

log = logging.getLogger(__name__)

READ_BLOCK_MS = 2_000
SENDERS = 4  # tries at once per dispatcher
IDLE_S = 0.5  # the sender's pause when nothing is due


class Dispatcher:
    def __init__(self, stores: Stores, settings: Settings, render: Render) -> None:
        self.stores = stores
        self.settings = settings
        self.render = render
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.stopping = threading.Event()
        self.rng = random.Random()
        self._threads: list[threading.Thread] = []
        self.fanout = FanOut(stores, settings, render, self.consumer)

    def fan_out(self, block_ms: int) -> int:
        """Turn the next events into deliveries (see FanOut)."""
        return self.fanout.fan_out(block_ms)

    # ---- running -------------------------------------------------------------------------

    def start(self) -> None:
        for name, loop in (
            ("webhook-fanout", self._fan_out_loop),
            ("webhook-send", self._send_loop),
        ):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=READ_BLOCK_MS / 1000 + 15)

    def _fan_out_loop(self) -> None:
        self._forever(lambda: self.fan_out(READ_BLOCK_MS))

    def _send_loop(self) -> None:
        with ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-try") as pool:

            def once() -> None:
                if not self.send_due(pool):
                    self.stopping.wait(IDLE_S)

            self._forever(once)

    def _forever(self, step: Callable[[], object]) -> None:
        while not self.stopping.is_set():
            try:
                step()
            except Exception as exc:  # Redis restarting: wait, then carry on
                log.warning("webhook dispatcher: %s", exc)
                self.stopping.wait(1.0)

    # ---- deliveries -> tries -------------------------------------------------------------

    def send_due(self, pool: ThreadPoolExecutor) -> int:
        """Try the deliveries due now (waits for the tries); how many were tried."""
        hold_s = max(self.settings.webhook_hold_s, self.settings.webhook_timeout_s + 5)
        due = self.stores.deliveries.claim_due(SENDERS * 2, hold_s)
        for future in [pool.submit(self.try_delivery, delivery_id) for delivery_id in due]:
            future.result()
        return len(due)

    def try_delivery(self, delivery_id: str) -> None:
        try:
            self._try(delivery_id)
        except Exception:  # one broken delivery must not stop the others
            log.exception("webhook delivery %s", delivery_id)

    def _try(self, delivery_id: str) -> None:
        deliveries = self.stores.deliveries
        raw = deliveries.stored(delivery_id)
        if raw is None:
            deliveries.drop(delivery_id)
            return
        endpoint_id = raw["endpoint_id"]
        if endpoint_id == ev.CALLBACK_ENDPOINT:
            url, secrets = raw["url"], [self._callback_secret()]
        else:
            try:
                endpoint = self.stores.endpoints.get(endpoint_id)
            except NotFound:
                deliveries.finish(delivery_id, "failed", last_error="the endpoint was deleted")
                return
            if not endpoint["enabled"]:
                deliveries.finish(delivery_id, "failed", last_error="the endpoint is disabled")
                return
            url, secrets = endpoint["url"], endpoint["secrets"]
        attempts = int(raw.get("attempts") or 0) + 1
        outcome = self._post(url, delivery_id, raw["body"], secrets)
        self._record(delivery_id, endpoint_id, float(raw["created_at"]), attempts, outcome)

    def _post(self, url: str, delivery_id: str, body: str, secrets: list[str]) -> Outcome:
        try:
            target = parse_target(url)
            addresses = resolve(target, self.settings.webhook_allow_private)
            sent = headers(target, delivery_id, body, secrets)
        except RefusedTarget as exc:  # checked again now: names can be re-pointed
            return Outcome(False, None, exc.message)
        except Exception as exc:  # a failed try all the same: counted, retried, given up on
            log.exception("webhook delivery %s could not be sent", delivery_id)
            return Outcome(False, None, f"could not be sent ({type(exc).__name__})")
        return post(target, addresses, body, sent, self.settings.webhook_timeout_s)

    def _record(self, delivery_id: str, endpoint_id: str, created_at: float, attempts: int,
                outcome: Outcome) -> None:  # fmt: skip
        settings, stores = self.settings, self.stores
        tried = {"attempts": attempts, "last_response_code": outcome.status_code,
                 "last_error": outcome.error, "last_try_at": repr(time.time())}  # fmt: skip
        callback = endpoint_id == ev.CALLBACK_ENDPOINT
        if outcome.delivered:
            stores.deliveries.finish(
                delivery_id, "delivered", delivered_at=repr(time.time()), **tried
            )
            stores.metrics.count("webhook_deliveries", "delivered")
            if not callback:
                stores.endpoints.note_success(endpoint_id)
            return
        stores.metrics.count("webhook_deliveries", "failed_try")
        if not callback and stores.endpoints.note_failure(
            endpoint_id, settings.webhook_disable_after_s
        ):
            log.warning("webhook endpoint %s disabled: every delivery failed", endpoint_id)
        delay_s = ev.retry_delay_s(attempts, settings.webhook_retry_base_s,
                                   settings.webhook_retry_max_s, self.rng)  # fmt: skip
        if time.time() + delay_s > created_at + settings.webhook_retry_window_s:
            stores.deliveries.finish(delivery_id, "failed", **tried)
            stores.metrics.count("webhook_deliveries", "gave_up")
            return
        stores.deliveries.reschedule(delivery_id, time.time() + delay_s, **tried)

    def _callback_secret(self) -> str:
        return self.stores.endpoints.callback_secret(self.settings.webhook_secret)
