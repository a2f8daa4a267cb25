"""Run the published AI SDK packages in Node, for the differential tests.

The pinned versions live in ``tests/reference/package.json`` (the only file of
pins). :func:`ensure_installed` installs them into ``tests/reference/node_modules``
(git-ignored; nothing installed is committed) once per change of that file, under
a file lock so concurrent test processes install once. :func:`run_driver` runs one
of our own driver scripts (``tests/reference/*.mjs``) with a JSON document on its
stdin and returns the JSON document it prints.

Where ``node``/``npm`` are missing the tests that need them are skipped with that
reason (:func:`require_node`); an install or driver failure is a test failure,
never a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parent
PACKAGE_JSON = REFERENCE_DIR / "package.json"
NODE_MODULES = REFERENCE_DIR / "node_modules"
_STAMP = NODE_MODULES / ".partstream-installed"
_LOCK = REFERENCE_DIR / ".install.lock"

__all__ = [
    "NODE_MODULES",
    "PACKAGE_JSON",
    "REFERENCE_DIR",
    "arun_driver",
    "ensure_installed",
    "require_node",
    "require_tool",
    "run_driver",
]


def require_node() -> tuple[str, str]:
    """``(node, npm)`` paths, or skip the test saying which is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        import pytest  # only the tests need it: `python3 node.py` installs without it

        missing = "node" if node is None else "npm"
        pytest.skip(f"{missing} is not on PATH: the differential tests run the AI SDK in Node")
    return node, npm


def require_tool(path: str | None, what: str) -> str:
    """``path`` if the tool is there; else skip saying so, or fail in CI (``CI`` set)."""
    if path is not None:
        return path
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI (.ci/run installs it)")
    pytest.skip(f"{what} is missing (.ci/run installs it)")


def _digest() -> str:
    return hashlib.sha256(PACKAGE_JSON.read_bytes()).hexdigest()


def ensure_installed() -> Path:
    """Install the pinned packages (once per ``package.json``); returns ``node_modules``."""
    _, npm = require_node()
    digest = _digest()
    if _STAMP.exists() and _STAMP.read_text() == digest:
        return NODE_MODULES
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text() == digest:
            return NODE_MODULES
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
            cwd=REFERENCE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm install of the reference packages failed:\n{done.stderr}")
        _STAMP.write_text(digest)
    return NODE_MODULES


def run_driver(script: str, payload: Any, *, timeout: float = 120.0) -> Any:
    """Run ``tests/reference/<script>`` with ``payload`` as JSON on stdin; its JSON stdout."""
    node, _ = require_node()
    ensure_installed()
    done = subprocess.run(
        [node, str(REFERENCE_DIR / script)],
        input=json.dumps(payload),
        cwd=REFERENCE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    if done.returncode != 0:
        raise AssertionError(f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


async def arun_driver(script: str, payload: Any, *, timeout: float = 120.0) -> Any:
    """:func:`run_driver` without blocking the event loop (the servers it talks to run there)."""
    import anyio

    node, _ = require_node()
    ensure_installed()
    with anyio.fail_after(timeout):
        done = await anyio.run_process(
            [node, str(REFERENCE_DIR / script)],
            input=json.dumps(payload).encode(),
            cwd=REFERENCE_DIR,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
            check=False,
        )
    if done.returncode != 0:
        raise AssertionError(f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]!r}")
    return json.loads(done.stdout)


if __name__ == "__main__":  # `.ci/run`: install the pinned packages before the suite
    if shutil.which("node") and shutil.which("npm"):
        print(f"reference packages in {ensure_installed()}")
    else:
        print("node/npm not found: the differential tests will be skipped")
