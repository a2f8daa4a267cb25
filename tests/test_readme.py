"""The README's Python snippets run as written (against the emulator they start)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_starts_with_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "# partstream",
        "",
        "```",
        "python3 tasks.py demo",
        "python3 tasks.py test",
    ]


def test_the_readme_has_runnable_snippets() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_snippet_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": f"readme_snippet_{index}"}
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    for test in tests:
        test()
    out = capsys.readouterr().out
    if "anyio.run(main" in BLOCKS[index]:
        assert out.strip(), "the snippet printed nothing"
    else:
        assert tests, "a snippet without a main should define tests to run"
