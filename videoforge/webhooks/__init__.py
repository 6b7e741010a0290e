"""Webhooks: signed pushes of what happened (Standard Webhooks), delivered at least once.

Job and file changes append their event to a Redis stream in the same script as the change
(jobs/scripts.py, catalog.py). The dispatcher turns each event into one delivery per
subscribed endpoint (and the job's callback URL), then sends them, retrying with backoff,
with the same `webhook-id` every time.

    guard.py       which URLs may be called: http(s) only, no private or metadata addresses
    events.py      event types, subscriptions, the envelope, the backoff schedule     (pure)
    endpoints.py   registered endpoints and their secrets, in Redis
    deliveries.py  deliveries in Redis: made once per event and endpoint, due by time
    sender.py      one signed POST to a checked, pinned address; no redirects
    dispatcher.py  the two loops: events -> deliveries, due deliveries -> sends
"""
