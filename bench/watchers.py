"""Hold many Server-Sent Event streams open on tasks, as P5's watchers: opens `--count`
streams (GET /videos/task/{id}/events) spread over the task ids given, prints `ready N` once
every stream has had its first `status` event, and keeps reading until stdin closes.

    python bench/watchers.py --url http://127.0.0.1:8000 --count 200 TASK_ID...
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx


async def watch(client: httpx.AsyncClient, task_id: str, ready: asyncio.Queue[str]) -> None:
    async with client.stream("GET", f"/videos/task/{task_id}/events") as response:
        if response.status_code != 200:
            await ready.put(f"error {response.status_code}")
            return
        first = True
        async for line in response.aiter_lines():
            if first and line.startswith("event: status"):
                first = False
                await ready.put("ok")
    await ready.put("ended")


async def hold(url: str, count: int, task_ids: list[str]) -> None:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    timeout = httpx.Timeout(60, read=None)
    ready: asyncio.Queue[str] = asyncio.Queue()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        streams = [asyncio.create_task(watch(client, task_ids[n % len(task_ids)], ready))
                   for n in range(count)]  # fmt: skip
        for _ in range(count):
            answer = await ready.get()
            if answer != "ok":
                print(f"failed: a stream {answer}", flush=True)
                return
        print(f"ready {count}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        ended = sum(1 for _ in range(ready.qsize()))
        for stream in streams:
            stream.cancel()
        print(f"closed {count} ({ended} had ended early)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("task_ids", nargs="+")
    args = parser.parse_args()
    asyncio.run(hold(args.url, args.count, args.task_ids))


if __name__ == "__main__":
    main()
