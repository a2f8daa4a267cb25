"""Running mutants: a forked child per mutant, an import hook, a timeout (see ``mutate.py``)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any, Final, Literal

import pytest

from .mutants import mutate_tree

TraceFunction = Callable[[FrameType, str, object], Any]

__all__ = [
    "Coverage",
    "Job",
    "Outcome",
    "RunResult",
    "Subject",
    "baseline",
    "run_mutants",
    "warm_up",
]

Outcome = Literal["killed", "timeout", "survived", "error"]

#: Heavy third-party modules imported once, before forking (never the package under
#: test). pytest then warns that it cannot rewrite the asserts of the plugins among
#: them (hypothesis, anyio, pytest-timeout); the child silences that one warning.
_WARM: Final = (
    "pytest",
    "_pytest.python",
    "_pytest.runner",
    "_pytest.assertion.rewrite",
    "_pytest.terminal",
    "_pytest.capture",
    "_pytest.fixtures",
    "_pytest.junitxml",
    "_pytest.pastebin",
    "hypothesis",
    "hypothesis.strategies",
    "_hypothesis_pytestplugin",
    "pytest_timeout",
    "anyio",
    "anyio.pytest_plugin",
    "anyio._backends._asyncio",
    "anyio._backends._trio",
    "trio",
    "attrs",
    "httpx",
    "h11",
    "wsproto",
    "msgspec",
    "orjson",
)
#: The child's status when the tests passed or failed without importing the module.
_NOT_IMPORTED: Final = 97
#: The child's status when it could not run the tests at all (a bug of the tool).
_CHILD_FAILED: Final = 98


@dataclass(frozen=True)
class Subject:
    """What a child needs: the module (file and import name) and the tests to run."""

    root: Path
    path: Path
    import_name: str
    tests: tuple[str, ...]
    source: str  # as read when the run began: edits to the file meanwhile change nothing


@dataclass(frozen=True)
class Job:
    """One child's work: a mutant (``None``: none), its tests (empty: the subject's)."""

    mutant_id: str | None
    tests: tuple[str, ...] = ()
    coverage: Path | None = None


@dataclass(frozen=True)
class RunResult:
    mutant_id: str | None
    outcome: Outcome
    seconds: float
    detail: str = ""


def warm_up(package: str) -> None:
    """Import the heavy modules every child needs, once; refuse if ``package`` came along."""
    for name in _WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    leaked = [m for m in sys.modules if m == package or m.startswith(package + ".")]
    if leaked:
        raise SystemExit(f"the tool process imported {leaked[0]}: mutants would not load")


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, code: CodeType, loaded: list[str]) -> None:
        super().__init__(fullname, path)
        self._code = code
        self._loaded = loaded

    def get_code(self, fullname: str) -> CodeType:
        self._loaded.append(fullname)
        return self._code


class _MutantFinder(importlib.abc.MetaPathFinder):
    """Serves one module from a code object (the mutant) instead of its file."""

    def __init__(self, fullname: str, path: Path, code: CodeType) -> None:
        self.fullname = fullname
        self.path = path
        self.code = code
        self.loaded: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.fullname:
            return None
        loader = _MutantLoader(fullname, str(self.path), self.code, self.loaded)
        locations = [str(self.path.parent)] if self.path.name == "__init__.py" else None
        return importlib.util.spec_from_file_location(
            fullname, self.path, loader=loader, submodule_search_locations=locations
        )


class _DeterministicHypothesis:
    """pytest plugin: the project's ``ci`` profile, derandomized, without a database."""

    def pytest_configure(self, config: object) -> None:
        from hypothesis import settings

        try:
            parent: settings | None = settings.get_profile("ci")
        except Exception:
            parent = settings.default
        settings.register_profile(
            "partstream-mutate", parent=parent, derandomize=True, database=None
        )
        settings.load_profile("partstream-mutate")


class _LineCoverage:
    """pytest plugin: the lines of one file run at import and by each test, and test times.

    A global trace function that only asks for line events in frames of that file:
    a test that runs none of a mutant's lines cannot tell the mutant apart.
    """

    def __init__(self, filename: str, out: Path) -> None:
        self.filename = filename
        self.out = out
        self.at_import: set[int] = set()
        self.tests: dict[str, tuple[float, set[int]]] = {}
        self._lines = self.at_import

    def _global(self, frame: FrameType, event: str, arg: object) -> TraceFunction | None:
        if frame.f_code.co_filename == self.filename:
            self._lines.add(frame.f_lineno)
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: object) -> TraceFunction:
        if event == "line":
            self._lines.add(frame.f_lineno)
        return self._local

    def pytest_configure(self, config: object) -> None:
        sys.settrace(self._global)
        threading.settrace(self._global)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: Any, nextitem: object
    ) -> Generator[None, object, object]:
        lines: set[int] = set()
        self._lines = lines
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.tests[str(item.nodeid)] = (time.perf_counter() - started, lines)
            self._lines = self.at_import

    def pytest_unconfigure(self, config: object) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type,unused-ignore]
        tests = {k: {"seconds": t, "lines": sorted(v)} for k, (t, v) in self.tests.items()}
        payload = {"at_import": sorted(self.at_import), "tests": tests}
        self.out.write_text(json.dumps(payload), encoding="utf-8")


def _child(subject: Subject, mutant_id: str | None, log: Path, job: Job) -> int:
    """In the forked child: install the mutant, run the tests, return pytest's status."""
    import pytest

    tree = mutate_tree(subject.source, mutant_id)
    code = compile(tree, str(subject.path), "exec", dont_inherit=True)
    finder = _MutantFinder(subject.import_name, subject.path, code)
    sys.meta_path.insert(0, finder)
    os.chdir(subject.root)
    args = [*(job.tests or subject.tests), "-x", "-q", "-p", "no:cacheprovider"]
    args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    plugins: list[object] = [_DeterministicHypothesis()]
    if job.coverage is not None:
        plugins.append(_LineCoverage(str(subject.path), job.coverage))
    status = int(pytest.main(args, plugins=plugins))
    if status in (0, 1) and not finder.loaded:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"\nmutate: the tests never imported {finder.fullname}\n")
        return _NOT_IMPORTED
    return status


def _fork(subject: Subject, job: Job, log: Path) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        return pid
    # The child: its own process group (so a timeout kills whatever it started), its
    # output in the log, and never a return into the tool's loop.
    status = _CHILD_FAILED
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the tool's handler is not ours
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        status = _child(subject, job.mutant_id, log, job)
    except BaseException as exc:
        print(f"mutate: the child failed: {exc!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _classify(status: int, log: Path) -> tuple[Outcome, str]:
    if status == 0:
        return "survived", ""
    # 1: a test failed; 2: collection broke (the mutant broke an import); 3: pytest's
    # internal error, which a mutant causes with, say, an unclosed resource that the
    # end-of-session unraisable-exception check turns into an error.
    if status in (1, 2, 3):
        return "killed", ""
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
    if status == _NOT_IMPORTED:
        return "error", f"the tests never imported the module\n{tail}"
    return "error", f"pytest exited with status {status}\n{tail}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_mutants(
    subject: Subject,
    jobs: Sequence[Job],
    *,
    parallel: int,
    timeout: float,
    workdir: Path,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run each job in a forked child, ``parallel`` at once; the results in job order.

    Call :func:`warm_up` first: the children inherit what this process imported.
    """
    queue = list(enumerate(jobs))
    queue.reverse()
    running: dict[int, tuple[int, Job, float, Path]] = {}
    results: dict[int, RunResult] = {}
    try:
        while queue or running:
            while queue and len(running) < parallel:
                order, job = queue.pop()
                log = workdir / f"mutant-{order}.log"
                pid = _fork(subject, job, log)
                running[pid] = (order, job, time.monotonic(), log)
            time.sleep(0.005)
            for pid, (order, job, started, log) in list(running.items()):
                waited, wait_status = os.waitpid(pid, os.WNOHANG)
                elapsed = time.monotonic() - started
                if waited == 0 and elapsed <= timeout:
                    continue
                _kill_group(pid)  # the hung child, or whatever the tests left in its group
                if waited == 0:
                    os.waitpid(pid, 0)
                    result = RunResult(job.mutant_id, "timeout", elapsed)
                else:
                    outcome, detail = _classify(os.waitstatus_to_exitcode(wait_status), log)
                    result = RunResult(job.mutant_id, outcome, elapsed, detail)
                del running[pid]
                log.unlink(missing_ok=True)
                results[order] = result
                if on_result is not None:
                    on_result(result)
    finally:
        for pid in running:
            _kill_group(pid)
            os.waitpid(pid, 0)
    return [results[i] for i in range(len(jobs))]


@dataclass(frozen=True)
class Coverage:
    """Which tests run which lines of the module (from one traced, unmutated run)."""

    at_import: frozenset[int]
    tests: dict[str, tuple[float, frozenset[int]]]

    def tests_for(self, lines: Iterable[int]) -> tuple[str, ...] | None:
        """The tests that run any of ``lines``, fastest first; ``None``: every test.

        Every test when a line runs at import (a module constant, a default value):
        all tests see that code. An empty tuple: no test runs the lines at all.
        """
        wanted = set(lines)
        if wanted & self.at_import or not self.at_import:
            return None
        hits = [(t, name) for name, (t, ran) in self.tests.items() if wanted & ran]
        return tuple(name for _, name in sorted(hits))


def baseline(subject: Subject, *, workdir: Path) -> tuple[RunResult, Coverage | None]:
    """The unmutated module's plain run (it must pass; its time), then a traced run."""
    plain = run_mutants(subject, [Job(None)], parallel=1, timeout=1800.0, workdir=workdir)[0]
    if plain.outcome != "survived":
        return plain, None
    out = workdir / "coverage.json"
    traced = run_mutants(
        subject, [Job(None, coverage=out)], parallel=1, timeout=1800.0, workdir=workdir
    )[0]
    if traced.outcome != "survived" or not out.exists():
        return plain, None  # tracing changed something: run every test for every mutant
    data = json.loads(out.read_text(encoding="utf-8"))
    tests = {
        str(name): (float(entry["seconds"]), frozenset(int(n) for n in entry["lines"]))
        for name, entry in data["tests"].items()
    }
    return plain, Coverage(frozenset(int(n) for n in data["at_import"]), tests)
