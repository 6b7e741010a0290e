"""The tree's rules, checked on the code itself: no import cycles, small modules, a short top
level, and processes that load only their own stack (measured with `python -X importtime`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from videoforge.runtime.processes import free_port

PACKAGE = Path(__file__).resolve().parents[2] / "videoforge"
SERVER_STACK = {"fastapi", "starlette", "uvicorn", "celery", "kombu", "boto3", "botocore", "redis"}


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(imports[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = [stack.pop()]
            while component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_cycle_finder_finds_cycles() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(imports) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_not_even_inside_functions() -> None:
    # grimp sees imports inside functions too; only `if TYPE_CHECKING:` ones are left out.
    graph = grimp.build_graph("videoforge", exclude_type_checking_imports=True)
    imports = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert len(imports) > 40  # the whole package was read
    assert _cycles(imports) == []


def test_a_short_top_level_and_small_modules() -> None:
    top_level = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top_level) <= 16, top_level
    too_long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 300
    }
    assert too_long == {}
    assert not list(PACKAGE.rglob("utils.py"))


def _imported(argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Every module a Python command imported, read from `-X importtime`."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "videoforge" in modules, run.stderr[-2000:]
    return modules


def _packages(modules: set[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


@pytest.mark.parametrize("command", [["jobs", "--help"], ["--help"], ["status", "--help"]])
def test_client_help_loads_no_server_stack_and_no_http_client(command: list[str]) -> None:
    modules = _imported(["-m", "videoforge.cli", *command])
    assert _packages(modules) & (SERVER_STACK | {"httpx"}) == set()
    assert not {m for m in modules if m.startswith(("videoforge.http", "videoforge.jobs"))}


def test_a_client_command_that_talks_loads_httpx_but_no_server_stack() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    modules = _imported(["-m", "videoforge.cli", "jobs", "--server", nobody])
    assert "httpx" in _packages(modules)  # it did try to talk
    assert _packages(modules) & SERVER_STACK == set()
    server_side = ("videoforge.http", "videoforge.jobs", "videoforge.runtime", "videoforge.storage")
    assert not {m for m in modules if m.startswith(server_side)}


def test_the_worker_loads_no_web_or_terminal_stack() -> None:
    # Importing the app connects nowhere, so a port nobody listens on is fine.
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    modules = _imported(["-c", "import videoforge.worker"], env)
    assert {"celery", "redis"} <= _packages(modules)  # it is the worker
    unwanted = {"fastapi", "starlette", "uvicorn", "rich", "typer", "httpx"}
    assert _packages(modules) & unwanted == set()
    assert not {m for m in modules if m.startswith(("videoforge.http", "videoforge.client"))}
