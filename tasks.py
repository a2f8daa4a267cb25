#!/usr/bin/env python3
"""Project tasks that need nothing but Python 3.11+: `demo`, `test`, `bench`, `reference`,
`autobahn`, `mutate`, `web`.

Each task creates `.venv` (if missing or stale), installs the project with its
development extras into it, then runs inside it. `reference` also needs node and
npm: it installs the AI SDK packages pinned in `tests/reference/package.json` and
runs the differential tests against them; `reference --bump` first moves every
pin to the newest release on npm and reports what changed. `autobahn` runs every
Autobahn|Testsuite client case (kosoku, from the dev extras, as the fuzzing
server; no Docker) against the WebSocket client on asyncio and trio and prints
the verdict counts (`tests/autobahn/run.py`; `--backend`, `--cases 1.*,12.1.*`).
`web` builds the pages of `examples/chat_service.py` (node and npm:
`examples/web/package.json`, esbuild) into the git-ignored `examples/web/dist/`;
`web --force` rebuilds them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
import xml.etree.ElementTree as ElementTree
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


def autobahn(args: list[str]) -> int:
    ensure_venv()
    return _run(PY, "-m", "tests.autobahn.run", *args)


REFERENCE = ROOT / "tests" / "reference"
PINS = REFERENCE / "package.json"
DIFFERENTIAL = "tests/reference/test_differential.py"


def _differing_cases(extra: list[str]) -> tuple[int, set[str]]:
    """Run the reference tests; (exit code, the matrix cases that failed on any backend)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        code = _run(PY, "-m", "pytest", "tests/reference", "-q", f"--junitxml={report}", *extra)
        failed: set[str] = set()
        if report.exists():
            for case in ElementTree.parse(report).iter("testcase"):
                if case.find("failure") is None and case.find("error") is None:
                    continue
                name = case.get("name", "")
                # test_case[<backend>-<case>]; other tests are reported by their name.
                if name.startswith("test_case[") and "-" in name:
                    failed.add(name[len("test_case[") : -1].split("-", 1)[1])
                else:
                    failed.add(name)
    return code, failed


def _latest(npm: str, package: str) -> str:
    done = subprocess.run(
        [npm, "view", package, "version"], cwd=REFERENCE, capture_output=True, text=True
    )
    if done.returncode != 0 or not done.stdout.strip():
        sys.exit(f"npm view {package} version failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


def reference(args: list[str]) -> int:
    """Install the pinned AI SDK packages and run the differential tests against them.

    With ``--bump``: run them at the current pins, move every pin of
    tests/reference/package.json to the newest release on npm, reinstall, run them
    again and report the version changes and the cases that now differ (or now match).
    Other arguments go to pytest.
    """
    ensure_venv()
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("node and npm are needed for the differential tests", file=sys.stderr)
        return 1
    bump = "--bump" in args
    extra = [a for a in args if a != "--bump"]
    install = [PY, str(REFERENCE / "node.py")]
    if not bump:
        if _run(*install) != 0:
            return 1
        return _run(PY, "-m", "pytest", "tests/reference", *extra)
    if _run(*install) != 0:
        return 1
    _, before = _differing_cases(extra)
    manifest = json.loads(PINS.read_text())
    old = dict(manifest["dependencies"])
    new = {name: _latest(npm, name) for name in old}
    manifest["dependencies"] = new
    PINS.write_text(json.dumps(manifest, indent=2) + "\n")
    if _run(*install) != 0:
        return 1
    code, after = _differing_cases(extra)
    print("\nreference pins (tests/reference/package.json):")
    for name in old:
        moved = f"{old[name]} -> {new[name]}" if old[name] != new[name] else f"{old[name]} (newest)"
        print(f"  {name}: {moved}")
    print("cases that now differ from partstream:", ", ".join(sorted(after - before)) or "none")
    print("cases that now match:", ", ".join(sorted(before - after)) or "none")
    if after:
        print("failing after the bump:", ", ".join(sorted(after)))
    return code


def mutate(args: list[str]) -> int:
    """Mutation testing of the cores (scripts/mutate.py; slow, so not part of `test`)."""
    ensure_venv()
    return _run(PY, "-m", "scripts.mutate", *args)


def web(args: list[str]) -> int:
    """Build the chat service's pages (no venv needed: examples/web/build.py is stdlib only)."""
    return _run(sys.executable, ROOT / "examples" / "web" / "build.py", *args)


TASKS = {
    "demo": demo,
    "test": test,
    "bench": bench,
    "reference": reference,
    "autobahn": autobahn,
    "mutate": mutate,
    "web": web,
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args...]", file=sys.stderr)
        return 2
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
