"""Routes for workers: the live ones (from the registry each keeps in Redis, see
jobs/workers.py), and draining or resuming one. Nothing here waits on a worker: a drain is a
flag the worker applies itself within a heartbeat."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from videoforge.engine import Services
from videoforge.http.deps import ERRORS, ServicesDep, authorize
from videoforge.http.schemas import WorkerList, WorkerStatus
from videoforge.jobs.workers import WorkerInfo, WorkerRegistry

router = APIRouter(
    prefix="/workers", tags=["workers"], responses=ERRORS, dependencies=[Depends(authorize)]
)


def registry(services: Services) -> WorkerRegistry:
    return WorkerRegistry(services.engine.jobs.client)


@router.get("", response_model=WorkerList)
async def list_workers(services: ServicesDep) -> WorkerList:
    """Live workers: busy or idle, the job each runs, and whether it is draining."""
    workers = await run_in_threadpool(registry(services).live)
    return WorkerList(items=[worker_status(info) for info in workers])


@router.post("/{name}/drain", response_model=WorkerStatus)
async def drain_worker(name: str, services: ServicesDep) -> WorkerStatus:
    """Let the worker finish what it runs and take no new job, until resumed (also across
    its restarts). Unknown or dead workers are 404."""
    return worker_status(await run_in_threadpool(registry(services).drain, name))


@router.post("/{name}/resume", response_model=WorkerStatus | None)
async def resume_worker(name: str, services: ServicesDep) -> WorkerStatus | None:
    """Undo a drain: the worker takes jobs again within a heartbeat. A drained worker that
    is not running now is just cleared (null); a name that is neither is 404."""
    info = await run_in_threadpool(registry(services).resume, name)
    return worker_status(info) if info else None


def worker_status(info: WorkerInfo) -> WorkerStatus:
    """A registry record as the API shows it."""
    return WorkerStatus(
        name=info.name,
        host=info.host,
        status="busy" if info.busy else "idle",
        task_id=info.tasks[0] if info.tasks else None,
        tasks=info.tasks,
        concurrency=info.concurrency,
        draining=info.draining,
        consuming=info.consuming,
        started_at=info.started_at,
        heartbeat_at=info.heartbeat_at,
    )
