#!/usr/bin/env python3
"""Project tasks that need nothing but Python 3.11+: `demo`, `test`, `bench`, `mutate`.

Each task creates `.venv` (if missing or stale), installs the project with its
development extras into it, then runs inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".partstream-installed"


def _run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def ensure_venv() -> None:
    """Create the virtualenv and install the project with its dev extras, once per pyproject."""
    if sys.version_info < (3, 11):  # noqa: UP036 (the script itself may run on an old python)
        sys.exit(f"partstream needs Python 3.11+, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if _run(*pip, "--upgrade", "pip") != 0:
        sys.exit("could not upgrade pip in .venv")
    if _run(*pip, "-e", ".[dev,bench]") != 0:
        sys.exit("could not install partstream into .venv")
    STAMP.write_text(digest)


def demo(args: list[str]) -> int:
    ensure_venv()
    cli_args = args or ["stream", "Explain backpressure in one paragraph."]
    return _run(PY, "-m", "partstream", *cli_args)


def test(args: list[str]) -> int:
    ensure_venv()
    for step in (
        [PY, "-m", "ruff", "check", "."],
        [PY, "-m", "ruff", "format", "--check", "."],
        [PY, "-m", "mypy"],
    ):
        if _run(*step) != 0:
            return 1
    code = _run(PY, "-m", "pytest", *args)
    if code == 5:  # pytest: no tests were collected
        print("no tests were collected: failing", flush=True)
        return 1
    return code


def bench(args: list[str]) -> int:
    ensure_venv()
    return _run(PY, "-m", "benchmarks", *args)


def mutate(args: list[str]) -> int:
    """Mutation testing of the cores (scripts/mutate.py; slow, so not part of `test`)."""
    ensure_venv()
    return _run(PY, "-m", "scripts.mutate", *args)


TASKS = {"demo": demo, "test": test, "bench": bench, "mutate": mutate}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args...]", file=sys.stderr)
        return 2
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
