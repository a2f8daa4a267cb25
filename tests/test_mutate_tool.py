"""The mutation-testing tool (scripts/mutate.py): operators, stable ids, equivalents, a run.

The tool itself is too slow for the suite (``python3 tasks.py mutate``); these
checks keep it from rotting: the mutants of a small snippet, ids that survive an
unrelated edit, the equivalents file subtracted and its stale entries flagged,
and one real run on a tiny project (a killed mutant, a survivor reported, then
the survivor listed as equivalent).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scripts.mutants import OPERATORS, Mutant, generate, mutate_tree
from scripts.mutate import (
    Equivalent,
    load_equivalents,
    load_targets,
    parse_lines,
    resolve_modules,
    select,
    split_equivalents,
    toml_stub,
)

ROOT = Path(__file__).resolve().parent.parent

SNIPPET = '''\
"""A module."""

__all__ = ["clamp"]
LIMIT = 10


def clamp(x: int, items: list[int], *, strict: bool = False) -> int | None:
    """Docstring: not mutated."""
    assert x >= 0
    if x < LIMIT and not items:
        return x + 1
    for i in items:
        if i == 2:
            break
    logger.debug("skipped %s", x)
    if strict:
        raise ValueError(f"bad {x}", argument="x")
    return items[x:] or None
'''

EXPECTED = [
    (4, "number", "10", "11"),
    (4, "number", "10", "9"),
    (4, "number", "10", "0"),
    (7, "bool", "False", "True"),
    (10, "if-true", "x < LIMIT and (not items)", "True"),
    (10, "if-false", "x < LIMIT and (not items)", "False"),
    (10, "boolean", "x < LIMIT and (not items)", "x < LIMIT or not items"),
    (10, "compare", "x < LIMIT", "x <= LIMIT"),
    (10, "not", "not items", "items"),
    (11, "drop", "return x + 1", "pass"),
    (11, "return-none", "x + 1", "None"),
    (11, "arith", "x + 1", "x - 1"),
    (11, "number", "1", "2"),
    (11, "number", "1", "0"),
    (12, "drop", "for i in items: ...", "pass"),
    (13, "if-true", "i == 2", "True"),
    (13, "if-false", "i == 2", "False"),
    (13, "compare", "i == 2", "i != 2"),
    (13, "number", "2", "3"),
    (13, "number", "2", "1"),
    (13, "number", "2", "0"),
    (14, "loop-jump", "break", "continue"),
    (16, "if-true", "strict", "True"),
    (16, "if-false", "strict", "False"),
    # The message is prose (not mutated); the structured field is.
    (17, "drop", "raise ValueError(f'bad {x}', argument='x')", "pass"),
    (17, "string", "'x'", "'XXxXX'"),
    # The final return is not dropped (that is `return None`, already a mutant).
    (18, "return-none", "items[x:] or None", "None"),
    (18, "boolean", "items[x:] or None", "items[x:] and None"),
    (18, "slice", "items[x:]", "items[x + 1:]"),
    (18, "slice", "items[x:]", "items[x - 1:]"),
]


def test_snippet_gives_exactly_the_expected_mutants() -> None:
    mutants = generate(SNIPPET)
    assert [(m.line, m.operator, m.original, m.mutated) for m in mutants] == EXPECTED
    assert len({m.id for m in mutants}) == len(mutants)
    assert {m.operator for m in mutants} <= set(OPERATORS)


def test_more_operators() -> None:
    source = textwrap.dedent(
        """\
        def f(a, b, data):
            while a:
                if a is None or b in data:
                    continue
                a -= 1
            c = a * b // 2 if a > b else b / 2
            return data[a : b + 1] + b"\\r\\n" + "x" * 3
        """
    )
    got = {(m.operator, m.original, m.mutated) for m in generate(source)}
    for expected in [
        ("compare", "a is None", "a is not None"),
        ("compare", "b in data", "b not in data"),
        ("compare", "a > b", "a >= b"),
        ("loop-jump", "continue", "break"),
        ("arith", "a -= 1", "a += 1"),
        ("arith", "a * b", "a // b"),
        ("arith", "a * b // 2", "a * b * 2"),
        ("arith", "b / 2", "b * 2"),
        ("if-true", "a > b", "True"),
        ("string", "b'\\r\\n'", "b'XX\\r\\nXX'"),
        ("slice", "data[a:b + 1]", "data[a + 1:b + 1]"),
        ("drop", "while a: ...", "pass"),
    ]:
        assert expected in got, expected
    # `"x" * 3` and `... + b"\r\n"` are sequences, not arithmetic.
    assert not any(m[0] == "arith" and "'x'" in m[1] for m in got)
    assert not any(m[0] == "arith" and m[1].endswith("b'\\r\\n'") for m in got)


def test_ids_are_stable_under_an_unrelated_edit_above() -> None:
    before = generate(SNIPPET)
    edited = SNIPPET.replace(
        "LIMIT = 10\n", "LIMIT = 10\n\n\ndef helper(y: int) -> int:\n    return y * 2\n"
    )
    after = generate(edited)
    shift = 4
    by_id = {m.id: m for m in after}
    for m in before:
        moved = by_id[m.id]  # the same id, four lines lower
        assert (moved.line, moved.operator, moved.original, moved.mutated) == (
            m.line + (shift if m.line > 4 else 0),
            m.operator,
            m.original,
            m.mutated,
        )
    assert len(after) == len(before) + 5  # helper: return None, y // 2, 3, 1, 0


def test_editing_a_statement_renews_only_its_ids() -> None:
    before = {m.id: m for m in generate(SNIPPET)}
    after = {m.id: m for m in generate(SNIPPET.replace("if i == 2:", "if i == 3:"))}
    gone = {m.line for i, m in before.items() if i not in after}
    assert gone == {13, 14}  # the `if` header and the break under it
    assert {m.line for i, m in after.items() if i not in before} == {13, 14}


def test_repeated_changes_get_numbered_ids() -> None:
    mutants = generate("def f(a):\n    g(a, 1, 1)\n")
    ids = [m.id for m in mutants if m.operator == "number" and m.mutated == "2"]
    assert len(ids) == 2
    assert ids[1] == ids[0] + "#2"


def test_mutate_tree_applies_exactly_one_change() -> None:
    mutant = next(m for m in generate(SNIPPET) if m.operator == "compare" and m.line == 13)
    tree = mutate_tree(SNIPPET, mutant.id)
    assert "if i != 2:" in ast.unparse(tree)
    assert ast.unparse(mutate_tree(SNIPPET, None)) == ast.unparse(ast.parse(SNIPPET))
    assert ast.unparse(tree).count("!=") == 1
    namespace: dict[str, object] = {"logger": type("L", (), {"debug": print})}
    exec(compile(tree, "<mutant>", "exec"), namespace)
    clamp = namespace["clamp"]
    assert callable(clamp)
    assert clamp(0, [1]) == [1]
    with pytest.raises(KeyError):
        mutate_tree(SNIPPET, "clamp:compare:0000000000")


def _mutant(ident: str) -> Mutant:
    return Mutant("m.py", ident, "compare", 1, 1, "a", "b", "f")


def test_equivalents_are_subtracted_and_stale_entries_flagged() -> None:
    mutants = [_mutant("f:compare:1"), _mutant("f:compare:2")]
    entries = [
        Equivalent("m.py", "f:compare:2", "", "cannot change the result"),
        Equivalent("m.py", "f:compare:gone", "", "the statement changed since"),
        Equivalent("other.py", "f:compare:1", "", "another module"),
    ]
    to_run, equivalent, stale = split_equivalents("m.py", mutants, entries)
    assert [m.id for m in to_run] == ["f:compare:1"]
    assert [m.id for m in equivalent] == ["f:compare:2"]
    assert [e.id for e in stale] == ["f:compare:gone"]


def test_the_project_files_parse_and_agree(tmp_path: Path) -> None:
    targets = load_targets(ROOT / "scripts" / "mutation_targets.toml", ROOT)
    for module, tests in targets.modules.items():
        assert targets.path(module).is_file(), module
        assert all((ROOT / t).exists() for t in tests), module
    entries = load_equivalents(ROOT / "scripts" / "mutation_equivalents.toml")
    assert {e.module for e in entries} <= set(targets.modules)
    assert all(e.reason.strip() for e in entries)
    assert resolve_modules(targets, ["partstream.codecs.json"]) == ["codecs/json.py"]
    assert resolve_modules(targets, ["src/partstream/codecs/json.py"]) == ["codecs/json.py"]
    assert "codecs/interactions/_url.py" in resolve_modules(targets, ["codecs/interactions/"])
    bad = tmp_path / "eq.toml"
    bad.write_text('[[equivalent]]\nmodule = "m.py"\nid = "x"\nreason = " "\n')
    with pytest.raises(SystemExit):
        load_equivalents(bad)


def test_selection_helpers() -> None:
    assert parse_lines(["3", "5-7,9"]) == {3, 5, 6, 7, 9}
    mutants = [Mutant("m.py", str(i), "number", i, 1, "1", "2", "f") for i in range(1, 11)]
    assert [m.id for m in select(mutants, lines={2, 3}, ids=set(), sample=None, seed=0)] == [
        "2",
        "3",
    ]
    sample = select(mutants, lines=set(), ids=set(), sample=4, seed=0)
    assert len(sample) == 4
    assert sample == select(mutants, lines=set(), ids=set(), sample=4, seed=0)
    stub = toml_stub(mutants[0])
    assert 'id = "1"' in stub
    assert 'reason = ""' in stub


CALC = """\
def clamp(x: int) -> int:
    if x < 0:
        return 0
    return min(x, 100)
"""

WEAK_TEST = """\
from pkg.calc import clamp


def test_clamp() -> None:
    assert clamp(-5) == 0
    assert clamp(-1) == 0
    assert clamp(7) == 7
"""


def test_a_real_run_kills_reports_a_survivor_then_subtracts_it(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "calc.py").write_text(CALC)
    (tmp_path / "test_calc.py").write_text(WEAK_TEST)
    (tmp_path / "conftest.py").write_text("")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    targets = tmp_path / "targets.toml"
    targets.write_text('package_dir = "pkg"\n[modules."calc.py"]\ntests = ["test_calc.py"]\n')
    # Line 2 has five mutants: `x <= 0` and `x < 1` survive (both really are
    # equivalent: clamp(0) is 0 either way); `x < -1` and the forced conditions die.
    command = [sys.executable, "-m", "scripts.mutate", "--root", str(tmp_path)]
    command += ["--targets", str(targets), "calc.py", "--only", "2", "--jobs", "2"]
    report = tmp_path / "report.json"
    run = subprocess.run(
        [*command, "--json", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "pkg/calc.py:2:8 compare: x < 0 \u2192 x <= 0\n    if x < 0:\n" in run.stdout
    (module,) = json.loads(report.read_text())
    assert (module["generated"], module["run"], module["killed"], module["survived"]) == (
        len(generate(CALC)),
        5,
        3,
        2,
    )
    assert [s["mutated"] for s in module["survivors"]] == ["x <= 0", "1"]
    # Listed as equivalent, they are subtracted; a stale entry fails the run.
    entries = "".join(
        f'[[equivalent]]\nmodule = "calc.py"\nid = "{s["id"]}"\nreason = "clamp(0) is 0"\n'
        for s in module["survivors"]
    )
    stale = '[[equivalent]]\nmodule = "calc.py"\nid = "clamp:compare:stale"\nreason = "x"\n'
    equivalents = tmp_path / "mutation_equivalents.toml"
    equivalents.write_text(entries + stale)
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "stale equivalents entry: calc.py clamp:compare:stale" in run.stdout
    assert run.returncode == 1, run.stdout
    equivalents.write_text(entries)
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    row = next(line for line in run.stdout.splitlines() if line.startswith("calc.py"))
    # generated, killed, timed out, equivalent, survived
    assert row.split()[1:6] == [str(len(generate(CALC))), "3", "0", "2", "0"]


def test_docstrings_and_folded_constants() -> None:
    source = textwrap.dedent(
        '''\
        class C:
            """Class docstring."""

            x = 1


        Alias = int
        """An attribute docstring."""

        TABLE = (
            ("pdf", "application/pdf"),
        )
        '''
    )
    mutants = generate(source)
    assert not any("docstring" in m.original for m in mutants)
    pdf = next(m for m in mutants if m.original == "'application/pdf'")
    # The tuple is one folded constant: only the statement's first line runs.
    assert pdf.line == 11
    assert pdf.lines == [10, 11]


def test_messages_of_the_modules_own_exceptions_are_prose_but_their_paths_are_not() -> None:
    source = textwrap.dedent(
        """\
        class _Invalid(Exception):
            pass


        def check(path):
            raise _Invalid(path + ".type", f"expected a string at {path}")
        """
    )
    strings = [m for m in generate(source) if m.operator == "string"]
    assert [(m.original, m.mutated) for m in strings] == [("'.type'", "'XX.typeXX'")]
