"""Mutation testing of partstream's cores: ``python3 tasks.py mutate [MODULE...]``.

A mutant is a module with one small change (``scripts/mutants.py`` has the
operators and how a mutant is named). Each mutant runs the tests that mirror its
module (``scripts/mutation_targets.toml``); a mutant those tests still pass is a
*survivor*: a behaviour no test pins down. Survivors that cannot change behaviour
are listed, each with the reason, in ``scripts/mutation_equivalents.toml``; the
tool subtracts them and flags entries that no longer match any mutant.

Usage::

    python3 tasks.py mutate                          # every module in the targets file
    python3 tasks.py mutate transports/_sse_decoder.py codecs/interactions/
    python3 tasks.py mutate pipeline/_pipeline.py --list          # the mutants, no run
    python3 tasks.py mutate pipeline/_pipeline.py --only 211      # the mutants on line 211
    python3 tasks.py mutate codecs/json.py --jobs 2 --max 40 --json report.json
    python3 tasks.py mutate codecs/json.py --stub    # survivors as equivalents entries

Modules are named by their path under ``src/partstream`` (or dotted, or a folder
for every target under it). The exit status is 0 when no mutant survived, no run
failed and no equivalents entry is stale.

* **Isolation**: the tool process imports pytest, hypothesis and the other heavy
  third-party modules once (never partstream), then forks one child per mutant.
  The child puts an import hook first on ``sys.meta_path`` that serves the target
  module from the mutated syntax tree (compiled with the real file name and line
  numbers; nothing is written to disk), runs ``pytest -x -q`` on the mirroring
  tests in its own process group and exits with pytest's status. A failing or
  erroring test run (a mutant can break the import, or leave an unclosed resource
  that pytest's end-of-session check reports) kills the mutant; a child whose
  tests never imported the module is an error, not a survivor. Tests that start
  their own Python subprocesses see the unmutated code. Hypothesis runs with the
  project's ``ci`` profile, derandomized and without an example database, so a
  run is reproducible and leaves nothing in ``.hypothesis``.
* **Which tests**: a baseline run of the unmutated module comes first and must
  pass; a second, traced run records which lines of the module each test runs (and
  which run at import). A mutant then runs only the tests that reach one of its
  lines, fastest first, with ``-x``; every test when its line runs at import (a
  constant, a default value); none when no test reaches it: that mutant is a
  survivor without a run, reported as such. A test that does not run a line
  cannot see a change to it, so this loses no kill and saves most of the time.
* **Parallelism and time**: ``--jobs`` children at once (2 by default). A mutant
  still running after ``--timeout`` seconds (default: 3 x the baseline + 5) is
  killed with its process group and counted as *timed out*, a kill reported apart.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from ._mutation_run import Job, RunResult, Subject, baseline, run_mutants, warm_up
from .mutants import Mutant, generate

ROOT: Final = Path(__file__).resolve().parent.parent

# -- configuration -------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The targets file: the package directory and, per module, its mirroring tests."""

    root: Path
    package_dir: Path
    package: str
    modules: dict[str, tuple[str, ...]]

    def path(self, module: str) -> Path:
        return self.package_dir / module

    def import_name(self, module: str) -> str:
        parts = [self.package, *Path(module).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def display(self, module: str) -> str:
        path = self.path(module)
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)


def load_targets(path: Path, root: Path) -> Targets:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    package_dir = root / str(data["package_dir"])
    modules: dict[str, tuple[str, ...]] = {}
    for module, entry in dict(data["modules"]).items():
        tests = tuple(str(t) for t in entry["tests"])
        if not tests:
            raise SystemExit(f"{path}: {module} maps to no tests")
        modules[str(module)] = tests
    return Targets(root, package_dir, str(data.get("package", package_dir.name)), modules)


@dataclass(frozen=True)
class Equivalent:
    module: str
    id: str
    mutant: str
    reason: str


def load_equivalents(path: Path) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries: list[Equivalent] = []
    seen: set[tuple[str, str]] = set()
    for raw in data.get("equivalent", []):
        entry = Equivalent(
            str(raw["module"]), str(raw["id"]), str(raw.get("mutant", "")), str(raw["reason"])
        )
        if not entry.reason.strip():
            raise SystemExit(f"{path}: {entry.module} {entry.id}: an entry needs its reason")
        if (entry.module, entry.id) in seen:
            raise SystemExit(f"{path}: {entry.module} {entry.id} is listed twice")
        seen.add((entry.module, entry.id))
        entries.append(entry)
    return entries


def resolve_modules(targets: Targets, names: Sequence[str]) -> list[str]:
    """Module keys for command-line names: paths under the package, dotted names, folders."""
    if not names:
        return list(targets.modules)
    chosen: list[str] = []
    for name in names:
        key = name.removeprefix(str(targets.package_dir.relative_to(targets.root)) + "/")
        if "/" not in key and not key.endswith(".py") and "." in key:
            dotted = key.removeprefix(targets.package + ".")
            key = dotted.replace(".", "/") + ".py"
        matches = [m for m in targets.modules if m == key or m.startswith(key.rstrip("/") + "/")]
        if not matches:
            raise SystemExit(
                f"no mutation targets for {name!r}: map the module to its tests in the targets file"
            )
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


# -- reporting -----------------------------------------------------------------------


@dataclass
class ModuleReport:
    """One module's run: the table row, the survivors and what is wrong with the file."""

    module: str
    path: str
    generated: int = 0
    run: int = 0
    killed: int = 0
    timed_out: int = 0
    survived: int = 0
    equivalent: int = 0
    errors: int = 0
    baseline_seconds: float = 0.0
    seconds: float = 0.0
    survivors: list[dict[str, Any]] = field(default_factory=list)
    stale_equivalents: list[str] = field(default_factory=list)
    killed_equivalents: list[str] = field(default_factory=list)
    error_details: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(
            self.survived or self.errors or self.stale_equivalents or self.killed_equivalents
        )


def split_equivalents(
    module: str, mutants: Sequence[Mutant], equivalents: Sequence[Equivalent]
) -> tuple[list[Mutant], list[Mutant], list[Equivalent]]:
    """``(to_run, equivalent, stale)``: mutants not listed, mutants listed, entries unmatched."""
    listed = {e.id for e in equivalents if e.module == module}
    ids = {m.id for m in mutants}
    stale = [e for e in equivalents if e.module == module and e.id not in ids]
    return [m for m in mutants if m.id not in listed], [m for m in mutants if m.id in listed], stale


def format_survivor(mutant: Mutant, path: str, source_lines: Sequence[str]) -> str:
    """``path:line:col operator: original → mutated``, the source line, the id."""
    line = source_lines[mutant.line - 1].strip() if 0 < mutant.line <= len(source_lines) else ""
    return f"{path}:{mutant.line}:{mutant.col} {mutant.describe()}\n    {line}\n    id: {mutant.id}"


def toml_stub(mutant: Mutant) -> str:
    """An equivalents-file entry for ``mutant``, its reason left to write."""
    described = json.dumps(mutant.describe(), ensure_ascii=False)
    return (
        "[[equivalent]]\n"
        f'module = "{mutant.module}"\n'
        f'id = "{mutant.id}"\n'
        f"mutant = {described}\n"
        'reason = ""\n'
    )


def select(
    mutants: list[Mutant], *, lines: set[int], ids: set[str], sample: int | None, seed: int
) -> list[Mutant]:
    """The mutants on ``lines`` / with ``ids`` (when given), then a sample of ``sample``."""
    if lines:
        mutants = [m for m in mutants if m.line in lines]
    if ids:
        mutants = [m for m in mutants if m.id in ids]
    if sample is not None and len(mutants) > sample:
        picked = set(random.Random(seed).sample(range(len(mutants)), sample))
        mutants = [m for i, m in enumerate(mutants) if i in picked]
    return mutants


def parse_lines(values: Sequence[str]) -> set[int]:
    """``["12", "20-22,30"]`` -> ``{12, 20, 21, 22, 30}``."""
    lines: set[int] = set()
    for value in values:
        for part in value.split(","):
            low, _, high = part.partition("-")
            lines.update(range(int(low), int(high or low) + 1))
    return lines


def format_table(reports: Sequence[ModuleReport]) -> str:
    head = ("module", "generated", "killed", "timeout", "equivalent", "survived", "seconds")
    rows = [head] + [
        (
            r.module,
            str(r.generated),
            str(r.killed),
            str(r.timed_out),
            str(r.equivalent),
            str(r.survived) + (f" (+{r.errors} errors)" if r.errors else ""),
            f"{r.seconds:.0f}",
        )
        for r in reports
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        )
        for row in rows
    )


_MARKS: Final = {"killed": ".", "timeout": "T", "survived": "S", "error": "E"}


def _progress(result: RunResult) -> None:
    print(_MARKS[result.outcome], end="", flush=True)


def run_module(
    targets: Targets,
    module: str,
    equivalents: Sequence[Equivalent],
    args: argparse.Namespace,
) -> ModuleReport:
    """Generate, run and report the mutants of one module."""
    path = targets.path(module)
    source = path.read_text(encoding="utf-8")
    source_lines = source.splitlines()
    mutants = generate(source, module)
    report = ModuleReport(module, targets.display(module), generated=len(mutants))
    to_run, equivalent, stale = split_equivalents(module, mutants, equivalents)
    report.equivalent = len(equivalent)
    report.stale_equivalents = [e.id for e in stale]
    listed = {m.id for m in equivalent}
    pool = mutants if args.run_equivalents else to_run
    lines = parse_lines(args.only)
    selected = select(pool, lines=lines, ids=set(args.ids), sample=args.sample, seed=args.seed)
    if args.list:
        for m in selected:
            mark = "  (equivalent)" if m.id in listed else ""
            print(f"{report.path}:{m.line}:{m.col} {m.describe()}  [{m.id}]{mark}")
        print(f"{module}: {len(mutants)} mutants, {len(equivalent)} listed as equivalent")
        return report
    started = time.monotonic()
    print(f"== {report.path}: {len(mutants)} mutants, {len(equivalent)} equivalent", flush=True)
    subject = Subject(
        targets.root, path, targets.import_name(module), targets.modules[module], source
    )
    with tempfile.TemporaryDirectory(prefix="partstream-mutate-") as tmp:
        plain, coverage = baseline(subject, workdir=Path(tmp))
        report.baseline_seconds = plain.seconds
        if plain.outcome != "survived":
            report.errors += 1
            report.error_details.append(f"baseline: {plain.outcome}\n{plain.detail}")
            print(f"the baseline run failed: the tests must pass unmutated\n{plain.detail}")
            return report
        timeout = args.timeout or 3 * plain.seconds + 5
        jobs: list[Job] = []
        uncovered: list[Mutant] = []
        for m in selected:
            tests = coverage.tests_for(m.lines) if coverage is not None else None
            if tests == ():
                uncovered.append(m)
            else:
                jobs.append(Job(m.id, tests or ()))
        print(
            f"baseline {plain.seconds:.1f} s; {len(uncovered)} mutants no test runs; "
            f"running {len(jobs)}, {args.jobs} at once, {timeout:.0f} s each at most",
            flush=True,
        )
        results = [RunResult(m.id, "survived", 0.0, "no mirroring test runs it") for m in uncovered]
        results += run_mutants(
            subject,
            jobs,
            parallel=args.jobs,
            timeout=timeout,
            workdir=Path(tmp),
            on_result=_progress,
        )
    by_id = {m.id: m for m in selected}
    results.sort(key=lambda r: selected.index(by_id[str(r.mutant_id)]))
    print()
    for result in results:
        assert result.mutant_id is not None
        mutant = by_id[result.mutant_id]
        report.run += 1
        if result.outcome in ("killed", "timeout"):
            if result.outcome == "timeout":
                report.timed_out += 1
            else:
                report.killed += 1
            if mutant.id in listed:
                report.killed_equivalents.append(mutant.id)
                print(f"listed as equivalent but killed: {module} {mutant.id}")
        elif result.outcome == "survived":
            if mutant.id in listed:
                continue
            report.survived += 1
            report.survivors.append(
                {**asdict(mutant), "source": source_lines[mutant.line - 1], "note": result.detail}
            )
            print(format_survivor(mutant, report.path, source_lines))
            if result.detail:
                print(f"    ({result.detail})")
            if args.stub:
                print(toml_stub(mutant))
        else:
            report.errors += 1
            report.error_details.append(f"{mutant.id}: {result.detail}")
            print(f"error: {report.path}:{mutant.line} {mutant.describe()} [{mutant.id}]")
            print(result.detail)
    for entry in report.stale_equivalents:
        print(f"stale equivalents entry: {module} {entry} matches no mutant any more")
    report.seconds = time.monotonic() - started
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tasks.py mutate",
        description="Mutation testing: mutate a module, run the tests that mirror it.",
    )
    add = parser.add_argument
    add("modules", nargs="*", help="paths under src/partstream, dotted names or folders")
    add("--list", action="store_true", help="list the mutants, run nothing")
    add("--only", action="append", default=[], metavar="LINE", help="mutants on LINE (A-B, A,B)")
    add("--id", action="append", default=[], dest="ids", help="the mutant with this id")
    add("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    add("--max", type=int, default=None, dest="sample", help="a sample of N mutants per module")
    add("--seed", type=int, default=0, help="the seed of the --max sample (default 0)")
    add("--timeout", type=float, default=None, help="seconds per mutant (3 x baseline + 5)")
    add("--json", type=Path, default=None, help="write a JSON report to this file")
    add("--stub", action="store_true", help="print an equivalents entry for each survivor")
    add("--run-equivalents", action="store_true", help="run listed equivalents too")
    add("--root", type=Path, default=ROOT, help="the project root (default: this repository)")
    add("--targets", type=Path, default=None, help="default: ROOT/scripts/mutation_targets.toml")
    add("--equivalents", type=Path, default=None, help="default: beside the targets file")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    root: Path = args.root.resolve()
    targets_path: Path = args.targets or root / "scripts" / "mutation_targets.toml"
    targets = load_targets(targets_path, root)
    equivalents_path: Path = args.equivalents or targets_path.with_name("mutation_equivalents.toml")
    equivalents = load_equivalents(equivalents_path)
    for module in sorted({e.module for e in equivalents} - set(targets.modules)):
        print(f"warning: {equivalents_path.name} lists {module}, which is not a target")
    modules = resolve_modules(targets, args.modules)
    if not args.list:
        warm_up(targets.package)
        # A terminated run still kills the process groups of the mutants in flight.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    reports = [run_module(targets, module, equivalents, args) for module in modules]
    if args.list:
        return 0
    print()
    print(format_table(reports))
    if args.json is not None:
        payload = json.dumps([asdict(r) for r in reports], indent=2, ensure_ascii=False)
        args.json.write_text(payload + "\n", encoding="utf-8")
    return 1 if any(r.failed for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
